"""The whistle desk's reads (``/whistles``, ``/whistles/<id>``): the URL filters, the counts per
status, the list of whistles with each visible summons and its missed deadlines, one whistle with
every summons' timeline, the blow form's proposal (source, departments, default deadlines) and the
open whistle of a warning or a work order. Scoped by ``cockpit.whistles.access`` through
``cockpit.whistles.records``: a department liaison sees only their own department's summons."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import and_, case, func, or_, select

from cockpit.orders.states import OrderNotFound
from cockpit.scope import Scope
from cockpit.warehouse import schema as s
from cockpit.warnings.states import WarningNotFound
from cockpit.whistles import records
from cockpit.whistles.access import whistle_visible
from cockpit.whistles.blow import deadlines, propose_departments, source_of
from cockpit.whistles.records import WHISTLE_CHOICES
from cockpit.whistles.states import WORKING, SummonsError
from queries._base import DB, cached, connection, reference_names

W, S = s.whistle, s.summons
_TOWNSHIP_RE = re.compile(r"^\d{6,12}$")
_BLOW_RE = re.compile(r"^(warning|order):(\d{1,12})$")


@dataclass(frozen=True)
class WhistleFilters:
    """The list's view: ``status`` (``WHISTLE_CHOICES``), ``township`` (its code), ``board``."""

    status: str = "open"
    township: str | None = None
    board: str | None = None

    def to_query(self) -> dict[str, str]:
        q = {"status": None if self.status == "open" else self.status, "township": self.township, "board": self.board}
        return {k: v for k, v in q.items() if v}


def parse_whistle_filters(query: Mapping[str, Any]) -> tuple[WhistleFilters, list[str]]:
    """Filters from URL parameters; returns (filters, names of the invalid parameters, ignored)."""
    from cockpit.reference import BOARDS

    bad: list[str] = []
    status = query.get("status") or "open"
    if status not in WHISTLE_CHOICES:
        bad.append("status")
        status = "open"
    township = query.get("township") or None
    if township and not (isinstance(township, str) and _TOWNSHIP_RE.match(township)):
        bad.append("township")
        township = None
    board = query.get("board") or None
    if board and board not in BOARDS:
        bad.append("board")
        board = None
    return WhistleFilters(status, township, board), bad


def parse_blow(value: Any) -> tuple[str, int] | None:
    """``warning:12`` / ``order:7`` → ("warning", 12); None if malformed."""
    m = _BLOW_RE.match(value) if isinstance(value, str) else None
    return (m.group(1), int(m.group(2))) if m else None


def _overdue(now: datetime) -> Any:
    c = S.c
    return and_(c.status.in_(WORKING), or_(and_(c.acknowledged_at.is_(None), c.ack_due_at <= now),
                                           and_(c.arrived_at.is_(None), c.arrive_due_at <= now),
                                           and_(c.resolved_at.is_(None), c.resolve_due_at <= now)))


def _where(scope: Scope, f: WhistleFilters) -> list[Any]:
    where: list[Any] = [whistle_visible(scope)]
    if f.township:
        where.append(W.c.township_code == f.township)
    if f.board:
        where.append(W.c.board == f.board)
    return where


def _status_clause(status: str, now: datetime) -> Any:
    """The condition on ``whistle`` of a ``WHISTLE_CHOICES`` value (as ``records.list_whistles``)."""
    w = W.c
    if status == "open":
        return w.status == "open"
    if status == "overdue":
        return and_(w.status == "open", select(S.c.id).where(S.c.whistle_id == w.id, _overdue(now)).exists())
    if status == "open_contests":
        return select(S.c.id).where(S.c.whistle_id == w.id, S.c.status == "contested").exists()
    if status in ("completed", "cancelled"):
        return w.status == status
    if status == "all":
        return w.id.is_not(None)
    raise ValueError(f"unknown whistle status {status!r}: use one of {', '.join(WHISTLE_CHOICES)}")


def _decorate(w: dict[str, Any], names: dict) -> dict[str, Any]:
    w["village_name"] = names["area"].get(w.get("village_code") or "")
    w["grid_name"] = names["area"].get(w.get("grid_code") or "")
    w["township_name"] = names["area"].get(w.get("township_code") or "")
    w["category_zh"], w["category_en"] = names["category"].get(w.get("category_code") or "", (None, None))
    for x in w.get("summons", []):
        x["department_zh"], x["department_en"] = names["department"].get(
            x["department_code"], (x["department_code"], x["department_code"]))
        x["seen"] = {"status": x["status"], "department_code": x["department_code"]}
    return w


@cached
def whistle_counts(db: DB, scope: Scope, f: WhistleFilters, *, now: datetime) -> dict[str, int]:
    """How many whistles of the scope (and of the filter's township and board) each
    ``WHISTLE_CHOICES`` value lists: {"open": n, "all": n, "overdue": n, ...}."""
    cols = [func.coalesce(func.sum(case((_status_clause(k, now), 1), else_=0)), 0).label(k) for k in WHISTLE_CHOICES]
    with connection(db) as conn:
        row = conn.execute(select(*cols).select_from(W).where(*_where(scope, f))).mappings().one()
    return {k: int(row[k] or 0) for k in WHISTLE_CHOICES}


@cached
def whistle_list(db: DB, scope: Scope, f: WhistleFilters, *, now: datetime, limit: int = 200) -> list[dict]:
    """The whistles of the view, newest first: the whistle's columns, its place and category names,
    ``summons`` (the visible ones, lead first, each with ``late``: its missed deadlines, its
    department's names and ``seen``) and ``overdue``."""
    q = (select(W).where(*_where(scope, f), _status_clause(f.status, now))
         .order_by(W.c.created_at.desc(), W.c.id.desc()).limit(limit))
    with connection(db) as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
        by_whistle = records.summons_of(conn, scope, [r["id"] for r in rows], now)
        names = reference_names(conn) if rows else {}
    for r in rows:
        r["summons"] = by_whistle.get(r["id"], [])
        r["overdue"] = any(x["late"] for x in r["summons"])
        _decorate(r, names)
    return rows


@cached
def whistle_detail(db: DB, scope: Scope, whistle_id: int, *, now: datetime) -> dict | None:
    """One whistle of the scope (None if it does not exist or is outside it): its columns and names,
    ``summons`` (visible ones, each with ``late``, ``seen`` and ``log``: its timeline, oldest first),
    ``log`` (the whistle's own), ``seen`` (its status as shown) and ``source`` (the warning's rule and
    status, or the work order's status)."""
    with connection(db) as conn:
        w = records.get_whistle(conn, scope, int(whistle_id), now)
        if w is None:
            return None
        names = reference_names(conn)
        for x in w["summons"]:
            x["log"] = records.timeline(conn, x["id"])
        source = None
        if w.get("warning_id"):
            row = conn.execute(select(s.warning.c.id, s.warning.c.rule, s.warning.c.status)
                               .where(s.warning.c.id == w["warning_id"])).mappings().first()
            source = {"kind": "warning", **dict(row)} if row else None
        elif w.get("order_id"):
            row = conn.execute(select(s.work_order.c.id, s.work_order.c.status)
                               .where(s.work_order.c.id == w["order_id"])).mappings().first()
            source = {"kind": "order", **dict(row)} if row else None
    w["source"] = source
    w["seen"] = {"status": w["status"]}
    return _decorate(w, names)


@cached
def open_whistle_of(db: DB, scope: Scope, *, warning_id: int | None = None, order_id: int | None = None) -> int | None:
    """The id of the open whistle on the warning or the work order, if the scope sees it."""
    col = W.c.warning_id if warning_id is not None else W.c.order_id
    value = warning_id if warning_id is not None else order_id
    with connection(db) as conn:
        return conn.execute(select(W.c.id).where(col == int(value), W.c.status == "open", whistle_visible(scope))  # type: ignore[arg-type]
                            .order_by(W.c.id.desc()).limit(1)).scalar()


def _minutes(a: datetime, b: datetime) -> int:
    return int(round((b - a).total_seconds() / 60))


def blow_proposal(db: DB, kind: str, source_id: int, *, now: datetime, config: Any = None) -> dict:
    """The blow form of a warning or a work order (the caller checks the scope): ``source``
    (``blow.source_of``) with ``seen`` (its status), ``proposed`` [(department, role)], every
    department (code, name_zh, name_en), the default deadlines ``normal`` and ``urgent``
    ({ack_minutes, arrive_minutes, resolve_hours}), ``open_whistle`` (the id of an open one) and
    ``error`` (a catalogue key when it cannot be blown: ended or unknown). Not cached: it is read
    just before acting."""
    with connection(db) as conn:
        ids = {"warning_id": source_id} if kind == "warning" else {"order_id": source_id}
        col = W.c.warning_id if kind == "warning" else W.c.order_id
        open_id = conn.execute(select(W.c.id).where(col == source_id, W.c.status == "open")
                               .order_by(W.c.id.desc()).limit(1)).scalar()
        out: dict[str, Any] = {"kind": kind, "id": source_id, "open_whistle": open_id, "error": None}
        try:
            src = source_of(conn, **ids)
        except (WarningNotFound, OrderNotFound):
            out["error"] = "whistle.blow.not_found"
            return out
        except SummonsError:  # ended
            out["error"] = "whistle.blow.ended"
            return out
        table = s.warning if kind == "warning" else s.work_order
        status = conn.execute(select(table.c.status).where(table.c.id == source_id)).scalar()
        out["source"] = {**src, "seen": {"status": status}}
        out["proposed"] = propose_departments(conn, src)
        out["departments"] = [tuple(r) for r in conn.execute(select(s.department.c.code, s.department.c.name_zh,
                                                                    s.department.c.name_en).order_by(s.department.c.code))]
        for urgent in (False, True):
            ack, arrive, resolve = deadlines(conn, src["category_code"], urgent, now, config)
            out["urgent" if urgent else "normal"] = {"ack_minutes": _minutes(now, ack),
                                                     "arrive_minutes": _minutes(now, arrive),
                                                     "resolve_hours": round(_minutes(now, resolve) / 60)}
        names = reference_names(conn)
        out["source"]["village_name"] = names["area"].get(src.get("village_code") or "")
        out["source"]["grid_name"] = names["area"].get(src.get("grid_code") or "")
        out["source"]["category_zh"], out["source"]["category_en"] = names["category"].get(
            src.get("category_code") or "", (None, None))
    return out


@cached
def township_choices(db: DB, scope: Scope) -> list[tuple[str, str]]:
    """The townships the scope reaches (code, name), for the list's filter.
    Not scoped by boards, departments: a township's name is reference data that names no fact."""
    from queries._base import navigable_clause

    a = s.area.c
    with connection(db) as conn:
        return [tuple(r) for r in conn.execute(select(a.code, a.name).where(a.level == "township",
                                                                            navigable_clause(scope, a.code))
                                               .order_by(a.code))]


def source_visible(db: DB, scope: Scope, kind: str, source_id: int) -> bool:
    """Whether the scope sees the warning or the work order a whistle is to be blown on."""
    from cockpit.orders.records import get_order
    from queries import warnings as qw

    if kind == "warning":
        return qw.warning_detail.uncached(db, scope, int(source_id)) is not None
    with connection(db) as conn:
        return get_order(conn, int(source_id), scope) is not None
