"""Every error leaves as a 4xx or 5xx with a machine-readable body: {"error": "<code>", "detail": "..."}.

The status of a `Refused` comes from server/errors.py's table. Nothing here echoes a request body, a
key or a token, and no stack trace ever reaches a client.
"""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from server.errors import STATUS, Refused
from sync.wire import Error

log = logging.getLogger("lantern")


def _response(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    return Response(Error(error=code, detail=detail), status_code=status, media_type=MediaType.JSON, headers=headers)


_GENERIC = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


def on_refused(_: Request, exc: Refused) -> Response:
    headers = {"Retry-After": "60"} if exc.code == "rate_limited" else None
    return _response(STATUS[exc.code], exc.code, exc.detail, headers)


def on_validation_error(_: Request, exc: ValidationException) -> Response:
    # msgspec's messages name the rule broken and where ("Expected `int` - at `$.seq`"), never
    # the value sent, so they are safe to return and to log.
    problems = "; ".join(str(e.get("message", "")) for e in exc.extra or [] if isinstance(e, dict))
    return _response(400, "invalid_request", problems or exc.detail)


def on_http_error(_: Request, exc: HTTPException) -> Response:
    code = _GENERIC.get(exc.status_code, "http_error")
    status = exc.status_code if exc.status_code < 500 else 500
    return _response(status, code, exc.detail if status < 500 else "")


def on_too_deep(_: Request, exc: RecursionError) -> Response:
    # A body nested deeper than any Lantern message (ours are a few levels) exhausts the decoder's
    # recursion; it is the client's to fix, and says nothing about the server.
    return _response(400, "invalid_request", "the body is nested too deeply")


def on_unexpected_error(request: Request, exc: Exception) -> Response:
    # The type and the route's template only: an exception's message can quote the data that caused
    # it, and a path can hold a record's or a device's id.
    log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.scope.get("path_template", "unmatched"))
    return _response(500, "internal_error", "")


EXCEPTION_HANDLERS = {
    Refused: on_refused,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    RecursionError: on_too_deep,
    Exception: on_unexpected_error,
}


def error_responses(*statuses: int) -> dict:
    """The OpenAPI description of a route's refusals: the Error body, and which codes each status carries."""
    from litestar.openapi.datastructures import ResponseSpec

    return {
        status: ResponseSpec(
            Error,
            generate_examples=False,
            description="Refused: " + ", ".join(f"`{c}`" for c, s in STATUS.items() if s == status) + " (docs/api.md)",
        )
        for status in statuses
    }
