"""The audit log: a row for each audited action, and UPDATE / DELETE refused by the database."""

import json

import flask
import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from cockpit.auth import audit
from cockpit.auth.users import reset_password, set_disabled
from cockpit.warehouse.schema import audit_log
from tests.auth.conftest import RAW_ID, csrf_of, login
from web import audit_export, audit_person_view


def rows(engine):
    with engine.connect() as conn:
        return [r._asdict() for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]


def test_login_logout_and_user_changes_are_audited(app, engine, add_user, clock):
    add_user("li")
    c = app.test_client()
    login(c, "li", "bad-password")
    login(c, "li")
    c.post("/logout", data={"csrf_token": csrf_of(c)})
    with engine.begin() as conn:
        set_disabled(conn, "li", True, actor="admin1", ip="10.0.0.2")
        set_disabled(conn, "li", False, actor="admin1")
        reset_password(conn, "li", "Brand-New-Pass-1", actor="admin1")
    got = [(r["actor"], r["action"], r["obj_type"], r["obj_id"]) for r in rows(engine)]
    assert got == [
        ("test", "user.create", "user", "li"),
        ("li", "login.failure", "user", "li"),
        ("li", "login.success", "user", "li"),
        ("li", "logout", "user", "li"),
        ("admin1", "user.disable", "user", "li"),
        ("admin1", "user.enable", "user", "li"),
        ("admin1", "user.reset_password", "user", "li"),
    ]
    all_rows = rows(engine)
    assert json.loads(all_rows[1]["detail"]) == {"reason": "wrong_password"}
    assert all_rows[1]["ip"] == "127.0.0.1" and all_rows[1]["at"] == clock.now
    assert all_rows[4]["ip"] == "10.0.0.2"
    assert "Correct-Horse" not in str(all_rows) and "bad-password" not in str(all_rows)  # never a password


def test_person_view_and_export_record_the_current_user(app, engine, add_user):
    add_user("op", "operator")

    @app.route("/person/<key>")
    def person(key: str) -> str:
        with engine.begin() as conn:
            audit_person_view(conn, key, context="elderly list")
        return "ok"

    @app.route("/export")
    def export() -> str:
        with engine.begin() as conn:
            audit_export(conn, "events.csv", {"village": "330999101201", "note": f"id {RAW_ID}"}, rows=17)
        return "ok"

    c = app.test_client()
    login(c, "op")
    assert c.get("/person/abc123").status_code == 200
    assert c.get("/export").status_code == 200
    view, export_row = rows(engine)[-2:]
    assert (view["actor"], view["action"], view["obj_type"], view["obj_id"]) == ("op", "person.view", "person", "abc123")
    assert json.loads(view["detail"]) == {"context": "elderly list"}
    assert (export_row["actor"], export_row["action"], export_row["obj_id"]) == ("op", "export", "events.csv")
    detail = json.loads(export_row["detail"])
    assert detail == {"what": "events.csv", "params": {"village": "330999101201", "note": "id 330***********1237"},
                      "rows": 17}  # a personal number in the detail is masked


def test_audit_log_is_append_only(engine):
    with engine.begin() as conn:
        audit(conn, "op", "warning.dismiss", "warning", 7, {"reason": "duplicate"})
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(update(audit_log).values(actor="someone-else"))
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(delete(audit_log))
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE audit_log"))
    with engine.connect() as conn:
        assert conn.execute(select(audit_log.c.actor, audit_log.c.action)).all() == [("op", "warning.dismiss")]
    with engine.begin() as conn:  # inserting still works
        audit(conn, "op", "warning.close", "warning", 7)
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar_one() == 2


def test_audit_outside_a_request_names_no_one():
    with flask.Flask("x").test_request_context("/"):
        from web import current_scope, current_user

        assert current_user() is None
        assert current_scope().areas == frozenset() and not current_scope().personal_data
