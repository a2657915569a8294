"""Access control (SPEC §12): users and passwords, roles and the data scope they see, login
sessions with idle and absolute expiry, DB-backed login rate limiting, CSRF, the append-only
audit log and the response privacy filter, installed on the Flask server with ``install``.

    from cockpit.auth import install, current_user, current_scope
    install(app.server, config, engine)          # once, after dash.Dash(...)
    scope = current_scope()                      # in any callback: pass it to queries/

Integration into the Dash app (``app.py``):

1. ``dash.Dash(..., external_scripts=[..., "/auth/csrf.js"])`` — the fetch patch that adds the CSRF
   header to Dash's POSTs (and sends the browser to ``/login`` when a session has expired).
2. After ``server = app.server``: ``install(server, config, engine)``; in demo mode the run script
   prints ``ensure_demo_users(engine)`` (username -> password).
3. ``pages/_scope.current_scope`` returns ``cockpit.auth.current_scope()``; the navbar links to
   ``/logout`` (a confirmation page whose form POSTs with the token) and ``/password``.
4. Screens that show a personal record call ``audit_person_view``; downloads call ``audit_export``;
   actions check ``can(current_user(), "warning.act")`` etc. on the server.
5. The big screen for the command centre wall: ``/?kiosk=1&kiosk_token=<auth.kiosk_token>``.

Nothing here imports Dash.
"""

from __future__ import annotations

from cockpit.auth import strings as _strings  # noqa: F401 - registers the auth.* UI strings
from cockpit.auth.audit import audit, audit_export, audit_person_view, audit_request
from cockpit.auth.csrf import CSRF_JS, CSRF_URL
from cockpit.auth.flask_guard import current_scope, current_user, install
from cockpit.auth.production import ProductionRefused, check_production
from cockpit.auth.roles import ROLES, can, scope_for
from cockpit.auth.users import User, ensure_demo_users

__all__ = [
    "CSRF_JS", "CSRF_URL", "ROLES", "ProductionRefused", "User", "audit", "audit_export", "audit_person_view", "audit_request",
    "can", "check_production", "current_scope", "current_user", "ensure_demo_users", "install", "scope_for",
]
