"""The ETL benchmark's baselines: the raw limit and the database floor measure the same rows the
full load wrote, and the floor builds the same warehouse (rows, indexes, event aggregate)."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from benchmarks import etl_bench
from cockpit.etl import run_sources
from cockpit.warehouse import indexes
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.targets import TARGETS

TABLES = ["area", "event", "inspection"]  # what the test township's sources load
_counter = itertools.count()


@pytest.fixture
def empty_url(township, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second empty, migrated warehouse on the township's engine."""
    if township.warehouse_url.startswith("sqlite"):
        path = tmp_path / "floor.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    server = request.getfixturevalue("pg_server")
    name = f"floor_{os.getpid()}_{next(_counter)}"
    server.execute(f"CREATE DATABASE {name} TEMPLATE {request.getfixturevalue('_pg_template')}")
    request.addfinalizer(lambda: (engine_for(server.url(name)).dispose(),
                                  server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
    return server.url(name)


def rows(engine, table: str, leave_out: tuple[str, ...] = ()) -> list[tuple]:
    cols = [c["name"] for c in inspect(engine).get_columns(table) if c["name"] not in leave_out]
    with engine.connect() as conn:
        return sorted((tuple(r) for r in conn.execute(text(f"SELECT {', '.join(cols)} FROM {table}"))), key=repr)


def test_the_floor_builds_the_warehouse_the_full_load_built(township, empty_url) -> None:
    loaded = engine_for(township.warehouse_url)
    results = run_sources(township.config(), loaded, full=True)
    assert all(r.status == "success" for r in results) and sum(r.rows_loaded for r in results) > 0
    floor = engine_for(empty_url)

    seconds = etl_bench.floor_seconds(loaded, floor, TABLES)

    assert len(seconds) == 3 and all(s >= 0 for s in seconds)
    for table in TABLES:
        assert rows(floor, table) == rows(loaded, table), table
        assert {ix["name"] for ix in inspect(floor).get_indexes(table) if not ix.get("unique")} == \
            {ix.name for ix in indexes.secondary_indexes(table)}
    assert rows(floor, "agg_event_day", ("refreshed_at",)) == rows(loaded, "agg_event_day", ("refreshed_at",))
    with floor.connect() as conn:  # the aggregate counts every event that is not a duplicate
        counted = conn.execute(text("SELECT sum(n_reported) FROM agg_event_day")).scalar()
        events = conn.execute(text("SELECT count(*) FROM event WHERE duplicate_of IS NULL")).scalar()
    assert counted == events > 0


def test_the_raw_limit_inserts_every_loaded_row_and_leaves_no_copy(township) -> None:
    engine = engine_for(township.warehouse_url)
    run_sources(township.config(), engine, full=True)
    with engine.connect() as conn:
        expected = sum(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES)

    n, seconds = etl_bench.raw_insert_seconds(engine, TABLES)

    assert n == expected > 0 and seconds > 0
    assert not [t for t in inspect(engine).get_table_names() if t.startswith("raw_")]


def test_the_incremental_phases_add_up_and_its_writing_is_split_by_table(township) -> None:
    """The incremental's phases account for its whole time, and the writing phase per table adds
    up to the writing phase: both time the same batch writes."""
    from benchmarks.source_changes import change_share

    config = township.config()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine, full=True)
    changed = change_share(config, 0.5)
    assert sum(changed.values()) > 0

    results, seconds, phases, _cpu, writing = etl_bench.timed_incremental(config, engine)

    loaded = {r.source: r.rows_loaded for r in results}
    assert loaded["events"] > 0
    assert sum(phases.values()) == pytest.approx(seconds, abs=1e-6)  # the rest is what the others leave
    # every source writes at least one batch (its run counts, rows or not): each of its tables is timed
    assert set(writing) == {TARGETS[s.target].table for s in config.sources.values()} == {"area", "event", "inspection"}
    assert sum(writing.values()) == pytest.approx(phases["writing"], rel=0.05, abs=0.005)
    assert all(s > 0 for s in writing.values())


def test_the_incremental_is_timed_right_after_the_full_load_and_the_baselines_copy_both(township, empty_url,
                                                                                       tmp_path: Path) -> None:
    """The incremental follows the full load before the raw limit and the floor write their scratch
    rows (which would push the warehouse out of the system's cache), and both baselines then copy
    every row the two loads wrote."""
    pristine = tmp_path / "pristine"
    shutil.copytree(township.dir, pristine)
    config = township.config()
    engine, floor = engine_for(township.warehouse_url), engine_for(empty_url)
    seen: dict[str, int] = {}

    def after_incremental() -> None:
        with engine.connect() as conn:
            seen["events"] = conn.execute(text("SELECT count(*) FROM event")).scalar()
        with floor.connect() as conn:
            seen["floor events"] = conn.execute(text("SELECT count(*) FROM event")).scalar()

    fig = etl_bench.run(config, engine, township.warehouse_url.split(":")[0], pristine, township.dir, floor,
                        after_incremental=after_incremental)

    assert fig.incr_rows_loaded > 0
    assert seen["floor events"] == 0  # neither baseline had run
    with engine.connect() as conn:
        stored = sum(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES)
        assert conn.execute(text("SELECT count(*) FROM event")).scalar() == seen["events"]
    assert fig.raw_rows == stored  # the incremental's rows included
    assert rows(floor, "event") == rows(engine, "event")


def test_a_partial_run_keeps_the_other_parts_with_the_run_each_was_measured_in(tmp_path: Path) -> None:
    """``--only etl,rules`` keeps the screens, the delay and the report of the run before, and a part
    that run had itself kept keeps the date it was measured on."""
    from benchmarks.__main__ import kept_parts
    from benchmarks.report import write_report

    full = {"when": "2026-12-03T14:14:12", "screens": [{"s": 1}], "delay": [{"d": 1}], "report": [{"r": 1}],
            "etl": [{"e": 1}], "rules": [{"x": 1}]}
    first = kept_parts(full, {"etl", "rules"})
    assert first["kept"] == {"parts": ["screens", "delay", "report"],
                             "when": {p: "2026-12-03T14:14:12" for p in ("screens", "delay", "report")}}
    assert first["screens"] == [{"s": 1}] and "etl" not in first
    second_run = {"when": "2026-12-03T15:34:49", "etl": [{"e": 2}], "rules": [{"x": 2}], **first}
    second = kept_parts(second_run, {"etl", "rules", "delay"})
    assert second["kept"]["when"] == {"screens": "2026-12-03T14:14:12", "report": "2026-12-03T14:14:12"}
    assert "delay" not in second

    out = tmp_path / "bench.md"
    write_report(out, {"machine": {}, "scale": "county", "when": "2026-12-03T16:00:00", "etl": [], "rules": [],
                       "delay": [], "screens": [], "report": [], "kept": second["kept"]})
    assert ("the figures of screens, report are those of the run of 2026-12-03T14:14:12" in out.read_text())
