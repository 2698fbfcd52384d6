"""Why Lantern refuses: `Refused(code)`, raised by domain code and the admin CLI alike, and the one table
of codes to HTTP statuses, which docs/api.md mirrors (tests/test_docs.py checks). How a refusal leaves
as a response is server/routes/errors.py's business, so that the CLI never imports the web framework.
"""

from __future__ import annotations

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
    "headers_too_large": 431,
    "request_timeout": 408,
    "unsupported_media_type": 415,
    "too_many_reminders": 409,
    "rate_limited": 429,
    "http_error": 400,
    "internal_error": 500,
    "database_unavailable": 503,
    "storage_full": 507,
}


class Refused(Exception):
    """A request Lantern will not carry out. Nothing was written."""

    def __init__(self, code: str, detail: str = "") -> None:
        assert code in STATUS, code
        super().__init__(code)
        self.code = code
        self.detail = detail
