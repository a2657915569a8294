"""Routing by the responsibility list (category → responsible and cooperating departments) and the
grid duty (grid → its grid worker); both are data the admin edits, and a migration keeps the edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection, select

from cockpit.orders import dispatch, routing
from cockpit.orders.routing import RoutingError
from cockpit.warehouse.migrate import upgrade
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.schema import audit_log, responsibility
from tests.orders import builders as ob
from tests.warnings import builders as wb


def test_a_warning_goes_to_the_lead_department_with_its_cooperating_ones_and_the_grid_worker(
        conn: Connection, people: dict) -> None:
    # SAF-TRAFFIC: police leads, urban cooperates (cockpit.reference); grid A11 is wang's
    w = ob.warning(conn, category="SAF-TRAFFIC", board="safety")
    o = dispatch.dispatch_warning(conn, w["id"], people["op"], now=ob.T0)
    assert (o["department_code"], o["cooperating"], o["assignee_user"]) == ("police", "urban", "wang")
    # a grid worker of the whole village A2 (li) covers its grids
    w2 = ob.warning(conn, grid=wb.GRID_A22, category="SRV-RELIEF", board="services", subject="relief")
    o2 = dispatch.dispatch_warning(conn, w2["id"], people["op"], now=ob.T0)
    assert (o2["department_code"], o2["cooperating"], o2["assignee_user"]) == ("civil_affairs", "education,hrss", "li")


def test_a_grid_without_a_worker_goes_to_the_department_and_the_operator_may_change_both(
        conn: Connection, people: dict) -> None:
    w = ob.warning(conn, grid=wb.GRID_B11, category="SAF-STALL", board="safety")
    assert routing.propose(conn, category_code="SAF-STALL", grid_code=wb.GRID_B11).assignee_user is None
    o = dispatch.dispatch_warning(conn, w["id"], people["op"], now=ob.T0)
    assert (o["department_code"], o["assignee_user"]) == ("urban", None)
    w2 = ob.warning(conn, category="SAF-STALL", board="safety", subject="s2")
    o2 = dispatch.dispatch_warning(conn, w2["id"], people["op"], department_code="market", assignee_user=None,
                                   now=ob.T0)
    # another department than the list's: the list's cooperating departments are not carried over
    assert (o2["department_code"], o2["cooperating"], o2["assignee_user"]) == ("market", None, None)
    w3 = ob.warning(conn, category="SAF-STALL", board="safety", subject="s3")
    with pytest.raises(RoutingError, match="unknown department"):
        dispatch.dispatch_warning(conn, w3["id"], people["op"], department_code="nowhere", now=ob.T0)
    with pytest.raises(RoutingError, match="not an enabled grid worker"):
        dispatch.dispatch_warning(conn, w3["id"], people["op"], assignee_user="zhao", now=ob.T0)


def test_the_admin_edits_the_list_and_the_grid_duty_and_routing_follows(conn: Connection, people: dict) -> None:
    routing.set_responsibility(conn, "SAF-STALL", "market", ["urban", "police", "market"], "root", ob.T0)
    assert routing.responsible(conn, "SAF-STALL") == ("market", ("police", "urban"))
    routing.set_grid_duty(conn, wb.GRID_A11, "li", "root", ob.T0)  # li now also holds grid A11, first
    p = routing.propose(conn, category_code="SAF-STALL", grid_code=wb.GRID_A11)
    assert (p.department_code, p.cooperating, p.assignee_user, p.grid_workers) == (
        "market", ("police", "urban"), "li", ("li", "wang"))
    with pytest.raises(RoutingError):
        routing.set_responsibility(conn, "NOPE", "market", [], "root", ob.T0)
    with pytest.raises(RoutingError):
        routing.set_grid_duty(conn, wb.GRID_A11, "zhao", "root", ob.T0)  # a liaison, not a grid worker
    actions = conn.execute(select(audit_log.c.action).where(audit_log.c.actor == "root")).scalars().all()
    assert actions == ["responsibility.set", "grid_duty.set"]


def test_an_upgrade_keeps_the_admins_edits_of_the_list(sqlite_url: str) -> None:
    with engine_for(sqlite_url).begin() as c:
        routing.set_responsibility(c, "SAF-STALL", "market", ["police"], "root", ob.T0 + timedelta(hours=1))
    upgrade(sqlite_url)  # reseeds the code lists
    with engine_for(sqlite_url).connect() as c:
        rows = sorted(tuple(r) for r in c.execute(select(responsibility.c.department_code, responsibility.c.role)
                                                   .where(responsibility.c.category_code == "SAF-STALL")))
        assert rows == [("market", "lead"), ("police", "cooperate")]
        # an untouched category keeps its defaults
        assert routing.responsible(c, "SAF-TRAFFIC") == ("police", ("urban",))
