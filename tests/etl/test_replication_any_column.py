"""Replication by any source column, whether or not a warehouse field holds it: a SQL table and a
CSV ledger whose only last-changed column maps to no field load incrementally (the second run after
three rows changed reads and writes exactly those), a file's replication column in a non-ISO format
is read in its format, and ``replication_plan`` says what an operator must know. SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from cockpit.config import ConfigError, SourceConfig
from cockpit.etl import run_sources
from cockpit.etl.replication import NOTE_HASHES, replication_plan
from cockpit.warehouse.db import engine_for
from tests.etl.conftest import T0

N = 12
GRIDS = ("33099900100101", "33099900100102", "33099900100201")

SQL_BLOCK = """
[sources.versioned]
department = "urban"
kind = "sql"
url = "sqlite:///{dir}/versioned.db"
table = "aj"
target = "event"
primary_key = "ajbh"
replication_key = "bbsj"          # the version stamp: no warehouse field holds it
[sources.versioned.columns]
grid_code = "wg"
category_code = "lb"
status = "zt"
reported_at = "sbsj"
[sources.versioned.constants]
channel = "inspection"
[sources.versioned.formats]
reported_at = "epoch"
[sources.versioned.values.category_code]
"1" = "SAF-STALL"
[sources.versioned.values.status]
"0" = "reported"
"1" = "resolved"
"""

CSV_BLOCK = """
[sources.ledger]
department = "emergency"
kind = "csv"
path = "{dir}/ledger.csv"
target = "inspection"
primary_key = "编号"
replication_key = "修改时间"       # '2026年11月3日 09:05' text, mapped to no field
[sources.ledger.columns]
kind = "类别"
grid_code = "网格"
inspected_at = "检查日期"
result = "结果"
[sources.ledger.formats]
inspected_at = "cn_date"
[sources.ledger.values.kind]
"消防" = "fire"
[sources.ledger.values.result]
"合格" = "pass"
"不合格" = "fail"
"""
CSV_HEADER = "编号,类别,网格,检查日期,结果,修改时间"


def sql_rows() -> list[tuple]:
    return [(f"A{i:02d}", GRIDS[i % 3], "1", "0", T0 + 60 * i, f"2026-11-0{1 + i // 4} 0{i % 4}:00:00") for i in range(N)]


def write_sql(township, rows) -> None:  # noqa: ANN001
    with sqlite3.connect(township.dir / "versioned.db") as conn:
        conn.execute("DROP TABLE IF EXISTS aj")
        conn.execute("CREATE TABLE aj (ajbh TEXT, wg TEXT, lb TEXT, zt TEXT, sbsj INTEGER, bbsj TEXT)")
        conn.executemany("INSERT INTO aj VALUES (?, ?, ?, ?, ?, ?)", rows)


def csv_rows() -> list[list[str]]:
    return [[f"H{i:02d}", "消防", GRIDS[i % 3], f"2026年11月{1 + i}日", "合格", f"2026年11月{1 + i}日 09:{i:02d}"]
            for i in range(N)]


def write_csv(township, rows) -> None:  # noqa: ANN001
    (township.dir / "ledger.csv").write_text("\n".join([CSV_HEADER] + [",".join(r) for r in rows]) + "\n", encoding="utf-8")


def runs(engine, source: str) -> list[tuple]:  # noqa: ANN001
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT status, rows_read, rows_loaded, watermark_after, error FROM etl_run WHERE source = :s ORDER BY id"), {"s": source})]


def test_a_sql_source_replicates_on_a_column_no_field_holds(township) -> None:
    rows = sql_rows()
    write_sql(township, rows)
    config = township.config(SQL_BLOCK)
    assert "bbsj" not in config.sources["versioned"].columns.values()
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    top = max(r[5] for r in rows)
    assert runs(engine, "versioned")[-1][:4] == ("success", N, N, top)
    # three rows change (the newest among them, so no unchanged row sits on the old watermark)
    changed = {"A11": "1", "A03": "1", "A07": "1"}
    with sqlite3.connect(township.dir / "versioned.db") as conn:
        for k, zt in changed.items():
            conn.execute("UPDATE aj SET zt = ?, bbsj = '2026-11-09 12:00:00' WHERE ajbh = ?", (zt, k))
    run_sources(config, engine, names=["versioned"])
    status, read, loaded, mark, _ = runs(engine, "versioned")[-1]
    assert (status, read, loaded, mark) == ("success", 3, 3, "2026-11-09 12:00:00")
    with engine.connect() as conn:
        resolved = {k for (k,) in conn.execute(text("SELECT src_key FROM event WHERE src_source = 'versioned' "
                                                     "AND status = 'resolved'"))}
        last_run = conn.execute(text("SELECT max(id) FROM etl_run WHERE source = 'versioned'")).scalar_one()
        written = {k for (k,) in conn.execute(text("SELECT src_key FROM event WHERE src_run_id = :r"), {"r": last_run})}
    assert resolved == written == set(changed)


def test_a_file_replicates_on_an_unmapped_column_in_its_own_format(township) -> None:
    rows = csv_rows()
    write_csv(township, rows)
    config = township.config(CSV_BLOCK)
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    status, read, loaded, mark, _ = runs(engine, "ledger")[-1]
    # the column is read in its own format: a watermark (before, it was read as ISO: no watermark, every
    # run read the whole file)
    assert (status, read, loaded, mark) == ("success", N, N, "2026-11-12 09:11:00")
    run_sources(config, engine, names=["ledger"])
    assert runs(engine, "ledger")[-1][:3] == ("success", 1, 0)  # only the boundary row is read again
    for i in (11, 4, 8):  # three rows change, the newest among them
        rows[i][4] = "不合格"
        rows[i][5] = "2026年11月20日 08:00"
    write_csv(township, rows)
    run_sources(config, engine, names=["ledger"])
    assert runs(engine, "ledger")[-1][:4] == ("success", 3, 3, "2026-11-20 08:00:00")
    with engine.connect() as conn:
        failed = {k for (k,) in conn.execute(text("SELECT src_key FROM inspection WHERE src_source = 'ledger' AND result = 'fail'"))}
    assert failed == {"H11", "H04", "H08"}


def test_a_file_row_without_a_replication_value_is_not_lost(township) -> None:
    rows = csv_rows()
    write_csv(township, rows)
    config = township.config(CSV_BLOCK)
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    write_csv(township, rows + [["H99", "消防", GRIDS[0], "2026年11月2日", "不合格", ""]])  # no stamp
    run_sources(config, engine, names=["ledger"])
    run_sources(config, engine, names=["ledger"])
    assert [r[:3] for r in runs(engine, "ledger")[1:]] == [("success", 2, 1), ("success", 2, 0)]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT result FROM inspection WHERE src_key = 'H99'")).scalar_one() == "fail"


def test_an_unreadable_replication_column_fails_the_source_with_the_fix(township) -> None:
    rows = [r[:5] + [f"{1 + i:02d}-11-2026 09:{i:02d}"] for i, r in enumerate(csv_rows())]  # day-month-year: no known format
    write_csv(township, rows)
    engine = engine_for(township.warehouse_url)
    run_sources(township.config(CSV_BLOCK), engine)
    status, read, _, mark, error = runs(engine, "ledger")[-1]
    assert (status, read, mark) == ("failed", 0, None)
    assert "sources.ledger.replication_format" in error and "修改时间" in error and "replication_format =" in error
    declared = CSV_BLOCK.replace('replication_key = "修改时间"', 'replication_key = "修改时间"\nreplication_format = "%d-%m-%Y %H:%M"')
    run_sources(township.config(declared), engine)
    assert runs(engine, "ledger")[-1][:4] == ("success", N, N, "2026-11-12 09:11:00")


def test_replication_format_is_checked_with_the_config(township) -> None:
    bad = CSV_BLOCK.replace('replication_key = "修改时间"', 'replication_key = "修改时间"\nreplication_format = "slashes"')
    with pytest.raises(ConfigError) as e:
        township.config(bad)
    assert e.value.key == "sources.ledger.replication_format" and "strftime" in e.value.fix
    orphan = CSV_BLOCK.replace('replication_key = "修改时间"', 'replication_format = "cn_date"')
    with pytest.raises(ConfigError) as e:
        township.config(orphan)
    assert e.value.key == "sources.ledger.replication_format" and "replication_key" in e.value.fix
    on_sql = SQL_BLOCK.replace('replication_key = "bbsj"', 'replication_key = "bbsj"\nreplication_format = "iso"')
    with pytest.raises(ConfigError) as e:
        township.config(on_sql)
    assert e.value.key == "sources.versioned.replication_format" and "remove replication_format" in e.value.fix


def source(target: str = "event", columns: dict | None = None, key: str | None = "gxsj") -> SourceConfig:
    from pathlib import Path

    return SourceConfig(name="s", department="urban", kind="sql", target=target, primary_key=("id",),
                        columns=columns or {"status": "zt"}, file=Path("x.toml"), url="sqlite:///x.db", table="t",
                        replication_key=key)


def test_the_replication_plan_of_each_kind_of_key() -> None:
    plan = replication_plan(source(key=None))
    assert (plan.kind, plan.column, plan.note, plan.warning) == ("hashes", None, NOTE_HASHES, True)
    assert "re-reads the whole source" in plan.note
    plan = replication_plan(source(key="gxsj"))  # an unmapped last-changed column: fine
    assert (plan.kind, plan.column, plan.note, plan.field, plan.creation_time) == ("key", "gxsj", None, None, False)
    plan = replication_plan(source(key="sbsj", columns={"reported_at": "sbsj"}))  # mapped to the report time
    assert (plan.kind, plan.field, plan.creation_time) == ("key", "reported_at", True)
    assert plan.note.startswith("updates to old rows are missed: the key is a creation time")
    for name in ("create_time", "CreatedAt", "登记时间", "创建日期"):  # unmapped, its name says so
        assert replication_plan(source(key=name)).creation_time, name
    for name in ("updated_at", "last_modified", "更新时间", "修改时间"):
        assert not replication_plan(source(key=name)).creation_time, name
    plan = replication_plan(source(target="service_application", key="sqsj", columns={"submitted_at": "sqsj"}))
    assert plan.creation_time
