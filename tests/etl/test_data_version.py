"""The data version (the read side's cache key) moves once a pass is complete, after its after-load
hooks, and not when its runs end; on SQLite and PostgreSQL, in one process and with workers."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, func, select, text

from cockpit import hooks
from cockpit.etl import mark_abandoned_runs, run_sources
from cockpit.warehouse import schema as s
from cockpit.warehouse.data_version import bump_data_version, current_data_version
from cockpit.warehouse.db import engine_for
from queries._base import cached, clear_cache


def version(engine) -> int:
    with engine.connect() as conn:
        return current_data_version(conn)


@cached
def event_count(db) -> int:  # a cached read, as the screens make them
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(s.event)).scalar_one()


@pytest.mark.parametrize("processes", [0, 2], ids=["one-process", "workers"])
def test_the_version_moves_after_the_hooks_not_when_the_runs_end(township, monkeypatch, processes) -> None:
    engine = engine_for(township.warehouse_url)
    clear_cache()
    before = version(engine)
    assert event_count(engine) == 0  # cached under the version before the pass
    seen = {}

    def probe(hook_engine, results) -> None:  # the last after-load hook: every run of the pass has ended
        with hook_engine.connect() as conn:
            seen["open runs"] = conn.execute(select(func.count()).select_from(s.etl_run)
                                             .where(s.etl_run.c.ended_at.is_(None))).scalar_one()
            seen["runs"] = conn.execute(select(func.count()).select_from(s.etl_run)).scalar_one()
            seen["version"] = current_data_version(conn)
        seen["cached count"] = event_count(hook_engine)  # a screen rendered now

    monkeypatch.setattr(hooks, "AFTER_LOAD", [*hooks.AFTER_LOAD, probe])
    results = run_sources(township.config(etl=f"prepare_processes = {processes}\n"), engine)
    assert all(r.status == "success" for r in results) and sum(r.rows_loaded for r in results) > 0
    assert seen["runs"] == len(results) and seen["open runs"] == 0
    assert seen["version"] == before  # the runs had ended, the hooks had not finished: not moved
    assert seen["cached count"] == 0  # so the screen still read the cached result …
    assert version(engine) == before + 1  # … and once the hooks have finished, it moves
    assert event_count(engine) == 3  # … and the screens read the loaded rows


def test_a_pass_that_loads_nothing_moves_it_too_and_no_pass_does_not(township) -> None:
    engine = engine_for(township.warehouse_url)
    config = township.config()
    run_sources(config, engine)
    loaded = version(engine)
    again = run_sources(config, engine)  # nothing changed at the sources: no hooks, but new run records
    assert sum(r.rows_loaded for r in again) == 0
    assert version(engine) == loaded + 1
    stopped = threading.Event()
    stopped.set()
    assert run_sources(config, engine, stop=stopped) == []  # no source ran: nothing to read again
    assert version(engine) == loaded + 1


def test_marking_abandoned_runs_moves_it_only_when_it_marks_some(db_url) -> None:
    engine = engine_for(db_url)
    start = version(engine)
    assert mark_abandoned_runs(engine) == 0 and version(engine) == start
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO etl_run (source, \"full\", started_at, status, attempts, rows_read, "
                          "rows_loaded, rows_rejected) VALUES ('hotline', false, '2026-11-30 08:00:00', 'running', "
                          "1, 0, 0, 0)"))
    assert version(engine) == start  # a run record alone does not move it
    assert mark_abandoned_runs(engine) == 1 and version(engine) == start + 1


def test_bump_in_the_writers_transaction_and_without_the_row(db_url) -> None:
    engine = engine_for(db_url)
    assert version(engine) == 0  # a freshly migrated warehouse
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            assert bump_data_version(conn) == 1
            raise RuntimeError("the write failed")
    assert version(engine) == 0  # rolled back with the write
    with engine.begin() as conn:
        assert bump_data_version(conn) == 1
        assert bump_data_version(conn) == 2
    with engine.begin() as conn:
        conn.execute(delete(s.data_version))
    assert version(engine) == 0
    with engine.begin() as conn:
        assert bump_data_version(conn) == 1
    assert version(engine) == 1
