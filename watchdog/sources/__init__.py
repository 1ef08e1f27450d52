"""Where facts come from: the spiders and their base classes, the OCDS mapping, bulk files (ingest), and the
Scrapy machinery around a crawl (middlewares, the storage pipeline, the crawl-run extension).
"""
