"""Demo accounts and the ``users`` CLI commands."""

import argparse
import io

import pytest

from cockpit.auth import ensure_demo_users, scope_for
from cockpit.auth.cli import register
from cockpit.auth.passwords import verify_password
from cockpit.auth.roles import ROLES
from cockpit.auth.users import UserError, create_user, get_user, list_users


def run(engine, *argv):
    parser = argparse.ArgumentParser(prog="cockpit")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    args.engine, args.out = engine, io.StringIO()
    code = args.func(args)
    return code, args.out.getvalue()


def test_demo_users_one_per_role_and_stable(sqlite_engine):
    first = ensure_demo_users(sqlite_engine)
    with sqlite_engine.connect() as conn:
        users = {u.username: u for u in list_users(conn)}
    assert sorted(u.role for u in users.values()) == sorted(ROLES)
    assert set(first) == set(users)
    for name, password in first.items():
        assert verify_password(users[name].password_hash, password) and len(password) >= 12
    assert len(set(first.values())) == len(first)
    assert ensure_demo_users(sqlite_engine) == first  # returned as they are, not changed
    grid = users["grid_worker"]
    assert grid.grid_codes and scope_for(grid).areas == frozenset(grid.grid_codes)
    assert scope_for(users["board_safety"]).boards == frozenset({"safety"})
    assert scope_for(users["liaison_police"]).departments == frozenset({"police"})


def test_cli_add_list_disable_enable_reset(sqlite_engine):
    code, out = run(sqlite_engine, "users", "add", "Zhang", "--role", "board_head", "--board", "economy",
                    "--name", "张主任")
    assert code == 0 and out.startswith("created zhang (board_head)")
    generated = out.split("password: ")[1].split()[0]
    with sqlite_engine.connect() as conn:
        zhang = get_user(conn, "zhang")
    assert zhang.display_name == "张主任" and zhang.must_change_password
    assert verify_password(zhang.password_hash, generated)

    code, out = run(sqlite_engine, "users", "add", "wang", "--role", "grid_worker", "--grids",
                    "33099910120101,33099910120102", "--password", "Given-Pass-1")
    assert code == 0 and "password:" not in out
    code, out = run(sqlite_engine, "users", "list")
    lines = out.splitlines()
    assert lines[1].split()[:4] == ["wang", "grid_worker", "33099910120101,33099910120102", "active"]
    assert lines[2].split()[:4] == ["zhang", "board_head", "economy", "active"]
    assert "Given-Pass-1" not in out and generated not in out

    assert run(sqlite_engine, "users", "disable", "wang") == (0, "wang disabled\n")
    assert run(sqlite_engine, "users", "list")[1].splitlines()[1].split()[3] == "disabled"
    assert run(sqlite_engine, "users", "enable", "wang") == (0, "wang enabled\n")
    code, out = run(sqlite_engine, "users", "reset-password", "wang", "--password", "Reset-Pass-22")
    assert code == 0
    with sqlite_engine.connect() as conn:
        wang = get_user(conn, "wang")
    assert verify_password(wang.password_hash, "Reset-Pass-22") and wang.must_change_password


@pytest.mark.parametrize("argv", [
    ("users", "add", "x1", "--role", "board_head"),  # no board
    ("users", "add", "x2", "--role", "grid_worker"),  # no grids
    ("users", "add", "x3", "--role", "grid_worker", "--grids", "abc"),
    ("users", "add", "x4", "--role", "department_liaison", "--department", "nope"),
    ("users", "add", "bad name", "--role", "leader"),
    ("users", "add", "x5", "--role", "leader", "--password", "short"),
    ("users", "disable", "ghost"),
    ("users", "reset-password", "ghost"),
])
def test_cli_refuses_bad_input_with_exit_code_2(sqlite_engine, argv, capsys):
    code, _ = run(sqlite_engine, *argv)
    assert code == 2
    assert capsys.readouterr().err.startswith("error: ")
    with sqlite_engine.connect() as conn:
        assert list_users(conn) == []


def test_duplicate_username_is_refused(sqlite_engine):
    with sqlite_engine.begin() as conn:
        create_user(conn, "li", "Correct-Horse-7", "leader", actor="t")
    with pytest.raises(UserError, match="已存在"):
        with sqlite_engine.begin() as conn:
            create_user(conn, "LI", "Correct-Horse-7", "leader", actor="t")
