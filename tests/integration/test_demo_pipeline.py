"""The ground floor end to end: demo department sources → ETL → warehouse, on SQLite and PostgreSQL.

Expected values are read straight from the source databases and the generator's manifest, never
from the ETL's own bookkeeping.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cockpit.config import Config, SourceConfig
from cockpit.privacy import mask_text
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.targets import TARGETS

pytestmark = pytest.mark.slow


def source_keys(src: SourceConfig) -> list[str | None]:
    """Every row's source key as the source holds it (None where a key column is empty)."""
    if src.kind == "sql":
        db = make_url(src.url).database
        with sqlite3.connect(db) as conn:
            cols = ", ".join(f'"{c}"' for c in src.primary_key)
            rows = conn.execute(f'SELECT {cols} FROM "{src.table}"').fetchall()
        return [None if any(v is None or str(v).strip() == "" for v in r) else "|".join(str(v) for v in r) for r in rows]
    df = pd.read_csv(src.path, encoding=src.encoding, dtype=str, keep_default_na=False, sep=src.delimiter)
    return [None if any(str(v).strip() == "" for v in r) else "|".join(str(v).strip() for v in r)
            for r in df[list(src.primary_key)].itertuples(index=False)]


def warehouse_keys(conn, src: SourceConfig) -> list[str]:
    table = TARGETS[src.target].table
    return [r[0] for r in conn.execute(text(f"SELECT src_key FROM {table} WHERE src_source = :s"), {"s": src.name})]


def snapshot(conn, config: Config) -> str:
    """A digest of every loaded row's lineage and content hash, and of the quarantine."""
    h = hashlib.sha256()
    for table in sorted({TARGETS[s.target].table for s in config.sources.values()}):
        for row in conn.execute(text(f"SELECT src_source, src_key, row_hash FROM {table} ORDER BY src_source, src_key")):
            h.update(repr(tuple(row)).encode())
    for row in conn.execute(text("SELECT source, fingerprint, rule, resolved_at FROM dq_issue ORDER BY source, fingerprint, rule")):
        h.update(repr(tuple(row)).encode())
    return h.hexdigest()


@pytest.fixture
def loaded(demo_township, db_url, tmp_path):
    from cockpit.etl import run_sources

    config = demo_township.config(tmp_path, db_url)
    engine = engine_for(db_url)
    results = run_sources(config, engine)
    return config, engine, results


def test_every_good_row_is_loaded_and_every_bad_row_quarantined(demo_township, loaded) -> None:
    config, engine, results = loaded
    assert len(config.sources) >= 11
    assert {r.source for r in results} == set(config.sources)
    assert all(r.status == "success" for r in results), [(r.source, r.error) for r in results if r.status != "success"]
    bad = demo_township.manifest["bad_rows"]
    bad_keyed = {(b["source"], b["key"]) for b in bad if b["key"] is not None and b["rule"] != "duplicate"}
    with engine.connect() as conn:
        for name, src in config.sources.items():
            keys = source_keys(src)
            good = {k for k in keys if k is not None} - {k for (s, k) in bad_keyed if s == name}
            got = warehouse_keys(conn, src)
            assert len(got) == len(set(got)), f"{name}: a source row was loaded twice"
            assert set(got) == good, f"{name}: {len(good - set(got))} good rows missing, {len(set(got) - good)} unexpected"
            expected_bad = sum(1 for b in bad if b["source"] == name)
            assert next(r for r in results if r.source == name).rows_rejected == expected_bad, name
        issues = conn.execute(text("SELECT source, source_key, rule, raw, reason FROM dq_issue")).all()
    assert all(i.reason for i in issues)
    assert Counter((i.source, i.source_key, i.rule) for i in issues if i.source_key is not None) == Counter(
        (b["source"], b["key"], b["rule"]) for b in bad if b["key"] is not None)
    keyless = [b for b in bad if b["key"] is None]
    keyless_issues = [i for i in issues if i.source_key is None]
    assert len(keyless_issues) == len(keyless)
    for b in keyless:
        (col, value), = b["match"].items()
        assert any(i.source == b["source"] and i.rule == b["rule"] and str(json.loads(i.raw).get(col)) in (str(value), mask_text(str(value)))
                   for i in keyless_issues), b


def test_raw_personal_numbers_never_reach_the_warehouse(demo_township, loaded) -> None:
    config, engine, _ = loaded
    with engine.connect() as conn:
        masked = conn.execute(text("SELECT id_masked FROM person")).scalars().all()
        raws = conn.execute(text("SELECT raw FROM dq_issue")).scalars().all()
    assert masked and all(len(m) == 18 and m[3:14] == "*" * 11 for m in masked)
    import re
    for raw in raws:
        assert not re.search(r"(?<!\d)\d{17}[\dX](?!\d)", raw), raw
        assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", raw), raw


def test_second_run_loads_nothing_and_changes_nothing(loaded) -> None:
    from cockpit.etl import run_sources

    config, engine, _ = loaded
    with engine.connect() as conn:
        before = snapshot(conn, config)
    again = run_sources(config, engine)
    assert all(r.status == "success" and r.rows_loaded == 0 for r in again), [(r.source, r.rows_loaded) for r in again]
    with engine.connect() as conn:
        assert snapshot(conn, config) == before
    full = run_sources(config, engine, full=True)
    assert all(r.status == "success" and r.rows_loaded == 0 for r in full)
    with engine.connect() as conn:
        assert snapshot(conn, config) == before


def test_simulated_changes_load_exactly(demo_township, db_url, tmp_path) -> None:
    from datetime import datetime, timedelta

    from cockpit.demo import simulate_step
    from cockpit.etl import run_sources

    config = demo_township.config(tmp_path, db_url, copy=True)
    engine = engine_for(db_url)
    run_sources(config, engine)
    sources_dir = Path(config.get("demo", "sources_dir"))
    now = datetime.fromisoformat(demo_township.manifest["generated_at"]) + timedelta(minutes=5)
    changes = simulate_step(sources_dir, seed=11, now=now)
    assert sum(len(c["inserted"]) + len(c["updated"]) for c in changes.values()) > 0
    results = {r.source: r for r in run_sources(config, engine)}
    for name, r in results.items():
        c = changes.get(name, {"inserted": [], "updated": []})
        assert r.status == "success", (name, r.error)
        assert r.rows_loaded == len(set(c["inserted"]) | set(c["updated"])), name
    with engine.connect() as conn:
        for name, c in changes.items():
            got = set(warehouse_keys(conn, config.sources[name]))
            assert set(c["inserted"]) <= got, name


def test_a_corrupt_or_missing_source_fails_alone(demo_township, db_url, tmp_path) -> None:
    from cockpit.etl import run_sources

    config = demo_township.config(tmp_path, db_url, copy=True)
    sql_sources = [s for s in config.sources.values() if s.kind == "sql" and s.target != "area"]
    corrupt = sql_sources[0]
    corrupt_file = Path(make_url(corrupt.url).database)
    corrupt_file.write_bytes(b"this is not a database" * 100)
    missing = next(s for s in config.sources.values() if s.kind == "csv")
    missing.path.unlink()
    engine = engine_for(db_url)
    results = {r.source: r for r in run_sources(config, engine)}
    broken = {s.name for s in config.sources.values()
              if (s.kind == "sql" and Path(make_url(s.url).database) == corrupt_file) or s.name == missing.name}
    for name, r in results.items():
        if name in broken:
            assert r.status == "failed" and r.error, name
            assert r.attempts == 2, name
        else:
            assert r.status == "success", (name, r.error)
    assert missing.path.name in results[missing.name].error
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT source, status, error FROM etl_run")).all()
    assert {r.source for r in runs if r.status == "failed"} == broken
    assert all(r.error for r in runs if r.status == "failed")
