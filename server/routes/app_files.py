"""The app's own files: GET or HEAD of any path that is not the API (server/static.py)."""

from __future__ import annotations

from litestar import Request, Response, route
from litestar.datastructures import State
from litestar.enums import HttpMethod

from server import static
from server.errors import Refused


@route(["/", "/{path:path}"], http_method=[HttpMethod.GET, HttpMethod.HEAD], include_in_schema=False, sync_to_thread=False)
def app_file(request: Request, state: State) -> Response:
    """A file of pwa/, compressed when the client accepts it; 304 when it holds this version already."""
    asset = state.assets.find(request.url.path)
    if asset is None:
        raise Refused("not_found", "no such file")
    # no-cache: a browser may keep a file but asks each time whether it is current, so a new version
    # of the app is never hidden behind an old one; the answer is a 304 of a few bytes when it is.
    headers = {"etag": asset.etag, "cache-control": "no-cache", "vary": "accept-encoding"}
    if static.not_modified(asset, request.headers.get("if-none-match", "")):
        return Response(content=b"", status_code=304, headers=headers)
    coding = static.coding_for(asset, request.headers.get("accept-encoding", ""))
    if coding != "identity":
        headers["content-encoding"] = coding
    return Response(content=asset.bodies[coding], media_type=asset.content_type, headers=headers)
