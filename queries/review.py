"""The reads of the admin's review list (``/review``): ``cockpit.whistles.records.review_list`` with the
names the screen shows — pending contests (to be decided by the township on the whistle's page),
the categories flagged by accepted contests (open ones, or also the reviewed ones), and the
categories the responsibility list leaves without a responsible department. Not cached: the
"reviewed" button changes it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from cockpit.warehouse.schema import category, department
from cockpit.whistles import records
from queries._base import DB


def _list(conn: Connection, open_only: bool) -> dict[str, list[dict[str, Any]]]:
    out = records.review_list(conn, open_only=open_only)
    cats = {c: (zh, en) for c, zh, en in conn.execute(select(category.c.code, category.c.name_zh, category.c.name_en))}
    depts = {c: (zh, en) for c, zh, en in conn.execute(select(department.c.code, department.c.name_zh,
                                                              department.c.name_en))}
    for row in out["pending"] + out["flagged"]:
        row["category_zh"], row["category_en"] = cats.get(row.get("category_code") or "", (None, None))
        row["department_zh"], row["department_en"] = depts.get(row["department_code"], (row["department_code"],) * 2)
    for row in out["gaps"]:
        row["department_zh"], row["department_en"] = depts.get(row.get("department_code") or "", (None, None))
    return out


def review_page(db: DB, *, open_only: bool = True) -> dict[str, list[dict[str, Any]]]:
    """``pending`` (contested summons: id, whistle_id, title, department, category, reason, ``at``),
    ``flagged`` (review flags: id, category, department, summons and whistle, reason, flagged_at/by,
    reviewed_at/by; only open ones with ``open_only``) and ``gaps`` (categories with no lead in the
    responsibility list: code, board, names, default department, ``rows`` of the list), each row
    with the department's and the category's names in both languages."""
    if isinstance(db, Connection):
        return _list(db, open_only)
    with db.connect() as conn:
        return _list(conn, open_only)
