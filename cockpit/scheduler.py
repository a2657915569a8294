"""The scheduler process (one per deployment): APScheduler 3 in the foreground.

Jobs: one incremental ETL job per enabled source (its ``interval_minutes``; first runs at start, a
second apart in declaration order, so a restart catches up and areas load before what refers to them), a daily full reconciliation, and the weekly job (Monday 07:30 by default) that
calls the ``cockpit.hooks.WEEKLY`` hooks. Rules and aggregates run as after-load hooks inside the ETL;
between loads, the escalation job expires silences, escalates unacknowledged warnings and escalates
work orders past their deadlines (``cockpit.orders.overdue``); with notification channels configured,
the notify job batches and sends the outbox every ``notify.send_seconds`` (``cockpit.notify.outbox``).

``run_scheduler(config)`` takes the single-instance lock, checks the warehouse is migrated, marks runs
left 'running' by a dead process as abandoned, and runs until SIGTERM/SIGINT; then it sets the stop
event (the ETL commits its current batch and records the run 'interrupted'), waits for running jobs
and releases the lock.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import timedelta
from typing import Any, Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from cockpit.config import Config
from cockpit import clock

log = logging.getLogger(__name__)

FULL_RECONCILE_JOB = "etl-full-reconcile"
WEEKLY_JOB = "weekly-report"
HOUSEKEEPING_JOB = "housekeeping"
ESCALATION_JOB = "warnings-escalation"
NOTIFY_JOB = "notify-send"
PG_ETL_THREADS = 4  # PostgreSQL takes concurrent writers; SQLite allows one


def etl_job_id(source: str) -> str:
    return f"etl:{source}"


def _guarded(name: str, fn: Callable[..., Any]) -> Callable[..., None]:
    """A job that logs its failure instead of raising: the scheduler never dies of a job."""

    def job(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:
            log.exception("job %s failed", name)

    job.__name__ = job.__qualname__ = name.replace(":", "_").replace("-", "_")
    return job


def run_etl(config: Config, engine: Engine, stop: threading.Event, names: list[str], full: bool = False) -> list[Any]:
    """One ETL pass over ``names``; skipped once a stop is requested. Returns the run results."""
    if stop.is_set():
        return []
    from cockpit.etl import run_sources

    results = run_sources(config, engine, names=names, full=full, stop=stop)
    for r in results:
        level = logging.WARNING if r.status != "success" else logging.INFO
        log.log(level, "etl %s%s: %s read=%s loaded=%s rejected=%s%s", r.source, " (full)" if full else "", r.status,
                getattr(r, "rows_read", "?"), getattr(r, "rows_loaded", "?"), getattr(r, "rows_rejected", "?"),
                f" error={r.error}" if getattr(r, "error", None) else "")
    return results


def run_weekly(config: Config, engine: Engine, stop: threading.Event) -> None:
    if stop.is_set():
        return
    from cockpit.hooks import run_weekly as run_weekly_hooks
    from cockpit.reports import archive  # noqa: F401 - registers the weekly report's hook

    log.info("weekly job: running the weekly hooks")
    run_weekly_hooks(config, engine)


def run_housekeeping(config: Config, engine: Engine, stop: threading.Event) -> int:
    """Delete login attempts and rate counters past their use (the audit log keeps the record)."""
    if stop.is_set():
        return 0
    from cockpit.auth.ratelimit import prune

    with engine.begin() as conn:
        n = prune(conn, clock.now())
    log.info("housekeeping: %s old login attempts and rate counters deleted", n)
    return n


def run_escalation(config: Config, engine: Engine, stop: threading.Event) -> None:
    """Expire silences, escalate unacknowledged warnings (the rules pass after each load does it too;
    this keeps the SLA when no source has loaded for a while), work orders and summons past a deadline."""
    if stop.is_set():
        return
    from cockpit.orders.overdue import escalate_overdue
    from cockpit.warnings.engine import housekeep
    from cockpit.whistles.overdue import escalate_overdue_summons

    out = housekeep(engine, config)
    if out.escalated or out.silenced or out.unsilenced:
        log.info("warnings: escalated %s, silenced %s, unsilenced %s", out.escalated, out.silenced, out.unsilenced)
    with engine.begin() as conn:
        overdue = escalate_overdue(conn, clock.now())
        late_summons = escalate_overdue_summons(conn, clock.now())
    if overdue:
        log.info("work orders: %s overdue escalations", overdue)
    if late_summons:
        log.info("summons: %s past a deadline", late_summons)


def run_notify(config: Config, engine: Engine, stop: threading.Event) -> Any:
    """Batch the waiting notices and send the due messages (``cockpit.notify.outbox``); between two
    messages a stop request ends it, the message in flight recorded first."""
    if stop.is_set():
        return None
    from cockpit.notify.outbox import run_once

    report = run_once(engine, config.notify, lang=config.get("app", "language"), stop=stop)
    if report.batched or report.messages:
        log.info("notify: %s message(s) made, %s sent, %s to retry, %s failed", report.batched, report.sent,
                 report.retrying, report.failed)
    return report


def build_scheduler(config: Config, engine: Engine, stop: threading.Event) -> BlockingScheduler:
    """The scheduler with every job added, not started."""
    threads = 1 if engine.dialect.name == "sqlite" else PG_ETL_THREADS
    # a run that was missed (busy, or the process was down) runs once, late, within the grace time;
    # given to each job as well, so a job shows them before the scheduler starts
    options = {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": int(config.get("scheduler", "misfire_grace_seconds")),
    }
    sched = BlockingScheduler(executors={"default": ThreadPoolExecutor(threads)}, job_defaults=options,
                              timezone=clock.zone())  # cron times (02:30, Monday 07:30) are Beijing time
    enabled = [s for s in config.sources.values() if s.enabled]
    now = clock.real_now()
    for i, src in enumerate(enabled):
        job_id = etl_job_id(src.name)
        sched.add_job(
            _guarded(job_id, run_etl), IntervalTrigger(minutes=src.interval_minutes),
            args=(config, engine, stop, [src.name]), id=job_id, name=f"ETL {src.name} every {src.interval_minutes} min",
            next_run_time=now + timedelta(seconds=i),  # first runs in declared order: areas first
            **options,
        )
    sc = config.settings["scheduler"]
    sched.add_job(
        _guarded(FULL_RECONCILE_JOB, run_etl), CronTrigger(hour=sc["full_reconcile_hour"], minute=sc["full_reconcile_minute"], timezone=clock.zone()),
        args=(config, engine, stop, [s.name for s in enabled]), kwargs={"full": True},
        id=FULL_RECONCILE_JOB, name="ETL full reconciliation of every source (daily)", **options,
    )
    sched.add_job(
        _guarded(WEEKLY_JOB, run_weekly),
        CronTrigger(day_of_week=sc["report_day_of_week"], hour=sc["report_hour"], minute=sc["report_minute"],
                    timezone=clock.zone()),
        args=(config, engine, stop), id=WEEKLY_JOB, name="weekly meeting report", **options,
    )
    sched.add_job(
        _guarded(ESCALATION_JOB, run_escalation), IntervalTrigger(minutes=int(sc["escalation_minutes"])),
        args=(config, engine, stop), id=ESCALATION_JOB,
        name=f"warnings: silences and escalation every {sc['escalation_minutes']} min", **options,
    )
    if config.notify is not None and config.notify.channels:  # no channel: the in-app list needs no sending
        sched.add_job(
            _guarded(NOTIFY_JOB, run_notify), IntervalTrigger(seconds=config.notify.send_seconds),
            args=(config, engine, stop), id=NOTIFY_JOB, next_run_time=now + timedelta(seconds=len(enabled) + 1),
            name=f"notifications: batch and send every {config.notify.send_seconds} s", **options,
        )
    sched.add_job(
        _guarded(HOUSEKEEPING_JOB, run_housekeeping), CronTrigger(hour=3, minute=40, timezone=clock.zone()),
        args=(config, engine, stop), id=HOUSEKEEPING_JOB, name="prune old login attempts (daily)", **options,
    )
    return sched


class WarehouseNotReady(RuntimeError):
    """The warehouse is not at the migration head."""


def check_migrated(url: str) -> None:
    from cockpit.warehouse.migrate import current_revision, head_revision

    current, head = current_revision(url), head_revision()
    if current != head:
        raise WarehouseNotReady(
            f"the warehouse is at migration {current or '(none)'} but this version needs {head}: "
            "run `python -m cockpit db upgrade` first"
        )


def _install_stop_handlers(sched: BlockingScheduler, stop: threading.Event) -> None:
    def shut_down() -> None:
        # not in the signal handler itself: shutdown(wait=True) joins the job threads, which may need
        # a scheduler lock the interrupted main thread holds
        while True:
            try:
                sched.shutdown(wait=True)
                return
            except SchedulerNotRunningError:  # signal arrived before start() finished
                time.sleep(0.05)

    def on_signal(signum: int, _frame: Any) -> None:
        if stop.is_set():
            return
        log.info("%s received: finishing the current batch, then stopping", signal.Signals(signum).name)
        stop.set()
        threading.Thread(target=shut_down, name="scheduler-stop", daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def run_scheduler(config: Config) -> int:
    """Run the scheduler in the foreground until SIGTERM/SIGINT. Raises ``AlreadyRunning`` or
    ``WarehouseNotReady`` before any job runs."""
    from cockpit.processes import SingleInstance
    from cockpit.warehouse.db import engine_for

    engine = engine_for(config.warehouse_url)
    stop = threading.Event()
    with SingleInstance(config.get("scheduler", "lock_file"), engine):
        check_migrated(config.warehouse_url)
        from cockpit.etl import mark_abandoned_runs

        abandoned = mark_abandoned_runs(engine)
        if abandoned:
            log.warning("marked %s ETL run(s) left 'running' by a stopped process as abandoned", abandoned)
        sched = build_scheduler(config, engine, stop)
        _install_stop_handlers(sched, stop)
        enabled = sum(1 for s in config.sources.values() if s.enabled)
        log.info("scheduler started: %d source job(s), full reconciliation daily at %02d:%02d, weekly job %s %02d:%02d",
                 enabled, config.get("scheduler", "full_reconcile_hour"), config.get("scheduler", "full_reconcile_minute"),
                 config.get("scheduler", "report_day_of_week"), config.get("scheduler", "report_hour"),
                 config.get("scheduler", "report_minute"))
        sched.start()  # blocks until a stop signal has shut it down, running jobs finished
    engine.dispose()
    log.info("scheduler stopped")
    return 0
