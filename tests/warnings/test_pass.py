"""A whole rules pass (``run_rules``) over hand-built warehouses, the after-load hook's switch, the
escalation job of the scheduler with the pinned clock, and the ``rules`` / ``warnings`` commands."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cockpit import clock
from cockpit.config import load_config
from cockpit.scheduler import run_escalation
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.schema import warning, warning_evidence
from cockpit.warnings.engine import rules_after_load, run_rules
from cockpit.warnings.rules import rules_from
from tests.test_cli import cockpit, write_config
from tests.warnings import builders as b

NOW = datetime(2026, 11, 18, 10, 30)


def complaints(conn, n: int, *, grid: str = b.GRID_A11, start: int = 0) -> list[int]:  # noqa: ANN001
    channels = ("hotline_12345", "grid_app")
    return [b.event(conn, reported_at=NOW - timedelta(hours=3 + i), grid_code=grid, category_code="SAF-DISPUTE",
                    channel=channels[i % 2], reporter=f"r{i}", lon=b.centroid(grid)[0], lat=b.centroid(grid)[1])
            for i in range(start, start + n)]


@pytest.fixture
def warehouse(db_url: str):
    eng = engine_for(db_url)
    with eng.begin() as conn:
        b.area_tree(conn)
    return eng


def test_a_pass_opens_joins_and_is_idempotent_per_township(warehouse) -> None:  # noqa: ANN001
    with warehouse.begin() as conn:
        ids = complaints(conn, 3) + complaints(conn, 3, grid=b.GRID_B11, start=10)  # one spot in each township
    out = run_rules(warehouse, None, now=NOW, names=["prominent_issue"])
    [r] = out.rules
    assert (r.matched, r.new, r.joined, r.error) == (2, 2, 0, None)
    with warehouse.connect() as conn:
        rows = conn.execute(select(warning.c.township_code, warning.c.level, warning.c.department_code,
                                   warning.c.evidence_count).order_by(warning.c.township_code)).all()
        assert [tuple(x) for x in rows] == [(b.TOWNSHIP_A, "orange", "justice", 3), (b.TOWNSHIP_B, "orange", "justice", 3)]
        assert sorted(conn.execute(select(warning_evidence.c.row_id)).scalars()) == sorted(ids)
    again = run_rules(warehouse, None, now=NOW + timedelta(minutes=5), names=["prominent_issue"]).rules[0]
    assert (again.new, again.joined, again.raised, again.cleared) == (0, 0, 0, 0)
    with warehouse.begin() as conn:
        complaints(conn, 3, start=3)  # three more reporters in township A: red
    r = run_rules(warehouse, None, now=NOW + timedelta(minutes=10), names=["prominent_issue"]).rules[0]
    assert (r.new, r.joined, r.raised) == (0, 1, 1)


def test_a_failing_rule_is_recorded_and_the_others_go_on(warehouse) -> None:  # noqa: ANN001
    with warehouse.begin() as conn:
        complaints(conn, 3)
    good = rules_from({"broken": {"kind": "count", "board": "safety", "fact": "event", "subject": "reporter_key",
                                   "at_least": 1}})
    # a rule that fails as it runs (its table changed under it): the configuration check cannot see it
    broken = replace(good.rules["broken"], params={**good.rules["broken"].params, "where": {"no_such_column": "x"}})
    settings = replace(good, rules={**good.rules, "broken": broken})

    class Config:  # a configuration with these rules
        rules = settings

    out = run_rules(warehouse, Config, now=NOW, names=["broken", "prominent_issue"])
    by = {r.rule: r for r in out.rules}
    assert by["broken"].error and by["prominent_issue"].new == 1


def test_the_after_load_hook_can_be_switched_off(warehouse) -> None:  # noqa: ANN001
    with warehouse.begin() as conn:
        complaints(conn, 3)

    class Off:
        rules = rules_from({"enabled": False})

    with clock.pinned(NOW):
        rules_after_load(warehouse, [], config=Off)
        with warehouse.connect() as conn:
            assert conn.execute(select(func.count()).select_from(warning)).scalar() == 0
        rules_after_load(warehouse, [], config=None)  # the defaults: on
        with warehouse.connect() as conn:
            assert conn.execute(select(func.count()).select_from(warning)).scalar() == 1


def test_the_escalation_job_keeps_the_sla_between_loads(warehouse, db_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    with warehouse.begin() as conn:
        complaints(conn, 3)
    run_rules(warehouse, None, now=NOW, names=["prominent_issue"])
    config = load_config(write_config(tmp_path, warehouse=db_url))
    sla = config.rules.rules["prominent_issue"].ack_sla_minutes
    with clock.pinned(NOW + timedelta(minutes=sla - 1)):
        run_escalation(config, warehouse, threading.Event())
    with clock.pinned(NOW + timedelta(minutes=sla)):
        run_escalation(config, warehouse, threading.Event())
    with warehouse.connect() as conn:
        assert conn.execute(select(warning.c.level)).scalar() == "red"  # orange, one level up


def test_rule_settings_mistakes_name_the_key(tmp_path: Path) -> None:
    from cockpit.config import ConfigError

    for body, key in [('[rules.prominent_issue]\nmin_reporters = "three"\n', "rules.prominent_issue.min_reporters"),
                      ('[rules.x]\nkind = "nope"\nboard = "safety"\n', "rules.x.kind"),
                      ('[rules.air_quality]\nlevel = "purple"\n', "rules.air_quality.level"),
                      ('[rules.air_quality]\ncolour = 1\n', "rules.air_quality.colour"),
                      ('[rules.air_quality]\nkind = "cluster"\n', "rules.air_quality.kind"),
                      ('[rules.c]\nkind = "count"\nboard = "safety"\nsubject = "nobody"\n', "rules.c.subject"),
                      ('[rules.o]\nkind = "overdue"\nboard = "safety"\nwhere = {colour = "red"}\n', "rules.o.where"),
                      ('[rules.t]\nkind = "threshold"\nboard = "economy"\nmetric = "pm25"\n', "rules.t.levels")]:
        with pytest.raises(ConfigError) as err:
            load_config(write_config(tmp_path, body))
        assert err.value.key == key


def test_the_commands_report_and_list_as_json(warehouse, db_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    with warehouse.begin() as conn:
        complaints(conn, 3)
    cfg = write_config(tmp_path, warehouse=db_url)
    env = {"COCKPIT_NOW": NOW.isoformat()}
    res = cockpit("rules", "--json", config=cfg, env=env)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    by = {r["rule"]: r for r in report["rules"]}
    assert set(by) == set(load_config(cfg).rules.rules)
    assert (by["prominent_issue"]["matched"], by["prominent_issue"]["new"]) == (1, 1)
    assert all(r["error"] is None for r in report["rules"])
    text = cockpit("rules", config=cfg, env=env)
    assert text.returncode == 0 and "prominent_issue" in text.stdout and "level raised" in text.stdout
    listed = json.loads(cockpit("rules", "--list", "--json", config=cfg).stdout)
    assert {r["rule"]: r["kind"] for r in listed}["power_oversight"] == "join"
    rows = json.loads(cockpit("warnings", "list", "--json", config=cfg, env=env).stdout)
    with warehouse.connect() as conn:
        expected = conn.execute(select(warning.c.id, warning.c.rule, warning.c.level)).all()
    assert [(r["id"], r["rule"], r["level"]) for r in rows] == [tuple(x) for x in expected]
    shown = json.loads(cockpit("warnings", "show", str(rows[0]["id"]), "--json", config=cfg, env=env).stdout)
    assert [e["fact"] for e in shown["evidence"]] == ["event"] * 3 and [h["action"] for h in shown["history"]] == ["opened"]
    missing = cockpit("warnings", "show", "99999", "--json", config=cfg, env=env)
    assert missing.returncode == 1 and "does not exist" in json.loads(missing.stdout)["error"]
    bad = cockpit("rules", "--rule", "nope", config=cfg, env=env)
    assert bad.returncode == 2 and "unknown rule nope" in bad.stderr


def test_the_readme_example_of_rules_is_valid_configuration(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("### Warning rules", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    rules = load_config(write_config(tmp_path, example)).rules.rules
    assert rules["prominent_issue"].params["min_reporters"] == 4 and not rules["many_doors"].enabled
    assert rules["noise_cluster"].kind == "cluster" and rules["noise_cluster"].params["categories"] == ["ECO-NOISE"]
