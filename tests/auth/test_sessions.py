"""Idle and absolute session expiry, driven by the injected clock."""

from sqlalchemy import select

from cockpit.warehouse.schema import audit_log, user_session
from tests.auth.conftest import build_app, dash_post, login, make_config


def test_idle_timeout(engine, clock, db_url, add_user):
    app = build_app(engine, make_config(db_url, session_idle_minutes=30, session_max_hours=8), clock)
    add_user("li")
    client = app.test_client()
    login(client, "li")
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200  # activity within the idle limit keeps it alive
    clock.advance(minutes=29)
    assert dash_post(client).status_code == 200
    clock.advance(minutes=31)
    r = client.get("/board/safety")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=%2Fboard%2Fsafety&expired=1"
    assert "会话已过期" in client.get(r.headers["Location"]).get_data(as_text=True)
    with engine.connect() as conn:
        assert conn.execute(select(user_session.c.ended_at)).scalar_one() == clock.now
        assert conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "session.expired")).scalar_one() \
            == '{"reason": "idle"}'


def test_absolute_timeout_despite_activity(engine, clock, db_url, add_user):
    app = build_app(engine, make_config(db_url, session_idle_minutes=30, session_max_hours=2), clock)
    add_user("li")
    client = app.test_client()
    login(client, "li")
    for _ in range(7):  # active every 17 minutes: 119 minutes in all
        clock.advance(minutes=17)
        assert client.get("/").status_code == 200
    clock.advance(minutes=2)  # 121 minutes after login
    assert client.get("/").status_code == 302
    assert dash_post(client).status_code == 401
    assert login(client, "li").status_code == 302 and client.get("/").status_code == 200  # a new login works


def test_expiry_holds_across_workers(engine, clock, db_url, add_user):
    """Two app instances (two web workers) share the session table: activity on one counts on the other."""
    config = make_config(db_url, session_idle_minutes=30)
    a, b = build_app(engine, config, clock), build_app(engine, config, clock)
    add_user("li")
    ca = a.test_client()
    login(ca, "li")
    cb = b.test_client()
    cb.set_cookie("cockpit_session", ca.get_cookie("cockpit_session").value)
    clock.advance(minutes=20)
    assert cb.get("/").status_code == 200
    clock.advance(minutes=20)  # 40 min after login, 20 after the last request (on worker b)
    assert ca.get("/").status_code == 200
    clock.advance(minutes=31)
    assert cb.get("/").status_code == 302
