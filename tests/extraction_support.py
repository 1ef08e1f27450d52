"""What the extraction rule tests share: known suppliers by name, and the facts the rules alone read."""

from watchdog.news.extraction import Fact, KnownSupplier, Mentions, extract_facts

MENTIONED_AS = {
    "Serco Group plc": "Serco",
    "Capita plc": "Capita",
    "G4S plc": "G4S",
    "Mitie Group plc": "Mitie",
    "Kier Group plc": "Kier",
    "Compass Group plc": "Compass",
    "Northgate plc": "Northgate",
    "Amey": "Amey",
    "Atos": "Atos",
    "Deloitte": "Deloitte",
}


def known(*names: str) -> Mentions:
    """The named suppliers, each mentioned by its short name ("Serco" for Serco Group plc)."""
    return Mentions([KnownSupplier(name, (MENTIONED_AS[name],)) for name in names])


def rule_facts(text: str, suppliers: Mentions, category: str | None = None) -> list[Fact]:
    """The facts the rules read from the text, without the learned layer (of one category if given)."""
    return [fact for fact in extract_facts(text, suppliers, labels=[]) if category in (None, fact.category)]
