"""``python -m cockpit users …``: add, list, disable, enable, reset-password.

The CLI module calls ``register(subparsers)``; each handler takes the parsed arguments and returns
an exit code. The warehouse URL comes from ``args.url`` when the CLI offers one, else from the configuration.
``list --json`` prints the same rows as the text listing (``user_row``) as JSON, without any password hash.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, TextIO

from sqlalchemy import Engine

from cockpit.auth.passwords import generate_password
from cockpit.auth.roles import ROLES
from cockpit.auth.users import User, UserError, create_user, list_users, reset_password, set_disabled

ACTOR = "cli"


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``users`` command with its subcommands to ``subparsers``."""
    users = subparsers.add_parser("users", help="manage user accounts", description="Manage user accounts.")
    sub = users.add_subparsers(dest="users_command", required=True, metavar="{add,list,disable,enable,reset-password}")

    add = sub.add_parser("add", help="create a user", description="Create a user. Without --password a random one "
                         "is generated and printed once; the user must change it at first login.")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=sorted(ROLES))
    add.add_argument("--name", dest="display_name", help="display name (default: the username)")
    add.add_argument("--board", help="board of a board_head: party, economy, safety, services")
    add.add_argument("--grids", help="comma-separated grid codes of a grid_worker")
    add.add_argument("--department", help="department code of a department_liaison")
    add.add_argument("--password", help="initial password (default: generated); use --ask to type it instead")
    add.add_argument("--ask", action="store_true", help="prompt for the password")
    add.set_defaults(func=cmd_add)

    lst = sub.add_parser("list", help="list users", description="List users (never passwords).")
    lst.add_argument("--json", action="store_true", help=_json_help())
    lst.set_defaults(func=cmd_list)

    for name, disabled in (("disable", True), ("enable", False)):
        p = sub.add_parser(name, help=f"{name} a user", description=f"{name.capitalize()} a user"
                           + (" and end their sessions." if disabled else "."))
        p.add_argument("username")
        p.set_defaults(func=cmd_disable if disabled else cmd_enable)

    reset = sub.add_parser("reset-password", help="set a new password",
                           description="Set a new password (generated unless --password or --ask); ends the user's "
                           "sessions; the user must change it at next login.")
    reset.add_argument("username")
    reset.add_argument("--password")
    reset.add_argument("--ask", action="store_true", help="prompt for the password")
    reset.set_defaults(func=cmd_reset_password)
    return users


def _json_help() -> str:
    from cockpit.cli_output import JSON_HELP

    return JSON_HELP + ('. Shape: [{"username", "display_name", "role", "scope", "board", "grid_codes", '
                        '"department_code", "status", "disabled", "must_change_password", "is_demo", "created_at", '
                        '"updated_at", "last_login_at"}], times in ISO 8601 with their offset; never a password '
                        'or its hash')


def _engine(args: argparse.Namespace) -> Engine:
    engine = getattr(args, "engine", None)
    if engine is not None:  # tests and callers that already hold one
        return engine
    from cockpit.config import load_config
    from cockpit.warehouse.db import engine_for

    url = getattr(args, "url", None) or load_config(getattr(args, "config", None)).warehouse_url
    return engine_for(url)


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password to set and whether it was generated (and so must be printed)."""
    if args.password:
        return args.password, False
    if args.ask:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat: "):
            raise UserError("两次输入的密码不一致 / the passwords differ")
        return first, False
    return generate_password(), True


def _out(args: argparse.Namespace) -> TextIO:
    return getattr(args, "out", None) or sys.stdout


def _fail(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 2


def cmd_add(args: argparse.Namespace) -> int:
    try:
        password, generated = _password(args)
        grids = tuple((args.grids or "").split(","))
        with _engine(args).begin() as conn:
            user = create_user(conn, args.username, password, args.role, actor=ACTOR, display_name=args.display_name,
                               board=args.board, grid_codes=grids, department_code=args.department)
    except UserError as exc:
        return _fail(exc)
    out = _out(args)
    print(f"created {user.username} ({user.role})", file=out)
    if generated:
        print(f"password: {password}  (shown once; to be changed at first login)", file=out)
    return 0


def user_row(u: User) -> dict[str, Any]:
    """One user as ``users list`` shows it, fields named one by one so no password hash can slip in."""
    from cockpit.cli_output import iso_time

    return {
        "username": u.username, "display_name": u.display_name, "role": u.role,
        "scope": u.board or u.department_code or ",".join(u.grid_codes) or None,
        "board": u.board, "grid_codes": list(u.grid_codes), "department_code": u.department_code,
        "status": "disabled" if u.disabled else ("demo" if u.is_demo else "active"),
        "disabled": u.disabled, "must_change_password": u.must_change_password, "is_demo": u.is_demo,
        "created_at": iso_time(u.created_at), "updated_at": iso_time(u.updated_at),
        "last_login_at": iso_time(u.last_login_at),
    }


def cmd_list(args: argparse.Namespace) -> int:
    with _engine(args).connect() as conn:
        rows = [user_row(u) for u in list_users(conn)]
    out = _out(args)
    if getattr(args, "json", False):
        from cockpit.cli_output import print_json

        print_json(rows, out)
        return 0
    print(f"{'username':<20} {'role':<19} {'scope':<32} {'status':<9} last login", file=out)
    for r in rows:
        last = r["last_login_at"][:16].replace("T", " ") if r["last_login_at"] else "-"
        print(f"{r['username']:<20} {r['role']:<19} {(r['scope'] or '-')[:32]:<32} {r['status']:<9} {last}", file=out)
    return 0


def _set_disabled(args: argparse.Namespace, disabled: bool) -> int:
    try:
        with _engine(args).begin() as conn:
            user = set_disabled(conn, args.username, disabled, actor=ACTOR)
    except UserError as exc:
        return _fail(exc)
    print(f"{user.username} {'disabled' if disabled else 'enabled'}", file=_out(args))
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    return _set_disabled(args, True)


def cmd_enable(args: argparse.Namespace) -> int:
    return _set_disabled(args, False)


def cmd_reset_password(args: argparse.Namespace) -> int:
    try:
        password, generated = _password(args)
        with _engine(args).begin() as conn:
            user = reset_password(conn, args.username, password, actor=ACTOR)
    except UserError as exc:
        return _fail(exc)
    out = _out(args)
    print(f"password of {user.username} reset; their sessions are ended", file=out)
    if generated:
        print(f"password: {password}  (shown once; to be changed at next login)", file=out)
    return 0
