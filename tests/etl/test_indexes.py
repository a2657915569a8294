"""Secondary indexes during a first load: dropped while an empty table loads, always back afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from cockpit import hooks
from cockpit.etl import run_sources
from cockpit.warehouse import indexes
from cockpit.warehouse.db import engine_for


def index_names(engine, table: str) -> set[str]:
    return {ix["name"] for ix in inspect(engine).get_indexes(table) if not ix.get("unique")}


def declared(table: str) -> set[str]:
    return {ix.name for ix in indexes.secondary_indexes(table)}


def test_declared_secondary_indexes_are_the_non_unique_ones() -> None:
    assert declared("event") == {"ix_event_category_code", "ix_event_reported_at", "ix_event_dispatched_at",
                                 "ix_event_village_reported", "ix_event_grid_reported", "ix_event_open_village_reported",
                                 "ix_event_village_resolved", "ix_event_village_closed_unresolved",
                                 "ix_event_duplicate_of", "ix_event_reporter"}
    assert all(not ix.unique for ix in indexes.secondary_indexes("event"))


def test_a_first_load_runs_without_the_empty_tables_indexes_and_builds_them_at_the_end(township, monkeypatch) -> None:
    engine = engine_for(township.warehouse_url)
    seen: dict[str, set[str]] = {}
    original = indexes.ensure

    def ensure(conn, tables) -> None:  # the rebuild at the end of the pass: what the load ran with
        if tables == ["area", "event", "inspection"] and "load" in seen:
            seen["rebuild"] = {ix["name"] for ix in inspect(conn).get_indexes("event") if not ix.get("unique")}
        seen.setdefault("load", set())
        original(conn, tables)

    def hook(_engine, _results) -> None:  # after-load hooks run once the indexes are back
        seen["hook"] = index_names(engine, "event")

    monkeypatch.setattr(indexes, "ensure", ensure)
    monkeypatch.setattr(hooks, "AFTER_LOAD", [hook])
    results = run_sources(township.config(), engine)
    assert all(r.status == "success" for r in results)
    assert seen["rebuild"] == set()  # the events were loaded into a table without secondary indexes
    assert seen["hook"] == declared("event")
    for table in ("event", "inspection", "area"):
        assert index_names(engine, table) == declared(table), table
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM event")).scalar() == 3


def test_the_indexes_of_an_empty_table_are_gone_inside_the_block_and_back_after_an_error(db_url) -> None:
    engine = engine_for(db_url)
    with pytest.raises(RuntimeError, match="load broke"):
        with indexes.deferred_for_empty(engine, ["event", "area"]) as empty:
            assert empty == ["area", "event"]
            assert index_names(engine, "event") == set()
            raise RuntimeError("load broke")
    assert index_names(engine, "event") == declared("event")
    assert index_names(engine, "area") == declared("area")


def test_a_table_with_rows_keeps_its_indexes_and_a_missing_one_is_healed(township) -> None:
    engine = engine_for(township.warehouse_url)
    config = township.config()
    run_sources(config, engine)
    with engine.begin() as conn:  # as a pass killed between the drop and the rebuild would leave it
        conn.execute(text("DROP INDEX ix_event_grid_reported"))
    with indexes.deferred_for_empty(engine, ["event"]) as empty:
        assert empty == []
        assert index_names(engine, "event") == declared("event")
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_event_village_reported"))
    run_sources(config, engine)  # an ordinary pass heals it
    assert index_names(engine, "event") == declared("event")


def test_the_aggregate_built_after_a_first_load_is_filled_before_its_indexes(township, monkeypatch) -> None:
    engine = engine_for(township.warehouse_url)
    at_rebuild: list[set[str]] = []
    original = indexes.ensure

    def ensure(conn, tables) -> None:
        if tables == ["agg_event_day"]:
            have = {ix["name"] for ix in inspect(conn).get_indexes("agg_event_day") if not ix.get("unique")}
            rows = conn.execute(text("SELECT count(*) FROM agg_event_day")).scalar()
            at_rebuild.append((have, rows))
        original(conn, tables)

    monkeypatch.setattr(indexes, "ensure", ensure)
    run_sources(township.config(), engine)
    assert len(at_rebuild) == 2  # the check when the build starts, the rebuild when it ends
    assert at_rebuild[0] == (declared("agg_event_day"), 0)
    assert at_rebuild[1][0] == set() and at_rebuild[1][1] > 0  # filled without its indexes
    assert index_names(engine, "agg_event_day") == declared("agg_event_day")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT day, grid_code, category_code, channel, n_reported FROM agg_event_day "
                                   "ORDER BY 1, 2, 3, 4")).all()
        expected = conn.execute(text(
            "SELECT substr(CAST(reported_at AS TEXT), 1, 10), grid_code, category_code, channel, count(*) FROM event "
            "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4")).all()
    assert [(str(r[0])[:10], *r[1:]) for r in stored] == [tuple(r) for r in expected]
