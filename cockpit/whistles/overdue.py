"""Overdue summons: a summoned department that has not acknowledged, arrived or reported the result by
its deadline. Each missed deadline is recorded once (``ack_overdue_at``, ``arrive_overdue_at``,
``resolve_overdue_at``) as an ``overdue`` log row, and the department and the leaders are told. Runs
in the scheduler's escalation job beside the work orders' (every ``scheduler.escalation_minutes``).
The score does not depend on it: lateness is read from the time stamps and deadlines themselves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, or_, select

from cockpit.notify import enqueue
from cockpit.warehouse.schema import summons, whistle
from cockpit.whistles.states import ENGINE_ACTOR, SUMMONS, WORKING, SummonsConflict

_STEPS = (  # (deadline, the time stamp that meets it, its overdue mark, what the log says)
    ("resolve_due_at", "resolved_at", "resolve_overdue_at", "not resolved by"),
    ("arrive_due_at", "arrived_at", "arrive_overdue_at", "not on site by"),
    ("ack_due_at", "acknowledged_at", "ack_overdue_at", "not acknowledged by"),
)


def escalate_overdue_summons(conn: Connection, now: datetime) -> int:
    """Mark every missed deadline of a working summons not marked yet; returns how many summons."""
    s = summons.c
    missed = or_(*(and_(s[due] <= now, s[met].is_(None), s[mark].is_(None)) for due, met, mark, _ in _STEPS))
    rows = conn.execute(select(summons, whistle.c.title, whistle.c.warning_id, whistle.c.order_id)
                        .join(whistle, whistle.c.id == s.whistle_id)
                        .where(s.status.in_(WORKING), missed).order_by(s.id)).mappings().all()
    done = 0
    for row in rows:
        row = dict(row)
        steps = [(due, mark, text) for due, met, mark, text in _STEPS
                 if row[due] <= now and row[met] is None and row[mark] is None]
        columns = {mark: now for _, mark, _ in steps}
        due, _, text = steps[0]  # the gravest first
        note = f"{text} {row[due]:%Y-%m-%d %H:%M}"
        try:
            with conn.begin_nested():
                SUMMONS.transition(conn, row["id"], "overdue", ENGINE_ACTOR, now, seen=row, note=note, columns=columns)
                enqueue(conn, kind="overdue", recipients=[f"department:{row['department_code']}", "role:leader"],
                        title=f"吹哨超时 #{row['whistle_id']}：{row['title']}", body=note,
                        group_key=f"summons_overdue|{row['whistle_id']}", now=now,
                        link=f"/whistles/{row['whistle_id']}", warning_id=row["warning_id"], order_id=row["order_id"])
        except SummonsConflict:  # the department acted just now: the next run looks again
            continue
        done += 1
    return done
