"""``python -m cockpit score [cases]`` and ``whistles list|show|review``, run as real subprocesses on a
temporary SQLite warehouse with a pinned clock: help on every command, ``--json`` equal to
``ranking()`` / ``cases()`` / the records for the same period, the text output, and bad arguments
(a clear message and exit code 2, no traceback)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import func, select

from cockpit.cli_output import iso_time
from cockpit.config import ROOT, load_config
from cockpit.scope import EVERYTHING
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.schema import category, responsibility, summons, summons_log, whistle
from cockpit.whistles.actions import act
from cockpit.whistles.records import list_whistles
from cockpit.whistles.score import Period, cases, ranking
from cockpit.whistles.settings import ScoreSettings, score_settings
from tests.orders import builders as ob
from tests.warnings import builders as wb
from tests.whistles.test_score import AS_OF, Township, minutes, mixed_week

NOW = AS_OF.isoformat()  # Monday 30 November 2026 12:00, in W49
COMMANDS = [["score"], ["score", "cases"], ["whistles"], ["whistles", "list"], ["whistles", "show"],
            ["whistles", "review"]]
WEIGHTS = ("[score]\nmin_sample = 3\n[score.weights]\nacknowledged_on_time = 30\narrived_on_time = 10\nresolved = 10\n"
           "resolved_on_time = 10\nsatisfaction = 40\nreopened = 25\n")


@pytest.fixture(scope="module")
def warehouse(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A warehouse with W47's cases: urban's mixed week (71.5 by the formula), police all on time with
    one accepted contest, market two cases (one in township B), ecology a pending contest; in W48 an
    urban case nobody answered (its whistle overdue)."""
    base = tmp_path_factory.mktemp("whistle-cli")
    path = base / "warehouse.db"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = engine_for(url)
    with engine.begin() as conn:
        wb.area_tree(conn)
        people = ob.users(conn)
        town = Township(conn, people)
        mixed_week(town)
        for i in range(5):
            town.case("police", town.day(i))
        excused = town.case("police", town.day(5), ack=None, arrive=None, resolve=None, verify=None, rating=None)
        act(conn, excused, "contested", people["qian"], note="不属于公安职责", now=town.day(5) + minutes(5))
        act(conn, excused, "contest_accepted", people["op"], now=town.day(5) + minutes(30))
        town.case("market", town.day(1))
        town.case("market", town.day(2), grid=wb.GRID_B11)
        pending = town.case("ecology", town.day(3), ack=None, arrive=None, resolve=None, verify=None, rating=None)
        act(conn, pending, "contested", town.liaison("ecology"), note="应由城管处理", now=town.day(3) + minutes(8))
        silent = town.case("urban", datetime(2026, 11, 24, 10, 0), ack=None, arrive=None, resolve=None, verify=None,
                           rating=None)
    config = base / "cockpit.toml"
    config.write_text(f"[warehouse]\nurl = {json.dumps(url)}\n", encoding="utf-8")
    weighted = base / "weighted.toml"
    weighted.write_text(f"[warehouse]\nurl = {json.dumps(url)}\n" + WEIGHTS, encoding="utf-8")
    yield {"url": url, "engine": engine, "config": config, "weighted": weighted, "excused": excused,
           "pending": pending, "silent": silent}
    engine.dispose()


def cockpit(*args: str, config: Path | None = None, now: str = NOW) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env["COCKPIT_NOW"] = now
    if config is not None:
        env["COCKPIT_CONFIG"] = str(config)
    return subprocess.run([sys.executable, "-m", "cockpit", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def as_json(res: subprocess.CompletedProcess) -> object:
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)  # nothing else on stdout


def expected_score(wh: dict, name: str, township: str | None = None, settings: ScoreSettings | None = None) -> dict:
    """What ``score --json`` must print, from ``ranking()`` in this process."""
    period, settings = Period.named(name), settings or ScoreSettings()
    with wh["engine"].connect() as conn:
        rows = ranking(conn, period, AS_OF, settings, township=township)
    return {"period": period.name, "start": period.start.isoformat(), "end": period.end.isoformat(),
            "township": township, "as_of": iso_time(AS_OF), "weights": dict(settings.weights),
            "min_sample": settings.min_sample, "rows": [r.as_dict() for r in rows]}


# ---------------------------------------------------------------- help
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_help(args: list[str]) -> None:
    res = cockpit(*args, "--help")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("usage: python -m cockpit " + " ".join(args))
    assert res.stderr == ""
    if args[-1] in ("score", "cases", "list", "show", "review"):
        assert "--json" in res.stdout and "Shape:" in res.stdout


def test_the_top_level_help_lists_score_and_whistles() -> None:
    out = cockpit("--help").stdout
    assert "\n    score" in out and "\n    whistles" in out


# ---------------------------------------------------------------- score
def test_score_json_equals_ranking(warehouse: dict) -> None:
    got = as_json(cockpit("score", "--period", "2026-W47", "--json", config=warehouse["config"]))
    assert got == expected_score(warehouse, "2026-W47")
    assert (got["start"], got["end"], got["as_of"]) == ("2026-11-16", "2026-11-23", "2026-11-30T12:00:00+08:00")
    rows = {r["department"]: r for r in got["rows"]}
    assert [r["department"] for r in got["rows"]] == ["police", "urban", "market", "ecology"]
    mean = (5 + 4 + 3 + 2 + 1) / 5
    assert rows["urban"]["score"] == round(20 * 4 / 5 + 10 * 4 / 5 + 20 * 5 / 5 + 15 * 4 / 5 + 35 * (mean - 1) / 4
                                           - 10 * 1 / 5, 1) == 71.5
    assert (rows["urban"]["grade"], rows["urban"]["rank"]) == ("C", 2)
    assert (rows["police"]["score"], rows["police"]["cases"], rows["police"]["excused"]) == (100.0, 5, 1)
    assert rows["market"]["insufficient"] and rows["market"]["score"] is None and rows["market"]["grade"] is None
    with warehouse["engine"].connect() as conn:  # the counts against the table itself
        counted = conn.execute(select(summons.c.department_code, func.count()).where(
            summons.c.created_at >= datetime(2026, 11, 16), summons.c.created_at < datetime(2026, 11, 23),
            summons.c.status.not_in(("excused", "cancelled"))).group_by(summons.c.department_code)).all()
    assert {r["department"]: r["cases"] for r in got["rows"]} == dict(counted)


@pytest.mark.parametrize("name", ["2026-W48", "2026-11", "2026-Q4"])
def test_score_json_of_other_periods(warehouse: dict, name: str) -> None:
    assert as_json(cockpit("score", "--period", name, "--json", config=warehouse["config"])) == \
        expected_score(warehouse, name)


def test_score_json_of_a_township(warehouse: dict) -> None:
    got = as_json(cockpit("score", "--period", "2026-W47", "--township", wb.TOWNSHIP_B, "--json",
                          config=warehouse["config"]))
    assert got == expected_score(warehouse, "2026-W47", wb.TOWNSHIP_B)
    assert got["township"] == wb.TOWNSHIP_B and [r["department"] for r in got["rows"]] == ["market"]
    a = as_json(cockpit("score", "--period", "2026-W47", "--township", wb.TOWNSHIP_A, "--json",
                        config=warehouse["config"]))
    assert a == expected_score(warehouse, "2026-W47", wb.TOWNSHIP_A)
    assert {r["department"]: r["cases"] for r in a["rows"]}["market"] == 1


def test_score_follows_the_configured_weights(warehouse: dict) -> None:
    settings = score_settings(load_config(warehouse["weighted"], env={}))
    got = as_json(cockpit("score", "--period", "2026-W47", "--json", config=warehouse["weighted"]))
    assert got == expected_score(warehouse, "2026-W47", settings=settings)
    assert got["weights"]["acknowledged_on_time"] == 30 and got["min_sample"] == 3
    mean = (5 + 4 + 3 + 2 + 1) / 5
    urban = next(r for r in got["rows"] if r["department"] == "urban")
    assert urban["score"] == round(30 * 4 / 5 + 10 * 4 / 5 + 10 * 5 / 5 + 10 * 4 / 5 + 40 * (mean - 1) / 4 - 25 * 1 / 5, 1)


def test_score_defaults_to_the_current_week(warehouse: dict) -> None:
    got = as_json(cockpit("score", "--json", config=warehouse["config"]))
    assert (got["period"], got["start"], got["end"]) == ("2026-W49", "2026-11-30", "2026-12-07")
    assert got["rows"] == []
    got = as_json(cockpit("score", "--json", config=warehouse["config"], now="2026-11-20T08:00:00"))
    assert got["period"] == "2026-W47" and [r["department"] for r in got["rows"]] == ["police", "urban", "market",
                                                                                      "ecology"]


def test_score_text_shows_the_table(warehouse: dict) -> None:
    res = cockpit("score", "--period", "2026-W47", config=warehouse["config"])
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("department score 2026-W47 (2026-11-16 to 2026-11-22)")
    assert "rank" in lines[2] and "score" in lines[2] and "grade" in lines[2]
    row = {line.split("(")[1].split(")")[0]: line for line in lines[4:] if "(" in line and ")" in line}
    assert row["urban"].startswith("2 ") and "县综合行政执法局" in row["urban"]
    assert row["urban"].split()[-2:] == ["71.5", "C"]
    # urban's shares: ack 4/5, arrive 4/5, resolved 5/5, on time 4/5, rating (3 − 1) / 4, reopened 1/5
    assert row["urban"].split()[3:10] == ["5", "80%", "80%", "100%", "80%", "50%", "20%"]
    assert row["urban"].split()[4:10] == ["80%", "80%", "100%", "80%", "50%", "20%"]
    assert row["police"].split()[-2:] == ["100.0", "A"]
    assert row["market"].startswith("- ") and row["market"].split()[-2:] == ["样本不足", "-"]
    assert lines[-1] == "4 department(s) summoned"


@pytest.mark.parametrize("bad", ["2026-W99", "2026-13", "2026-Q5", "last week", "W47", "2026-W47-extra-text-x"])
def test_a_bad_period_is_a_clear_message_and_exit_2(warehouse: dict, bad: str) -> None:
    res = cockpit("score", "--period", bad, config=warehouse["config"])
    assert res.returncode == 2
    assert res.stderr.startswith("error: --period: not a period") and "2026-W47" in res.stderr  # before any log
    assert "Traceback" not in res.stderr and res.stdout == ""
    res = cockpit("score", "--period", bad, "--json", config=warehouse["config"])
    assert res.returncode == 2 and json.loads(res.stdout)["error"].startswith("--period: not a period")
    res = cockpit("score", "cases", "urban", "--period", bad, config=warehouse["config"])
    assert res.returncode == 2 and "not a period" in res.stderr and "Traceback" not in res.stderr


def test_an_unknown_township_or_department_is_exit_2(warehouse: dict) -> None:
    res = cockpit("score", "--period", "2026-W47", "--township", "999999999", "--json", config=warehouse["config"])
    assert res.returncode == 2 and "unknown township '999999999'" in json.loads(res.stdout)["error"]
    res = cockpit("score", "cases", "nosuch", "--period", "2026-W47", config=warehouse["config"])
    assert res.returncode == 2 and "unknown department 'nosuch'" in res.stderr and "Traceback" not in res.stderr


def test_an_unmigrated_warehouse_is_a_message(tmp_path: Path) -> None:
    config = tmp_path / "cockpit.toml"
    config.write_text(f"[warehouse]\nurl = {json.dumps('sqlite:///' + str(tmp_path / 'empty.db'))}\n", encoding="utf-8")
    for args in (["score"], ["whistles", "list"]):
        res = cockpit(*args, config=config)
        assert res.returncode == 1 and "db upgrade" in res.stderr and "Traceback" not in res.stderr


# ---------------------------------------------------------------- score cases
def test_score_cases_json_lists_the_cases_behind_the_score(warehouse: dict) -> None:
    got = as_json(cockpit("score", "cases", "police", "--period", "2026-W47", "--json", config=warehouse["config"]))
    with warehouse["engine"].connect() as conn:
        listed = cases(conn, "police", Period.named("2026-W47"), AS_OF)
    assert [c["id"] for c in got["cases"]] == [c["id"] for c in listed]
    assert len(got["cases"]) == 6 and sum(c["counted"] for c in got["cases"]) == got["score"]["cases"] == 5
    excused = next(c for c in got["cases"] if c["id"] == warehouse["excused"])
    assert (excused["status"], excused["counted"], excused["contest_outcome"]) == ("excused", False, "accepted")
    assert got["score"] == expected_score(warehouse, "2026-W47")["rows"][0]
    assert (got["department"], got["name_zh"], got["period"]) == ("police", "县公安局", "2026-W47")
    for c, row in zip(got["cases"], listed):
        assert c["created_at"] == iso_time(row["created_at"]) and c["ack_ok"] == row["ack_ok"]
    # the period before the subcommand is the same
    assert as_json(cockpit("score", "--period", "2026-W47", "cases", "police", "--json",
                           config=warehouse["config"])) == got


def test_score_cases_of_a_department_not_summoned(warehouse: dict) -> None:
    got = as_json(cockpit("score", "cases", "health", "--period", "2026-W47", "--json", config=warehouse["config"]))
    assert got["score"] is None and got["cases"] == []
    res = cockpit("score", "cases", "urban", "--period", "2026-W47", config=warehouse["config"])
    assert res.returncode == 0, res.stderr
    assert "score 71.5 (C), rank 2; 5 counted" in res.stdout and res.stdout.rstrip().endswith("5 case(s)")


# ---------------------------------------------------------------- whistles
def test_whistles_list_json(warehouse: dict) -> None:
    with warehouse["engine"].connect() as conn:
        total = conn.execute(select(func.count()).select_from(whistle)).scalar()
        open_ids = conn.execute(select(whistle.c.id).where(whistle.c.status == "open")
                                .order_by(whistle.c.created_at.desc(), whistle.c.id.desc())).scalars().all()
        overdue = [w["id"] for w in list_whistles(conn, EVERYTHING, AS_OF, status="overdue")]
    got = as_json(cockpit("whistles", "list", "--json", config=warehouse["config"]))
    assert [w["id"] for w in got] == open_ids and len(open_ids) == 2
    everything = as_json(cockpit("whistles", "list", "--status", "all", "--json", config=warehouse["config"]))
    assert len(everything) == total == 15
    late = as_json(cockpit("whistles", "list", "--status", "overdue", "--json", config=warehouse["config"]))
    assert [w["id"] for w in late] == overdue
    silent = next(w for w in late if w["summons"][0]["id"] == warehouse["silent"])
    assert silent["overdue"] and silent["summons"][0]["late"] == ["ack", "arrive", "resolve"]
    contests = as_json(cockpit("whistles", "list", "--status", "open_contests", "--json", config=warehouse["config"]))
    assert [w["summons"][0]["id"] for w in contests] == [warehouse["pending"]]
    b = as_json(cockpit("whistles", "list", "--status", "all", "--township", wb.TOWNSHIP_B, "--json",
                        config=warehouse["config"]))
    assert [w["township"] for w in b] == [wb.TOWNSHIP_B]
    res = cockpit("whistles", "list", "--status", "late", config=warehouse["config"])
    assert res.returncode == 2 and "invalid choice: 'late'" in res.stderr
    text = cockpit("whistles", "list", config=warehouse["config"]).stdout
    assert "OVERDUE" in text and "urban summoned LATE ack/arrive/resolve" in text and text.endswith("2 whistle(s)\n")


def test_whistles_show_json(warehouse: dict) -> None:
    with warehouse["engine"].connect() as conn:
        wid = conn.execute(select(summons.c.whistle_id).where(summons.c.id == warehouse["excused"])).scalar()
        actions = conn.execute(select(summons_log.c.action).where(summons_log.c.summons_id == warehouse["excused"])
                               .order_by(summons_log.c.id)).scalars().all()
    got = as_json(cockpit("whistles", "show", str(wid), "--json", config=warehouse["config"]))
    assert got["whistle"]["id"] == wid and got["whistle"]["status"] == "completed"
    (s,) = got["whistle"]["summons"]
    assert (s["id"], s["department"], s["status"], s["contest_reason"]) == (warehouse["excused"], "police", "excused",
                                                                             "不属于公安职责")
    assert [e["action"] for e in s["timeline"]] == actions == ["summoned", "contested", "contest_accepted"]
    assert [e["action"] for e in got["log"]] == ["blown", "completed"]
    text = cockpit("whistles", "show", str(wid), config=warehouse["config"]).stdout
    assert f"whistle #{wid}  completed" in text and "contest_accepted" in text and "不属于公安职责" in text
    res = cockpit("whistles", "show", "99999", "--json", config=warehouse["config"])
    assert res.returncode == 1 and json.loads(res.stdout) == {"error": "whistle 99999 does not exist"}


def test_whistles_review_json(warehouse: dict) -> None:
    got = as_json(cockpit("whistles", "review", "--json", config=warehouse["config"]))
    assert [p["summons_id"] for p in got["pending"]] == [warehouse["pending"]]
    assert (got["pending"][0]["department"], got["pending"][0]["reason"]) == ("ecology", "应由城管处理")
    assert [(f["summons_id"], f["department"], f["category"]) for f in got["flagged"]] == \
        [(warehouse["excused"], "police", "ECO-SANITATION")]
    with warehouse["engine"].connect() as conn:
        leads = select(responsibility.c.category_code).where(responsibility.c.role == "lead")
        gaps = conn.execute(select(category.c.code).where(category.c.code.not_in(leads))).scalars().all()
    assert sorted(g["category"] for g in got["gaps"]) == sorted(gaps)
    text = cockpit("whistles", "review", config=warehouse["config"]).stdout
    assert "contests to decide: 1" in text and "categories flagged for review: 1" in text
    assert f"categories without a responsible department: {len(gaps)}" in text
