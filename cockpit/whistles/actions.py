"""What a person does to a summons (``act``) or a whistle (``cancel_whistle``): the person is checked
(``cockpit.whistles.access``), then the one ``transition`` and what goes with it, in one transaction:
time stamps, the rating, a contest's outcome and its review flag, the notices, and the whistle
completed when its last summons ended.

- acknowledged, arrived, resolved (a note), contested (a reason): the summoned department;
- verified (a rating 1–5, a comment), reopened (返工: a reason), closed (ended without a result: a
  rating and a reason), contest_accepted (the case leaves the score; the category is flagged for
  review of the responsibility list), contest_rejected (a reason; back to where it was),
  cancelled (a reason; not counted): the township.

Contesting is a response: it stamps ``acknowledged_at`` if nothing did before, so a department that
answers "not ours" in time has acknowledged in time whatever the township decides.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import Connection, insert, select, update

from cockpit import clock
from cockpit.auth.roles import Account, can
from cockpit.auth.audit import audit
from cockpit.notify import enqueue
from cockpit.privacy import mask_text
from cockpit.warehouse.data_version import bump_data_version
from cockpit.warehouse.schema import responsibility_review, summons
from cockpit.whistles.access import check_may_act
from cockpit.whistles.states import (
    ENGINE_ACTOR,
    RATED_ACTIONS,
    SUMMONS,
    SUMMONS_ACTIONS,
    SUMMONS_ENDED,
    SUMMONS_OPEN,
    WHISTLE,
    NotAllowed,
    RatingRequired,
    SummonsRefused,
)


def _rating(value: Any) -> int:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        raise RatingRequired("rate the department's cooperation from 1 to 5") from None
    if not 1 <= rating <= 5 or str(value).strip() not in {str(rating), f"{rating}.0"}:
        raise RatingRequired(f"a rating is a whole number from 1 to 5 (got {value!r})")
    return rating


def _columns(s: Mapping[str, Any], action: str, now: datetime, note: str | None, rating: int | None) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    if action == "acknowledged":
        columns["acknowledged_at"] = s["acknowledged_at"] or now
    elif action == "arrived":
        columns["arrived_at"] = s["arrived_at"] or now
    elif action == "resolved":
        columns["resolved_at"] = now
    elif action == "contested":
        columns.update(acknowledged_at=s["acknowledged_at"] or now, contest_reason=mask_text(note or ""),
                       contested_from=s["status"], contest_outcome="pending", contest_decided_at=None)
    elif action == "contest_accepted":
        columns.update(contest_outcome="accepted", contest_decided_at=now)
    elif action == "contest_rejected":
        back = s["contested_from"] if s["contested_from"] in SUMMONS_OPEN else "acknowledged"
        columns.update(status="acknowledged" if back == "summoned" else back, contest_outcome="rejected",
                       contest_decided_at=now)
    elif action == "verified":
        columns.update(verified_at=now, rating=rating, rating_comment=mask_text(note) if note else None)
    elif action == "closed":
        columns.update(rating=rating, rating_comment=mask_text(note) if note else None)
    elif action == "reopened":
        columns.update(reopen_count=(s["reopen_count"] or 0) + 1, resolved_at=None)
    return columns


def _flag_review(conn: Connection, s: Mapping[str, Any], actor: str, now: datetime) -> None:
    """An accepted contest: the category goes on the admin's review list."""
    conn.execute(insert(responsibility_review).values(
        category_code=s["category_code"], department_code=s["department_code"], summons_id=s["id"],
        reason=s["contest_reason"], flagged_at=now, flagged_by=actor[:64]))


def complete_if_done(conn: Connection, whistle_id: int, now: datetime) -> dict | None:
    """Complete an open whistle whose summons have all ended; returns it, or None if still open."""
    w = WHISTLE.load(conn, whistle_id, lock=True)
    if w["status"] != "open":
        return None
    s = summons.c
    left = conn.execute(select(s.id).where(s.whistle_id == whistle_id, s.status.in_(SUMMONS_OPEN)).limit(1)).first()
    if left is not None:
        return None
    after, _ = WHISTLE.transition(conn, whistle_id, "completed", ENGINE_ACTOR, now, seen=w)
    return after


def _notify(conn: Connection, w: Mapping[str, Any], s: Mapping[str, Any], action: str, now: datetime,
            note: str | None) -> None:
    dept_link = f"/my/summons?id={s['id']}"
    if action == "contested":
        enqueue(conn, kind="summons", recipients=["role:operator"], group_key=f"contest|{w['id']}", now=now,
                title=f"部门申辩 #{w['id']}：{w['title']}", body=note, link=f"/whistles/{w['id']}",
                warning_id=w.get("warning_id"), order_id=w.get("order_id"))
    elif action == "resolved":
        enqueue(conn, kind="summons", recipients=["role:operator"], group_key=f"verify|{w['id']}", now=now,
                title=f"待核验 #{w['id']}：{w['title']}", body=note, link=f"/whistles/{w['id']}",
                warning_id=w.get("warning_id"), order_id=w.get("order_id"))
    elif action in ("reopened", "contest_rejected", "contest_accepted", "cancelled"):
        titles = {"reopened": "返工", "contest_rejected": "申辩未通过", "contest_accepted": "申辩成立",
                  "cancelled": "已撤销"}
        enqueue(conn, kind="summons", recipients=[f"department:{s['department_code']}"],
                group_key=f"summons|{w['id']}", now=now, title=f"{titles[action]} #{w['id']}：{w['title']}",
                body=note, link=dept_link, warning_id=w.get("warning_id"), order_id=w.get("order_id"))


def act(conn: Connection, summons_id: int, action: str, user: Account | None, *, note: str | None = None,
        rating: Any = None, seen: Mapping[str, Any] | None = None, now: datetime | None = None,
        ip: str | None = None) -> dict:
    """Do ``action`` to the summons as ``user``; returns the summons after it. ``seen``: the summons
    as the person saw it (a conflict if someone acted since). Raises a ``SummonsError`` subclass
    with a clear message (and a catalogue key) when refused."""
    spec = SUMMONS_ACTIONS.get(action)
    if spec is None or spec.by == "engine" or action == "summoned":
        raise SummonsRefused(f"unknown action {action!r}")
    now = now or clock.now()
    s = SUMMONS.load(conn, summons_id, lock=True)
    w = WHISTLE.load(conn, s["whistle_id"])
    check_may_act(user, w, s, action)
    actor = user.username  # type: ignore[union-attr]
    note = (note or "").strip() or None
    value = _rating(rating) if action in RATED_ACTIONS else None
    if rating not in (None, "") and action not in RATED_ACTIONS:
        raise SummonsRefused("a rating goes with verifying or closing")
    after, _ = SUMMONS.transition(conn, summons_id, action, actor, now, seen=seen or s, note=note, ip=ip,
                                  columns=_columns(s, action, now, note, value),
                                  log_values={"rating": value} if value is not None else None)
    if action == "contest_accepted":
        _flag_review(conn, after, actor, now)
    _notify(conn, w, after, action, now, note)
    if after["status"] in SUMMONS_ENDED:
        complete_if_done(conn, w["id"], now)
    return after


def cancel_whistle(conn: Connection, whistle_id: int, user: Account | None, *, note: str | None,
                   now: datetime | None = None, ip: str | None = None) -> dict:
    """Withdraw a whistle and its open summons (a reason required); none of them is counted."""
    if not can(user, "whistle.act"):
        raise NotAllowed("only the command centre (operator, leader) cancels a whistle")
    actor = user.username  # type: ignore[union-attr]
    now = now or clock.now()
    w = WHISTLE.load(conn, whistle_id, lock=True)
    after, _ = WHISTLE.transition(conn, whistle_id, "cancelled", actor, now, seen=w, note=note, ip=ip)
    s = summons.c
    for row in conn.execute(select(summons).where(s.whistle_id == whistle_id, s.status.in_(SUMMONS_OPEN))
                            .order_by(s.id)).mappings().all():
        cancelled, _ = SUMMONS.transition(conn, row["id"], "cancelled", actor, now, seen=row, note=note, ip=ip)
        _notify(conn, after, cancelled, "cancelled", now, note)
    return after


def close_review(conn: Connection, review_id: int, user: Account | None, *, now: datetime | None = None) -> int:
    """The admin marks a review flag as dealt with; returns 1, or 0 if it was already closed."""
    if not can(user, "responsibility.review"):
        raise NotAllowed("only the administrator reviews the responsibility list")
    now = now or clock.now()
    r = responsibility_review.c
    done = conn.execute(update(responsibility_review).where(r.id == review_id, r.reviewed_at.is_(None))
                        .values(reviewed_at=now, reviewed_by=user.username)).rowcount  # type: ignore[union-attr]
    if done:
        audit(conn, user.username, "responsibility.reviewed", "responsibility_review", review_id, {}, now=now)  # type: ignore[union-attr]
        bump_data_version(conn)
    return done
