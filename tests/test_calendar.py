"""GET /api/v1/calendar (server/calendar.py): the bank holidays of England and Wales that the team's
devices keep for the statutory clocks' working days, from the `holidays` package, on a real server."""

from __future__ import annotations

from datetime import date

import httpx

from server.calendar import calendar
from tests.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL


def test_the_server_publishes_the_bank_holidays_unsigned_and_cacheable(server):
    answer = httpx.get(server.url + "/api/v1/calendar")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=86400"
    body = answer.json()
    assert body["region"] == "england-and-wales" and body["source"].startswith("holidays ")
    dates = [h["date"] for h in body["bank_holidays"]]
    assert dates == sorted(dates) and body["first"] <= dates[0] and dates[-1] <= body["last"]
    this_year = date.today().year
    assert body["first"] == f"{this_year - 1}-01-01" and body["last"] == f"{this_year + 2}-12-31"


def test_the_dates_are_england_s_and_wales_with_substitute_days():
    days = {h.date: h.name for h in calendar(date(2026, 6, 1)).bank_holidays}
    # Christmas 2026 is a Friday; Boxing Day a Saturday, so Monday 28 December is the substitute.
    assert {"2026-12-25", "2026-12-28", "2026-04-03", "2026-04-06", "2026-08-31"} <= set(days)
    assert "2026-03-17" not in days  # St Patrick's Day: Northern Ireland only
    assert "2026-11-30" not in days  # St Andrew's Day: Scotland only
    assert "2026-08-03" not in days  # Scotland's summer bank holiday
    assert len([d for d in days if d.startswith("2026-")]) == 9
