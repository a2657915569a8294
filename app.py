"""The cockpit's Dash app. ``server = app.server`` is the WSGI entry point (gunicorn app:server).

Everything the browser loads is served by the app itself (Dash's own scripts with
``serve_locally``, Bootstrap 5 and Bootstrap Icons from the installed Bootstrap-Flask package,
``assets/``): the cockpit works with no internet.
"""

from __future__ import annotations

import gc
from importlib.resources import files
from urllib.parse import parse_qs

import dash
import flask
from dash import Input, Output, dcc, html

from cockpit.auth import CSRF_URL
from pages._access import allowed
from pages._common import LANG_COOKIE, config, current_lang, engine
from pages._nav import NAVBAR_CLASS, nav_groups, navbar_children
from queries.notifications import unread_count
from web import current_scope, current_user, install
from web.photos import install_photos
from web.report_downloads import install_report_downloads
from web.security_headers import allow_inline_scripts

VENDOR_DIR = files("flask_bootstrap") / "static" / "bootstrap5"
VENDOR_URL = "/vendor/bootstrap5/"

app = dash.Dash(
    __name__,
    use_pages=True,
    pages_folder="pages",
    serve_locally=True,
    suppress_callback_exceptions=True,
    title="基层智治驾驶舱",
    update_title=None,
    external_stylesheets=[VENDOR_URL + "css/bootstrap.min.css", VENDOR_URL + "css/font/bootstrap-icons.min.css"],
    external_scripts=[VENDOR_URL + "js/bootstrap.min.js", CSRF_URL],
    meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
)
server = app.server
# Login, sessions, CSRF, kiosk access and the privacy filter: every route below needs a session.
install(server, config(), engine())
allow_inline_scripts(server, app.csp_hashes)  # the CSP admits Dash's inline bootstrap script by its hash
install_photos(server)  # GET /photos/<id>: a work order's result photos, to those who may see the order
install_report_downloads(server)  # GET /reports/download/<id>: an archived weekly report, in scope, audited


@server.route(VENDOR_URL + "<path:filename>")
def vendor(filename: str) -> flask.Response:
    """Bootstrap CSS / JS / icon fonts from the installed package (send_from_directory refuses '..')."""
    response = flask.send_from_directory(str(VENDOR_DIR), filename, max_age=86400)
    return response


@server.after_request
def remember_language(response: flask.Response) -> flask.Response:
    """``?lang=en`` on any page sets the language cookie, so the choice sticks across pages."""
    lang = flask.request.args.get("lang")
    if lang in ("zh", "en") and flask.request.method == "GET":
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax")
    return response


app.layout = html.Div([
    dcc.Location(id="url"),
    html.Nav(id="navbar", className="cockpit-navbar"),  # empty until the callback fills it
    dash.page_container,
])


@dash.callback(Output("navbar", "children"), Output("navbar", "className"),
               Input("url", "pathname"), Input("url", "search"))
def navbar(pathname: str | None, search: str | None) -> tuple[list, str]:
    """The navigation of every page but the big screen (it has its own header) and kiosk mode."""
    query = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
    lang = current_lang(query.get("lang"))
    if pathname in (None, "/") or query.get("kiosk") == "1":
        return [], f"{NAVBAR_CLASS} d-none"
    scope = current_scope()
    groups = nav_groups(dash.page_registry.values(), allowed, scope.allows_board)
    user = current_user()
    unread = unread_count(engine(), user) if user is not None and user.id is not None else None
    return navbar_children(groups, user, lang, pathname, query, unread), NAVBAR_CLASS


# What is loaded by now (Dash, Plotly, pandas, the pages) lives as long as the process: keep it out of
# the garbage collector's full passes, which otherwise walk all of it (a ~100 ms pause in a refresh
# now and then). Before a WSGI server forks its workers, as the CPython docs advise.
gc.collect()
gc.freeze()


if __name__ == "__main__":
    from cockpit.config import load_config

    cfg = load_config()
    app.run(host=cfg.get("app", "host"), port=cfg.get("app", "port"), debug=False)
