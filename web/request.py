"""Who is asking, from where, and when: helpers usable in any request of the cockpit's server
(Dash callbacks included) once ``web.guard.install`` has run.

Outside a request they answer "nobody": no user, a scope that sees nothing, ``-`` for the address
and the cockpit's clock for the time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import flask
from sqlalchemy import Engine

from cockpit.auth.ratelimit import Limits
from cockpit.auth.roles import scope_for
from cockpit.auth.sessions import SessionPolicy
from cockpit.auth.users import User
from cockpit.clock import now as clock_now
from cockpit.scope import Scope

EXTENSION = "cockpit_auth"  # the key of the installed ``AuthState`` in ``server.extensions``


@dataclass(frozen=True)
class AuthState:
    """What ``install`` puts on the server: the warehouse, the session and login policies, the clock,
    the production flag and who may frame the pages."""

    engine: Engine
    policy: SessionPolicy
    limits: Limits
    kiosk_token: str
    clock: Callable[[], datetime]
    default_lang: str
    production: bool
    frame_ancestors: tuple[str, ...] = ("'self'",)

    @property
    def kiosk_fingerprint(self) -> str:
        return hashlib.sha256(self.kiosk_token.encode()).hexdigest()[:16] if self.kiosk_token else ""


def auth_state() -> AuthState:
    """The ``AuthState`` of the server handling this request."""
    return flask.current_app.extensions[EXTENSION]


def current_user() -> User | None:
    """The logged-in user of this request (``KIOSK_USER`` for a kiosk), or None outside a login."""
    if not flask.has_request_context():
        return None
    return flask.g.get("cockpit_user")


def current_scope() -> Scope:
    """The data scope of this request's user; nothing at all when nobody is logged in."""
    return scope_for(current_user())


def request_ip() -> str:
    """The client address (put a proxy-fix middleware in front when behind a reverse proxy)."""
    return (flask.request.remote_addr or "-")[:64] if flask.has_request_context() else "-"


def request_now() -> datetime:
    """The instant of this request (one per request, from the installed clock), else the cockpit's clock."""
    if flask.has_request_context() and "cockpit_now" in flask.g:
        return flask.g.cockpit_now
    if flask.has_app_context() and EXTENSION in flask.current_app.extensions:
        return auth_state().clock()
    return clock_now()
