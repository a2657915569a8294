"""The in-app list (``queries.notifications``): who sees which notice, the unread count, mark read —
a user never sees or marks another user's notices. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cockpit.auth.users import KIOSK_USER, User
from cockpit.notify import enqueue
from cockpit.warehouse.schema import notice
from queries.notifications import latest_notices, mark_read, recipients_of, unread_count


def user(name: str, role: str, **kw) -> User:
    return User(id=hash(name) % 1000 + 1, username=name, display_name=name, role=role, **kw)


WANG = user("wang", "grid_worker", grid_codes=("110101001001001",))
LI = user("li", "grid_worker", grid_codes=("110101001001002",))
POLICE = user("zhao", "department_liaison", department_code="police")
LEADER = user("boss", "leader")


def seed(engine, now) -> None:
    with engine.begin() as conn:
        for i, (who, at) in enumerate([("user:wang", 0), ("user:wang", 10), ("user:li", 20), ("department:police", 30),
                                       ("department:water", 40), ("role:leader", 50), ("role:grid_worker", 60)]):
            enqueue(conn, kind="dispatch", recipients=[who], title=f"工单 {i} 联系电话 13812345678",
                    group_key=f"g{i}", now=now + timedelta(seconds=at), link=f"/orders/{i}")


def test_recipients_of_each_role() -> None:
    assert recipients_of(WANG) == ["user:wang", "role:grid_worker"]
    assert recipients_of(POLICE) == ["user:zhao", "role:department_liaison", "department:police"]
    assert recipients_of(KIOSK_USER) == [] and recipients_of(None) == []


def test_each_user_sees_only_their_notices_newest_first(engine, now) -> None:
    seed(engine, now)
    assert [r["title"][:4] for r in latest_notices(engine, WANG)] == ["工单 6", "工单 1", "工单 0"]
    assert [r["recipient"] for r in latest_notices(engine, LI)] == ["role:grid_worker", "user:li"]
    assert [r["recipient"] for r in latest_notices(engine, POLICE)] == ["department:police"]
    assert [r["recipient"] for r in latest_notices(engine, LEADER)] == ["role:leader"]
    assert latest_notices(engine, KIOSK_USER) == [] and unread_count(engine, KIOSK_USER) == 0
    assert "13812345678" not in latest_notices(engine, WANG)[0]["title"]  # masked at enqueue
    assert len(latest_notices(engine, WANG, limit=2)) == 2


def test_unread_count_and_mark_read(engine, now) -> None:
    seed(engine, now)
    assert (unread_count(engine, WANG), unread_count(engine, LI)) == (3, 2)
    li_own = [r["id"] for r in latest_notices(engine, LI) if r["recipient"] == "user:li"]
    wang_first = [r["id"] for r in latest_notices(engine, WANG) if r["recipient"] == "user:wang"][:1]
    assert mark_read(engine, WANG, now, ids=li_own) == 0  # someone else's notice: untouched
    assert unread_count(engine, LI) == 2
    assert mark_read(engine, WANG, now, ids=wang_first) == 1
    assert unread_count(engine, WANG) == 2
    later = now + timedelta(hours=1)
    assert mark_read(engine, WANG, later) == 2
    assert unread_count(engine, WANG) == 0
    assert mark_read(engine, WANG, later) == 0  # already read: read_at keeps its first time
    # a role notice read by one grid worker is read for the role (one row per recipient)
    assert unread_count(engine, LI) == 1
    with engine.connect() as conn:
        read = dict(conn.execute(select(notice.c.recipient, notice.c.read_at).where(notice.c.read_at.is_not(None))).all())
    assert set(read) == {"user:wang", "role:grid_worker"}
    assert mark_read(engine, KIOSK_USER, later) == 0 and mark_read(engine, POLICE, later, ids=[]) == 0


def test_the_bell_shows_the_unread_count_and_links_to_the_list() -> None:
    from pages._nav import bell

    assert bell(None, "zh") is None  # nobody signed in, or the kiosk
    quiet = bell(0, "zh")
    assert quiet.href == "/notifications" and quiet.title == "通知（0 条未读）"
    assert [c for c in quiet.children if c is not None and getattr(c, "id", None) == "nav-bell-count"] == []
    busy = bell(7, "en")
    count = next(c for c in busy.children if getattr(c, "id", None) == "nav-bell-count")
    assert count.children == "7" and busy.title == "Notifications (7 unread)"
    assert next(c for c in bell(250, "zh").children if getattr(c, "id", None) == "nav-bell-count").children == "99+"
