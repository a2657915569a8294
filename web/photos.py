"""The photos of a work order's result (现场照片): ``GET /photos/<id>``, registered by
``install_photos(server)`` after ``web.guard.install`` (whose guard already sends a request without
a session to the login, or a script request a 401).

A photo is served only to a signed-in person whose scope may see its order
(``cockpit.orders.photos.photo_for``): the assignee, the township, the liaison of a department the
order involves. Anything else, a photo that does not exist included, is the same 404, so an answer
never tells which ids exist. The bytes go out with the type stored when they were checked (JPEG or
PNG), never cached by a shared cache or sniffed into another type.
"""

from __future__ import annotations

import flask

from cockpit.auth.roles import scope_for
from cockpit.orders.photos import photo_for
from web.request import auth_state, current_user

PHOTO_URL = "/photos/"
ENDPOINT = "cockpit_photos_photo"


def photo_url(photo_id: int) -> str:
    return f"{PHOTO_URL}{int(photo_id)}"


def _not_found() -> flask.Response:
    response = flask.make_response("not found", 404)
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _photo(photo_id: int) -> flask.Response:
    user = current_user()
    if user is None or user.id is None:  # nobody (the guard stops them first) or the kiosk: no photos
        return _not_found()
    with auth_state().engine.connect() as conn:
        found = photo_for(conn, photo_id, scope_for(user))
    if found is None:
        return _not_found()
    data, content_type = found
    response = flask.make_response(data, 200)
    response.headers["Content-Type"] = content_type
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response


def install_photos(server: flask.Flask) -> None:
    """Add ``GET /photos/<int:photo_id>`` to ``server``."""
    server.add_url_rule(PHOTO_URL + "<int:photo_id>", endpoint=ENDPOINT, view_func=_photo, methods=["GET"])
