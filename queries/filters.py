"""Screen filters: period, village, grid, category, indicator — parsed from a URL query string.

A bad value never breaks a page: it falls back to the default and is reported by parameter name,
so the page can show a notice ("参数 period 无效，已使用默认值").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Mapping

from cockpit.reference import BOARDS, CATEGORIES, INDICATORS

PERIODS = ("week", "month", "quarter", "year", "custom")
_AREA_RE = re.compile(r"^\d{6,20}$")
_MAX_CUSTOM_DAYS = 3 * 366


@dataclass(frozen=True)
class Filters:
    """A resolved view: the half-open date range [start, end) and the optional narrowing filters."""

    period: str
    start: date
    end: date  # exclusive
    board: str | None = None
    village: str | None = None
    grid: str | None = None
    category: str | None = None
    indicator: str | None = None

    @property
    def area(self) -> str | None:
        """The narrowest area selected (grid, else village), or None for the whole township."""
        return self.grid or self.village

    def previous(self) -> "Filters":
        """The same filters over the period just before this one (same length; calendar-aligned)."""
        start, end = previous_range(self.period, self.start, self.end)
        return replace(self, start=start, end=end)

    def to_query(self) -> dict[str, str]:
        """The URL query parameters that reproduce these filters."""
        q: dict[str, str] = {"period": self.period}
        if self.period == "custom":
            q["start"] = self.start.isoformat()
            q["end"] = (self.end - timedelta(days=1)).isoformat()
        for key in ("board", "village", "grid", "category", "indicator"):
            value = getattr(self, key)
            if value:
                q[key] = value
        return q


def period_range(period: str, today: date) -> tuple[date, date]:
    """The current (calendar) period containing ``today``, as [start, end)."""
    if period == "week":
        start = today - timedelta(days=today.weekday())
        return start, start + timedelta(days=7)
    if period == "month":
        start = today.replace(day=1)
        return start, _add_months(start, 1)
    if period == "quarter":
        start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        return start, _add_months(start, 3)
    if period == "year":
        start = today.replace(month=1, day=1)
        return start, start.replace(year=start.year + 1)
    raise ValueError(f"unknown period {period!r}")


def previous_range(period: str, start: date, end: date) -> tuple[date, date]:
    if period == "week":
        return start - timedelta(days=7), start
    if period in ("month", "quarter", "year"):
        months = {"month": 1, "quarter": 3, "year": 12}[period]
        return _add_months(start, -months), start
    return start - (end - start), start


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return d.replace(year=d.year + m // 12, month=m % 12 + 1, day=1)


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_filters(query: Mapping[str, str | None], today: date, *, default_period: str = "month",
                  board: str | None = None) -> tuple[Filters, list[str]]:
    """Filters from URL parameters; returns (filters, names of parameters that were invalid and ignored)."""
    bad: list[str] = []
    period = query.get("period") or default_period
    if period not in PERIODS:
        bad.append("period")
        period = default_period
    start = end = None
    if period == "custom":
        first, last = _parse_date(query.get("start")), _parse_date(query.get("end"))
        if first is None:
            bad.append("start")
        if last is None:
            bad.append("end")
        if first and last and (last < first or (last - first).days > _MAX_CUSTOM_DAYS):
            bad.append("end")
            last = None
        if first and last:
            start, end = first, last + timedelta(days=1)
        else:
            period = default_period
    if start is None:
        start, end = period_range(period, today)

    b = query.get("board") or board
    if b is not None and b not in BOARDS:
        bad.append("board")
        b = board if board in BOARDS else None

    def code(name: str, valid) -> str | None:  # noqa: ANN001
        value = query.get(name)
        if not value:
            return None
        if not valid(value):
            bad.append(name)
            return None
        return value

    village = code("village", lambda v: bool(_AREA_RE.match(v)))
    grid = code("grid", lambda v: bool(_AREA_RE.match(v)) and (village is None or v.startswith(village)))
    category = code("category", lambda v: any(c.code == v and (b is None or c.board == b) for c in CATEGORIES))
    indicator = code("indicator", lambda v: any(i.code == v and (b is None or i.board == b) for i in INDICATORS))
    return Filters(period, start, end, b, village, grid, category, indicator), bad
