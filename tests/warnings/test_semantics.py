"""Warning semantics (the Alertmanager / PagerDuty model), on SQLite and PostgreSQL: a match opens a
warning, a new match of it joins it, its level rises and never falls by itself, a condition that
ends before anyone acted clears it, silences mute and expire, an unacknowledged warning escalates
after its SLA, a pass run twice changes nothing, and the history is append-only and says the state."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from cockpit.warehouse.db import engine_for
from cockpit.warehouse.schema import audit_log, notice, silence, warning, warning_evidence, warning_history
from cockpit.warnings import actions
from cockpit.warnings.engine import RuleResult, escalate, reconcile
from cockpit.warnings.model import Evidence, EvalContext, Match, Rule
from cockpit.warnings.rules import RuleSettings
from cockpit.warnings.silences import apply_silences, create_silence, end_silence
from cockpit.warnings.states import (ReasonRequired, TransitionRefused, WarningConflict, state_from_history,
                                     transition)
from tests.warnings.builders import GRID_A11, GRID_A21, TOWNSHIP_A, VILLAGE_A1, VILLAGE_A2

T0 = datetime(2026, 11, 18, 10, 0)
RULE = Rule(name="test_rule", kind="cluster", level="orange", board="safety", ack_sla_minutes=30, params={},
            category="SAF-DISPUTE", label_zh="测试", label_en="Test")
SETTINGS = RuleSettings(rules={RULE.name: RULE})
CTX_GRIDS = {GRID_A11: (VILLAGE_A1, 120.005, 29.805), GRID_A21: (VILLAGE_A2, 120.025, 29.805)}


def ctx(now: datetime) -> EvalContext:
    return EvalContext(now=now, townships={TOWNSHIP_A: "清溪镇"}, villages={VILLAGE_A1: TOWNSHIP_A, VILLAGE_A2: TOWNSHIP_A},
                       grids=CTX_GRIDS)


def ev(n: int) -> Evidence:
    return Evidence("event", "hotline", f"K{n}", T0 - timedelta(hours=n), row_id=n)


def match(evidence: list[int], level: str = "orange", grid: str = GRID_A11, subject: str = "S1") -> Match:
    return Match(subject=subject, level=level, township_code=TOWNSHIP_A, title=f"{len(evidence)} 位群众",
                 evidence=[ev(n) for n in evidence], grid_code=grid, measure=float(len(evidence)))


def run(conn: Connection, matches: list[Match], now: datetime) -> RuleResult:
    result = RuleResult(RULE.name, RULE.kind)
    reconcile(conn, RULE, matches, ctx(now), result)
    return result


def history(conn: Connection, wid: int) -> list[tuple]:
    h = warning_history.c
    return [tuple(r) for r in conn.execute(select(h.actor, h.action, h.from_status, h.to_status, h.from_level, h.to_level)
                                           .where(h.warning_id == wid).order_by(h.id))]


def warnings(conn: Connection) -> list[dict]:
    return [dict(r) for r in conn.execute(select(warning).order_by(warning.c.id)).mappings()]


def assert_state_is_history(conn: Connection) -> None:
    for w in warnings(conn):
        assert state_from_history(conn, w["id"]) == {k: w[k] for k in ("status", "level", "active", "silence_id")}


@pytest.fixture
def conn(db_url: str):
    with engine_for(db_url).begin() as c:
        yield c


def test_a_match_opens_a_warning_with_its_evidence_history_and_audit(conn: Connection) -> None:
    r = run(conn, [match([1, 2, 3])], T0)
    assert (r.matched, r.new, r.joined, r.raised, r.cleared) == (1, 1, 0, 0, 0)
    [w] = warnings(conn)
    assert (w["status"], w["level"], w["active"], w["village_code"], w["department_code"]) == \
        ("new", "orange", True, VILLAGE_A1, "justice")  # the category's responsible department
    assert w["ack_due_at"] == T0 + timedelta(minutes=30) and w["open_fingerprint"] == w["fingerprint"]
    assert conn.execute(select(func.count()).select_from(warning_evidence)).scalar() == 3 == w["evidence_count"]
    assert history(conn, w["id"]) == [("rules", "opened", None, "new", None, "orange")]
    assert conn.execute(select(audit_log.c.action).where(audit_log.c.obj_type == "warning")).scalars().all() == ["warning.open"]


def test_running_twice_changes_nothing(conn: Connection) -> None:
    run(conn, [match([1, 2, 3])], T0)
    before = (conn.execute(select(func.count()).select_from(warning_history)).scalar(), warnings(conn))
    r = run(conn, [match([1, 2, 3])], T0 + timedelta(minutes=5))
    assert (r.matched, r.new, r.joined, r.raised, r.cleared) == (1, 0, 0, 0, 0)
    assert (conn.execute(select(func.count()).select_from(warning_history)).scalar(), warnings(conn)) == before


def test_a_new_match_joins_the_open_warning_and_its_level_only_rises(conn: Connection) -> None:
    run(conn, [match([1, 2, 3])], T0)
    r = run(conn, [match([1, 2, 3, 4, 5, 6], level="red")], T0 + timedelta(minutes=5))
    assert (r.new, r.joined, r.raised) == (0, 1, 1)
    [w] = warnings(conn)
    assert (w["level"], w["evidence_count"], w["measure"]) == ("red", 6, 6.0)
    r = run(conn, [match([1, 2, 3, 4, 5, 6, 7], level="orange")], T0 + timedelta(minutes=10))  # weaker now: stays red
    assert (r.joined, r.raised) == (1, 0) and warnings(conn)[0]["level"] == "red"
    actions_ = [h[1] for h in history(conn, w["id"])]
    assert actions_ == ["opened", "joined", "level_raised", "joined"]
    assert conn.execute(select(warning_history.c.evidence_added).where(warning_history.c.action == "joined")
                        .order_by(warning_history.c.id)).scalars().all() == [3, 1]
    assert_state_is_history(conn)


def test_a_condition_that_ends_before_anyone_acted_clears_the_warning_without_deleting_it(conn: Connection) -> None:
    run(conn, [match([1, 2, 3])], T0)
    r = run(conn, [], T0 + timedelta(hours=1))
    assert r.cleared == 1
    [w] = warnings(conn)
    assert (w["status"], w["active"], w["open_fingerprint"], w["ended_at"]) == ("cleared", False, None, T0 + timedelta(hours=1))
    assert conn.execute(select(func.count()).select_from(warning_evidence)).scalar() == 3  # the record stays
    # the same complaints again do not reopen it; a new one does, as a new warning
    assert run(conn, [match([1, 2, 3])], T0 + timedelta(hours=2)).suppressed == 1
    r = run(conn, [match([2, 3, 4])], T0 + timedelta(hours=3))
    assert r.new == 1 and [w["status"] for w in warnings(conn)] == ["cleared", "new"]
    assert_state_is_history(conn)


def test_after_a_person_acted_the_condition_ending_is_recorded_not_cleared(conn: Connection) -> None:
    run(conn, [match([1, 2, 3])], T0)
    wid = warnings(conn)[0]["id"]
    actions.acknowledge(conn, wid, "duty", note="已联系网格员", now=T0 + timedelta(minutes=3))
    run(conn, [], T0 + timedelta(hours=1))
    w = warnings(conn)[0]
    assert (w["status"], w["active"]) == ("acknowledged", False)
    run(conn, [], T0 + timedelta(hours=2))  # said once
    run(conn, [match([1, 2, 3, 4])], T0 + timedelta(hours=3))
    assert [h[1] for h in history(conn, wid)] == ["opened", "acknowledged", "condition_gone", "joined", "condition_back"]
    assert warnings(conn)[0]["active"] is True
    assert_state_is_history(conn)


def test_a_dismissed_warning_does_not_come_back_on_the_same_evidence(conn: Connection) -> None:
    run(conn, [match([1, 2, 3])], T0)
    wid = warnings(conn)[0]["id"]
    with pytest.raises(ReasonRequired):
        actions.dismiss(conn, wid, "duty", reason="  ", now=T0)
    actions.dismiss(conn, wid, "duty", reason="重复反映，已在处理", now=T0 + timedelta(minutes=1))
    assert run(conn, [match([1, 2, 3])], T0 + timedelta(minutes=5)).suppressed == 1
    assert len(warnings(conn)) == 1
    audit = conn.execute(select(audit_log.c.actor, audit_log.c.action).where(audit_log.c.obj_type == "warning")
                         .order_by(audit_log.c.id)).all()
    assert [tuple(a) for a in audit] == [("rules", "warning.open"), ("duty", "warning.dismiss")]


def test_two_people_acting_at_once_one_wins_the_other_is_told(conn: Connection) -> None:
    run(conn, [match([1, 2, 3])], T0)
    seen = warnings(conn)[0]
    actions.acknowledge(conn, seen["id"], "duty", seen=seen, now=T0 + timedelta(minutes=1))
    with pytest.raises(WarningConflict):
        actions.acknowledge(conn, seen["id"], "lead", seen=seen, now=T0 + timedelta(minutes=1))
    with pytest.raises(TransitionRefused):  # and a second click without a stale view: not twice
        actions.acknowledge(conn, seen["id"], "duty", now=T0 + timedelta(minutes=2))
    assert [h[1] for h in history(conn, seen["id"])] == ["opened", "acknowledged"]


def test_escalation_one_level_per_sla_missed_until_acknowledged(conn: Connection) -> None:
    run(conn, [match([1, 2, 3], level="blue")], T0)
    wid = warnings(conn)[0]["id"]
    assert escalate(conn, T0 + timedelta(minutes=29, seconds=59), SETTINGS) == 0
    assert escalate(conn, T0 + timedelta(minutes=30), SETTINGS) == 1
    w = warnings(conn)[0]
    assert (w["level"], w["ack_due_at"]) == ("yellow", T0 + timedelta(minutes=60))
    assert escalate(conn, T0 + timedelta(minutes=30), SETTINGS) == 0  # idempotent at the same instant
    assert escalate(conn, T0 + timedelta(minutes=95), SETTINGS) == 2  # two more SLAs missed: orange, red
    assert warnings(conn)[0]["level"] == "red"
    assert escalate(conn, T0 + timedelta(hours=9), SETTINGS) == 0  # red is the top
    assert [h[1:] for h in history(conn, wid)][1:] == [
        ("escalated", "new", "new", "blue", "yellow"), ("escalated", "new", "new", "yellow", "orange"),
        ("escalated", "new", "new", "orange", "red")]
    run(conn, [match([1, 2, 3], level="blue", subject="S2")], T0)
    other = warnings(conn)[1]["id"]
    actions.acknowledge(conn, other, "duty", now=T0 + timedelta(minutes=10))
    assert escalate(conn, T0 + timedelta(hours=2), SETTINGS) == 0  # acknowledged: no escalation
    assert_state_is_history(conn)
    # the command centre was told of each escalation run, the leaders once it was red
    told = conn.execute(select(notice.c.recipient, notice.c.title, notice.c.group_key).where(notice.c.warning_id == wid)
                        .order_by(notice.c.id)).all()
    assert [r[0] for r in told] == ["role:operator", "role:operator", "role:leader"]
    assert told[-1][1].startswith("红色预警（超时未签收升级）") and told[-1][2].startswith("escalation|")


def test_silences_mute_without_losing_the_record_and_expire_by_themselves(conn: Connection) -> None:
    run(conn, [match([1, 2, 3]), match([4, 5, 6], grid=GRID_A21, subject="S2")], T0)
    in_a1, in_a2 = (w["id"] for w in warnings(conn))
    with pytest.raises(ReasonRequired):
        create_silence(conn, author="duty", reason="", ends_at=T0 + timedelta(hours=2), now=T0)
    with pytest.raises(TransitionRefused):
        create_silence(conn, author="duty", reason="施工", ends_at=T0 - timedelta(hours=1), now=T0)
    sid = create_silence(conn, author="duty", reason="道路施工期间的已知问题", rule=RULE.name, area_code=VILLAGE_A1,
                         ends_at=T0 + timedelta(hours=2), now=T0 + timedelta(minutes=1))
    muted = {w["id"]: w["silence_id"] for w in warnings(conn)}
    assert muted == {in_a1: sid, in_a2: None}
    # muted: still joined, not escalated
    run(conn, [match([1, 2, 3, 7]), match([4, 5, 6], grid=GRID_A21, subject="S2")], T0 + timedelta(minutes=40))
    assert escalate(conn, T0 + timedelta(minutes=40), SETTINGS) == 1  # only the unmuted one
    w1 = next(w for w in warnings(conn) if w["id"] == in_a1)
    assert (w1["level"], w1["evidence_count"], w1["silence_id"]) == ("orange", 4, sid)
    # expires by itself: the next pass lifts it; the silence's record stays
    assert apply_silences(conn, T0 + timedelta(hours=1, minutes=59), "rules") == (0, 0)
    assert apply_silences(conn, T0 + timedelta(hours=2), "rules") == (0, 1)
    assert warnings(conn)[0]["silence_id"] is None
    assert conn.execute(select(silence.c.reason).where(silence.c.id == sid)).scalar() == "道路施工期间的已知问题"
    assert [h[1] for h in history(conn, in_a1)] == ["opened", "silenced", "joined", "unsilenced"]
    audit = conn.execute(select(audit_log.c.action).where(audit_log.c.obj_type == "silence")).scalars().all()
    assert audit == ["silence.create"]
    assert_state_is_history(conn)


def test_ending_a_silence_early_unmutes_at_once(conn: Connection) -> None:
    run(conn, [match([1, 2, 3])], T0)
    sid = create_silence(conn, author="duty", reason="误报排查中", ends_at=T0 + timedelta(days=1), now=T0)
    assert warnings(conn)[0]["silence_id"] == sid
    end_silence(conn, sid, "lead", now=T0 + timedelta(hours=1))
    assert warnings(conn)[0]["silence_id"] is None
    assert conn.execute(select(silence.c.ends_at).where(silence.c.id == sid)).scalar() == T0 + timedelta(hours=1)


def test_the_history_is_append_only(conn: Connection, db_url: str) -> None:
    run(conn, [match([1, 2, 3])], T0)
    conn.commit()
    eng = engine_for(db_url)
    for stmt in (update(warning_history).values(actor="someone"), delete(warning_history)):
        with pytest.raises(DBAPIError, match="append-only"):
            with eng.begin() as c:
                c.execute(stmt)
    if eng.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            with eng.begin() as c:
                c.execute(text("TRUNCATE warning_history CASCADE"))


def test_an_unknown_or_disallowed_action_is_refused(conn: Connection) -> None:
    run(conn, [match([1, 2, 3])], T0)
    wid = warnings(conn)[0]["id"]
    with pytest.raises(TransitionRefused):
        transition(conn, wid, "flown", "duty", T0)
    with pytest.raises(TransitionRefused):
        transition(conn, wid, "condition_gone", "rules", T0)  # only for a warning someone has
