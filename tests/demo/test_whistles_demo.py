"""The demo's life of whistles (cockpit.demo.whistles): the backfill gives the department ranking
every grade and a department with too few cases, contests both ways, open and overdue summons and
work for the login-able liaison, all replayable from the logs and done once; the live step blows
whistles on fresh warnings and plays the summons; both are hooked into ``demo-orders`` and the
simulator."""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cockpit import clock
from cockpit.auth.users import ensure_demo_users
from cockpit.demo import field, live, whistles
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.schema import (responsibility_review, summons, summons_log, whistle, whistle_log, work_order,
                                      work_order_log)
from cockpit.whistles.score import Period, ranking
from cockpit.whistles.settings import ScoreSettings
from cockpit.whistles.states import SUMMONS, SUMMONS_OPEN, WHISTLE, WORKING
from tests.orders import builders as ob
from tests.warnings import builders as wb

NOW = datetime(2026, 11, 25, 10, 0)
SEED = 20261126
GRIDS = (wb.GRID_A11, wb.GRID_A12, wb.GRID_A21, wb.GRID_A22, wb.GRID_B11)
# categories that concern several departments (the responsibility list), and two that concern one
CATEGORIES = ("ECO-NOISE", "ECO-POLLUTION", "SAF-TRAFFIC", "SRV-ELDERLY", "SAF-FOOD", "SAF-HAZARD", "SAF-BUILD",
              "SAF-DISPUTE", "ECO-SANITATION", "SAF-ORDER")
WEEKS = 4  # the current month and the weeks before it
GRADES = ("A", "B", "C", "D", "E")


def _warehouse(url: str, *, days: int = 7 * WEEKS + 3, per_day: int = 14) -> None:
    engine = engine_for(url)
    r = random.Random(7)
    with engine.begin() as conn:
        wb.area_tree(conn)
        for d in range(days, -1, -1):
            for _ in range(per_day):
                at = NOW - timedelta(days=d, minutes=r.randrange(0, 24 * 60))
                if at < NOW - timedelta(minutes=30):
                    wb.event(conn, reported_at=at, grid_code=r.choice(GRIDS), category_code=r.choice(CATEGORIES),
                             channel=r.choice(("hotline_12345", "grid_app", "police_110")))
    with clock.pinned(NOW):
        ensure_demo_users(engine)
    with engine.begin() as conn:
        field.ensure_field_accounts(conn, now=NOW)
        field.backfill(conn, seed=SEED, now=NOW)


@pytest.fixture(scope="module")
def played(_sqlite_template: Path, tmp_path_factory) -> tuple[Path, dict]:
    """A small demo warehouse after the work-order backfill and the whistles' (read-only)."""
    path = tmp_path_factory.mktemp("whistles") / "warehouse.db"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    _warehouse(url)
    with engine_for(url).begin() as conn:
        report = whistles.backfill(conn, seed=SEED, now=NOW, weeks=WEEKS, weekly=4)
    engine_for(url).dispose()
    return path, report


@pytest.fixture
def warehouse(played, tmp_path) -> str:
    """A copy of the played warehouse a test may change."""
    path = tmp_path / "w.db"
    shutil.copyfile(played[0], path)
    return f"sqlite:///{path}"


def _rows(url: str, table, order=None) -> list[dict]:
    with engine_for(url).connect() as conn:
        q = select(table).order_by(order if order is not None else table.c.id)
        return [dict(r) for r in conn.execute(q).mappings()]


def _url(played) -> str:
    return f"sqlite:///{played[0]}"


# ---------------------------------------------------------------- personas and a life
def test_personas_cover_the_ladder_and_a_life_is_deterministic() -> None:
    assert set(whistles.LADDER) == set(whistles.PERSONAS)
    good, absent = whistles.PERSONAS["good"], whistles.PERSONAS["absent"]
    s = {"id": 7, "status": "summoned", "created_at": NOW, "ack_due_at": NOW + timedelta(minutes=30),
         "arrive_due_at": NOW + timedelta(hours=24), "resolve_due_at": NOW + timedelta(hours=72), "reopen_count": 0,
         "contest_outcome": None, "department_code": "market"}
    assert whistles.next_step(s, NOW, good, SEED) == whistles.next_step(s, NOW, good, SEED)
    firsts = Counter()
    for i in range(1, 2001):
        step = whistles.next_step({**s, "id": i}, NOW, good, SEED)
        firsts[step.action] += 1
        if step.action == "acknowledged" and not whistles.fate_of(SEED, i, good).late_ack:
            assert step.at <= s["ack_due_at"]  # in minutes, within the deadline
    assert firsts["acknowledged"] > 1850 and 0 < firsts["contested"] < 150
    ignored = [whistles.next_step({**s, "id": i}, NOW, absent, SEED) for i in range(1, 401)]
    closed = [x for x in ignored if x.action == "closed"]
    assert 120 < len(closed) < 280 and {x.rating for x in closed} == {1} and all(x.note for x in closed)
    assert all(x.at > s["arrive_due_at"] for x in closed)
    done = {**s, "status": "verified"}
    assert whistles.next_step(done, NOW, good, SEED) is None
    # the township rates a good department's result 4–5, an absent one's 2–3
    resolved = {**s, "status": "resolved"}
    rated = [whistles.next_step({**resolved, "id": i}, NOW, good, SEED) for i in range(1, 300)]
    assert {x.rating for x in rated if x.action == "verified"} <= {4, 5}
    rated = [whistles.next_step({**resolved, "id": i}, NOW, absent, SEED) for i in range(1, 300)]
    assert {x.rating for x in rated if x.action == "verified"} <= {2, 3}


# ---------------------------------------------------------------- the backfill
def test_every_grade_appears_in_the_current_month_and_a_department_has_too_few(played) -> None:
    path, report = played
    assert report["done"] and report["refused"] == 0 and report["whistles"] > 20
    url = _url(played)
    with engine_for(url).connect() as conn:
        month = ranking(conn, Period.containing("month", NOW.date()), NOW, ScoreSettings())
        # the cases behind it, counted independently
        cases = Counter(conn.execute(select(summons.c.department_code).where(
            summons.c.created_at >= datetime(2026, 11, 1), summons.c.created_at < datetime(2026, 12, 1),
            summons.c.status.not_in(("excused", "cancelled")))).scalars())
    grades = {r.department_code: r.grade for r in month}
    assert set(GRADES) <= set(grades.values()), grades
    too_few = [r for r in month if r.insufficient]
    assert too_few and all(r.grade is None and r.score is None and r.cases < 5 for r in too_few)
    assert set(report["rare"]) & {r.department_code for r in too_few}
    assert {r.department_code: r.cases for r in month} == dict(cases)
    scored = [r for r in month if not r.insufficient]
    assert len(scored) >= 5 and len(scored) > len(too_few)
    # the grades follow the personas: the good department on top, the absent one at the bottom
    personas = report["personas"]
    assert personas[scored[0].department_code] == "good" and grades[scored[0].department_code] == "A"
    assert personas[scored[-1].department_code] == "absent" and grades[scored[-1].department_code] == "E"


def test_the_backfill_has_contests_both_ways_ratings_and_open_work(played) -> None:
    url = _url(played)
    rows = _rows(url, summons)
    logs: dict[int, list[str]] = {}
    for r in _rows(url, summons_log):
        logs.setdefault(r["summons_id"], []).append(r["action"])
    outcomes = Counter(r["contest_outcome"] for r in rows)
    assert outcomes["accepted"] > 0 and outcomes["rejected"] > 0
    accepted = [r for r in rows if r["contest_outcome"] == "accepted"]
    assert all(r["status"] == "excused" for r in accepted)
    reviews = _rows(url, responsibility_review)
    assert {x["summons_id"] for x in reviews} == {r["id"] for r in accepted}
    rejected = [r for r in rows if r["contest_outcome"] == "rejected"]
    assert all(r["status"] not in ("contested", "excused") for r in rejected)
    # the township closes an ignored summons with a rating of 1; verifies the others with 1–5
    closed = [r for r in rows if r["status"] == "closed"]
    assert closed and {r["rating"] for r in closed} == {1} and all(r["acknowledged_at"] is None for r in closed)
    verified = [r for r in rows if r["status"] == "verified"]
    assert verified and all(1 <= r["rating"] <= 5 for r in verified) and len({r["rating"] for r in verified}) >= 3
    assert any("reopened" in logs[r["id"]] for r in verified)  # 返工 and resolved again
    assert any(r["resolved_at"] > r["resolve_due_at"] for r in verified)
    # open work on the desk, some of it overdue and marked so
    open_rows = [r for r in rows if r["status"] in SUMMONS_OPEN]
    assert open_rows and all(r["created_at"] > NOW - timedelta(days=7) for r in open_rows)
    overdue = [r for r in open_rows if r["status"] in WORKING and "overdue" in logs[r["id"]]]
    assert overdue
    for r in open_rows:
        if r["status"] in WORKING and r["acknowledged_at"] is None and r["ack_due_at"] <= NOW:
            assert r["ack_overdue_at"] is not None
    # the login-able liaison has new summons to acknowledge, one already past its deadline
    police = [r for r in rows if r["department_code"] == "police" and r["status"] == "summoned"]
    assert len(police) >= whistles.PERSON_SUMMONS and any(r["ack_due_at"] < NOW for r in police)
    # every whistle on a work order the duty operator made; those with every summons ended, completed
    ws = _rows(url, whistle)
    assert ws and all(w["created_by"] == field.DUTY_OPERATOR and w["order_id"] for w in ws)
    by_whistle: dict[int, set[str]] = {}
    for r in rows:
        by_whistle.setdefault(r["whistle_id"], set()).add(r["status"])
    for w in ws:
        assert len(by_whistle[w["id"]]) >= 1
        assert (w["status"] == "completed") == (not by_whistle[w["id"]] & set(SUMMONS_OPEN))


def test_every_summons_and_whistle_replays_its_state_from_its_log(played) -> None:
    url = _url(played)
    with engine_for(url).connect() as conn:
        for r in conn.execute(select(summons)).mappings().all():
            state = {"status": r["status"], "department_code": r["department_code"]}
            assert SUMMONS.state_from_log(conn, r["id"]) == state
        for r in conn.execute(select(whistle)).mappings().all():
            assert WHISTLE.state_from_log(conn, r["id"]) == {"status": r["status"]}
        times = conn.execute(select(summons_log.c.summons_id, summons_log.c.at).order_by(summons_log.c.id)).all()
    last: dict[int, datetime] = {}
    for sid, at in times:  # written in one chronological pass: each log in time order, none in the future
        assert at >= last.get(sid, at) and at <= NOW
        last[sid] = at


def test_the_backfill_runs_once(warehouse) -> None:
    tables = (whistle, whistle_log, summons, summons_log, work_order, work_order_log)
    before = [_rows(warehouse, t) for t in tables]
    with engine_for(warehouse).begin() as conn:
        again = whistles.backfill(conn, seed=SEED, now=NOW + timedelta(hours=2))
    assert again["done"] is False and again["whistles"] == 0
    assert [_rows(warehouse, t) for t in tables] == before


# ---------------------------------------------------------------- live play
def test_a_live_step_blows_on_fresh_warnings_and_advances_summons(warehouse) -> None:
    engine = engine_for(warehouse)
    later = NOW + timedelta(hours=3)
    with engine.begin() as conn:
        fresh = [ob.warning(conn, grid=GRIDS[i % len(GRIDS)], category="SAF-TRAFFIC", department_code="police",
                            board="safety", now=later - timedelta(minutes=50), subject=f"live-{i}") for i in range(25)]
        single = ob.warning(conn, now=later - timedelta(minutes=50), subject="one department")  # urban only
    before = {r["id"]: r for r in _rows(warehouse, summons)}
    logs_before = len(_rows(warehouse, summons_log))
    done = whistles.play_step(engine, seed=SEED, now=later)
    due = {w["id"] for w in fresh if (d := whistles.blow_delay(SEED, w["id"])) is not None
           and w["opened_at"] + d <= later}
    assert due and {b["warning"] for b in done["blown"]} == due
    assert all(b["departments"] == ["police", "urban"] for b in done["blown"])
    after = {r["id"]: r for r in _rows(warehouse, summons)}
    # the summons of the new whistles, then some old ones moved on as their persona planned
    new = [r for i, r in after.items() if i not in before]
    assert len(new) == 2 * len(due) and all(r["status"] == "summoned" for r in new)
    assert done["acted"]
    for a in done["acted"]:
        assert after[a["summons"]]["status"] != before[a["summons"]]["status"]
        assert a["by"] != "liaison_police" or a["action"] not in ("acknowledged", "arrived", "resolved", "contested")
    assert len(_rows(warehouse, summons_log)) > logs_before
    with engine.connect() as conn:
        on_single = select(func.count()).select_from(whistle).where(whistle.c.warning_id == single["id"])
        assert conn.execute(on_single).scalar() == 0
        # overdue marks as of the step
        for r in conn.execute(select(summons).where(summons.c.status.in_(WORKING))).mappings():
            if r["acknowledged_at"] is None and r["ack_due_at"] <= later:
                assert r["ack_overdue_at"] is not None
    # the login-able liaison's summons wait for the person
    police = [i for i, r in before.items() if r["department_code"] == "police" and r["status"] == "summoned"]
    assert all(after[i]["status"] == "summoned" for i in police)
    # again at the same time: nothing more to blow
    assert whistles.play_step(engine, seed=SEED, now=later)["blown"] == []


# ---------------------------------------------------------------- the hooks
def test_demo_orders_backfills_the_whistles_and_steps_them(sqlite_url, capsys, monkeypatch) -> None:
    from cockpit.cli import main

    with engine_for(sqlite_url).begin() as conn:
        wb.area_tree(conn)
        r = random.Random(3)
        for d in range(12, -1, -1):
            for _ in range(5):
                wb.event(conn, reported_at=NOW - timedelta(days=d, hours=1, minutes=r.randrange(0, 20 * 60)),
                         grid_code=r.choice(GRIDS), category_code=r.choice(CATEGORIES))
    monkeypatch.setenv("COCKPIT_WAREHOUSE_URL", sqlite_url)
    monkeypatch.setenv("COCKPIT_NOW", NOW.isoformat())
    assert main(["demo-orders", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    with engine_for(sqlite_url).connect() as conn:
        counts = dict(conn.execute(select(summons.c.status, func.count()).group_by(summons.c.status)).all())
    assert out["whistles"]["done"] and out["whistles"]["whistles"] > 0 and out["summons_by_status"] == counts
    assert main(["demo-orders"]) == 0
    text = capsys.readouterr().out
    assert "whistles: nothing to do (already backfilled)" in text and "summons: " in text
    monkeypatch.setenv("COCKPIT_NOW", (NOW + timedelta(hours=6)).isoformat())
    assert main(["demo-orders", "--step", "--json"]) == 0
    step = json.loads(capsys.readouterr().out)["whistles_step"]
    assert step["acted"] and set(step) == {"blown", "acted", "overdue"}


def test_the_simulator_hook_plays_the_whistles(warehouse, tmp_path) -> None:
    from cockpit.config import load_config

    path = tmp_path / "c.toml"
    path.write_text(f'[warehouse]\nurl = "{warehouse}"\n[demo]\nseed = {SEED}\n', encoding="utf-8")
    player = live.live_player(load_config(str(path)))
    before = len(_rows(warehouse, summons_log))
    player(NOW + timedelta(hours=4))
    rows = _rows(warehouse, summons_log)
    assert len(rows) > before and {r["action"] for r in rows[before:]} - {"overdue"}
