"""The cockpit on the web: everything that needs Flask, the server under the Dash app.

Login, sessions, CSRF and kiosk access on the server (``guard``), the response privacy filter
(``privacy_filter``), who is asking in a request (``request``) and the audit records of what they do
(``request_audit``), the login pages (``templates``, ``login_strings``).

Why a package of its own, beside ``app.py`` and not inside ``cockpit/``: the core (``cockpit/``) is
what the CLI, the scheduler, the ETL and the report jobs run, and none of them serves a request. Kept
out here, Flask is not imported by any of them, and ``cockpit/`` holds no web code at all (a test
checks both). Users, roles, scope, passwords, the session store, rate limits, CSRF tokens and the
audit log stay framework-free in ``cockpit.auth``; this package puts them on a server.

    from web import install, current_user, current_scope
    install(app.server, config, engine)          # once, after dash.Dash(...)
    scope = current_scope()                      # in any callback: pass it to queries/

Integration into the Dash app (``app.py``):

1. ``dash.Dash(..., external_scripts=[..., cockpit.auth.CSRF_URL])`` — the fetch patch that adds the
   CSRF header to Dash's POSTs (and sends the browser to ``/login`` when a session has expired).
2. After ``server = app.server``: ``install(server, config, engine)``; in demo mode the run script
   prints ``cockpit.auth.ensure_demo_users(engine)`` (username -> password). Then
   ``web.security_headers.allow_inline_scripts(server, app.csp_hashes)``: the Content-Security-Policy
   (enforced in every mode) admits Dash's inline bootstrap script only by its hash.
3. ``pages/_scope.current_scope`` returns ``web.current_scope()``; the navbar links to ``/logout``
   (a confirmation page whose form POSTs with the token) and ``/password``.
4. Screens that show a personal record call ``audit_person_view``; downloads call ``audit_export``
   (a refused one ``audit_export_refused``);
   actions check ``cockpit.auth.can(current_user(), "warning.act")`` etc. on the server.
5. The big screen for the command centre wall: ``/?kiosk=1&kiosk_token=<auth.kiosk_token>``.

Nothing here imports Dash.
"""

from __future__ import annotations

from web.guard import install
from web.request import current_scope, current_user, request_ip, request_now
from web.request_audit import audit_export, audit_person_view, audit_request

__all__ = ["audit_export", "audit_person_view", "audit_request", "current_scope", "current_user", "install",
           "request_ip", "request_now"]
