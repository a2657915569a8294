"""ETL benchmark at county scale: full load, 1% incremental, and the raw insert limit of each engine.

The raw limit is measured in the same run on the same database: the rows the loads wrote (the full
load's and the incremental's, measured before it), read back and inserted into empty,
constraint-free copies of their tables by the fastest plain method of the engine (SQLite:
executemany of tuples in one transaction; PostgreSQL: COPY).

The database floor is the part of a full load no ETL can avoid: the same rows inserted by that same
method into a fresh warehouse's own tables (their keys kept, their secondary indexes dropped as a
first load drops them), then those indexes and the event aggregate built by the cockpit's own code.
The full load's time over the floor's is what reading, checking and writing the sources adds.
"""

from __future__ import annotations

import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import Engine, inspect, text

from benchmarks.source_changes import change_share
from cockpit import aggregates, hooks
from cockpit.config import Config
from cockpit.etl import engine as etl_engine
from cockpit.warehouse import indexes
from cockpit.warehouse.targets import TARGETS


@dataclass
class EtlFigures:
    engine: str
    rows_read_full: int
    rows_loaded_full: int
    full_seconds: float
    raw_rows: int
    raw_seconds: float
    incr_rows_changed: int
    incr_rows_loaded: int
    incr_seconds: float
    # where the full load's wall time went in the loading process (0 where not measured)
    write_seconds: float = 0.0  # writing batches (with their quarantine, watermark and run counts)
    index_seconds: float = 0.0  # building the secondary indexes of the tables loaded from empty
    hooks_seconds: float = 0.0  # after-load hooks (the event aggregate)
    # CPU-seconds spent during the full load: by the loading process, and by the whole machine
    loader_cpu_seconds: float = 0.0
    machine_cpu_seconds: float = 0.0
    cores: int = 0  # the machine's CPU cores
    # the database floor (module docstring): inserting with keys, building the indexes, the aggregate
    floor_insert_seconds: float = 0.0
    floor_index_seconds: float = 0.0
    floor_aggregate_seconds: float = 0.0
    # the after-load hooks of the full load, each (label -> seconds; their sum is hooks_seconds)
    full_hooks: dict[str, float] = field(default_factory=dict)
    # where the 1 % incremental's wall time went in the loading process (``incremental_phases``)
    incr_phases: dict[str, float] = field(default_factory=dict)
    incr_loader_cpu_seconds: float = 0.0
    incr_rows_by_table: dict[str, int] = field(default_factory=dict)  # rows loaded per warehouse table
    incr_writing_by_table: dict[str, float] = field(default_factory=dict)  # the writing phase per table

    @property
    def floor_seconds(self) -> float:
        return self.floor_insert_seconds + self.floor_index_seconds + self.floor_aggregate_seconds

    @property
    def full_rate(self) -> float:
        return self.rows_loaded_full / self.full_seconds

    @property
    def raw_rate(self) -> float:
        return self.raw_rows / self.raw_seconds


def _tables(config: Config) -> list[str]:
    return sorted({TARGETS[s.target].table for s in config.sources.values()})


def _columns(engine: Engine, table: str) -> list[str]:
    return [c["name"] for c in inspect(engine).get_columns(table)]


def _read_all(engine: Engine, table: str, cols: list[str]) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT {', '.join(cols)} FROM {table}"))]


def _insert_plain(engine: Engine, table: str, cols: list[str], rows: list[tuple]) -> float:
    """Insert ``rows`` by the engine's fastest plain method in one transaction; the seconds it took."""
    collist = ", ".join(cols)
    raw = engine.raw_connection()
    try:
        t0 = time.perf_counter()
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            marks = ", ".join("?" for _ in cols)
            cur.executemany(f"INSERT INTO {table} ({collist}) VALUES ({marks})", rows)
        else:
            with cur.copy(f"COPY {table} ({collist}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        raw.commit()
        return time.perf_counter() - t0
    finally:
        raw.close()


def raw_insert_seconds(engine: Engine, tables: list[str]) -> tuple[int, float]:
    """Insert every row of ``tables`` again into empty copies; return (rows, seconds of inserting)."""
    rows_total, seconds = 0, 0.0
    for table in tables:
        cols = _columns(engine, table)
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS raw_{table}"))
            conn.execute(text(f"CREATE TABLE raw_{table} AS SELECT {', '.join(cols)} FROM {table} WHERE 1 = 0"))
        rows = _read_all(engine, table, cols)
        seconds += _insert_plain(engine, f"raw_{table}", cols, rows)
        rows_total += len(rows)
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE raw_{table}"))
    return rows_total, seconds


def floor_seconds(loaded: Engine, empty: Engine, tables: list[str]) -> tuple[float, float, float]:
    """The database floor (module docstring): copy every row of ``tables`` from the ``loaded``
    warehouse into the ``empty`` one (freshly migrated) and build what a first load builds; return
    the seconds of (inserting, building the secondary indexes, building the event aggregate)."""
    with empty.begin() as conn:
        for table in tables:
            for ix in indexes.secondary_indexes(table):
                conn.execute(text(f'DROP INDEX IF EXISTS "{ix.name}"'))
    inserting = 0.0
    for table in tables:
        cols = _columns(loaded, table)
        inserting += _insert_plain(empty, table, cols, _read_all(loaded, table, cols))
    t0 = time.perf_counter()
    with empty.begin() as conn:
        indexes.ensure(conn, tables)
    building = time.perf_counter() - t0
    with empty.connect() as conn:
        first, last = conn.execute(text("SELECT min(reported_at), max(reported_at) FROM event")).one()
    t0 = time.perf_counter()
    if first is not None:
        first, last = (d if isinstance(d, datetime) else datetime.fromisoformat(str(d)) for d in (first, last))
        aggregates.refresh_event_days(empty, [first.date() + timedelta(days=i) for i in range((last - first).days + 1)])
    return inserting, building, time.perf_counter() - t0


def busy_cpu_seconds() -> float:
    """CPU-seconds the whole machine has been busy since boot (Linux; 0 elsewhere)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            ticks = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle and waiting for I/O
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run(config: Config, engine: Engine, engine_name: str, pristine_sources: Path, work_sources: Path,
        floor_engine: Engine | None = None, after_incremental: Callable[[], object] | None = None) -> EtlFigures:
    """Full load, 1% incremental, then (``after_incremental`` called in between, when given) the raw
    limit and the database floor (into ``floor_engine``, an empty migrated warehouse, when given).

    The incremental follows the full load, as a scheduled run follows the one before it: the raw
    limit and the floor write gigabytes of scratch rows, which push part of the warehouse out of the
    operating system's cache, and an incremental timed after them reads those pages from disk."""
    from cockpit.etl import run_sources

    if work_sources.exists():
        shutil.rmtree(work_sources)
    shutil.copytree(pristine_sources, work_sources)
    spent: dict[str, float] = {"write": 0.0, "index": 0.0, "hooks": 0.0}
    busy0, cpu0, t0 = busy_cpu_seconds(), time.process_time(), time.perf_counter()
    full_hooks: dict[str, float] = {}
    with _timed(etl_engine, "write_batch", spent, "write"), _timed(indexes, "ensure", spent, "index"), \
            _timed(hooks, "run_after_load", spent, "hooks"), _timed_hooks(full_hooks):
        full = run_sources(config, engine, full=True)
    full_seconds = time.perf_counter() - t0
    loader_cpu, machine_cpu = time.process_time() - cpu0, busy_cpu_seconds() - busy0
    failed = [(r.source, r.error) for r in full if r.status != "success"]
    if failed:
        raise RuntimeError(f"full load failed: {failed}")
    changed = change_share(config, 0.01)
    incr, incr_seconds, phases, incr_cpu, writing = timed_incremental(config, engine)
    if after_incremental is not None:
        after_incremental()
    raw_rows, raw_seconds = raw_insert_seconds(engine, _tables(config))
    floor = floor_seconds(engine, floor_engine, _tables(config)) if floor_engine is not None else (0.0, 0.0, 0.0)
    by_table: dict[str, int] = {}
    for r in incr:
        by_table[TARGETS[r.target].table] = by_table.get(TARGETS[r.target].table, 0) + r.rows_loaded
    return EtlFigures(
        engine=engine_name,
        rows_read_full=sum(r.rows_read for r in full),
        rows_loaded_full=sum(r.rows_loaded for r in full),
        full_seconds=full_seconds,
        raw_rows=raw_rows,
        raw_seconds=raw_seconds,
        incr_rows_changed=sum(changed.values()),
        incr_rows_loaded=sum(r.rows_loaded for r in incr),
        incr_seconds=incr_seconds,
        write_seconds=spent["write"],
        index_seconds=spent["index"],
        hooks_seconds=spent["hooks"],
        loader_cpu_seconds=loader_cpu,
        machine_cpu_seconds=machine_cpu,
        cores=os.cpu_count() or 1,
        floor_insert_seconds=floor[0],
        floor_index_seconds=floor[1],
        floor_aggregate_seconds=floor[2],
        full_hooks=full_hooks,
        incr_phases=phases,
        incr_loader_cpu_seconds=incr_cpu,
        incr_rows_by_table=by_table,
        incr_writing_by_table=writing,
    )


# the after-load hooks by what they do (their function names in the ``hooks`` registry)
HOOK_LABELS = {"link_after_load": "duplicate links", "refresh_after_load": "event aggregate",
               "rules_after_load": "warning rules"}
# the incremental's phases, in the report's order (``timed_incremental``)
INCR_PHASES = ("areas", "waiting", "writing", "run records", *HOOK_LABELS.values(), "rest")


def timed_incremental(config: Config, engine: Engine) -> tuple[list, float, dict[str, float], float, dict[str, float]]:
    """An ordinary incremental ``run_sources``, with where the loading process's wall time went
    (each phase without the phases inside it): reading and standardising in this process (the area
    sources, and the area registry: ``areas``), waiting for the workers' batches (``waiting``),
    writing the batches (``writing``: rows, quarantine, watermark and run counts, one transaction
    each), opening and closing the run records, each after-load hook, and the ``rest`` (the index
    check, the data version, SQLite's checkpoint, starting the workers). Returns (results, seconds,
    phases, CPU-seconds of the loading process, the writing phase's seconds per warehouse table)."""
    from cockpit.etl import parallel, passes, run_sources

    phases = _Phases()
    by_table: dict[str, float] = {}
    # entered first, so that the phase's wrapper calls this one: both time the same calls
    with _timed(etl_engine, "write_batch", by_table, _table_written), \
            phases.timing(passes, "run_source", "areas"), phases.timing(passes, "load_context", "areas"), \
            phases.timing(parallel, "run", "waiting"), phases.timing(etl_engine, "write_batch", "writing"), \
            phases.timing(etl_engine, "begin_run", "run records"), phases.timing(etl_engine, "finish_run", "run records"):
        hooked: dict[str, float] = {}
        with _timed_hooks(hooked):
            cpu0, t0 = time.process_time(), time.perf_counter()
            results = run_sources(config, engine)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    out = {name: phases.spent.get(name, 0.0) for name in ("areas", "waiting", "writing", "run records")}
    for name, secs in hooked.items():
        label = HOOK_LABELS.get(name, name)
        out[label] = out.get(label, 0.0) + secs
    out["rest"] = max(0.0, seconds - sum(out.values()))
    return results, seconds, out, cpu, by_table


def _table_written(_engine: Engine, source: object, *_args: object, **_kwargs: object) -> str:
    """The warehouse table a ``write_batch`` call writes."""
    return TARGETS[source.target].table


class _Phases:
    """Wall time per phase, each without the time of the phases called inside it."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._stack: list[list] = []  # [label, started, time of the phases inside]

    @contextmanager
    def timing(self, module: object, name: str, label: str) -> Iterator[None]:
        original = getattr(module, name)

        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - a transparent wrapper
            frame = [label, time.perf_counter(), 0.0]
            self._stack.append(frame)
            try:
                return original(*args, **kwargs)
            finally:
                self._stack.pop()
                took = time.perf_counter() - frame[1]
                self.spent[label] = self.spent.get(label, 0.0) + took - frame[2]
                if self._stack:
                    self._stack[-1][2] += took

        setattr(module, name, timed)
        try:
            yield
        finally:
            setattr(module, name, original)


@contextmanager
def _timed_hooks(spent: dict[str, float]) -> Iterator[None]:
    """Add the wall time of each registered after-load hook to ``spent[its function's name]``."""
    original = list(hooks.AFTER_LOAD)
    wanting = set(hooks._WANT_CONFIG)

    def timed(fn):  # noqa: ANN001, ANN202 - a transparent wrapper
        name = getattr(fn, "__name__", str(fn))
        spent.setdefault(name, 0.0)

        def run(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - t0

        if fn in wanting:
            hooks._WANT_CONFIG.add(run)
        return run

    hooks.AFTER_LOAD[:] = [timed(fn) for fn in original]
    try:
        yield
    finally:
        hooks.AFTER_LOAD[:] = original
        hooks._WANT_CONFIG.intersection_update(wanting | set(original))


@contextmanager
def _timed(module: object, name: str, spent: dict[str, float], label: str | Callable[..., str]) -> Iterator[None]:
    """Add the wall time of every call of ``module.name`` to ``spent[label]`` within the block;
    ``label`` may be a function of the call's arguments."""
    original = getattr(module, name)

    def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - a transparent wrapper
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            key = label(*args, **kwargs) if callable(label) else label
            spent[key] = spent.get(key, 0.0) + time.perf_counter() - t0

    setattr(module, name, timed)
    try:
        yield
    finally:
        setattr(module, name, original)
