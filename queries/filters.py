"""Screen filters: period, village, grid, category, indicator — parsed from a URL query string.

A bad value never breaks a page: it falls back to the default and is reported by parameter name,
so the page can show a notice ("参数 period 无效，已使用默认值").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping

from cockpit.periods import PERIODS, Span, comparison_key, current_span, previous_span
from cockpit.reference import BOARDS, CATEGORIES, INDICATORS

_AREA_RE = re.compile(r"^\d{6,20}$")
_MAX_CUSTOM_DAYS = 3 * 366


@dataclass(frozen=True)
class Filters:
    """A resolved view: the days ``[start, end)`` (a running period: up to today), the instant its
    figures are taken at (``until``) and the optional narrowing filters."""

    period: str
    start: date
    end: date  # exclusive
    board: str | None = None
    village: str | None = None
    grid: str | None = None
    category: str | None = None
    indicator: str | None = None
    until: datetime | None = None  # None: the end of the last day
    full_end: date | None = None  # the end of the whole period (after ``end`` while it runs)

    @property
    def area(self) -> str | None:
        """The narrowest area selected (grid, else village), or None for the whole township."""
        return self.grid or self.village

    @property
    def span(self) -> Span:
        return Span(self.period, self.start, self.end, self.as_of, self.full_end or self.end)

    @property
    def as_of(self) -> datetime:
        """The instant the view's figures are taken at: now for a running period, else its end."""
        return self.until or datetime.combine(self.end, datetime.min.time())

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def running(self) -> bool:
        return self.span.running

    @property
    def compare_key(self) -> str:
        """Catalogue key of what the view is compared with ("较上月同期" …)."""
        return comparison_key(self.span)

    def previous(self) -> "Filters":
        """The same filters over what this view is compared with (``cockpit.periods.previous_span``)."""
        p = previous_span(self.span)
        return replace(self, start=p.start, end=p.end, until=p.until, full_end=p.full_end)

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


def filters_for(period: str, now: datetime, *, start: date | None = None, end: date | None = None,
                **narrowing: str | None) -> Filters:
    """The filters of ``period`` as of ``now`` (``custom``: the days ``start`` to ``end`` exclusive)."""
    sp = current_span(period, now, start=start, end=end)
    return Filters(period, sp.start, sp.end, until=sp.until, full_end=sp.full_end, **narrowing)


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def url_choice(query: Mapping[str, str | None], name: str, allowed: Iterable[str], bad: list[str]) -> str | None:
    """``query[name]`` if it is one of ``allowed``; None if absent; None and ``name`` added to ``bad``
    if it is something else."""
    value = query.get(name)
    if not value:
        return None
    if value not in allowed:
        bad.append(name)
        return None
    return value


def optional_span(query: Mapping[str, str | None], now: datetime,
                  bad: list[str]) -> tuple[str | None, date | None, date | None, datetime | None]:
    """An optional ``period`` of the URL (with ``start``/``end`` for a custom one, the end day
    included): (period, first day, end day exclusive, the instant its figures are taken at), all None
    without a period or with a broken custom range (its parameters added to ``bad``)."""
    period = url_choice(query, "period", PERIODS, bad)
    if period == "custom":
        first, last = _parse_date(query.get("start")), _parse_date(query.get("end"))
        if first is None:
            bad.append("start")
        if last is None or (first and (last < first or (last - first).days > _MAX_CUSTOM_DAYS)):
            bad.append("end")
            last = None
        if not (first and last):
            return None, None, None, None
        span = current_span("custom", now, start=first, end=last + timedelta(days=1))
    elif period:
        span = current_span(period, now)
    else:
        return None, None, None, None
    return period, span.start, span.end, span.until


def parse_filters(query: Mapping[str, str | None], now: datetime, *, default_period: str = "month",
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
    sp = current_span(period, now, start=start, end=end)

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
    return Filters(period, sp.start, sp.end, b, village, grid, category, indicator, until=sp.until,
                   full_end=sp.full_end), bad
