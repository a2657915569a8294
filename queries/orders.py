"""Work orders (工单) for the operator desk ``/orders`` and the big screen: the triage queue of warnings
still to dispatch, the order list with its URL filters, one order with its timeline, evidence and
photos, the dispatch form's proposal, MTTA/MTTR per board, department, village and grid, and today's
orders.

The orders' scope is the core's (``cockpit.orders.access.visible``): a grid worker sees the orders of
their grids, a liaison those of their department (responsible or cooperating), a board head their
board's. Reads of the orders go through ``cockpit.orders.records`` and ``cockpit.orders.metrics``;
this module adds the names (places, departments, categories, people of the staff) and the shapes
the screens need (small DataFrames and dicts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from cockpit.clock import midnight
from cockpit.orders import metrics, records, routing
from cockpit.orders.access import visible
from cockpit.orders.states import ENDED_STATUSES
from cockpit.scope import Scope
from cockpit.warehouse import schema as s
from queries import warnings as qw
from queries._base import DB, cached, connection, frame, reference_names
from queries._base import records as rows_of
from queries.filters import Filters, filters_for, optional_span, url_choice

STATUS_CHOICES = records.STATUS_CHOICES  # open, all, overdue, then each status
VIEWS = ("queue", "list", "stats")
GROUPS = ("board", "department", "village", "grid")
QUEUE_STATUSES = ("new", "acknowledged")
_AREA_RE = re.compile(r"^\d{6,20}$")
_CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
WO = s.work_order


# ---------------------------------------------------------------- the desk's URL filters
@dataclass(frozen=True)
class OrderFilters:
    """A view of the desk: ``view`` (queue, list, stats); the list's ``status`` (open, all, overdue or
    one status), board, department, village, grid, category; ``period`` on the dispatch time (None:
    any time for the list, the month for the statistics; ``start``..``end`` its days, ``until`` its
    end instant); ``by``: the statistics' grouping."""

    view: str = "queue"
    status: str = "open"
    board: str | None = None
    department: str | None = None
    village: str | None = None
    grid: str | None = None
    category: str | None = None
    period: str | None = None
    start: date | None = None
    end: date | None = None  # exclusive
    until: datetime | None = None
    by: str = "department"

    @property
    def area(self) -> str | None:
        return self.grid or self.village

    def to_query(self) -> dict[str, str]:
        """The URL parameters that reproduce this view."""
        q: dict[str, Any] = {k: getattr(self, k) for k in ("board", "department", "village", "grid", "category",
                                                           "period")}
        q["view"] = None if self.view == "queue" else self.view
        q["status"] = None if self.status == "open" else self.status
        q["by"] = None if self.by == "department" else self.by
        if self.period == "custom" and self.start and self.end:
            q.update(start=self.start.isoformat(), end=(self.end - timedelta(days=1)).isoformat())
        return {k: v for k, v in q.items() if v}

    def span_filters(self, now: datetime) -> Filters:
        """The statistics' period as screen filters (the month when none is chosen), so a running
        period is compared like-for-like (``Filters.previous``)."""
        if self.period == "custom" and self.start and self.end:
            return filters_for("custom", now, start=self.start, end=self.end)
        return filters_for(self.period or "month", now)


def parse_order_filters(query: Mapping[str, str | None], now: datetime, *,
                        departments: tuple[str, ...] | None = None) -> tuple[OrderFilters, list[str]]:
    """Filters from URL parameters; returns (filters, names of the parameters that were invalid and
    ignored). ``departments``: the department codes that exist (None: any well-formed code)."""
    from cockpit.reference import BOARDS, CATEGORIES

    bad: list[str] = []

    def choice(name: str, allowed) -> str | None:  # noqa: ANN001
        return url_choice(query, name, allowed, bad)

    view = choice("view", VIEWS) or "queue"
    status = choice("status", STATUS_CHOICES) or "open"
    board = choice("board", BOARDS)
    by = choice("by", GROUPS) or "department"
    department = query.get("department") or None
    if department and not (_CODE_RE.match(department) and (departments is None or department in departments)):
        bad.append("department")
        department = None
    village = query.get("village") or None
    if village and not _AREA_RE.match(village):
        bad.append("village")
        village = None
    grid = query.get("grid") or None
    if grid and not (_AREA_RE.match(grid) and (village is None or grid.startswith(village))):
        bad.append("grid")
        grid = None
    category = query.get("category") or None
    if category and not any(c.code == category and (board is None or c.board == board) for c in CATEGORIES):
        bad.append("category")
        category = None
    period, start, end, until = optional_span(query, now, bad)
    return OrderFilters(view, status, board, department, village, grid, category, period, start, end, until, by), bad


# ---------------------------------------------------------------- names
def _dept_names(names: dict, codes: str | None) -> tuple[str, str]:
    items = [c for c in (codes or "").split(",") if c]
    zh = "、".join(names["department"].get(c, (c, c))[0] for c in items)
    en = ", ".join(names["department"].get(c, (c, c))[1] for c in items)
    return zh, en


def _decorate(order: dict[str, Any], names: dict, now: datetime) -> dict[str, Any]:
    """The order's row with its names, whether it is overdue and by how many minutes."""
    o = dict(order)
    o["village_name"] = names["area"].get(o.get("village_code") or "")
    o["grid_name"] = names["area"].get(o.get("grid_code") or "")
    dz, de = names["department"].get(o["department_code"], (o["department_code"], o["department_code"]))
    o["department_zh"], o["department_en"] = dz, de
    o["cooperating_zh"], o["cooperating_en"] = _dept_names(names, o.get("cooperating"))
    cz, ce = names["category"].get(o.get("category_code") or "", (o.get("category_code"), o.get("category_code")))
    o["category_zh"], o["category_en"] = cz, ce
    o["assignee_name"] = names["user"].get(o["assignee_user"]) if o.get("assignee_user") else None
    o["overdue"] = records.is_overdue(o, now)
    late = None
    if o["overdue"]:
        due = o["resolve_due_at"] if o["resolve_due_at"] <= now else o["ack_due_at"]
        late = int((now - due).total_seconds() // 60)
    o["late_minutes"] = late
    o["late_ack"] = bool(o["overdue"] and o["status"] == "dispatched" and o["ack_due_at"] <= now)
    return o


_LIST_COLUMNS = ("id", "warning_id", "status", "title", "board", "category_code", "category_zh", "category_en",
                 "department_code", "department_zh", "department_en", "cooperating", "cooperating_zh",
                 "cooperating_en", "assignee_user", "assignee_name", "township_code", "village_code", "village_name",
                 "grid_code", "grid_name", "level", "created_at", "created_by", "ack_due_at", "resolve_due_at",
                 "acknowledged_at", "resolved_at", "closed_at", "ended_at", "reopen_count", "return_count",
                 "overdue", "late_minutes", "late_ack")


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The decorated orders as a DataFrame of ``_LIST_COLUMNS`` whose missing values stay None (not NaN)."""
    df = pd.DataFrame([{k: o.get(k) for k in _LIST_COLUMNS} for o in rows], columns=list(_LIST_COLUMNS), dtype=object)
    return df.astype(object).where(df.notna(), None)


# ---------------------------------------------------------------- the triage queue
@cached
def triage_queue(db: DB, scope: Scope, *, limit: int = 100) -> pd.DataFrame:
    """Open warnings still to dispatch (status new or acknowledged) in the scope, most severe first,
    then the newest opened: the columns of ``queries.warnings.warning_list``."""
    cols, src = qw._list_columns()
    W = qw.W
    return frame(db, select(*cols).select_from(src)
                 .where(W.c.status.in_(QUEUE_STATUSES), W.c.ended_at.is_(None), *qw._scope_clauses(scope))
                 .order_by(qw._SEVERITY_ORDER.desc(), W.c.opened_at.desc(), W.c.id.desc()).limit(limit))


@cached
def dispatch_proposal(db: DB, scope: Scope, warning_id: int) -> dict | None:
    """The dispatch form of one warning of the scope (None if it is not in the scope or not to be
    dispatched): the warning's state as seen (status, level, silence_id), the proposed department
    (``routing.propose``) and its cooperating departments, the proposed grid worker and the grid's
    workers, and the choices: every department and every enabled grid worker account (code, name)."""
    w = qw.warning_detail.uncached(db, scope, int(warning_id))
    if w is None or w["status"] not in QUEUE_STATUSES:
        return None
    with connection(db) as conn:
        p = routing.propose(conn, category_code=w.get("category_code"), grid_code=w.get("grid_code"),
                            fallback_department=w.get("department_code"))
        names = reference_names(conn)
        u = s.user_account.c
        workers = [(n, d) for n, d in conn.execute(select(u.username, u.display_name)
                                                   .where(u.role == "grid_worker", u.disabled.is_(False))
                                                   .order_by(u.username))]
    depts = sorted(names["department"].items())
    return {"warning_id": int(w["id"]), "title": w["title"], "level": w["level"], "rule": w["rule"],
            "seen": {"status": w["status"], "level": w["level"],
                     "silence_id": None if w.get("silence_id") is None else int(w["silence_id"])},
            "department_code": p.department_code, "cooperating": list(p.cooperating),
            "cooperating_zh": _dept_names(names, ",".join(p.cooperating))[0],
            "cooperating_en": _dept_names(names, ",".join(p.cooperating))[1],
            "assignee_user": p.assignee_user, "grid_workers": list(p.grid_workers),
            "departments": [(c, zh, en) for c, (zh, en) in depts],
            "workers": [(n, d, n in p.grid_workers) for n, d in workers],
            "village_name": w.get("village_name"), "grid_name": w.get("grid_name")}


# ---------------------------------------------------------------- the order list
@cached
def order_list(db: DB, scope: Scope, f: OrderFilters, *, now: datetime, limit: int = 200) -> pd.DataFrame:
    """The orders of the view (``cockpit.orders.records.list_orders``), overdue first, then the
    newest: the order's columns with the names of its place, department, cooperating departments,
    category and assignee, ``overdue`` and ``late_minutes`` (how late, overdue ones)."""
    since = midnight(f.start) if f.start else None
    until = (f.until or midnight(f.end)) if f.end else None
    with connection(db) as conn:
        got = records.list_orders(conn, scope, now=now, status=f.status, board=f.board, department=f.department,
                                  area=f.area, category=f.category, since=since, until=until, limit=limit)
        names = reference_names(conn) if got else {}
    return _frame([_decorate(r, names, now) for r in got])


@cached
def order_counts(db: DB, scope: Scope, *, now: datetime) -> dict[str, int]:
    """Orders of the scope: open, overdue, resolved (waiting to be verified), and warnings to
    dispatch (the triage queue): {"open", "overdue", "resolved", "queue"}."""
    c = WO.c
    vis = visible(scope)
    with connection(db) as conn:
        n_open = conn.execute(select(func.count()).where(vis, c.status.not_in(ENDED_STATUSES))).scalar()
        n_over = conn.execute(select(func.count()).where(vis, records.overdue_clause(now))).scalar()
        n_res = conn.execute(select(func.count()).where(vis, c.status == "resolved")).scalar()
        W = qw.W
        n_queue = conn.execute(select(func.count()).select_from(W).where(
            W.c.status.in_(QUEUE_STATUSES), W.c.ended_at.is_(None), *qw._scope_clauses(scope))).scalar()
    return {"open": int(n_open or 0), "overdue": int(n_over or 0), "resolved": int(n_res or 0),
            "queue": int(n_queue or 0)}


# ---------------------------------------------------------------- one order
@cached
def order_detail(db: DB, scope: Scope, order_id: int, *, now: datetime) -> dict | None:
    """One order of the scope (None if it does not exist or is outside it): ``order`` (as in
    ``order_list``, with address, lon/lat, seen = status, department_code, assignee_user),
    ``timeline`` (from its warning to its closing, oldest first: at, what, action, actor, from_status,
    to_status, to_level, note, department, assignee), ``events`` (the evidence events, masked
    reporters, channel names), ``evidence_count``, ``photos`` (metadata: id, log_id, content_type, bytes, width,
    height, uploaded_by, uploaded_at) and ``warning`` (its rule and status, or None)."""
    with connection(db) as conn:
        order = records.get_order(conn, int(order_id), scope)
        if order is None:
            return None
        names = reference_names(conn)
        o = _decorate(order, names, now)
        o["seen"] = {"status": order["status"], "department_code": order["department_code"],
                     "assignee_user": order["assignee_user"]}
        steps = []
        for r in records.timeline(conn, order):
            r = dict(r)
            if r.get("department_code"):
                r["department_zh"], r["department_en"] = names["department"].get(
                    r["department_code"], (r["department_code"], r["department_code"]))
            r["assignee_name"] = names["user"].get(r.get("assignee_user") or "")
            steps.append(r)
        events = records.events_of(conn, order)
        channels = {c: (zh, en) for c, zh, en in conn.execute(select(s.channel.c.code, s.channel.c.name_zh,
                                                                    s.channel.c.name_en))}
        for e in events:
            e["grid_name"] = names["area"].get(e.get("grid_code") or "")
            e["channel_zh"], e["channel_en"] = channels.get(e.get("channel") or "", (e.get("channel"), e.get("channel")))
            e["category_zh"], e["category_en"] = names["category"].get(e.get("category_code") or "",
                                                                      (e.get("category_code"), e.get("category_code")))
        photos = records.photos_of(conn, order["id"])
        warning = None
        if order.get("warning_id"):
            W = qw.W
            row = conn.execute(select(W.c.id, W.c.rule, W.c.status, W.c.level).where(W.c.id == order["warning_id"])
                               ).mappings().first()
            warning = dict(row) if row else None
        n_evidence = records.evidence_count(conn, order)
    return {"order": o, "timeline": steps, "events": events, "evidence_count": n_evidence, "photos": photos,
            "warning": warning}


@cached
def order_of_warning(db: DB, scope: Scope, warning_id: int) -> dict | None:
    """The warning's latest work order in the scope (id, status), or None (the warning page's link)."""
    c = WO.c
    got = rows_of(db, select(c.id, c.status).where(c.warning_id == int(warning_id), visible(scope))
                  .order_by(c.id.desc()).limit(1))
    return got[0] if got else None


# ---------------------------------------------------------------- MTTA and MTTR
_METRICS = ("orders", "acknowledged", "mtta_minutes", "resolved", "mttr_minutes", "closed", "reopened", "overdue")


@cached
def response_times(db: DB, scope: Scope, f: OrderFilters, *, now: datetime, by: str | None = None) -> pd.DataFrame:
    """MTTA and MTTR (``cockpit.orders.metrics.response_times``) of the orders dispatched in the view's
    period, per ``by`` (board, department, village, grid; default the view's) and the whole scope
    (key "all", first): key, name_zh, name_en, orders, acknowledged, mtta_minutes, resolved,
    mttr_minutes, closed, reopened, overdue, and the period compared with (a running period: the same
    elapsed span of the one before): prev_orders, prev_mtta_minutes, prev_mttr_minutes."""
    by = by or f.by
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}")
    span = f.span_filters(now)
    prev = span.previous()

    def bounds(x: Filters) -> tuple[datetime, datetime]:
        return midnight(x.start), x.until or midnight(x.end)

    with connection(db) as conn:
        s0, e0 = bounds(span)
        s1, e1 = bounds(prev)
        cur = metrics.response_times(conn, scope, start=s0, end=e0, now=now, by="all") + \
            metrics.response_times(conn, scope, start=s0, end=e0, now=now, by=by)
        before = {r["key"]: r for r in metrics.response_times(conn, scope, start=s1, end=min(e1, now), now=now, by="all")
                  + metrics.response_times(conn, scope, start=s1, end=min(e1, now), now=now, by=by)}
        names = reference_names(conn)
    out = []
    for r in cur:
        key = r["key"]
        if key == "all":
            zh, en = "合计", "All"
        elif by == "board":
            zh, en = key, key  # the page labels boards from the catalogue
        elif by == "department":
            zh, en = names["department"].get(key, (key, key))
        else:
            zh = en = names["area"].get(key or "", key or "—")
        p = before.get(key) or {}
        out.append({"key": key or "", "name_zh": zh, "name_en": en, **{k: r[k] for k in _METRICS},
                    "prev_orders": p.get("orders", 0), "prev_mtta_minutes": p.get("mtta_minutes"),
                    "prev_mttr_minutes": p.get("mttr_minutes")})
    cols = ["key", "name_zh", "name_en", *_METRICS, "prev_orders", "prev_mtta_minutes", "prev_mttr_minutes"]
    return pd.DataFrame(out, columns=cols)


# ---------------------------------------------------------------- the big screen
@cached
def today_orders(db: DB, scope: Scope, *, now: datetime, area: str | None = None, limit: int = 10) -> dict:
    """The work orders dispatched today (``area``: of that area): {"n": how many, "resolved": how many
    of them are resolved or closed, "rows": the newest ``limit`` (the columns of ``order_list``)}."""
    start = midnight(now.date())
    end = start + timedelta(days=1)
    c = WO.c
    where = [visible(scope), c.created_at >= start, c.created_at < end]
    if area:
        where.append(c.grid_code.startswith(area) if len(area) > 9 else c.township_code.startswith(area))
    with connection(db) as conn:
        n = conn.execute(select(func.count()).where(*where)).scalar()
        done = conn.execute(select(func.count()).where(*where, c.status.in_(("resolved", "closed")))).scalar()
        got = [dict(r) for r in conn.execute(select(WO).where(*where).order_by(c.created_at.desc(), c.id.desc())
                                             .limit(limit)).mappings()]
        names = reference_names(conn) if got else {}
    df = _frame([_decorate(r, names, now) for r in got])
    return {"n": int(n or 0), "resolved": int(done or 0), "rows": df}


@cached
def desk_choices(db: DB, scope: Scope) -> dict:
    """The desk's choices: departments (code, name_zh, name_en), the villages and grids the scope
    reaches (code, name, level) and the enabled grid worker accounts (username, display name).
    Not scoped by boards, departments: the list of departments and of places is reference data that names no fact."""
    from queries._base import navigable_clause as nav

    a = s.area.c
    with connection(db) as conn:
        depts = [tuple(r) for r in conn.execute(select(s.department.c.code, s.department.c.name_zh,
                                                       s.department.c.name_en).order_by(s.department.c.code))]
        places = [tuple(r) for r in conn.execute(select(a.code, a.name, a.level).where(
            a.level.in_(("village", "grid")), nav(scope, a.code)).order_by(a.code))]
        u = s.user_account.c
        workers = [tuple(r) for r in conn.execute(select(u.username, u.display_name).where(
            u.role == "grid_worker", u.disabled.is_(False)).order_by(u.username))]
    return {"departments": depts, "places": places, "workers": workers}
