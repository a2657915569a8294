"""Failed logins are limited per username and per IP, counted in the database across app instances."""

from sqlalchemy import func, select

from cockpit.auth.ratelimit import IP_FACTOR
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
    for i in range(2 * IP_FACTOR):  # spraying different names from one address
        assert login(app.test_client(), f"guess{i}", "wrong").status_code == 401
    assert login(app.test_client(), "li", PASSWORD).status_code == 429
    other_ip = app.test_client()
    other_ip.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert login(other_ip, "li", PASSWORD).status_code == 302
