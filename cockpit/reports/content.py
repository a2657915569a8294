"""What the weekly meeting report (周例会报告, SPEC §11) says about one ISO week and one township,
gathered from the read side (``queries/``) into plain dicts and frames; no rendering here.

Every number is a query function's, called with the filters the screens use, so the PDF carries
the screens' numbers:
- each board's KPIs: ``queries.kpis.board_kpis`` over the week (period ``week``: a finished week is
  compared with the whole week before, the running one with the same elapsed span of last week);
- events: ``queries.events`` (trend by day, by category) and the indicators' monthly series;
- warnings: ``queries.warnings`` (counts of the warnings opened in the week by level and status, the
  week's prominent issues with their evidence counts, the open ones past their deadline);
- work orders: ``queries.orders.response_times`` (MTTA / MTTR of the orders dispatched in the week,
  by department) and ``order_list`` (the overdue ones);
- the department score (红黑榜) of the week: ``queries.score.ranking`` and ``cases``;
- decisions: overdue red warnings, whistles with a missed deadline or a contest
  (``queries.whistles.whistle_list``), the responsibility-list gaps and flags (``queries.review``);
- the sources' freshness (``queries.governance.source_freshness``), as of the time of generation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from cockpit.clock import midnight
from cockpit.config import Config
from cockpit.scope import Scope
from cockpit.whistles.score import Period
from queries import areas, events, governance, kpis
from queries import orders as qo
from queries import review as qr
from queries import score as qs
from queries import warnings as qw
from queries import whistles as qwh
from queries._base import reading
from queries.filters import Filters
from queries.indicators import indicator_series, of_board

BOARDS = ("party", "economy", "safety", "services")
SUMMARY_KPIS = 4  # KPIs per board in the summary (as many as a big-screen panel shows)
TOP_ISSUES = 5  # prominent issues listed
BOTTOM_DEPARTMENTS = 3  # departments at the bottom of the ranking whose cases are listed
LIST_LIMIT = 10_000  # rows read for a list the report counts or filters (a township's week is far below it)


class ReportInputError(ValueError):
    """A week or township the report cannot be made for (the CLI exits 2 with its message)."""


def parse_week(text: str) -> Period:
    """The ISO week written ``2026-W47`` (case and spaces forgiven); ValueError with the form otherwise."""
    t = (text or "").strip().upper()
    if "-W" not in t:
        raise ReportInputError(f"not an ISO week: {text!r} (write it as 2026-W47)")
    try:
        period = Period.named(t)
    except ValueError:
        raise ReportInputError(f"not an ISO week: {text!r} (write it as 2026-W47)") from None
    if period.kind != "week":
        raise ReportInputError(f"not an ISO week: {text!r} (write it as 2026-W47)")
    return period


def week_filters(period: Period, now: datetime, *, board: str | None = None) -> Filters:
    """The screens' filters of the week as of ``now``: period ``week``; the running week up to now
    (as ``filters_for("week", now)``), a finished one whole, as of its end."""
    today = now.date()
    last = min(period.end, today + timedelta(days=1)) if period.start <= today else period.end
    until = min(now.replace(second=0, microsecond=0), midnight(last))
    return Filters("week", period.start, last, board=board, until=until, full_end=period.end)


def township_scope(scope: Scope, township: str) -> Scope:
    """``scope`` narrowed to the township, for the reads that take no area (work orders' MTTA/MTTR)."""
    if scope.areas is None:
        kept = frozenset({township})
    else:
        kept = frozenset(a for a in scope.areas if a.startswith(township))
        if any(township.startswith(a) for a in scope.areas):
            kept = frozenset({township})
    return Scope(kept, scope.boards, scope.departments, scope.personal_data)


@dataclass
class BoardSection:
    board: str
    kpis: pd.DataFrame  # queries.kpis.board_kpis rows
    trend: pd.DataFrame  # queries.events.event_trend by day
    by_category: pd.DataFrame  # queries.events.events_by_category
    indicators: pd.DataFrame  # queries.indicators.indicator_series of the board, up to the week's end
    figures: dict[str, Any]  # event_figures of the board (n_reported …)
    allowed: bool = True


@dataclass
class ReportContent:
    week: str
    period: Period
    township: dict  # code, name
    now: datetime
    filters: Filters  # the week, every board
    previous: Filters  # what it is compared with
    lang: str
    empty: bool = False
    figures: dict[str, Any] = field(default_factory=dict)  # event_figures of the week, every board
    previous_figures: dict[str, Any] = field(default_factory=dict)
    boards: list[BoardSection] = field(default_factory=list)
    warnings: dict[str, Any] = field(default_factory=dict)
    orders: dict[str, Any] = field(default_factory=dict)
    ranking: pd.DataFrame = field(default_factory=pd.DataFrame)
    bottom_cases: list[dict] = field(default_factory=list)  # [{department, name_zh, name_en, score, grade, cases}]
    decisions: dict[str, Any] = field(default_factory=dict)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    stale_after_minutes: int = 0
    rule_labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # rule -> (label_zh, label_en)

    def rule_label(self, rule: str | None, lang: str) -> str:
        if not rule:
            return ""
        zh, en = self.rule_labels.get(rule, (rule, rule))
        return zh if lang == "zh" else en


def _warning_counts(db: Any, scope: Scope, wf: qw.WarningFilters) -> dict[str, Any]:
    """The warnings opened in the week: per level, how many ended how, and the prominent issues."""
    from dataclasses import replace

    raised = qw.level_counts(db, scope, replace(wf, status="all"))
    statuses = {st: qw.count_warnings(db, scope, replace(wf, status=st))
                for st in ("resolved", "cleared", "closed", "dismissed")}
    # "resolved" (handled, waiting to be verified) has not ended: counted as handled, not as open
    still_open = qw.count_warnings(db, scope, replace(wf, status="open")) - statuses["resolved"]
    issues = qw.warning_list(db, scope, replace(wf, status="all", rule="prominent_issue"), limit=LIST_LIMIT)
    if not issues.empty:
        issues = issues.sort_values(["evidence_count", "opened_at"], ascending=[False, False], kind="stable")
    handled = statuses["resolved"] + statuses["cleared"] + statuses["closed"]
    return {"raised": raised, "n_raised": sum(raised.values()), "resolved": handled,
            "dismissed": statuses["dismissed"], "open": still_open, "issues": issues.head(TOP_ISSUES),
            "n_issues": len(issues)}


def _overdue_warnings(db: Any, scope: Scope, township: str, now: datetime) -> pd.DataFrame:
    """Open warnings of the township, any week, past their acknowledgement deadline unacknowledged."""
    rows = qw.warning_list(db, scope, qw.WarningFilters(status="open", village=township), limit=LIST_LIMIT)
    if rows.empty:
        return rows
    due = pd.to_datetime(rows["ack_due_at"])
    late = rows["acknowledged_at"].isna() & due.notna() & (due <= pd.Timestamp(now))
    return rows[late]


def _order_filters(period: Period, now: datetime) -> qo.OrderFilters:
    """The desk's statistics filters of the week: the running week as ``period=week`` (compared
    like-for-like), a finished one as its seven days (compared with the seven before)."""
    if period.start <= now.date() < period.end:
        return qo.OrderFilters(view="stats", period="week", by="department")
    return qo.OrderFilters(view="stats", period="custom", start=period.start, end=period.end, by="department")


def gather(config: Config, engine: Engine, period: Period, township: str | None, lang: str, *, now: datetime,
           scope: Scope) -> ReportContent:
    """Everything the report shows for ``period`` in ``township`` (None: the scope's home township)."""
    if period.start > now.date():
        raise ReportInputError(f"the week {period.name} has not begun yet (today is {now.date().isoformat()})")
    with reading(engine) as db:
        if township is None:
            town = areas.home_township(db, scope)
            if town is None:
                raise ReportInputError("the warehouse holds no township the scope reaches "
                                       "(load the sources first: python -m cockpit etl)")
        else:
            info = areas.area_info(db, scope, township)
            if info is None or info.get("level") != "township":
                known = ", ".join(f"{r['code']} {r['name']}" for r in qs.townships(db)) or "none"
                raise ReportInputError(f"unknown township {township!r} (townships in the warehouse: {known})")
            town = {"code": info["code"], "name": info["name"]}
        code = town["code"]
        f = week_filters(period, now)
        content = ReportContent(week=period.name, period=period, township=town, now=now, filters=f,
                                previous=f.previous(), lang=lang)
        if config.rules is not None:
            content.rule_labels = {n: (r.label_zh or n, r.label_en or n) for n, r in config.rules.rules.items()}
        content.figures = events.event_figures(db, scope, f, area=code)
        content.previous_figures = events.event_figures(db, scope, f.previous(), area=code)
        series = indicator_series(db, scope, code, until=f.end)
        for b in BOARDS:
            fb = week_filters(period, now, board=b)
            if not scope.allows_board(b):
                content.boards.append(BoardSection(b, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                                                   {}, allowed=False))
                continue
            content.boards.append(BoardSection(
                board=b, kpis=kpis.board_kpis(db, scope, fb, code, settings=config.kpis),
                trend=events.event_trend(db, scope, fb, "day"), by_category=events.events_by_category(db, scope, fb),
                indicators=of_board(series, b), figures=events.event_figures(db, scope, fb, area=code)))
        wf = qw.WarningFilters(status="all", village=code, period="week", start=f.start, end=f.end, until=f.until)
        content.warnings = _warning_counts(db, scope, wf)
        pf = f.previous()
        content.warnings["previous_raised"] = sum(qw.level_counts(db, scope, qw.WarningFilters(
            status="all", village=code, period="week", start=pf.start, end=pf.end, until=pf.until)).values())
        overdue = _overdue_warnings(db, scope, code, now)
        content.warnings["overdue"] = overdue
        of = _order_filters(period, now)
        # the desk's statistics read the whole scope: narrowed to the township only when the warehouse
        # holds several (an order without a grid is outside any area-narrowed scope)
        town_scope = township_scope(scope, code) if len(qs.townships(db)) > 1 else scope
        times = qo.response_times(db, town_scope, of, now=now, by="department")
        overdue_orders = qo.order_list(db, scope, qo.OrderFilters(view="list", status="overdue", village=code),
                                       now=now, limit=LIST_LIMIT)
        content.orders = {"times": times, "overdue": overdue_orders}
        settings = qs.settings(config)
        ranking = qs.ranking(db, period, now, settings, township=code)
        content.ranking = ranking
        scored = ranking[[v is not None and not pd.isna(v) for v in ranking["score"]]] if not ranking.empty else ranking
        for r in scored.tail(BOTTOM_DEPARTMENTS).iloc[::-1].to_dict("records") if not scored.empty else []:
            content.bottom_cases.append({**r, "cases_list": qs.cases(db, r["department"], period, now, township=code)})
        red_overdue = overdue[overdue["level"] == "red"] if not overdue.empty else overdue
        red_orders = (overdue_orders[overdue_orders["level"] == "red"] if not overdue_orders.empty else overdue_orders)
        late_whistles = qwh.whistle_list(db, scope, qwh.WhistleFilters(status="overdue", township=code), now=now)
        contests = qwh.whistle_list(db, scope, qwh.WhistleFilters(status="open_contests", township=code), now=now)
        review = qr.review_page(db, open_only=True) if scope.township_wide else {"pending": [], "flagged": [], "gaps": []}
        content.decisions = {"red_warnings": red_overdue, "red_orders": red_orders, "late_whistles": late_whistles,
                             "contests": contests, "gaps": review["gaps"], "flagged": review["flagged"]}
        declared = tuple((s.name, s.department, s.target) for s in config.sources.values())
        content.stale_after_minutes = int(config.get("etl", "stale_after_minutes"))
        content.sources = governance.source_freshness(db, scope, declared, now.replace(second=0, microsecond=0),
                                                      content.stale_after_minutes)
    all_times = times[times["key"] == "all"] if not times.empty else times
    n_orders = int(all_times.iloc[0]["orders"]) if not all_times.empty else 0
    content.empty = (int(content.figures.get("n_reported") or 0) == 0 and content.warnings["n_raised"] == 0
                     and n_orders == 0 and ranking.empty)
    return content


def week_days(period: Period) -> tuple[date, date]:
    """The first and the last day of the week (inclusive), for the cover."""
    return period.start, period.end - timedelta(days=1)
