"""ETL benchmark at county scale: full load, 1% incremental, and the raw insert limit of each engine.

The raw limit is measured in the same run on the same database: the very rows the full load wrote,
read back and inserted into empty, constraint-free copies of their tables by the fastest plain
method of the engine (SQLite: executemany of tuples in one transaction; PostgreSQL: COPY).
"""

from __future__ import annotations

import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, inspect, text

from benchmarks.source_changes import change_share
from cockpit import hooks
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

    @property
    def full_rate(self) -> float:
        return self.rows_loaded_full / self.full_seconds

    @property
    def raw_rate(self) -> float:
        return self.raw_rows / self.raw_seconds


def _tables(config: Config) -> list[str]:
    return sorted({TARGETS[s.target].table for s in config.sources.values()})


def raw_insert_seconds(engine: Engine, tables: list[str]) -> tuple[int, float]:
    """Insert every row of ``tables`` again into empty copies; return (rows, seconds of inserting)."""
    rows_total, seconds = 0, 0.0
    for table in tables:
        cols = [c["name"] for c in inspect(engine).get_columns(table)]
        collist = ", ".join(cols)
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS raw_{table}"))
            conn.execute(text(f"CREATE TABLE raw_{table} AS SELECT {collist} FROM {table} WHERE 1 = 0"))
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(text(f"SELECT {collist} FROM {table}"))]
        raw = engine.raw_connection()
        try:
            t0 = time.perf_counter()
            cur = raw.cursor()
            if engine.dialect.name == "sqlite":
                marks = ", ".join("?" for _ in cols)
                cur.executemany(f"INSERT INTO raw_{table} ({collist}) VALUES ({marks})", rows)
            else:
                with cur.copy(f"COPY raw_{table} ({collist}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            raw.commit()
            seconds += time.perf_counter() - t0
        finally:
            raw.close()
        rows_total += len(rows)
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE raw_{table}"))
    return rows_total, seconds


def run(config: Config, engine: Engine, engine_name: str, pristine_sources: Path, work_sources: Path) -> EtlFigures:
    from cockpit.etl import run_sources

    if work_sources.exists():
        shutil.rmtree(work_sources)
    shutil.copytree(pristine_sources, work_sources)
    spent: dict[str, float] = {"write": 0.0, "index": 0.0, "hooks": 0.0}
    t0 = time.perf_counter()
    with _timed(etl_engine, "write_batch", spent, "write"), _timed(indexes, "ensure", spent, "index"), \
            _timed(hooks, "run_after_load", spent, "hooks"):
        full = run_sources(config, engine, full=True)
    full_seconds = time.perf_counter() - t0
    failed = [(r.source, r.error) for r in full if r.status != "success"]
    if failed:
        raise RuntimeError(f"full load failed: {failed}")
    raw_rows, raw_seconds = raw_insert_seconds(engine, _tables(config))
    changed = change_share(config, 0.01)
    t0 = time.perf_counter()
    incr = run_sources(config, engine)
    incr_seconds = time.perf_counter() - t0
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
    )


@contextmanager
def _timed(module: object, name: str, spent: dict[str, float], label: str) -> Iterator[None]:
    """Add the wall time of every call of ``module.name`` to ``spent[label]`` within the block."""
    original = getattr(module, name)

    def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - a transparent wrapper
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - t0

    setattr(module, name, timed)
    try:
        yield
    finally:
        setattr(module, name, original)
