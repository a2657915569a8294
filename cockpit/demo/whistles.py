"""Demo life of whistles (街乡吹哨): the duty operator summons several departments to problems that
concern them, the departments' liaisons answer each in the manner of their department, and the
township verifies and rates, so the whistle desk and the department ranking (部门报到考核) have a
real history and a real spread on a fresh ``make run``. Demo mode only (``app.demo``); it follows
``cockpit.demo.field``.

- Personas: every department that can be summoned plays one, drawn from the demo seed (``personas``):
  ``good`` (acknowledges in minutes, arrives and resolves on time, rated 4–5), ``contester``
  (contests often, some accepted, some rejected), ``late`` and ``very_late`` (misses deadlines,
  rated 2–3, sometimes reopened) and ``absent`` (ignores many summons: the township closes them with
  a rating of 1). The departments on the most multi-department categories of the responsibility list
  take one of each, so every grade appears; the others draw one.
- ``backfill``: after the first load and the work-order backfill, whistles over the past 8 weeks and
  this week so far: events of categories that concern several departments (not yet in any order)
  become work orders to the responsible department, on which the duty operator blows the whistle;
  the orders and the summons are played through their lives at past times in one chronological
  pass, with the overdue escalation at the times the scheduler would have run it. Enough cases per
  department and week that most departments are scored; one or two departments get only a few a
  month (样本不足). The latest summons are left open (some overdue), and the login-able
  ``liaison_police`` finds a couple to answer by hand. Idempotent.
- ``play_step``: one live step: now and then a whistle on a fresh warning that concerns several
  departments, the summoned departments' steps when their drawn delay has passed, the township's
  verification, and the overdue marks. The login-able liaison's steps are a person's: not played.

Every change goes through the core (``dispatch_events``, ``blow_whistle``, ``cockpit.whistles.actions.act``,
``cockpit.orders.actions.act``, ``escalate_overdue``, ``escalate_overdue_summons``). A life is
deterministic: every delay and every fate is drawn from the demo seed and the summons' id.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import Connection, Engine, exists, func, select

from cockpit import clock
from cockpit.auth.users import User, get_user
from cockpit.demo import field
from cockpit.orders.dispatch import dispatch_events
from cockpit.orders.overdue import escalate_overdue
from cockpit.orders.routing import responsible
from cockpit.orders.states import WORKING_STATUSES as ORDER_WORKING, OrderError
from cockpit.warehouse.schema import (event, responsibility, summons, summons_log, warning, whistle, work_order,
                                      work_order_event)
from cockpit.warnings import states as warning_states
from cockpit.whistles import actions as summons_actions
from cockpit.whistles.blow import blow_whistle, propose_departments, source_of
from cockpit.whistles.overdue import escalate_overdue_summons
from cockpit.whistles.states import SUMMONS_OPEN, WORKING, SummonsError

log = logging.getLogger(__name__)

DUTY_OPERATOR = field.DUTY_OPERATOR
LOGINABLE = field.LOGINABLE
NOT_SUMMONED = frozenset({"township"})  # the township blows the whistle: it does not summon itself

# the backfill
BACKFILL_WEEKS = 8  # and this week so far
WEEKLY_TARGET = 6  # cases per department and week the sample aims at
SAMPLE_SHARE = 0.7  # of the candidate events, before the weekly target
RARE_MONTHLY = 3  # cases a month of the departments left with too few (样本不足)
URGENT = 0.25
ORDER_MINUTES = (3, 25)  # from the report to the work order
BLOW_MINUTES = (5, 40)  # from the work order to the whistle
HANDOVER_HOURS = field.HANDOVER_HOURS
PERSON_SUMMONS = 2  # open summons the login-able liaison finds, the older one past its deadline
# live play
LIVE_SHARE = 0.2  # of the fresh warnings that concern several departments
LIVE_BLOW_MINUTES = (10, 45)
LIVE_WINDOW_HOURS = 6  # only warnings opened this recently get a whistle
LIVE_MAX_ACTIONS = 60

NOTES = {
    "blow": ("多部门联动处置，请按时报到", "涉及多个部门职责，请联合处置", "群众反映强烈，请相关部门到场会商"),
    "resolved": ("已联合现场处置，问题已解决", "已落实整改措施，现场恢复正常", "已会同属地完成处置并回访",
                 "已依职责完成处置，相关材料已上传"),
    "resolved_again": ("已按镇街意见返工，问题彻底解决", "返工完成，已请属地现场确认"),
    "contested": ("该事项不属本部门职责，建议由属地或其他部门牵头", "经核查，该问题属其他部门监管范围",
                  "事项已移交行业主管部门，不属本部门职责"),
    "contest_accepted": ("经核实申辩理由成立，不计入本部门考核", "申辩成立，已提请调整职责清单"),
    "contest_rejected": ("申辩理由不成立：职责清单明确由该部门配合", "申辩不予采纳，请按时到场处置"),
    "reopened": ("核验未通过：现场问题仍存在，请返工", "核验未通过：整改不到位，请返工"),
    "verified": ("响应及时，处置到位", "配合较好", "处置基本到位，响应偏慢", "多次催办才到场"),
    "closed": ("部门未按时报到，镇街另行处置后关闭", "多次催办无回应，镇街关闭此次报到"),
}


# ---------------------------------------------------------------- personas
@dataclass(frozen=True)
class Persona:
    """How a department answers its summons: the chance of each fate and the ratings it earns."""

    name: str  # good | contester | late | very_late | absent
    ignore: float  # never answers: the township closes it with a rating of 1
    contest: float  # answers "not ours"
    accept: float  # of the contests, accepted
    late_ack: float
    late_arrive: float
    late_resolve: float
    reopen: float  # 返工 at verification
    ratings: tuple[int, ...]


PERSONAS: dict[str, Persona] = {
    "good": Persona("good", 0.0, 0.03, 0.5, 0.03, 0.05, 0.05, 0.03, (4, 5, 5, 5)),
    "contester": Persona("contester", 0.0, 0.35, 0.5, 0.08, 0.2, 0.15, 0.05, (3, 4, 4)),
    "late": Persona("late", 0.0, 0.05, 0.3, 0.3, 0.4, 0.35, 0.15, (3, 3, 3, 4)),
    "very_late": Persona("very_late", 0.03, 0.05, 0.3, 0.35, 0.5, 0.45, 0.2, (2, 3, 3, 3)),
    "absent": Persona("absent", 0.5, 0.05, 0.3, 0.4, 0.5, 0.5, 0.15, (2, 3)),
}
LADDER = ("good", "absent", "late", "contester", "very_late")  # one each for the most summoned departments
DRAWN = (("good", 3), ("late", 2), ("contester", 1), ("absent", 1))  # the others: drawn with these weights


def summonable(conn: Connection) -> list[str]:
    """The departments a whistle may summon, those on the most multi-department categories of the
    responsibility list first (their own summons the most)."""
    r = responsibility.c
    by_category: dict[str, set[str]] = {}
    for cat, dept in conn.execute(select(r.category_code, r.department_code)):
        if dept not in NOT_SUMMONED:
            by_category.setdefault(cat, set()).add(dept)
    weight: dict[str, int] = {}
    for depts in by_category.values():
        if len(depts) >= 2:
            for d in depts:
                weight[d] = weight.get(d, 0) + 1
    return sorted(weight, key=lambda d: (-weight[d], d))


def personas(conn: Connection, seed: int) -> dict[str, Persona]:
    """Each summonable department's persona, from the seed: the first ``len(LADDER)`` departments
    take the ladder's personas in a drawn order, the others draw one (a department not on the list
    plays ``good``)."""
    depts = summonable(conn)
    ladder = list(LADDER)
    random.Random(f"{seed}:personas").shuffle(ladder)
    found = {d: PERSONAS[p] for d, p in zip(depts, ladder)}
    names, weights = zip(*DRAWN)
    for d in depts[len(ladder):]:
        found[d] = PERSONAS[random.Random(f"{seed}:persona:{d}").choices(names, weights)[0]]
    return found


def persona_for(found: Mapping[str, Persona], department_code: str) -> Persona:
    return found.get(department_code) or PERSONAS["good"]


# ---------------------------------------------------------------- a summons' life
@dataclass(frozen=True)
class SummonsFate:
    ignored: bool
    contests: bool
    accepted: bool
    late_ack: bool
    late_arrive: bool
    late_resolve: bool
    reopened: bool
    rating: int


def fate_of(seed: int, summons_id: int, persona: Persona) -> SummonsFate:
    r = random.Random(f"{seed}:summons-fate:{summons_id}")
    return SummonsFate(r.random() < persona.ignore, r.random() < persona.contest, r.random() < persona.accept,
                       r.random() < persona.late_ack, r.random() < persona.late_arrive,
                       r.random() < persona.late_resolve, r.random() < persona.reopen,
                       persona.ratings[r.randrange(len(persona.ratings))])


@dataclass(frozen=True)
class Step:
    """The next thing done to a summons: the action, when, by whom (department or township), the
    status it is planned from, its note and rating."""

    action: str
    at: datetime
    by: str
    status: str
    note: str | None = None
    rating: int | None = None


def _minutes(m: float) -> timedelta:
    return timedelta(seconds=round(max(m, 1.0) * 60))


def _within(start: datetime, due: datetime, r: random.Random, floor: float = 5.0) -> datetime:
    """A time well before ``due`` (or a little after ``start`` if it has passed)."""
    span = (due - start).total_seconds() / 60
    if span <= floor:
        return start + _minutes(r.uniform(floor, 3 * floor))
    return start + _minutes(max(floor, span * 0.9 * r.betavariate(2, 3)))


def next_step(s: Mapping[str, Any], entered_at: datetime, persona: Persona, seed: int) -> Step | None:
    """The summons' next step, ``entered_at`` being when it entered its status; None once it ended."""
    status = s["status"]
    if status not in SUMMONS_OPEN:
        return None
    f = fate_of(seed, s["id"], persona)
    reopens = s.get("reopen_count") or 0
    r = random.Random(f"{seed}:summons-step:{s['id']}:{status}:{reopens}:{s.get('contest_outcome')}")

    def pick(kind: str) -> str:
        return NOTES[kind][r.randrange(len(NOTES[kind]))]

    if status == "summoned":
        if f.ignored:  # nobody answers: the township closes it after the arrival deadline
            return Step("closed", s["arrive_due_at"] + _minutes(r.uniform(60, 12 * 60)), "township", status,
                        pick("closed"), 1)
        if f.contests and s.get("contest_outcome") is None:
            return Step("contested", _within(entered_at, s["ack_due_at"], r, 2), "department", status,
                        pick("contested"))
        if f.late_ack:
            return Step("acknowledged", s["ack_due_at"] + _minutes(r.uniform(5, 180)), "department", status)
        return Step("acknowledged", _within(entered_at, s["ack_due_at"], r, 2), "department", status)
    if status == "contested":
        at = entered_at + _minutes(r.uniform(30, 6 * 60))
        if f.accepted:
            return Step("contest_accepted", at, "township", status, pick("contest_accepted"))
        return Step("contest_rejected", at, "township", status, pick("contest_rejected"))
    if status == "acknowledged":
        if f.late_arrive:
            return Step("arrived", max(entered_at, s["arrive_due_at"]) + _minutes(r.uniform(15, 8 * 60)), "department",
                        status)
        return Step("arrived", _within(entered_at, s["arrive_due_at"], r, 10), "department", status)
    if status == "on_site":
        if reopens:
            return Step("resolved", entered_at + _minutes(r.uniform(2 * 60, 24 * 60)), "department", status,
                        pick("resolved_again"))
        if f.late_resolve:
            at = max(entered_at, s["resolve_due_at"]) + _minutes(r.uniform(2 * 60, 3 * 24 * 60))
        else:
            at = _within(entered_at, s["resolve_due_at"], r, 30)
        return Step("resolved", at, "department", status, pick("resolved"))
    # resolved: the township verifies and rates
    if f.reopened and reopens == 0:
        return Step("reopened", entered_at + _minutes(r.uniform(60, 8 * 60)), "township", status, pick("reopened"))
    note = NOTES["verified"][min(len(NOTES["verified"]) - 1, max(0, 5 - f.rating))]
    return Step("verified", entered_at + _minutes(r.uniform(30, 6 * 60)), "township", status, note, f.rating)


class _Actors:
    """The accounts that play a summons: the department's liaison, the township's duty operator."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._users: dict[str, User | None] = {}
        self._liaison: dict[str, str | None] = {}

    def user(self, name: str) -> User | None:
        if name not in self._users:
            self._users[name] = get_user(self.conn, name)
        return self._users[name]

    def liaison(self, department_code: str) -> str | None:
        if department_code not in self._liaison:
            names = field._liaisons(self.conn, department_code)
            self._liaison[department_code] = names[0] if names else None
        return self._liaison[department_code]

    def for_step(self, s: Mapping[str, Any], step: Step) -> User | None:
        if step.by == "township":
            return self.user(DUTY_OPERATOR)
        name = self.liaison(s["department_code"])
        return self.user(name) if name else None


def _do(conn: Connection, s: Mapping[str, Any], step: Step, user: User, at: datetime) -> dict:
    return summons_actions.act(conn, s["id"], step.action, user, note=step.note, rating=step.rating, seen=s, now=at)


# ---------------------------------------------------------------- the backfill
def backfilled(conn: Connection) -> bool:
    """Whether the backfill ran: whistles the duty operator blew on work orders exist."""
    c = whistle.c
    return conn.execute(select(exists().where(c.created_by == DUTY_OPERATOR, c.order_id.is_not(None)))).scalar()


def _departments_by_category(conn: Connection) -> dict[str, list[str]]:
    """Per category that concerns several departments: the departments a whistle summons, the
    responsible one first."""
    out: dict[str, list[str]] = {}
    for cat in sorted(set(conn.execute(select(responsibility.c.category_code)).scalars())):
        lead, cooperating = responsible(conn, cat)
        depts = [d for d in dict.fromkeys((lead, *cooperating)) if d and d not in NOT_SUMMONED]
        if len(depts) >= 2 and lead not in NOT_SUMMONED:
            out[cat] = depts
    return out


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _sample(conn: Connection, seed: int, start: datetime, end: datetime, *, weekly: int, share: float,
            rare_monthly: int, rare: int) -> tuple[list[tuple], list[str]]:
    """(order time, event id, departments, urgent) of the sampled events by time, and the departments
    left with few cases. In time order, an event is taken (``share`` of them) while one of its
    departments has fewer than ``weekly`` cases that week; a rare department at most ``rare_monthly``
    a month."""
    by_cat = _departments_by_category(conn)
    e, we = event.c, work_order_event.c
    rows = conn.execute(select(e.id, e.reported_at, e.category_code).where(
        e.reported_at >= start, e.reported_at < end, e.duplicate_of.is_(None), e.category_code.in_(sorted(by_cat)),
        e.id.not_in(select(we.event_id))).order_by(e.reported_at, e.id)).all()
    seen: dict[str, int] = {}
    for _, _, cat in rows:
        for d in by_cat[cat]:
            seen[d] = seen.get(d, 0) + 1
    ladder = set(summonable(conn)[:len(LADDER)])
    rare_depts = sorted((d for d in seen if d not in ladder), key=lambda d: (seen[d], d))[:rare]
    weeks: dict[tuple[date, str], int] = {}
    months: dict[tuple[int, int, str], int] = {}
    out: list[tuple] = []
    for eid, reported, cat in rows:
        r = random.Random(f"{seed}:whistle:{eid}")
        if r.random() >= share:
            continue
        at = reported + _minutes(r.uniform(*ORDER_MINUTES))
        month = (at.year, at.month)
        depts = [d for d in by_cat[cat] if d not in rare_depts or months.get((*month, d), 0) < rare_monthly]
        if len(depts) < 2 or depts[0] != by_cat[cat][0] or at >= end:
            continue
        week = _monday(at.date())
        if all(weeks.get((week, d), 0) >= weekly for d in depts if d not in rare_depts):
            continue
        for d in depts:
            weeks[(week, d)] = weeks.get((week, d), 0) + 1
            months[(*month, d)] = months.get((*month, d), 0) + 1
        out.append((at, eid, depts, r.random() < URGENT))
    return out, rare_depts


def backfill(conn: Connection, *, seed: int, now: datetime | None = None, config: Any = None,
             weeks: int = BACKFILL_WEEKS, weekly: int = WEEKLY_TARGET, share: float = SAMPLE_SHARE,
             rare_monthly: int = RARE_MONTHLY) -> dict[str, Any]:
    """Whistles of the past ``weeks`` (and this week so far), played through their lives up to
    ``now`` in the caller's transaction. Does nothing if it already ran. Returns what it did."""
    now = now or clock.now()
    t0 = time.monotonic()
    if backfilled(conn):
        return {"done": False, "reason": "already backfilled", "whistles": 0, "summons": 0, "actions": 0,
                "escalations": 0}
    operator = get_user(conn, DUTY_OPERATOR)
    if operator is None:
        raise RuntimeError(f"no {DUTY_OPERATOR} account: run ensure_field_accounts first")
    start = clock.midnight(_monday(now.date())) - timedelta(weeks=weeks)
    found = personas(conn, seed)
    rare = 2 if len(found) >= 10 else 1
    sample, rare_depts = _sample(conn, seed, start, now, weekly=weekly, share=share, rare_monthly=rare_monthly,
                                 rare=rare)
    orders_actors, actors = field._Actors(conn), _Actors(conn)
    seq = itertools.count()
    heap: list[tuple] = [(at, next(seq), "order", (eid, depts, urgent)) for at, eid, depts, urgent in sample]
    heapq.heapify(heap)
    checks: set[datetime] = set()
    stats = {"orders": 0, "whistles": 0, "summons": 0, "actions": 0, "order_actions": 0, "escalations": 0,
             "refused": 0}
    lag = timedelta(minutes=field.ESCALATION_MINUTES)
    handover = now - timedelta(hours=HANDOVER_HOURS)

    def check_at(deadline: datetime, current: datetime) -> None:
        """The scheduler's next escalation run after the deadline (and not before the current step)."""
        base = max(deadline, current)
        t = clock.midnight(base.date()) + lag * (-(-(base - clock.midnight(base.date())) // lag))
        if t <= now and t not in checks:
            checks.add(t)
            heapq.heappush(heap, (t, next(seq), "check", None))

    def plan_order(order: Mapping[str, Any], entered: datetime) -> None:
        step = field.next_step(order, entered, seed)
        when = step.at if step else None
        if order["status"] in ORDER_WORKING:
            if order["status"] == "dispatched" and (when is None or when > order["ack_due_at"]):
                check_at(order["ack_due_at"], entered)
            if when is None or when > order["resolve_due_at"]:
                check_at(order["resolve_due_at"], entered)
        if step is not None and step.at <= now:
            heapq.heappush(heap, (step.at, next(seq), "order_step", (order["id"], step)))

    def plan(s: Mapping[str, Any], entered: datetime) -> None:
        step = next_step(s, entered, persona_for(found, s["department_code"]), seed)
        when = step.at if step else None
        if s["status"] in WORKING:
            for due, met in (("ack_due_at", "acknowledged_at"), ("arrive_due_at", "arrived_at"),
                             ("resolve_due_at", "resolved_at")):
                if s[met] is None and (when is None or when > s[due]):
                    check_at(s[due], entered)
        if step is not None and step.at <= now:
            heapq.heappush(heap, (step.at, next(seq), "summons", (s["id"], step)))

    while heap:
        at, _, kind, payload = heapq.heappop(heap)
        try:
            if kind == "check":
                stats["escalations"] += escalate_overdue_summons(conn, at)
                escalate_overdue(conn, at)
            elif kind == "order":
                eid, depts, urgent = payload
                with conn.begin_nested():
                    order = dispatch_events(conn, [eid], operator, assignee_user=None, now=at, config=config)
                stats["orders"] += 1
                plan_order(order, at)
                blow = at + _minutes(random.Random(f"{seed}:blow:{eid}").uniform(*BLOW_MINUTES))
                if blow <= now:
                    heapq.heappush(heap, (blow, next(seq), "blow", (order["id"], depts, urgent)))
            elif kind == "blow":
                oid, depts, urgent = payload
                note = NOTES["blow"][oid % len(NOTES["blow"])]
                with conn.begin_nested():
                    w = blow_whistle(conn, operator, order_id=oid, departments=depts, urgent=urgent, note=note,
                                     now=at, config=config)
                stats["whistles"] += 1
                for s in conn.execute(select(summons).where(summons.c.whistle_id == w["id"])
                                      .order_by(summons.c.id)).mappings().all():
                    stats["summons"] += 1
                    plan(dict(s), at)
            elif kind == "order_step":
                oid, step = payload
                order = conn.execute(select(work_order).where(work_order.c.id == oid)).mappings().one()
                if order["status"] != step.status:
                    continue
                user = orders_actors.for_step(order, step, live=False)
                if user is None or (user.username in LOGINABLE and at > handover):
                    continue
                order = field._do(conn, oid, step, user, at, config)
                stats["order_actions"] += 1
                plan_order(order, at)
            else:
                sid, step = payload
                s = conn.execute(select(summons).where(summons.c.id == sid)).mappings().one()
                if s["status"] != step.status:
                    continue
                user = actors.for_step(s, step)
                if user is None or (user.username in LOGINABLE and at > handover):  # the person's now
                    continue
                s = _do(conn, dict(s), step, user, at)
                stats["actions"] += 1
                plan(s, at)
        except (SummonsError, OrderError, warning_states.WarningError) as exc:
            stats["refused"] += 1
            log.debug("demo whistles backfill: %s %s refused: %s", kind, payload, exc.message)
    stats["whistles"] += _person_summons(conn, operator, now, config)
    stats["escalations"] += escalate_overdue_summons(conn, now)
    return {"done": True, **stats, "events_sampled": len(sample), "rare": rare_depts,
            "personas": {d: p.name for d, p in sorted(found.items())}, "seconds": round(time.monotonic() - t0, 2)}


def _person_summons(conn: Connection, operator: User, now: datetime, config: Any) -> int:
    """New summons for each login-able liaison who has fewer than ``PERSON_SUMMONS`` to acknowledge:
    whistles with the liaison's department among those summoned, blown 20 and 50 minutes ago (the
    older past its acknowledgement deadline), on the latest open work order without one, or on a
    work order the duty operator makes of the latest such event in no order."""
    made = 0
    by_cat = _departments_by_category(conn)
    s, wo, e, we = summons.c, work_order.c, event.c, work_order_event.c
    for name in sorted(LOGINABLE):
        user = get_user(conn, name)
        dept = getattr(user, "department_code", None)
        if not dept or user.role != "department_liaison" or user.disabled:  # type: ignore[union-attr]
            continue
        have = conn.execute(select(func.count()).where(s.department_code == dept, s.status == "summoned")).scalar()
        cats = sorted(c for c, depts in by_cat.items() if dept in depts)
        for minutes in (20, 50)[:max(0, PERSON_SUMMONS - have)]:
            at = now - timedelta(minutes=minutes)
            try:
                with conn.begin_nested():
                    order = conn.execute(select(wo.id, wo.category_code).where(
                        wo.status.in_(ORDER_WORKING), wo.category_code.in_(cats), wo.created_at <= at,
                        ~exists().where(whistle.c.order_id == wo.id)).order_by(wo.created_at.desc(), wo.id.desc())
                        .limit(1)).first()
                    if order is None:
                        eid = conn.execute(select(e.id).where(
                            e.category_code.in_(cats), e.duplicate_of.is_(None),
                            e.reported_at <= at - timedelta(minutes=10), e.id.not_in(select(we.event_id)))
                            .order_by(e.reported_at.desc(), e.id.desc()).limit(1)).scalar()
                        if eid is None:
                            break
                        made_order = dispatch_events(conn, [eid], operator, assignee_user=None,
                                                     now=at - timedelta(minutes=5), config=config)
                        order = (made_order["id"], made_order["category_code"])
                    blow_whistle(conn, operator, order_id=order[0], departments=by_cat[order[1]], urgent=minutes == 50,
                                 note=NOTES["blow"][0], now=at, config=config)
                made += 1
            except (SummonsError, OrderError) as exc:
                log.debug("demo whistles backfill: no whistle for %s: %s", name, exc.message)
    return made


# ---------------------------------------------------------------- live play
def blow_delay(seed: int, warning_id: int) -> timedelta | None:
    """How long after its opening the duty operator blows the whistle on a warning that concerns
    several departments; None: never."""
    r = random.Random(f"{seed}:whistle-warning:{warning_id}")
    if r.random() >= LIVE_SHARE:
        return None
    return _minutes(r.uniform(*LIVE_BLOW_MINUTES))


def blow_due(engine: Engine, *, seed: int, now: datetime, config: Any = None) -> list[dict]:
    """The duty operator blows the whistle on the fresh warnings whose drawn delay has passed and
    that concern several departments; each in its own transaction, a refusal skipped quietly."""
    w = warning.c
    done: list[dict] = []
    with engine.connect() as conn:
        operator = get_user(conn, DUTY_OPERATOR)
        rows = conn.execute(select(w.id, w.opened_at).where(
            w.status.in_(warning_states.OPEN_STATUSES), w.active.is_(True),
            w.opened_at >= now - timedelta(hours=LIVE_WINDOW_HOURS),
            w.opened_at <= now - timedelta(minutes=LIVE_BLOW_MINUTES[0]),
            ~exists().where(whistle.c.warning_id == w.id)).order_by(w.opened_at, w.id)).all()
    if operator is None:
        return done
    for wid, opened in rows:
        delay = blow_delay(seed, wid)
        if delay is None or opened + delay > now:
            continue
        try:
            with engine.begin() as conn:
                source = source_of(conn, warning_id=wid)
                depts = [d for d, _ in propose_departments(conn, source) if d not in NOT_SUMMONED]
                if len(depts) < 2:
                    continue
                made = blow_whistle(conn, operator, warning_id=wid, departments=depts, urgent=wid % 4 == 0,
                                    note=NOTES["blow"][wid % len(NOTES["blow"])], now=now, config=config)
            done.append({"warning": wid, "whistle": made["id"], "departments": depts})
            log.info("demo whistles: whistle %s blown on warning %s", made["id"], wid)
        except (SummonsError, warning_states.WarningError) as exc:
            log.debug("demo whistles: warning %s: no whistle: %s", wid, exc.message)
    return done


def act_due(engine: Engine, *, seed: int, now: datetime, limit: int = LIVE_MAX_ACTIONS) -> list[dict]:
    """The summoned departments and the township do the steps whose drawn time has passed."""
    done: list[dict] = []
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(summons).where(summons.c.status.in_(SUMMONS_OPEN))
                                              .order_by(summons.c.id)).mappings()]
        entered = field.entered_at(conn, [r["id"] for r in rows], summons_log, "summons_id")
        found = personas(conn, seed)
        actors = _Actors(conn)
        due = []
        for s in rows:
            step = next_step(s, entered.get(s["id"], s["created_at"]), persona_for(found, s["department_code"]), seed)
            if step is None or step.at > now:
                continue
            user = actors.for_step(s, step)
            if user is not None and not (step.by == "department" and user.username in LOGINABLE):
                due.append((step.at, s, step, user))
    due.sort(key=lambda d: (d[0], d[1]["id"]))
    for _, s, step, user in due[:limit]:
        try:
            with engine.begin() as conn:
                _do(conn, s, step, user, now)
            done.append({"summons": s["id"], "action": step.action, "by": user.username})
            log.info("demo whistles: %s %s summons %s", user.username, step.action, s["id"])
        except SummonsError as exc:  # a person acted on it meanwhile
            log.debug("demo whistles: summons %s not %s: %s", s["id"], step.action, exc.message)
    return done


def play_step(engine: Engine, *, seed: int, now: datetime | None = None, config: Any = None) -> dict[str, Any]:
    """One live step of the whistles: blow the due ones, do the due steps, mark what is overdue."""
    now = now or clock.now()
    with engine.begin() as conn:
        if get_user(conn, DUTY_OPERATOR) is None:
            field.ensure_field_accounts(conn, now=now)
    blown = blow_due(engine, seed=seed, now=now, config=config)
    acted = act_due(engine, seed=seed, now=now)
    with engine.begin() as conn:
        overdue = escalate_overdue_summons(conn, now)
    if blown or acted or overdue:
        log.info("demo whistles at %s: %d blown, %d summons actions, %d overdue", now, len(blown), len(acted), overdue)
    return {"at": now, "blown": blown, "acted": acted, "overdue": overdue}


# ---------------------------------------------------------------- reporting
def status_counts(conn: Connection) -> dict[str, int]:
    """Summons per status."""
    c = summons.c
    return dict(conn.execute(select(c.status, func.count()).group_by(c.status).order_by(c.status)).all())


def overdue_open(conn: Connection, now: datetime) -> int:
    """Working summons past one of their deadlines."""
    c = summons.c
    late = ((c.acknowledged_at.is_(None)) & (c.ack_due_at <= now)) \
        | ((c.arrived_at.is_(None)) & (c.arrive_due_at <= now)) | ((c.resolved_at.is_(None)) & (c.resolve_due_at <= now))
    return conn.execute(select(func.count()).select_from(summons).where(c.status.in_(WORKING), late)).scalar_one()

