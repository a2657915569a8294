"""The rules benchmark on a tiny demo township: the rules pass after a 1 % incremental load gives sane
figures, the report renders them, and (slow) the end-to-end run measures a complaint's way to the big
screen with a real scheduler — here with a one-minute hotline interval and a 2-second screen refresh,
for the test only (the benchmark runs the defaults)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from benchmarks import warehouses
from benchmarks import rules_bench
from benchmarks.report import rules_section
from cockpit.config import ROOT
from cockpit.etl import run_sources
from cockpit.warehouse.db import engine_for


@pytest.fixture
def loaded(demo_township, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A warehouse fully loaded from a private copy of the tiny demo sources (bench files in tmp_path)."""
    monkeypatch.setattr(warehouses, "BENCH", tmp_path / "bench")
    (tmp_path / "bench").mkdir()
    work = tmp_path / "work"
    shutil.copytree(demo_township.sources_dir, work)
    config = warehouses.bench_config(sqlite_url, work, "tiny")
    engine = engine_for(sqlite_url)
    results = run_sources(config, engine, full=True)
    assert all(r.status == "success" for r in results), [(r.source, r.error) for r in results if r.status != "success"]
    yield config, engine, work
    engine.dispose()


def test_a_rules_pass_after_the_incremental_load_gives_sane_figures(loaded, demo_township) -> None:
    config, engine, _ = loaded
    now = rules_bench.demo_now(demo_township.sources_dir)

    fig = rules_bench.incremental_then_pass(config, engine, "sqlite", "tiny", now)

    assert fig.now == now.isoformat() and fig.incr_rows_changed > 0 and fig.incr_seconds > 0
    assert 0 < fig.seconds < 60 and not fig.errors
    names = {r["rule"] for r in fig.rules}
    assert {"prominent_issue", "air_quality", "elderly_inactive"} <= names
    assert sum(r["seconds"] for r in fig.rules) <= fig.seconds  # the pass holds its rules (and housekeeping)
    assert fig.open_warnings == rules_bench.open_warnings(engine) > 0  # the demo's episodes raised some
    assert [r["seconds"] for r in fig.slowest()] == sorted((r["seconds"] for r in fig.rules), reverse=True)[:rules_bench.SLOWEST]

    again = rules_bench.rules_pass(engine, config, "sqlite", "tiny", now)  # nothing new: nothing changes
    assert sum(r["new"] + r["joined"] + r["cleared"] for r in again.rules) == 0
    assert again.open_warnings == fig.open_warnings

    text = "\n".join(rules_section([{"engine": "sqlite", "measured": fig, "baseline": again}], [], "tiny"))
    assert "## Warning rules" in text and "prominent_issue" in text and f"{fig.open_warnings:,}" in text


def test_a_complaint_is_committed_the_way_the_department_system_does(loaded) -> None:
    import sqlite3

    config, engine, _ = loaded
    from cockpit import clock
    from cockpit.scope import Scope
    from queries import areas

    town = areas.home_township(engine, Scope.everything())["code"]
    second, categories = rules_bench._second_source(config)
    grid, category, template = rules_bench.pick_spot(engine, config, town, clock.now(), categories)
    key = rules_bench.commit_complaint(config, rules_bench.HOTLINE, template, grid, category, "13900000001", clock.now())
    rules_bench.commit_complaint(config, second, rules_bench.loaded_record(engine, second), grid, category,
                                 "13900000002", clock.now())

    results = run_sources(config, engine, names=[rules_bench.HOTLINE, second])

    assert sum(r.rows_loaded for r in results) == 2 and not sum(r.rows_rejected for r in results)
    with engine.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(text("SELECT src_source, grid_code, category_code, reporter_key IS NOT NULL FROM event "
                                 "WHERE grid_code = :g AND category_code = :c"), {"g": grid, "c": category}).all()
    assert sorted(r[0] for r in rows) == sorted([rules_bench.HOTLINE, second]) and all(r[3] for r in rows)
    with sqlite3.connect(rules_bench._db(config.sources[rules_bench.HOTLINE])) as conn:
        assert conn.execute("SELECT status FROM work_order WHERE order_no = ?", (key,)).fetchone()[0] == "NEW"


def fast_sources(tmp_path: Path) -> Path:
    """The demo sources' declaration with the hotline every minute (tests only)."""
    toml = (ROOT / "config" / "sources" / "demo.toml").read_text(encoding="utf-8")
    head, tail = toml.split("[sources.hotline_12345]\n", 1)
    path = tmp_path / "sources-fast.toml"
    path.write_text(head + "[sources.hotline_12345]\n" + re.sub(r"interval_minutes = \d+", "interval_minutes = 1", tail,
                                                                count=1), encoding="utf-8")
    return path


@pytest.mark.slow
def test_the_end_to_end_run_times_a_complaint_to_the_big_screen(loaded, sqlite_url: str, tmp_path: Path) -> None:
    _, _, work = loaded

    d = rules_bench.end_to_end(sqlite_url, work, "sqlite", "tiny", extra_config="[app]\nrefresh_seconds = 2\n",
                               sources_toml=fast_sources(tmp_path), timeout=240)

    assert d.interval_minutes == 1 and d.refresh_seconds == 2
    assert 0 < d.open_after <= d.screen_after <= d.open_after + 2 + 5
    assert d.scheduler_wait <= 60 + 30  # one interval (and the runs queued before it)
    assert abs(d.scheduler_wait + d.load_seconds - d.open_after) < 0.01
    assert d.expected_mean < d.expected_worst and d.polling_floor == 62
    assert (tmp_path / "bench" / "e2e-sqlite.toml").exists()
    text = "\n".join(rules_section([], [d], "tiny"))
    assert "From a complaint to the big screen" in text and f"{d.screen_after:.0f} s" in text
