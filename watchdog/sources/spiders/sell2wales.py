"""Sell2Wales: the Welsh public sector's contract notices, above and below the threshold."""

from watchdog.sources.spiders.devolved import DevolvedPortalSpider


class Sell2WalesSpider(DevolvedPortalSpider):
    name = "sell2wales"
    publisher = "Sell2Wales"
    ocid_prefix = "ocds-kuma6s-"
    base_url = "https://api.sell2wales.gov.wales"
    notice_site = "https://www.sell2wales.gov.wales"
