"""The demo's planted cases through the real pipeline: demo sources → ETL → a rules pass at the demo's
now. Every default rule has an open warning; the public-power rule finds exactly the planted
relatives and none of the near misses (a relative whose 低保 ended long ago; at county scale also a
relative of a cadre of another township)."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest
from sqlalchemy import text

from cockpit.warehouse.db import engine_for

pytestmark = pytest.mark.slow



def test_every_default_rule_fires_and_the_near_misses_do_not(demo_township, db_url, tmp_path) -> None:
    from cockpit.demo import oversight
    from cockpit.demo.world import SCALES, World
    from cockpit.etl import run_sources
    from cockpit.warnings.defaults import DEFAULT_RULES
    from cockpit.warnings.engine import run_rules
    from cockpit.warnings.states import OPEN_STATUSES

    config = demo_township.config(tmp_path, db_url)
    engine = engine_for(db_url)
    results = run_sources(config, engine)
    assert all(r.status == "success" for r in results), [(r.source, r.error) for r in results if r.status != "success"]
    now = datetime.fromisoformat(demo_township.manifest["now"])
    run_rules(engine, config, now=now)

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, rule, level, status FROM warning")).all()
        evidence = conn.execute(text("SELECT e.src_key FROM warning_evidence e JOIN warning w ON w.id = e.warning_id "
                                     "WHERE w.rule = 'power_oversight' AND e.fact = 'subsidy_payment'")).scalars().all()
    open_rows = [r for r in rows if r.status in OPEN_STATUSES]
    fired = {r.rule for r in open_rows}
    assert set(DEFAULT_RULES) <= fired, f"no open warning of {sorted(set(DEFAULT_RULES) - fired)}"
    assert any(r.rule == "prominent_issue" and r.level == "red" for r in open_rows)
    assert any(r.rule == "prominent_issue" and r.level == "orange" for r in open_rows)

    # whose payments the oversight warnings hold, by the payment ledger's own rows
    con = sqlite3.connect(demo_township.sources_dir / "civil_affairs.db")
    id_of = dict(con.execute("SELECT ffbh, sfzh FROM jzj_ffmx"))
    con.close()
    paid_to = {id_of[k] for k in evidence}
    w = World(SCALES[demo_township.manifest["scale"]], demo_township.manifest["seed"], now)
    plan = oversight.plan(w)
    cases = {w.persons[c.relative].id_number for c in plan.of_kind("case")}
    misses = {w.persons[c.relative].id_number for c in plan.cases if c.kind != "case"}
    assert 2 <= len(cases) <= 4 * w.scale.townships
    assert misses
    assert paid_to == cases
    assert not paid_to & misses
    assert sum(r.rule == "power_oversight" for r in open_rows) >= len(cases) / 2  # (one warning per cadre or per relative)
