"""Every error leaves as a 4xx with a machine-readable body: {"error": "<code>", "detail": "..."}.

The codes are documented in docs/api.md. Nothing here echoes a request body, a key or a token, and
no stack trace ever reaches a client.
"""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from sync.wire import Error

log = logging.getLogger("lantern")


class ApiError(HTTPException):
    """A refusal with a stable code that clients can act on."""

    def __init__(self, status_code: int, code: str, detail: str = "") -> None:
        super().__init__(status_code=status_code, detail=detail)
        self.code = code


def _response(status: int, code: str, detail: str) -> Response:
    return Response(Error(error=code, detail=detail), status_code=status, media_type=MediaType.JSON)


_GENERIC_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def on_api_error(_: Request, exc: ApiError) -> Response:
    return _response(exc.status_code, exc.code, exc.detail)


def on_validation_error(_: Request, exc: ValidationException) -> Response:
    # msgspec's messages name the rule broken and where ("Expected `int` - at `$.seq`"), never
    # the value sent, so they are safe to return and to log.
    problems = "; ".join(str(e.get("message", "")) for e in exc.extra or [] if isinstance(e, dict))
    return _response(400, "invalid_request", problems or exc.detail)


def on_http_error(_: Request, exc: HTTPException) -> Response:
    code = _GENERIC_CODES.get(exc.status_code, "http_error")
    return _response(exc.status_code, code, exc.detail if exc.status_code < 500 else "")


def on_unexpected_error(request: Request, exc: Exception) -> Response:
    # The type and route only: an exception's message can quote the data that caused it.
    log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return _response(500, "internal_error", "")


EXCEPTION_HANDLERS = {
    ApiError: on_api_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected_error,
}
