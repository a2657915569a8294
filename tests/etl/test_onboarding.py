"""Onboarding a department database of a new shape by configuration alone, on SQLite and on
PostgreSQL: the worked example of docs/onboarding.md (its TOML block is read from the document, so
the document cannot drift from what works).

The market-regulation complaints table differs from every demo source: Chinese table and column
names, its own area codes (片区) mapped onto grids through a value map on ``grid_code``, only a
creation time to replicate by (``config check`` warns), categories that need a ``"*"`` fallback,
dates with slashes and times on a 12-hour clock. The steps are the integrator's: check, preview,
add the fallback, preview again, load, load again."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from cockpit.config import ROOT
from cockpit.warehouse.db import engine_for
from tests.etl.conftest import AREAS
from tests.test_cli import cockpit, parse_json

DOC = ROOT / "docs" / "onboarding.md"
NAME = "market_complaint"
TABLE = "投诉登记"
COLUMNS = ("投诉编号", "投诉类别", "所属片区", "受理时间", "办结时间", "办理状态", "投诉人电话", "投诉内容")
GOOD = [
    ("M001", "食品", "QS-1", "2026/11/03 08:15", "11/03/2026 04:30 PM", "已办结", "13812345678", "超市出售过期面包"),
    ("M002", "价格", "QS-2", "2026/11/03 09:40", None, "已受理", None, "菜场价格未明码标示"),
    ("M003", "其他", "LX-1", "2026/11/04 10:05", None, "已受理", "13900001111", "快递柜收费纠纷"),
    ("M004", "咨询", "QS-1", "2026/11/04 14:20", "11/05/2026 09:10 AM", "已办结", None, "询问食品经营许可办理"),
    ("M005", "其他", "QS-2", "2026/11/05 11:00", None, "已受理", None, "健身卡退费难"),
]
BAD = {  # key -> row, (rule, field)
    "M006": (("M006", "食品", "QS-9", "2026/11/05 12:30", None, "已受理", None, "奶茶店卫生差"), ("unknown_code", "grid_code")),
    "M007": (("M007", "价格", "LX-1", "2026/02/30 10:00", None, "已受理", None, "停车收费过高"), ("bad_date", "reported_at")),
    "M008": (("M008", "食品", "LX-1", "2026/11/05 16:45", None, "已受理", "12345", "餐馆使用地沟油"), ("invalid_phone", "reporter_phone")),
}
GRIDS = {"QS-1": "33099900100101", "QS-2": "33099900100102", "LX-1": "33099900100201"}


def worked_example() -> str:
    """The ``[sources.market_complaint]`` TOML block of docs/onboarding.md."""
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return next(b for b in blocks if f"[sources.{NAME}]" in b)


AREA_SOURCE = """
[sources.areas]
department = "township"
kind = "sql"
url = "sqlite:///{sources_dir}/grid.db"
table = "qy"
target = "area"
primary_key = "dm"
replication_key = "gx"
[sources.areas.columns]
code = "dm"
name = "mc"
level = "jb"
parent_code = "sj"
seq = "xh"
geometry = "bj"
[sources.areas.values.level]
"1" = "county"
"2" = "township"
"3" = "village"
"4" = "grid"
"""


@pytest.fixture
def department(tmp_path: Path, db_url: str, request: pytest.FixtureRequest):
    """The new department's database (SQLite beside a SQLite warehouse, a PostgreSQL database beside
    a PostgreSQL one), the area registry, and a function writing the configuration."""
    sources = tmp_path / "sources"
    sources.mkdir()
    with sqlite3.connect(sources / "grid.db") as conn:
        conn.execute("CREATE TABLE qy (dm TEXT, mc TEXT, jb TEXT, sj TEXT, xh INTEGER, bj TEXT, gx TEXT)")
        conn.execute("CREATE INDEX qy_gx ON qy (gx)")
        conn.executemany("INSERT INTO qy VALUES (?, ?, ?, ?, ?, ?, '2026-01-01 00:00:00')", AREAS)
    conn.close()
    rows = GOOD + [r for r, _ in BAD.values()]
    create = f'CREATE TABLE {TABLE} ({", ".join(f"{chr(34)}{c}{chr(34)} TEXT" for c in COLUMNS)}, PRIMARY KEY ("投诉编号"))'
    index = f'CREATE INDEX slsj ON {TABLE} ("受理时间")'
    if db_url.startswith("postgresql"):
        import psycopg

        pg = request.getfixturevalue("pg_server")
        dbname = "scjg_" + Path(tmp_path).name.lower().replace("-", "_")[-40:]
        pg.execute(f"CREATE DATABASE {dbname}")
        request.addfinalizer(lambda: pg.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
        with psycopg.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname=dbname, autocommit=True) as c:
            c.execute(create)
            c.execute(index)
            c.cursor().executemany(f"INSERT INTO {TABLE} VALUES ({', '.join(['%s'] * len(COLUMNS))})", rows)
        url = pg.url(dbname)
    else:
        with sqlite3.connect(sources / "market_12315.db") as conn:
            conn.execute(create)
            conn.execute(index)
            conn.executemany(f"INSERT INTO {TABLE} VALUES ({', '.join('?' * len(COLUMNS))})", rows)
        conn.close()
        url = None  # the document's own url, under {sources_dir}

    def write(block: str) -> Path:
        if url is not None:
            block = re.sub(r"^url = .*$", f"url = {json.dumps(url)}", block, count=1, flags=re.M)
        (tmp_path / "sources.toml").write_text(AREA_SOURCE + block, encoding="utf-8")
        main = tmp_path / "cockpit.toml"
        main.write_text('include = ["sources.toml"]\n'
                        f"[warehouse]\nurl = {json.dumps(db_url)}\n"
                        f"[demo]\nsources_dir = {json.dumps(str(sources))}\n"
                        f"[scheduler]\nlock_file = {json.dumps(str(tmp_path / 'scheduler.lock'))}\n"
                        '[security]\nid_salt = "onboarding-salt"\n'
                        "[etl]\nretry_attempts = 1\n", encoding="utf-8")
        return main

    return write


def run(*args: str, config: Path) -> dict | list:
    res = cockpit(*args, "--json", config=config)
    assert res.returncode == 0, res.stdout + res.stderr
    return parse_json(res)


def test_a_new_department_database_onboarded_by_configuration_alone(department, db_url: str) -> None:
    final = worked_example()
    assert '"*" = ' in final
    first_draft = "\n".join(line for line in final.splitlines() if not line.startswith('"*"')) + "\n"

    # 1. declare the source (no fallback yet), migrate, load the area registry
    config = department(first_draft)
    assert cockpit("db", "upgrade", config=config).returncode == 0
    [areas] = run("etl", "--source", "areas", config=config)
    assert areas["status"] == "success"

    # 2. config check connects: valid, one warning, the creation-time key
    report = run("config", "check", config=config)
    assert report["valid"] is True and report["config_errors"] == 0
    src = next(s for s in report["sources"] if s["source"] == NAME)
    assert src["status"] == "warning" and src["reachable"] and src["table_found"] and src["missing_columns"] == []
    assert [(p["severity"], p["code"], p["key"]) for p in src["problems"]] == [
        ("warning", "creation_time_key", f"sources.{NAME}.replication_key")]
    assert src["replication"]["kind"] == "key" and src["replication"]["column"] == "受理时间"
    assert src["replication"]["creation_time"] is True and src["replication"]["usable"] is True

    # 3. preview: the codes no map knows, most frequent first, and the bad rows' reasons
    preview = run("sources", "preview", NAME, "--rows", "100", config=config)
    assert (preview["rows_read"], preview["would_load"]) == (8, 2)
    assert [(u["field"], u["code"], u["count"]) for u in preview["unmapped_codes"]] == [
        ("category_code", "其他", 2), ("category_code", "咨询", 1), ("grid_code", "QS-9", 1)]

    # 4. add the fallback: the same rows now load, counted as the fallback's
    config = department(final)
    preview = run("sources", "preview", NAME, "--rows", "100", config=config)
    expected_reasons = Counter(reason for _, reason in BAD.values())
    assert {(r["rule"], r["field"]): r["count"] for r in preview["reasons"]} == dict(expected_reasons)
    assert {q["key"]: (q["rule"], q["field"]) for q in preview["quarantined"]} == {k: r for k, (_, r) in BAD.items()}
    assert [(u["field"], u["code"]) for u in preview["unmapped_codes"]] == [("grid_code", "QS-9")]
    assert preview["fallbacks"] == [{"field": "category_code", "code": "其他", "count": 2},
                                    {"field": "category_code", "code": "咨询", "count": 1}]
    assert sorted(r["src_key"] for r in preview["rows"]) == [r[0] for r in GOOD]

    # 5. the first load: the rows on the right grids, the 12-hour times read right, the same quarantine
    [first] = run("etl", "--source", NAME, config=config)
    assert (first["status"], first["rows_loaded"], first["rows_rejected"]) == ("success", len(GOOD), len(BAD))
    engine = engine_for(db_url)
    with engine.connect() as conn:
        placed = dict(conn.execute(text("SELECT src_key, grid_code FROM event WHERE src_source = :s"), {"s": NAME}).all())
        rows = {r.src_key: r for r in conn.execute(text(
            "SELECT src_key, category_code, board, department_code, village_code, status, reported_at, resolved_at "
            "FROM event WHERE src_source = :s"), {"s": NAME})}
        issues = conn.execute(text("SELECT source_key, rule, field FROM dq_issue WHERE source = :s"), {"s": NAME}).all()
        fallbacks = conn.execute(text("SELECT value_map_fallbacks FROM etl_run WHERE source = :s"), {"s": NAME}).scalar_one()
        village = dict(conn.execute(text("SELECT code, parent_code FROM area WHERE level = 'grid'")).all())
    assert placed == {r[0]: GRIDS[r[2]] for r in GOOD}
    assert {k: r.village_code for k, r in rows.items()} == {r[0]: village[GRIDS[r[2]]] for r in GOOD}
    assert {k: r.category_code for k, r in rows.items()} == {
        "M001": "SAF-FOOD", "M002": "SRV-CONSUMER", "M003": "SRV-CONSUMER", "M004": "SRV-CONSUMER", "M005": "SRV-CONSUMER"}
    assert (rows["M001"].board, rows["M001"].department_code) == ("safety", "market")
    assert str(rows["M001"].resolved_at)[:16] == "2026-11-03 16:30"  # 04:30 PM
    assert str(rows["M004"].resolved_at)[:16] == "2026-11-05 09:10"
    assert str(rows["M003"].reported_at)[:16] == "2026-11-04 10:05" and rows["M003"].resolved_at is None
    assert {k: r.status for k, r in rows.items()} == {r[0]: "resolved" if r[5] == "已办结" else "accepted" for r in GOOD}
    assert {(i.source_key, i.rule, i.field) for i in issues} == {(k, *r) for k, (_, r) in BAD.items()}
    assert {(q["key"], q["rule"], q["field"]) for q in preview["quarantined"]} == {tuple(i) for i in issues}
    recorded = json.loads(fallbacks)["category_code"]
    assert recorded["rows"] == 3 and recorded["target"] == "SRV-CONSUMER"

    # 6. a re-run loads nothing new (the boundary rows are read again and found unchanged)
    [again] = run("etl", "--source", NAME, config=config)
    assert again["status"] == "success" and again["rows_loaded"] == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM event WHERE src_source = :s"), {"s": NAME}).scalar_one() == len(GOOD)
        assert conn.execute(text("SELECT count(*) FROM dq_issue WHERE source = :s"), {"s": NAME}).scalar_one() == len(BAD)
