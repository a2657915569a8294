"""The ETL engine: run declared sources, each isolated, batch by batch:
extract → standardise → quarantine bad rows → upsert good rows + move the watermark (one transaction).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

import pandas as pd
from sqlalchemy import Engine, select, update

from cockpit import aggregates as _aggregates  # noqa: F401  (registers the after-load hook)
from cockpit import hooks
from cockpit.config import Config, ConfigError, SourceConfig
from cockpit.etl import load, quarantine, runs, watermark
from cockpit.etl.extract import SourceUnavailable, extract
from cockpit.etl.locate import AreaIndex
from cockpit.etl.steps import Batch, Context, output_frame, standardise
from cockpit.warehouse import schema as s
from cockpit.warehouse.targets import TARGETS

log = logging.getLogger(__name__)
LINEAGE_KEY = ("src_source", "src_key")


class UnknownSource(ValueError):
    """A source name that the configuration does not declare."""


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


def run_sources(config: Config, engine: Engine, *, names: list[str] | None = None, full: bool = False,
                stop: threading.Event | None = None, now: Callable[[], datetime] = datetime.now) -> list[RunResult]:
    """Run every enabled source (or the ``names`` given), area sources first, each isolated: a failing
    source is recorded with its error and the others go on. After the pass, if any rows loaded, the
    after-load hooks run. Sources not yet started when ``stop`` is set are skipped."""
    if names:
        unknown = [n for n in names if n not in config.sources]
        if unknown:
            raise UnknownSource(f"unknown source {', '.join(unknown)}; declared sources: {', '.join(sorted(config.sources))}")
        chosen = [config.sources[n] for n in dict.fromkeys(names)]
    else:
        chosen = [src for src in config.sources.values() if src.enabled]
    chosen.sort(key=lambda src: src.target != "area")  # stable: areas first, then config order
    results: list[RunResult] = []
    context: Context | None = None
    for src in chosen:
        if stop is not None and stop.is_set():
            break
        if context is None:
            context = load_context(config, engine)
        result = run_source(config, engine, src, full=full, stop=stop, now=now, context=context)
        results.append(result)
        if src.target == "area" and result.rows_loaded:
            context = None  # the grids changed: read them again for the sources that locate rows
    if any(r.rows_loaded for r in results):
        hooks.run_after_load(engine, results)
    return results


def run_source(config: Config, engine: Engine, source: SourceConfig, *, full: bool = False,
               stop: threading.Event | None = None, now: Callable[[], datetime] = datetime.now,
               context: Context | None = None) -> RunResult:
    """One source run, recorded in ``etl_run``. Never raises for a source's own failure."""
    with engine.connect() as conn:
        before = watermark.get(conn, source.name)
    run_id = runs.start(engine, source.name, full=full, watermark=before, now=now())
    result = RunResult(run_id=run_id, source=source.name, target=source.target, watermark_before=before,
                       watermark_after=before)
    attempts = max(1, int(config.get("etl", "retry_attempts")))
    backoff = float(config.get("etl", "retry_backoff_seconds"))
    try:
        ctx = context or load_context(config, engine)
        for attempt in range(1, attempts + 1):
            result.attempts = attempt
            try:
                _run_batches(config, engine, source, ctx, result, full=full, stop=stop, now=now)
                break
            except SourceUnavailable as exc:
                if attempt == attempts:
                    raise
                delay = backoff * 2 ** (attempt - 1)
                log.warning("source %s unavailable (attempt %d of %d), retrying in %.1f s: %s",
                            source.name, attempt, attempts, delay, exc)
                if stop is not None and stop.wait(delay):
                    result.status, result.error = "interrupted", f"stopped while waiting to retry: {exc}"
                    break
                if stop is None:
                    time.sleep(delay)
        if result.status == "running":
            result.status = "success"
    except (SourceUnavailable, ConfigError) as exc:
        result.status, result.error = "failed", str(exc)
    except Exception as exc:  # one broken source must not stop the others
        log.exception("source %s failed", source.name)
        result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        if result.status == "running":  # e.g. KeyboardInterrupt: still leave no half-written run
            result.status, result.error = "interrupted", result.error or "the load was stopped"
        runs.finish(engine, run_id, now(), status=result.status, attempts=result.attempts, rows_read=result.rows_read,
                    rows_loaded=result.rows_loaded, rows_rejected=result.rows_rejected,
                    watermark_after=result.watermark_after, error=result.error)
    return result


def _run_batches(config: Config, engine: Engine, source: SourceConfig, ctx: Context, result: RunResult, *,
                 full: bool, stop: threading.Event | None, now: Callable[[], datetime]) -> None:
    target = TARGETS[source.target]
    columns = load.table_columns(target)
    seen: set[str] = set()
    batch_size = int(config.get("etl", "batch_size"))
    # a source that never committed a batch has no rows in the warehouse yet: try plain inserts
    # (the load falls back to the upsert by itself if a key exists after all)
    fresh = result.watermark_after is None
    for raw in extract(source, result.watermark_after, batch_size, full=full):
        b = Batch(source, raw.rows, seen_keys=seen)
        standardise(b, ctx)
        if target.business_key != LINEAGE_KEY:
            _reject_business_key_duplicates(b, target.business_key, columns)
        frame = output_frame(b, columns, result.run_id)
        stamp = now()
        issues = quarantine.issues(b, result.run_id, stamp)
        mark = watermark.advance(result.watermark_after, raw.watermark)
        with engine.begin() as conn:
            outcome = load.upsert(conn, target, frame, stamp, fresh=fresh)
            quarantine.record(conn, issues)
            quarantine.resolve(conn, source.name, outcome.changed_keys, result.run_id, stamp)
            watermark.put(conn, source.name, mark, result.run_id, stamp)
            conn.execute(update(s.etl_run).where(s.etl_run.c.id == result.run_id).values(
                rows_read=result.rows_read + len(b.raw), rows_loaded=result.rows_loaded + len(outcome.changed_keys),
                rows_rejected=result.rows_rejected + len(issues), watermark_after=mark, attempts=result.attempts))
        # the batch is committed: count it
        result.rows_read += len(b.raw)
        result.rows_loaded += len(outcome.changed_keys)
        result.rows_rejected += len(issues)
        result.touched_days |= outcome.days
        result.watermark_after = mark
        fresh = fresh and not outcome.fresh_failed
        seen.update(b.key[b.key.notna() & (b.rule != "duplicate")])
        if stop is not None and stop.is_set():
            result.status, result.error = "interrupted", "stopped between batches; the next run continues from the watermark"
            return


def _reject_business_key_duplicates(b: Batch, key: tuple[str, ...], columns: list[str]) -> None:
    """Two source rows standardised to the same business key (e.g. one person under two record
    numbers): the first is kept, the later copies are quarantined as duplicates."""
    alive = b.alive
    if not alive.any() or not all(k in b.values for k in key):
        return
    frame = pd.DataFrame({k: b.values[k] for k in key})[alive]
    dup = pd.Series(False, index=b.raw.index)
    dup[alive] = frame.duplicated(keep="first")
    if dup.any():
        label = "+".join(key)
        b.reject(dup, "duplicate", label, f"same {label} as another row earlier in the extract")
