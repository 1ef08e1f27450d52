"""The database: models and views (and the data dictionary made from them), engines, upserts on natural keys,
the kept totals, locks, read-only SQL and the search indexes.
"""
