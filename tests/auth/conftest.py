"""Fixtures for access-control tests: a Flask app with ``install`` on a fresh warehouse, a clock
the test moves, users, and a helper that logs in through the real login form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

import flask
import pytest
from sqlalchemy import Engine

from cockpit.auth.users import create_user
from cockpit.config import load_config
from cockpit.warehouse.db import engine_for
from web import current_scope, current_user, install

RAW_ID = "330102199001011237"  # a valid-looking 身份证号
RAW_PHONE = "13812345678"
PASSWORD = "Correct-Horse-7"


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 30, 9, 0, 0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def make_config(url: str, **auth: object):
    env = {"COCKPIT_WAREHOUSE_URL": url}
    env.update({f"COCKPIT_AUTH_{k.upper()}": str(v) for k, v in auth.items()})
    return load_config(env=env)


def build_app(engine: Engine, config, clock: Clock, env: dict[str, str] | None = None) -> flask.Flask:
    """A Flask app as the cockpit builds it: ``install`` plus a page, a Dash-like POST route and
    a route that (wrongly) leaks raw personal numbers, to prove the privacy filter."""
    app = flask.Flask("cockpit_auth_test")
    install(app, config, engine, clock=clock, env=env or {})

    @app.route("/")
    def home() -> str:
        user = current_user()
        return f"<html><body>home of {user.username}</body></html>"

    @app.route("/_dash-update-component", methods=["POST"])
    def dash_update() -> flask.Response:
        user, scope = current_user(), current_scope()
        return flask.jsonify(
            user=user.username, role=user.role,
            areas=sorted(scope.areas) if scope.areas is not None else None,
            boards=sorted(scope.boards) if scope.boards is not None else None,
            personal_data=scope.personal_data,
            echo=(flask.request.get_json(silent=True) or {}).get("x"),
        )

    @app.route("/leak")
    def leak() -> flask.Response:
        kind = flask.request.args.get("kind", "html")
        if kind == "json":
            return flask.jsonify(id=RAW_ID, phone=RAW_PHONE, id_int=int(RAW_ID[:17] + "7"), phone_int=int(RAW_PHONE),
                                 text=f"身份证 {RAW_ID} 电话 {RAW_PHONE}", ratio=0.13987654321, n=42)
        if kind == "text":
            return flask.Response(f"{RAW_ID} {RAW_PHONE}", mimetype="text/plain")
        return f"<p>身份证号：{RAW_ID}，电话：{RAW_PHONE}</p>"

    return app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(db_url: str) -> Engine:
    return engine_for(db_url)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Engine:
    return engine_for(sqlite_url)


@pytest.fixture
def add_user(engine: Engine) -> Callable[..., None]:
    def add(username: str, role: str = "leader", password: str = PASSWORD, **kw) -> None:
        kw.setdefault("must_change_password", False)
        with engine.begin() as conn:
            create_user(conn, username, password, role, actor="test", **kw)
    return add


@pytest.fixture
def app(engine: Engine, clock: Clock, db_url: str) -> flask.Flask:
    return build_app(engine, make_config(db_url), clock)


def csrf_of(client) -> str:  # noqa: ANN001 - a Flask test client
    with client.session_transaction() as sess:
        return sess.get("csrf", "")


def login(client, username: str, password: str = PASSWORD, next_url: str = "/"):  # noqa: ANN001
    """GET the login form, read its hidden CSRF field, POST the credentials; returns the POST response."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/login", data={"username": username, "password": password, "next": next_url,
                                       "csrf_token": token})


def dash_post(client, token: str | None = "session", body: dict | None = None):  # noqa: ANN001
    """POST like Dash does: JSON body, token in the X-CSRFToken header (the session's unless given)."""
    headers = {}
    if token == "session":
        token = csrf_of(client)
    if token is not None:
        headers["X-CSRFToken"] = token
    return client.post("/_dash-update-component", json=body or {"x": 1}, headers=headers)
