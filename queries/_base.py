"""Shared plumbing of the read side: running a statement, scope clauses, the result cache."""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator, Mapping, TypeVar

import pandas as pd
from sqlalchemy import Connection, Engine, and_, false, func, literal, or_, true
from sqlalchemy.sql.expression import ColumnElement, Select

from cockpit.scope import Scope
from cockpit.warehouse.data_version import current_data_version

DB = Engine | Connection


def connection(db: DB) -> Any:
    """A context giving a Connection: ``db`` itself, or a new one of the engine (the core's reads take one)."""
    from contextlib import nullcontext

    return nullcontext(db) if isinstance(db, Connection) else db.connect()


def connected(db: DB, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(conn, *args, **kwargs)`` on ``connection(db)``."""
    with connection(db) as conn:
        return fn(conn, *args, **kwargs)


def reference_names(conn: Connection) -> dict[str, dict[str, Any]]:
    """Names of areas, departments (zh, en), categories (zh, en) and staff accounts, for rows read by the core."""
    from sqlalchemy import select

    from cockpit.warehouse import schema as s

    areas = {c: n for c, n in conn.execute(select(s.area.c.code, s.area.c.name))}
    depts = {c: (zh, en) for c, zh, en in conn.execute(select(s.department.c.code, s.department.c.name_zh,
                                                              s.department.c.name_en))}
    cats = {c: (zh, en) for c, zh, en in conn.execute(select(s.category.c.code, s.category.c.name_zh,
                                                             s.category.c.name_en))}
    users = {u: d for u, d in conn.execute(select(s.user_account.c.username, s.user_account.c.display_name))}
    return {"area": areas, "department": depts, "category": cats, "user": users}
F = TypeVar("F", bound=Callable[..., Any])


def engine_of(db: DB) -> Engine:
    return db if isinstance(db, Engine) else db.engine


def frame(db: DB, stmt: Select) -> pd.DataFrame:
    """Run ``stmt`` and return its rows as a DataFrame (columns named by the select's labels)."""
    if not isinstance(db, Connection):
        with db.connect() as conn:
            return frame(conn, stmt)
    res = db.execute(stmt)
    # plain tuples: pandas probes each row object for attributes, which rows answer slowly
    return pd.DataFrame([tuple(r) for r in res.fetchall()], columns=list(res.keys()))


def scalar(db: DB, stmt: Select) -> Any:
    if isinstance(db, Connection):
        return db.execute(stmt).scalar()
    with db.connect() as conn:
        return conn.execute(stmt).scalar()


def records(db: DB, stmt: Select) -> list[dict]:
    """The rows of ``stmt`` as dicts (for a few rows read by Python: cheaper than a DataFrame)."""
    if isinstance(db, Connection):
        return [dict(r) for r in db.execute(stmt).mappings()]
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def one(db: DB, stmt: Select) -> dict:
    """The single row of ``stmt`` as a dict (for aggregates without GROUP BY: cheaper than a DataFrame)."""
    if isinstance(db, Connection):
        return dict(db.execute(stmt).mappings().one())
    with db.connect() as conn:
        return dict(conn.execute(stmt).mappings().one())


def area_clause(scope: Scope, col: ColumnElement) -> ColumnElement:
    """The scope's areas as a SQL condition on an area-code column (codes are hierarchical prefixes)."""
    if scope.areas is None:
        return true()
    if not scope.areas:
        return false()
    return or_(*[col.startswith(a, autoescape=True) for a in sorted(scope.areas)])


def _successor(code: str) -> str | None:
    """The smallest digit string above every string that starts with ``code`` (None: there is none)."""
    head = code.rstrip("9")
    return head[:-1] + str(int(head[-1]) + 1) if head else None


def code_prefix(col: ColumnElement, code: str) -> ColumnElement:
    """Rows whose area code starts with ``code``, as a range that an index leading with ``col`` serves.

    A ``LIKE 'code%'`` is tested row by row (SQLite's LIKE ignores case, PostgreSQL's needs the C
    collation to use an index). Area codes are digit strings, so the codes under ``code`` sort from it
    up to its successor (``330999109`` → ``33099911``) in any collation."""
    if not code.isdigit():
        return col.startswith(code, autoescape=True)
    upper = _successor(code)
    return and_(col >= code, col < upper) if upper else col >= code


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


def whole_board_clause(scope: Scope, board: str) -> ColumnElement:
    """For a fact that belongs to one board as a whole (service applications: services): all of it
    for a scope that covers the board, nothing otherwise."""
    return true() if scope.allows_board(board) else false()


def owned_clause(scope: Scope, col: ColumnElement, owners: Mapping[str, tuple[str, str]]) -> ColumnElement:
    """Rows whose code in ``col`` (a sensor metric, a person tag) is owned, per ``owners`` (code ->
    (board, department)), by a board and a department the scope covers."""
    if scope.boards is None and scope.departments is None:
        return true()
    codes = sorted(code for code, (board, dept) in owners.items()
                   if scope.allows_board(board) and (scope.departments is None or dept in scope.departments))
    return col.in_(codes) if codes else false()


NOT_SCOPED_BY = re.compile(r"^\s*Not scoped by ((?:areas|boards|departments)(?:, (?:areas|boards|departments))*): (\S.*)$",
                           re.MULTILINE)
"""The one form in which a query's docstring says that a dimension of the scope does not apply to it,
and why: ``Not scoped by boards, departments: an area's name and shape are no board's data.``"""


def not_scoped_by(fn: Callable[..., Any]) -> set[str]:
    """The dimensions of the scope that ``fn``'s docstring declares do not apply to it."""
    return {d for m in NOT_SCOPED_BY.finditer(fn.__doc__ or "") for d in m.group(1).split(", ")}


# ---------------------------------------------------------------- cache
_CACHE: "OrderedDict[tuple, Any]" = OrderedDict()
_CACHE_MAX = 512
_LOCK = threading.Lock()
_PENDING: dict[tuple, Future] = {}  # results being computed, by cache key


# (warehouse URL, data version) fixed for the reads of one screen (``reading``)
_PINNED: ContextVar[tuple[str, tuple] | None] = ContextVar("cockpit_pinned_version", default=None)


def data_version(db: DB) -> tuple:
    """The cache key of the warehouse's data (``cockpit.warehouse.data_version``): it moves after an
    ETL pass has finished with its after-load hooks, and with the cockpit's own writes."""
    if isinstance(db, Connection):
        return (current_data_version(db),)
    with db.connect() as conn:
        return (current_data_version(conn),)


def cached(fn: F) -> F:
    """Cache a query's result per (database, data version, arguments). Arguments must be hashable.

    A result being computed is computed once: other callers asking for it meanwhile (the screens
    that all refresh after a load) wait for it rather than run the same query again.
    Results are DataFrames shared between callers: treat them as read-only (copy before changing).
    """

    @functools.wraps(fn)
    def wrapper(db: DB, *args: Any, **kwargs: Any) -> Any:
        url = str(engine_of(db).url)
        pinned = _PINNED.get()
        version = pinned[1] if pinned is not None and pinned[0] == url else data_version(db)
        key = (fn.__module__, fn.__qualname__, url, version, args, tuple(sorted(kwargs.items())))
        with _LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
            pending = _PENDING.get(key)
            if pending is None:
                pending = _PENDING[key] = Future()
                mine = True
            else:
                mine = False
        if not mine:
            return pending.result()
        try:
            value = fn(db, *args, **kwargs)
        except BaseException as exc:
            with _LOCK:
                _PENDING.pop(key, None)
            pending.set_exception(exc)
            raise
        with _LOCK:
            _CACHE[key] = value
            _PENDING.pop(key, None)
            while len(_CACHE) > _CACHE_MAX:
                _CACHE.popitem(last=False)
        pending.set_result(value)
        return value

    wrapper.uncached = fn  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


# ---------------------------------------------------------------- a screen's reads
@contextmanager
def reading(db: Engine) -> Iterator[Connection]:
    """One connection for all the reads of a screen, with the data version (the cache key) read once.

    A refresh makes a few dozen small reads: on their own, each would check a connection out of the
    pool (a ping and a transaction on PostgreSQL) and read the version again."""
    with db.connect() as conn:
        token = _PINNED.set((str(db.url), data_version(conn)))
        try:
            yield conn
        finally:
            _PINNED.reset(token)
