"""Extension points for jobs that run after a load (rules, aggregates) and on a schedule
(reports). Later features register functions here; the ETL and the scheduler call them.
A failing hook is logged and never fails the load that triggered it. The screens see a load once
every after-load hook has returned: the ETL pass moves the data version then
(``cockpit.warehouse.data_version``); the cockpit's writes outside a pass, such as an operator
acting on a warning, call ``bump_data_version`` in their own transaction.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

log = logging.getLogger(__name__)

# fn(engine, results: list[RunResult]) after each ETL pass that loaded rows, in this order
# (fn(engine, results, config=...) for those registered with ``config=True``)
AFTER_LOAD: list[Callable[..., None]] = []
_WANT_CONFIG: set[Callable[..., None]] = set()
# fn(config, engine) for the weekly report job (Monday 07:30)
WEEKLY: list[Callable[[Any, Any], None]] = []


def after_load(fn: Callable[..., None] | None = None, *, before: Callable[..., None] | None = None,
               config: bool = False) -> Any:
    """Decorator (``@after_load`` or ``@after_load(...)``): register ``fn`` to run after loads, last,
    or just before the hook ``before`` when that one reads what ``fn`` writes. ``config``: ``fn``
    also gets the pass's configuration as the keyword ``config`` (None when the caller has none)."""
    def register(f: Callable[..., None]) -> Callable[..., None]:
        if f not in AFTER_LOAD:  # (a ``before`` registered later is appended after ``f`` anyway)
            AFTER_LOAD.insert(AFTER_LOAD.index(before) if before in AFTER_LOAD else len(AFTER_LOAD), f)
        if config:
            _WANT_CONFIG.add(f)
        return f

    return register if fn is None else register(fn)


def weekly(fn: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    if fn not in WEEKLY:
        WEEKLY.append(fn)
    return fn


def run_after_load(engine: Any, results: list[Any], config: Any = None) -> None:
    for fn in list(AFTER_LOAD):
        try:
            if fn in _WANT_CONFIG:
                fn(engine, results, config=config)
            else:
                fn(engine, results)
        except Exception:  # a hook must never break the load
            log.exception("after-load hook %s failed", getattr(fn, "__name__", fn))


def run_weekly(config: Any, engine: Any) -> None:
    for fn in list(WEEKLY):
        try:
            fn(config, engine)
        except Exception:
            log.exception("weekly hook %s failed", getattr(fn, "__name__", fn))
