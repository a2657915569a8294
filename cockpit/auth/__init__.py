"""Access control (SPEC §12): users and passwords, roles and the data scope they see, login
sessions with idle and absolute expiry, DB-backed login rate limiting, CSRF, the append-only
audit log and the response privacy filter, installed on the Flask server with ``install``.

    from cockpit.auth import install, current_user, current_scope
    install(app.server, config, engine)          # once, after dash.Dash(...)
    scope = current_scope()                      # in any callback: pass it to queries/

Nothing here imports Dash.
"""

from __future__ import annotations

from cockpit.auth import strings as _strings  # noqa: F401 - registers the auth.* UI strings
from cockpit.auth.audit import audit, audit_export, audit_person_view, audit_request
from cockpit.auth.csrf import CSRF_JS
from cockpit.auth.flask_guard import current_scope, current_user, install
from cockpit.auth.production import ProductionRefused, check_production
from cockpit.auth.roles import ROLES, can, scope_for
from cockpit.auth.users import User, ensure_demo_users

__all__ = [
    "CSRF_JS", "ROLES", "ProductionRefused", "User", "audit", "audit_export", "audit_person_view", "audit_request",
    "can", "check_production", "current_scope", "current_user", "ensure_demo_users", "install", "scope_for",
]
