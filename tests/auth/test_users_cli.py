"""Demo accounts and the ``users`` CLI commands."""

import argparse
import io
import json
from datetime import datetime

import pytest
from sqlalchemy import text

from cockpit.auth import ensure_demo_users, scope_for
from cockpit.auth.cli import register
from cockpit.auth.passwords import verify_password
from cockpit.auth.roles import ROLES
from cockpit.auth.users import UserError, create_user, get_user, list_users


def parser():
    p = argparse.ArgumentParser(prog="cockpit")
    register(p.add_subparsers(dest="command"))
    return p


def run(engine, *argv):
    parser_ = parser()
    args = parser_.parse_args(list(argv))
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


def test_list_help_mentions_json(capsys):
    with pytest.raises(SystemExit) as done:
        parser().parse_args(["users", "list", "--help"])
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # unwrapped
    assert "--json" in out and "never a password or its hash" in out


def test_list_json_holds_what_the_text_shows_and_no_password(engine):
    assert run(engine, "users", "add", "zhang", "--role", "board_head", "--board", "economy", "--name", "张主任",
               "--password", "Given-Pass-1")[0] == 0
    assert run(engine, "users", "add", "wang", "--role", "grid_worker", "--grids", "33099910120101,33099910120102",
               "--password", "Given-Pass-2")[0] == 0
    assert run(engine, "users", "add", "li", "--role", "leader", "--password", "Given-Pass-3")[0] == 0
    assert run(engine, "users", "disable", "li")[0] == 0
    with engine.begin() as conn:  # a sign-in, written as the app stores times: Beijing wall-clock, no offset
        conn.execute(text("UPDATE user_account SET last_login_at = :at WHERE username = 'zhang'"),
                     {"at": datetime(2026, 11, 18, 9, 15, 42)})
        hashes = [h for (h,) in conn.execute(text("SELECT password_hash FROM user_account"))]

    code, out = run(engine, "users", "list", "--json")
    assert code == 0
    rows = json.loads(out)  # nothing but the JSON
    assert [r["username"] for r in rows] == ["li", "wang", "zhang"]
    assert all(set(r) == {"username", "display_name", "role", "scope", "board", "grid_codes", "department_code",
                          "status", "disabled", "must_change_password", "is_demo", "created_at", "updated_at",
                          "last_login_at"} for r in rows)
    assert not any(h in out for h in hashes) and "Given-Pass" not in out
    li, wang, zhang = rows
    assert zhang["display_name"] == "张主任" and zhang["scope"] == zhang["board"] == "economy"
    assert zhang["last_login_at"] == "2026-11-18T09:15:42+08:00"
    assert datetime.fromisoformat(zhang["created_at"]).utcoffset().total_seconds() == 8 * 3600
    assert wang["grid_codes"] == ["33099910120101", "33099910120102"] and wang["last_login_at"] is None
    assert (li["status"], li["disabled"], li["scope"]) == ("disabled", True, None)
    assert all(r["must_change_password"] is True and r["is_demo"] is False for r in rows)  # created by the CLI

    code, out = run(engine, "users", "list")
    lines = out.splitlines()
    assert len(lines) == len(rows) + 1
    for r, line in zip(rows, lines[1:]):
        last = datetime.fromisoformat(r["last_login_at"]).strftime("%Y-%m-%d %H:%M") if r["last_login_at"] else "-"
        assert line.split() == [r["username"], r["role"], r["scope"] or "-", r["status"], *last.split()]
