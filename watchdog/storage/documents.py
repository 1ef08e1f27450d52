"""The documents facts are read from: notice pages, regulators' pages, news articles and feeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, select
from w3lib.url import canonicalize_url

from watchdog.database.models import Document
from watchdog.database.upsert import upsert_ids
from watchdog.items import SourceDocument

documents = Document.__table__


def write_documents(connection: Connection, sources: list[SourceDocument], now: datetime) -> dict[str, int]:
    rows = {
        source.url: {
            "url": source.url,
            "kind": source.kind,
            "publisher": source.publisher,
            "title": source.title,
            "published_at": source.published_at,
            "fetched_at": source.fetched_at,
            "content_sha256": source.content_sha256,
            "content_type": source.content_type,
            "etag": source.etag,
            "last_modified": source.last_modified,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for source in sources
    }
    updated = ["kind", "publisher", "title", "published_at", "fetched_at", "content_sha256", "content_type", "etag",
               "last_modified"]  # fmt: skip
    return upsert_ids(connection, documents, list(rows.values()), ["url"], update=updated)


def news_memory(engine: Engine) -> tuple[set[str], dict[str, tuple[str | None, str | None]]]:
    """What a news crawl needs to know: the canonical URLs of the articles stored, and each feed's ETag and
    Last-Modified."""
    with engine.connect() as connection:
        urls = {
            canonicalize_url(url)
            for url in connection.scalars(select(documents.c.url).where(documents.c.kind == "news"))
        }
        validators = connection.execute(
            select(documents.c.url, documents.c.etag, documents.c.last_modified).where(documents.c.kind == "other")
        )
        return urls, {url: (etag, modified) for url, etag, modified in validators}
