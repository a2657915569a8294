"""Production mode refuses demo secrets, weak kiosk tokens and still-valid demo passwords; its cookies
are Secure and its responses carry HSTS. The CSP, framing, permissions and caching headers (every mode)."""

import secrets

import flask
import pytest

from cockpit.auth import ProductionRefused, ensure_demo_users
from cockpit.auth.users import reset_password, set_disabled
from tests.auth.conftest import build_app, dash_post, login, make_config
from web import install

PROD = {"COCKPIT_ENV": "production"}
GOOD = {"COCKPIT_SECRET_KEY": "s" * 40, "COCKPIT_ID_SALT": "t" * 40}


def config(url, **env):
    from cockpit.config import load_config

    return load_config(env={"COCKPIT_WAREHOUSE_URL": url, **env})


def test_default_secret_and_salt_are_refused(sqlite_url, sqlite_engine):
    with pytest.raises(ProductionRefused) as exc:
        install(flask.Flask("x"), config(sqlite_url), sqlite_engine, env=PROD)
    text = str(exc.value)
    assert "security.secret_key" in text and "security.id_salt" in text
    with pytest.raises(ProductionRefused, match="secret_key"):
        install(flask.Flask("x"), config(sqlite_url, COCKPIT_SECRET_KEY="short", COCKPIT_ID_SALT="t" * 40),
                sqlite_engine, env=PROD)
    with pytest.raises(ProductionRefused, match="kiosk_token"):
        install(flask.Flask("x"), config(sqlite_url, COCKPIT_AUTH_KIOSK_TOKEN="1234", **GOOD), sqlite_engine, env=PROD)
    install(flask.Flask("x"), config(sqlite_url, **GOOD), sqlite_engine, env=PROD)  # good secrets: starts


def test_valid_demo_passwords_are_refused_until_changed(sqlite_url, sqlite_engine):
    demo = ensure_demo_users(sqlite_engine)
    cfg = config(sqlite_url, **GOOD)
    with pytest.raises(ProductionRefused) as exc:
        install(flask.Flask("x"), cfg, sqlite_engine, env=PROD)
    assert all(name in str(exc.value) for name in demo)
    install(flask.Flask("x"), make_config(sqlite_url), sqlite_engine, env={})  # demo mode: fine
    names = sorted(demo)
    with sqlite_engine.begin() as conn:
        set_disabled(conn, names[0], True, actor="admin")
        for name in names[1:]:
            reset_password(conn, name, "Real-Password-" + name, actor="admin")
    install(flask.Flask("x"), cfg, sqlite_engine, env=PROD)


@pytest.mark.parametrize("token", ["a" * 30, "passwordpasswordpassword", "kiosk1kiosk2kiosk3kiosk4kiosk5",
                                   "0123456789" * 3, " " * 30, "short-but-random-Xq7"])
def test_weak_kiosk_tokens_are_refused(sqlite_url, sqlite_engine, token):
    with pytest.raises(ProductionRefused, match="auth.kiosk_token"):
        install(flask.Flask("x"), config(sqlite_url, COCKPIT_AUTH_KIOSK_TOKEN=token, **GOOD), sqlite_engine, env=PROD)
    install(flask.Flask("x"), config(sqlite_url, COCKPIT_AUTH_KIOSK_TOKEN=token), sqlite_engine, env={})  # demo: fine


@pytest.mark.parametrize("token", [secrets.token_urlsafe(32), secrets.token_hex(16), secrets.token_hex(12), ""])
def test_random_kiosk_tokens_or_none_start(sqlite_url, sqlite_engine, token):
    install(flask.Flask("x"), config(sqlite_url, COCKPIT_AUTH_KIOSK_TOKEN=token, **GOOD), sqlite_engine, env=PROD)


def _cookies(response) -> dict[str, str]:  # noqa: ANN001 - a Flask test response
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in csp.split("; ")}


def test_production_cookies_are_secure_and_responses_carry_hsts(engine, clock, db_url, add_user):
    add_user("li")
    app = build_app(engine, config(db_url, **GOOD), clock, env=PROD)
    client = app.test_client()
    r = login(client, "li")
    assert r.status_code == 302
    cookies = _cookies(r)
    session, token = cookies["cockpit_session"], cookies["cockpit_csrf"]
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session
    assert "Secure" in token and "HttpOnly" not in token and "SameSite=Strict" in token
    for response in (r, client.get("/"), dash_post(client), client.get("/auth/vendor/css/bootstrap.min.css")):
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    demo = build_app(engine, config(db_url), clock, env={})
    r = login(demo.test_client(), "li")
    assert r.status_code == 302 and "Strict-Transport-Security" not in r.headers
    assert all("Secure" not in c for c in _cookies(r).values())


def test_csp_framing_permissions_and_caching_headers(engine, clock, db_url, add_user):
    add_user("li")
    app = build_app(engine, config(db_url, **GOOD), clock, env=PROD)
    client = app.test_client()
    login_page = client.get("/login")
    login(client, "li")
    pages = {"login": login_page, "page": client.get("/"), "callback": dash_post(client),
             "leak": client.get("/leak?kind=json"), "health": client.get("/healthz")}
    static = {"bootstrap": client.get("/auth/vendor/css/bootstrap.min.css"), "csrf.js": client.get("/auth/csrf.js")}
    for name, r in {**pages, **static}.items():
        assert r.status_code == 200, name
        csp = _directives(r.headers["Content-Security-Policy"])
        assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"], name
        assert csp["frame-ancestors"] == ["'self'"] and r.headers["X-Frame-Options"] == "SAMEORIGIN", name
        assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"], name
        assert csp["style-src-attr"] == ["'none'"], name
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(csp["script-src"]), name
        assert "camera=()" in r.headers["Permissions-Policy"] and "geolocation=(self)" in r.headers["Permissions-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Referrer-Policy"] == "same-origin"
    for name, r in pages.items():
        assert r.headers["Cache-Control"] == "no-store", name
    for name, r in static.items():
        assert "no-store" not in r.headers.get("Cache-Control", "") and "max-age=" in r.headers["Cache-Control"], name


def test_framing_origins_are_configurable(engine, clock, db_url, add_user):
    from cockpit.config import ConfigError

    wall = "'self' https://wall.example.gov.cn:8443"
    app = build_app(engine, config(db_url, COCKPIT_SECURITY_FRAME_ANCESTORS=wall), clock)
    r = app.test_client().get("/login")
    assert _directives(r.headers["Content-Security-Policy"])["frame-ancestors"] == wall.split()
    assert "X-Frame-Options" not in r.headers  # it cannot name the wall's origin; the CSP does
    for bad in ("*", "https://wall.example.gov.cn/path", "'self' javascript:", "'none' 'self'"):
        with pytest.raises(ConfigError, match="frame_ancestors"):
            build_app(engine, config(db_url, COCKPIT_SECURITY_FRAME_ANCESTORS=bad), clock)
