"""Shared plumbing of the read side: running a statement, scope clauses, the result cache."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import Any, Callable, TypeVar

import pandas as pd
from sqlalchemy import Connection, Engine, false, func, literal, or_, select, true
from sqlalchemy.sql.expression import ColumnElement, Select

from cockpit.scope import Scope
from cockpit.warehouse import schema as s

DB = Engine | Connection
F = TypeVar("F", bound=Callable[..., Any])


def engine_of(db: DB) -> Engine:
    return db if isinstance(db, Engine) else db.engine


def frame(db: DB, stmt: Select) -> pd.DataFrame:
    """Run ``stmt`` and return its rows as a DataFrame (columns named by the select's labels)."""
    if isinstance(db, Connection):
        res = db.execute(stmt)
        return pd.DataFrame(res.fetchall(), columns=list(res.keys()))
    with db.connect() as conn:
        res = conn.execute(stmt)
        return pd.DataFrame(res.fetchall(), columns=list(res.keys()))


def scalar(db: DB, stmt: Select) -> Any:
    if isinstance(db, Connection):
        return db.execute(stmt).scalar()
    with db.connect() as conn:
        return conn.execute(stmt).scalar()


def area_clause(scope: Scope, col: ColumnElement) -> ColumnElement:
    """The scope's areas as a SQL condition on an area-code column (codes are hierarchical prefixes)."""
    if scope.areas is None:
        return true()
    if not scope.areas:
        return false()
    return or_(*[col.startswith(a, autoescape=True) for a in sorted(scope.areas)])


def navigable_clause(scope: Scope, col: ColumnElement) -> ColumnElement:
    """Areas a viewer may navigate: those in scope and their ancestors (a grid worker reaches their
    grids through the township and village). Numbers stay scoped by ``area_clause`` on the facts."""
    if scope.areas is None:
        return true()
    if not scope.areas:
        return false()
    return or_(*[cond for a in sorted(scope.areas)
                 for cond in (col.startswith(a, autoescape=True), col == func.substr(literal(a), 1, func.length(col)))])


def township_wide_clause(scope: Scope) -> ColumnElement:
    """For data that cuts across every area, board and department (source health, quarantine, the
    audit log): all of it for a township-wide scope, nothing for a narrower one."""
    return true() if scope.township_wide else false()


def board_clause(scope: Scope, col: ColumnElement) -> ColumnElement:
    if scope.boards is None:
        return true()
    return col.in_(sorted(scope.boards)) if scope.boards else false()


def department_clause(scope: Scope, col: ColumnElement) -> ColumnElement:
    if scope.departments is None:
        return true()
    return col.in_(sorted(scope.departments)) if scope.departments else false()


# ---------------------------------------------------------------- cache
_CACHE: "OrderedDict[tuple, Any]" = OrderedDict()
_CACHE_MAX = 512
_LOCK = threading.Lock()


def data_version(db: DB) -> tuple:
    """Changes whenever an ETL run starts or ends, so a new load invalidates cached results."""
    r = s.etl_run
    stmt = select(func.max(r.c.id), func.max(r.c.ended_at), func.count())
    if isinstance(db, Connection):
        return tuple(db.execute(stmt).one())
    with db.connect() as conn:
        return tuple(conn.execute(stmt).one())


def cached(fn: F) -> F:
    """Cache a query's result per (database, latest ETL run, arguments). Arguments must be hashable.

    Results are DataFrames shared between callers: treat them as read-only (copy before changing).
    """

    @functools.wraps(fn)
    def wrapper(db: DB, *args: Any, **kwargs: Any) -> Any:
        key = (fn.__module__, fn.__qualname__, str(engine_of(db).url), data_version(db), args,
               tuple(sorted(kwargs.items())))
        with _LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
        value = fn(db, *args, **kwargs)
        with _LOCK:
            _CACHE[key] = value
            while len(_CACHE) > _CACHE_MAX:
                _CACHE.popitem(last=False)
        return value

    wrapper.uncached = fn  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
