"""The bank holidays of England and Wales, for the statutory clocks' working days (docs/protocol.md,
"The calendar"). They come from the `holidays` package, which tracks the Government's announcements
(substitute days, a coronation, a jubilee) release by release, instead of a list typed by hand here.
England and Wales share one set (Scotland and Northern Ireland differ; Lantern's sources are English
policies). Public data: devices fetch it once and keep it for offline use."""

from __future__ import annotations

from datetime import date

import holidays

from sync.wire import BankHoliday, Calendar

REGION = "england-and-wales"
# The year before (a case opened last December), this year and the two after.
YEARS_BEFORE, YEARS_AFTER = 1, 2


def calendar(today: date | None = None) -> Calendar:
    year = (today or date.today()).year
    years = list(range(year - YEARS_BEFORE, year + YEARS_AFTER + 1))
    days = holidays.country_holidays("GB", subdiv="ENG", years=years)
    return Calendar(
        region=REGION,
        first=date(years[0], 1, 1).isoformat(),
        last=date(years[-1], 12, 31).isoformat(),
        bank_holidays=[BankHoliday(date=d.isoformat(), name=name) for d, name in sorted(days.items())],
        source=f"holidays {holidays.__version__}",
    )
