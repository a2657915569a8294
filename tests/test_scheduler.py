"""The scheduler: its jobs and triggers, the single-instance lock, and a clean stop on SIGTERM of a real
``python -m cockpit scheduler`` process."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import create_engine, text

from cockpit.config import ROOT, Config, load_config
from cockpit.processes import AlreadyRunning, SingleInstance
from cockpit.scheduler import ESCALATION_JOB, FULL_RECONCILE_JOB, HOUSEKEEPING_JOB, WEEKLY_JOB, _guarded, build_scheduler, run_etl, \
    run_housekeeping
from cockpit.warehouse.db import engine_for
from tests.tiny_source import make_source, source_block


def write_config(tmp_path: Path, warehouse_url: str, sources: str, extra: str = "") -> Path:
    path = tmp_path / "cockpit.toml"
    path.write_text(
        f"[warehouse]\nurl = {json.dumps(warehouse_url)}\n"
        f"[demo]\nsources_dir = {json.dumps(str(tmp_path / 'sources'))}\n"
        f"[scheduler]\nlock_file = {json.dumps(str(tmp_path / 'scheduler.lock'))}\n" + extra + sources,
        encoding="utf-8",
    )
    return path


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> Config:
    db = tmp_path / "ecology.db"
    sources = (source_block("air_fast", db, interval=5) + source_block("air_slow", db, interval=60)
               + source_block("air_off", db, interval=5, enabled=False))
    extra = "misfire_grace_seconds = 123\nfull_reconcile_hour = 3\nfull_reconcile_minute = 45\n"
    return load_config(write_config(tmp_path, sqlite_url, sources, extra), env={})


# ---------------------------------------------------------------- jobs and triggers
def test_housekeeping_prunes_old_login_attempts_and_counters(config: Config) -> None:
    from cockpit import clock
    from cockpit.warehouse.migrate import upgrade
    from cockpit.warehouse.schema import login_attempt, rate_counter

    upgrade(config.warehouse_url)
    engine = engine_for(config.warehouse_url)
    now = clock.now()
    old, recent = now - timedelta(days=45), now - timedelta(days=2)
    with engine.begin() as conn:
        for at in (old, recent):
            conn.execute(login_attempt.insert().values(at=at, username="u", ip="10.0.0.1", success=False))
            conn.execute(rate_counter.insert().values(kind="login.pair", subject=f"u{at:%d}", ip="10.0.0.1",
                                                      window_start=at, hits=3))
    assert run_housekeeping(config, engine, threading.Event()) == 2
    with engine.connect() as conn:
        assert conn.execute(login_attempt.select().with_only_columns(login_attempt.c.at)).scalars().all() == [recent]
        assert conn.execute(text("SELECT COUNT(*) FROM rate_counter")).scalar() == 1
    job = build_scheduler(config, engine, threading.Event()).get_job(HOUSEKEEPING_JOB)
    assert isinstance(job.trigger, CronTrigger) and job.args[0] is config


def test_one_interval_job_per_enabled_source(config: Config) -> None:
    sched = build_scheduler(config, engine_for(config.warehouse_url), threading.Event())
    jobs = {j.id: j for j in sched.get_jobs()}
    assert set(jobs) == {"etl:air_fast", "etl:air_slow", FULL_RECONCILE_JOB, WEEKLY_JOB, HOUSEKEEPING_JOB, ESCALATION_JOB}
    assert isinstance(jobs[ESCALATION_JOB].trigger, IntervalTrigger)
    assert jobs[ESCALATION_JOB].trigger.interval == timedelta(minutes=config.get("scheduler", "escalation_minutes"))
    for name, minutes in (("air_fast", 5), ("air_slow", 60)):
        job = jobs[f"etl:{name}"]
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(minutes=minutes)
        assert job.args[3] == [name] and job.kwargs == {}
    # the first runs come at start, one second apart in declared order
    assert jobs["etl:air_slow"].next_run_time - jobs["etl:air_fast"].next_run_time == timedelta(seconds=1)


def test_every_job_coalesces_runs_one_instance_and_has_the_grace_time(config: Config) -> None:
    sched = build_scheduler(config, engine_for(config.warehouse_url), threading.Event())
    for job in sched.get_jobs():
        assert job.coalesce is True, job.id
        assert job.max_instances == 1, job.id
        assert job.misfire_grace_time == 123, job.id
    assert sched._job_defaults == {"coalesce": True, "max_instances": 1, "misfire_grace_time": 123}


def test_daily_full_reconciliation_of_the_enabled_sources(config: Config) -> None:
    job = build_scheduler(config, engine_for(config.warehouse_url), threading.Event()).get_job(FULL_RECONCILE_JOB)
    assert isinstance(job.trigger, CronTrigger)
    assert job.args[3] == ["air_fast", "air_slow"] and job.kwargs == {"full": True}
    tz = job.trigger.timezone
    first = job.trigger.get_next_fire_time(None, datetime(2026, 11, 25, 10, 0, tzinfo=tz))
    second = job.trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    assert first.replace(tzinfo=None) == datetime(2026, 11, 26, 3, 45)
    assert second.replace(tzinfo=None) == datetime(2026, 11, 27, 3, 45)


def test_weekly_job_is_monday_0730(config: Config) -> None:
    job = build_scheduler(config, engine_for(config.warehouse_url), threading.Event()).get_job(WEEKLY_JOB)
    assert isinstance(job.trigger, CronTrigger)
    tz = job.trigger.timezone
    fires = []
    t = datetime(2026, 11, 25, 10, 0, tzinfo=tz)  # a Wednesday
    for _ in range(3):
        t = job.trigger.get_next_fire_time(None if not fires else t, t + timedelta(seconds=1) if fires else t)
        fires.append(t.replace(tzinfo=None))
    assert fires == [datetime(2026, 11, 30, 7, 30), datetime(2026, 12, 7, 7, 30), datetime(2026, 12, 14, 7, 30)]
    assert all(f.weekday() == 0 for f in fires)


def test_sqlite_runs_jobs_one_at_a_time_postgres_in_parallel(config: Config) -> None:
    sched = build_scheduler(config, engine_for(config.warehouse_url), threading.Event())
    assert sched._executors["default"]._pool._max_workers == 1
    pg = create_engine("postgresql+psycopg://u@127.0.0.1:1/none")  # never connects
    sched = build_scheduler(config, pg, threading.Event())
    assert sched._executors["default"]._pool._max_workers > 1


def test_a_failing_job_is_logged_and_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise RuntimeError("source is down")

    with caplog.at_level(logging.ERROR, logger="cockpit.scheduler"):
        _guarded("etl:broken", broken)()
    assert "job etl:broken failed" in caplog.text and "source is down" in caplog.text


def test_no_etl_pass_starts_after_a_stop(config: Config) -> None:
    stop = threading.Event()
    stop.set()
    assert run_etl(config, engine_for(config.warehouse_url), stop, ["air_fast"]) == []


# ---------------------------------------------------------------- single instance
def test_file_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    lock = tmp_path / "run" / "scheduler.lock"
    with SingleInstance(lock):
        assert lock.read_text().strip() == str(os.getpid())
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
            SingleInstance(lock).acquire()
    with SingleInstance(lock):  # free again
        pass


def test_postgres_advisory_lock_spans_machines(tmp_path: Path, pg_url: str) -> None:
    """Two schedulers with different lock files (two machines) on one PostgreSQL warehouse."""
    engine = engine_for(pg_url)
    with SingleInstance(tmp_path / "a.lock", engine):
        with pytest.raises(AlreadyRunning, match="warehouse lock"):
            SingleInstance(tmp_path / "b.lock", engine).acquire()
        with SingleInstance(tmp_path / "b.lock"):  # without the warehouse, only the file counts
            pass
    with SingleInstance(tmp_path / "b.lock", engine):
        pass


def cockpit(config_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "cockpit", "--config", str(config_path), *args]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}


def test_second_scheduler_exits_while_the_lock_is_held(tmp_path: Path, sqlite_url: str) -> None:
    path = write_config(tmp_path, sqlite_url, "")
    with SingleInstance(tmp_path / "scheduler.lock"):
        res = subprocess.run(cockpit(path, "scheduler"), cwd=ROOT, env=clean_env(), capture_output=True, text=True,
                             timeout=60)
    assert res.returncode == 1
    assert f"another scheduler is already running (pid {os.getpid()}" in res.stderr
    assert "Traceback" not in res.stderr


# ---------------------------------------------------------------- a real scheduler process
def etl_or_skip():
    etl = pytest.importorskip("cockpit.etl")
    if not (hasattr(etl, "run_sources") and hasattr(etl, "mark_abandoned_runs")):
        pytest.skip("cockpit.etl does not provide run_sources and mark_abandoned_runs yet")
    return etl


def etl_runs(url: str) -> list[tuple]:
    with engine_for(url).connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, source, status FROM etl_run ORDER BY id"))]


@pytest.fixture
def running_scheduler(tmp_path: Path, sqlite_url: str):
    """A scheduler process over one 30 000-row source loaded in small batches; yields once it has started
    a run. A stale 'running' run (of a process that died) is in the warehouse beforehand."""
    etl_or_skip()
    db = tmp_path / "ecology.db"
    make_source(db, 30_000)
    path = write_config(tmp_path, sqlite_url, source_block("air", db, interval=60), "[etl]\nbatch_size = 500\n")
    with engine_for(sqlite_url).begin() as conn:
        conn.execute(text("INSERT INTO etl_run (source, \"full\", started_at, status, attempts, rows_read, rows_loaded, "
                          "rows_rejected) VALUES ('air', false, :t, 'running', 1, 0, 0, 0)"),
                     {"t": datetime(2026, 1, 1)})
    log = (tmp_path / "scheduler.log").open("w+")
    proc = subprocess.Popen(cockpit(path, "scheduler"), cwd=ROOT, env=clean_env(), stdout=log, stderr=subprocess.STDOUT)
    seen_running = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            runs = etl_runs(sqlite_url)
            if len(runs) > 1:
                seen_running = runs[-1][2] == "running"
                break
            time.sleep(0.02)
        assert proc.poll() is None, (tmp_path / "scheduler.log").read_text()
        assert len(etl_runs(sqlite_url)) > 1, "the scheduler started no run in 60 s"
        yield proc, path, sqlite_url, seen_running, tmp_path / "scheduler.log"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def test_second_scheduler_process_is_refused(running_scheduler) -> None:
    first, path, _url, _seen, _log = running_scheduler
    res = subprocess.run(cockpit(path, "scheduler"), cwd=ROOT, env=clean_env(), capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 1
    assert f"another scheduler is already running (pid {first.pid}" in res.stderr
    assert first.poll() is None  # the first one is unharmed


def test_sigterm_stops_cleanly_and_leaves_no_running_run(running_scheduler) -> None:
    proc, _path, url, seen_running, log = running_scheduler
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 0, log.read_text()
    output = log.read_text()
    assert "SIGTERM received" in output and "scheduler stopped" in output
    assert "Traceback" not in output
    runs = etl_runs(url)
    assert runs[0][2] == "abandoned"  # the stale run, marked at start
    statuses = [status for _id, _src, status in runs[1:]]
    assert "running" not in statuses
    assert set(statuses) <= {"interrupted", "success"}
    if seen_running:
        assert statuses[0] in ("interrupted", "success")
    with SingleInstance(Path(log).parent / "scheduler.lock"):  # released
        pass
