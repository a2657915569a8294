"""A whistle's and a summons' life through the one transition path, on SQLite and PostgreSQL: the log
replays the state after every step, the log is append-only, each step is allowed only to its actor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection, func, select, text

from cockpit.warehouse.schema import audit_log, notice, responsibility_review, summons_log, whistle
from cockpit.whistles.actions import act, cancel_whistle
from cockpit.whistles.blow import blow_whistle, propose_departments, source_of
from cockpit.whistles.states import (
    SUMMONS,
    WHISTLE,
    NotAllowed,
    NoteRequired,
    RatingRequired,
    SummonsConflict,
    SummonsRefused,
    WhistleRefused,
)
from tests.orders import builders as ob

T0 = ob.T0


def _blow(conn: Connection, people: dict, **kw) -> dict:
    w = ob.warning(conn)
    return blow_whistle(conn, people["op"], warning_id=w["id"], departments=kw.pop("departments", ["urban", "police"]),
                        now=T0, **kw)


def _replays(conn: Connection, s: dict) -> None:
    assert SUMMONS.state_from_log(conn, s["id"]) == {"status": s["status"], "department_code": s["department_code"]}


def test_blow_summons_each_department_with_deadlines_and_a_notice(conn: Connection, people: dict) -> None:
    w = _blow(conn, people, urgent=True)
    assert [s["department_code"] for s in w["summons"]] == ["urban", "police"]
    assert [s["role"] for s in w["summons"]] == ["lead", "cooperate"]
    s = w["summons"][0]
    assert s["status"] == "summoned"
    assert s["ack_due_at"] == T0 + timedelta(minutes=30)
    assert s["arrive_due_at"] == T0 + timedelta(hours=2)
    assert s["resolve_due_at"] <= T0 + timedelta(hours=24)
    notices = conn.execute(select(notice.c.recipient).where(notice.c.kind == "summons")).scalars().all()
    assert sorted(notices) == ["department:police", "department:urban"]
    assert WHISTLE.state_from_log(conn, w["id"]) == {"status": "open"}
    _replays(conn, s)


def test_normal_whistle_gives_a_day_to_arrive(conn: Connection, people: dict) -> None:
    s = _blow(conn, people)["summons"][0]
    assert s["arrive_due_at"] == T0 + timedelta(hours=24)


def test_proposal_follows_the_responsibility_list(conn: Connection, people: dict) -> None:
    w = ob.warning(conn, category="ECO-SANITATION")
    proposed = propose_departments(conn, source_of(conn, warning_id=w["id"]))
    assert proposed[0][1] == "lead"
    assert len({d for d, _ in proposed}) == len(proposed)


def test_one_open_whistle_per_warning(conn: Connection, people: dict) -> None:
    w = ob.warning(conn)
    blow_whistle(conn, people["op"], warning_id=w["id"], departments=["urban"], now=T0)
    with pytest.raises(SummonsConflict):
        blow_whistle(conn, people["op"], warning_id=w["id"], departments=["urban"], now=T0)


def test_bad_whistles_are_refused(conn: Connection, people: dict) -> None:
    w = ob.warning(conn)
    with pytest.raises(WhistleRefused):
        blow_whistle(conn, people["op"], warning_id=w["id"], departments=["nosuch"], now=T0)
    with pytest.raises(WhistleRefused):
        blow_whistle(conn, people["op"], warning_id=w["id"], departments=[], now=T0)
    with pytest.raises(WhistleRefused):
        blow_whistle(conn, people["op"], warning_id=w["id"], departments=["urban"], ack_minutes=600,
                     arrive_minutes=60, now=T0)
    for who in ("zhao", "wang", "safehead", "root"):
        with pytest.raises(NotAllowed):
            blow_whistle(conn, people[who], warning_id=w["id"], departments=["urban"], now=T0)
    assert conn.execute(select(func.count()).select_from(whistle)).scalar() == 0


def test_a_full_life_verified_and_rated(conn: Connection, people: dict) -> None:
    w = _blow(conn, people)
    s = w["summons"][0]
    steps = [("acknowledged", "zhao", {}), ("arrived", "zhao", {}), ("resolved", "zhao", {"note": "清运完毕"}),
             ("reopened", "op", {"note": "仍有垃圾"}), ("resolved", "zhao", {"note": "再次清运"}),
             ("verified", "op", {"rating": 4, "note": "配合良好"})]
    for i, (action, who, kw) in enumerate(steps, 1):
        s = act(conn, s["id"], action, people[who], now=T0 + timedelta(minutes=10 * i), **kw)
        _replays(conn, s)
    assert s["status"] == "verified" and s["rating"] == 4 and s["reopen_count"] == 1
    assert s["acknowledged_at"] == T0 + timedelta(minutes=10)
    log = conn.execute(select(summons_log.c.action, summons_log.c.rating).where(summons_log.c.summons_id == s["id"])
                       .order_by(summons_log.c.id)).all()
    assert [a for a, _ in log] == ["summoned"] + [a for a, _, _ in steps]
    assert log[-1][1] == 4
    audits = conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.obj_type == "summons",
                                                                            audit_log.c.obj_id == str(s["id"]))).scalar()
    assert audits == len(steps) + 1
    # the other summons still runs: the whistle stays open until it ends
    assert WHISTLE.load(conn, w["id"])["status"] == "open"
    other = w["summons"][1]
    act(conn, other["id"], "contested", people["qian"], note="不属于公安职责", now=T0 + timedelta(hours=2))
    act(conn, other["id"], "contest_accepted", people["op"], now=T0 + timedelta(hours=3))
    assert WHISTLE.load(conn, w["id"])["status"] == "completed"
    flag = conn.execute(select(responsibility_review)).mappings().one()
    assert flag["department_code"] == "police" and flag["reason"] == "不属于公安职责"


def test_contest_rejected_returns_to_where_it_was_and_counts_as_a_response(conn: Connection, people: dict) -> None:
    s = _blow(conn, people)["summons"][0]
    s = act(conn, s["id"], "contested", people["zhao"], note="不归我们管", now=T0 + timedelta(minutes=5))
    assert s["acknowledged_at"] == T0 + timedelta(minutes=5) and s["contest_outcome"] == "pending"
    s = act(conn, s["id"], "contest_rejected", people["op"], note="属于城管职责", now=T0 + timedelta(minutes=20))
    assert s["status"] == "acknowledged" and s["contest_outcome"] == "rejected"
    _replays(conn, s)
    s = act(conn, s["id"], "arrived", people["zhao"], now=T0 + timedelta(minutes=40))
    s = act(conn, s["id"], "contested", people["zhao"], note="现场看确实不是", now=T0 + timedelta(minutes=50))
    s = act(conn, s["id"], "contest_rejected", people["op"], note="仍是", now=T0 + timedelta(minutes=55))
    assert s["status"] == "on_site"


def test_who_may_do_what(conn: Connection, people: dict) -> None:
    w = _blow(conn, people)
    urban, police = w["summons"]
    with pytest.raises(NotAllowed):  # another department's liaison
        act(conn, urban["id"], "acknowledged", people["qian"], now=T0)
    with pytest.raises(NotAllowed):  # the township does not acknowledge for the department
        act(conn, urban["id"], "acknowledged", people["op"], now=T0)
    with pytest.raises(NotAllowed):
        act(conn, urban["id"], "acknowledged", people["wang"], now=T0)
    act(conn, urban["id"], "acknowledged", people["zhao"], now=T0)
    act(conn, urban["id"], "arrived", people["zhao"], now=T0)
    act(conn, urban["id"], "resolved", people["zhao"], note="好了", now=T0)
    with pytest.raises(NotAllowed):  # a department does not rate itself
        act(conn, urban["id"], "verified", people["zhao"], rating=5, now=T0)
    with pytest.raises(NotAllowed):  # a board head follows read-only
        act(conn, urban["id"], "verified", people["safehead"], rating=5, now=T0)
    with pytest.raises(RatingRequired):
        act(conn, urban["id"], "verified", people["boss"], now=T0)
    with pytest.raises(RatingRequired):
        act(conn, urban["id"], "verified", people["boss"], rating=6, now=T0)
    act(conn, urban["id"], "verified", people["boss"], rating=5, now=T0)
    with pytest.raises(NoteRequired):
        act(conn, police["id"], "contested", people["qian"], note=" ", now=T0)
    with pytest.raises(SummonsRefused):  # not from summoned
        act(conn, police["id"], "resolved", people["qian"], note="x", now=T0)


def test_a_stale_view_conflicts(conn: Connection, people: dict) -> None:
    s = _blow(conn, people)["summons"][0]
    seen = dict(s)
    act(conn, s["id"], "acknowledged", people["zhao"], now=T0)
    with pytest.raises(SummonsConflict):
        act(conn, s["id"], "contested", people["zhao"], note="x", seen=seen, now=T0)


def test_cancelling_a_whistle_cancels_its_open_summons(conn: Connection, people: dict) -> None:
    w = _blow(conn, people)
    act(conn, w["summons"][0]["id"], "acknowledged", people["zhao"], now=T0)
    with pytest.raises(NoteRequired):
        cancel_whistle(conn, w["id"], people["op"], note="", now=T0)
    cancel_whistle(conn, w["id"], people["op"], note="误报", now=T0 + timedelta(minutes=1))
    statuses = {SUMMONS.load(conn, s["id"])["status"] for s in w["summons"]}
    assert statuses == {"cancelled"}
    assert WHISTLE.load(conn, w["id"])["status"] == "cancelled"


def test_the_logs_are_append_only(conn: Connection, people: dict) -> None:
    _blow(conn, people)
    for table in ("summons_log", "whistle_log"):
        with pytest.raises(Exception):
            with conn.begin_nested():
                conn.execute(text(f"UPDATE {table} SET note = 'x'"))
        with pytest.raises(Exception):
            with conn.begin_nested():
                conn.execute(text(f"DELETE FROM {table}"))
