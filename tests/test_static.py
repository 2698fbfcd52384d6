"""The app's own files (server/static.py) from a real server: compressed as the client accepts,
revalidated with 304, never outside pwa/; and the cache of a file follows the file on disk."""

from __future__ import annotations

import gzip
import socket
import time
from pathlib import Path

import brotli
import httpx

from server import static

ROOT = Path(__file__).resolve().parent.parent
APP_JS = static.as_served(ROOT / "pwa" / "app.js", (ROOT / "pwa" / "app.js").read_bytes())


def get(server, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    with httpx.Client(base_url=server.url) as http, http.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def test_each_file_is_sent_in_the_smallest_coding_the_client_takes(server):
    answer, raw = get(server, "/app.js", **{"accept-encoding": "gzip, deflate, br"})
    assert answer.headers["content-encoding"] == "br" and brotli.decompress(raw) == APP_JS
    answer, raw = get(server, "/app.js", **{"accept-encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip" and gzip.decompress(raw) == APP_JS
    answer, raw = get(server, "/app.js", **{"accept-encoding": "br;q=0, gzip;q=0"})
    assert "content-encoding" not in answer.headers and raw == APP_JS
    answer, raw = get(server, "/app.js", **{"accept-encoding": "identity"})
    assert "content-encoding" not in answer.headers and raw == APP_JS
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8" and answer.headers["vary"] == "accept-encoding"
    answer, raw = get(server, "/icons/icon-192.png", **{"accept-encoding": "br"})  # a PNG is compressed already
    assert "content-encoding" not in answer.headers and raw == (ROOT / "pwa" / "icons" / "icon-192.png").read_bytes()
    answer, _ = get(server, "/manifest.webmanifest")
    assert answer.headers["content-type"] == "application/manifest+json"
    answer, raw = get(server, "/", **{"accept-encoding": "identity"})
    assert raw == (ROOT / "pwa" / "index.html").read_bytes() and "server" not in answer.headers


def test_scripts_are_served_without_their_comment_lines_and_nothing_else_changes():
    source = (ROOT / "pwa" / "app.js").read_bytes()
    lines, served = source.split(b"\n"), APP_JS.split(b"\n")
    assert len(served) == len(lines) and len(APP_JS) < len(source)  # the same line numbers, fewer bytes
    for before, after in zip(lines, served):
        assert after == (b"" if before.lstrip().startswith(b"//") else before)
    css = ROOT / "pwa" / "styles.css"
    assert static.as_served(css, css.read_bytes()) == css.read_bytes()


def test_no_line_a_script_is_served_without_is_inside_a_template_literal():
    """The one place a line starting with // would not be a comment: a template literal, the only
    string that spans lines. Each script's backticks are counted, outside comments and other strings,
    up to every line that as_served empties."""
    for path in sorted((ROOT / "pwa").rglob("*.js")):
        inside = False
        for number, line in enumerate(path.read_text().split("\n"), 1):
            if line.lstrip().startswith("//"):
                assert not inside, f"{path.relative_to(ROOT)}:{number} is inside a template literal"
                continue
            inside = _template_open_after(line, inside)
        assert not inside, f"{path.relative_to(ROOT)}: a template literal is never closed"


def _template_open_after(line: str, inside: bool) -> bool:
    """Whether a template literal is open at the end of `line`, given whether one was at its start."""
    quote, i = None, 0
    while i < len(line):
        c = line[i]
        if inside:
            if c == "\\":
                i += 1
            elif c == "`":
                inside = False
        elif quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "`":
            inside = True
        elif line.startswith("//", i):
            break
        i += 1
    return inside


def test_a_file_the_client_holds_is_answered_304_with_no_body(server):
    first, _ = get(server, "/app.js")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    again, raw = get(server, "/app.js", **{"if-none-match": etag})
    assert (again.status_code, raw, again.headers["etag"]) == (304, b"", etag)
    other, raw = get(server, "/app.js", **{"if-none-match": '"0000000000000000"'})
    assert other.status_code == 200 and raw
    head = httpx.head(server.url + "/app.js")
    assert head.status_code == 200 and head.headers["etag"] == etag and head.content == b""


def test_nothing_outside_the_app_folder_is_served(server):
    for path in ("/../server/app.py", "/%2e%2e/server/app.py", "/icons/../../pyproject.toml", "/nope.js"):
        with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1]))) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 404"), (path, answer[:80])
        assert b"[project]" not in answer and b"create_app" not in answer


def test_a_file_changed_on_disk_is_read_again(tmp_path):
    (tmp_path / "a.js").write_text("export const a = 1;\n" * 100)
    assets = static.Assets(tmp_path)
    first = assets.find("/a.js")
    assert assets.find("/a.js") is first  # held while unchanged
    time.sleep(0.01)
    (tmp_path / "a.js").write_text("export const a = 2;\n" * 100)
    second = assets.find("/a.js")
    assert second.etag != first.etag and second.bodies["identity"].startswith(b"export const a = 2")
    assert brotli.decompress(second.bodies["br"]) == second.bodies["identity"]
    assert assets.find("/missing.js") is None and assets.find("/../a.js") is None
