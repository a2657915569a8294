"""Refused requests are audited: a wrong CSRF token, a kiosk trying to write, the guard's other 403s and
blocked logins; a flood of the same refusal writes at most ``PER_WINDOW`` rows a window."""

import json

from sqlalchemy import select

from cockpit.auth.refusals import PER_WINDOW, WINDOW
from cockpit.warehouse.schema import audit_log
from tests.auth.conftest import PASSWORD, build_app, csrf_of, dash_post, login, make_config

KIOSK = "k7Hq2-kiosk-Zr9mWp4xLc8vNb3tY"


def refusals(engine, action="request.refused"):
    with engine.connect() as conn:
        return [(r.actor, r.obj_id, json.loads(r.detail), r.ip)
                for r in conn.execute(select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id))]


def test_the_guards_refusals_are_audited(engine, clock, db_url, add_user):
    add_user("li")
    add_user("new", must_change_password=True)
    app = build_app(engine, make_config(db_url, kiosk_token=KIOSK), clock)
    li = app.test_client()
    login(li, "li")
    assert dash_post(li, token="forged").status_code == 403
    newbie = app.test_client()
    login(newbie, "new")
    assert dash_post(newbie).status_code == 403  # must change the password first
    kiosk = app.test_client()
    assert kiosk.get(f"/?kiosk_token={KIOSK}").status_code == 302
    assert kiosk.post("/logout", data={"csrf_token": csrf_of(kiosk)}).status_code == 403  # read-only
    assert kiosk.get("/password").status_code == 403
    assert refusals(engine) == [
        ("li", "/_dash-update-component", {"method": "POST", "reason": "csrf"}, "127.0.0.1"),
        ("new", "/_dash-update-component", {"method": "POST", "reason": "must_change"}, "127.0.0.1"),
        ("kiosk", "/logout", {"method": "POST", "reason": "kiosk_readonly"}, "127.0.0.1"),
        ("kiosk", "/password", {"method": "GET", "reason": "kiosk_password"}, "127.0.0.1"),
    ]
    assert dash_post(li).status_code == 200 and len(refusals(engine)) == 4  # what is allowed is not recorded


def test_a_flood_of_refusals_writes_a_bounded_number_of_rows(engine, clock, db_url, add_user):
    add_user("li")
    app = build_app(engine, make_config(db_url), clock)
    client = app.test_client()
    login(client, "li")
    for _ in range(PER_WINDOW + 30):
        assert dash_post(client, token="forged").status_code == 403  # every one is still refused
    rows = refusals(engine)
    assert len(rows) == PER_WINDOW
    assert "unrecorded_until" in rows[-1][2] and all("unrecorded_until" not in r[2] for r in rows[:-1])
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    login(other, "li")
    assert dash_post(other, token="forged").status_code == 403
    assert len(refusals(engine)) == PER_WINDOW + 1  # another address is counted apart
    clock.advance(seconds=WINDOW.total_seconds() + 1)
    assert dash_post(client, token="forged").status_code == 403
    assert len(refusals(engine)) == PER_WINDOW + 2  # a new window records again


def test_blocked_logins_are_audited_but_cannot_flood_the_log(engine, clock, db_url, add_user):
    add_user("li")
    app = build_app(engine, make_config(db_url, login_max_attempts=1), clock)
    assert login(app.test_client(), "li", "wrong").status_code == 401
    for _ in range(PER_WINDOW + 10):
        assert login(app.test_client(), "li", PASSWORD).status_code == 429
    rows = refusals(engine, "login.blocked")
    assert len(rows) == PER_WINDOW and rows[0][:2] == ("li", "li")
