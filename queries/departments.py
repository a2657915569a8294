"""Departments: response-time ranking from the event lifecycle (until whistle scores exist)."""

from __future__ import annotations


import pandas as pd
from sqlalchemy import and_, func, select

from cockpit.warehouse.sql import minutes_between
from cockpit.scope import Scope
from cockpit.warehouse import schema as s
from queries._base import DB, cached, frame
from queries._where import EVENT, view_where
from queries.filters import Filters


def department_response_expr():
    """A department's response: acknowledged (else on site) minus dispatched (else reported), in minutes."""
    e = s.event
    return minutes_between(func.coalesce(e.c.dispatched_at, e.c.reported_at),
                           func.coalesce(e.c.acknowledged_at, e.c.onsite_at))


@cached
def department_response_ranking(db: DB, scope: Scope, f: Filters, *, area: str | None = None) -> pd.DataFrame:
    """Departments by median response minutes (fastest first) over events reported in the range
    (``area``: in that area, when the filters select no village or grid).

    Columns: code, name_zh, name_en, cases, median_min. The median is computed in SQL with window
    functions (portable across SQLite and PostgreSQL).
    """
    e, d = s.event, s.department
    minutes = department_response_expr()
    where = [e.c.duplicate_of.is_(None), minutes.is_not(None), *view_where(EVENT, scope, f, area=area)]
    ranked = (select(e.c.department_code.label("code"), minutes.label("m"),
                     func.row_number().over(partition_by=e.c.department_code, order_by=minutes).label("rn"),
                     func.count().over(partition_by=e.c.department_code).label("n"))
              .where(*where).subquery())
    # the middle row (odd n) or the two middle rows (even n)
    middle = and_(ranked.c.rn * 2 >= ranked.c.n, ranked.c.rn * 2 <= ranked.c.n + 2)
    stmt = (select(ranked.c.code, func.min(d.c.name_zh).label("name_zh"), func.min(d.c.name_en).label("name_en"),
                   func.max(ranked.c.n).label("cases"), func.avg(ranked.c.m).label("median_min"))
            .select_from(ranked.join(d, d.c.code == ranked.c.code)).where(middle)
            .group_by(ranked.c.code).order_by(func.avg(ranked.c.m), ranked.c.code))
    df = frame(db, stmt)
    df["median_min"] = df["median_min"].astype(float)
    return df
