"""``sources preview`` (``cockpit.etl.preview``): the first rows of a source through the load's own
standardisation, nothing written; its reasons and counts are those the real load then quarantines,
its rows those the load then writes, its unmapped codes ranked by frequency. SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from cockpit.etl import run_sources
from cockpit.etl.preview import preview_source
from cockpit.warehouse import schema as s
from cockpit.warehouse.db import engine_for
from tests.etl.conftest import BAD_EVENTS, EVENT_COLUMNS, GOOD_EVENTS, T0

WRITTEN = (s.event, s.dq_issue, s.etl_run, s.etl_watermark, s.area, s.inspection)


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in WRITTEN}


def add_unknown_codes(township) -> None:
    """Three more rows of code 'ZZ' (E6 has one) and two of 'C3' (E10 has one), otherwise good."""
    for i, code in enumerate(["ZZ", "ZZ", "ZZ", "C3", "C3"]):
        row = (f"U{i}", code, None, None, None, "33099900100101", None, None, T0, "0", None, T0 + 20 + i)
        township.execute(f"INSERT INTO ev VALUES ({', '.join('?' for _ in EVENT_COLUMNS)})", row)


def test_preview_lists_what_the_load_then_quarantines_and_writes_nothing(township) -> None:
    add_unknown_codes(township)
    config = township.config()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine, names=["areas"])  # the registry the rows are placed on
    before = counts(engine)

    report = preview_source(config, engine, config.sources["events"], rows=100)
    assert counts(engine) == before  # nothing written: no rows, quarantine, run or watermark

    total = len(GOOD_EVENTS) + len(BAD_EVENTS) + 2 + 5
    assert (report["rows_read"], report["would_load"], report["would_quarantine"]) == (total, 3, total - 3)
    assert report["unmapped_codes"] == [
        {"field": "category_code", "column": "lb", "rule": "unknown_code", "code": "ZZ", "count": 4},
        {"field": "category_code", "column": "lb", "rule": "unknown_code", "code": "C3", "count": 3},
    ]  # E7's address and E12's coordinates are no codes

    [result] = run_sources(config, engine, names=["events"])
    with engine.connect() as conn:
        issues = conn.execute(select(s.dq_issue.c.source_key, s.dq_issue.c.rule, s.dq_issue.c.field,
                                     s.dq_issue.c.reason).where(s.dq_issue.c.source == "events")).all()
        loaded = set(conn.execute(select(s.event.c.src_key)).scalars())
    # the same reasons with the same counts, row for row
    assert {(r["rule"], r["field"]): r["count"] for r in report["reasons"]} == dict(
        Counter((i.rule, i.field) for i in issues))
    assert sorted((q["key"] or "", q["rule"], q["field"], q["reason"]) for q in report["quarantined"]) == sorted(
        (i.source_key or "", i.rule, i.field, i.reason) for i in issues)
    assert {r["src_key"] for r in report["rows"]} == loaded == {"E1", "E2", "E3"}
    assert result.rows_rejected == report["would_quarantine"] and result.rows_loaded == report["would_load"]
    # reasons ranked by count: unknown_code (E6, E10, five more) first
    assert report["reasons"][0] == {"rule": "unknown_code", "field": "category_code", "count": 7}


def test_preview_rows_are_those_the_load_writes(township) -> None:
    config = township.config()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine, names=["areas"])
    report = preview_source(config, engine, config.sources["events"], rows=100)
    run_sources(config, engine, names=["events"])
    cols = [c for c in report["rows"][0] if c != "src_key"]
    with engine.connect() as conn:
        stored = {r.src_key: r for r in conn.execute(select(s.event))}
    for row in report["rows"]:
        db = stored[row["src_key"]]
        for c in cols:
            value = getattr(db, c)
            shown = row[c]
            if hasattr(value, "isoformat"):
                value = value.strftime("%Y-%m-%d %H:%M:%S")
                shown = shown[:19]
            assert shown == value, (row["src_key"], c)
    assert stored["E1"].category_code == "SAF-ORDER" and stored["E1"].grid_code == "33099900100102"


def test_preview_reads_only_the_first_rows_in_load_order(township) -> None:
    config = township.config()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine, names=["areas"])
    # ordered by the replication key then the key: E1 (upd T0+1), its exact copy, E2 (T0+2)
    report = preview_source(config, engine, config.sources["events"], rows=3)
    assert (report["rows_read"], report["would_load"]) == (3, 2)
    assert [r["src_key"] for r in report["rows"]] == ["E1", "E2"]
    assert [(q["key"], q["rule"]) for q in report["quarantined"]] == [("E1", "duplicate")]


def test_preview_of_a_file_source(township) -> None:
    config = township.config()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine, names=["areas"])
    report = preview_source(config, engine, config.sources["hazards"], rows=10)
    assert report["would_load"] == 1 and {(q["key"], q["rule"]) for q in report["quarantined"]} == {
        ("H2", "invalid_credit_code"), ("H3", "bad_date")}
    assert report["rows"][0]["kind"] == "fire" and report["rows"][0]["result"] == "fail"
