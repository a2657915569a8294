"""Warning-rules benchmark: one rules pass after a 1 % incremental load, and the end-to-end delay from a
complaint committed in a source database to its warning on the big screen.

Rules pass. On the warehouse the ETL benchmark loaded (county scale), right after its 1 % incremental
load, one ``run_rules`` pass with the clock pinned at the demo's "now" (the manifest's ``now``), so
that the rules' windows hold the demo's recent data; per rule, ``RuleResult.seconds``. The baseline is
the same pass on a town-scale warehouse (1 township) after its own 1 % incremental load, in the same
run. The after-load hook's own pass inside each incremental load is left there (it is part of the
load) and runs at the real clock.

End-to-end delay. A real scheduler process (``python -m cockpit scheduler``, every setting at its
default: the hotline source every 5 minutes) runs against the county warehouse and its demo sources.
Two complaints of one category in one grid (two callers, through the 12345 hotline and the 110 police
desk) are committed before it starts, so its first runs load them; that makes no prominent issue yet
(3 distinct callers through 2 channels are needed). Once those first runs are over, a third caller's
complaint is committed into the hotline database (the replication key moved forward, as a department
system does) and the clock starts. The warehouse is polled every second until the warning is open; a
big-screen emulator that has been querying the live list (``queries.warnings.live_warnings``, what the
screen's refresh reads) every ``app.refresh_seconds`` since the scheduler started says when the
screen shows it. The parts: waiting for the hotline job, its load and the rules pass, waiting for the
screen's refresh, the screen's query.

Run alone: ``python -m benchmarks --only rules`` (or ``--only delay``; cached sources and warehouses).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from benchmarks.source_changes import _later, change_share
from cockpit import clock
from cockpit.config import ROOT, Config, SourceConfig, load_config

TARGET_PASS_SECONDS = 5.0
TARGET_PASS_RATIO = 2.0  # county ÷ town
SLOWEST = 5  # rules listed in the report
HOTLINE = "hotline_12345"
RULE = "prominent_issue"
POLL_SECONDS = 1.0  # the warehouse is polled this often for the warning


# ---------------------------------------------------------------- figures
@dataclass
class RulesFigures:
    """One rules pass on one warehouse."""

    engine: str
    scale: str
    now: str  # the instant the clock was pinned at
    seconds: float  # the whole pass (rules, silences, escalation)
    rules: list[dict]  # RuleResult.as_dict() of each rule
    open_warnings: int  # open after the pass
    incr_rows_changed: int = 0
    incr_seconds: float = 0.0  # the 1 % incremental load before the pass (its own after-load rules pass included)

    @property
    def errors(self) -> list[str]:
        return [f"{r['rule']}: {r['error']}" for r in self.rules if r.get("error")]

    def slowest(self, n: int = SLOWEST) -> list[dict]:
        return sorted(self.rules, key=lambda r: -r["seconds"])[:n]


@dataclass
class DelayFigures:
    """One end-to-end run: seconds from the complaint's commit (all times measured in this process)."""

    engine: str
    scale: str
    interval_minutes: int  # the hotline source's (default)
    refresh_seconds: int  # the big screen's (default)
    grid: str
    category: str
    open_after: float  # the warning open in the warehouse
    screen_after: float  # the big screen's refresh that showed it, its query done
    scheduler_wait: float  # commit → the hotline run that loaded it started
    load_seconds: float  # that run started → the warning open (extract, load, after-load hooks: the aggregate and
    # the rules pass up to the rule, which commits on its own)
    screen_wait: float  # the warning open → the screen's next refresh
    query_seconds: float  # the screen's live-list query at that refresh
    catch_up_seconds: float = 0.0  # the scheduler's first runs (every source once) before the commit
    in_live_list: bool = True  # False: in the level totals only (the top-10 list held more severe ones)
    notes: list[str] = field(default_factory=list)

    @property
    def polling_floor(self) -> float:
        """The best any polling design at these defaults can do in the worst case: one source interval
        plus one screen refresh interval."""
        return self.interval_minutes * 60.0 + self.refresh_seconds

    @property
    def expected_mean(self) -> float:
        return self.interval_minutes * 60.0 / 2 + self.load_seconds + self.refresh_seconds / 2 + self.query_seconds

    @property
    def expected_worst(self) -> float:
        return self.interval_minutes * 60.0 + self.load_seconds + self.refresh_seconds + self.query_seconds


# ---------------------------------------------------------------- the rules pass
def demo_now(sources: Path) -> datetime:
    """The demo's "now" (its manifest's; older manifests: noon of its ``today``)."""
    manifest = json.loads((sources / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("now"):
        return clock.parse_instant(manifest["now"])
    return clock.parse_instant(manifest["today"]).replace(hour=12)


def open_warnings(engine: Engine) -> int:
    from cockpit.warehouse.schema import warning
    from cockpit.warnings.states import OPEN_STATUSES

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(warning)
                                .where(warning.c.status.in_(OPEN_STATUSES))).scalar())


def rules_pass(engine: Engine, config: Config, engine_name: str, scale: str, now: datetime) -> RulesFigures:
    """One timed ``run_rules`` pass with the clock pinned at ``now``."""
    from cockpit.warnings.engine import run_rules

    with clock.pinned(now):
        t0 = time.perf_counter()
        out = run_rules(engine, config, now=now)
        seconds = time.perf_counter() - t0
    return RulesFigures(engine=engine_name, scale=scale, now=now.isoformat(), seconds=seconds,
                        rules=[r.as_dict() for r in out.rules], open_warnings=open_warnings(engine))


def incremental_then_pass(config: Config, engine: Engine, engine_name: str, scale: str, now: datetime,
                          share: float = 0.01) -> RulesFigures:
    """Change ``share`` of the sources' rows, load them incrementally, then the timed rules pass."""
    from cockpit.etl import run_sources

    changed = change_share(config, share)
    t0 = time.perf_counter()
    results = run_sources(config, engine)
    incr = time.perf_counter() - t0
    failed = [(r.source, r.error) for r in results if r.status != "success"]
    if failed:
        raise RuntimeError(f"the {scale} incremental load failed: {failed}")
    fig = rules_pass(engine, config, engine_name, scale, now)
    fig.incr_rows_changed, fig.incr_seconds = sum(changed.values()), incr
    return fig


def town_pass(engine_name: str, cluster: Any, town_url: str) -> RulesFigures:  # noqa: ANN401 - a devtools PgCluster
    """The baseline: the pass on a copy of the town-scale warehouse of the screens benchmark (SQLite: the
    cached file is copied, so the screens' cache stays as loaded; PostgreSQL: a copy of its database),
    after a 1 % incremental load from a fresh copy of the town sources."""
    from benchmarks.screens_bench import BASELINE_SCALE
    from benchmarks.warehouses import BENCH, bench_config, demo_sources, drop_warehouse, sqlite_path
    from cockpit.warehouse.db import engine_for
    from cockpit.warehouse.migrate import upgrade

    tag = f"rules-{BASELINE_SCALE}"
    if engine_name == "sqlite":
        drop_warehouse("sqlite", None, tag)
        src = engine_for(town_url)
        src.dispose()
        shutil.copyfile(make_url(town_url).database, sqlite_path(tag))
        url = f"sqlite:///{sqlite_path(tag)}"
    else:
        db_tag = tag.replace("-", "_")
        engine_for(town_url).dispose()
        drop_warehouse(engine_name, cluster, db_tag)
        cluster.execute(f"CREATE DATABASE bench_{db_tag} TEMPLATE {make_url(town_url).database}")
        url = cluster.url(f"bench_{db_tag}")
    upgrade(url)
    sources = demo_sources(BASELINE_SCALE)
    work = BENCH / f"work-{tag}-{engine_name}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(sources, work)
    engine = engine_for(url)
    try:
        return incremental_then_pass(bench_config(url, work, f"{tag}-{engine_name}"), engine, engine_name,
                                     BASELINE_SCALE, demo_now(sources))
    finally:
        engine.dispose()
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- committing complaints into a source
def _inverse(src: SourceConfig, fld: str, unified: str) -> str | None:
    return next((k for k, v in src.values.get(fld, {}).items() if v == unified), None)


def _db(src: SourceConfig) -> str:
    return make_url(src.url).database


def _phone(rng: random.Random) -> str:
    return "139" + "".join(str(rng.randrange(10)) for _ in range(8))


def _stamp(src: SourceConfig, fld: str, sample: object, now: datetime) -> object:
    """``now`` as the source writes field ``fld``: like ``sample`` (a value of that column), else by the
    field's declared format."""
    if sample is not None:
        return _later(sample, now)
    fmt = src.formats.get(fld, "iso")
    if fmt == "epoch":
        return _later(0, now)
    return now.strftime("%Y-%m-%d %H:%M:%S" if fmt == "iso" else fmt)


STAGES = ("accepted_at", "dispatched_at", "acknowledged_at", "onsite_at", "resolved_at", "closed_at", "satisfaction")


def commit_complaint(config: Config, source: str, template_key: str, grid: str, category: str, phone: str,
                     now: datetime, content: str = "夜间噪声扰民，多次反映未改善") -> str:
    """Insert one new complaint into ``source``'s SQLite database, the way its department system does:
    a new record at its first status, reported ``now``, its replication key moved past every other.
    Copies the record ``template_key`` (one the warehouse loaded; of that grid, for a source placed by
    address). Returns the new record's key."""
    src = config.sources[source]
    cols = src.columns
    pk, repl = src.primary_key[0], src.replication_key
    with sqlite3.connect(_db(src)) as conn:
        names = [r[1] for r in conn.execute(f'PRAGMA table_info("{src.table}")')]
        int_pks = [r[1] for r in conn.execute(f'PRAGMA table_info("{src.table}")') if r[5] and r[1] != pk]
        row = conn.execute(f'SELECT * FROM "{src.table}" WHERE CAST("{pk}" AS TEXT) = ? LIMIT 1', (template_key,)).fetchone()
        if row is None:
            raise RuntimeError(f"{source}: no record {template_key!r} to copy")
        rec = dict(zip(names, row))
        max_pk, max_repl = conn.execute(f'SELECT MAX("{pk}"), MAX("{repl}") FROM "{src.table}"').fetchone()
        rec[pk] = (max_pk + 1) if isinstance(max_pk, int) else f"{rec[pk]}E{now:%y%m%d%H%M%S}{phone[-4:]}"
        for c in int_pks:  # a generated row number next to the key
            rec[c] = (conn.execute(f'SELECT MAX("{c}") FROM "{src.table}"').fetchone()[0] or 0) + 1
        new_repl = _later(max_repl, now)
        if str(new_repl) <= str(max_repl) if not isinstance(max_repl, (int, float)) else new_repl <= max_repl:
            new_repl = _later(max_repl, now + timedelta(minutes=1))
        rec[repl] = new_repl
        rec[cols["reported_at"]] = _stamp(src, "reported_at", rec[cols["reported_at"]], now)
        for f in STAGES:
            if f in cols and cols[f] != repl:
                rec[cols[f]] = None
        if "status" in cols:
            rec[cols["status"]] = _inverse(src, "status", "reported") or next(iter(src.values.get("status", {})))
        rec[cols["category_code"]] = _inverse(src, "category_code", category)
        rec[cols["reporter_phone"]] = phone
        if "grid_code" in cols:
            rec[cols["grid_code"]] = grid
        if "content" in cols:
            rec[cols["content"]] = content
        if "title" in cols:
            rec[cols["title"]] = content[:12]
        conn.execute(f'INSERT INTO "{src.table}" ({", ".join(chr(34) + n + chr(34) for n in names)}) '
                     f'VALUES ({", ".join("?" for _ in names)})', [rec[n] for n in names])
    return str(rec[pk])


def _second_source(config: Config) -> tuple[str, list[str]]:
    """An event source with callers' phones and a channel other than the hotline's, and the categories it
    shares with the hotline (police 110: ECO-NOISE)."""
    hot = set(config.sources[HOTLINE].values.get("category_code", {}).values())
    for src in config.sources.values():
        if (src.name != HOTLINE and src.enabled and src.kind == "sql" and src.target == "event"
                and "reporter_phone" in src.columns and "grid_code" in src.columns):
            shared = sorted(hot & set(src.values.get("category_code", {}).values()))
            if shared:
                return src.name, shared
    raise RuntimeError("no second event source with callers' phones sharing a category with the hotline")


def loaded_record(engine: Engine, source: str) -> str:
    """The key of a recent record of ``source`` that the warehouse loaded with a caller (a clean one to copy)."""
    from cockpit.warehouse.schema import event

    e = event.c
    with engine.connect() as conn:
        key = conn.execute(select(e.src_key).where(e.src_source == source, e.reporter_key.is_not(None))
                           .order_by(e.id.desc()).limit(1)).scalar()
    if key is None:
        raise RuntimeError(f"the warehouse holds no record of {source} with a caller to copy")
    return str(key)


def pick_spot(engine: Engine, config: Config, town: str, now: datetime, categories: list[str],
              window_days: int = 7) -> tuple[str, str, str]:
    """(grid, category, a hotline record of that grid to copy): a grid of the township ``town`` with a
    hotline record placed in it, and a category with no event in that grid in the rule's window and no
    open prominent issue there. (The complaints committed carry no coordinates, as the hotline's and the
    110 desk's records have none: no event of another grid joins their cluster by distance.)"""
    from cockpit.warehouse.schema import event, warning
    from cockpit.warnings.states import OPEN_STATUSES

    e, w = event.c, warning.c
    since = now - timedelta(days=window_days + 1)
    with engine.connect() as conn:
        grids = conn.execute(select(e.grid_code, func.min(e.src_key)).where(
            e.src_source == HOTLINE, e.reporter_key.is_not(None), e.grid_code.like(f"{town}%")).group_by(e.grid_code).order_by(e.grid_code)).all()
        for category in categories:
            busy = {g for (g,) in conn.execute(select(e.grid_code).distinct().where(
                e.category_code == category, e.reported_at > since, e.grid_code.like(f"{town}%")))}
            warned = {g for (g,) in conn.execute(select(w.grid_code).where(
                w.rule == RULE, w.category_code == category, w.status.in_(OPEN_STATUSES)))}
            for grid, key in grids:
                if grid and grid not in busy and grid not in warned:
                    return grid, category, key
    raise RuntimeError(f"no quiet grid and category in township {town} for the end-to-end run")


# ---------------------------------------------------------------- the end-to-end run
def _epoch(stamp: datetime) -> float:
    """A stored time (naive, the configured zone) as epoch seconds."""
    return stamp.replace(tzinfo=clock.zone()).timestamp()


def _real_now() -> datetime:
    """The machine's time as a stored time: the scheduler runs on the real clock (never a pinned one)."""
    return clock.real_now().replace(tzinfo=None)


def _as_dt(v: Any) -> datetime:  # noqa: ANN401
    return v if isinstance(v, datetime) else datetime.fromisoformat(str(v))


class Screen(threading.Thread):
    """The big screen: every ``refresh_seconds`` (from the moment it starts) the live list of the
    township it shows and its level totals, as its refresh reads them; each refresh is recorded."""

    def __init__(self, engine: Engine, town: str, refresh_seconds: float) -> None:
        super().__init__(name="bench-screen", daemon=True)
        self.engine, self.town, self.refresh = engine, town, refresh_seconds
        self.stop = threading.Event()
        self.ticks: list[tuple[float, float, set[int], dict[str, int]]] = []  # (at, query seconds, ids, totals)
        self.errors: list[str] = []

    def run(self) -> None:
        from cockpit.scope import Scope
        from queries import warnings as qw

        scope = Scope.everything()
        while not self.stop.is_set():
            tick = time.time()
            try:
                t0 = time.perf_counter()
                live = qw.live_warnings(self.engine, scope, area=self.town, limit=10)
                query = time.perf_counter() - t0
                totals = qw.open_level_totals(self.engine, scope, area=self.town)
            except Exception as exc:  # noqa: BLE001 - a failed refresh shows nothing; the next one tries again
                self.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            else:
                ids = {int(x) for x in live["id"]} if "id" in live else set()
                self.ticks.append((tick, query, ids, totals))
            self.stop.wait(max(0.0, tick + self.refresh - time.time()))

    def shown(self, warning_id: int, level: str, before: float, opened: float) -> tuple[float, float, bool] | None:
        """The first refresh after ``before`` that showed the warning: (at, query seconds, in the live
        list). When the top-10 list holds more severe ones, the first refresh from ``opened`` (the
        warning seen open, less a poll) whose level totals grew over the last refresh before ``before``."""
        base = next((t[3] for t in reversed(self.ticks) if t[0] < before), {})
        for at, query, ids, totals in list(self.ticks):
            if at < before:
                continue
            if warning_id in ids:
                return at, query, True
            if at >= opened - POLL_SECONDS and totals.get(level, 0) > base.get(level, 0):
                return at, query, False
        return None


def _open_warning(engine: Engine, grid: str, category: str) -> tuple[int, str] | None:
    from cockpit.warehouse.schema import warning
    from cockpit.warnings.states import OPEN_STATUSES

    w = warning.c
    with engine.connect() as conn:
        row = conn.execute(select(w.id, w.level).where(w.rule == RULE, w.grid_code == grid, w.category_code == category,
                                                       w.status.in_(OPEN_STATUSES))).first()
    return (int(row[0]), str(row[1])) if row else None


def _runs_since(engine: Engine, since: datetime) -> list[dict]:
    from cockpit.warehouse.schema import etl_run

    r = etl_run.c
    with engine.connect() as conn:
        return [dict(x) for x in conn.execute(select(r.source, r.started_at, r.ended_at, r.status, r.rows_loaded)
                                              .where(r.started_at >= since).order_by(r.id)).mappings()]


def write_e2e_config(warehouse_url: str, sources_dir: Path, name: str, extra: str = "",
                     sources_toml: Path | None = None) -> Path:
    """The scheduler's configuration: the bench's (the demo sources as declared, this warehouse), every
    scheduling setting at its default; only its lock file is the bench's own. ``extra`` (TOML appended)
    and ``sources_toml`` (instead of config/sources/demo.toml): tests only."""
    from benchmarks.warehouses import BENCH

    path = BENCH / f"{name}.toml"
    declared = sources_toml or ROOT / "config" / "sources" / "demo.toml"
    path.write_text(
        f'include = [{json.dumps(str(declared))}]\n'
        f'[warehouse]\nurl = {json.dumps(warehouse_url)}\n'
        f'[demo]\nsources_dir = {json.dumps(str(sources_dir))}\n'
        f'[scheduler]\nlock_file = {json.dumps(str(BENCH / f"{name}.lock"))}\n' + extra,
        encoding="utf-8",
    )
    return path


def end_to_end(warehouse_url: str, sources_dir: Path, engine_name: str, scale: str, *, extra_config: str = "",
               sources_toml: Path | None = None, seed: int = 0, timeout: float | None = None) -> DelayFigures:
    """One real run (module docstring) against the loaded warehouse at ``warehouse_url`` whose sources
    are ``sources_dir``. ``extra_config``, ``sources_toml``: see ``write_e2e_config`` (tests only: the
    benchmark runs the defaults)."""
    from benchmarks.warehouses import BENCH
    from cockpit.scope import Scope
    from cockpit.warehouse.db import engine_for
    from queries import areas

    name = f"e2e-{engine_name}"
    path = write_e2e_config(warehouse_url, sources_dir, name, extra_config, sources_toml)
    config = load_config(path, env={})
    interval = config.sources[HOTLINE].interval_minutes
    refresh = int(config.get("app", "refresh_seconds"))
    engine = engine_for(warehouse_url)
    rng = random.Random(seed)
    town = areas.home_township(engine, Scope.everything())["code"]
    second, categories = _second_source(config)
    now = _real_now()
    grid, category, template = pick_spot(engine, config, town, now, categories)
    commit_complaint(config, HOTLINE, template, grid, category, _phone(rng), now)
    commit_complaint(config, second, loaded_record(engine, second), grid, category, _phone(rng), now)
    log_path = BENCH / f"{name}.log"
    env = {k: v for k, v in os.environ.items() if k not in (clock.ENV_NOW, "COCKPIT_CONFIG", "COCKPIT_WAREHOUSE_URL")}
    started_at = _real_now().replace(microsecond=0)
    screen = Screen(engine, town, refresh)
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen([sys.executable, "-m", "cockpit", "--config", str(path), "scheduler"], cwd=ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        screen.start()
        enabled = {s.name for s in config.sources.values() if s.enabled}
        t_start = time.time()
        while True:  # the first runs: every source once (a run missed past the grace time is skipped)
            if proc.poll() is not None:
                raise RuntimeError(f"the scheduler exited ({proc.returncode}); see {log_path}")
            runs = _runs_since(engine, started_at)
            done = {r["source"] for r in runs if r["status"] != "running"}
            idle = not any(r["status"] == "running" for r in runs) and (
                not runs or _epoch(_as_dt(runs[-1]["started_at"])) < time.time() - 20)
            if idle and (done >= enabled or {HOTLINE, second} <= done):
                break
            if time.time() - t_start > 900:
                raise RuntimeError(f"the scheduler's first runs did not end within 15 minutes; see {log_path}")
            time.sleep(POLL_SECONDS)
        catch_up = time.time() - t_start
        if _open_warning(engine, grid, category) is not None:
            raise RuntimeError(f"a prominent issue opened before the third complaint ({category} in {grid})")
        time.sleep(1.1)  # the third complaint's replication value lies past the first runs' watermarks
        commit_at = time.time()
        commit_dt = _real_now()
        commit_complaint(config, HOTLINE, template, grid, category, _phone(rng), commit_dt)
        limit = timeout if timeout is not None else interval * 60 + refresh + 300
        target = None
        while target is None:
            if proc.poll() is not None:
                raise RuntimeError(f"the scheduler exited ({proc.returncode}); see {log_path}")
            if time.time() - commit_at > limit:
                raise RuntimeError(f"no warning within {limit:.0f} s of the commit; see {log_path}")
            target = _open_warning(engine, grid, category)
            if target is None:
                time.sleep(POLL_SECONDS)
        open_at = time.time()
        while (seen := screen.shown(target[0], target[1], commit_at, open_at)) is None:
            if time.time() - open_at > refresh + 120:
                raise RuntimeError("the big screen did not show the warning within a refresh interval"
                                   + (f" (its refreshes failed: {screen.errors[-1]})" if screen.errors else ""))
            time.sleep(0.2)
        runs = [r for r in _runs_since(engine, commit_dt - timedelta(seconds=1))
                if r["source"] == HOTLINE and r["rows_loaded"]]
        run_start = _epoch(_as_dt(runs[0]["started_at"])) if runs else commit_at
    finally:
        screen.stop.set()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        screen.join(timeout=30)
        engine.dispose()
    tick, query, in_list = seen
    open_at = min(open_at, tick)  # the screen's refresh may see it before the next poll of the warehouse
    wait = max(0.0, run_start - commit_at)
    notes = [] if in_list else ["the warning was not among the screen's top 10 (more severe ones were open): "
                                "timed to the level totals of the same refresh"]
    return DelayFigures(engine=engine_name, scale=scale, interval_minutes=interval, refresh_seconds=refresh, grid=grid,
                        category=category, open_after=open_at - commit_at, screen_after=tick + query - commit_at,
                        scheduler_wait=wait, load_seconds=max(0.0, open_at - commit_at - wait),
                        screen_wait=max(0.0, tick - open_at), query_seconds=query, catch_up_seconds=catch_up,
                        in_live_list=in_list, notes=notes)
