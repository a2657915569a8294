"""No duplicate and nothing lost when the scheduler restarts mid-send: a real ``python -m cockpit scheduler``
process sends six groups to a slow loopback robot, is stopped by SIGTERM after the first message arrived,
and is started again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from cockpit import clock
from cockpit.config import ROOT
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.schema import notify_message
from tests.notify.conftest import add_notices, ago

NOW = "2026-11-18T10:30:00"


def write_config(tmp_path: Path, url: str, robot_url: str) -> Path:
    path = tmp_path / "cockpit.toml"
    path.write_text(
        f"[warehouse]\nurl = {json.dumps(url)}\n"
        f"[demo]\nsources_dir = {json.dumps(str(tmp_path / 'sources'))}\n"
        f"[scheduler]\nlock_file = {json.dumps(str(tmp_path / 'scheduler.lock'))}\n"
        "[notify]\nsend_seconds = 1\ngroup_seconds = 0\n"
        f"[notify.channels.command_group]\nkind = \"wecom\"\nurl = {json.dumps(robot_url)}\n",
        encoding="utf-8")
    return path


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    e["COCKPIT_NOW"] = NOW
    return e


def statuses(url: str) -> list[str]:
    with engine_for(url).connect() as conn:
        return list(conn.execute(select(notify_message.c.status).order_by(notify_message.c.id)).scalars())


def start(path: Path, log: Path) -> subprocess.Popen:
    out = log.open("a")
    return subprocess.Popen([sys.executable, "-m", "cockpit", "--config", str(path), "scheduler"], cwd=ROOT, env=env(),
                            stdout=out, stderr=subprocess.STDOUT)


def wait_for(predicate, timeout: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)


def stop(proc: subprocess.Popen, log: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0, log.read_text()


def test_sigterm_mid_send_then_restart_sends_every_group_exactly_once(tmp_path: Path, sqlite_url: str, robot) -> None:
    robot.delay = 1.0  # a slow receiver: SIGTERM lands while a message is in flight
    with clock.pinned(NOW) as now:
        for v in range(6):
            add_notices(engine_for(sqlite_url), 2, group=f"elderly:v{v}", at=ago(now, 120), village=f"第{v + 1}村")
    path, log = write_config(tmp_path, sqlite_url, robot.url()), tmp_path / "scheduler.log"
    proc = start(path, log)
    try:
        wait_for(lambda: len(robot.requests) >= 1, 60, proc, log)
        stop(proc, log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    first = statuses(sqlite_url)
    assert len(first) == 6
    assert "SIGTERM received" in log.read_text() and "Traceback" not in log.read_text()
    # the message in flight was finished and recorded; what was received is exactly what is recorded as sent
    assert 1 <= first.count("sent") < 6, first
    assert len(robot.requests) == first.count("sent")

    proc = start(path, log)
    try:
        wait_for(lambda: statuses(sqlite_url).count("sent") == 6, 60, proc, log)
        time.sleep(1.5)  # another run of the job: nothing more goes out
        stop(proc, log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    titles = [r.body["markdown"]["content"].split("\n", 1)[0] for r in robot.requests]
    assert len(titles) == 6 and len(set(titles)) == 6, titles
    assert sorted(t.split("：", 1)[1].split(" · ")[1] for t in titles) == [f"第{v}村" for v in range(1, 7)]
    assert "Traceback" not in log.read_text()


def test_the_notify_job_runs_every_send_seconds_only_with_channels(tmp_path: Path, sqlite_url: str) -> None:
    import threading
    from datetime import timedelta

    from apscheduler.triggers.interval import IntervalTrigger

    from cockpit.config import load_config
    from cockpit.scheduler import NOTIFY_JOB, build_scheduler, run_notify

    config = load_config(write_config(tmp_path, sqlite_url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"), env={})
    job = build_scheduler(config, engine_for(sqlite_url), threading.Event()).get_job(NOTIFY_JOB)
    assert isinstance(job.trigger, IntervalTrigger) and job.trigger.interval == timedelta(seconds=1)
    assert (job.coalesce, job.max_instances) == (True, 1)
    stopped = threading.Event()
    stopped.set()
    assert run_notify(config, engine_for(sqlite_url), stopped) is None  # no pass starts after a stop
    bare = tmp_path / "bare.toml"
    bare.write_text(f"[warehouse]\nurl = {json.dumps(sqlite_url)}\n", encoding="utf-8")
    assert build_scheduler(load_config(bare, env={}), engine_for(sqlite_url), threading.Event()).get_job(NOTIFY_JOB) is None
