"""Which orders each role sees (the lists, one order, a person's own) and acts on: enforced in SQL and
in ``act``, whatever the request asks for."""

from __future__ import annotations

from sqlalchemy import Connection

from cockpit.auth.roles import scope_for
from cockpit.orders import dispatch, records
from cockpit.orders.access import actions_for
from tests.orders import builders as ob
from tests.warnings import builders as wb

T0 = ob.T0


def test_each_role_sees_its_orders_and_acts_only_on_its_own(conn: Connection, people: dict) -> None:
    made = {}
    for name, grid, cat, board, dept, worker in (
            ("san_a11", wb.GRID_A11, "ECO-SANITATION", "economy", None, "wang"),  # urban, wang
            ("traffic_a21", wb.GRID_A21, "SAF-TRAFFIC", "safety", None, "li"),  # police (urban cooperates), li
            ("stall_b11", wb.GRID_B11, "SAF-STALL", "safety", None, None),  # urban's liaisons
            ("relief_a22", wb.GRID_A22, "SRV-RELIEF", "services", None, None)):  # civil affairs' liaisons
        w = ob.warning(conn, grid=grid, category=cat, board=board, subject=name)
        made[name] = dispatch.dispatch_warning(conn, w["id"], people["op"], department_code=dept,
                                               assignee_user=worker if worker else None, now=T0)["id"]
    ids = {v: k for k, v in made.items()}

    def seen(who: str) -> set[str]:
        return {ids[o["id"]] for o in records.list_orders(conn, scope_for(people[who]), now=T0, status="all")}

    everything = set(made)
    assert seen("op") == seen("boss") == seen("root") == everything
    assert seen("safehead") == {"traffic_a21", "stall_b11"}
    assert seen("wang") == {"san_a11"}
    assert seen("li") == {"traffic_a21", "relief_a22"}  # village A2's grids
    assert seen("zhao") == {"san_a11", "traffic_a21", "stall_b11"}  # urban leads or cooperates
    assert seen("qian") == {"traffic_a21"}
    # one order out of scope is simply not there
    assert records.get_order(conn, made["stall_b11"], scope_for(people["wang"])) is None
    # a person's own: assigned to them, or their department's with no grid worker holding it
    mine = {who: {ids[o["id"]] for o in records.my_orders(conn, people[who], scope_for(people[who]), now=T0)}
            for who in ("wang", "li", "zhao", "qian", "op")}
    assert mine == {"wang": {"san_a11"}, "li": {"traffic_a21"}, "zhao": {"stall_b11"}, "qian": set(), "op": set()}
    order = records.get_order(conn, made["san_a11"], scope_for(people["op"]))
    assert actions_for(people["wang"], order) == ["acknowledged", "returned"]
    assert actions_for(people["zhao"], order) == []  # sees it (urban's), but wang holds it
    assert actions_for(people["op"], order) == ["rerouted", "dismissed"]
    assert actions_for(people["safehead"], order) == []
