"""A stand-in for a portal's search API on 127.0.0.1, answering from a script of recorded responses.

Each (window start, cursor) has a queue of replies: faults first, then the page. Once a queue is down to
its last reply, that reply is served again, so a second crawl of the window sees the same page.
Anything not scripted gets the releases published (`publish`) within the window asked, in one page; paths
other than the API's get a 404. `before_reply`, when set, is called with each search request's query first:
a test holds a request there, or does something to the database while the crawl waits.
"""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from local_server import LocalServer

FIXTURES = Path(__file__).parent / "fixtures"
REALDATA = FIXTURES / "realdata"  # real OCDS data, copied as published (PROVENANCE.md)
JSON = {"Content-Type": "application/json; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def fixture(name: str) -> dict:
    return json.loads((REALDATA / name).read_text(encoding="utf-8"))


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))


CF_RATE_LIMIT = Reply(
    403,
    b"<html><body><h1>403 Forbidden</h1><p>Your request rate limit may have been exceeded. "
    b"Please make no further requests until after 5 minutes.</p></body></html>",
    dict(HTML),
)
SERVER_ERROR = Reply(500, b"<html><body>Internal Server Error</body></html>", dict(HTML))
HTML_WITH_200 = Reply(200, b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>", dict(HTML))


def too_many_requests(retry_after: str | None = None) -> Reply:
    headers = {"Content-Type": "text/plain"} | ({"Retry-After": retry_after} if retry_after else {})
    return Reply(429, b"12 request limit in 2 minute exceeded", headers)


class FakePortal(LocalServer):
    def __init__(
        self, live_url: str, search_path: str, from_parameter: str, envelope: dict, until_parameter: str = ""
    ) -> None:
        self.live_url, self.search_path = live_url, search_path
        self.from_parameter, self.until_parameter = from_parameter, until_parameter
        self.envelope = {k: v for k, v in envelope.items() if k not in ("releases", "links")}
        self.script: dict[tuple[str, str | None], deque[Reply]] = {}
        self.published: list[tuple[str, list[dict]]] = []
        self.requests: list[dict[str, str]] = []
        self.before_reply: Callable[[dict[str, str]], None] | None = None
        super().__init__()

    def page(self, releases: list[dict], window_from: str, cursor: str | None = None) -> Reply:
        """A release package as the live API writes it, its next link pointing at the live site."""
        package = copy.deepcopy(self.envelope) | {"releases": releases}
        if cursor:
            query = urlencode({self.from_parameter: window_from, "limit": 100, "cursor": cursor})
            package["links"] = {"next": f"{self.live_url}{self.search_path}?{query}"}
        return Reply(200, json.dumps(package).encode())

    def add(self, window_from: str, cursor: str | None, *replies: Reply) -> None:
        self.script[(window_from, cursor)] = deque(replies)

    def publish(self, moment: str, releases: list[dict]) -> None:
        """Releases the API lists in any window (from inclusive, until exclusive) that holds `moment`."""
        self.published.append((moment, releases))

    def reply_to(self, path: str, query: dict[str, str]) -> Reply:
        if path != self.search_path:
            return Reply(404, b"not found", {"Content-Type": "text/plain"})
        window_from, window_until = query.get(self.from_parameter, ""), query.get(self.until_parameter, "")
        queue = self.script.get((window_from, query.get("cursor")))
        if not queue:
            listed = [r for at, releases in self.published if window_from <= at < window_until for r in releases]
            return self.page(listed, window_from)
        return queue.popleft() if len(queue) > 1 else queue[0]

    def answer(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == self.search_path:
            self.requests.append(query)
            if self.before_reply:
                self.before_reply(query)
        reply = self.reply_to(parts.path, query)
        return reply.status, reply.headers, reply.body
