"""The demo's field life (cockpit.demo.field): field accounts, the backfill of past orders in every
state the issue names, the live step (dispatch after a delay, assignees and operator acting when
due, a person's orders left alone), and the simulator hook that never crashes."""

from __future__ import annotations

import json
import random
import shutil
import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from cockpit import clock
from cockpit.auth.users import DEMO_ACCOUNTS, ensure_demo_users, get_user, valid_demo_passwords
from cockpit.demo import field, live, simulate
from cockpit.orders.actions import act
from cockpit.orders.dispatch import dispatch_events
from cockpit.orders.metrics import response_times
from cockpit.orders.states import OPEN_STATUSES, WORKING_STATUSES, state_from_log
from cockpit.scope import EVERYTHING
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.schema import area, department, grid_duty, user_account, work_order, work_order_log
from cockpit.warnings import states as warning_states
from tests.orders import builders as ob
from tests.warnings import builders as wb

NOW = datetime(2026, 11, 25, 10, 0)
SEED = 20261126
GRIDS = (wb.GRID_A11, wb.GRID_A12, wb.GRID_A21, wb.GRID_A22, wb.GRID_B11)
CATEGORIES = ("ECO-SANITATION", "SAF-ORDER", "SAF-DISPUTE", "SRV-ROAD", "ECO-POLLUTION", "SAF-FIRE", "SRV-ELDERLY",
              "SAF-STALL", "SRV-HEALTH")
CHANNELS = ("hotline_12345", "hotline_12345", "grid_app", "police_110", "petition", "sensor", "camera")


def _events(conn, now: datetime = NOW, per_day: int = 8, recent_per_day: int = 60, days: int = 56) -> int:
    """Events of the last ``days`` days, denser in the last three; returns how many."""
    r = random.Random(5)
    n = 0
    for d in range(days, -1, -1):
        for _ in range(recent_per_day if d < 3 else per_day):
            at = now - timedelta(days=d, minutes=r.randrange(0, 24 * 60))
            if at >= now - timedelta(minutes=30):
                continue
            wb.event(conn, reported_at=at, grid_code=r.choice(GRIDS), category_code=r.choice(CATEGORIES),
                     channel=r.choice(CHANNELS))
            n += 1
    return n


def _warehouse(url: str) -> None:
    engine = engine_for(url)
    with engine.begin() as conn:
        wb.area_tree(conn)
        _events(conn)
    with clock.pinned(NOW):
        ensure_demo_users(engine)
    with engine.begin() as conn:
        field.ensure_field_accounts(conn, now=NOW)


@pytest.fixture(scope="module")
def backfilled(_sqlite_template: Path, tmp_path_factory) -> tuple[Path, dict]:
    """A small warehouse with the field accounts and the backfill done (read-only for the tests)."""
    path = tmp_path_factory.mktemp("field") / "warehouse.db"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    _warehouse(url)
    with engine_for(url).begin() as conn:
        report = field.backfill(conn, seed=SEED, now=NOW, share=0.5)
    return path, report


@pytest.fixture
def warehouse(backfilled, tmp_path) -> str:
    """A copy of the backfilled warehouse a test may change."""
    path = tmp_path / "w.db"
    engine_for(f"sqlite:///{backfilled[0]}").dispose()  # closing every connection checkpoints the WAL
    shutil.copyfile(backfilled[0], path)
    return f"sqlite:///{path}"


def _orders(url: str) -> list[dict]:
    with engine_for(url).connect() as conn:
        return [dict(r) for r in conn.execute(select(work_order).order_by(work_order.c.id)).mappings()]


def _logs(url: str) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    with engine_for(url).connect() as conn:
        for r in conn.execute(select(work_order_log).order_by(work_order_log.c.id)).mappings():
            out.setdefault(r["order_id"], []).append(dict(r))
    return out


# ---------------------------------------------------------------- the plan of a life
def _order(i: int, status: str = "dispatched", **kw) -> dict:
    base = {"id": i, "status": status, "created_at": NOW, "ack_due_at": NOW + timedelta(minutes=60),
            "resolve_due_at": NOW + timedelta(hours=48), "reopen_count": 0, "return_count": 0, "arrived_at": None,
            "assignee_user": "gw_x", "department_code": "urban", "cooperating": None}
    return {**base, **kw}


def test_fates_and_delays_follow_the_intended_distribution() -> None:
    ids = range(1, 8001)
    fates = [field.fate_of(SEED, i) for i in ids]

    def share(attr: str) -> float:
        return sum(getattr(f, attr) for f in fates) / len(fates)

    assert 0.08 < share("late_ack") < 0.12 and 0.08 < share("late_resolve") < 0.12
    assert 0.035 < share("returned") < 0.065 and 0.055 < share("reopened") < 0.085
    for i, f in zip(ids, fates):
        first = field.next_step(_order(i), NOW, SEED)
        if f.returned:
            assert first.action == "returned" and first.note and first.at < NOW + timedelta(minutes=60)
            continue
        assert first.action == "acknowledged"
        assert (first.at > NOW + timedelta(minutes=60)) == f.late_ack
        assert first.at <= NOW + timedelta(hours=7)
        res = field.next_step(_order(i, "on_site"), NOW + timedelta(hours=1), SEED)
        assert res.action == "resolved" and res.note
        assert (res.at > NOW + timedelta(hours=48)) == f.late_resolve
        assert res.at - NOW >= timedelta(minutes=15)
    # deterministic: the same seed and order, the same step
    assert field.next_step(_order(7), NOW, SEED) == field.next_step(_order(7), NOW, SEED)
    assert {field.next_step(_order(7), NOW, s).at for s in range(20)} != {field.next_step(_order(7), NOW, SEED).at}
    # verification: a few hours after the result, closed or (返工) reopened with a reason
    steps = Counter(field.next_step(_order(i, "resolved"), NOW, SEED).action for i in ids)
    assert set(steps) == {"closed", "reopened"} and 0.055 < steps["reopened"] / len(ids) < 0.085
    again = field.next_step(_order(3, "resolved", reopen_count=1), NOW, SEED)
    assert again.action == "closed" and timedelta(minutes=30) <= again.at - NOW <= timedelta(hours=6)
    # a returned order: to the department's liaisons, or its cooperating department
    rr = field.next_step(_order(1, "returned"), NOW, SEED)
    assert (rr.action, rr.by, rr.department_code, rr.assignee_user) == ("rerouted", "township", "urban", None)
    rr = field.next_step(_order(1, "returned", assignee_user=None, cooperating="police"), NOW, SEED)
    assert (rr.department_code, rr.assignee_user) == ("police", None)
    assert field.next_step(_order(1, "closed"), NOW, SEED) is None


# ---------------------------------------------------------------- accounts
def test_field_accounts_cover_every_grid_and_department(sqlite_url) -> None:
    engine = engine_for(sqlite_url)
    with engine.begin() as conn:
        wb.area_tree(conn)
        conn.execute(update(area).where(area.c.code == wb.GRID_B11).values(grid_worker="王芳"))
    ensure_demo_users(engine)
    with engine.begin() as conn:
        made = field.ensure_field_accounts(conn, now=NOW)
        again = field.ensure_field_accounts(conn, now=NOW)
        duties = dict(conn.execute(select(grid_duty.c.grid_code, grid_duty.c.username)).all())
        departments = set(conn.execute(select(department.c.code)).scalars())
        u = user_account.c
        liaisons = Counter(conn.execute(select(u.department_code).where(u.role == "department_liaison")).scalars())
        gw = get_user(conn, "grid_worker")
        gw_b = get_user(conn, f"gw_{wb.GRID_B11}")
        gw_a21 = get_user(conn, f"gw_{wb.GRID_A21}")
        names = set(conn.execute(select(u.username)).scalars())
        shown = valid_demo_passwords(conn)
    assert again == {"grid_workers": 0, "grid_duties": 0, "liaisons": 0, "operators": 0}
    assert made["operators"] == 1 and made["grid_duties"] == len(GRIDS)
    assert set(duties) == set(GRIDS)
    # the login-able grid worker keeps the duty of its two grids; every other grid has its own worker
    assert {g for g, n in duties.items() if n == "grid_worker"} == set(gw.grid_codes) == {wb.GRID_A11, wb.GRID_A12}
    assert made["grid_workers"] == 3 and duties[wb.GRID_B11] == gw_b.username
    assert gw_b.display_name == "王芳" and gw_b.grid_codes == (wb.GRID_B11,)
    assert gw_a21.display_name == "网格员0201"  # a grid without its worker's name
    # one liaison per department; police keeps the demo's liaison_police
    assert set(liaisons) == departments and set(liaisons.values()) == {1}
    assert "liaison_police" in names and made["liaisons"] == len(departments) - 1
    # random passwords nobody is shown: not demo accounts
    assert set(shown) <= {a[0] for a in DEMO_ACCOUNTS}
    assert not gw_b.is_demo and not gw_b.must_change_password


# ---------------------------------------------------------------- the backfill
def test_backfill_makes_orders_in_every_state_with_their_logs(backfilled) -> None:
    path, report = backfilled
    url = f"sqlite:///{path}"
    orders, logs = _orders(url), _logs(url)
    assert report["done"] and report["orders"] == len(orders) > 150 and report["refused"] == 0
    assert report["escalations"] > 0
    by_id = {o["id"]: o for o in orders}
    actions = {i: [r["action"] for r in rows] for i, rows in logs.items()}
    closed = [o for o in orders if o["status"] == "closed"]
    closed_on_time = [o for o in closed if o["resolved_at"] <= o["resolve_due_at"]]
    closed_late = [o for o in closed if o["resolved_at"] > o["resolve_due_at"]]
    returned = [i for i, a in actions.items() if "returned" in a]
    reopened = [i for i, a in actions.items() if "reopened" in a]
    open_overdue = [o for o in orders if o["status"] in WORKING_STATUSES
                    and "overdue" in actions[o["id"]] and min(o["ack_due_at"], o["resolve_due_at"]) < NOW]
    assert closed_on_time and closed_late and returned and reopened and open_overdue
    assert len({o["status"] for o in orders if o["status"] in OPEN_STATUSES}) >= 3  # left open at various steps
    for i in returned:  # returned by the assignee with a reason, re-routed by the operator
        rows = logs[i]
        k = [r["action"] for r in rows].index("returned")
        assert rows[k]["note"] and rows[k + 1]["action"] == "rerouted" and rows[k + 1]["actor"] == field.DUTY_OPERATOR
        assert rows[k + 1]["assignee_user"] is None or rows[k + 1]["department_code"] == rows[k]["department_code"]
        assert by_id[i]["return_count"] == 1
    for i in reopened:  # 返工 with a reason, then resolved again (or being redone now)
        a = actions[i]
        k = a.index("reopened")
        assert logs[i][k]["note"] and ("resolved" in a[k + 1:] or by_id[i]["status"] in WORKING_STATUSES)
        assert by_id[i]["reopen_count"] == 1
    assert any(by_id[i]["status"] == "closed" for i in reopened)
    now_open = [o for o in orders if o["status"] in OPEN_STATUSES]
    recent = [o for o in now_open if o["created_at"] >= NOW - timedelta(days=3)]
    assert len(recent) >= len(now_open) * 0.6  # what is still open is the last days' work
    for o in orders:
        rows = logs[o["id"]]
        assert rows[0]["action"] == "dispatched" and rows[0]["at"] == o["created_at"]
        assert rows[0]["actor"] == field.DUTY_OPERATOR and o["created_at"] >= NOW - timedelta(weeks=8)
        assert [r["at"] for r in rows] == sorted(r["at"] for r in rows) and rows[-1]["at"] <= NOW
        if o["status"] == "closed":
            assert rows[-1]["actor"] == field.DUTY_OPERATOR
            assert timedelta(minutes=30) <= o["closed_at"] - o["resolved_at"] <= timedelta(hours=6)
    with engine_for(url).connect() as conn:
        for o in orders:
            assert state_from_log(conn, o["id"]) == {k: o[k] for k in ("status", "department_code", "assignee_user")}
    # the login-able accounts have a history, and their last hours are left to the person
    persons = [r for rows in logs.values() for r in rows if r["actor"] in field.LOGINABLE]
    assert persons and max(r["at"] for r in persons) <= NOW - timedelta(hours=field.HANDOVER_HOURS)
    waiting = [o for o in now_open if o["assignee_user"] == "grid_worker"]
    assert waiting and any(o["status"] == "dispatched" for o in waiting)


def test_backfill_shares_and_response_times_are_plausible(backfilled) -> None:
    path, _ = backfilled
    url = f"sqlite:///{path}"
    orders, logs = _orders(url), _logs(url)
    n = len(orders)
    acked = [o for o in orders if o["acknowledged_at"]]
    late_ack = sum(o["acknowledged_at"] > o["ack_due_at"] for o in acked) / len(acked)
    done = [o for o in orders if o["status"] in ("resolved", "closed")]
    late_res = sum(o["resolved_at"] > o["resolve_due_at"] for o in done) / len(done)
    returned = sum(o["return_count"] > 0 for o in orders) / n
    reopened = sum(o["reopen_count"] > 0 for o in orders) / n
    assert 0.04 <= late_ack <= 0.2 and 0.03 <= late_res <= 0.2
    assert 0.015 <= returned <= 0.1 and 0.025 <= reopened <= 0.12
    assert sum(o["status"] == "closed" for o in orders) / n > 0.7
    # a sample of the events reported by people: none of a sensor or camera
    with engine_for(url).connect() as conn:
        from cockpit.warehouse.schema import event, work_order_event

        channels = set(conn.execute(select(event.c.channel).join(work_order_event, work_order_event.c.event_id == event.c.id))
                       .scalars())
        rows = response_times(conn, EVERYTHING, start=NOW - timedelta(weeks=8), end=NOW, now=NOW, by="board")
        total = response_times(conn, EVERYTHING, start=NOW - timedelta(weeks=8), end=NOW, now=NOW)[0]
    assert channels and not channels & {"sensor", "camera"}
    assert {r["key"] for r in rows} == {"economy", "safety", "services"}
    for r in rows + [total]:
        assert 5 <= r["mtta_minutes"] <= 90, r
        assert 60 <= r["mttr_minutes"] <= 7 * 24 * 60, r
        assert r["overdue"] > 0 and r["closed"] > 0
    assert 15 <= total["mtta_minutes"] <= 60
    assert sum(len(v) for v in logs.values()) > 4 * n


def test_backfill_runs_once(warehouse, capsys, tmp_path, monkeypatch) -> None:
    from cockpit.demo import whistles

    with engine_for(warehouse).begin() as conn:  # the command's second part, the whistles, once too
        whistles.backfill(conn, seed=SEED, now=NOW)
    before = (_orders(warehouse), _logs(warehouse))
    with engine_for(warehouse).begin() as conn:
        again = field.backfill(conn, seed=SEED, now=NOW + timedelta(hours=1))
    assert again["done"] is False and again["orders"] == 0
    # the command: accounts and backfill already there, nothing done
    from cockpit.cli import main

    monkeypatch.setenv("COCKPIT_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("COCKPIT_NOW", NOW.isoformat())
    code = main(["demo-orders", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["backfill"]["done"] is False
    assert out["accounts"] == {**out["accounts"], "grid_workers": 0, "liaisons": 0, "operators": 0, "grid_duties": 0}
    assert sum(out["by_status"].values()) == len(before[0])
    assert (_orders(warehouse), _logs(warehouse)) == before


def test_demo_orders_on_a_fresh_warehouse_then_not_outside_demo_mode(sqlite_url, capsys, monkeypatch) -> None:
    from cockpit.cli import main

    with engine_for(sqlite_url).begin() as conn:
        wb.area_tree(conn)
        _events(conn, per_day=2, recent_per_day=4, days=20)
    monkeypatch.setenv("COCKPIT_WAREHOUSE_URL", sqlite_url)
    monkeypatch.setenv("COCKPIT_NOW", NOW.isoformat())
    assert main(["demo-orders"]) == 0
    text = capsys.readouterr().out
    assert "field accounts: 3 grid workers" in text and "backfill:" in text and "work orders:" in text
    assert _orders(sqlite_url)
    monkeypatch.setenv("COCKPIT_APP_DEMO", "false")
    assert main(["demo-orders", "--json"]) == 1
    assert "demo mode" in json.loads(capsys.readouterr().out)["error"]


# ---------------------------------------------------------------- live play
def _new_warning(conn, grid: str, opened: datetime, subject: str) -> dict:
    return ob.warning(conn, grid=grid, now=opened, subject=subject)


def test_a_live_step_dispatches_warnings_past_their_delay_and_leaves_a_persons(warehouse) -> None:
    engine = engine_for(warehouse)
    now = NOW + timedelta(minutes=30)
    made = {}
    with engine.begin() as conn:
        for k in range(40):  # opened 1 … 40 minutes before now
            w = _new_warning(conn, GRIDS[k % 5], now - timedelta(minutes=k + 1), f"live|{k}")
            made[w["id"]] = now - timedelta(minutes=k + 1)
        person = get_user(conn, "operator")
        taken = sorted(made)[-6:]
        for wid in taken[:3]:  # a person took these
            warning_states.transition(conn, wid, "acknowledged", person.username, now - timedelta(seconds=30),
                                      note="我来处理")
    with clock.pinned(now):
        done = field.dispatch_due(engine, seed=SEED, now=now)
    got = {d["warning"] for d in done}
    expected = {wid for wid, opened in made.items() if wid not in taken[:3]
                and (d := field.dispatch_delay(SEED, wid)) is not None and opened + d <= now}
    assert got == expected and 8 <= len(got) <= 30
    assert all(timedelta(minutes=5) <= now - made[w] for w in got)
    never = {wid for wid in made if field.dispatch_delay(SEED, wid) is None}
    assert never and not never & got  # left in the triage queue for a person
    with engine.connect() as conn:
        for wid in taken[:3]:
            assert warning_states.load(conn, wid)["status"] == "acknowledged"
        for d in done:
            assert warning_states.load(conn, d["warning"])["status"] == "dispatched"
    assert field.dispatch_due(engine, seed=SEED, now=now) == []  # nothing twice


def test_a_live_step_plays_the_field_but_not_the_login_able_accounts(warehouse) -> None:
    engine = engine_for(warehouse)
    t0 = NOW + timedelta(days=1)
    with engine.begin() as conn:
        op = get_user(conn, field.DUTY_OPERATOR)
        ids = {}
        for name, grid, to_dept, category in (("mine", wb.GRID_A11, False, "ECO-SANITATION"),
                                              ("field", wb.GRID_B11, False, "ECO-SANITATION"),
                                              ("police", wb.GRID_B11, True, "SAF-ORDER"),
                                              ("urban", wb.GRID_B11, True, "ECO-SANITATION")):
            eid = wb.event(conn, reported_at=t0 - timedelta(hours=3), grid_code=grid, category_code=category)
            ids[name] = dispatch_events(conn, [eid], op, assignee_user=None if to_dept else field.PROPOSED,
                                        now=t0 - timedelta(hours=3))["id"]
    mine = next(o for o in _orders(warehouse) if o["id"] == ids["mine"])
    assert mine["assignee_user"] == "grid_worker"
    seen: dict[int, list[str]] = {}
    for k in range(1, 60):  # an hour of live steps, a minute apart, then a day of hourly ones
        at = t0 + (timedelta(minutes=k) if k < 36 else timedelta(hours=k - 35))
        with clock.pinned(at):
            for d in field.act_due(engine, seed=SEED, now=at):
                seen.setdefault(d["order"], []).append(d["action"])
    assert ids["mine"] not in seen and ids["police"] not in seen  # a person does those
    assert seen[ids["field"]][0] in ("acknowledged", "returned") and seen[ids["urban"]][0] in ("acknowledged", "returned")
    # the person resolves theirs; the duty operator verifies it a few hours later
    with engine.begin() as conn:
        person = get_user(conn, "grid_worker")
        at = t0 + timedelta(days=1)
        act(conn, ids["mine"], "acknowledged", person, now=at)
        act(conn, ids["mine"], "resolved", person, note="已处理", now=at + timedelta(minutes=30))
    later = at + timedelta(hours=9)
    with clock.pinned(later):
        done = field.act_due(engine, seed=SEED, now=later)
    assert {"order": ids["mine"], "action": field.next_step(
        {**mine, "status": "resolved", "reopen_count": 0}, at, SEED).action, "by": field.DUTY_OPERATOR} in done
    with engine.connect() as conn:
        for o in _orders(warehouse):
            assert state_from_log(conn, o["id"]) == {k: o[k] for k in ("status", "department_code", "assignee_user")}


def test_the_simulator_goes_on_when_the_field_step_fails(tiny_dir, tmp_path) -> None:
    work = tmp_path / "sources"
    shutil.copytree(tiny_dir, work)
    stop = threading.Event()
    calls: list[datetime] = []

    def after_step(now: datetime) -> None:
        calls.append(now)
        if len(calls) == 2:
            stop.set()
        raise RuntimeError("warehouse down")

    with clock.pinned(datetime(2026, 11, 26, 9, 30)):
        simulate(work, interval_seconds=0, seed=3, stop=stop, after_step=after_step)
    assert len(calls) == 2


def test_the_live_player_is_only_for_demo_mode(tmp_path) -> None:
    from cockpit.config import load_config

    path = tmp_path / "c.toml"
    path.write_text("[app]\ndemo = false\n", encoding="utf-8")
    assert live.live_player(load_config(str(path))) is None
    path.write_text(f'[warehouse]\nurl = "sqlite:///{tmp_path / "not-migrated.db"}"\n', encoding="utf-8")
    player = live.live_player(load_config(str(path)))
    player(NOW)  # logs the failure, raises nothing


# ---------------------------------------------------------------- PostgreSQL
def test_backfill_on_postgresql(pg_url) -> None:
    engine = engine_for(pg_url)
    with engine.begin() as conn:
        wb.area_tree(conn)
        _events(conn, per_day=3, recent_per_day=10, days=21)
    with clock.pinned(NOW):
        ensure_demo_users(engine)
    with engine.begin() as conn:
        field.ensure_field_accounts(conn, now=NOW)
        report = field.backfill(conn, seed=SEED, now=NOW, share=0.5)
        again = field.backfill(conn, seed=SEED, now=NOW)
    assert report["done"] and report["orders"] > 20 and report["refused"] == 0 and again["done"] is False
    with engine.begin() as conn:
        ob.warning(conn, grid=wb.GRID_B11, now=NOW - timedelta(minutes=25), subject="pg|live")
    with clock.pinned(NOW + timedelta(hours=12)):
        live = field.play_step(engine, seed=SEED)
    assert live["acted"]
    orders = _orders(pg_url)
    with engine.connect() as conn:
        for o in orders:
            assert state_from_log(conn, o["id"]) == {k: o[k] for k in ("status", "department_code", "assignee_user")}
        total = response_times(conn, EVERYTHING, start=NOW - timedelta(weeks=8), end=NOW, now=NOW)[0]
        n = conn.execute(select(func.count()).select_from(work_order_log)).scalar_one()
    assert total["mtta_minutes"] > 0 and total["mttr_minutes"] > 0 and n > 3 * len(orders)
    assert {o["status"] for o in orders} >= {"closed"}


def test_demo_orders_help() -> None:
    import os
    import subprocess
    import sys

    from cockpit.config import ROOT

    res = subprocess.run([sys.executable, "-m", "cockpit", "demo-orders", "--help"], check=False, cwd=ROOT, capture_output=True,
                         text=True, timeout=60, env={k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")})
    assert res.returncode == 0 and res.stderr == ""
    assert res.stdout.startswith("usage: python -m cockpit demo-orders")
    assert "--json" in res.stdout and "Shape:" in res.stdout and "--step" in res.stdout
