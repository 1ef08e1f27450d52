"""Scrapy settings for every watchdog spider; a spider tightens them for its source in custom_settings."""

from watchdog.db import database_url

BOT_NAME = "watchdog"
SPIDER_MODULES = ["watchdog.spiders"]
NEWSPIDER_MODULE = "watchdog.spiders"

USER_AGENT = "contract-watchdog (+https://pypi.org/project/contract-watchdog/)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

ITEM_PIPELINES = {"watchdog.pipelines.StoragePipeline": 300}
EXTENSIONS = {"watchdog.extensions.CrawlRunRecorder": 500}

WATCHDOG_DATABASE_URL = database_url()
WATCHDOG_BATCH_SIZE = 500
