"""An incremental load costs what it changed: a stored event changed only in columns no after-load
hook reads touches no aggregate group and no duplicate link, and the aggregate refresh rewrites
only the rows whose figures changed, in place (docs/etl-performance.md, "The incremental load")."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cockpit import aggregates, clock
from cockpit.etl import duplicates, run_sources
from cockpit.etl.load import watched_columns
from cockpit.warehouse import schema as s
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.targets import TARGETS
from tests.etl.conftest import T0
from tests.etl.test_engine import by_source, rebuilt


def agg_with_stamps(engine) -> dict[tuple, tuple]:
    """Every agg_event_day row by its group, with its refresh time: a rewritten row shows a new one."""
    a = s.agg_event_day
    with engine.connect() as conn:
        return {tuple(r[:4]): tuple(r[4:]) for r in conn.execute(select(*a.c))}


def calls(monkeypatch, module, name: str) -> list:
    """The return values of every call of ``module.name`` from now on (the function still runs)."""
    seen: list = []
    original = getattr(module, name)

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        seen.append(out)
        return out

    monkeypatch.setattr(module, name, spy)
    return seen


def test_the_watched_columns_are_what_the_aggregate_and_the_links_read() -> None:
    names = [c.name for c in s.event.c]
    watched = set(watched_columns(TARGETS["event"], names))
    assert {"reported_at", "grid_code", "category_code", "channel", "status", "resolved_at", "closed_at",
            "satisfaction", "reporter_key", "village_code"} <= watched
    assert not watched & {"content", "title", "address", "reporter_masked", "lon", "lat", "src_key", "row_hash"}
    assert watched_columns(TARGETS["sensor_reading"], [c.name for c in s.sensor_reading.c]) == ()


def test_a_correction_no_hook_reads_is_written_but_touches_no_group_nor_link(township, monkeypatch) -> None:
    config = township.config()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    before = agg_with_stamps(engine)
    links = calls(monkeypatch, duplicates, "link_duplicates")
    refreshes = calls(monkeypatch, aggregates, "refresh_event_groups")
    # E2's address changes, its grid stays: a text correction
    township.execute("UPDATE ev SET dz = '清溪镇青石村1组6号', upd = ? WHERE bh = 'E2'", (T0 + 103,))

    with clock.pinned(clock.now() + timedelta(hours=1)):  # a rewritten aggregate row would show this hour
        ev = by_source(run_sources(config, engine))["events"]

    assert ev.rows_loaded == 1
    assert ev.touched_groups == set() and ev.touched_days == set()
    assert links == [] and refreshes == []
    assert agg_with_stamps(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(s.event.c.address).where(s.event.c.src_key == "E2")).scalar() == "清溪镇青石村1组6号"


def test_the_aggregate_refresh_rewrites_only_the_rows_whose_figures_changed(township, monkeypatch) -> None:
    config = township.config()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    before = agg_with_stamps(engine)
    refreshes = calls(monkeypatch, aggregates, "refresh_event_groups")
    # E1 is closed (status 1) where it was reported; E3 gets a new satisfaction: two groups, in place
    township.execute("UPDATE ev SET zt = '1', upd = ? WHERE bh = 'E1'", (T0 + 101,))
    township.execute("UPDATE ev SET myd = '4', upd = ? WHERE bh = 'E3'", (T0 + 102,))

    with clock.pinned(clock.now() + timedelta(hours=1)) as later:
        ev = by_source(run_sources(config, engine))["events"]

    assert ev.rows_loaded == 2 and len(ev.touched_groups) == 2
    after = agg_with_stamps(engine)
    rewritten = {g for g in after if after[g] != before.get(g)}
    assert rewritten == set(ev.touched_groups) and after.keys() == before.keys()  # updated in place
    assert refreshes == [2]  # two rows written, none deleted or inserted
    assert all(after[g][-1] == later for g in rewritten)
    assert all(after[g] == before[g] for g in after.keys() - rewritten)
    figures = {g: v[:-1] for g, v in after.items()}
    assert sorted((*g, *v) for g, v in figures.items()) == rebuilt(engine)
