"""The one place that turns a view's filters and a viewer's scope into SQL conditions.

A fact table names the columns the filters narrow (``Dims``); ``view_where`` gives the conditions of
a view on it: the scope (areas, boards, departments), the filters (board, village, grid, category),
the area counted when the filters select none, and the period. A fact without a column for a
dimension passes None for it and that filter does not apply to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.sql.expression import ColumnElement

from cockpit.clock import midnight
from cockpit.scope import Scope
from cockpit.warehouse import schema as s
from queries._base import area_clause, board_clause, code_prefix, department_clause
from queries.filters import Filters


@dataclass(frozen=True)
class Dims:
    """The columns of a fact that views narrow. ``time``: a date column (``daily``) or a timestamp."""

    time: ColumnElement
    grid: ColumnElement
    village: ColumnElement | None = None
    board: ColumnElement | None = None
    department: ColumnElement | None = None
    category: ColumnElement | None = None
    daily: bool = False


def area_where(village_col: ColumnElement, grid_col: ColumnElement, code: str, *, by_index: bool = True) -> ColumnElement:
    """The rows of area ``code`` (a grid, village or township) as a condition on a fact's village and
    grid columns. Codes are hierarchical: a village has 12 digits, its grids more, a township fewer.

    ``by_index``: a township as the list of its villages, which an index on the village column serves
    (a prefix ``LIKE`` would read every township's rows); otherwise as a plain prefix test, for
    queries better driven by a time index (the newest events, today's dispatches)."""
    if len(code) > 12:
        return grid_col == code
    if len(code) == 12:
        return village_col == code
    if not by_index:
        return func.substr(village_col, 1, len(code)) == code
    a = s.area
    return village_col.in_(select(a.c.code).where(a.c.level == "village", code_prefix(a.c.code, code)))


def scope_where(d: Dims, scope: Scope) -> list[ColumnElement]:
    """The viewer's scope on the fact: their areas, boards and departments."""
    w = [area_clause(scope, d.grid)]
    if d.board is not None:
        w.append(board_clause(scope, d.board))
    if d.department is not None:
        w.append(department_clause(scope, d.department))
    return w


def view_where(d: Dims, scope: Scope, f: Filters | None, *, area: str | None = None, by_index: bool = True,
               period: bool = True, until: datetime | None = None) -> list[ColumnElement]:
    """Conditions of the view ``f`` for ``scope`` (``f`` None: the scope and ``area`` only).

    ``area``: the area counted when the filters select no village or grid (e.g. the township).
    ``period``: keep the rows the view's period places in it — from its first day up to its end
    instant (``f.as_of``; whole days for a daily fact); ``until``: rows before that instant instead,
    whenever they fall (a backlog as of an instant)."""
    w = scope_where(d, scope)
    if area and not (f and f.area):
        w.append(area_where(d.village, d.grid, area, by_index=by_index) if d.village is not None else
                 (d.grid == area if len(area) > 12 else d.grid.startswith(area, autoescape=True)))
    if until is not None:
        w.append(d.time < until)
    if f is None:
        return w
    if period and until is None:
        if d.daily:
            w += [d.time >= f.start, d.time < f.end]
        else:
            w += [d.time >= midnight(f.start), d.time < f.as_of]
    if f.board and d.board is not None:
        w.append(d.board == f.board)
    if f.village:
        w.append(d.village == f.village if d.village is not None else d.grid.startswith(f.village, autoescape=True))
    if f.grid:
        w.append(d.grid == f.grid)
    if f.category and d.category is not None:
        w.append(d.category == f.category)
    return w


AGG = Dims(time=s.agg_event_day.c.day, grid=s.agg_event_day.c.grid_code, village=s.agg_event_day.c.village_code,
           board=s.agg_event_day.c.board, department=s.agg_event_day.c.department_code,
           category=s.agg_event_day.c.category_code, daily=True)
EVENT = Dims(time=s.event.c.reported_at, grid=s.event.c.grid_code, village=s.event.c.village_code,
             board=s.event.c.board, department=s.event.c.department_code, category=s.event.c.category_code)
