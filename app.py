"""The cockpit's Dash app. ``server = app.server`` is the WSGI entry point (gunicorn app:server).

Everything the browser loads is served by the app itself (Dash's own scripts with
``serve_locally``, Bootstrap 5 and Bootstrap Icons from the installed Bootstrap-Flask package,
``assets/``): the cockpit works with no internet.
"""

from __future__ import annotations

import gc
from importlib.resources import files
from urllib.parse import parse_qs, urlencode

import dash
import flask
from dash import Input, Output, dcc, html

from cockpit.auth import CSRF_URL
from cockpit.i18n import t
from cockpit.reference import BOARDS
from pages._access import allowed
from pages._common import LANG_COOKIE, config, current_lang, engine
from web import current_scope, current_user, install
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


def _nav_links(lang: str) -> list:
    """Links from the page registry to the pages the user may open; boards: one link per board in scope."""
    scope = current_scope()
    links = []
    for p in sorted((p for p in dash.page_registry.values() if p.get("nav")), key=lambda p: p.get("order", 99)):
        if not allowed(p["module"].rsplit(".", 1)[-1]):
            continue
        if p["nav"] == "nav.boards":
            links += [dcc.Link([html.I(className=f"bi bi-{p.get('icon', 'circle')} me-1"), t(f"board.{b}", lang)],
                               href=f"/board/{b}", className="nav-link", id=f"nav-board-{b}")
                      for b in BOARDS if scope.allows_board(b)]
        else:
            links.append(dcc.Link([html.I(className=f"bi bi-{p.get('icon', 'circle')} me-1"), t(p["nav"], lang)],
                                  href=p["relative_path"], className="nav-link"))
    return links


def _user_menu(lang: str) -> html.Div | None:
    """Who is signed in, with their role; change password and sign out (a form that POSTs with the token)."""
    user = current_user()
    if user is None or user.id is None:  # nobody, or the kiosk
        return None
    return html.Div([
        html.Span([html.I(className="bi bi-person-circle me-1"), user.display_name or user.username,
                   html.Small(user.role_label(lang), className="ms-1 opacity-75")], className="navbar-text", id="nav-user"),
        html.A([html.I(className="bi bi-key me-1"), t("auth.change_password", lang)], href="/password",
               className="nav-link", id="nav-password"),
        html.A([html.I(className="bi bi-box-arrow-right me-1"), t("auth.logout", lang)], href="/logout",
               className="nav-link", id="nav-logout"),
    ], className="d-flex align-items-center gap-3")


app.layout = html.Div([
    dcc.Location(id="url"),
    html.Nav(id="navbar", className="cockpit-nav"),
    dash.page_container,
])


@dash.callback(Output("navbar", "children"), Output("navbar", "className"),
               Input("url", "pathname"), Input("url", "search"))
def navbar(pathname: str | None, search: str | None):
    query = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
    lang = current_lang(query.get("lang"))
    if pathname in (None, "/") or query.get("kiosk") == "1":
        return [], "cockpit-nav d-none"  # the big screen has its own header; kiosk mode hides navigation
    other = "en" if lang == "zh" else "zh"
    switch = html.A(t("nav.language", lang), id="lang-switch", className="btn btn-sm btn-outline-light",
                    href=(pathname or "/") + "?" + urlencode({**query, "lang": other}))
    return [
        html.Div([
            dcc.Link([html.I(className="bi bi-grid-3x3-gap-fill me-2"), t("app.title", lang)], href="/",
                     className="navbar-brand"),
            html.Div(_nav_links(lang), className="navbar-nav flex-row gap-3 me-auto"),
            _user_menu(lang),
            switch,
        ], className="container-fluid d-flex align-items-center gap-3"),
    ], "cockpit-nav navbar navbar-dark bg-primary navbar-expand px-2"


# What is loaded by now (Dash, Plotly, pandas, the pages) lives as long as the process: keep it out of
# the garbage collector's full passes, which otherwise walk all of it (a ~100 ms pause in a refresh
# now and then). Before a WSGI server forks its workers, as the CPython docs advise.
gc.collect()
gc.freeze()


if __name__ == "__main__":
    from cockpit.config import load_config

    cfg = load_config()
    app.run(host=cfg.get("app", "host"), port=cfg.get("app", "port"), debug=False)
