"""The /notifications page in a request of a signed-in user: their notices only, mark all read; the kiosk
and nobody are refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterator

import flask
import pytest

from cockpit import clock
from cockpit.auth.users import KIOSK_USER, User
from cockpit.notify import enqueue
from queries.notifications import unread_count

WANG = User(id=5, username="wang", display_name="王", role="grid_worker", grid_codes=("110101001001001",))


def texts(component) -> str:
    """Every string inside a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(texts(c) for c in component)
    return texts(getattr(component, "children", None))


@pytest.fixture
def now() -> Iterator[datetime]:
    with clock.pinned("2026-11-18T10:30:00") as at:
        yield at


@pytest.fixture
def page(cockpit, sqlite_url, monkeypatch):  # noqa: ANN001 - the app of the session (tests/screens/conftest.py)
    from cockpit.warehouse.db import engine_for
    from pages import notifications

    app = cockpit

    engine = engine_for(sqlite_url)
    monkeypatch.setattr(notifications, "engine", lambda: engine)
    return app.server, notifications, engine


def test_the_page_lists_the_users_notices_and_marks_them_read(page, now) -> None:
    server, notifications, engine = page
    with engine.begin() as conn:
        enqueue(conn, kind="dispatch", recipients=["user:wang"], title="独居老人预警 · 桃园村", group_key="g", now=now,
                link="/orders/1")
        enqueue(conn, kind="overdue", recipients=["role:grid_worker"], title="工单超期 · 李家村", group_key="h",
                now=now + timedelta(seconds=1))
        enqueue(conn, kind="dispatch", recipients=["user:li"], title="别人的工单", group_key="i", now=now)
    with server.test_request_context("/notifications"):
        flask.g.cockpit_user = WANG
        shown = texts(notifications.layout(lang="zh"))
        assert "独居老人预警 · 桃园村" in shown and "工单超期 · 李家村" in shown and "别人的工单" not in shown
        assert "未读 2 条" in shown
        listing, unread, feedback = notifications.mark_all_read(1, "zh")
        assert unread == "未读 0 条" and "已将 2 条标为已读" in texts(feedback)
        assert texts(listing).count("已读") == 2
    assert unread_count(engine, WANG) == 0


@pytest.mark.parametrize("who", [None, KIOSK_USER])
def test_nobody_and_the_kiosk_are_refused(page, who) -> None:
    server, notifications, _engine = page
    with server.test_request_context("/notifications"):
        flask.g.cockpit_user = who
        assert "notify-list" not in str(notifications.layout(lang="zh"))
