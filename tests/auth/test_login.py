"""Login, logout, redirects and scope through a real Flask test client on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from cockpit.auth.users import get_user, reset_password, set_disabled
from cockpit.warehouse.schema import user_account
from tests.auth.conftest import PASSWORD, csrf_of, dash_post, login


def test_pages_need_a_login(app):
    client = app.test_client()
    r = client.get("/board/safety?period=week")
    assert r.status_code == 302
    assert r.headers["Location"] == "/login?next=%2Fboard%2Fsafety%3Fperiod%3Dweek"
    r = client.post("/_dash-update-component", json={"x": 1})
    assert r.status_code == 401 and r.get_json()["login"] == "/login"
    assert client.get("/_dash-layout").status_code == 401
    for public in ("/login", "/healthz", "/auth/csrf.js", "/auth/vendor/css/bootstrap.min.css"):
        assert client.get(public).status_code == 200, public
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_login_page_is_chinese_with_english_switch_and_local_bootstrap(app):
    client = app.test_client()
    zh = client.get("/login").get_data(as_text=True)
    assert "用户名" in zh and "密码" in zh and 'href="/login?lang=en"' in zh
    assert 'href="/auth/vendor/css/bootstrap.min.css"' in zh and "cdn" not in zh.lower()
    en = client.get("/login?lang=en")
    assert "Username" in en.get_data(as_text=True) and "用户名" not in en.get_data(as_text=True)
    assert "cockpit_lang=en" in en.headers["Set-Cookie"]
    assert "Username" in client.get("/login").get_data(as_text=True)  # the cookie keeps the choice
    css = client.get("/auth/vendor/css/bootstrap.min.css")
    assert css.mimetype == "text/css" and b"Bootstrap" in css.data[:300]
    assert client.get("/auth/vendor/../__init__.py").status_code == 404


def test_login_success_opens_the_pages_with_the_users_scope(app, add_user):
    add_user("wang", "grid_worker", grid_codes=("33099910120101",), display_name="王网格")
    client = app.test_client()
    r = login(client, "Wang", next_url="/board/safety")  # usernames are case-insensitive
    assert r.status_code == 302 and r.headers["Location"] == "/board/safety"
    assert client.get("/").get_data(as_text=True) == "<html><body>home of wang</body></html>"
    data = dash_post(client).get_json()
    assert data == {"user": "wang", "role": "grid_worker", "areas": ["33099910120101"], "boards": None,
                    "personal_data": True, "echo": 1}


def test_login_failure_keeps_out_and_says_so(app, add_user):
    add_user("li")
    client = app.test_client()
    r = login(client, "li", "wrong-password")
    assert r.status_code == 401 and "用户名或密码错误" in r.get_data(as_text=True)
    assert client.get("/").status_code == 302
    r = login(client, "nobody", PASSWORD)  # an unknown user gets the very same answer
    assert r.status_code == 401 and "用户名或密码错误" in r.get_data(as_text=True)


def test_next_cannot_send_the_user_to_another_site(app, add_user):
    add_user("li")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        client = app.test_client()
        r = login(client, "li", next_url=evil)
        assert r.status_code == 302 and r.headers["Location"] == "/", evil


def test_logout_ends_the_session_even_for_a_copied_cookie(app, add_user):
    add_user("li")
    client = app.test_client()
    login(client, "li")
    stolen = client.get_cookie("cockpit_session").value
    assert "退出登录" in client.get("/logout").get_data(as_text=True)  # GET only asks
    assert client.get("/").status_code == 200
    r = client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert r.status_code == 302 and r.headers["Location"] == "/login?logged_out=1"
    assert client.get("/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("cockpit_session", stolen)
    assert replay.get("/").status_code == 302  # the server ended it: the old cookie opens nothing


def test_disabling_or_resetting_a_user_ends_their_sessions(app, add_user, engine):
    add_user("li")
    add_user("zhao")
    a, b = app.test_client(), app.test_client()
    login(a, "li")
    login(b, "zhao")
    with engine.begin() as conn:
        set_disabled(conn, "li", True, actor="admin")
        reset_password(conn, "zhao", "Another-Pass-9", actor="admin")
    assert a.get("/").status_code == 302
    assert b.get("/").status_code == 302
    assert login(app.test_client(), "li").status_code == 401  # disabled: no new login either
    r = login(app.test_client(), "zhao", "Another-Pass-9")
    assert r.headers["Location"] == "/password"  # a reset password must be changed first


def test_must_change_password_flow(app, add_user, engine):
    add_user("li", must_change_password=True)
    client = app.test_client()
    assert login(client, "li").headers["Location"] == "/password"
    assert client.get("/").headers["Location"] == "/password"
    assert dash_post(client).status_code == 403
    token = csrf_of(client)
    r = client.post("/password", data={"old_password": PASSWORD, "new_password": "New-Secret-42",
                                       "confirm_password": "New-Secret-43", "csrf_token": token})
    assert r.status_code == 400 and "不一致" in r.get_data(as_text=True)
    r = client.post("/password", data={"old_password": "wrong", "new_password": "New-Secret-42",
                                       "confirm_password": "New-Secret-42", "csrf_token": token})
    assert r.status_code == 400 and "原密码不正确" in r.get_data(as_text=True)
    r = client.post("/password", data={"old_password": PASSWORD, "new_password": "New-Secret-42",
                                       "confirm_password": "New-Secret-42", "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    with engine.connect() as conn:
        assert not get_user(conn, "li").must_change_password
    assert login(app.test_client(), "li", "New-Secret-42").status_code == 302
    assert login(app.test_client(), "li", PASSWORD).status_code == 401


INJECTIONS = ["' OR '1'='1", "admin'--", "x'); DROP TABLE user_account; --", '" OR ""="',
              "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "li\x00", "li%", "l_"]


def test_injection_strings_in_username_and_password_are_harmless(app, add_user, engine):
    add_user("li")
    for attempt in INJECTIONS:
        for username, password in ((attempt, PASSWORD), ("li", attempt), (attempt, attempt)):
            client = app.test_client()
            r = login(client, username, password)
            body = r.get_data(as_text=True)
            assert r.status_code in (401, 429), (username, password)
            assert "<script>alert(1)</script>" not in body and "<img src=x" not in body
            assert client.get("/").status_code == 302
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(user_account)).scalar_one() == 1
        assert get_user(conn, "li") is not None
    r = login(app.test_client(), "<script>alert(1)</script>", "x")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.get_data(as_text=True)  # echoed, escaped


def test_kiosk_token_gives_a_read_only_session_without_personal_data(engine, clock, db_url):
    from tests.auth.conftest import build_app, make_config

    app = build_app(engine, make_config(db_url, kiosk_token="k" * 32), clock)
    client = app.test_client()
    assert client.get("/?kiosk_token=wrong").status_code == 302
    assert client.get("/").status_code == 302
    r = client.get("/?kiosk=1&kiosk_token=" + "k" * 32)
    assert r.status_code == 302 and r.headers["Location"] == "/?kiosk=1"  # the token leaves the address bar
    assert client.get("/?kiosk=1").get_data(as_text=True) == "<html><body>home of kiosk</body></html>"
    data = dash_post(client).get_json()
    assert data["role"] == "kiosk" and data["personal_data"] is False and data["areas"] is None
    clock.advance(days=3)  # a kiosk has no idle or absolute limit
    assert dash_post(client).status_code == 200
    assert client.post("/password", data={"csrf_token": csrf_of(client)}).status_code == 403  # read-only
    # A restart with another token ends the kiosk session.
    other = build_app(engine, make_config(db_url, kiosk_token="z" * 32), clock).test_client()
    other.set_cookie("cockpit_session", client.get_cookie("cockpit_session").value)
    assert other.get("/").status_code == 302
