"""Photos of a work order's result: checked by their content through the core (``act(...,
photos=...)``: JPEG and PNG of at most ``orders.photo_max_bytes``, at most ``orders.photo_max_count``),
nothing stored when refused, and served by ``GET /photos/<id>`` (``web.photos``) only to those whose
scope may see the order, as the same 404 for everyone else."""

from __future__ import annotations

import io
import os
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from cockpit.auth.roles import scope_for
from cockpit.orders import records
from cockpit.orders.actions import act
from cockpit.orders.dispatch import dispatch_warning
from cockpit.orders.photos import PhotoRejected, photo_for
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.schema import work_order_log, work_order_photo
from tests.auth.conftest import Clock, build_app, make_config
from tests.orders import builders as ob
from tests.warnings import builders as wb
from web.photos import install_photos


def image(fmt: str, size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format=fmt)
    return buf.getvalue()


def noise_png(side: int) -> bytes:
    """A PNG of random pixels (it barely compresses: about ``3 * side²`` bytes)."""
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, format="PNG", compress_level=0)
    return buf.getvalue()


JPEG, PNG = image("JPEG"), image("PNG")


@pytest.fixture
def world(db_url: str):
    """Users, and an order of a warning in grid A11 assigned to the grid worker wang (acknowledged)."""
    engine = engine_for(db_url)
    with engine.begin() as conn:
        wb.area_tree(conn)
        u = ob.users(conn)
        w = ob.warning(conn)
        order = dispatch_warning(conn, w["id"], u["op"], assignee_user="wang", now=ob.T0)
        act(conn, order["id"], "acknowledged", u["wang"], now=ob.T0)
    return engine, u, order["id"]


def _stored(engine, order_id: int) -> tuple[int, list[str]]:
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(work_order_photo)
                         .where(work_order_photo.c.order_id == order_id)).scalar()
        actions = list(conn.execute(select(work_order_log.c.action).where(work_order_log.c.order_id == order_id)
                                    .order_by(work_order_log.c.id)).scalars())
    return n, actions


def test_a_real_jpeg_and_png_are_stored_with_the_result(world):
    engine, u, oid = world
    with engine.begin() as conn:
        after = act(conn, oid, "resolved", u["wang"], note="已清理", photos=[JPEG, PNG], now=ob.T0)
    assert after["status"] == "resolved"
    with engine.connect() as conn:
        photos = records.photos_of(conn, oid)
        log = records.log_of(conn, oid)
        assert [(p["content_type"], p["width"], p["height"]) for p in photos] == [("image/jpeg", 64, 48),
                                                                                  ("image/png", 64, 48)]
        assert {p["log_id"] for p in photos} == {log[-1]["id"]} and log[-1]["action"] == "resolved"
        assert photo_for(conn, photos[1]["id"], scope_for(u["wang"])) == (PNG, "image/png")


def _truncated_jpeg() -> bytes:
    big = image("JPEG", (320, 240))
    return big[: len(big) // 2]


# a truncated JPEG passes Image.verify() (which does not decode a JPEG's data): the check decodes it too
BAD = [
    pytest.param(lambda: image("GIF"), "order.error.photo_type", id="gif"),
    pytest.param(lambda: "这不是照片，只是改了扩展名的文本。\n".encode() * 20, "order.error.photo_type",
                 id="text renamed .jpg"),
    pytest.param(lambda: b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "order.error.photo_type", id="png header, garbage after"),
    pytest.param(lambda: b"\xff\xd8\xff" + PNG, "order.error.photo_type", id="jpeg header, png inside"),
    pytest.param(_truncated_jpeg, "order.error.photo_type", id="truncated jpeg"),
    pytest.param(lambda: PNG[: len(PNG) // 2], "order.error.photo_type", id="truncated png"),
    pytest.param(lambda: noise_png(1310), "order.error.photo_size", id="over 5 MB"),
]


@pytest.mark.parametrize(("make", "key"), BAD)
def test_a_bad_photo_is_refused_with_its_key_and_nothing_is_stored(world, make, key):
    engine, u, oid = world
    data = make()
    if key == "order.error.photo_size":
        assert len(data) > 5_000_000
    with pytest.raises(PhotoRejected) as err, engine.begin() as conn:
        act(conn, oid, "resolved", u["wang"], note="已清理", photos=[PNG, data], now=ob.T0)
    assert err.value.key == key
    assert _stored(engine, oid) == (0, ["dispatched", "acknowledged"])
    with engine.connect() as conn:
        assert records.get_order(conn, oid, scope_for(u["wang"]))["status"] == "acknowledged"


def test_more_photos_than_the_count_are_refused(world):
    engine, u, oid = world
    with pytest.raises(PhotoRejected) as err, engine.begin() as conn:
        act(conn, oid, "resolved", u["wang"], note="已清理", photos=[PNG] * 7, now=ob.T0)
    assert err.value.key == "order.error.photo_count"
    assert _stored(engine, oid) == (0, ["dispatched", "acknowledged"])
    with engine.begin() as conn:  # six, the limit, pass
        act(conn, oid, "resolved", u["wang"], note="已清理", photos=[PNG] * 6, now=ob.T0)
    assert _stored(engine, oid)[0] == 6


def test_photos_only_with_the_result(world):
    engine, u, oid = world
    with pytest.raises(Exception), engine.begin() as conn:  # noqa: B017 - TransitionRefused
        act(conn, oid, "arrived", u["wang"], photos=[PNG], now=ob.T0)
    assert _stored(engine, oid) == (0, ["dispatched", "acknowledged"])


# ---------------------------------------------------------------- GET /photos/<id>
def _login(client, username: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    r = client.post("/login", data={"username": username, "password": ob.PASSWORD, "csrf_token": token, "next": "/x"})
    assert r.status_code == 302 and "/login" not in r.headers["Location"], username


@pytest.fixture
def served_photo(world, db_url):
    engine, u, oid = world
    with engine.begin() as conn:
        act(conn, oid, "resolved", u["wang"], note="已清理", photos=[JPEG], now=ob.T0)
        pid = records.photos_of(conn, oid)[0]["id"]
    app = build_app(engine, make_config(db_url), Clock(now=ob.T0))
    install_photos(app)
    return app, pid


@pytest.mark.parametrize("username", ["wang", "op", "boss", "zhao"])
def test_those_who_may_see_the_order_get_the_photo(served_photo, username):
    app, pid = served_photo
    client = app.test_client()
    _login(client, username)
    r = client.get(f"/photos/{pid}")
    assert r.status_code == 200 and r.data == JPEG
    assert r.headers["Content-Type"] == "image/jpeg"
    assert r.headers["Cache-Control"] == "private, no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("username", ["li", "qian", "safehead"])
def test_anyone_else_gets_the_same_404_as_for_a_photo_that_does_not_exist(served_photo, username):
    """li: a grid worker of another village; qian: the police liaison; safehead: the safety board's
    head (the order is the economy board's)."""
    app, pid = served_photo
    client = app.test_client()
    _login(client, username)
    refused, missing = client.get(f"/photos/{pid}"), client.get(f"/photos/{pid + 1000}")
    assert refused.status_code == missing.status_code == 404
    assert refused.data == missing.data and JPEG not in refused.data
    assert refused.headers["Cache-Control"] == "private, no-store"


def test_a_signed_out_request_gets_no_photo(served_photo):
    app, pid = served_photo
    client = app.test_client()
    browser = client.get(f"/photos/{pid}")
    script = client.get(f"/photos/{pid}", headers={"Accept": "application/json"})
    assert browser.status_code == 302 and browser.headers["Location"].startswith("/login")  # the guard, before the route
    assert script.status_code == 401
    assert JPEG not in browser.data and JPEG not in script.data


def test_the_kiosk_gets_no_photo(world, db_url):
    engine, u, oid = world
    with engine.begin() as conn:
        act(conn, oid, "resolved", u["wang"], note="已清理", photos=[JPEG], now=ob.T0)
        pid = records.photos_of(conn, oid)[0]["id"]
    token = "kiosk-photo-test-token-0123456789"
    app = build_app(engine, make_config(db_url, kiosk_token=token), Clock(now=ob.T0))
    install_photos(app)
    client = app.test_client()
    assert client.get(f"/?kiosk_token={token}").status_code == 302
    r = client.get(f"/photos/{pid}")
    assert r.status_code == 404 and JPEG not in r.data  # the big screen's read-only session: no photos
