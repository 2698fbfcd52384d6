"""The app's own files (pwa/), served compressed and revalidated, by Lantern itself.

The embedded default has no proxy in front of it, so what a proxy would do is done here, once per file
version, not per request: each file is read, its scripts' whole-line comments emptied (`as_served`),
hashed (its ETag) and compressed with Brotli and gzip when it first is asked for, and again only when
it changes on disk. A request whose If-None-Match names the
current ETag gets 304 and no body, which is what lets the service worker revalidate its whole shell at
install (`cache: "no-cache"`, pwa/sw.js) instead of downloading every file a second time. Litestar's
static files router answers neither conditional requests nor from precompressed bodies.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

import brotli

# Litestar adds "; charset=utf-8" to text types itself.
TYPES = {".js": "text/javascript", ".webmanifest": "application/manifest+json", ".html": "text/html",
         ".css": "text/css", ".svg": "image/svg+xml", ".json": "application/json"}
# Already compressed, or too small to gain: sent as they are.
NOT_COMPRESSED = {".png", ".jpg", ".webp", ".woff2"}
MIN_COMPRESSED = 500


@dataclass(frozen=True)
class Asset:
    stamp: tuple[int, int]  # (mtime_ns, size) of the file it was made from
    etag: str
    content_type: str
    bodies: dict[str, bytes]  # content-coding ("identity", "br", "gzip") -> body


class Assets:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._held: dict[Path, Asset] = {}
        self._lock = threading.Lock()

    def find(self, url_path: str) -> Asset | None:
        """The file a URL path names, "/" being index.html; None outside the folder or for no file."""
        relative = url_path.lstrip("/") or "index.html"
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        held = self._held.get(path)
        if held is None or held.stamp != stamp:
            held = _asset(path, stamp)
            with self._lock:
                self._held[path] = held
        return held


def as_served(path: Path, data: bytes) -> bytes:
    """What is sent of a file: a script with each whole-line comment emptied, left as an empty line so
    that a stack trace's line numbers are the source's. The comments are for the people who read the
    code; they were a quarter of what every device downloaded on its first visit (docs/performance.md).
    tests/test_static.py checks that no such line is inside a template literal, the one place where a
    line starting with // is not a comment."""
    if path.suffix.lower() != ".js":
        return data
    return b"\n".join(b"" if line.lstrip().startswith(b"//") else line for line in data.split(b"\n"))


def _asset(path: Path, stamp: tuple[int, int]) -> Asset:
    data = as_served(path, path.read_bytes())
    suffix = path.suffix.lower()
    bodies = {"identity": data}
    if suffix not in NOT_COMPRESSED and len(data) >= MIN_COMPRESSED:
        bodies["br"] = brotli.compress(data, quality=11)
        bodies["gzip"] = gzip.compress(data, compresslevel=9, mtime=0)
    content_type = TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Asset(stamp, '"' + hashlib.sha256(data).hexdigest()[:16] + '"', content_type, bodies)


def coding_for(asset: Asset, accept_encoding: str) -> str:
    """The smallest coding the client accepts (q=0 refuses one), else the file as it is."""
    accepted = set()
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        if params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            accepted.add(name.strip())
    for coding in ("br", "gzip"):
        if coding in asset.bodies and (coding in accepted or "*" in accepted):
            return coding
    return "identity"


def not_modified(asset: Asset, if_none_match: str) -> bool:
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return asset.etag in tags or "*" in tags
