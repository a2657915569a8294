"""Personal numbers inside free text are masked at load time: the warehouse, the quarantine, the run
records and the ETL's log never hold a raw one."""

from __future__ import annotations

import json
import logging
import re
import sqlite3

import pandas as pd
from sqlalchemy import String, select, text

from cockpit.etl import run_sources, steps
from cockpit.privacy import mask_phone
from cockpit.warehouse import schema as s
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.targets import TARGETS
from tests.etl.conftest import GOOD_ID, SOURCES_TOML
from tests.etl.test_steps import ctx, source

PHONE, LANDLINE = "13912345678", "0571-88886666"
CONTENT = f"来电人反映噪声，我的手机号是{PHONE}，身份证号{GOOD_ID}，座机{LANDLINE}。"
MASKED_CONTENT = (f"来电人反映噪声，我的手机号是139****5678，身份证号{GOOD_ID[:3]}{'*' * 11}{GOOD_ID[-4:]}，"
                  "座机0571****6666。")


def test_every_str_field_is_a_code_or_a_key():
    """Free text is declared ``text`` (masked); ``str`` is kept for codes and keys, stored as read. A
    new free-text field declared ``str`` by mistake would pass raw numbers into the warehouse."""
    for name, target in TARGETS.items():
        for fld, spec in target.fields.items():
            if spec.type == "str":
                assert fld == "code" or fld.endswith(("_code", "_id", "_ref")), f"{name}.{fld}: declare free text as 'text'"
    assert {f for f, spec in TARGETS["event"].fields.items() if spec.type == "text"} == {"address", "title", "content"}


def test_the_step_masks_text_fields_and_leaves_codes_and_declared_numbers_alone():
    cols = {"title": "bt", "content": "nr", "address": "dz", "grid_code": "wg", "reporter_phone": "dh",
            "channel": "qd", "category_code": "lb", "status": "zt", "reported_at": "sj"}
    raw = pd.DataFrame({
        "id": ["1", "2", "3"],
        "bt": [f"手机{PHONE}反映噪声", "噪声问题", None],
        "nr": [CONTENT, "2026-11-18 08:30 青石村3组反映噪声，12345热线转来", CONTENT],
        "dz": ["清溪镇青石村1组5号", f"清溪镇青石村1组5号 电话{PHONE}", None],
        "wg": ["33099900100101"] * 3,
        "dh": [PHONE, None, None],
        "qd": ["police_110"] * 3, "lb": ["SAF-ORDER"] * 3, "zt": ["reported"] * 3, "sj": ["2026-11-18 08:30:00"] * 3,
    })
    b = steps.standardise(steps.Batch(source(columns=cols), raw), ctx())
    assert b.rule.isna().all(), b.reason.tolist()
    assert b.values["title"].tolist() == ["手机139****5678反映噪声", "噪声问题", None]
    assert b.values["content"].tolist() == [MASKED_CONTENT, raw["nr"][1], MASKED_CONTENT]
    assert b.values["address"].tolist() == ["清溪镇青石村1组5号", "清溪镇青石村1组5号 电话139****5678", None]
    assert b.values["grid_code"].tolist() == ["33099900100101"] * 3
    assert b.values["reporter_masked"].tolist() == [mask_phone(PHONE), None, None]  # the declared field as before
    assert b.values["reporter_key"][0] and b.values["reporter_key"][1] is None


def _township_with_texts(township):
    sources = SOURCES_TOML.replace('[sources.events.columns]\n', '[sources.events.columns]\ntitle = "bt"\ncontent = "nr"\n')
    with sqlite3.connect(township.events_db) as conn:
        conn.execute("ALTER TABLE ev ADD COLUMN bt TEXT")
        conn.execute("ALTER TABLE ev ADD COLUMN nr TEXT")
        conn.execute("UPDATE ev SET bt = ?, nr = ?", (f"手机{PHONE}来电", CONTENT))
        conn.execute("UPDATE ev SET dz = ? WHERE bh = 'E2'", (f"清溪镇青石村1组5号（联系电话{LANDLINE}）",))
        # a rejected row (unknown category) quarantined with its raw values: a number after a line break
        conn.execute("UPDATE ev SET nr = ? WHERE bh = 'E6'", (f"第一行\n{PHONE}",))
    return township.config(sources=sources)


RAW = re.compile("|".join(map(re.escape, (PHONE, GOOD_ID, LANDLINE, "88886666"))))


def test_the_warehouse_never_holds_a_number_of_a_free_text(township):
    config = _township_with_texts(township)
    engine = engine_for(township.warehouse_url)
    results = run_sources(config, engine)
    assert all(r.status == "success" for r in results)
    with engine.connect() as conn:
        events = {r.src_key: r for r in conn.execute(select(s.event))}
        assert set(events) == {"E1", "E2", "E3"}
        assert all(e.title == "手机139****5678来电" and e.content == MASKED_CONTENT for e in events.values())
        assert events["E2"].address == "清溪镇青石村1组5号（联系电话0571****6666）"
        assert events["E2"].grid_code == "33099900100101"  # the address still places the row
        issue = conn.execute(text("SELECT raw FROM dq_issue WHERE source_key = 'E6'")).scalar_one()
        assert json.loads(issue)["nr"] == "第一行\n139****5678"
        for table in s.metadata.sorted_tables:
            for col in table.c:
                if isinstance(col.type, String):
                    hits = conn.execute(select(col).where(col.is_not(None))).scalars().all()
                    assert not [v for v in hits if RAW.search(v)], f"{table.name}.{col.name}"


def test_a_run_error_and_the_log_lines_mask_the_numbers_they_quote(township, caplog):
    missing = f"{township.dir}/台账-联系电话{PHONE}.csv"
    config = township.config(f'\n[sources.ledger]\ndepartment = "emergency"\nkind = "csv"\npath = "{missing}"\n'
                             'target = "inspection"\nprimary_key = "编号"\nreplication_key = "更新"\n'
                             '[sources.ledger.columns]\naddress = "地址"\nkind = "类别"\ninspected_at = "发现日期"\nresult = "结果"\n')
    engine = engine_for(township.warehouse_url)
    with caplog.at_level(logging.DEBUG, logger="cockpit"):
        results = {r.source: r for r in run_sources(config, engine, names=["areas", "ledger"])}
    ledger = results["ledger"]
    assert ledger.status == "failed" and "139****5678" in ledger.error and PHONE not in ledger.error
    with engine.connect() as conn:
        stored = conn.execute(select(s.etl_run.c.error).where(s.etl_run.c.source == "ledger")).scalar_one()
    assert "139****5678" in stored and PHONE not in stored
    assert "139****5678" in caplog.text and PHONE not in caplog.text  # the retry warnings quote the error
