"""The desk's reads (``queries.orders``) on hand-built work orders (SQLite and PostgreSQL): dispatched and
handled through the core (``dispatch_warning``, ``act``) at pinned times, then compared with what the
test computes itself from the orders' append-only log: MTTA and MTTR per board, department, village
and grid (and the period compared with), the list and its filters, today's orders, the triage queue,
one order's timeline, and what each role's scope lets through."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from statistics import mean

import pytest
from sqlalchemy import Connection, select, text

from cockpit.auth.roles import scope_for
from cockpit.orders import actions, dispatch
from cockpit.scope import EVERYTHING
from cockpit.warehouse.schema import work_order, work_order_log
from queries import orders as qo
from queries._base import clear_cache
from tests.orders import builders as ob
from tests.warnings import builders as wb

T0 = ob.T0  # Monday 2026-11-23 09:00
NOW = datetime(2026, 11, 26, 12, 0)  # the Thursday after: the week runs, the month runs


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def conn(db_url: str):
    """A transaction on a fresh warehouse with the warning tests' area tree (as tests/orders/conftest.py)."""
    from cockpit.warehouse.db import engine_for

    with engine_for(db_url).begin() as c:
        wb.area_tree(c)
        yield c


@pytest.fixture
def people(conn: Connection) -> dict:
    return ob.users(conn)


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def build(conn: Connection, people: dict) -> dict[str, int]:
    """Six orders of known times over boards, departments and grids; returns name -> order id.

    san_a11 (economy, urban, wang): ack +10, resolve +120, closed          (this week)
    san_a12 (economy, urban, liaisons): ack +40, resolve +300, reopened, resolved again +600
    traffic_a21 (safety, police, li): ack +5, nothing more (overdue by NOW: 48 h SLA)
    relief_a22 (services, civil affairs, liaisons): not acknowledged
    stall_b11 (safety, urban, liaisons): ack +90, resolved +200                  (township B)
    old_a11 (economy, urban, wang): dispatched the week before, ack +30, resolve +60
    dropped (safety, police): dismissed (left out of MTTA/MTTR)."""
    spec = (("san_a11", wb.GRID_A11, "ECO-SANITATION", "economy", "wang", 0),
            ("san_a12", wb.GRID_A12, "ECO-SANITATION", "economy", None, 15),
            ("traffic_a21", wb.GRID_A21, "SAF-TRAFFIC", "safety", "li", 30),
            ("relief_a22", wb.GRID_A22, "SRV-RELIEF", "services", None, 45),
            ("stall_b11", wb.GRID_B11, "SAF-STALL", "safety", None, 60),
            ("old_a11", wb.GRID_A11, "ECO-SANITATION", "economy", "wang", -7 * 24 * 60),
            ("dropped", wb.GRID_A21, "SAF-TRAFFIC", "safety", None, 75))
    made, when = {}, {}
    for name, grid, cat, board, worker, start in spec:
        w = ob.warning(conn, grid=grid, category=cat, board=board, subject=name, now=at(start - 1))
        made[name] = dispatch.dispatch_warning(conn, w["id"], people["op"], assignee_user=worker, now=at(start),
                                               seen={"status": w["status"], "level": w["level"],
                                                     "silence_id": w["silence_id"]})["id"]
        when[name] = start
    zhao, op = people["zhao"], people["op"]

    def do(name: str, action: str, user, minutes: float, **kw) -> None:
        actions.act(conn, made[name], action, user, now=at(when[name] + minutes), **kw)

    do("san_a11", "acknowledged", people["wang"], 10)
    do("san_a11", "resolved", people["wang"], 120, note="已清理")
    do("san_a11", "closed", op, 130)
    do("san_a12", "acknowledged", zhao, 40)
    do("san_a12", "resolved", zhao, 300, note="已清理")
    do("san_a12", "reopened", op, 320, note="仍有垃圾")
    do("san_a12", "resolved", zhao, 600, note="再次清理")
    do("traffic_a21", "acknowledged", people["li"], 5)
    do("stall_b11", "acknowledged", zhao, 90)
    do("stall_b11", "resolved", zhao, 200, note="已劝离")
    do("old_a11", "acknowledged", people["wang"], 30)
    do("old_a11", "resolved", people["wang"], 60, note="已清理")
    do("dropped", "dismissed", op, 10, note="重复")
    return made


def expected(conn: Connection, by: str, start: datetime, end: datetime) -> dict[str, tuple]:
    """Per group from the log, computed here: (orders, acknowledged, MTTA minutes, resolved, MTTR minutes)."""
    column = {"board": "o.board", "department": "o.department_code", "village": "o.village_code",
              "grid": "o.grid_code", "all": "'all'"}[by]
    orders = conn.execute(text(f"SELECT o.id, {column}, o.status FROM work_order o WHERE o.status <> 'dismissed'"),
                          ).all()
    logs = defaultdict(list)
    g = work_order_log.c  # typed columns: SQLite hands raw text back as strings
    for oid, action, when in conn.execute(select(g.order_id, g.action, g.at).order_by(g.id)):
        logs[oid].append((action, when))
    got: dict[str, list] = defaultdict(lambda: [0, [], [], 0])
    for oid, key, status in orders:
        steps = logs[oid]
        first = steps[0][1]
        if not (start <= first < end):
            continue
        g = got[key]
        g[0] += 1
        acks = [w for a, w in steps if a == "acknowledged"]
        if acks:
            g[1].append((acks[0] - first).total_seconds() / 60)
        if status in ("resolved", "closed"):
            g[2].append(([w for a, w in steps if a == "resolved"][-1] - first).total_seconds() / 60)
    return {k: (n, len(a), approx(mean(a)) if a else None, len(r), approx(mean(r)) if r else None)
            for k, (n, a, r, _) in got.items()}


def approx(minutes: float):
    """The core rounds its means to 0.1 minute."""
    return pytest.approx(minutes, abs=0.051)


def table(df) -> dict[str, tuple]:
    return {r["key"]: (r["orders"], r["acknowledged"], None if r["mtta_minutes"] is None or r["mtta_minutes"] != r["mtta_minutes"]
                       else r["mtta_minutes"], r["resolved"],
                       None if r["mttr_minutes"] is None or r["mttr_minutes"] != r["mttr_minutes"] else r["mttr_minutes"])
            for r in df.to_dict("records")}


@pytest.mark.parametrize("by", ["board", "department", "village", "grid"])
def test_mtta_and_mttr_per_group_match_the_log(conn: Connection, people: dict, by: str) -> None:
    build(conn, people)
    f, bad = qo.parse_order_filters({"view": "stats", "period": "week", "by": by}, NOW)
    assert not bad
    df = qo.response_times(conn, EVERYTHING, f, now=NOW)
    week = datetime(2026, 11, 23)
    want = expected(conn, by, week, NOW)
    want["all"] = expected(conn, "all", week, NOW)["all"]
    assert table(df) == want
    assert df.iloc[0]["key"] == "all"
    # the week before (a running week: compared with the same elapsed span of the week before)
    prev = expected(conn, "all", week - timedelta(days=7), NOW - timedelta(days=7))["all"]
    assert (int(df.iloc[0]["prev_orders"]), df.iloc[0]["prev_mtta_minutes"], df.iloc[0]["prev_mttr_minutes"]) == \
        (prev[0], prev[2], prev[4]) == (1, 30.0, 60.0)


def test_the_known_numbers(conn: Connection, people: dict) -> None:
    """The figures worked out by hand, so the test's own computation is checked too."""
    build(conn, people)
    f, _ = qo.parse_order_filters({"view": "stats", "period": "week", "by": "department"}, NOW)
    rows = table(qo.response_times(conn, EVERYTHING, f, now=NOW))
    # urban: san_a11 (10, 120), san_a12 (40, 600), stall_b11 (90, 200)
    assert rows["urban"] == (3, 3, approx((10 + 40 + 90) / 3), 3, approx((120 + 600 + 200) / 3))
    assert rows["police"] == (1, 1, 5.0, 0, None)  # the dismissed order is left out
    assert rows["civil_affairs"] == (1, 0, None, 0, None)
    df = qo.response_times(conn, EVERYTHING, f, now=NOW)
    urban = df[df["key"] == "urban"].iloc[0]
    assert (urban["closed"], urban["reopened"]) == (1, 1)
    assert urban["name_zh"] == conn.execute(text("SELECT name_zh FROM department WHERE code = 'urban'")).scalar()


def test_the_list_filters_and_overdue(conn: Connection, people: dict) -> None:
    made = build(conn, people)
    names = {v: k for k, v in made.items()}

    def listed(query: dict) -> set[str]:
        f, bad = qo.parse_order_filters({"view": "list", **query}, NOW)
        assert not bad, bad
        return {names[i] for i in qo.order_list(conn, EVERYTHING, f, now=NOW)["id"]}

    def sql(where: str) -> set[str]:
        return {names[i] for (i,) in conn.execute(text(f"SELECT id FROM work_order WHERE {where}"))}

    assert listed({}) == sql("status NOT IN ('closed', 'dismissed')")
    assert listed({"status": "all"}) == set(made)
    assert listed({"status": "resolved"}) == sql("status = 'resolved'") == {"san_a12", "stall_b11", "old_a11"}
    assert listed({"status": "all", "board": "safety"}) == sql("board = 'safety'")
    assert listed({"status": "all", "department": "urban"}) == sql("department_code = 'urban'")
    assert listed({"status": "all", "village": wb.VILLAGE_A2}) == sql(f"grid_code LIKE '{wb.VILLAGE_A2}%'")
    assert listed({"status": "all", "grid": wb.GRID_A11}) == {"san_a11", "old_a11"}
    assert listed({"status": "all", "category": "SAF-TRAFFIC"}) == {"traffic_a21", "dropped"}
    assert listed({"status": "all", "period": "week"}) == set(made) - {"old_a11"}
    # overdue: still to do past a deadline, computed here from the deadlines
    late = sql(f"status IN ('dispatched', 'acknowledged', 'on_site') AND (resolve_due_at <= '{NOW.isoformat(' ')}' "
               f"OR (status = 'dispatched' AND ack_due_at <= '{NOW.isoformat(' ')}'))")
    assert listed({"status": "overdue"}) == late == {"traffic_a21", "relief_a22"}
    df = qo.order_list(conn, EVERYTHING, qo.parse_order_filters({"status": "all"}, NOW)[0], now=NOW)
    rows = {names[r["id"]]: r for r in df.to_dict("records")}
    assert list(df["id"][:2].map(names)) in (["relief_a22", "traffic_a21"], ["traffic_a21", "relief_a22"])  # overdue first
    due = conn.execute(select(work_order.c.resolve_due_at).where(work_order.c.id == made["traffic_a21"])).scalar()
    assert rows["traffic_a21"]["late_minutes"] == int((NOW - due).total_seconds() // 60)
    assert rows["traffic_a21"]["assignee_user"] == "li" and rows["relief_a22"]["assignee_user"] is None


def test_bad_url_values_are_named_and_ignored() -> None:
    f, bad = qo.parse_order_filters({"view": "map", "status": "lost", "board": "x", "department": "bad code!",
                                     "village": "abc", "grid": "33099900200101", "category": "NOPE", "period": "decade",
                                     "by": "person"}, NOW, departments=("urban", "police"))
    assert set(bad) == {"view", "status", "board", "department", "village", "category", "period", "by"}
    assert (f.view, f.status, f.board, f.department, f.village, f.category, f.period, f.by) == \
        ("queue", "open", None, None, None, None, None, "department")
    _, bad = qo.parse_order_filters({"village": wb.VILLAGE_A1, "grid": wb.GRID_A21}, NOW)
    assert bad == ["grid"]  # a grid outside the chosen village
    _, bad = qo.parse_order_filters({"department": "finance"}, NOW, departments=("urban",))
    assert bad == ["department"]
    _, bad = qo.parse_order_filters({"period": "custom", "start": "2026-11-30", "end": "2026-11-01"}, NOW)
    assert bad == ["end"]
    f, bad = qo.parse_order_filters({"period": "custom", "start": "2026-11-01", "end": "2026-11-03", "view": "list"}, NOW)
    assert not bad and f.to_query() == {"view": "list", "period": "custom", "start": "2026-11-01", "end": "2026-11-03"}


def test_today_orders_and_the_queue(conn: Connection, people: dict) -> None:
    made = build(conn, people)
    today = qo.today_orders(conn, EVERYTHING, now=at(600))  # Monday 19:00
    day = T0.date()
    rows = conn.execute(text("SELECT id, status FROM work_order WHERE created_at >= :a AND created_at < :b "
                             "ORDER BY created_at DESC, id DESC"),
                        {"a": datetime.combine(day, datetime.min.time()),
                         "b": datetime.combine(day, datetime.min.time()) + timedelta(days=1)}).all()
    assert today["n"] == len(rows) == 6
    assert today["resolved"] == sum(s in ("resolved", "closed") for _, s in rows)
    assert list(today["rows"]["id"]) == [i for i, _ in rows]
    in_a = qo.today_orders(conn, EVERYTHING, now=at(60), area=wb.TOWNSHIP_A)
    assert made["stall_b11"] not in set(in_a["rows"]["id"])
    # the triage queue: open warnings not yet dispatched, most severe first
    extra = [ob.warning(conn, level=lv, subject=f"q{lv}", grid=wb.GRID_A22) for lv in ("yellow", "red", "orange")]
    q = qo.triage_queue(conn, EVERYTHING)
    assert list(q["id"]) == [extra[1]["id"], extra[2]["id"], extra[0]["id"]]
    assert qo.order_counts(conn, EVERYTHING, now=NOW)["queue"] == 3
    p = qo.dispatch_proposal(conn, EVERYTHING, extra[1]["id"])
    assert p["department_code"] == "urban" and p["seen"] == {"status": "new", "level": "red", "silence_id": None}
    dispatched = conn.execute(text("SELECT warning_id FROM work_order WHERE id = :i"), {"i": made["san_a11"]}).scalar()
    assert qo.dispatch_proposal(conn, EVERYTHING, dispatched) is None  # no longer in the queue


def test_one_order_with_its_timeline(conn: Connection, people: dict) -> None:
    made = build(conn, people)
    d = qo.order_detail(conn, EVERYTHING, made["san_a12"], now=NOW)
    steps = [(s["what"], s["action"]) for s in d["timeline"]]
    assert steps[0] == ("warning", "opened")
    assert [a for w, a in steps if w == "warning"] == ["opened", "dispatched", "order_resolved", "order_reopened",
                                                       "order_resolved"]
    assert [s["at"] for s in d["timeline"]] == sorted(s["at"] for s in d["timeline"])
    assert [a for w, a in steps if w == "order"] == ["dispatched", "acknowledged", "resolved", "reopened", "resolved"]
    assert d["order"]["seen"] == {"status": "resolved", "department_code": "urban", "assignee_user": None}
    assert d["warning"]["status"] == "resolved" and d["photos"] == []
    wid = d["order"]["warning_id"]
    assert qo.order_of_warning(conn, EVERYTHING, wid) == {"id": made["san_a12"], "status": "resolved"}


def test_each_role_sees_only_its_scope(conn: Connection, people: dict) -> None:
    made = build(conn, people)
    names = {v: k for k, v in made.items()}
    f, _ = qo.parse_order_filters({"status": "all", "view": "list"}, NOW)

    def seen(who: str) -> set[str]:
        return {names[i] for i in qo.order_list(conn, scope_for(people[who]), f, now=NOW)["id"]}

    def sql(where: str) -> set[str]:
        return {names[i] for (i,) in conn.execute(text(f"SELECT id FROM work_order WHERE {where}"))}

    assert seen("op") == seen("boss") == set(made)
    assert seen("safehead") == sql("board = 'safety'")
    assert seen("wang") == sql(f"grid_code LIKE '{wb.GRID_A11}%'") == {"san_a11", "old_a11"}
    assert seen("li") == sql(f"grid_code LIKE '{wb.VILLAGE_A2}%'")
    assert seen("zhao") == sql("department_code = 'urban' OR ',' || COALESCE(cooperating, '') || ',' LIKE '%,urban,%'")
    assert seen("qian") == sql("department_code = 'police'")
    # one order outside the scope: nothing of it, and no link from its warning
    wid = conn.execute(text("SELECT warning_id FROM work_order WHERE id = :i"), {"i": made["stall_b11"]}).scalar()
    for who in ("wang", "qian", "li"):
        sc = scope_for(people[who])
        assert qo.order_detail(conn, sc, made["stall_b11"], now=NOW) is None
        assert qo.order_of_warning(conn, sc, wid) is None
    # the statistics follow the scope: a board head's MTTA/MTTR cover their board's orders only
    fs, _ = qo.parse_order_filters({"view": "stats", "period": "week", "by": "board"}, NOW)
    assert set(qo.response_times(conn, scope_for(people["safehead"]), fs, now=NOW)["key"]) == {"all", "safety"}
    assert qo.today_orders(conn, scope_for(people["wang"]), now=at(60))["n"] == 1
