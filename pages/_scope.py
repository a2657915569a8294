"""The viewer's scope: the single place every page callback obtains it from.

It is the logged-in user's scope (``web.current_scope``): enforced in SQL by every query, so a forged
callback asking for another area, board or department gets nothing of it.
"""

from __future__ import annotations

from cockpit.scope import Scope
from web import current_scope as _auth_scope


def current_scope() -> Scope:
    return _auth_scope()
