"""Rate limiting of failed logins, stored in the database so that every web worker sees the same counts.

Three fixed-window counters of failures (``max_attempts`` = N, ``window`` from ``[auth]``):

- **account and address** (``login.pair``): N failures of one username from one address block that
  pair for the rest of the window; a success resets it. This is the limit an attacker meets. It is
  keyed by the address too, so that five wrong passwords from somewhere do not lock the owner out
  (the lock-out attack): the owner signing in from another address is not counted with them.
- **address** (``login.address``): ``ADDRESS_FACTOR`` × N failures from one address, whatever the
  usernames, block the address (password spraying across accounts). A success does not reset it,
  so one valid account cannot be used to keep guessing others. It is not lower because the
  command centre's desks may share one address.
- **account** (``login.account``): ``ACCOUNT_FACTOR`` × N failures of one username from all
  addresses together block it (guessing spread over many addresses), except from an address the
  account signed in from successfully within ``KNOWN_ADDRESS_DAYS`` (its owner's usual desk or
  phone), so that even this ceiling does not lock the owner out. A success does not reset it.

Reserving comes first: ``reserve_attempt`` locks the three counter rows (an upsert, so a missing
row is created and an expired window restarted in the same statement), decides, and counts the
attempt as a failure before the password is checked, all in one transaction; ``record_result``
takes the count back when the password was right. Two logins in parallel therefore cannot both pass
a limit of one left: on PostgreSQL the upsert holds the row lock until commit, on SQLite the first
write of a transaction takes the database's write lock (every worker process waits for it, up to
the busy timeout). Refused tries are not counted, so a block does not extend itself.

An attacker at the owner's own address (the same NAT) still throttles the owner: nothing on the
server tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, delete, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cockpit.privacy import mask_text
from cockpit.warehouse.schema import login_attempt, rate_counter

ADDRESS_FACTOR = 4
ACCOUNT_FACTOR = 4
KNOWN_ADDRESS_DAYS = 30

PAIR, ACCOUNT, ADDRESS = "login.pair", "login.account", "login.address"


@dataclass(frozen=True)
class Limits:
    max_attempts: int
    window: timedelta

    @property
    def per_address(self) -> int:
        return self.max_attempts * ADDRESS_FACTOR

    @property
    def per_account(self) -> int:
        return self.max_attempts * ACCOUNT_FACTOR


def _key(username: str, ip: str) -> tuple[str, str]:
    # a phone or ID number typed as a user name is kept masked, like everywhere else (two such names
    # that mask alike share a counter: harmless)
    return mask_text(username)[:64], (ip or "-")[:64]


def _upsert(conn: Connection):  # noqa: ANN202 - the dialect's INSERT construct
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(rate_counter)


def _lock(conn: Connection, kind: str, subject: str, ip: str, window: timedelta, now: datetime) -> tuple[int, datetime]:
    """Lock one counter row until the transaction ends; its hits and window start (a window older
    than ``window`` starts afresh at ``now``)."""
    c = rate_counter.c
    expired = c.window_start <= now - window
    stmt = _upsert(conn).values(kind=kind, subject=subject, ip=ip, window_start=now, hits=0)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.kind, c.subject, c.ip],
        set_={"hits": case((expired, 0), else_=c.hits), "window_start": case((expired, now), else_=c.window_start)},
    ).returning(c.hits, c.window_start)
    hits, start = conn.execute(stmt).one()
    return hits, start


def _add(conn: Connection, kind: str, subject: str, ip: str, delta: int, now: datetime) -> None:
    c = rate_counter.c
    where = (c.kind == kind) & (c.subject == subject) & (c.ip == ip)
    if delta > 0:  # the first hit of a window starts it
        values = {"hits": c.hits + delta, "window_start": case((c.hits == 0, now), else_=c.window_start)}
    else:
        values = {"hits": case((c.hits + delta < 0, 0), else_=c.hits + delta)}
    conn.execute(update(rate_counter).where(where).values(**values))


def take(conn: Connection, kind: str, subject: str, ip: str, limit: int, window: timedelta,
         now: datetime) -> tuple[int, datetime]:
    """Count one event of (``kind``, ``subject``, ``ip``) unless ``limit`` were counted in the window:
    ``(its number in the window from 1, or 0 if not counted; when the window ends)``. Atomic like
    the login limits."""
    subject, ip = mask_text(subject)[:64], (ip or "")[:64]
    hits, start = _lock(conn, kind, subject, ip, window, now)
    if hits >= limit:
        return 0, start + window
    _add(conn, kind, subject, ip, 1, now)
    return hits + 1, (start if hits else now) + window


def known_address(conn: Connection, username: str, ip: str, now: datetime) -> bool:
    """Whether ``username`` signed in successfully from ``ip`` within ``KNOWN_ADDRESS_DAYS``."""
    username, ip = _key(username, ip)
    a = login_attempt.c
    return bool(conn.execute(select(exists().where(
        a.username == username, a.ip == ip, a.success == True,  # noqa: E712 - SQL comparison
        a.at > now - timedelta(days=KNOWN_ADDRESS_DAYS)))).scalar())


def reserve_attempt(conn: Connection, username: str, ip: str, limits: Limits, now: datetime) -> datetime | None:
    """Run in its own transaction before the password check. If ``username`` may try from ``ip`` now,
    count the try as a failure and return None; else count nothing and return when the block lifts."""
    username, ip = _key(username, ip)
    # always locked in this order (account, address, pair), so two reservations never deadlock
    account = _lock(conn, ACCOUNT, username, "", limits.window, now)
    address = _lock(conn, ADDRESS, "", ip, limits.window, now)
    pair = _lock(conn, PAIR, username, ip, limits.window, now)
    ends = [start + limits.window for (hits, start), limit in ((pair, limits.max_attempts), (address, limits.per_address))
            if hits >= limit]
    if account[0] >= limits.per_account and not known_address(conn, username, ip, now):
        ends.append(account[1] + limits.window)
    if ends:
        return max(ends)
    for kind, subject, addr in ((ACCOUNT, username, ""), (ADDRESS, "", ip), (PAIR, username, ip)):
        _add(conn, kind, subject, addr, 1, now)
    return None


def record_result(conn: Connection, username: str, ip: str, success: bool, now: datetime) -> None:
    """Log the outcome of a reserved try; a success takes back what ``reserve_attempt`` counted
    (and clears the pair's failures)."""
    username, ip = _key(username, ip)
    conn.execute(insert(login_attempt).values(at=now, username=username, ip=ip, success=success))
    if success:
        c = rate_counter.c
        conn.execute(update(rate_counter).where(c.kind == PAIR, c.subject == username, c.ip == ip).values(hits=0))
        _add(conn, ACCOUNT, username, "", -1, now)
        _add(conn, ADDRESS, "", ip, -1, now)


def prune(conn: Connection, now: datetime, keep: timedelta = timedelta(days=KNOWN_ADDRESS_DAYS)) -> int:
    """Delete attempts and counters older than ``keep`` (the audit log keeps the lasting record)."""
    n = conn.execute(delete(login_attempt).where(login_attempt.c.at < now - keep)).rowcount
    return n + conn.execute(delete(rate_counter).where(rate_counter.c.window_start < now - keep)).rowcount
