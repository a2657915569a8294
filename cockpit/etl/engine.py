"""The ETL engine: one source's run, batch by batch, isolated from the others:
extract → standardise → quarantine bad rows → upsert good rows + move the watermark (one transaction).

``prepare_batches`` does everything but the writing (extract, standardise, rows and their hashes);
``write_batch`` writes one prepared batch with its quarantine, watermark and run counts;
``begin_run`` and ``finish_run`` keep its ``etl_run`` record; ``run_source`` does all of it in this
process. A pass over several sources (``passes``) runs them here one after the other, or has
worker processes prepare them (``parallel``) while this process writes with ``write_batch``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable, Iterator

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select, update

from cockpit import aggregates  # (also registers the after-load hook)
from cockpit.config import Config, ConfigError, SourceConfig
from cockpit.etl import load, parse, quarantine, runs, value_maps, watermark
from cockpit.etl.extract import SourceUnavailable, extract
from cockpit.etl.locate import AreaIndex
from cockpit.etl.steps import Batch, Context, output_rows, standardise
from cockpit.privacy import mask_text, masked_logger
from cockpit.warehouse import schema as s
from cockpit.warehouse.targets import TARGETS
from cockpit import clock

log = masked_logger(__name__)  # exception messages may quote source values
LINEAGE_KEY = ("src_source", "src_key")


@dataclass
class RunResult:
    run_id: int | None
    source: str
    target: str
    status: str = "running"  # success | failed | interrupted
    rows_read: int = 0
    rows_loaded: int = 0  # inserted or actually changed
    rows_rejected: int = 0
    watermark_before: str | None = None
    watermark_after: str | None = None
    error: str | None = None
    attempts: int = 1
    touched_days: set[date] = field(default_factory=set)  # days of the target's main time field among loaded rows
    # aggregate groups of the changed rows, before and after (None: too many, or not tracked: refresh whole days)
    touched_groups: set[tuple] | None = field(default_factory=set)
    # rows each value map's "*" fallback took: field -> source code -> rows (etl_run.value_map_fallbacks)
    fallbacks: dict[str, dict[str, int]] = field(default_factory=dict)


def load_context(config: Config, engine: Engine) -> Context:
    """Reference code lists and the area registry, as the warehouse holds them now."""
    with engine.connect() as conn:
        cats = conn.execute(select(s.category.c.code, s.category.c.board, s.category.c.department_code)).all()
        refs = {
            "category": {c.code for c in cats},
            "channel": set(conn.execute(select(s.channel.c.code)).scalars()),
            "department": set(conn.execute(select(s.department.c.code)).scalars()),
            "indicator": set(conn.execute(select(s.indicator.c.code)).scalars()),
        }
        areas = pd.DataFrame(conn.execute(select(
            s.area.c.code, s.area.c.name, s.area.c.level, s.area.c.parent_code, s.area.c.seq, s.area.c.geometry,
        )).all(), columns=["code", "name", "level", "parent_code", "seq", "geometry"])
    return Context(
        id_salt=config.get("security", "id_salt"),
        areas=AreaIndex.from_frame(areas),
        refs=refs,
        category_board={c.code: c.board for c in cats},
        category_department={c.code: c.department_code for c in cats},
    )


def run_source(config: Config, engine: Engine, source: SourceConfig, *, full: bool = False,
               stop: threading.Event | None = None, now: Callable[[], datetime] = clock.now,
               context: Context | None = None) -> RunResult:
    """One source run in this process, recorded in ``etl_run``. Never raises for a source's own failure."""
    result = begin_run(engine, source, full=full, now=now)
    attempts = max(1, int(config.get("etl", "retry_attempts")))
    try:
        ctx = context or load_context(config, engine)
        for attempt in range(1, attempts + 1):
            result.attempts = attempt
            try:
                batches = prepare_batches(config, source, ctx, result.watermark_after, full=full, now=now)
                _load_batches(engine, source, batches, result, stop=stop)
                break
            except SourceUnavailable as exc:
                if attempt == attempts:
                    raise
                delay = retry_delay(config, attempt)
                log.warning("source %s unavailable (attempt %d of %d), retrying in %.1f s: %s",
                            source.name, attempt, attempts, delay, exc)
                if stop is not None and stop.wait(delay):
                    result.status, result.error = "interrupted", f"stopped while waiting to retry: {exc}"
                    break
                if stop is None:
                    time.sleep(delay)
        if result.status == "running":
            result.status = "success"
    except Exception as exc:  # one broken source must not stop the others
        result.status, result.error = "failed", failure_text(exc, source)
    finally:
        finish_run(engine, result, now=now)
    return result


def retry_delay(config: Config, attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1`` of an unavailable source (exponential backoff)."""
    return float(config.get("etl", "retry_backoff_seconds")) * 2 ** (attempt - 1)


def failure_text(exc: Exception, source: SourceConfig) -> str:
    """What a failed run records as its error: the message of an unavailable source or a
    configuration mistake, else the exception's type and message (its traceback is logged), with
    personal numbers masked (a database error may quote a row's values)."""
    if isinstance(exc, (SourceUnavailable, ConfigError)):
        return mask_text(str(exc))
    log.error("source %s failed", source.name, exc_info=exc)
    return mask_text(f"{type(exc).__name__}: {exc}")


def begin_run(engine: Engine, source: SourceConfig, *, full: bool, now: Callable[[], datetime]) -> RunResult:
    """Open the source's ``etl_run`` record (status running) from its stored watermark."""
    with engine.connect() as conn:
        before = watermark.get(conn, source.name)
    run_id = runs.start(engine, source.name, full=full, watermark=before, now=now())
    return RunResult(run_id=run_id, source=source.name, target=source.target, watermark_before=before,
                     watermark_after=before)


def finish_run(engine: Engine, result: RunResult, *, now: Callable[[], datetime]) -> None:
    """Close the run record with its counts; a run still running was stopped (e.g. KeyboardInterrupt):
    it is recorded as interrupted, never left half-written."""
    if result.status == "running":
        result.status, result.error = "interrupted", result.error or "the load was stopped"
    runs.finish(engine, result.run_id, now(), status=result.status, attempts=result.attempts,
                rows_read=result.rows_read, rows_loaded=result.rows_loaded, rows_rejected=result.rows_rejected,
                watermark_after=result.watermark_after, error=result.error)


@dataclass
class Prepared:
    """One extracted batch, standardised and formatted for the load: all the work but the writing.
    Plain data only, so a worker process can hand it to the loading process."""

    rows: load.Rows  # the good rows, src_run_id still unset
    block: load.CopyBlock | None  # PostgreSQL: the rows' COPY text, without src_run_id
    stamp: datetime  # load time of the batch
    mark: str | None  # the largest replication value of the raw batch
    read: int  # source rows in the batch
    issues: list[dict]  # dq_issue rows of the rejected ones, run_id still unset
    fallbacks: dict[str, dict[str, int]] = field(default_factory=dict)  # rows value-map fallbacks took


def prepare_batches(config: Config, source: SourceConfig, ctx: Context, since: str | None, *, full: bool,
                    now: Callable[[], datetime], copy_text: bool = False) -> Iterator[Prepared]:
    """Extract from ``since`` and standardise, batch by batch (duplicates are judged across the
    whole extract, as the batches come)."""
    target = TARGETS[source.target]
    columns = load.table_columns(target)
    seen: set[str] = set()
    seen_business: set[str] = set()
    batch_size = int(config.get("etl", "batch_size"))
    for raw in extract(source, since, batch_size, full=full):
        b = Batch(source, raw.rows, seen_keys=seen)
        standardise(b, ctx)
        if target.business_key != LINEAGE_KEY:
            _reject_business_key_duplicates(b, target.business_key, seen_business)
        seen.update(b.key[b.key.notna() & (b.rule != "duplicate")])
        stamp = now()
        rows, block = load.finish_rows(output_rows(b, columns, None), target, stamp, copy_text=copy_text)
        yield Prepared(rows, block, stamp, raw.watermark, len(b.raw), quarantine.issues(b, None, stamp), b.fallbacks)


def _load_batches(engine: Engine, source: SourceConfig, batches: Iterator[Prepared], result: RunResult, *,
                  stop: threading.Event | None) -> None:
    """Write each prepared batch with its quarantine, watermark and run counts in one transaction."""
    # a source that never committed a batch has no rows in the warehouse yet: try plain inserts
    # (the load falls back to the upsert by itself if a key exists after all)
    fresh = result.watermark_after is None
    for p in batches:
        fresh = write_batch(engine, source, p, result, fresh=fresh)
        if stop is not None and stop.is_set():
            result.status, result.error = "interrupted", STOPPED_BETWEEN_BATCHES
            return


STOPPED_BETWEEN_BATCHES = "stopped between batches; the next run continues from the watermark"


def write_batch(engine: Engine, source: SourceConfig, p: Prepared, result: RunResult, *, fresh: bool) -> bool:
    """Write one prepared batch of ``source`` with its quarantine, watermark and run counts in one
    transaction, and count it in ``result``. ``fresh``: try plain inserts first (see ``load``);
    returns whether the next batch may still do so."""
    target = TARGETS[source.target]
    p.rows.set_constant("src_run_id", result.run_id)
    for issue in p.issues:
        issue["run_id"] = result.run_id
    mark = watermark.advance(result.watermark_after, p.mark)
    fallbacks = value_maps.merge({f: dict(c) for f, c in result.fallbacks.items()}, p.fallbacks)
    with engine.begin() as conn:
        outcome = load.write(conn, target, p.rows, fresh=fresh, block=p.block)
        quarantine.record(conn, p.issues)
        quarantine.resolve(conn, source.name, outcome.changed_keys, result.run_id, p.stamp)
        watermark.put(conn, source.name, mark, result.run_id, p.stamp)
        conn.execute(update(s.etl_run).where(s.etl_run.c.id == result.run_id).values(
            rows_read=result.rows_read + p.read, rows_loaded=result.rows_loaded + len(outcome.changed_keys),
            rows_rejected=result.rows_rejected + len(p.issues), watermark_after=mark, attempts=result.attempts,
            **({"value_map_fallbacks": value_maps.record(source, fallbacks)} if p.fallbacks else {})))
    # the batch is committed: count it
    result.rows_read += p.read
    result.rows_loaded += len(outcome.changed_keys)
    result.rows_rejected += len(p.issues)
    result.touched_days |= outcome.days
    if outcome.changed_keys:
        result.touched_groups = aggregates.add_groups(result.touched_groups, outcome.groups)
    result.watermark_after = mark
    result.fallbacks = fallbacks
    return fresh and not outcome.fresh_failed


def _reject_business_key_duplicates(b: Batch, key: tuple[str, ...], seen: set[str]) -> None:
    """Two source rows standardised to the same business key (e.g. one person under two record
    numbers): the first of the extract is kept, the later copies are quarantined as duplicates.
    ``seen``: the business keys of the extract's earlier rows (updated here)."""
    alive = b._alive_mask()
    if not alive.any() or not all(k in b.values for k in key):
        return
    rows = np.flatnonzero(alive)
    parts = [parse.plain_values(b.values[k], alive) for k in key]
    keys = parts[0] if len(key) == 1 else [None if None in t else "\x1f".join(map(str, t)) for t in zip(*parts)]
    dup = np.zeros(len(b.raw), dtype=bool)
    for row, k in zip(rows.tolist(), keys):
        if k is None:  # no key: nothing to compare (a required part missing is rejected elsewhere)
            continue
        if k in seen:
            dup[row] = True
        else:
            seen.add(k)
    if dup.any():
        label = "+".join(key)
        b.reject(dup, "duplicate", label, f"same {label} as another row earlier in the extract")
