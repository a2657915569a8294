"""Value maps on every field, location codes included, and the ``"*"`` fallback counted per run:
a department that keys its records by its own area numbers (and by landmark names instead of
addresses) gets its rows on the right grids; unmapped status and category codes go to the fallback,
which the run records and the governance query reports. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

from sqlalchemy import select, text

from cockpit.etl import run_sources
from cockpit.etl.value_maps import unknown_location_targets
from cockpit.warehouse import schema as s
from cockpit.warehouse.db import engine_for
from queries import governance
from queries._base import clear_cache
from cockpit.scope import Scope
from tests.etl.conftest import T0

# The department's own area numbers and landmark names -> grid codes of the registry (tests/etl/conftest.py AREAS)
AREA_NUMBERS = {"QS-1": "33099900100101", "QS-2": "33099900100102", "LX-1": "33099900100201"}
LANDMARKS = {"柳溪村村委会": "清溪镇柳溪村1组", "青石村老祠堂": "清溪镇青石村2组"}
LANDMARK_GRIDS = {"柳溪村村委会": "33099900100201", "青石村老祠堂": "33099900100102"}
STATUSES = {"0": "reported", "1": "resolved"}
CATEGORIES = {"MD": "SAF-DISPUTE", "ZA": "SAF-ORDER"}

# id, area number, landmark, category, status, reported (epoch), changed (epoch)
ROWS = [
    ("D01", "QS-1", None, "MD", "0", T0, T0 + 1),
    ("D02", "QS-2", None, "ZA", "1", T0 + 60, T0 + 2),
    ("D03", "LX-1", None, "MD", "9", T0 + 120, T0 + 3),  # status 9: fallback
    ("D04", "QS-1", None, "XX", "0", T0 + 180, T0 + 4),  # category XX: fallback
    ("D05", None, "柳溪村村委会", "ZA", "8", T0 + 240, T0 + 5),  # landmark, status 8: fallback
    ("D06", None, "青石村老祠堂", "MD", "9", T0 + 300, T0 + 6),  # landmark, status 9: fallback
    ("D07", "QS-9", None, "MD", "0", T0 + 360, T0 + 7),  # an area number the map does not list: quarantined
    ("D08", "LX-1", None, "YY", "1", T0 + 420, T0 + 8),  # category YY: fallback
]

BLOCK = """
[sources.dept]
department = "urban"
kind = "sql"
url = "sqlite:///{dir}/dept.db"
table = "sj"
target = "event"
primary_key = "bh"
replication_key = "xg"
[sources.dept.columns]
grid_code = "qh"
address = "dd"
category_code = "lb"
status = "zt"
reported_at = "sb"
[sources.dept.constants]
channel = "inspection"
[sources.dept.formats]
reported_at = "epoch"
[sources.dept.values.grid_code]
%s
[sources.dept.values.address]
%s
[sources.dept.values.category_code]
%s
"*" = "SAF-ORDER"
[sources.dept.values.status]
%s
"*" = "reported"
"""


def toml_map(mapping: dict[str, str]) -> str:
    return "\n".join(f'"{k}" = "{v}"' for k, v in mapping.items())


def write_source(township, rows=ROWS) -> None:  # noqa: ANN001
    with sqlite3.connect(township.dir / "dept.db") as conn:
        conn.execute("DROP TABLE IF EXISTS sj")
        conn.execute("CREATE TABLE sj (bh TEXT, qh TEXT, dd TEXT, lb TEXT, zt TEXT, sb INTEGER, xg INTEGER)")
        conn.executemany("INSERT INTO sj VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def config_for(township, grid_map=AREA_NUMBERS):  # noqa: ANN001
    block = BLOCK % (toml_map(grid_map), toml_map(LANDMARKS), toml_map(CATEGORIES), toml_map(STATUSES))
    return township.config(block)


def expected_grid(row: tuple) -> str | None:
    """Where a row belongs, from the department's own keys (independently of the load)."""
    _, number, landmark, *_ = row
    return AREA_NUMBERS.get(number) if number else LANDMARK_GRIDS.get(landmark)


def test_area_numbers_and_landmarks_place_rows_on_their_grids(township) -> None:
    write_source(township)
    config = config_for(township)
    engine = engine_for(township.warehouse_url)
    result = {r.source: r for r in run_sources(config, engine)}["dept"]
    assert result.status == "success"
    with engine.connect() as conn:
        got = dict(conn.execute(text("SELECT src_key, grid_code FROM event WHERE src_source = 'dept'")).all())
        villages = dict(conn.execute(text("SELECT e.src_key, a.parent_code FROM event e JOIN area a ON a.code = e.grid_code "
                                          "WHERE e.src_source = 'dept'")).all())
        stored_villages = dict(conn.execute(text("SELECT src_key, village_code FROM event WHERE src_source = 'dept'")).all())
        issues = conn.execute(text("SELECT source_key, rule, field, reason FROM dq_issue WHERE source = 'dept'")).all()
    expected = {r[0]: expected_grid(r) for r in ROWS if expected_grid(r)}
    assert got == expected and len(got) == 7
    assert stored_villages == villages  # the village follows the mapped grid
    assert [(i.source_key, i.rule, i.field) for i in issues] == [("D07", "unknown_code", "grid_code")]
    assert "'QS-9'" in issues[0].reason and '"*"' in issues[0].reason
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (8, 7, 1)


def test_without_the_map_every_row_of_own_area_numbers_would_be_unknown_location(township) -> None:
    """The defect the map removes: the raw area numbers are no grid codes of the registry."""
    write_source(township)
    block = (BLOCK % ("", toml_map(LANDMARKS), toml_map(CATEGORIES), toml_map(STATUSES))).replace(
        "[sources.dept.values.grid_code]\n\n", "")
    engine = engine_for(township.warehouse_url)
    run_sources(township.config(block), engine)
    with engine.connect() as conn:
        rules = Counter(r for (r,) in conn.execute(text("SELECT rule FROM dq_issue WHERE source = 'dept'")))
    assert rules == {"unknown_location": sum(1 for r in ROWS if r[1])}


def test_the_fallback_takes_unmapped_codes_and_the_run_counts_them(township) -> None:
    write_source(township)
    config = config_for(township)
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    with sqlite3.connect(township.dir / "dept.db") as src:  # independently: the source's unmapped codes
        statuses = dict(src.execute(f"SELECT zt, count(*) FROM sj WHERE zt NOT IN ({', '.join('?' * len(STATUSES))}) "
                                    "GROUP BY zt", list(STATUSES)).fetchall())
        cats = dict(src.execute(f"SELECT lb, count(*) FROM sj WHERE lb NOT IN ({', '.join('?' * len(CATEGORIES))}) "
                                "GROUP BY lb", list(CATEGORIES)).fetchall())
        read = src.execute("SELECT count(*) FROM sj").fetchone()[0]
    with engine.connect() as conn:
        run = conn.execute(select(s.etl_run).where(s.etl_run.c.source == "dept")).one()
        stored = dict(conn.execute(text("SELECT src_key, status FROM event WHERE src_source = 'dept'")).all())
        stored_cats = dict(conn.execute(text("SELECT src_key, category_code FROM event WHERE src_source = 'dept'")).all())
    record = json.loads(run.value_map_fallbacks)
    assert set(record) == {"status", "category_code"}
    assert record["status"]["rows"] == sum(statuses.values()) == 3
    assert record["status"]["target"] == "reported"
    assert {c: n for c, n in record["status"]["codes"]} == statuses
    assert record["status"]["codes"][0] == ["9", 2]  # most frequent first
    assert record["category_code"]["rows"] == sum(cats.values()) == 2
    assert {c: n for c, n in record["category_code"]["codes"]} == cats
    # the fallback's code is what was stored
    assert all(stored[k] == "reported" for k, _, _, _, st, _, _ in ROWS if st not in STATUSES and k in stored)
    assert stored_cats["D04"] == "SAF-ORDER" and stored_cats["D08"] == "SAF-ORDER"

    clear_cache()
    df = governance.source_freshness(engine, Scope(personal_data=True), (("dept", "urban", "event"),), run.ended_at, 60)
    row = df.set_index("source").loc["dept"]
    assert row["fallback_rows"] == 5
    assert abs(row["fallback_share"] - 3 / read) < 1e-9  # the largest field's share of the run's rows
    fields = {f["field"]: f for f in row["fallbacks"]}
    assert fields["status"]["rows"] == 3 and abs(fields["status"]["share"] - 3 / read) < 1e-9
    assert [f["field"] for f in row["fallbacks"]] == ["status", "category_code"]  # largest first
    # a township-wide scope only: governance data
    narrow = governance.source_freshness(engine, Scope(areas=("330999001001",)), (("dept", "urban", "event"),),
                                         run.ended_at, 60)
    assert narrow.empty


def test_a_run_without_fallbacks_records_none_and_an_incremental_counts_only_its_rows(township) -> None:
    write_source(township, [r for r in ROWS if r[4] in STATUSES and r[3] in CATEGORIES])
    config = config_for(township)
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value_map_fallbacks FROM etl_run WHERE source = 'dept'")).scalar_one() is None
    with sqlite3.connect(township.dir / "dept.db") as src:  # one row changes to an unmapped status
        src.execute("UPDATE sj SET zt = '7', xg = ? WHERE bh = 'D01'", (T0 + 100,))
    run_sources(config, engine, names=["dept"])
    with engine.connect() as conn:
        last = conn.execute(select(s.etl_run).where(s.etl_run.c.source == "dept").order_by(s.etl_run.c.id.desc())).first()
        status = conn.execute(text("SELECT status FROM event WHERE src_key = 'D01'")).scalar_one()
    # the changed row and the boundary row the ">=" re-reads (unchanged: not written)
    assert (last.rows_read, last.rows_loaded) == (2, 1)
    assert json.loads(last.value_map_fallbacks)["status"]["codes"] == [["7", 1]]
    assert status == "reported"


def test_location_targets_missing_from_the_registry_are_named(township) -> None:
    write_source(township)
    wrong = {**AREA_NUMBERS, "QS-3": "33099900100199", "QC": "330999001001"}  # no such grid; a village, not a grid
    config = config_for(township, wrong)
    engine = engine_for(township.warehouse_url)
    run_sources(config, engine, names=["areas"])
    with engine.connect() as conn:
        bad = unknown_location_targets(conn, config.sources["dept"])
        assert unknown_location_targets(conn, config.sources["events"]) == []
    assert bad == ['sources.dept.values.grid_code."QS-3" = 33099900100199',
                   'sources.dept.values.grid_code."QC" = 330999001001']


# ---------------------------------------------------------------- the map step alone, on other kinds of field
def test_the_map_runs_before_the_steps_that_read_dates_flags_and_grids() -> None:
    import pandas as pd

    from cockpit.etl import steps
    from tests.etl.test_steps import ctx, source

    src = source(columns={"reported_at": "sj", "grid_code": "wg", "satisfaction": "myd"},
                 formats={"reported_at": "%Y%m%d"},
                 values={"reported_at": {"待定": "20261101", "*": "*"},  # exceptions; other dates pass unchanged
                         "grid_code": {"Q1": "33099900100101", "*": "33099900100201"},
                         "satisfaction": {"好": "5", "差": "1"}})
    raw = pd.DataFrame({"id": ["1", "2", "3", "4"], "sj": ["20261103", "待定", "20261104", "20261105"],
                        "wg": ["Q1", "Q7", "Q1", "Q8"], "myd": ["好", "差", "一般", "好"]})
    b = steps.Batch(src, raw)
    c = ctx()
    for step in (steps.map_values, steps.parse_date_fields, steps.map_codes, steps.locate, steps.parse_numbers):
        step(b, c)
    assert b.rule.tolist()[:3] == [None, None, "unknown_code"] and b.field[2] == "satisfaction"
    assert b.values["reported_at"].tolist()[:2] == ["2026-11-03 00:00:00.000000", "2026-11-01 00:00:00.000000"]
    assert b.values["grid_code"].tolist()[:2] == ["33099900100101", "33099900100201"]
    assert b.values["satisfaction"].tolist()[:2] == [5, 1]
    # the fallback took Q7 and Q8 (rows 2 and 4); row 3's satisfaction 一般 is in no map and has no fallback
    assert b.fallbacks == {"grid_code": {"Q7": 1, "Q8": 1}}
