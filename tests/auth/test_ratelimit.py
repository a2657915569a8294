"""Failed logins are limited per account and address, per address and per account, counted in the
database atomically across app instances (parallel tries on real servers, SQLite and PostgreSQL)."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from cockpit.auth.ratelimit import ACCOUNT_FACTOR, ADDRESS_FACTOR
from cockpit.warehouse.db import make_engine
from cockpit.warehouse.schema import audit_log, login_attempt
from tests.auth.conftest import PASSWORD, build_app, login, make_config


def test_username_limit_is_shared_by_two_app_instances(engine, clock, db_url, add_user):
    add_user("li")
    config = make_config(db_url, login_max_attempts=3, login_window_minutes=10)
    other_engine = make_engine(db_url)  # the second worker has its own connection pool
    try:
        a, b = build_app(engine, config, clock), build_app(other_engine, config, clock)
        assert login(a.test_client(), "li", "wrong-1").status_code == 401
        assert login(b.test_client(), "li", "wrong-2").status_code == 401
        assert login(a.test_client(), "li", "wrong-3").status_code == 401
        r = login(b.test_client(), "li", PASSWORD)  # the right password, but blocked: 3 failures in 10 min
        assert r.status_code == 429 and "10 分钟后再试" in r.get_data(as_text=True)
        clock.advance(minutes=4)
        r = login(a.test_client(), "li", PASSWORD)
        assert r.status_code == 429 and "6 分钟后再试" in r.get_data(as_text=True)
        clock.advance(minutes=6, seconds=1)  # the first failure has left the window
        assert login(b.test_client(), "li", PASSWORD).status_code == 302
        # a success starts the count afresh
        assert login(a.test_client(), "li", "wrong-4").status_code == 401
        assert login(a.test_client(), "li", PASSWORD).status_code == 302
    finally:
        other_engine.dispose()
    with engine.connect() as conn:
        # blocked tries are audited but not counted as attempts (so a block does not extend itself)
        assert conn.execute(select(func.count()).select_from(login_attempt)).scalar_one() == 6
        assert conn.execute(select(func.count()).where(audit_log.c.action == "login.blocked")).scalar_one() == 2


def test_other_users_are_not_blocked_by_a_username_block(engine, clock, db_url, add_user):
    add_user("li")
    add_user("zhao")
    app = build_app(engine, make_config(db_url, login_max_attempts=2), clock)
    for _ in range(2):
        login(app.test_client(), "li", "wrong")
    assert login(app.test_client(), "li", PASSWORD).status_code == 429
    assert login(app.test_client(), "zhao", PASSWORD).status_code == 302


def test_ip_limit_across_usernames(engine, clock, db_url, add_user):
    add_user("li")
    app = build_app(engine, make_config(db_url, login_max_attempts=2), clock)
    for i in range(2 * ADDRESS_FACTOR):  # spraying different names from one address
        assert login(app.test_client(), f"guess{i}", "wrong").status_code == 401
    assert login(app.test_client(), "li", PASSWORD).status_code == 429
    other_ip = app.test_client()
    other_ip.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert login(other_ip, "li", PASSWORD).status_code == 302


# ---------------------------------------------------------------- parallel tries against real servers
@contextmanager
def two_workers(db_url, config, clock):
    """Two app instances with their own engines (like two worker processes), each on a real threaded server."""
    engines = [make_engine(db_url), make_engine(db_url)]
    servers = [make_server("127.0.0.1", 0, build_app(e, config, clock), threaded=True) for e in engines]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    try:
        yield [f"http://127.0.0.1:{s.server_port}" for s in servers]
    finally:
        for s in servers:
            s.shutdown()
        for e in engines:
            e.dispose()


def parallel_logins(bases: list[str], usernames: list[str], password: str) -> list[int]:
    """Log in with every username at once (each from its own browser session, alternating workers)."""
    barrier = threading.Barrier(len(usernames))

    def one(i: int) -> int:
        http = requests.Session()
        base = bases[i % len(bases)]
        token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(base + "/login").text).group(1)
        barrier.wait()
        return http.post(base + "/login", data={"username": usernames[i], "password": password, "csrf_token": token,
                                                "next": "/"}, allow_redirects=False, timeout=60).status_code

    with ThreadPoolExecutor(len(usernames)) as pool:
        return list(pool.map(one, range(len(usernames))))


@pytest.mark.parametrize("spread", ["one account", "many accounts"])
def test_parallel_wrong_passwords_never_exceed_the_limit(engine, clock, db_url, add_user, spread):
    add_user("li")
    config = make_config(db_url, login_max_attempts=5)
    limit, names = (5, ["li"] * 12) if spread == "one account" else (5 * ADDRESS_FACTOR, [f"guess{i}" for i in range(28)])
    with two_workers(db_url, config, clock) as bases:
        statuses = parallel_logins(bases, names, "wrong-password")
    assert sorted(statuses) == [401] * limit + [429] * (len(names) - limit)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(login_attempt)).scalar_one() == limit
        assert conn.execute(select(func.count()).where(audit_log.c.action == "login.failure")).scalar_one() == limit


# ---------------------------------------------------------------- the lock-out attack
def from_address(app, ip: str):  # noqa: ANN001
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_owner_signs_in_while_an_attacker_is_throttled(engine, clock, db_url, add_user):
    add_user("li")
    app = build_app(engine, make_config(db_url, login_max_attempts=5), clock)
    for _ in range(5):
        assert login(from_address(app, "10.0.0.66"), "li", "guess").status_code == 401
    assert login(from_address(app, "10.0.0.66"), "li", PASSWORD).status_code == 429  # even the right one
    owner = from_address(app, "10.0.0.5")
    assert login(owner, "li").status_code == 302
    assert owner.get("/").status_code == 200
    clock.advance(minutes=5)
    assert login(from_address(app, "10.0.0.66"), "li", "guess").status_code == 429  # the owner's login changed nothing
    assert login(from_address(app, "10.0.0.5"), "li", "typo").status_code == 401  # the owner's own count is apart
    clock.advance(minutes=10, seconds=1)
    assert login(from_address(app, "10.0.0.66"), "li", "guess").status_code == 401  # the window has passed


def test_guessing_from_many_addresses_meets_the_account_ceiling_but_not_the_owners_desk(engine, clock, db_url, add_user):
    add_user("li")
    app = build_app(engine, make_config(db_url, login_max_attempts=2), clock)
    assert login(from_address(app, "10.0.0.5"), "li").status_code == 302  # the owner's usual desk
    clock.advance(days=3)
    ceiling = 2 * ACCOUNT_FACTOR
    for i in range(ceiling):  # one guess per address: no address nor pair reaches its own limit
        assert login(from_address(app, f"192.0.2.{i}"), "li", "guess").status_code == 401
    assert login(from_address(app, "192.0.2.200"), "li", PASSWORD).status_code == 429  # a new address: blocked
    assert login(from_address(app, "192.0.2.0"), "li", "guess").status_code == 429
    assert login(from_address(app, "10.0.0.5"), "li").status_code == 302  # the owner's desk still works
    assert login(from_address(app, "192.0.2.201"), "zhao", "guess").status_code == 401  # other accounts unaffected
