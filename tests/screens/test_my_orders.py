"""我的工单 (``queries.my_orders``, ``pages.my_orders``): which orders each role finds in "my orders"
and on an order's page, in which order, and what they may do there; the landing of the roles that
hold orders; the decoding of dcc.Upload's data URLs. The browser flow and forged callbacks:
``test_my_orders_browser``."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from cockpit.auth.roles import landing_path, scope_for
from cockpit.orders.actions import act
from cockpit.orders.dispatch import dispatch_warning
from cockpit.orders.photos import PhotoRejected
from cockpit.warehouse.db import engine_for
from queries import my_orders as qm
from tests.orders import builders as ob
from tests.warnings import builders as wb

NOW = ob.T0 + timedelta(hours=3)


@pytest.fixture
def orders(db_url: str):
    """Orders in grid A11 (urban, economy board) unless said: a to wang (2 h 50 min ago: overdue to
    acknowledge), b to wang (newest), c to urban's liaisons (no grid worker), d to li (village A2),
    e to the police liaisons, f to wang but closed a week ago (not in his list any more)."""
    engine = engine_for(db_url)
    with engine.begin() as conn:
        wb.area_tree(conn)
        u = ob.users(conn)

        def order(minutes_ago: int, **kw) -> int:
            grid = kw.pop("grid", wb.GRID_A11)
            at = NOW - timedelta(minutes=minutes_ago)
            w = ob.warning(conn, grid=grid, now=at, subject=f"s{minutes_ago}{grid}", **kw.pop("warning", {}))
            return dispatch_warning(conn, w["id"], u["op"], now=at, **kw)["id"]

        ids = {"a": order(170, assignee_user="wang"), "b": order(10, assignee_user="wang"),
               "c": order(60, assignee_user=None), "d": order(30, grid=wb.GRID_A21, assignee_user="li"),
               "e": order(20, assignee_user=None, department_code="police"),
               "f": order(60 * 24 * 8, assignee_user="wang")}
        for action in ("acknowledged", "resolved"):
            act(conn, ids["f"], action, u["wang"], note="done", now=NOW - timedelta(days=7, hours=23))
        act(conn, ids["f"], "closed", u["op"], now=NOW - timedelta(days=7, hours=22))
    return engine, u, ids


def _list(engine, user) -> list[int]:
    return [r["id"] for r in qm.my_order_list(engine, user, scope_for(user), NOW)]


def test_a_grid_worker_finds_only_the_orders_assigned_to_them_overdue_first(orders):
    engine, u, ids = orders
    assert _list(engine, u["wang"]) == [ids["a"], ids["b"]]  # a is overdue; then the newest; not c (unassigned)
    assert _list(engine, u["li"]) == [ids["d"]]
    rows = qm.my_order_list(engine, u["wang"], scope_for(u["wang"]), NOW)
    assert [r["overdue"] for r in rows] == [True, False]
    assert rows[0]["village_name"] == "青石村" and rows[0]["evidence_count"] == 3 and rows[0]["photo_count"] == 0


def test_a_liaison_finds_only_their_departments_unassigned_orders(orders):
    engine, u, ids = orders
    assert _list(engine, u["zhao"]) == [ids["c"]]  # not wang's urban orders: a grid worker holds them
    assert _list(engine, u["qian"]) == [ids["e"]]


@pytest.mark.parametrize("name", ["op", "boss", "safehead", "root"])
def test_roles_that_hold_no_orders_find_none(orders, name):
    engine, u, _ = orders
    assert _list(engine, u[name]) == []
    assert qm.my_order_list(engine, None, scope_for(None), NOW) == []


def test_an_orders_page_follows_the_scope_and_offers_only_the_holders_actions(orders):
    engine, u, ids = orders
    page = qm.order_page(engine, u["wang"], scope_for(u["wang"]), ids["a"], NOW)
    assert page["mine"] and page["actions"] == ["acknowledged", "returned"]
    assert page["order"]["grid_name"] and page["order"]["overdue"]
    assert [r["action"] for r in page["log"]] == ["dispatched"]
    seen_not_mine = qm.order_page(engine, u["wang"], scope_for(u["wang"]), ids["c"], NOW)  # in his grid, not his
    assert seen_not_mine is not None and not seen_not_mine["mine"] and seen_not_mine["actions"] == []
    assert qm.order_page(engine, u["li"], scope_for(u["li"]), ids["a"], NOW) is None  # another village
    assert qm.order_page(engine, u["qian"], scope_for(u["qian"]), ids["a"], NOW) is None  # another department
    zhao = qm.order_page(engine, u["zhao"], scope_for(u["zhao"]), ids["a"], NOW)
    assert zhao is not None and zhao["actions"] == []  # his department's, but wang holds it
    assert qm.order_page(engine, u["zhao"], scope_for(u["zhao"]), ids["c"], NOW)["actions"] == ["acknowledged",
                                                                                                 "returned"]
    assert qm.order_page(engine, u["wang"], scope_for(u["wang"]), 10_000, NOW) is None
    assert qm.order_page(engine, u["wang"], scope_for(u["wang"]), True, NOW) is None


def test_the_roles_that_hold_orders_land_on_them(orders):
    _, u, _ = orders
    assert landing_path(u["wang"]) == landing_path(u["zhao"]) == "/my/orders"
    assert landing_path(u["op"]) == "/warnings" and landing_path(u["boss"]) == "/"


# ---------------------------------------------------------------- the page's pieces (in-process app)
def test_upload_data_urls_are_decoded_and_anything_else_refused(cockpit):
    from pages.my_orders import decode_photos, duration

    png = b"\x89PNG\r\n\x1a\nrest"
    assert decode_photos(None) == []
    assert decode_photos(["data:image/png;base64," + base64.b64encode(png).decode()]) == [png]
    assert decode_photos("data:image/jpeg;base64," + base64.b64encode(b"x").decode()) == [b"x"]
    for bad in (["data:image/png;base64,@@@"], ["http://elsewhere/x.png"], [42], {"a": 1}):
        with pytest.raises(PhotoRejected) as err:
            decode_photos(bad)
        assert err.value.key == "order.error.photo_type"
    with pytest.raises(PhotoRejected) as err:
        decode_photos(["data:image/png;base64,AAAA"] * 51)
    assert err.value.key == "order.error.photo_count"
    assert duration(125, "zh") == "2 小时 5 分" and duration(120, "zh") == "2 小时" and duration(45, "en") == "45 min"
    assert duration(60 * 27, "zh") == "1 天 3 小时"
