"""Scrapy settings for every watchdog spider; a spider tightens them for its source in custom_settings."""

from watchdog.database.db import SQLITE_BUSY_TIMEOUT, database_url

BOT_NAME = "watchdog"
SPIDER_MODULES = ["watchdog.sources.spiders"]
NEWSPIDER_MODULE = "watchdog.sources.spiders"

USER_AGENT = "contract-watchdog (+https://pypi.org/project/contract-watchdog/)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
TELNETCONSOLE_ENABLED = False
# Scrapy's remote control runs Python sent to a local HTTP port: nothing a scheduled crawl needs.
REMOTE_CONTROL_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

ITEM_PIPELINES = {"watchdog.sources.pipelines.StoragePipeline": 300}
EXTENSIONS = {"watchdog.sources.extensions.CrawlRunRecorder": 500}

WATCHDOG_DATABASE_URL = database_url()
WATCHDOG_BATCH_SIZE = 500
# Batches of items waiting to be written, at most: the database writes on a thread of its own while the crawl goes on,
# and the crawl waits when that many batches wait for the database.
WATCHDOG_WRITE_QUEUE = 4
# Seconds a write waits for another program's write lock on a SQLite file before that batch is not stored.
WATCHDOG_SQLITE_BUSY_TIMEOUT = SQLITE_BUSY_TIMEOUT
# Seconds between writes of a running crawl's counts and watermark to its crawl_runs row. A run silent for ten
# intervals when the next run of its spider starts is marked abandoned.
WATCHDOG_PROGRESS_INTERVAL = 60.0

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "watchdog.sources.middlewares.PoliteRetryMiddleware": 550,
}
RETRY_TIMES = 3
DOWNLOAD_TIMEOUT = 120
WATCHDOG_BACKOFF = 10.0
WATCHDOG_MAX_WAIT = 600.0
WATCHDOG_MAX_RATE_LIMIT_WAITS = 10
WATCHDOG_WAIT_SCALE = 1.0

# Set a folder to keep every fetched body, gzipped under its SHA-256 (documents.content_sha256).
WATCHDOG_ARCHIVE_DIR = None

# A running crawl's status line (windows or pages done, items stored, errors) on standard error when it is a
# terminal; False for none.
WATCHDOG_PROGRESS_DISPLAY = True
EXTENSIONS["watchdog.sources.progress.CrawlProgress"] = 600
