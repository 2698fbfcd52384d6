from __future__ import annotations

from litestar import Response, get

from server import calendar as bank_holidays
from server.routes.errors import error_responses
from sync.wire import Calendar


@get("/api/v1/calendar", sync_to_thread=False, tags=["calendar"], responses=error_responses(500))
def calendar() -> Response[Calendar]:
    """The bank holidays of England and Wales for the working-day clocks: public, unsigned, the same
    for every school; devices keep it for offline use, and may cache it for a day."""
    return Response(bank_holidays.calendar(), headers={"Cache-Control": "public, max-age=86400"})
