"""数据治理 ``/governance``, 兜底映射: the rows value maps' ``"*"`` entries took in each source's latest
run that read rows, with their share of the run's rows, marked from ``etl.fallback_warn_share`` on.
The real app (Flask test client, Dash's router callback) on the screens dataset with two runs
written as the ETL writes them; the shares checked against SQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, insert, text

from cockpit.i18n import t
from tests.screens.test_access import Session, body
from tests.screens.test_warning_screens import node

# source -> (rows read, {field: (fallback code, {source code: rows})})
RUNS = {
    "police_incident": (200, {"status": ("accepted", {"09": 24, "11": 6}), "category_code": ("SAF-ORDER", {"990100": 4})}),
    "urban_case": (1000, {"category_code": ("ECO-SANITATION", {"0999": 20})}),
}


@pytest.fixture(scope="module")
def fallback_runs(cockpit):
    from cockpit import clock
    from cockpit.warehouse.schema import etl_run
    from pages._common import engine
    from queries._base import clear_cache

    now = clock.now()
    ids = []
    with engine().begin() as conn:
        for source, (read, fields) in RUNS.items():
            record = {f: {"target": code, "rows": sum(codes.values()), "distinct": len(codes),
                          "codes": sorted(([c, n] for c, n in codes.items()), key=lambda x: -x[1])}
                      for f, (code, codes) in fields.items()}
            ids.append(conn.execute(insert(etl_run).values(
                source=source, full=False, started_at=now, ended_at=now, status="success", attempts=1, rows_read=read,
                rows_loaded=read, rows_rejected=0, value_map_fallbacks=json.dumps(record)).returning(etl_run.c.id)).scalar_one())
    clear_cache()
    yield ids
    with engine().begin() as conn:
        conn.execute(delete(etl_run).where(etl_run.c.id.in_(ids)))
    clear_cache()


def expected_rows() -> list[tuple]:
    """(source, field, code, rows, share text, high) from the runs as stored, by SQL."""
    from pages._common import config, engine

    warn = float(config().get("etl", "fallback_warn_share"))
    with engine().connect() as conn:
        stored = conn.execute(text(
            "SELECT r.source, r.rows_read, r.value_map_fallbacks FROM etl_run r WHERE r.id IN "
            "(SELECT max(id) FROM etl_run WHERE rows_read > 0 GROUP BY source) AND r.value_map_fallbacks IS NOT NULL")).all()
    out = []
    for source, read, record in stored:
        for fld, v in json.loads(record).items():
            out.append((source, fld, v["target"], v["rows"], f"{v['rows'] / read * 100:.1f}%", int(v["rows"] / read >= warn)))
    return sorted(out)


def test_the_page_says_when_no_fallback_took_rows(cockpit) -> None:
    """Before the runs with fallbacks are written (the module's fixture is made by the next test)."""
    assert expected_rows() == []
    resp = Session(cockpit, "root").page("/governance")
    page = body(resp)
    assert '"id": "gov-fallbacks"' not in page and '"id": "gov-fallbacks-none"' in page
    assert t("gov.fallbacks_none", "zh") in page and t("gov.fallbacks", "zh") in page


def test_the_fallback_table_shows_each_field_with_its_share_and_marks_the_large(fallback_runs, cockpit) -> None:
    resp = Session(cockpit, "root").page("/governance")
    assert resp.status_code == 200
    table = node(resp, "gov-fallbacks")
    rows = table["props"]["data"]
    got = sorted((r["source"], r["field"], r["target"], r["rows"], r["share"], r["high"]) for r in rows)
    assert got == expected_rows()
    assert ("police_incident", "status", "accepted", 30, "15.0%", 1) in got  # 30 of 200 rows: over 10 %
    assert ("urban_case", "category_code", "ECO-SANITATION", 20, "2.0%", 0) in got
    assert rows[0]["source"] == "police_incident" and rows[0]["field"] == "status"  # the marked first
    assert next(r for r in rows if r["field"] == "status")["codes"] == "09 (24)、11 (6)"
    assert {"if": {"filter_query": "{high} = 1"}, "color": "#dc2626", "fontWeight": "700"} in \
        table["props"]["style_data_conditional"]
    sources = {r["source"]: r for r in node(resp, "gov-sources")["props"]["data"]}
    assert (sources["police_incident"]["fallback"], sources["police_incident"]["fallback_high"]) == ("15.0%", 1)
    assert (sources["urban_case"]["fallback"], sources["urban_case"]["fallback_high"]) == ("2.0%", 0)
    page = body(resp)
    assert t("gov.fallbacks", "zh") in page and "兜底映射" in page and "10%" in page
