import pytest

from cockpit.auth.roles import NOTHING, can, scope_for
from cockpit.auth.users import KIOSK_USER, User


def user(role, **kw):
    return User(id=1, username="u", display_name="u", role=role, **kw)


def test_leader_and_operator_see_everything_with_names():
    for role in ("leader", "operator"):
        s = scope_for(user(role))
        assert (s.areas, s.boards, s.departments, s.personal_data) == (None, None, None, True)


def test_board_head_sees_their_board_without_names():
    s = scope_for(user("board_head", board="safety"))
    assert s.boards == frozenset({"safety"}) and s.areas is None and s.departments is None
    assert not s.personal_data
    assert s.allows_board("safety") and not s.allows_board("economy")


def test_grid_worker_sees_their_grids_with_names():
    s = scope_for(user("grid_worker", grid_codes=("33099910120101", "33099910120102")))
    assert s.areas == frozenset({"33099910120101", "33099910120102"})
    assert s.personal_data
    assert s.allows_area("33099910120101") and not s.allows_area("33099910120103")
    assert not s.allows_area("330999101201")  # the village above is not theirs


def test_department_liaison_sees_their_department_without_names():
    s = scope_for(user("department_liaison", department_code="police"))
    assert s.departments == frozenset({"police"}) and s.boards is None and not s.personal_data


def test_admin_and_kiosk_see_aggregates_without_names():
    for u in (user("admin"), KIOSK_USER):
        s = scope_for(u)
        assert (s.areas, s.boards, s.departments, s.personal_data) == (None, None, None, False)


@pytest.mark.parametrize("u", [None, user("leader", disabled=True), user("nonsense"),
                               user("board_head"), user("department_liaison")])
def test_nobody_disabled_unknown_or_incomplete_sees_nothing(u):
    s = scope_for(u)
    assert s.areas in (frozenset(), None) and not s.personal_data
    if u is None or u.disabled or u.role == "nonsense":
        assert s == NOTHING
    else:  # a board head without a board, a liaison without a department: empty sets, i.e. nothing
        assert frozenset() in (s.boards, s.departments)


def test_permissions():
    assert can(user("admin"), "users.manage") and not can(user("leader"), "users.manage")
    assert can(user("operator"), "work_order.dispatch") and can(user("grid_worker"), "work_order.handle")
    assert not can(user("grid_worker"), "work_order.dispatch") and not can(user("board_head"), "work_order.handle")
    assert not can(KIOSK_USER, "export") and can(KIOSK_USER, "view")
    # acting on warnings: the command centre and the leaders; a board head follows its warnings read-only
    assert [r for r in ("leader", "operator", "board_head", "grid_worker", "department_liaison", "admin")
            if can(user(r), "warning.act")] == ["leader", "operator"]
    assert not can(KIOSK_USER, "warning.act")
    assert not can(None, "view") and not can(user("operator", disabled=True), "view")
