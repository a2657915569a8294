"""The reads of "my orders" (``/my/orders``): a grid worker's or a department liaison's own work
orders, and one order's page with its place, evidence, deadlines, log, photos and the actions the
person may take now.

Both wrap ``cockpit.orders.records`` and ``cockpit.orders.access``, so they follow the viewer's
scope in SQL (``access.visible``: the areas, boards and departments of ``scope``) and, for the list,
the assignment (``records.my_orders``: a grid worker's own, a liaison's department's with no grid
worker holding them). Not cached: a person acting on an order sees its new state at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from cockpit.auth.roles import Account
from cockpit.orders import access, records
from cockpit.reference import CHANNELS, DEPARTMENTS
from cockpit.scope import Scope
from cockpit.warehouse.schema import area, warning
from queries._base import DB, connected

_DEPARTMENT_NAMES = {d.code: (d.name_zh, d.name_en) for d in DEPARTMENTS}


def _area_names(conn: Connection, codes: set[str]) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(conn.execute(select(area.c.code, area.c.name).where(area.c.code.in_(sorted(codes)))).all())


def _rules(conn: Connection, orders: list[dict[str, Any]]) -> dict[int, str]:
    ids = sorted({o["warning_id"] for o in orders if o.get("warning_id")})
    if not ids:
        return {}
    return dict(conn.execute(select(warning.c.id, warning.c.rule).where(warning.c.id.in_(ids))).all())


def _placed(order: dict[str, Any], names: dict[str, str], rules: dict[int, str], now: datetime) -> dict[str, Any]:
    return {**order, "village_name": names.get(order.get("village_code") or ""),
            "grid_name": names.get(order.get("grid_code") or ""), "rule": rules.get(order.get("warning_id") or 0),
            "overdue": records.is_overdue(order, now)}


def department_name(code: str | None, lang: str) -> str:
    names = _DEPARTMENT_NAMES.get(code or "")
    return (names[0] if lang == "zh" else names[1]) if names else (code or "")


def channel_name(code: str | None, lang: str) -> str:
    names = CHANNELS.get(code or "")
    return (names[0] if lang == "zh" else names[1]) if names else (code or "")


def _list(conn: Connection, user: Account, scope: Scope, now: datetime) -> list[dict[str, Any]]:
    rows = records.my_orders(conn, user, scope, now=now)
    names = _area_names(conn, {r.get("village_code") or "" for r in rows} | {r.get("grid_code") or "" for r in rows})
    rules = _rules(conn, rows)
    out = []
    for r in rows:
        r = _placed(r, names, rules, now)
        r["evidence_count"] = records.evidence_count(conn, r)
        r["photo_count"] = len(records.photos_of(conn, r["id"]))
        out.append(r)
    return out


def my_order_list(db: DB, user: Account | None, scope: Scope, now: datetime) -> list[dict[str, Any]]:
    """The person's own orders in ``scope`` (``cockpit.orders.records.my_orders``): the open ones
    overdue first, then the newest, then those finished in the last days; each with its village and
    grid names, the ``rule`` of its warning (None: made from events), ``overdue``, ``evidence_count``
    and ``photo_count``. Nobody, or a role that holds no
    orders (operator, leader …): an empty list."""
    if user is None:
        return []
    return connected(db, _list, user, scope, now)


def _page(conn: Connection, user: Account | None, scope: Scope, order_id: int, now: datetime) -> dict[str, Any] | None:
    order = records.get_order(conn, order_id, scope)
    if order is None:
        return None
    names = _area_names(conn, {order.get("village_code") or "", order.get("grid_code") or ""})
    order = _placed(order, names, _rules(conn, [order]), now)
    return {"order": order, "events": records.events_of(conn, order), "evidence_count": records.evidence_count(conn, order),
            "photos": records.photos_of(conn, order_id), "log": records.log_of(conn, order_id),
            "actions": access.actions_for(user, order) if user is not None else [],
            "mine": user is not None and access.is_assignee(user, order)}


def order_page(db: DB, user: Account | None, scope: Scope, order_id: int, now: datetime) -> dict[str, Any] | None:
    """One order as its page shows it, or None if it does not exist or ``scope`` may not see it:
    ``order`` (its row with village and grid names, its warning's ``rule`` and ``overdue``), ``events`` (the evidence:
    time, channel, title, address, masked reporter), ``evidence_count``, ``photos`` (metadata; the
    bytes are served by ``web.photos`` to the same scope), ``log`` (oldest first), ``actions`` (what
    ``user`` may do now, ``cockpit.orders.access.actions_for``) and ``mine`` (``user`` holds it)."""
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        return None
    return connected(db, _page, user, scope, order_id, now)
