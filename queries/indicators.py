"""Indicator values delivered by departments (monthly, per area), sensor means and service figures.

Whose data each is (``cockpit.reference``): an indicator is its delivering department's and its
board's; a sensor metric its owner's (``SENSOR_OWNERS``); a service application the services
board's, the department's that handles it and, for a joint (一件事) application, every department
that does a step of it.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.sql.expression import ColumnElement

from cockpit.clock import midnight
from cockpit.reference import SENSOR_OWNERS, SERVICE_BOARD
from cockpit.scope import Scope
from cockpit.warehouse import schema as s
from queries._base import (DB, area_clause, board_clause, cached, code_prefix, department_clause, frame, one, owned_clause,
                           whole_board_clause)
from queries.areas import codes_under
from queries.filters import Filters

# Units whose values combine across areas by averaging (rates, scores); others add up.
AVERAGED_UNITS = ("%", "分", "元")


@cached
def indicator_series(db: DB, scope: Scope, area_code: str, *, board: str | None = None,
                     indicator: str | None = None, until: date | None = None) -> pd.DataFrame:
    """Monthly values of the indicators for ``area_code``: the area's own value where delivered,
    otherwise its sub-areas combined (sum, or mean for rates and scores).

    Columns: code, name_zh, name_en, board, unit, higher_is_better, target, period_start, value,
    n_delivered (the sub-areas that delivered a combined value; None for the area's own value).
    """
    v, i = s.indicator_value, s.indicator
    own = v.c.area_code == area_code
    # the area and the areas under it: a range of the (area, period) index
    w = [code_prefix(v.c.area_code, area_code), area_clause(scope, v.c.area_code), board_clause(scope, i.c.board),
         department_clause(scope, i.c.department_code)]
    if board:
        w.append(i.c.board == board)
    if indicator:
        w.append(i.c.code == indicator)
    if until:
        w.append(v.c.period_start < until)
    stmt = (select(i.c.code, func.min(i.c.name_zh).label("name_zh"), func.min(i.c.name_en).label("name_en"),
                   func.min(i.c.board).label("board"), func.min(i.c.unit).label("unit"),
                   func.min(case((i.c.higher_is_better, 1), else_=0)).label("higher_is_better"),
                   func.min(i.c.target).label("target"), v.c.period_start,
                   func.sum(case((own, 1), else_=0)).label("n_own"),
                   func.sum(case((own, v.c.value), else_=0.0)).label("own_value"),
                   func.sum(case((own, 0.0), else_=v.c.value)).label("sub_sum"),
                   func.sum(case((own, 0), else_=1)).label("n_sub"))
            .select_from(v.join(i, i.c.code == v.c.indicator_code)).where(*w)
            .group_by(i.c.code, v.c.period_start).order_by(i.c.code, v.c.period_start))
    df = frame(db, stmt)
    if df.empty:
        return pd.DataFrame(columns=["code", "name_zh", "name_en", "board", "unit", "higher_is_better", "target",
                                     "period_start", "value", "n_delivered"])
    sub = df["sub_sum"].astype(float)
    sub_mean = sub / df["n_sub"].where(df["n_sub"] > 0).astype(float)
    combined = sub_mean.where(df["unit"].isin(AVERAGED_UNITS), sub)
    df["value"] = df["own_value"].astype(float).where(df["n_own"] > 0, combined)
    df["n_delivered"] = df["n_sub"].astype("Int64").where(df["n_own"] == 0)
    df["higher_is_better"] = df["higher_is_better"].astype(bool)
    df["period_start"] = pd.to_datetime(df["period_start"])
    return df.drop(columns=["n_own", "own_value", "sub_sum", "n_sub"])


def of_board(series: pd.DataFrame, board: str, indicator: str | None = None) -> pd.DataFrame:
    """The rows of one board (and indicator) of an all-boards ``indicator_series``: one cached read
    serves the four boards of the big screen and a board page's cards and trend."""
    keep = series["board"] == board
    if indicator:
        keep &= series["code"] == indicator
    return series[keep]


def latest_and_previous(series: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: the latest value and the one of the period before (from ``indicator_series``),
    with how many sub-areas delivered each (``n_delivered``, ``previous_delivered``)."""
    ordered = series.sort_values("period_start", kind="stable")
    last: dict[str, int] = {}  # code -> position of its latest row
    previous: dict[str, float | None] = {}
    previous_n: dict[str, object] = {}
    values = ordered["value"].tolist()
    delivered = ordered["n_delivered"].tolist() if "n_delivered" in ordered else [None] * len(values)
    for pos, code in enumerate(ordered["code"].tolist()):
        previous[code] = values[last[code]] if code in last else None
        previous_n[code] = delivered[last[code]] if code in last else None
        last[code] = pos
    out = ordered.iloc[list(last.values())].reset_index(drop=True)
    out["previous"] = [previous[c] for c in last]
    out["previous_delivered"] = [previous_n.get(c) for c in last]
    return out


def _grids_of(db: DB, col, code: str):  # noqa: ANN001, ANN202 - SQLAlchemy column / condition
    """Rows in area ``code`` as a condition on a grid column: the grid itself, or the list of the grids
    under the area (values reference known grids), which an index leading with the grid column serves."""
    if len(code) > 12:
        return col == code
    return col.in_(codes_under(db, code, "grid"))


@cached
def sensor_stats(db: DB, scope: Scope, metric: str, f: Filters, *, area: str | None = None) -> dict:
    """Mean and number of a sensor metric's readings over the view, up to its end instant (area
    filters applied; ``area`` when they select no village or grid): {"mean", "n"}."""
    r = s.sensor_reading
    w = [r.c.metric == metric, r.c.ts >= midnight(f.start), r.c.ts < f.as_of,
         area_clause(scope, func.coalesce(r.c.grid_code, "")), owned_clause(scope, r.c.metric, SENSOR_OWNERS)]
    if f.area or area:
        w.append(_grids_of(db, r.c.grid_code, f.area or area))  # served by the (metric, grid, time) index
    row = one(db, select(func.avg(r.c.value).label("mean"), func.count(r.c.value).label("n")).where(*w))
    return {"mean": None if row["mean"] is None else float(row["mean"]), "n": int(row["n"] or 0)}


def sensor_mean(db: DB, scope: Scope, metric: str, f: Filters, *, area: str | None = None) -> float | None:
    """The mean of ``sensor_stats``."""
    return sensor_stats(db, scope, metric, f, area=area)["mean"]


def _service_scope(scope: Scope) -> list[ColumnElement]:
    """The scope's boards and departments on ``service_application``: the services board's data; a
    department's applications are those it handles and the joint ones in which it does a step."""
    a, st = s.service_application, s.service_step
    w = [whole_board_clause(scope, SERVICE_BOARD)]
    if scope.departments is not None:
        depts = sorted(scope.departments)
        w.append(or_(a.c.department_code.in_(depts),
                     a.c.src_key.in_(select(st.c.application_ref).where(st.c.department_code.in_(depts))))
                 if depts else false())
    return w


@cached
def service_totals(db: DB, scope: Scope, f: Filters, *, area: str | None = None) -> dict:
    """Service applications submitted in the view, up to its end instant: n, n_completed (completed by
    then), one-visit rate (% of the completed ones with at most one visit; rejected and unfinished
    ones are left out), online share (%), joint, mean visits. Area filters applied; ``area`` when
    they select no village or grid."""
    a = s.service_application
    w = [a.c.submitted_at >= midnight(f.start), a.c.submitted_at < f.as_of,
         area_clause(scope, func.coalesce(a.c.grid_code, "")), *_service_scope(scope)]
    if f.area or area:
        w.append(_grids_of(db, a.c.grid_code, f.area or area))
    completed = and_(a.c.status == "completed", a.c.visits.is_not(None),
                     or_(a.c.completed_at.is_(None), a.c.completed_at <= f.as_of))
    row = one(db, select(func.count().label("n"),
                          func.sum(case((completed, 1), else_=0)).label("n_completed"),
                          func.sum(case((and_(completed, a.c.visits <= 1), 1), else_=0)).label("one_visit"),
                          func.sum(case((a.c.channel == "online", 1), else_=0)).label("online"),
                          func.sum(case((a.c.joint, 1), else_=0)).label("joint"),
                          func.avg(a.c.visits).label("mean_visits")).where(*w))
    n = int(row["n"] or 0)
    done = int(row["n_completed"] or 0)
    return {"n": n, "n_completed": done, "joint": int(row["joint"] or 0),
            "one_visit_rate": 100.0 * float(row["one_visit"] or 0) / done if done else None,
            "online_share": 100.0 * float(row["online"] or 0) / n if n else None,
            "mean_visits": None if row["mean_visits"] is None else float(row["mean_visits"])}
