"""News articles read for facts: sentences parsed, rules matched, facts about known suppliers made into items."""
