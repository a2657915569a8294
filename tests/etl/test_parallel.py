"""Full passes prepared by worker processes: the same warehouse, run records and failures as one process."""

from __future__ import annotations

import threading

import pytest

from sqlalchemy import select, text

from cockpit.etl import engine as etl
from cockpit.etl import parallel, run_sources
from cockpit.warehouse import schema as s
from cockpit.warehouse.db import engine_for
from tests.etl.conftest import BAD_EVENTS, GOOD_EVENTS, SOURCES_TOML, T0
from tests.etl.test_engine import by_source, snapshot
from tests.tiny_source import make_source, source_block

SMALL_BATCHES = "batch_size = 4\n"  # several batches per source, interleaved between the workers


def processes(n: int) -> str:
    return SMALL_BATCHES + f"prepare_processes = {n}\n"


def run_records(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(select(s.etl_run).order_by(s.etl_run.c.id)).all()
    return {r.source: (r.status, r.full, r.rows_read, r.rows_loaded, r.rows_rejected, r.watermark_after, r.attempts)
            for r in rows}


def test_a_full_pass_in_processes_loads_exactly_what_one_process_loads(township, monkeypatch) -> None:
    calls: list[int] = []
    original = parallel.run

    def spy(*args, processes, **kwargs):
        calls.append(processes)
        return original(*args, processes=processes, **kwargs)

    monkeypatch.setattr(parallel, "run", spy)
    engine = engine_for(township.warehouse_url)
    results = by_source(run_sources(township.config(etl=processes(2)), engine, full=True))
    assert calls == [2]  # the events and the hazards were prepared by two worker processes
    assert list(results) == ["areas", "events", "hazards"]
    assert [r.status for r in results.values()] == ["success"] * 3
    ev = results["events"]
    assert (ev.rows_loaded, ev.rows_rejected) == (3, len(BAD_EVENTS) + 2)
    assert ev.watermark_after == str(T0 + 13) and ev.touched_days
    read = len(GOOD_EVENTS) + len(BAD_EVENTS) + 2
    assert run_records(engine)["events"] == ("success", True, read, 3, len(BAD_EVENTS) + 2, str(T0 + 13), 1)
    loaded = snapshot(engine)
    assert len(loaded["event"]) == 3 and len(loaded["inspection"]) == 1 and len(loaded["area"]) == 7
    # one process over the same sources finds every row already there, hash for hash
    again = run_sources(township.config(etl=processes(0)), engine, full=True)
    assert calls == [2]
    assert all(r.status == "success" and r.rows_loaded == 0 for r in again), again
    assert snapshot(engine) == loaded
    # and so does a pass in processes after it
    third = run_sources(township.config(etl=processes(2)), engine, full=True)
    assert all(r.status == "success" and r.rows_loaded == 0 and r.rows_read > 0 for r in third), third
    assert snapshot(engine) == loaded
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM dq_issue")).scalar() == len(BAD_EVENTS) + 2 + 2


def test_workers_prepare_passes_of_several_sources_or_full_ones_not_one_source_s_increment(township, monkeypatch) -> None:
    calls: list[tuple[list[str], int]] = []
    original = parallel.run

    def spy(config, engine, sources, *args, processes, **kwargs):
        calls.append(([src.name for src in sources], processes))
        return original(config, engine, sources, *args, processes=processes, **kwargs)

    monkeypatch.setattr(parallel, "run", spy)
    config = township.config(etl=processes(2))
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine, names=["areas"])
    assert calls == []  # the area registry always loads in this process
    run_sources(config, engine, names=["events"])  # the scheduler's run of one source: in this process
    assert calls == []
    township.execute("UPDATE ev SET myd = '4', upd = ? WHERE bh = 'E2'", (T0 + 20,))
    changed = by_source(run_sources(config, engine, names=["events"]))
    assert calls == [] and changed["events"].rows_loaded == 1
    run_sources(config, engine, names=["events"], full=True)  # one source, read in full: one worker
    assert calls == [(["events"], 1)]
    run_sources(config, engine)  # several sources
    assert calls[1:] == [(["events", "hazards"], 2)]


def test_an_unavailable_source_is_retried_in_its_worker_and_fails_alone(township) -> None:
    township.csv.unlink()
    township.events_db.write_bytes(b"this is not a database" * 100)
    engine = engine_for(township.warehouse_url)
    results = by_source(run_sources(township.config(etl=processes(2)), engine, full=True))
    assert results["areas"].status == "success" and results["areas"].rows_loaded == 7
    for name, what in (("events", "not a database"), ("hazards", "hazards.csv")):
        assert results[name].status == "failed" and results[name].attempts == 2, results[name]
        assert what in results[name].error
    records = run_records(engine)
    assert records["events"][0] == "failed" and records["events"][-1] == 2
    assert records["hazards"][0] == "failed" and records["hazards"][-1] == 2


def test_a_configuration_mistake_found_in_a_worker_names_file_key_and_fix(township) -> None:
    config = township.config(etl=processes(2), sources=SOURCES_TOML.replace('satisfaction = "myd"', 'satisfaction = "manyidu"'))
    results = by_source(run_sources(config, engine_for(township.warehouse_url), full=True))
    err = results["events"].error
    assert results["events"].status == "failed"
    assert "sources.toml" in err and "sources.events.columns.satisfaction" in err and "manyidu" in err and "Fix:" in err
    assert results["hazards"].status == "success" and results["hazards"].rows_loaded == 1


def test_a_source_whose_writing_fails_fails_alone(township, monkeypatch) -> None:
    original = etl.write_batch

    def write_batch(engine, source, p, result, *, fresh):
        if source.name == "hazards":
            raise RuntimeError("disk full")
        return original(engine, source, p, result, fresh=fresh)

    monkeypatch.setattr(etl, "write_batch", write_batch)
    engine = engine_for(township.warehouse_url)
    results = by_source(run_sources(township.config(etl=processes(2)), engine, full=True))
    assert results["hazards"].status == "failed" and results["hazards"].error == "RuntimeError: disk full"
    assert results["events"].status == "success" and results["events"].rows_loaded == 3
    assert run_records(engine)["hazards"][0] == "failed"


def test_a_stop_ends_a_parallel_pass_after_the_batch_being_written(township, monkeypatch) -> None:
    stop = threading.Event()
    original = etl.write_batch
    written: list[str] = []

    def write_batch(engine, source, p, result, *, fresh):  # the stop arrives during the first event batch
        if source.name == "events":
            stop.set()
        written.append(source.name)
        return original(engine, source, p, result, fresh=fresh)

    monkeypatch.setattr(etl, "write_batch", write_batch)
    engine = engine_for(township.warehouse_url)
    results = by_source(run_sources(township.config(etl=processes(2)), engine, full=True, stop=stop))
    assert written.count("events") == 1
    assert results["events"].status == "interrupted" and results["events"].rows_read == 4
    assert all(r.status in ("interrupted", "success") for r in results.values())
    records = run_records(engine)
    assert records["events"][:4] == ("interrupted", True, 4, 3)  # E1, its copy (rejected), E2, E3
    assert all(status != "running" for status, *_ in records.values())
    monkeypatch.setattr(etl, "write_batch", original)
    rest = by_source(run_sources(township.config(etl=processes(2)), engine))
    assert rest["events"].status == "success" and rest["hazards"].status == "success"
    with engine.connect() as conn:
        assert sorted(conn.execute(select(s.event.c.src_key)).scalars()) == ["E1", "E2", "E3"]


LOADER = """
import sys, time
from cockpit.config import load_config
from cockpit.etl import engine as etl, run_sources
from cockpit.warehouse.db import engine_for

def descendants(pid):
    import os
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = open(f"/proc/{entry}/stat").read()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry))
                    frontier.append(int(entry))
    return found

original = etl.write_batch

def stuck(engine, source, *args, **kwargs):  # the loading process hangs on its first batch from a worker
    import os
    if source.target == "area":
        return original(engine, source, *args, **kwargs)
    time.sleep(1.0)  # the workers fill the queue meanwhile
    print(" ".join(map(str, descendants(os.getpid()))), flush=True)
    time.sleep(120)

if __name__ == "__main__":  # the workers import this script again
    etl.write_batch = stuck
    config = load_config(sys.argv[1], env={})
    run_sources(config, engine_for(config.warehouse_url), full=True)
"""


@pytest.mark.parametrize("batches", ["small", "larger than a pipe holds"])
def test_workers_end_when_their_loading_process_is_killed(township, tmp_path, batches) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    if not township.warehouse_url.startswith("sqlite"):
        pytest.skip("one engine is enough: the workers never touch the warehouse")
    if batches == "small":
        township.config(etl="batch_size = 1\nprepare_processes = 2\n")  # writes cockpit.toml
    else:  # a worker's queue then still holds batches its feeding thread cannot write: it must not wait to flush them
        make_source(tmp_path / "air.db", 40_000)
        township.config(sources=source_block("air", tmp_path / "air.db"), etl="batch_size = 4000\nprepare_processes = 2\n")
    script = tmp_path / "loader.py"
    script.write_text(LOADER, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(township.dir / "cockpit.toml")], stdout=subprocess.PIPE,
                            text=True, cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
    finally:
        proc.send_signal(signal.SIGKILL)  # no chance to cancel its workers
        proc.wait()
    workers = [p for p in pids if os.path.exists(f"/proc/{p}") and "forkserver" in open(f"/proc/{p}/cmdline").read()]
    assert len(workers) >= 2  # the fork server and its workers
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_running(p) for p in workers):
        time.sleep(0.2)
    left = [p for p in workers if _running(p)]
    for p in left:  # a fork server outlives its last worker by design only while the loader lives
        os.kill(p, signal.SIGKILL)
    assert not left


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
