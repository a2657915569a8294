"""Periods of a view and what each is compared with.

Calendar periods (week, month, quarter, year) follow the calendar of China Standard Time; rolling
windows (last7, last30, last12m) end today; a custom range is any run of whole days. Spans are
half-open runs of whole days ``[start, end)``.

The comparison rule (SPEC §8, docs/metrics.md):
- a period still running is compared with the same elapsed span of the period before
  (1–15 December with 1–15 November; Monday–Tuesday with last Monday–Tuesday; a month's 31st with
  the shorter month's last day);
- a finished period with the whole period before;
- a rolling window with the window of equal length just before it;
- a custom range with the block of equal length just before it.

The figures of a span are taken as of its end: ``until`` is the end instant (now, for a span that
is still running), and the comparison's ``until`` is the corresponding instant of its span.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cockpit.clock import midnight

CALENDAR = ("week", "month", "quarter", "year")
ROLLING = ("last7", "last30", "last12m")
PERIODS = ROLLING + CALENDAR + ("custom",)
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_ROLLING_DAYS = {"last7": 7, "last30": 30}


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole months, its day clamped to the target month's length (31 March − 1 → 28/29 February)."""
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def calendar_range(period: str, day: date) -> tuple[date, date]:
    """The whole calendar period containing ``day``, as [start, end)."""
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if period in _MONTHS:
        first_month = {"month": day.month, "quarter": (day.month - 1) // 3 * 3 + 1, "year": 1}[period]
        start = date(day.year, first_month, 1)
        return start, add_months(start, _MONTHS[period])
    raise ValueError(f"not a calendar period: {period!r}")


def rolling_range(period: str, today: date) -> tuple[date, date]:
    """The rolling window that ends with ``today`` (today included), as [start, end)."""
    end = today + timedelta(days=1)
    if period in _ROLLING_DAYS:
        return end - timedelta(days=_ROLLING_DAYS[period]), end
    if period == "last12m":
        return add_months(end, -12), end
    raise ValueError(f"not a rolling period: {period!r}")


@dataclass(frozen=True)
class Span:
    """The days of a view ``[start, end)``, the instant its figures are taken at, and how it came to be.

    ``full_end``: the end of the whole period (after ``end`` while a calendar period is running).
    """

    period: str
    start: date
    end: date
    until: datetime
    full_end: date

    @property
    def running(self) -> bool:
        return self.end < self.full_end or self.until < midnight(self.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def current_span(period: str, now: datetime, *, start: date | None = None, end: date | None = None) -> Span:
    """The span of ``period`` as of ``now`` (``custom``: the days ``start`` to ``end`` exclusive).

    A running calendar period ends with today; figures are taken at ``now`` when the span reaches it,
    else at the span's end. ``until`` is kept to the minute, so a span is the same for a minute."""
    today = now.date()
    at = now.replace(second=0, microsecond=0)
    if period == "custom":
        if start is None or end is None or end <= start:
            raise ValueError("a custom span needs start < end")
        first, last, full = start, end, end
    elif period in ROLLING:
        first, last = rolling_range(period, today)
        full = last
    elif period in CALENDAR:
        first, full = calendar_range(period, today)
        last = min(full, today + timedelta(days=1)) if first <= today else full
    else:
        raise ValueError(f"unknown period {period!r}")
    until = min(at, midnight(last))
    return Span(period, first, last, until, full)


def previous_span(span: Span) -> Span:
    """What ``span`` is compared with (the rule in the module docstring)."""
    if span.period in CALENDAR:
        if span.period == "week":
            p_start, p_full = span.start - timedelta(days=7), span.start
        else:
            p_start, p_full = add_months(span.start, -_MONTHS[span.period]), span.start
        if not span.running:
            p_end = p_full
        elif span.period == "week":
            p_end = span.end - timedelta(days=7)
        else:  # the same day of the month (quarter, year) before; a shorter month's last day at most
            p_end = min(add_months(span.end - timedelta(days=1), -_MONTHS[span.period]) + timedelta(days=1), p_full)
    else:  # rolling window or custom range: the block of equal length just before
        p_start, p_end = span.start - (span.end - span.start), span.start
        p_full = p_end
    # the same time of its last day as ``span`` has reached on its own (the whole day when finished)
    into_last_day = span.until - midnight(span.end - timedelta(days=1))
    until = min(midnight(p_end - timedelta(days=1)) + into_last_day, midnight(p_end))
    return Span(span.period, p_start, p_end, until, p_full)


def comparison_key(span: Span) -> str:
    """The catalogue key that says what ``span`` is compared with ("较上月同期", "较前30天" …)."""
    if span.period in CALENDAR:
        return f"compare.{span.period}" + ("_to_date" if span.running else "")
    if span.period in ROLLING:
        return f"compare.{span.period}"
    return "compare.custom"


def parse_named(text: str) -> tuple[str, date, date]:
    """A calendar period written by name: ``2026-W47`` (an ISO week), ``2026-11`` (a month),
    ``2026-Q4`` (a quarter); returns (week | month | quarter, first day, day after the last)."""
    t = (text or "").strip().upper()
    try:
        if "-W" in t:
            year, week = t.split("-W")
            start = date.fromisocalendar(int(year), int(week), 1)
            return "week", start, start + timedelta(days=7)
        if "-Q" in t:
            year, quarter = t.split("-Q")
            if not 1 <= int(quarter) <= 4:
                raise ValueError
            start = date(int(year), (int(quarter) - 1) * 3 + 1, 1)
            return "quarter", start, add_months(start, 3)
        year, month = t.split("-")
        start = date(int(year), int(month), 1)
        return "month", start, add_months(start, 1)
    except ValueError:
        raise ValueError(f"not a period: {text!r} (write a week 2026-W47, a month 2026-11 or a quarter 2026-Q4)") from None


def period_name(period: str, start: date) -> str:
    """The name ``parse_named`` reads for the calendar period starting at ``start``."""
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if period == "month":
        return f"{start.year}-{start.month:02d}"
    raise ValueError(f"no name for a {period!r} period")
