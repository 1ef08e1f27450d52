"""A small web site on 127.0.0.1: fixed pages by path, with ETag answers to conditional GET."""

from __future__ import annotations

from dataclasses import dataclass, field

from local_server import LocalServer


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None


@dataclass
class StaticSite(LocalServer):
    pages: dict[str, Page] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, If-None-Match)

    def __post_init__(self) -> None:
        LocalServer.__init__(self)

    def answer(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:
        asked = headers.get("If-None-Match")
        self.requests.append((path, asked))
        page = self.pages.get(path, Page(b"not found", "text/plain", 404))
        if page.etag and asked == page.etag:
            return 304, {"ETag": page.etag}, b""
        return page.status, {"Content-Type": page.content_type, **({"ETag": page.etag} if page.etag else {})}, page.body
