"""Every error leaves as a 4xx with a machine-readable body: {"error": "<code>", "detail": "..."}.

Domain code raises `Refused(code)`; the HTTP status comes from one table, which docs/api.md mirrors
(tests/test_docs.py checks). Nothing here echoes a request body, a key or a token, and no stack trace
ever reaches a client.
"""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from sync.wire import Error

log = logging.getLogger("lantern")

STATUS = {
    # Requests the client must fix.
    "bad_request": 400,
    "invalid_request": 400,
    "invalid_envelope": 400,
    "invalid_key": 400,
    "invalid_proof": 400,
    "enrolment_code_invalid": 400,
    "invalid_subscription": 400,
    # Authentication of a device's request.
    "unauthenticated": 401,
    "unknown_device": 401,
    "stale_request": 401,
    "replayed_request": 401,
    "bad_request_signature": 401,
    "device_revoked": 403,
    # What an authenticated device may not do.
    "not_your_envelope": 403,
    "wrong_school": 403,
    "not_a_recipient": 403,
    "not_team": 403,
    "not_dsl": 403,
    "not_found": 404,
    "no_demo_school": 404,
    "no_keyring": 404,
    "no_roster": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "enrolment_code_used": 409,
    "roster_outdated": 409,
    "enrolment_code_expired": 410,
    "too_large": 413,
    "unsupported_media_type": 415,
    "too_many_reminders": 409,
    "rate_limited": 429,
    "http_error": 400,
    "internal_error": 500,
    "database_unavailable": 503,
}


class Refused(Exception):
    """A request Lantern will not carry out. Nothing was written."""

    def __init__(self, code: str, detail: str = "") -> None:
        assert code in STATUS, code
        super().__init__(code)
        self.code = code
        self.detail = detail


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


def on_unexpected_error(request: Request, exc: Exception) -> Response:
    # The type and route only: an exception's message can quote the data that caused it.
    log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return _response(500, "internal_error", "")


EXCEPTION_HANDLERS = {
    Refused: on_refused,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
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
