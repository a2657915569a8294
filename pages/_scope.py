"""The viewer's scope: the single place every page callback obtains it from.

Until login exists everything is in scope; the access-control core will replace the body of
``current_scope`` (reading the logged-in user from the session) without touching the pages.
"""

from __future__ import annotations

from cockpit.scope import EVERYTHING, Scope


def current_scope() -> Scope:
    return EVERYTHING
