"""Demo life of work orders: the simulator plays the grid workers, the departments' liaisons and the
command centre's duty operator acting on orders with realistic delays, so the loop, the overdue
escalation and MTTA / MTTR can be watched on a fresh ``make run``. Demo mode only (``app.demo``).

- ``ensure_field_accounts``: a grid worker account per grid (``gw_<grid code>``, named after the
  grid's worker, with the grid's duty) and a liaison per department (``liaison_<code>``) unless the
  demo already has one, and the duty operator (``duty_operator``) the simulator dispatches as; random
  passwords nobody is shown. The login-able demo ``grid_worker`` keeps the duty of its grids.
- ``backfill``: after the first load, orders made of a sample of the past 8 weeks' events, each
  played through its life at past times in one chronological pass (the overdue escalation runs at
  the times the scheduler would have run it); the last hours' steps of the login-able accounts are
  left to the person. Idempotent: does nothing once backfilled orders exist.
- ``play_step``: one live step: the duty operator dispatches some new warnings after a delay, the
  assignees act when their drawn delay has passed, the operator verifies and closes. Orders of the
  login-able demo accounts (``grid_worker``, ``liaison_police``) are a person's: not played.

Every change goes through ``cockpit.orders`` (``dispatch_events``, ``dispatch_warning``, ``act``,
``escalate_overdue``): one transition path. A life is deterministic: every delay and every fate
(late, returned, reopened) is drawn from the demo seed and the order's id (``next_step``).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import time
from dataclasses import dataclass, field as dc_field
from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import Connection, Engine, exists, func, select

from cockpit import clock
from cockpit.auth import roles
from cockpit.auth.users import DEMO_ACCOUNTS, User, create_user, get_user
from cockpit.orders.actions import act
from cockpit.orders.dispatch import PROPOSED, dispatch_events, dispatch_warning
from cockpit.orders.overdue import escalate_overdue
from cockpit.orders.routing import set_grid_duty
from cockpit.orders.states import ENDED_STATUSES, OPEN_STATUSES, WORKING_STATUSES, OrderError
from cockpit.warehouse.schema import (area, department, event, grid_duty, user_account, warning, warning_history,
                                      work_order, work_order_event, work_order_log)
from cockpit.warnings import states as warning_states

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system"
DUTY_OPERATOR = "duty_operator"  # the command centre's duty operator the simulator plays
DUTY_OPERATOR_NAME = "值班调度（模拟）"
LOGINABLE = frozenset(a[0] for a in DEMO_ACCOUNTS)  # a person plays these: their orders are not played
MACHINE_CHANNELS = ("sensor", "camera")  # not reported by a person: no backfilled orders of them

# the backfill
BACKFILL_WEEKS = 8
BACKFILL_SHARE = 0.2  # of the past events reported by people, at most BACKFILL_CAP of them
BACKFILL_CAP = 420  # orders before the last RECENT_HOURS, so the town scale stays fast
RECENT_HOURS = 48  # the desk's current workload: a larger share, left open at various steps
RECENT_SHARE = 0.6  # also of the events in the grids of the login-able grid worker: a person's list
HANDOVER_HOURS = 6  # a person plays the login-able accounts: their steps of the last hours are left to them
DISPATCH_MINUTES = (3, 25)  # from the report to the order
TO_DEPARTMENT = 0.25  # orders the operator sends straight to the department's liaisons (not the grid)
# the fates of an order: late (of them a third very late: hours, days), returned, reopened, visited
LATE_ACK, LATE_RESOLVE, VERY_LATE, RETURNED, REOPENED, ARRIVES = 0.10, 0.10, 0.35, 0.05, 0.07, 0.85
# live play
LIVE_DISPATCH_SHARE = 0.6  # of the new warnings; the rest stay in the triage queue for a person
LIVE_DISPATCH_MINUTES = (5, 20)
LIVE_MAX_ACTIONS = 60  # per step
ESCALATION_MINUTES = 5  # the scheduler's escalation job (scheduler.escalation_minutes)

NOTES = {
    "resolved": ("已现场处置，问题已解决", "已协调相关方整改到位", "已清理完毕，现场恢复正常", "已上门沟通，当事人认可处理结果",
                 "已维修完成，经测试正常", "已联合执法处置，后续持续跟踪"),
    "resolved_again": ("已按复核意见返工，问题彻底解决", "返工完成，已请反映人现场确认"),
    "returned": ("非本网格职责，需职能部门处置", "超出网格处置能力，请转相关部门", "不属本部门职责，请改派"),
    "reopened": ("复核未通过：群众反映问题仍存在", "复核未通过：整改不彻底，请返工", "回访不满意，请重新处置"),
}


# ---------------------------------------------------------------- accounts
def _liaisons(conn: Connection, department_code: str) -> list[str]:
    u = user_account.c
    return list(conn.execute(select(u.username).where(u.role == roles.DEPARTMENT_LIAISON, u.disabled.is_(False),
                                                      u.department_code == department_code)
                             .order_by(u.username)).scalars())


def ensure_field_accounts(conn: Connection, *, now: datetime | None = None) -> dict[str, int]:
    """Create the field accounts the simulator plays (idempotent); returns what was created."""
    now = now or clock.now()
    done = {"grid_workers": 0, "grid_duties": 0, "liaisons": 0, "operators": 0}
    if get_user(conn, DUTY_OPERATOR) is None:
        create_user(conn, DUTY_OPERATOR, None, roles.OPERATOR, actor=SYSTEM_ACTOR,
                    display_name=DUTY_OPERATOR_NAME, must_change_password=False, now=now)
        done["operators"] += 1
    demo_gw = get_user(conn, "grid_worker")
    kept = demo_gw.grid_codes if demo_gw and demo_gw.role == roles.GRID_WORKER and not demo_gw.disabled else ()
    duties = dict(conn.execute(select(grid_duty.c.grid_code, grid_duty.c.username)).all())
    taken = set(conn.execute(select(user_account.c.username).where(user_account.c.username.like("gw\\_%", escape="\\")))
                .scalars())
    for code, worker in conn.execute(select(area.c.code, area.c.grid_worker).where(area.c.level == "grid")
                                     .order_by(area.c.code)).all():
        if any(code.startswith(g) for g in kept):  # the person's grids: theirs
            if code not in duties:
                set_grid_duty(conn, code, demo_gw.username, SYSTEM_ACTOR, now)  # type: ignore[union-attr]
                done["grid_duties"] += 1
            continue
        name = f"gw_{code}"
        if name not in taken:
            create_user(conn, name, None, roles.GRID_WORKER, actor=SYSTEM_ACTOR,
                        display_name=(worker or f"网格员{code[-4:]}")[:80], grid_codes=(code,),
                        must_change_password=False, now=now)
            done["grid_workers"] += 1
        if code not in duties:
            set_grid_duty(conn, code, name, SYSTEM_ACTOR, now)
            done["grid_duties"] += 1
    for code, name_zh in conn.execute(select(department.c.code, department.c.name_zh).order_by(department.c.code)).all():
        if not _liaisons(conn, code):
            create_user(conn, f"liaison_{code}", None, roles.DEPARTMENT_LIAISON, actor=SYSTEM_ACTOR,
                        display_name=f"{name_zh}联络员"[:80], department_code=code, must_change_password=False, now=now)
            done["liaisons"] += 1
    return done


# ---------------------------------------------------------------- a life
@dataclass(frozen=True)
class Fate:
    """What happens to an order, drawn once from the seed and its id."""

    late_ack: bool
    late_resolve: bool
    returned: bool
    reopened: bool
    arrives: bool
    very_late: bool  # a late one is hours (acknowledgement) or days (result) late


def fate_of(seed: int, order_id: int) -> Fate:
    r = random.Random(f"{seed}:fate:{order_id}")
    return Fate(r.random() < LATE_ACK, r.random() < LATE_RESOLVE, r.random() < RETURNED, r.random() < REOPENED,
                r.random() < ARRIVES, r.random() < VERY_LATE)


@dataclass(frozen=True)
class Step:
    """The next thing done to an order: the action, when, by whom (assignee or township), its note
    and, for a re-routing, where to."""

    action: str
    at: datetime
    by: str
    status: str  # the order's status it is planned from
    note: str | None = None
    department_code: str | None = None
    assignee_user: Any = dc_field(default=PROPOSED, compare=False)


def _minutes(m: float) -> timedelta:
    return timedelta(seconds=round(max(m, 1.0) * 60))


def next_step(order: Mapping[str, Any], entered_at: datetime, seed: int) -> Step | None:
    """The order's next step, ``entered_at`` being when it entered its status; None once it ended.

    Most are acknowledged well within the deadline and resolved well before the resolution deadline;
    ~10 % are acknowledged late, ~10 % resolved late, ~5 % returned by the assignee and re-routed by
    the operator, ~7 % reopened at verification (返工) and resolved again; the rest verified and
    closed a few hours after the result."""
    status = order["status"]
    if status not in OPEN_STATUSES:
        return None
    f = fate_of(seed, order["id"])
    reopens, returns = order.get("reopen_count") or 0, order.get("return_count") or 0
    r = random.Random(f"{seed}:step:{order['id']}:{status}:{reopens}:{returns}")

    def pick(kind: str) -> str:
        return NOTES[kind][r.randrange(len(NOTES[kind]))]

    if status == "dispatched":
        window = max((order["ack_due_at"] - entered_at).total_seconds() / 60, 10.0)
        if f.returned and returns == 0:
            return Step("returned", entered_at + _minutes(window * r.uniform(0.1, 0.8)), "assignee", status,
                        pick("returned"))
        if f.late_ack and returns == 0:
            late = r.uniform(60, 6 * 60) if f.very_late else r.uniform(5, 90)
            return Step("acknowledged", order["ack_due_at"] + _minutes(late), "assignee", status)
        return Step("acknowledged", entered_at + _minutes(window * 0.95 * r.betavariate(2, 3)), "assignee", status)
    if status == "returned":
        at = entered_at + _minutes(r.uniform(15, 90))
        if order.get("assignee_user"):  # the grid could not: the department's liaisons take it
            return Step("rerouted", at, "township", status, "改派职能部门处置", order["department_code"], None)
        coop = [c for c in (order.get("cooperating") or "").split(",") if c]
        if coop:
            return Step("rerouted", at, "township", status, "改派配合责任部门", coop[0], None)
        return Step("rerouted", at, "township", status, "改派网格处置", order["department_code"], PROPOSED)
    if status == "acknowledged" and f.arrives and reopens == 0 and order.get("arrived_at") is None:
        return Step("arrived", entered_at + _minutes(r.uniform(10, 90)), "assignee", status)
    if status in ("acknowledged", "on_site"):
        due = order["resolve_due_at"]
        if f.late_resolve and reopens == 0:
            at = due + _minutes(r.uniform(24 * 60, 5 * 24 * 60) if f.very_late else r.uniform(30, 18 * 60))
        else:
            span = max((due - entered_at).total_seconds() / 60, 0.0)
            at = entered_at + _minutes(max(15.0, span * (0.05 + 0.85 * r.betavariate(1.6, 4))))
        return Step("resolved", at, "assignee", status, pick("resolved_again" if reopens else "resolved"))
    # resolved: the township verifies
    if f.reopened and reopens == 0:
        return Step("reopened", entered_at + _minutes(r.uniform(60, 8 * 60)), "township", status, pick("reopened"))
    return Step("closed", entered_at + _minutes(r.uniform(30, 6 * 60)), "township", status)


class _Actors:
    """Users by name, and who plays an order's assignee (None: nobody can)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._users: dict[str, User | None] = {}
        self._liaison: dict[str, list[str]] = {}

    def user(self, name: str) -> User | None:
        if name not in self._users:
            self._users[name] = get_user(self.conn, name)
        return self._users[name]

    def assignee_names(self, order: Mapping[str, Any]) -> list[str]:
        if order.get("assignee_user"):
            return [order["assignee_user"]]
        dept = order["department_code"]
        if dept not in self._liaison:
            self._liaison[dept] = _liaisons(self.conn, dept)
        return self._liaison[dept]

    def for_step(self, order: Mapping[str, Any], step: Step, *, live: bool) -> User | None:
        if step.by == "township":
            return self.user(DUTY_OPERATOR)
        names = self.assignee_names(order)
        if live and any(n in LOGINABLE for n in names):
            return None  # a person does these
        return self.user(names[0]) if names else None


def _do(conn: Connection, order_id: int, step: Step, user: User, at: datetime, config: Any,
        seen: Mapping[str, Any] | None = None) -> dict:
    kw: dict[str, Any] = {}
    if step.action == "rerouted":
        kw = {"department_code": step.department_code, "assignee_user": step.assignee_user}
    return act(conn, order_id, step.action, user, note=step.note, now=at, config=config, seen=seen, **kw)


def entered_at(conn: Connection, ids: list[int], log_table: Any = work_order_log,
               key: str = "order_id") -> dict[int, datetime]:
    """When each work order (or the rows ``log_table`` logs by ``key``: summons) entered its current
    status: its last log row that was not an overdue mark."""
    g = log_table.c
    out: dict[int, datetime] = {}
    for i in range(0, len(ids), 500):
        out.update(conn.execute(select(g[key], func.max(g.at)).where(
            g[key].in_(ids[i:i + 500]), g.action != "overdue").group_by(g[key])).all())
    return out


# ---------------------------------------------------------------- the backfill
def backfilled(conn: Connection) -> bool:
    """Whether the backfill ran: orders made of events by the duty operator exist."""
    c = work_order.c
    return conn.execute(select(exists().where(c.created_by == DUTY_OPERATOR, c.warning_id.is_(None)))).scalar()


def _sample(conn: Connection, seed: int, start: datetime, end: datetime, share: float, cap: int,
            recent: datetime, recent_share: float) -> list[tuple]:
    """(dispatch time, event id, to the department) of the sampled past events, by dispatch time:
    ``share`` of those before ``recent`` (at most ``cap``), ``recent_share`` of the later ones and
    of those in the grids a login-able account has the duty of."""
    e = event.c
    wo, we = work_order.c, work_order_event.c
    in_open = exists().where(we.event_id == e.id, we.order_id == wo.id, wo.status.not_in(ENDED_STATUSES))
    rows = conn.execute(select(e.id, e.reported_at, e.department_code, e.grid_code).where(
        e.reported_at >= start, e.reported_at < end, e.channel.not_in(MACHINE_CHANNELS), e.duplicate_of.is_(None),
        ~in_open)).all()
    persons = set(conn.execute(select(grid_duty.c.grid_code).where(grid_duty.c.username.in_(sorted(LOGINABLE))))
                  .scalars())
    drawn, latest = [], []
    for eid, reported, dept, grid in rows:
        r = random.Random(f"{seed}:backfill:{eid}")
        x = r.random()
        full = reported >= recent or grid in persons
        if x < (recent_share if full else share):
            at = reported + _minutes(r.uniform(*DISPATCH_MINUTES))
            (latest if full else drawn).append((x, at, eid, dept != "township" and r.random() < TO_DEPARTMENT))
    drawn.sort()
    return sorted((at, eid, to_dept) for _, at, eid, to_dept in drawn[:cap] + latest if at < end)


def backfill(conn: Connection, *, seed: int, now: datetime | None = None, config: Any = None,
             weeks: int = BACKFILL_WEEKS, share: float = BACKFILL_SHARE, cap: int = BACKFILL_CAP,
             recent_hours: int = RECENT_HOURS, recent_share: float = RECENT_SHARE) -> dict[str, Any]:
    """Orders of a sample of the past ``weeks``' events, played through their lives up to ``now`` (in
    the caller's transaction). Does nothing if the backfill already ran. Returns what it did."""
    now = now or clock.now()
    t0 = time.monotonic()
    if backfilled(conn):
        return {"done": False, "reason": "already backfilled", "orders": 0, "actions": 0, "escalations": 0}
    operator = get_user(conn, DUTY_OPERATOR)
    if operator is None:
        raise RuntimeError(f"no {DUTY_OPERATOR} account: run ensure_field_accounts first")
    sample = _sample(conn, seed, now - timedelta(weeks=weeks), now, share, cap, now - timedelta(hours=recent_hours),
                     recent_share)
    actors = _Actors(conn)
    seq = itertools.count()
    heap: list[tuple] = [(at, next(seq), "dispatch", (eid, to_dept)) for at, eid, to_dept in sample]
    heapq.heapify(heap)
    checks: set[datetime] = set()
    stats = {"orders": 0, "actions": 0, "escalations": 0, "refused": 0}
    lag = timedelta(minutes=ESCALATION_MINUTES)
    handover = now - timedelta(hours=HANDOVER_HOURS)

    def check_at(deadline: datetime) -> None:  # the scheduler's next escalation run after the deadline
        t = clock.midnight(deadline.date()) + lag * (-(-(deadline - clock.midnight(deadline.date())) // lag))
        if t <= now and t not in checks:
            checks.add(t)
            heapq.heappush(heap, (t, next(seq), "check", None))

    def plan(order: dict, entered: datetime) -> None:
        step = next_step(order, entered, seed)
        when = step.at if step else None
        if order["status"] in WORKING_STATUSES:  # a deadline passing before the next step: escalated
            if order["status"] == "dispatched" and (when is None or when > order["ack_due_at"]):
                check_at(order["ack_due_at"])
            if when is None or when > order["resolve_due_at"]:
                check_at(order["resolve_due_at"])
        if step is not None and step.at <= now:
            heapq.heappush(heap, (step.at, next(seq), "act", (order["id"], step)))

    while heap:
        at, _, kind, payload = heapq.heappop(heap)
        # no savepoint of its own: a refused action is refused before it writes (and a dispatch and
        # each escalation have theirs)
        try:
            if kind == "check":
                stats["escalations"] += escalate_overdue(conn, at)
                continue
            if kind == "dispatch":
                eid, to_dept = payload
                order = dispatch_events(conn, [eid], operator, assignee_user=None if to_dept else PROPOSED,
                                        now=at, config=config)
                stats["orders"] += 1
            else:
                oid, step = payload
                order = conn.execute(select(work_order).where(work_order.c.id == oid)).mappings().one()
                if order["status"] != step.status:
                    continue
                user = actors.for_step(order, step, live=False)
                if user is None or (user.username in LOGINABLE and at > handover):  # the person's now
                    continue
                order = _do(conn, oid, step, user, at, config)
                stats["actions"] += 1
        except OrderError as exc:
            stats["refused"] += 1
            log.debug("demo backfill: %s %s refused: %s", kind, payload, exc.message)
            continue
        plan(dict(order), at)
    stats["orders"] += _person_work(conn, operator, now, config)
    stats["escalations"] += escalate_overdue(conn, now)
    return {"done": True, **stats, "events_sampled": len(sample), "seconds": round(time.monotonic() - t0, 2)}


PERSON_ORDERS = 3  # open orders a login-able grid worker finds on a fresh demo, one already overdue


def _person_work(conn: Connection, operator: User, now: datetime, config: Any) -> int:
    """Open orders for each login-able grid worker who has none left (their grids may be quiet): the
    latest events of their grids without an order, dispatched to them 15, 45 and 100 minutes ago
    (the last past its acknowledgement deadline), so a person signing in has work to do."""
    made = 0
    e, wo, we = event.c, work_order.c, work_order_event.c
    for name in sorted(LOGINABLE):
        grids = conn.execute(select(grid_duty.c.grid_code).where(grid_duty.c.username == name)).scalars().all()
        if not grids or conn.execute(select(func.count()).where(
                wo.assignee_user == name, wo.status.not_in(ENDED_STATUSES))).scalar():
            continue
        ordered = select(we.event_id)
        latest = conn.execute(select(e.id).where(e.grid_code.in_(grids), e.channel.not_in(MACHINE_CHANNELS),
                                                 e.duplicate_of.is_(None), e.reported_at < now, e.id.not_in(ordered))
                              .order_by(e.reported_at.desc()).limit(PERSON_ORDERS)).scalars().all()
        for eid, minutes in zip(latest, (15, 45, 100)):
            try:
                with conn.begin_nested():
                    dispatch_events(conn, [eid], operator, assignee_user=name, now=now - timedelta(minutes=minutes),
                                    config=config)
                made += 1
            except OrderError as exc:
                log.debug("demo backfill: event %s for %s refused: %s", eid, name, exc.message)
    return made


# ---------------------------------------------------------------- live play
def _person_acted(conn: Connection, warning_id: int) -> bool:
    h = warning_history.c
    return conn.execute(select(exists().where(h.warning_id == warning_id,
                                              h.actor.not_in((warning_states.ENGINE_ACTOR, DUTY_OPERATOR,
                                                              SYSTEM_ACTOR))))).scalar()


def dispatch_delay(seed: int, warning_id: int) -> timedelta | None:
    """How long after its opening the duty operator dispatches the warning; None: never (it stays in
    the triage queue for a person)."""
    r = random.Random(f"{seed}:warning:{warning_id}")
    if r.random() >= LIVE_DISPATCH_SHARE:
        return None
    return _minutes(r.uniform(*LIVE_DISPATCH_MINUTES))


def dispatch_due(engine: Engine, *, seed: int, now: datetime, config: Any = None) -> list[dict]:
    """The duty operator dispatches the new warnings whose drawn delay has passed (a share of them;
    never one a person acted on). Each in its own transaction; a conflict is skipped quietly."""
    w = warning.c
    done: list[dict] = []
    with engine.connect() as conn:
        operator = get_user(conn, DUTY_OPERATOR)
        rows = conn.execute(select(w.id, w.opened_at).where(
            w.status == "new", w.active.is_(True), w.silence_id.is_(None),
            w.opened_at <= now - timedelta(minutes=LIVE_DISPATCH_MINUTES[0])).order_by(w.opened_at, w.id)).all()
    if operator is None:
        return done
    for wid, opened in rows:
        delay = dispatch_delay(seed, wid)
        if delay is None or opened + delay > now:
            continue
        try:
            with engine.begin() as conn:
                if _person_acted(conn, wid):
                    continue
                order = dispatch_warning(conn, wid, operator, now=now, config=config)
            done.append({"warning": wid, "order": order["id"]})
            log.info("demo field: dispatched warning %s as work order %s", wid, order["id"])
        except (OrderError, warning_states.WarningError) as exc:  # a person acted at the same moment
            log.debug("demo field: warning %s not dispatched: %s", wid, exc.message)
    return done


def act_due(engine: Engine, *, seed: int, now: datetime, config: Any = None,
            limit: int = LIVE_MAX_ACTIONS) -> list[dict]:
    """The assignees and the operator do the steps whose drawn time has passed, as of ``now``."""
    done: list[dict] = []
    with engine.connect() as conn:
        orders = [dict(o) for o in conn.execute(select(work_order).where(work_order.c.status.in_(OPEN_STATUSES))
                                                .order_by(work_order.c.id)).mappings()]
        entered = entered_at(conn, [o["id"] for o in orders])
        actors = _Actors(conn)
        due = []
        for o in orders:
            step = next_step(o, entered.get(o["id"], o["created_at"]), seed)
            if step is None or step.at > now:
                continue
            user = actors.for_step(o, step, live=True)
            if user is not None:
                due.append((step.at, o, step, user))
    due.sort(key=lambda d: (d[0], d[1]["id"]))
    for _, o, step, user in due[:limit]:
        try:
            with engine.begin() as conn:
                _do(conn, o["id"], step, user, now, config, seen=o)  # as planned, or a conflict
            done.append({"order": o["id"], "action": step.action, "by": user.username})
            log.info("demo field: %s %s work order %s", user.username, step.action, o["id"])
        except (OrderError, warning_states.WarningError) as exc:  # a person acted on it meanwhile
            log.debug("demo field: work order %s not %s: %s", o["id"], step.action, exc.message)
    return done


def play_step(engine: Engine, *, seed: int, now: datetime | None = None, config: Any = None) -> dict[str, Any]:
    """One live step of the field: dispatch due warnings, then do the due steps of open orders."""
    now = now or clock.now()
    with engine.begin() as conn:
        if get_user(conn, DUTY_OPERATOR) is None:
            ensure_field_accounts(conn, now=now)
    dispatched = dispatch_due(engine, seed=seed, now=now, config=config)
    acted = act_due(engine, seed=seed, now=now, config=config)
    if dispatched or acted:
        log.info("demo field at %s: %d warnings dispatched, %d order actions", now, len(dispatched), len(acted))
    return {"at": now, "dispatched": dispatched, "acted": acted}


# ---------------------------------------------------------------- reporting
def status_counts(conn: Connection) -> dict[str, int]:
    c = work_order.c
    return dict(conn.execute(select(c.status, func.count()).group_by(c.status).order_by(c.status)).all())


def overdue_open(conn: Connection, now: datetime) -> int:
    c = work_order.c
    return conn.execute(select(func.count()).select_from(work_order).where(
        c.status.in_(WORKING_STATUSES), (c.ack_overdue_at.is_not(None)) | (c.resolve_overdue_at.is_not(None)))).scalar_one()

