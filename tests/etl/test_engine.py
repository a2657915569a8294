"""The ETL engine end to end on hand-written sources, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from cockpit import aggregates, clock, hooks
from cockpit.etl import RunResult, UnknownSource, mark_abandoned_runs, run_source, run_sources
from cockpit.privacy import mask_id_number, mask_phone, secret_hash
from cockpit.warehouse import schema as s
from cockpit.warehouse.db import engine_for
from tests.etl.conftest import BAD_EVENTS, CSV_ROWS, GOOD_CREDIT, GOOD_EVENTS, GOOD_ID, SALT, SOURCES_TOML, T0


def local(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)


def table_rows(engine, table, order=("src_source", "src_key")) -> list[tuple]:
    cols = [c for c in table.c if c.name not in ("loaded_at", "src_run_id", "id")]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*cols).order_by(*[table.c[o] for o in order]))]


def snapshot(engine) -> dict:
    with engine.connect() as conn:
        issues = conn.execute(text("SELECT source, fingerprint, rule, resolved_at FROM dq_issue ORDER BY 1, 2, 3")).all()
    return {"event": table_rows(engine, s.event), "inspection": table_rows(engine, s.inspection),
            "area": table_rows(engine, s.area, ("code",)), "issues": [tuple(i) for i in issues]}


def by_source(results: list[RunResult]) -> dict[str, RunResult]:
    return {r.source: r for r in results}


def test_good_rows_load_standardised_with_lineage(township) -> None:
    config = township.config()
    engine = engine_for(township.warehouse_url)
    results = by_source(run_sources(config, engine))
    assert [r.status for r in results.values()] == ["success"] * 3
    assert list(results) == ["areas", "events", "hazards"]  # area sources first
    ev = results["events"]
    assert ev.rows_read == len(GOOD_EVENTS) + len(BAD_EVENTS) + 2
    assert ev.rows_loaded == 3 and ev.rows_rejected == len(BAD_EVENTS) + 2
    assert ev.watermark_after == str(T0 + 13)
    assert ev.touched_days == {local(T0).date(), local(T0 + 7200).date()}
    with engine.connect() as conn:
        rows = {r.src_key: r for r in conn.execute(select(s.event))}
        run_id = conn.execute(select(s.etl_run.c.id).where(s.etl_run.c.source == "events")).scalar_one()
    assert set(rows) == {"E1", "E2", "E3"}
    e1, e2, e3 = rows["E1"], rows["E2"], rows["E3"]
    assert (e1.grid_code, e1.village_code, e1.category_code, e1.board, e1.department_code, e1.channel) == (
        "33099900100102", "330999001001", "SAF-ORDER", "safety", "police", "police_110")
    assert (e1.status, e1.satisfaction, e1.reported_at) == ("reported", 5, local(T0))
    assert e1.src_source == "events" and e1.src_run_id == run_id and len(e1.row_hash) == 32
    assert (e2.grid_code, e2.board, e2.department_code, e2.status) == ("33099900100101", "services", "urban", "resolved")
    assert e2.reporter_key == secret_hash(SALT, GOOD_ID) and e2.reporter_masked == mask_id_number(GOOD_ID)
    assert e3.grid_code == "33099900100201" and e3.village_code == "330999001002"
    assert e3.reporter_masked == mask_phone("13812345678") and e3.reporter_key == secret_hash(SALT, "13812345678")
    assert (e3.lon, e3.lat) == (120.005, 30.015)
    with engine.connect() as conn:
        hz = {r.src_key: r for r in conn.execute(select(s.inspection))}
        areas = {r.code: r for r in conn.execute(select(s.area))}
    assert set(hz) == {"H1"}
    assert (hz["H1"].enterprise_code, hz["H1"].kind, hz["H1"].result, hz["H1"].grid_code, hz["H1"].inspected_at) == (
        GOOD_CREDIT, "fire", "fail", "33099900100201", datetime(2026, 11, 3))
    assert areas["33099900100102"].level == "grid" and areas["33099900100102"].seq == 2
    assert results["hazards"].touched_days == {date(2026, 11, 3)}
    assert results["areas"].touched_days == set()


def test_each_bad_row_is_quarantined_once_with_its_rule(township) -> None:
    config = township.config()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    with engine.connect() as conn:
        issues = conn.execute(select(s.dq_issue).where(s.dq_issue.c.source == "events")).all()
        hz = conn.execute(select(s.dq_issue).where(s.dq_issue.c.source == "hazards")).all()
    keyed = {(i.source_key, i.rule) for i in issues}
    assert keyed == {(k, rule) for k, (_, rule) in BAD_EVENTS.items()} | {(None, "missing_key"), ("E1", "duplicate")}
    assert len(issues) == len(keyed)
    fields = {i.source_key: i.field for i in issues}
    assert fields["E4"] == "reporter_id" and fields["E9"] == "satisfaction" and fields["E6"] == "category_code"
    e9 = next(i for i in issues if i.source_key == "E9")
    assert "satisfaction" in e9.reason and "很好" in e9.reason
    dup = json.loads(next(i for i in issues if i.rule == "duplicate").raw)
    assert dup["bh"] == "E1" and "E1" in next(i for i in issues if i.rule == "duplicate").reason
    e4 = next(i for i in issues if i.source_key == "E4")
    assert GOOD_ID[:17] not in e4.raw and GOOD_ID[:17] not in e4.reason and json.loads(e4.raw)["bh"] == "E4"
    e11 = next(i for i in issues if i.source_key == "E11")
    assert e11.rule == "invalid_phone"
    assert {(i.source_key, i.rule) for i in hz} == {("H2", "invalid_credit_code"), ("H3", "bad_date")}


def test_second_run_and_full_run_change_nothing(township) -> None:
    config = township.config()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    before = snapshot(engine)
    again = run_sources(config, engine)
    assert all(r.status == "success" and r.rows_loaded == 0 for r in again), again
    assert by_source(again)["hazards"].rows_read == 1  # the CSV re-reads only its boundary row
    assert snapshot(engine) == before
    full = run_sources(config, engine, full=True)
    assert all(r.status == "success" and r.rows_loaded == 0 for r in full)
    assert by_source(full)["events"].rows_read == len(GOOD_EVENTS) + len(BAD_EVENTS) + 2
    assert snapshot(engine) == before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM dq_issue")).scalar() == len(BAD_EVENTS) + 2 + 2


def test_new_and_changed_rows_load_exactly_and_late_updates_overwrite(township) -> None:
    config = township.config()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    township.execute("INSERT INTO ev VALUES ('E20', 'B2', NULL, NULL, NULL, '33099900100101', NULL, NULL, ?, '0', NULL, ?)",
                     (T0 + 86400 * 3, T0 + 100))
    township.execute("UPDATE ev SET zt = '1', upd = ? WHERE bh = 'E1' AND myd = '5'", (T0 + 101,))  # late update
    township.execute("UPDATE ev SET zt = '0', upd = ? WHERE bh = 'E8'", (T0 + 102,))  # the bad row gets fixed
    township.write_csv(CSV_ROWS + [["H4", "", "用电", "清溪镇青石村1组2号", "2026年11月6日 14:30", "无隐患", "2026-11-06 15:00:00"]])
    results = by_source(run_sources(config, engine))
    assert results["events"].rows_loaded == 3 and results["hazards"].rows_loaded == 1
    assert results["events"].touched_days == {local(T0).date(), local(T0 + 86400 * 3).date()}
    with engine.connect() as conn:
        rows = {r.src_key: r for r in conn.execute(select(s.event))}
        issue = conn.execute(select(s.dq_issue).where(s.dq_issue.c.source_key == "E8")).one()
        h4 = conn.execute(select(s.inspection).where(s.inspection.c.src_key == "H4")).one()
    assert set(rows) == {"E1", "E2", "E3", "E8", "E20"}
    assert rows["E1"].status == "resolved" and rows["E8"].status == "reported"
    assert issue.resolved_at is not None
    assert h4.inspected_at == datetime(2026, 11, 6, 14, 30) and h4.grid_code == "33099900100101"


def test_unreachable_sources_fail_alone_after_retries(township) -> None:
    config = township.config()
    township.csv.unlink()
    township.events_db.write_bytes(b"this is not a database" * 100)
    engine = engine_for(township.warehouse_url)
    results = by_source(run_sources(config, engine))
    assert results["areas"].status == "success" and results["areas"].rows_loaded == 7
    for name, what in (("events", "events.db"), ("hazards", "hazards.csv")):
        assert results[name].status == "failed" and results[name].attempts == 2
        assert what in results[name].error
    assert "not a database" in results["events"].error
    with engine.connect() as conn:
        runs = {r.source: r for r in conn.execute(select(s.etl_run))}
    assert runs["events"].status == "failed" and "not a database" in runs["events"].error
    assert runs["hazards"].status == "failed" and runs["hazards"].attempts == 2 and runs["hazards"].ended_at


def test_mapping_to_a_missing_column_names_file_key_and_fix(township) -> None:
    config = township.config(sources=SOURCES_TOML.replace('satisfaction = "myd"', 'satisfaction = "manyidu"'))
    results = by_source(run_sources(config, engine_for(township.warehouse_url)))
    err = results["events"].error
    assert results["events"].status == "failed" and results["events"].attempts == 1
    assert "sources.toml" in err and "[sources.events.columns.satisfaction]" in err and "'manyidu'" in err
    assert "Fix: map satisfaction to one of" in err and "myd" in err
    assert results["hazards"].status == "success"


def test_a_new_source_needs_only_a_config_block(township) -> None:
    import sqlite3

    with sqlite3.connect(township.dir / "stats.db") as conn:
        conn.execute("CREATE TABLE yb (jlh INTEGER, zb TEXT, qh TEXT, yf TEXT, z REAL, xg TEXT)")
        conn.executemany("INSERT INTO yb VALUES (?, ?, ?, ?, ?, ?)", [
            (1, "GY", "330999001001", "2026/10", 12.5, "2026-11-01T08:00:00"),
            (2, "SS", "330999001", "2026/10", 3.25, "2026-11-01T08:00:01"),
            (3, "GY", "330999001099", "2026/10", 1.0, "2026-11-01T08:00:02"),  # no such village
        ])
    block = """
[sources.monthly]
department = "statistics"
kind = "sql"
url = "sqlite:///{dir}/stats.db"
table = "yb"
target = "indicator_value"
primary_key = "jlh"
replication_key = "xg"
[sources.monthly.columns]
indicator_code = "zb"
area_code = "qh"
period_start = "yf"
value = "z"
[sources.monthly.formats]
period_start = "%Y/%m"
[sources.monthly.values.indicator_code]
"GY" = "industrial_output"
"SS" = "tax_revenue"
"""
    config = township.config(block)
    engine = engine_for(township.warehouse_url)
    r = by_source(run_sources(config, engine, names=["areas", "monthly"]))["monthly"]
    assert (r.status, r.rows_loaded, r.rows_rejected) == ("success", 2, 1)
    assert r.touched_days == {date(2026, 10, 1)}
    with engine.connect() as conn:
        got = conn.execute(select(s.indicator_value.c.indicator_code, s.indicator_value.c.area_code,
                                  s.indicator_value.c.period_start, s.indicator_value.c.value)
                           .order_by(s.indicator_value.c.indicator_code)).all()
        issue = conn.execute(select(s.dq_issue.c.rule, s.dq_issue.c.source_key)).one()
    assert [tuple(g) for g in got] == [("industrial_output", "330999001001", date(2026, 10, 1), 12.5),
                                       ("tax_revenue", "330999001", date(2026, 10, 1), 3.25)]
    assert tuple(issue) == ("unknown_reference", "3")


def test_unknown_source_name_is_a_clear_error(township) -> None:
    with pytest.raises(UnknownSource, match="nope.*declared sources: areas, events, hazards"):
        run_sources(township.config(), engine_for(township.warehouse_url), names=["nope"])


def test_stop_between_batches_leaves_an_interrupted_run_and_a_consistent_watermark(township) -> None:
    config = township.config(etl="batch_size = 4\n")
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine, names=["areas"])
    stop = threading.Event()
    stop.set()  # as if SIGTERM arrived while the first batch was being loaded
    r = run_source(config, engine, config.sources["events"], stop=stop)
    assert r.status == "interrupted" and r.rows_read == 4
    assert r.watermark_after == str(T0 + 3)  # rows ordered by upd, key: E1 E1(copy) E2 E3
    with engine.connect() as conn:
        run = conn.execute(select(s.etl_run).where(s.etl_run.c.id == r.run_id)).one()
        wm = conn.execute(select(s.etl_watermark.c.value).where(s.etl_watermark.c.source == "events")).scalar_one()
        loaded = conn.execute(select(s.event.c.src_key)).scalars().all()
    assert (run.status, run.rows_read, run.rows_loaded, run.watermark_after) == ("interrupted", 4, 3, str(T0 + 3))
    assert run.ended_at is not None and wm == str(T0 + 3) and sorted(loaded) == ["E1", "E2", "E3"]
    rest = run_source(config, engine, config.sources["events"])
    assert rest.status == "success" and rest.rows_loaded == 0 and rest.watermark_after == str(T0 + 13)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM dq_issue WHERE source = 'events'")).scalar() == len(BAD_EVENTS) + 2


def test_after_load_hook_gets_the_results_and_abandoned_runs_are_marked(township) -> None:
    seen: list[list[RunResult]] = []

    def hook(engine, results):  # noqa: ANN001
        seen.append(results)

    hooks.AFTER_LOAD.append(hook)
    try:
        config = township.config()
        engine = engine_for(township.warehouse_url)
        results = run_sources(config, engine)
        run_sources(config, engine)  # loads nothing: no hook
    finally:
        hooks.AFTER_LOAD.remove(hook)
    assert seen == [results]
    with engine.begin() as conn:
        conn.execute(s.etl_run.insert().values(source="events", full=False, started_at=datetime(2026, 1, 1),
                                               status="running", attempts=1, rows_read=0, rows_loaded=0, rows_rejected=0))
    assert mark_abandoned_runs(engine) == 1
    with engine.connect() as conn:
        statuses = conn.execute(select(s.etl_run.c.status)).scalars().all()
    assert statuses.count("abandoned") == 1 and "running" not in statuses


# ---------------------------------------------------------------- the aggregate after a load
def agg_rows(engine) -> list[tuple]:
    a = s.agg_event_day
    cols = [c for c in a.c if c.name != "refreshed_at"]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*cols).order_by(a.c.day, a.c.grid_code, a.c.category_code, a.c.channel))]


def rebuilt(engine) -> list[tuple]:
    """The aggregate as a full rebuild from the event table makes it (the table is rebuilt)."""
    aggregates.rebuild_event_days(engine)
    return agg_rows(engine)


def test_an_incremental_load_refreshes_the_aggregate_groups_its_events_left_and_joined(township) -> None:
    config = township.config()
    engine = engine_for(township.warehouse_url)
    first = by_source(run_sources(config, engine))
    assert first["events"].touched_groups is None  # a first load: whole days
    assert agg_rows(engine) == rebuilt(engine)
    e1_before = (local(T0).date(), "33099900100102", "SAF-ORDER", "police_110")
    assert e1_before in {r[:4] for r in agg_rows(engine)}
    # E1 is corrected to another grid, day and status; E20 is new; E2 changes in content only
    township.execute("UPDATE ev SET wg = '33099900100201', sj = ?, zt = '1', upd = ? WHERE bh = 'E1' AND myd = '5'",
                     (T0 + 86400 * 2, T0 + 101))
    township.execute("INSERT INTO ev VALUES ('E20', 'A1', NULL, NULL, NULL, '33099900100201', NULL, NULL, ?, '0', NULL, ?)",
                     (T0 + 7300, T0 + 102))
    township.execute("UPDATE ev SET dz = '清溪镇青石村1组6号', upd = ? WHERE bh = 'E2'", (T0 + 103,))
    ev = by_source(run_sources(config, engine))["events"]
    assert ev.rows_loaded == 3
    e1_after = (local(T0 + 86400 * 2).date(), "33099900100201", "SAF-ORDER", "police_110")
    e20 = (local(T0 + 7300).date(), "33099900100201", "SAF-ORDER", "police_110")
    e2 = (local(T0 + 3600).date(), "33099900100101", "SRV-ROAD", "police_110")
    # E2's new address leaves its grid, and every column its aggregate row and its duplicate links
    # are computed from, as it was: it is written, but touches no group
    assert ev.touched_groups == {e1_before, e1_after, e20} and e2 not in ev.touched_groups
    assert e1_before[0] in ev.touched_days and e1_after[0] in ev.touched_days
    after = agg_rows(engine)
    assert e1_before not in {r[:4] for r in after}  # the group E1 left has no event any more
    assert after == rebuilt(engine)
    assert all(r.rows_loaded == 0 for r in run_sources(config, engine))
    assert agg_rows(engine) == after


def test_past_the_group_limit_the_touched_days_are_refreshed_whole(township, monkeypatch) -> None:
    config = township.config()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    monkeypatch.setattr(aggregates, "GROUP_LIMIT", 1)
    township.execute("UPDATE ev SET zt = '1', upd = ? WHERE bh IN ('E1', 'E3')", (T0 + 101,))
    ev = by_source(run_sources(config, engine))["events"]
    assert ev.rows_loaded == 2 and ev.touched_groups is None
    assert agg_rows(engine) == rebuilt(engine)


# ---------------------------------------------------------------- the fast paths keep the same outcome
def test_a_first_load_meeting_existing_keys_falls_back_to_the_upsert(township) -> None:
    config = township.config()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    before = snapshot(engine)
    with engine.begin() as conn:  # as if the source had never loaded: its rows are there, its watermark is not
        conn.execute(s.etl_watermark.delete())
    again = by_source(run_sources(config, engine))
    assert all(r.status == "success" for r in again.values()), again
    assert again["events"].rows_loaded == 0 and again["areas"].rows_loaded == 0
    assert snapshot(engine) == before
    township.execute("UPDATE ev SET zt = '1', upd = ? WHERE bh = 'E2'", (T0 + 100,))
    with engine.begin() as conn:
        conn.execute(s.etl_watermark.delete())
    changed = by_source(run_sources(config, engine))["events"]
    assert changed.rows_loaded == 1
    with engine.connect() as conn:
        assert conn.execute(select(s.event.c.status).where(s.event.c.src_key == "E2")).scalar_one() == "resolved"
        assert conn.execute(text("SELECT count(*) FROM event")).scalar() == 3


def test_a_source_without_replication_key_loads_once(township) -> None:
    config = township.config(sources=SOURCES_WITHOUT_WATERMARK)
    engine = engine_for(township.warehouse_url)
    first = by_source(run_sources(config, engine))
    assert first["events"].rows_loaded == 3 and first["events"].watermark_after is None
    before = snapshot(engine)
    second = by_source(run_sources(config, engine))
    assert second["events"].status == "success" and second["events"].rows_loaded == 0
    assert snapshot(engine) == before


def test_text_with_tabs_newlines_quotes_and_backslashes_is_stored_as_read(township) -> None:
    import sqlite3

    tricky = "第1行\t制表\n第2行 \\ 反斜杠 \\N \"引号\" 'single' \r末尾"
    with sqlite3.connect(township.events_db) as conn:
        conn.execute("ALTER TABLE ev ADD COLUMN nr TEXT")
        conn.execute("UPDATE ev SET nr = ? WHERE bh = 'E1'", (tricky,))
        conn.execute("UPDATE ev SET nr = '\\N' WHERE bh = 'E2'")
    config = township.config(sources=SOURCES_TOML.replace('satisfaction = "myd"', 'satisfaction = "myd"\ncontent = "nr"'))
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    with engine.connect() as conn:
        got = dict(conn.execute(select(s.event.c.src_key, s.event.c.content)).all())
    assert got == {"E1": tricky.strip(), "E2": "\\N", "E3": None}


def test_sqlite_connections_get_their_settings_back_after_a_pass(township) -> None:
    if not township.warehouse_url.startswith("sqlite"):
        pytest.skip("SQLite connection settings")
    engine = engine_for(township.warehouse_url)
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        default = [raw.execute(f"PRAGMA {p}").fetchone()[0] for p in ("wal_autocheckpoint", "cache_size")]
    run_sources(township.config(), engine)
    for _ in range(3):
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert [raw.execute(f"PRAGMA {p}").fetchone()[0] for p in ("wal_autocheckpoint", "cache_size")] == default


def test_beside_a_pass_a_thread_copies_the_committed_log_into_the_database_file(tmp_path) -> None:
    """SQLite: during a pass, the log the commits write is copied into the database file by a
    thread beside the pass (the file grows), not only by a commit; outside a pass nothing does."""
    from cockpit.etl import passes

    path = tmp_path / "w.db"
    engine = engine_for(f"sqlite:///{path}")

    def write(n: int) -> None:
        with engine.begin() as conn:
            raw = conn.connection.dbapi_connection
            raw.execute("PRAGMA wal_autocheckpoint=0")  # no commit copies the log itself
            raw.execute("CREATE TABLE IF NOT EXISTS t (x TEXT)")
            raw.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * n)

    write(10)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    write(2000)  # about a megabyte, in the log only
    time.sleep(4 * passes.CHECKPOINT_EVERY_SECONDS)
    assert path.stat().st_size == size
    threads = set(threading.enumerate())
    with passes._checkpointing_beside(engine):
        write(2000)
        deadline = time.monotonic() + 10
        while path.stat().st_size == size and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > size
    assert set(threading.enumerate()) <= threads  # the thread ended with the block
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 4010


def test_a_stop_during_a_pass_ends_it_after_the_batch_and_leaves_no_worker(township) -> None:
    config = township.config(etl="batch_size = 4\n")
    engine = engine_for(township.warehouse_url)
    stop = threading.Event()
    calls = {"n": 0}

    def clock() -> datetime:  # the stop arrives while the events are being loaded
        calls["n"] += 1
        if calls["n"] == 6:
            stop.set()
        return datetime(2026, 11, 27, 8, 0, 0)

    threads_before = set(threading.enumerate())
    results = by_source(run_sources(config, engine, stop=stop, now=clock))
    assert results["areas"].status == "success"
    assert results["events"].status == "interrupted" and 0 < results["events"].rows_read < 15
    assert "hazards" not in results
    assert set(threading.enumerate()) <= threads_before
    rest = by_source(run_sources(config, engine))
    assert rest["events"].status == "success" and rest["hazards"].rows_loaded == 1
    with engine.connect() as conn:
        assert sorted(conn.execute(select(s.event.c.src_key)).scalars()) == ["E1", "E2", "E3"]


SOURCES_WITHOUT_WATERMARK = "\n".join(line for line in SOURCES_TOML.splitlines() if line != 'replication_key = "upd"')


def test_a_full_read_takes_storage_order_and_moves_the_watermark_only_at_its_end(township) -> None:
    from contextlib import closing

    from cockpit.etl.extract import extract

    config = township.config(etl="batch_size = 4\nprepare_processes = 0\n")
    engine = engine_for(township.warehouse_url)
    events = config.sources["events"]
    full_marks = [b.watermark for b in extract(events, None, 4, full=True)]
    assert full_marks == [None, None, None, str(T0 + 13)]  # 14 rows as stored; only the last batch carries one
    with closing(extract(events, None, 4, full=True)) as batches:
        first = next(batches).rows["bh"].tolist()
    assert first == ["E1", "E2", "E3", "E4"]  # storage order, not replication order (E1's copy is last)
    ordered = [b.watermark for b in extract(events, None, 4)]
    assert ordered == [str(T0 + 3), str(T0 + 7), str(T0 + 11), str(T0 + 13)]
    run_sources(config, engine, names=["areas"])
    stop = threading.Event()
    stop.set()  # a first load with --full, stopped after its first batch
    r = run_source(config, engine, events, full=True, stop=stop)
    assert r.status == "interrupted" and r.rows_read == 4 and r.watermark_after is None
    rest = run_source(config, engine, events)  # no watermark yet: the next run reads everything again
    assert rest.status == "success" and rest.watermark_after == str(T0 + 13) and rest.rows_read == 14
    with engine.connect() as conn:
        assert sorted(conn.execute(select(s.event.c.src_key)).scalars()) == ["E1", "E2", "E3"]


PERSON_SOURCE = """
[sources.residents]
department = "police"
kind = "sql"
url = "sqlite:///{dir}/residents.db"
table = "rk"
target = "person"
primary_key = "bh"
replication_key = "gx"
[sources.residents.columns]
id_number = "sfz"
name = "xm"
grid_code = "wg"
"""


@pytest.mark.parametrize("full", [False, True])
def test_one_person_under_two_record_numbers_is_a_duplicate_in_any_batch(township, full) -> None:
    import sqlite3

    from tests.etl.conftest import id_number

    other = id_number("33099919900202456")
    rows = [("R1", GOOD_ID, "张三", "2026-01-01"), ("R2", other, "李四", "2026-01-02"),
            ("R3", GOOD_ID, "张三", "2026-01-03"),  # the same person again, in the second batch of 2
            ("R4", other, "李四", "2026-01-04")]  # and again, in the same batch as R3
    with sqlite3.connect(township.dir / "residents.db") as conn:
        conn.execute("CREATE TABLE rk (bh TEXT, sfz TEXT, xm TEXT, wg TEXT, gx TEXT)")
        conn.executemany("INSERT INTO rk VALUES (?, ?, ?, '33099900100101', ?)", rows)
    config = township.config(PERSON_SOURCE, etl="batch_size = 2\n")
    engine = engine_for(township.warehouse_url)
    r = by_source(run_sources(config, engine, names=["areas", "residents"], full=full))["residents"]
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_rejected) == ("success", 4, 2, 2)
    with engine.connect() as conn:
        people = conn.execute(select(s.person.c.src_key, s.person.c.person_key).order_by(s.person.c.src_key)).all()
        issues = conn.execute(select(s.dq_issue.c.source_key, s.dq_issue.c.rule, s.dq_issue.c.field)
                              .order_by(s.dq_issue.c.source_key)).all()
    assert [p.src_key for p in people] == ["R1", "R2"]
    assert people[0].person_key == secret_hash(SALT, GOOD_ID)
    assert [tuple(i) for i in issues] == [("R3", "duplicate", "person_key"), ("R4", "duplicate", "person_key")]


def test_a_late_correction_updates_only_the_columns_it_changed(township) -> None:
    if not township.warehouse_url.startswith("sqlite"):
        pytest.skip("SQLite's own update path (PostgreSQL upserts from a staging table)")
    from sqlalchemy import event as sa_event

    config = township.config(etl="prepare_processes = 0\n")  # the statements of this process are traced
    engine = engine_for(township.warehouse_url)
    with clock.pinned("2026-11-18T10:30:00"):  # the second load an hour later: its rows' loaded_at moves
        run_sources(config, engine)
    with engine.connect() as conn:
        before = conn.execute(select(s.event).where(s.event.c.src_key == "E1")).one()._asdict()
    township.execute("UPDATE ev SET zt = '1', upd = ? WHERE bh = 'E1' AND myd = '5'", (T0 + 101,))
    statements: list[str] = []

    def trace(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.set_trace_callback(statements.append)

    engine.dispose()
    sa_event.listen(engine, "connect", trace)
    try:
        with clock.pinned("2026-11-18T11:30:00"):
            r = by_source(run_sources(config, engine))["events"]
    finally:
        sa_event.remove(engine, "connect", trace)
    assert r.rows_loaded == 1
    updates = [q for q in statements if q.startswith('UPDATE "event" SET')]
    assert updates and all(q.startswith('UPDATE "event" SET "status" = ') for q in updates), updates
    assert not any('"reported_at" =' in q or '"grid_code" =' in q for q in updates)
    with engine.connect() as conn:
        after = conn.execute(select(s.event).where(s.event.c.src_key == "E1")).one()._asdict()
    changed = {c for c in before if before[c] != after[c]}
    assert changed == {"status", "row_hash", "loaded_at", "src_run_id"}
    assert after["status"] == "resolved"
