"""A pass of the ETL: the chosen sources, area sources first, then the after-load hooks, then the
data version moves (``cockpit.warehouse.data_version``: the screens' cached results are read again).

The area sources load first, in this process (they decide the grids the others are placed on); the
others are prepared by ``etl.prepare_processes`` worker processes while this process writes their
batches (``parallel``), or one after the other here (``engine.run_source``). A table that is empty
when the pass starts is loaded without its secondary indexes, built at the end (``indexes``).
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator

from sqlalchemy import Engine, event

from cockpit import hooks
from cockpit.config import Config, SourceConfig
from cockpit.etl import duplicates  # noqa: F401 - registers its after-load hook (before the aggregates')
from cockpit.warnings import engine as _rules  # noqa: F401 - registers the rules pass, after the aggregates
from cockpit.etl import parallel
from cockpit.etl.engine import RunResult, load_context, run_source
from cockpit.etl.steps import Context
from cockpit.warehouse import indexes
from cockpit.warehouse.data_version import bump_data_version
from cockpit.warehouse.targets import TARGETS
from cockpit import clock

log = logging.getLogger(__name__)


class UnknownSource(ValueError):
    """A source name that the configuration does not declare."""


def run_sources(config: Config, engine: Engine, *, names: list[str] | None = None, full: bool = False,
                stop: threading.Event | None = None, now: Callable[[], datetime] = clock.now) -> list[RunResult]:
    """Run every enabled source (or the ``names`` given), area sources first, each isolated: a failing
    source is recorded with its error and the others go on. After the pass, if any rows loaded, the
    after-load hooks run; then, if any source ran, the data version moves (only once the hooks have
    finished, so no screen caches the loaded rows beside aggregates not yet refreshed). Sources not
    yet started when ``stop`` is set are skipped. A table that is empty when the pass starts is
    loaded without its secondary indexes, built at the end (``indexes``).

    The area sources load first, in this process (they decide the grids the others are placed on);
    the others are prepared by ``etl.prepare_processes`` worker processes while this process writes
    their batches, each in its own transaction, exactly as in one process (``parallel``)."""
    if names:
        unknown = [n for n in names if n not in config.sources]
        if unknown:
            raise UnknownSource(f"unknown source {', '.join(unknown)}; declared sources: {', '.join(sorted(config.sources))}")
        chosen = [config.sources[n] for n in dict.fromkeys(names)]
    else:
        chosen = [src for src in config.sources.values() if src.enabled]
    chosen.sort(key=lambda src: src.target != "area")  # stable: areas first, then config order
    results: list[RunResult] = []
    tables = [TARGETS[src.target].table for src in chosen]
    try:
        with _load_settings(engine):
            with indexes.deferred_for_empty(engine, tables):
                _run_chosen(config, engine, chosen, results, full=full, stop=stop, now=now)
            if any(r.rows_loaded for r in results):
                hooks.run_after_load(engine, results, config)
    finally:  # also after a pass cut short: its runs' records and committed batches are data too
        if results:
            with engine.begin() as conn:
                bump_data_version(conn)
    return results


def _run_chosen(config: Config, engine: Engine, chosen: list[SourceConfig], results: list[RunResult], *,
                full: bool, stop: threading.Event | None, now: Callable[[], datetime]) -> None:
    context: Context | None = None
    for i, src in enumerate(chosen):
        if stop is not None and stop.is_set():
            break
        if context is None:
            context = load_context(config, engine)
        if src.target != "area" and now == clock.now:  # (workers stamp batches with the clock)
            rest = chosen[i:]  # the area sources (first) are loaded: the grids are final
            processes = parallel.processes_for(config, rest, full=full)
            if processes:
                parallel.run(config, engine, rest, context, results, processes=processes, full=full, stop=stop)
                return
        result = run_source(config, engine, src, full=full, stop=stop, now=now, context=context)
        results.append(result)
        if src.target == "area" and result.rows_loaded:
            context = None  # the grids changed: read them again for the sources that locate rows


# ---------------------------------------------------------------- SQLite during a pass
# SQLite (WAL, synchronous=NORMAL) copies the write-ahead log into the database file at a commit
# once the log passes ``wal_autocheckpoint`` pages (default 1000, 4 MB). A load commits every batch
# and every run record: the same index pages would be copied again and again. During a pass the
# connections the pass uses get a higher threshold (and a larger page cache for the index pages),
# both set back when the connection returns to the pool; a thread beside the pass copies the log as
# it is committed (``_checkpointing_beside``), and the pass ends with one checkpoint.
# Commits stay atomic, and the kind of loss synchronous=NORMAL allows is unchanged: a power cut
# (not a crash of the process) may undo the batches committed since the last checkpoint, their
# watermark with them, so the next run reads those rows again.
LOAD_PRAGMAS = {"wal_autocheckpoint": 65536, "cache_size": -65536}  # 256 MB of log at most; 64 MB of cache


def _raise_for_load(dbapi_conn, record, _proxy) -> None:  # noqa: ANN001 - pool event
    before = {}
    for name, value in LOAD_PRAGMAS.items():
        before[name] = dbapi_conn.execute(f"PRAGMA {name}").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA {name}={int(value)}")
    record.info["etl_pragmas"] = before


def _restore_after_load(dbapi_conn, record) -> None:  # noqa: ANN001 - pool event
    before = record.info.pop("etl_pragmas", None)
    if dbapi_conn is not None and before:
        for name, value in before.items():
            dbapi_conn.execute(f"PRAGMA {name}={int(value)}")


CHECKPOINT_EVERY_SECONDS = 0.25


@contextmanager
def _checkpointing_beside(engine: Engine) -> Iterator[None]:
    """Within the block, a thread of this process copies the committed log into the database file
    (PASSIVE checkpoints, on a connection of its own) every ``CHECKPOINT_EVERY_SECONDS``. The copy
    and its disk syncs are I/O: beside the pass they overlap its processor work, where a checkpoint
    run by a commit stops the pass until the disk has it. The pass's own automatic checkpoint stays
    as the bound on the log, should this thread fall behind."""
    import sqlite3

    path = engine.url.database
    if not path or path == ":memory:" or engine.url.query.get("uri"):  # a URI filename: left to the commits
        yield
        return
    stop = threading.Event()

    def checkpoint() -> None:
        try:
            conn = sqlite3.connect(path, check_same_thread=False)
        except sqlite3.Error:
            log.debug("no checkpoint thread", exc_info=True)
            return
        try:
            while not stop.wait(CHECKPOINT_EVERY_SECONDS):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:  # busy or locked: the next round (or the pass's own) copies it
                    log.debug("checkpoint beside the load skipped", exc_info=True)
        finally:
            conn.close()

    thread = threading.Thread(target=checkpoint, name="etl-checkpoint", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextmanager
def _load_settings(engine: Engine) -> Iterator[None]:
    if engine.dialect.name != "sqlite":
        yield
        return
    if not event.contains(engine, "checkin", _restore_after_load):  # stays: it only undoes what a pass set
        event.listen(engine, "checkin", _restore_after_load)
    event.listen(engine, "checkout", _raise_for_load)
    try:
        with _checkpointing_beside(engine):
            yield
    finally:
        event.remove(engine, "checkout", _raise_for_load)
        try:  # PASSIVE: it never waits for readers; a busy database only postpones it to a later commit
            with engine.connect() as conn:
                conn.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:
            log.debug("checkpoint after the load postponed", exc_info=True)
