"""User accounts: create, read, list, disable, reset and change passwords, demo accounts.

Usernames are stored lower-case. Every function takes a SQLAlchemy connection and runs in the
caller's transaction; changes are audit-logged by the caller's ``actor``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from cockpit.auth import roles
from cockpit.auth.audit import audit
from cockpit.auth.passwords import generate_password, hash_password, verify_password
from cockpit.auth.sessions import end_user_sessions
from cockpit.reference import BOARDS, DEPARTMENTS
from cockpit.warehouse.schema import area, user_account
from cockpit import clock

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
GRID_CODE_RE = re.compile(r"^\d{6,20}$")


class UserError(ValueError):
    """A user change that cannot be made; the message says why (Chinese / English)."""


@dataclass(frozen=True)
class User:
    id: int | None
    username: str
    display_name: str
    role: str
    board: str | None = None
    grid_codes: tuple[str, ...] = ()
    department_code: str | None = None
    disabled: bool = False
    must_change_password: bool = False
    is_demo: bool = False
    password_hash: str = field(default="", repr=False, compare=False)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_login_at: datetime | None = None

    def role_label(self, lang: str) -> str:
        from cockpit.i18n import t

        return t(f"role.{self.role}", lang)


KIOSK_USER = User(id=None, username="kiosk", display_name="大屏", role=roles.KIOSK)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise_username(username: str) -> str:
    """Lower-case, trimmed, at most 64 characters, control characters removed (PostgreSQL refuses NUL)."""
    return _CONTROL.sub("", username or "").strip().lower()[:64]


def _row_to_user(row) -> User:  # noqa: ANN001 - a SQLAlchemy Row
    return User(
        id=row.id, username=row.username, display_name=row.display_name, role=row.role, board=row.board,
        grid_codes=tuple(c for c in (row.grid_codes or "").split(",") if c), department_code=row.department_code,
        disabled=bool(row.disabled), must_change_password=bool(row.must_change_password),
        is_demo=row.demo_password is not None, password_hash=row.password_hash, created_at=row.created_at,
        updated_at=row.updated_at, last_login_at=row.last_login_at,
    )


def _check_role_fields(role: str, board: str | None, grid_codes: tuple[str, ...], department_code: str | None) -> None:
    if role not in roles.ROLES:
        raise UserError(f"未知角色 {role!r} / unknown role; use one of: " + ", ".join(roles.ROLES))
    if role == roles.BOARD_HEAD and board not in BOARDS:
        raise UserError("板块负责人须指定板块 / a board head needs --board, one of: " + ", ".join(BOARDS))
    if role == roles.GRID_WORKER:
        if not grid_codes:
            raise UserError("网格员须指定网格 / a grid worker needs --grids (comma-separated grid codes)")
        bad = [g for g in grid_codes if not GRID_CODE_RE.match(g)]
        if bad:
            raise UserError(f"网格编码无效 / invalid grid code {bad[0]!r}: digits only")
    if role == roles.DEPARTMENT_LIAISON and department_code not in {d.code for d in DEPARTMENTS}:
        raise UserError("部门联络员须指定部门 / a department liaison needs --department, one of: "
                        + ", ".join(d.code for d in DEPARTMENTS))


def create_user(conn: Connection, username: str, password: str | None, role: str, *, actor: str,
                display_name: str | None = None, board: str | None = None, grid_codes: tuple[str, ...] = (),
                department_code: str | None = None, must_change_password: bool = True,
                now: datetime | None = None, ip: str | None = None, _demo_password: str | None = None) -> User:
    """Create a user. Raises ``UserError`` for a bad username, role fields or password, or a taken name.
    ``password=None``: an account that cannot sign in until an administrator sets its password (the
    demo's simulated field staff)."""
    name = normalise_username(username)
    if not USERNAME_RE.match(name):
        raise UserError("用户名只能包含字母、数字和 _ . -（2–64 位）/ a username is 2-64 letters, digits, _ . -")
    grid_codes = tuple(g.strip() for g in grid_codes if g.strip())
    _check_role_fields(role, board, grid_codes, department_code)
    try:
        pw_hash = "" if password is None else hash_password(password)  # "": no password verifies against it
    except ValueError as exc:
        raise UserError(str(exc)) from None
    now = now or clock.now()
    values = dict(
        username=name, display_name=(display_name or name)[:80], role=role,
        board=board if role == roles.BOARD_HEAD else None,
        grid_codes=",".join(grid_codes) if role == roles.GRID_WORKER else None,
        department_code=department_code if role == roles.DEPARTMENT_LIAISON else None,
        password_hash=pw_hash, disabled=False, must_change_password=must_change_password,
        demo_password=_demo_password, created_at=now, updated_at=now,
    )
    if conn.execute(select(user_account.c.id).where(user_account.c.username == name)).first():
        raise UserError(f"用户名 {name!r} 已存在 / the username is taken")
    conn.execute(insert(user_account).values(**values))
    user = get_user(conn, name)
    assert user is not None
    audit(conn, actor, "user.create", "user", name,
          {"role": role, "board": values["board"], "grid_codes": values["grid_codes"],
           "department_code": values["department_code"]}, ip=ip, now=now)
    return user


def get_user(conn: Connection, username: str) -> User | None:
    row = conn.execute(select(user_account).where(user_account.c.username == normalise_username(username))).first()
    return _row_to_user(row) if row else None


def get_user_by_id(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(user_account).where(user_account.c.id == user_id)).first()
    return _row_to_user(row) if row else None


def list_users(conn: Connection) -> list[User]:
    return [_row_to_user(r) for r in conn.execute(select(user_account).order_by(user_account.c.username))]


def _require(conn: Connection, username: str) -> User:
    user = get_user(conn, username)
    if user is None:
        raise UserError(f"用户 {normalise_username(username)!r} 不存在 / no such user")
    return user


def set_disabled(conn: Connection, username: str, disabled: bool, *, actor: str, now: datetime | None = None,
                 ip: str | None = None) -> User:
    """Disable (or re-enable) a user; a disabled user's sessions stop working at their next request."""
    user = _require(conn, username)
    now = now or clock.now()
    conn.execute(update(user_account).where(user_account.c.id == user.id).values(disabled=disabled, updated_at=now))
    if disabled:
        end_user_sessions(conn, user.id, now)
    audit(conn, actor, "user.disable" if disabled else "user.enable", "user", user.username, {}, ip=ip, now=now)
    return _require(conn, username)


def reset_password(conn: Connection, username: str, new_password: str, *, actor: str,
                   must_change_password: bool = True, now: datetime | None = None, ip: str | None = None) -> User:
    """Set a new password (by an admin). Ends the demo status of a demo account."""
    user = _require(conn, username)
    try:
        pw_hash = hash_password(new_password)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    now = now or clock.now()
    conn.execute(update(user_account).where(user_account.c.id == user.id).values(
        password_hash=pw_hash, must_change_password=must_change_password, demo_password=None, updated_at=now))
    end_user_sessions(conn, user.id, now)
    audit(conn, actor, "user.reset_password", "user", user.username, {}, ip=ip, now=now)
    return _require(conn, username)


def change_own_password(conn: Connection, username: str, old_password: str, new_password: str, *,
                        now: datetime | None = None, ip: str | None = None) -> User:
    """A user changes their own password; the old one must match and the new one must differ."""
    user = _require(conn, username)
    if not verify_password(user.password_hash, old_password):
        raise UserError("原密码不正确 / the current password is wrong")
    if old_password == new_password:
        raise UserError("新密码不能与原密码相同 / the new password must differ from the current one")
    try:
        pw_hash = hash_password(new_password)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    now = now or clock.now()
    conn.execute(update(user_account).where(user_account.c.id == user.id).values(
        password_hash=pw_hash, must_change_password=False, demo_password=None, updated_at=now))
    audit(conn, user.username, "user.change_password", "user", user.username, {}, ip=ip, now=now)
    return _require(conn, username)


def check_login(conn: Connection, username: str, password: str) -> tuple[User | None, str]:
    """``(user, "ok")`` if ``username`` exists, is enabled and ``password`` matches, else ``(None, reason)``
    with reason ``unknown_user``, ``wrong_password`` or ``disabled`` (for the audit log, never shown).
    The password is verified even for an unknown user, so timing does not reveal which names exist."""
    user = get_user(conn, username)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None:
        return None, "unknown_user"
    if not ok:
        return None, "wrong_password"
    if user.disabled:
        return None, "disabled"
    return user, "ok"


def authenticate(conn: Connection, username: str, password: str) -> User | None:
    """The user if the login is good, else None."""
    return check_login(conn, username, password)[0]


def mark_login(conn: Connection, user: User, now: datetime) -> None:
    conn.execute(update(user_account).where(user_account.c.id == user.id).values(last_login_at=now))


# ---------------------------------------------------------------- demo accounts
def _demo_grids(conn: Connection) -> tuple[str, ...]:
    grids = conn.execute(select(area.c.code).where(area.c.level == "grid").order_by(area.c.code).limit(2)).scalars().all()
    if grids:
        return tuple(grids)
    from cockpit.demo.geography import COUNTY_CODE  # the demo township's first village, before any load

    return (f"{COUNTY_CODE}10120101", f"{COUNTY_CODE}10120102")


DEMO_ACCOUNTS: tuple[tuple[str, str, str, dict], ...] = (
    ("leader", "演示·镇领导", roles.LEADER, {}),
    ("operator", "演示·值班员", roles.OPERATOR, {}),
    ("board_safety", "演示·平安法治板块负责人", roles.BOARD_HEAD, {"board": "safety"}),
    ("grid_worker", "演示·网格员", roles.GRID_WORKER, {"grid_codes": None}),
    ("liaison_police", "演示·公安联络员", roles.DEPARTMENT_LIAISON, {"department_code": "police"}),
    ("admin", "演示·管理员", roles.ADMIN, {}),
)


def ensure_demo_users(engine: Engine) -> dict[str, str]:
    """One demo account per role with a random password; existing demo accounts are left as they are.

    Returns username -> password for every demo account whose generated password is still the one
    set (an account whose password was changed or reset is no longer a demo account).
    """
    with engine.begin() as conn:
        for username, display, role, extra in DEMO_ACCOUNTS:
            if get_user(conn, username) is not None:
                continue
            fields = dict(extra)
            if "grid_codes" in fields:
                fields["grid_codes"] = _demo_grids(conn)
            password = generate_password()
            try:
                with conn.begin_nested():
                    create_user(conn, username, password, role, actor="system", display_name=display,
                                must_change_password=False, _demo_password=password, **fields)
            except IntegrityError:  # another worker created it at the same moment
                pass
        rows = conn.execute(select(user_account.c.username, user_account.c.demo_password)
                            .where(user_account.c.demo_password.is_not(None))
                            .where(user_account.c.username.in_([a[0] for a in DEMO_ACCOUNTS]))).all()
    return {r.username: r.demo_password for r in rows}


def valid_demo_passwords(conn: Connection) -> list[str]:
    """Usernames of enabled accounts that still log in with their generated demo password."""
    rows = conn.execute(select(user_account).where(user_account.c.demo_password.is_not(None))
                        .where(user_account.c.disabled == False)).all()  # noqa: E712 - SQL comparison
    return sorted(r.username for r in rows if verify_password(r.password_hash, r.demo_password))


def count_users(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(user_account)).scalar_one()
