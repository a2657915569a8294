"""Access control (SPEC §12), framework-free: users and passwords, roles and the data scope they see,
the login-session store with idle and absolute expiry, DB-backed login rate limiting, CSRF tokens,
the append-only audit log and the production-mode check.

The web server puts these on its requests (``web``: the Flask guard, the login pages, the response
privacy filter, the current user of a request); the CLI manages accounts (``cockpit.auth.cli``).
Nothing here imports Flask or Dash.
"""

from __future__ import annotations

from cockpit.auth.audit import audit
from cockpit.auth.csrf import CSRF_JS, CSRF_URL
from cockpit.auth.production import ProductionRefused, check_production
from cockpit.auth.roles import ROLES, can, scope_for
from cockpit.auth.users import User, ensure_demo_users

__all__ = [
    "CSRF_JS", "CSRF_URL", "ROLES", "ProductionRefused", "User", "audit", "can", "check_production",
    "ensure_demo_users", "scope_for",
]
