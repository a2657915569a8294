"""Production mode refuses demo secrets and still-valid demo passwords."""

import flask
import pytest

from cockpit.auth import ProductionRefused, ensure_demo_users
from cockpit.auth.users import reset_password, set_disabled
from tests.auth.conftest import make_config
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
