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

# fn(engine, results: list[RunResult]) after each ETL pass that loaded rows
AFTER_LOAD: list[Callable[[Any, list[Any]], None]] = []
# fn(config, engine) for the weekly report job (Monday 07:30)
WEEKLY: list[Callable[[Any, Any], None]] = []


def after_load(fn: Callable[[Any, list[Any]], None]) -> Callable[[Any, list[Any]], None]:
    """Decorator: register ``fn`` to run after loads."""
    if fn not in AFTER_LOAD:
        AFTER_LOAD.append(fn)
    return fn


def weekly(fn: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    if fn not in WEEKLY:
        WEEKLY.append(fn)
    return fn


def run_after_load(engine: Any, results: list[Any]) -> None:
    for fn in list(AFTER_LOAD):
        try:
            fn(engine, results)
        except Exception:  # a hook must never break the load
            log.exception("after-load hook %s failed", getattr(fn, "__name__", fn))


def run_weekly(config: Any, engine: Any) -> None:
    for fn in list(WEEKLY):
        try:
            fn(config, engine)
        except Exception:
            log.exception("weekly hook %s failed", getattr(fn, "__name__", fn))
