"""End to end: dispatching warnings through the work-order core (``cockpit.orders.dispatch``) writes the
notices in its transaction, and the outbox sends them to the loopback robot grouped by the core's group key."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cockpit.notify.outbox import run_once
from cockpit.orders import dispatch
from cockpit.warehouse.schema import notice
from tests.notify.conftest import settings
from tests.orders import builders as ob
from tests.warnings import builders as wb


def test_a_dispatch_reaches_its_assignee_through_the_robot(engine, robot) -> None:
    with engine.begin() as conn:
        wb.area_tree(conn)
        people = ob.users(conn)
        for i in range(3):
            w = ob.warning(conn, subject=f"ECO-SANITATION|{wb.GRID_A11}|{i}")
            dispatch.dispatch_warning(conn, w["id"], people["op"], now=ob.T0)
        recipients = conn.execute(select(notice.c.recipient, notice.c.group_key)).all()
    assert len(recipients) == 3 and len({g for _, g in recipients}) == 1  # one rule, one village
    s = settings(group={"kind": "wecom", "url": robot.url()})
    report = run_once_at(engine, s, ob.T0 + timedelta(minutes=2))
    groups = {g for _, g in recipients}
    assert report.batched == report.sent == len(groups) == len(robot.requests) == 1
    content = "\n".join(b["markdown"]["content"] for b in robot.bodies())
    assert content.startswith("### 【派单】3 条通知：新工单 #") and content.count("\n- [新工单 #") == 3
    assert f"接收：{recipients[0][0]}" in content


def run_once_at(engine, s, at):  # noqa: ANN001, ANN201
    from cockpit import clock

    with clock.pinned(at):
        return run_once(engine, s)
