"""End to end in a real browser: a real Dash app with ``install`` and the CSRF script, login through
the form, then a Dash callback whose POST carries the token added by the fetch patch."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.auth.conftest import PASSWORD, RAW_PHONE, Clock, make_config
from web import current_user, install
from web.security_headers import allow_inline_scripts



@pytest.fixture
def served_dash(sqlite_url, sqlite_engine, add_user_sqlite, tmp_path):
    import dash
    from dash import Input, Output, html

    add_user_sqlite("li")
    app = dash.Dash("auth_e2e", serve_locally=True, external_scripts=["/auth/csrf.js"], assets_folder=str(tmp_path))
    app.layout = html.Div([html.Button("go", id="go"), html.Div(id="out")])

    @app.callback(Output("out", "children"), Input("go", "n_clicks"), prevent_initial_call=True)
    def clicked(n):
        return f"clicked {n} by {current_user().username} tel {RAW_PHONE}"

    install(app.server, make_config(sqlite_url), sqlite_engine, clock=Clock(), env={})
    allow_inline_scripts(app.server, app.csp_hashes)  # the CSP holds in every mode: Dash's bootstrap needs it
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture
def add_user_sqlite(sqlite_engine):
    from cockpit.auth.users import create_user

    def add(username: str, role: str = "leader") -> None:
        with sqlite_engine.begin() as conn:
            create_user(conn, username, PASSWORD, role, actor="test", must_change_password=False)
    return add


def test_login_then_dash_callback_carries_the_csrf_header(served_dash, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        posts: list[dict] = []
        page.on("request", lambda r: posts.append(r.headers) if "/_dash-update-component" in r.url else None)
        page.goto(served_dash + "/")
        assert page.url.startswith(served_dash + "/login?next=")
        page.fill("#username", "li")
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_selector("#go")
        page.click("#go")
        page.locator("#out", has_text="clicked").wait_for()  # no wait_for_function: the CSP forbids eval
        assert page.text_content("#out") == "clicked 1 by li tel 138****5678"
        token = next(c["value"] for c in page.context.cookies() if c["name"] == "cockpit_csrf")
        assert posts and all(h.get("x-csrftoken") == token for h in posts)
        # Without the patch (the browser's own fetch from a fresh frame) the same POST is refused.
        status = page.evaluate("""async () => {
            const f = document.createElement('iframe'); document.body.appendChild(f);
            const r = await f.contentWindow.fetch.call(window, '/_dash-update-component',
                {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'});
            return r.status; }""")
        assert status == 403
        # When the session is gone, the next callback's 401 sends the browser to the login page.
        page.context.clear_cookies()
        page.click("#go")
        page.wait_for_url("**/login?**")
        assert "expired=1" in page.url and "会话已过期" in page.text_content("body")
    finally:
        context.close()
