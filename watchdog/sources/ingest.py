"""Loading OCDS bulk files (the downloads publishers and the OCP data registry offer) without the APIs.

Release packages, record packages, JSON Lines of releases, records or packages, a bare release or record,
each plain or gzipped. Files are streamed, so a file of years of data takes little memory; the releases go
through the same mapping and storage as a crawl's.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import ijson
import orjson
from scrapy.spiderloader import SpiderLoader
from sqlalchemy.exc import SQLAlchemyError

from watchdog.database import search
from watchdog.database.db import make_engine
from watchdog.identity.review import after_crawl
from watchdog.items import ContractItem, InvalidItem
from watchdog.normalise.dates import utcnow
from watchdog.sources.ocds import Fetch, Portal, contract_items, notice_page, release_fingerprint, text, web_address
from watchdog.sources.progress import releases_read
from watchdog.sources.spiders.base import OCDSSpider
from watchdog.storage import runs
from watchdog.storage.runs import SILENT_INTERVALS_ABANDONED
from watchdog.storage.store import Store, database_reason

logger = logging.getLogger(__name__)
PACKAGE_ARRAYS = {"releases.item": "release", "records.item": "record", "item": "a bare list"}
SNIFF_BYTES = 64 * 1024  # of a line, to tell JSON Lines from one JSON document
MESSAGES_KEPT = 20  # errors and warnings kept on the crawl run
# What reading a cut-off, corrupt or non-JSON file raises.
READ_ERRORS = (OSError, EOFError, zlib.error, ValueError, ijson.JSONError)
OCID_PREFIX = re.compile(r"^(ocds-[a-z0-9]+)-", re.IGNORECASE)


def portals(settings) -> dict[str, Portal]:
    """Every OCDS spider of the project, by the ocid prefix of the publisher it crawls."""
    loader = SpiderLoader.from_settings(settings)
    classes = [loader.load(name) for name in loader.list()]
    return {cls.ocid_prefix: cls() for cls in classes if issubclass(cls, OCDSSpider)}


def is_gzipped(path: Path) -> bool:
    with open(path, "rb") as probe:
        return probe.read(2) == b"\x1f\x8b"


def open_stream(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if is_gzipped(path) else open(path, "rb")


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


def next_line_start(stream: IO[bytes]) -> tuple[bytes, bool]:
    """The first SNIFF_BYTES of the next line that is not blank (b"" at the end), and whether that is the whole
    line; the rest of a longer line is skipped, never held."""
    start = b""
    while not start.strip():
        start = stream.readline(SNIFF_BYTES)
        if not start:
            return b"", True
    rest = start
    while len(rest) == SNIFF_BYTES and not rest.endswith(b"\n"):
        rest = stream.readline(SNIFF_BYTES)
    return start, rest is start


def is_json_object(line: bytes) -> bool:
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


def is_json_lines(path: Path) -> bool:
    """JSON Lines when more follows a first line that is a whole JSON object, or when the second line is one
    (the first may be corrupt). Only the start of each line is read: a package on one line of 50 MB is one
    JSON document, and is streamed."""
    with open_stream(path) as stream:
        first, first_whole = next_line_start(stream)
        second, second_whole = next_line_start(stream)
    if not second:
        return False
    if first_whole and is_json_object(first):
        return True
    return second.lstrip().startswith(b"{") and (not second_whole or is_json_object(second))


@dataclass
class Envelope:
    """What a package says of all its releases: who published them, and where the package itself is."""

    publisher: str | None = None
    uri: str | None = None

    @classmethod
    def of(cls, document: Any) -> Envelope:
        if not isinstance(document, dict):
            return cls()
        publisher = document.get("publisher")
        return cls(text(publisher.get("name")) if isinstance(publisher, dict) else None, text(document.get("uri")))


def streamed_documents(stream: IO[bytes], envelope: Envelope) -> Iterator[dict]:
    """The releases and records of one large JSON package, one at a time; `envelope` is given the package's
    publisher and uri as they stream past (before the releases, in every package seen)."""
    builder, building = None, None
    for prefix, event, value in ijson.parse(stream, use_float=False):
        if builder is None:
            if prefix == "publisher.name" and event == "string":
                envelope.publisher = text(value)
            elif prefix == "uri" and event == "string":
                envelope.uri = text(value)
            elif event == "start_map" and prefix in PACKAGE_ARRAYS:
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
    path: Path
    envelope: Envelope = field(default_factory=Envelope)


class UnreadableLine(ValueError):
    """A line of a JSON Lines file that is not JSON: one error; the lines after it are still read."""


class UnreadableFile(Exception):
    """The rest of a file cannot be read (cut off, corrupt, not JSON): one error; what came before it is kept."""

    def __init__(self, path: Path, offset: int, error: BaseException) -> None:
        where = f"byte {offset} of its uncompressed content" if is_gzipped(path) else f"byte {offset}"
        reason = next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)
        super().__init__(f"{path}: cannot be read past {where}: {reason}")


def pieces_in(path: Path, on_unreadable: Callable[[UnreadableLine], None]) -> Iterator[Piece]:
    """The releases of a file, in order; UnreadableFile, naming the byte it stopped at, when the rest cannot be
    read."""
    try:
        json_lines = is_json_lines(path)
    except READ_ERRORS as error:
        raise UnreadableFile(path, 0, error) from error
    with open_stream(path) as stream:
        if json_lines:
            yield from json_lines_pieces(path, stream, on_unreadable)
        else:
            yield from document_pieces(path, stream)


def json_lines_pieces(
    path: Path, stream: IO[bytes], on_unreadable: Callable[[UnreadableLine], None]
) -> Iterator[Piece]:
    offset = 0  # the bytes of the whole lines read: where an unreadable rest starts
    try:
        for number, line in enumerate(stream, 1):
            offset += len(line)
            if not line.strip():
                continue
            try:
                document = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                on_unreadable(UnreadableLine(f"{path} line {number}: not JSON: {error}"))
                continue
            yield from package_pieces(path, f"{path} line {number}", document, Envelope.of(document))
    except READ_ERRORS as error:
        raise UnreadableFile(path, offset, error) from error


def document_pieces(path: Path, stream: IO[bytes]) -> Iterator[Piece]:
    """The releases of one JSON document, streamed from its release or record array when it has one."""
    found, envelope = False, Envelope()
    try:
        for document in streamed_documents(stream, envelope):
            found = True
            yield from package_pieces(path, str(path), document, envelope)
        if not found:
            stream.seek(0)
            document = json.load(stream, parse_float=Decimal)
            yield from package_pieces(path, str(path), document, Envelope.of(document))
    except READ_ERRORS as error:
        raise UnreadableFile(path, stream.tell(), error) from error


def package_pieces(path: Path, where: str, document: Any, envelope: Envelope) -> Iterator[Piece]:
    for release in releases_of(document) if isinstance(document, dict) else ():
        yield Piece(release_fingerprint(release), f"{where} release {release.get('id')}", release, path, envelope)


def ocid_prefix(release: dict) -> str | None:
    match = OCID_PREFIX.match(str(release.get("ocid") or ""))
    return match.group(1) if match else None


@dataclass
class OtherPublisher:
    """A publisher no spider crawls, met in a file: named by its package's `publisher.name`, else by the ocid
    prefix; each release is cited at its own canonical link, else the package's uri, else its first notice."""

    publisher: str
    package_uri: str | None
    ocid_prefix: str = ""
    base_url: str = ""

    @classmethod
    def of(cls, piece: Piece) -> OtherPublisher:
        prefix = ocid_prefix(piece.release) or "an unknown ocid prefix"
        return cls(piece.envelope.publisher or prefix, web_address(piece.envelope.uri), prefix)

    def release_url(self, base_url: str, release: dict) -> str:
        links = [link.get("href") for link in release.get("links") or [] if isinstance(link, dict)]
        awards = [award for award in release.get("awards") or [] if isinstance(award, dict)]
        documents = list((release.get("tender") or {}).get("documents") or [])
        documents += [document for award in awards for document in award.get("documents") or []]
        urls = [document.get("url") for document in documents if isinstance(document, dict)]
        found = (web_address(url) for url in [*links, self.package_uri, *urls])
        return next((url for url in found if url), "")  # none: the item is dropped, as it can cite nothing

    def notice_url(self, release: dict) -> str | None:
        return notice_page(release)

    def notice_id(self, release: dict) -> str | None:
        return None


@dataclass
class IngestSummary:
    run_id: int
    files: int = 0
    releases: int = 0
    stored: int = 0
    unchanged: int = 0
    dropped: int = 0
    not_stored: int = 0
    errors: int = 0
    warnings: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    first_errors: list[str] = field(default_factory=list)
    first_warnings: list[str] = field(default_factory=list)

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.first_errors) < MESSAGES_KEPT:
            self.first_errors.append(message)
        logger.error("%s", message)

    def warning(self, message: str) -> None:
        self.warnings += 1
        if len(self.first_warnings) < MESSAGES_KEPT:
            self.first_warnings.append(message)
        logger.warning("%s", message)

    def lines(self) -> list[str]:
        rate = self.releases / self.seconds if self.seconds else 0
        count = lambda name: self.counts.get(name, 0)  # noqa: E731
        return [
            f"ingest: {self.releases} releases from {self.files} files in {self.seconds:.1f} s ({rate:.0f}/s), "
            f"crawl run {self.run_id}",
            f"  contracts  {count('contracts_new')} new, {count('contracts_updated')} updated",
            f"  items      {self.stored} stored, {self.unchanged} releases seen before, {self.dropped} dropped"
            + (f", {self.not_stored} not stored (database unavailable)" if self.not_stored else ""),
            f"  errors     {self.errors}, warnings {self.warnings}"
            + (" (see crawl_runs.error_summary and stats)" if self.errors or self.warnings else ""),
        ]


def other_publishers_warning(path: Path, publishers: Counter[str]) -> str:
    """One line per file for the releases of publishers no spider crawls (they are stored all the same)."""
    named = ", ".join(f"{name} ({count})" for name, count in publishers.most_common(5))
    more = f" and {len(publishers) - 5} more" if len(publishers) > 5 else ""
    return (
        f"{path}: {publishers.total()} releases of publishers no spider crawls, stored under the name their "
        f"package gives (else their ocid prefix): {named}{more}"
    )


class Ingest:
    """Reads files into the store in batches, keeping count on a `crawl_runs` row named `ingest`, which it
    updates every WATCHDOG_PROGRESS_INTERVAL seconds; ingests killed before they could close theirs are marked
    abandoned when the next one starts, as crawls are."""

    def __init__(self, database_url: str, settings, batch_size: int = 1000) -> None:
        self.store = Store(make_engine(database_url, settings.getfloat("WATCHDOG_SQLITE_BUSY_TIMEOUT")))
        self.portals = portals(settings)
        self.batch_size = batch_size
        self.pending: list[Piece] = []
        self.releases_by_file: Counter[Path] = Counter()
        self.kept_by_file: Counter[Path] = Counter()  # releases stored, or seen before
        self.progress_interval = settings.getfloat("WATCHDOG_PROGRESS_INTERVAL")
        self.last_report = time.monotonic()

    def run(
        self, paths: list[Path], progress: Callable[[IngestSummary], None] | None = None, show_progress: bool = False
    ) -> IngestSummary:
        """Ingest the files. `progress` is given the summary so far every 10,000 releases; with `show_progress`, a
        bar on standard error counts each file's releases instead."""
        started, started_at = time.monotonic(), utcnow()
        written_since = runs.catch_up_since(started_at, self.abandon_killed_ingests())
        summary = IngestSummary(self.store.start_run("ingest", {"files": [str(p) for p in paths]}))
        try:
            for path in paths:
                summary.files += 1
                releases_before = summary.releases
                other_publishers: Counter[str] = Counter()
                try:
                    pieces = pieces_in(path, lambda error: summary.error(str(error)))
                    for piece in releases_read(pieces, path, show_progress):
                        summary.releases += 1
                        self.releases_by_file[path] += 1
                        if self.known_portal(piece.release) is None:
                            other_publishers[OtherPublisher.of(piece).publisher] += 1
                        self.add(piece, summary)
                        if progress and not show_progress and summary.releases % 10_000 == 0:
                            summary.seconds = time.monotonic() - started
                            progress(summary)
                except UnreadableFile as error:
                    summary.error(f"{error}; the {summary.releases - releases_before} releases before it are kept")
                if other_publishers:
                    summary.warning(other_publishers_warning(path, other_publishers))
            self.flush(summary)
            for path, releases in self.releases_by_file.items():
                if not self.kept_by_file[path]:
                    summary.error(f"{path}: none of its {releases} releases could be stored (see the warnings)")
            if summary.stored:  # a load changes the statistics the planner goes by; marking releases seen does not
                self.store.analyze()
            summary.counts = dict(self.store.counts) | after_crawl(self.store.engine, since=written_since)
            search.refresh(self.store.engine, since=written_since)
        except BaseException as error:  # the run's record is closed, whatever stopped it
            interrupted = isinstance(error, KeyboardInterrupt)
            summary.error(f"ingest {'interrupted' if interrupted else 'stopped'}: {type(error).__name__}: {error}")
            self.finish(summary, "interrupted" if interrupted else "failed", type(error).__name__)
            raise
        summary.seconds = time.monotonic() - started
        self.finish(summary, "failed" if summary.errors else "finished", "finished")
        return summary

    def abandon_killed_ingests(self) -> list[runs.AbandonedRun]:
        silent_since = utcnow() - timedelta(seconds=SILENT_INTERVALS_ABANDONED * self.progress_interval)
        abandoned = runs.abandon_silent_runs(self.store.engine, "ingest", silent_since)
        for run in abandoned:
            logger.warning(
                "ingest run %d was left running, with no progress since %s (killed?): marked abandoned",
                run.id,
                run.last_heard_at.isoformat(timespec="seconds"),
            )
        return abandoned

    def report_progress(self, summary: IngestSummary) -> None:
        """Write the counts so far to the run's row, at most every progress interval."""
        if time.monotonic() - self.last_report < self.progress_interval:
            return
        self.last_report = time.monotonic()
        counts = {"items_stored": summary.stored, "items_dropped": summary.dropped}
        try:
            runs.record_progress(
                self.store.engine, summary.run_id, errors=summary.errors, warnings=summary.warnings, **counts
            )
        except SQLAlchemyError as error:  # the database busy or away: the next batch tries again
            logger.warning("could not record the ingest's progress: %s", database_reason(error))

    def finish(self, summary: IngestSummary, status: str, reason: str) -> None:
        runs.finish_run(
            self.store.engine,
            summary.run_id,
            status=status,
            finish_reason=reason,
            items_stored=summary.stored,
            items_dropped=summary.dropped,
            errors=summary.errors,
            warnings=summary.warnings,
            error_summary="\n".join(summary.first_errors) or None,
            stats={
                "releases": summary.releases,
                "unchanged": summary.unchanged,
                "files": summary.files,
                **summary.counts,
                "first_warnings": summary.first_warnings,
            },
        )

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
        items, piece_of_item = [], {}
        for piece in pieces:
            if piece.fingerprint in seen:
                self.kept_by_file[piece.path] += 1
                continue
            for item in self.valid_items(piece, summary):
                items.append(item)
                piece_of_item[id(item)] = piece
        rejected = self.store.write(items) if items else []
        dropped = {id(refusal.item) for refusal in rejected if not refusal.database_unavailable}
        kept = {id(piece_of_item[id(item)]): piece_of_item[id(item)] for item in items if id(item) not in dropped}
        for piece in kept.values():  # stored, or to be ingested again once the database can write
            self.kept_by_file[piece.path] += 1
        summary.stored += len(items) - len(rejected)
        not_stored = [refusal for refusal in rejected if refusal.database_unavailable]
        if not_stored:  # the database could not write at all: an error, and the file can be ingested again
            summary.not_stored += len(not_stored)
            summary.error(f"could not store {len(not_stored)} items: {not_stored[0].reason}")
        for refusal in rejected:
            if not refusal.database_unavailable:
                summary.dropped += 1
                logger.error("could not store %s: %s", refusal.item.ocid, refusal.reason)
        self.report_progress(summary)

    def known_portal(self, release: dict[str, Any]) -> Portal | None:
        """The spider that crawls the release's publisher, by its ocid prefix."""
        ocid = str(release.get("ocid", ""))
        return next((portal for prefix, portal in self.portals.items() if ocid.startswith(prefix)), None)

    def valid_items(self, piece: Piece, summary: IngestSummary) -> list[ContractItem]:
        """The release's items, mapped the same way whether a spider knows its publisher or not."""
        release = piece.release
        portal = self.known_portal(release) or OtherPublisher.of(piece)
        items = []
        try:
            mapped = list(contract_items(release, portal, portal.base_url, Fetch(), piece.fingerprint, summary.warning))
        except (AttributeError, TypeError, ValueError) as error:
            summary.error(f"release {release.get('id')} cannot be read ({error}); skipped")
            return []
        for item in mapped:
            try:
                item.validate()
            except InvalidItem as error:
                summary.dropped += 1
                logger.warning("release %s dropped: %s", release.get("id"), error)
                continue
            items.append(item)
        return items
