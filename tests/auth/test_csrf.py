"""CSRF: Dash-like POSTs and HTML forms need the session's token."""

from cockpit.auth.csrf import CSRF_JS
from tests.auth.conftest import csrf_of, dash_post, login


def test_dash_post_needs_the_right_token(app, add_user):
    add_user("li")
    client = app.test_client()
    login(client, "li")
    assert dash_post(client, token=None).status_code == 403
    assert dash_post(client, token="forged-token").status_code == 403
    assert dash_post(client, token="").status_code == 403
    r = dash_post(client)
    assert r.status_code == 200 and r.get_json()["user"] == "li"


def test_token_of_another_session_is_refused(app, add_user):
    add_user("li")
    add_user("zhao")
    a, b = app.test_client(), app.test_client()
    login(a, "li")
    login(b, "zhao")
    assert dash_post(a, token=csrf_of(b)).status_code == 403


def test_csrf_cookie_mirrors_the_session_token_and_rotates_at_login(app, add_user):
    add_user("li")
    client = app.test_client()
    client.get("/login")
    before = csrf_of(client)
    assert client.get_cookie("cockpit_csrf").value == before
    login(client, "li")
    client.get("/")
    after = csrf_of(client)
    assert after != before  # a new token with the new session
    cookie = client.get_cookie("cockpit_csrf")
    assert cookie.value == after and not cookie.http_only and cookie.same_site == "Strict"
    assert client.get_cookie("cockpit_session").http_only


def test_html_forms_need_the_token(app, add_user):
    add_user("li")
    client = app.test_client()
    r = client.post("/login", data={"username": "li", "password": "Correct-Horse-7"})  # no token
    assert r.status_code == 400 and "页面已过期" in r.get_data(as_text=True)
    assert client.get("/").status_code == 302
    login(client, "li")
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.get("/").status_code == 200  # still logged in
    assert client.post("/logout", data={"csrf_token": csrf_of(client)}).status_code == 302
    assert client.get("/").status_code == 302


def test_js_patch_adds_the_header_from_the_cookie(app):
    served = app.test_client().get("/auth/csrf.js")
    assert served.mimetype == "application/javascript" and served.get_data(as_text=True) == CSRF_JS
    for needle in ('"X-CSRFToken"', '"cockpit_csrf"', "window.fetch =", "XMLHttpRequest.prototype.send",
                   'meta[name="csrf-token"]'):
        assert needle in CSRF_JS
