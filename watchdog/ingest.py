"""Loading OCDS bulk files (the downloads publishers and the OCP data registry offer) without the APIs.

Release packages, record packages, JSON Lines of releases, records or packages, a bare release or record,
each plain or gzipped. Files are streamed, so a file of years of data takes little memory; the releases go
through the same mapping and storage as a crawl's.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import IO, Any

import ijson
import orjson
from scrapy.spiderloader import SpiderLoader

from watchdog.db import make_engine
from watchdog.items import ContractItem, InvalidItem
from watchdog.ocds import Fetch, Portal, contract_items, release_fingerprint
from watchdog.review import after_crawl
from watchdog.spiders.base import OCDSSpider
from watchdog.store import Store, utcnow

logger = logging.getLogger(__name__)
PACKAGE_ARRAYS = {"releases.item": "release", "records.item": "record", "item": "a bare list"}


def portals(settings) -> dict[str, Portal]:
    """Every OCDS spider of the project, by the ocid prefix of the publisher it crawls."""
    loader = SpiderLoader.from_settings(settings)
    classes = [loader.load(name) for name in loader.list()]
    return {cls.ocid_prefix: cls() for cls in classes if issubclass(cls, OCDSSpider)}


def open_stream(path: Path) -> IO[bytes]:
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def releases_of(document: dict) -> Iterator[dict]:
    """The releases in a package, a record (its embedded releases, else its compiled release) or a release."""
    if isinstance(document.get("releases"), list) and "ocid" not in document:
        for release in document["releases"]:
            yield from releases_of(release) if isinstance(release, dict) else ()
    elif isinstance(document.get("records"), list):
        for record in document["records"]:
            yield from releases_of(record) if isinstance(record, dict) else ()
    elif "compiledRelease" in document or isinstance(document.get("releases"), list):
        # Embedded releases carry an ocid; linked ones (url, date, tag) do not, and the compiled release stands in.
        embedded = [r for r in document.get("releases") or [] if isinstance(r, dict) and "ocid" in r and "tag" in r]
        yield from embedded or [document.get("compiledRelease") or {}]
    elif "ocid" in document:
        yield document


def is_json_lines(path: Path) -> bool:
    """JSON Lines when the first line is a whole JSON object and more follows."""
    with open_stream(path) as stream:
        first = stream.readline()
        rest = stream.read(64).strip()
    try:
        return isinstance(json.loads(first), dict) and bool(rest)
    except ValueError:
        return False


def streamed_documents(stream: IO[bytes]) -> Iterator[dict]:
    """The releases and records of one large JSON package, one at a time."""
    builder, building = None, None
    for prefix, event, value in ijson.parse(stream, use_float=False):
        if builder is None:
            if event == "start_map" and prefix in PACKAGE_ARRAYS:
                builder, building = ijson.ObjectBuilder(), prefix
                builder.event(event, value)
            continue
        builder.event(event, value)
        if event == "end_map" and prefix == building:
            yield builder.value
            builder = None


@dataclass
class Piece:
    """One release of a file, with the fingerprint of its content: the same release in a package, a JSON Lines
    file or a gzipped copy has the same fingerprint, so one stored before is only marked as seen again."""

    fingerprint: str
    where: str
    release: dict


class UnreadableLine(ValueError):
    """A line of a JSON Lines file that is not JSON: one error; the lines after it are still read."""


def pieces_in(path: Path, on_unreadable: Callable[[UnreadableLine], None]) -> Iterator[Piece]:
    if is_json_lines(path):
        with open_stream(path) as stream:
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    document = orjson.loads(line)
                except orjson.JSONDecodeError as error:
                    on_unreadable(UnreadableLine(f"{path} line {number}: not JSON: {error}"))
                    continue
                yield from package_pieces(f"{path} line {number}", document)
        return
    found = False
    with open_stream(path) as stream:
        for document in streamed_documents(stream):
            found = True
            yield from package_pieces(str(path), document)
    if not found:
        with open_stream(path) as stream:
            yield from package_pieces(str(path), json.load(stream, parse_float=Decimal))


def package_pieces(where: str, document: Any) -> Iterator[Piece]:
    for release in releases_of(document) if isinstance(document, dict) else ():
        yield Piece(release_fingerprint(release), f"{where} release {release.get('id')}", release)


@dataclass
class IngestSummary:
    run_id: int
    files: int = 0
    releases: int = 0
    stored: int = 0
    unchanged: int = 0
    dropped: int = 0
    errors: int = 0
    warnings: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        rate = self.releases / self.seconds if self.seconds else 0
        count = lambda name: self.counts.get(name, 0)  # noqa: E731
        return [
            f"ingest: {self.releases} releases from {self.files} files in {self.seconds:.1f} s ({rate:.0f}/s), "
            f"crawl run {self.run_id}",
            f"  contracts  {count('contracts_new')} new, {count('contracts_updated')} updated",
            f"  items      {self.stored} stored, {self.unchanged} releases seen before, {self.dropped} dropped",
            f"  errors     {self.errors}, warnings {self.warnings}",
        ]


class Ingest:
    """Reads files into the store in batches, keeping count on a `crawl_runs` row named `ingest`."""

    def __init__(self, database_url: str, settings, batch_size: int = 1000) -> None:
        self.store = Store(make_engine(database_url))
        self.portals = portals(settings)
        self.batch_size = batch_size
        self.pending: list[Piece] = []

    def run(self, paths: list[Path], progress: Callable[[IngestSummary], None] | None = None) -> IngestSummary:
        summary = IngestSummary(self.store.start_run("ingest", {"files": [str(p) for p in paths]}))
        started, started_at = time.monotonic(), utcnow()
        for path in paths:
            summary.files += 1
            try:
                for piece in pieces_in(path, partial(self.unreadable, summary)):
                    summary.releases += 1
                    self.add(piece, summary)
                    if progress and summary.releases % 10_000 == 0:
                        summary.seconds = time.monotonic() - started
                        progress(summary)
            except (OSError, ValueError, ijson.JSONError) as error:
                summary.errors += 1
                logger.error("%s: cannot be read past release %d: %s", path, summary.releases, error)
        self.flush(summary)
        self.store.analyze()
        summary.counts = dict(self.store.counts) | after_crawl(self.store.engine, since=started_at)
        summary.seconds = time.monotonic() - started
        self.store.finish_run(
            summary.run_id,
            status="failed" if summary.errors else "finished",
            finish_reason="finished",
            items_stored=summary.stored,
            items_dropped=summary.dropped,
            errors=summary.errors,
            warnings=summary.warnings,
            stats={
                "releases": summary.releases,
                "unchanged": summary.unchanged,
                "files": summary.files,
                **summary.counts,
            },
        )
        return summary

    @staticmethod
    def unreadable(summary: IngestSummary, error: UnreadableLine) -> None:
        summary.errors += 1
        logger.error("%s", error)

    def add(self, piece: Piece, summary: IngestSummary) -> None:
        self.pending.append(piece)
        if len(self.pending) >= self.batch_size:
            self.flush(summary)

    def flush(self, summary: IngestSummary) -> None:
        """Write the pending pieces: those stored before (by the fingerprint of their content) are only marked as
        seen again."""
        pieces, self.pending = self.pending, []
        seen = self.store.seen_before(piece.fingerprint for piece in pieces)
        self.store.touch_releases(seen)
        summary.unchanged += sum(piece.fingerprint in seen for piece in pieces)
        items = []
        for piece in pieces:
            if piece.fingerprint not in seen:
                items += self.valid_items(piece.release, piece.fingerprint, summary)
        rejected = self.store.write(items) if items else []
        summary.stored += len(items) - len(rejected)
        summary.dropped += len(rejected)
        for refusal in rejected:
            logger.error("could not store %s: %s", refusal.item.ocid, refusal.reason)

    def valid_items(self, release: dict[str, Any], fingerprint: str, summary: IngestSummary) -> list[ContractItem]:
        portal = next(
            (p for prefix, p in self.portals.items() if str(release.get("ocid", "")).startswith(prefix)), None
        )
        if portal is None:
            summary.dropped += 1
            logger.warning(
                "release %s: no spider knows the publisher of ocid %r", release.get("id"), release.get("ocid")
            )
            return []
        items = []
        try:
            mapped = list(contract_items(release, portal, portal.base_url, Fetch(), fingerprint))
        except (AttributeError, TypeError, ValueError) as error:
            summary.errors += 1
            logger.error("release %s cannot be read (%s); skipped", release.get("id"), error)
            return []
        for item in mapped:
            try:
                item.validate()
            except InvalidItem as error:
                summary.dropped += 1
                logger.warning("release %s dropped: %s", release.get("id"), error)
                continue
            if item.suppliers_count and item.suppliers_count > len(item.suppliers):
                summary.warnings += 1  # suppliers without a name, logged by the mapping
            items.append(item)
        return items
