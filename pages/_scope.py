"""The viewer's scope: the single place every page callback obtains it from.

It is the logged-in user's scope (``cockpit.auth``): enforced in SQL by every query, so a forged
callback asking for another area, board or department gets nothing of it.
"""

from __future__ import annotations

from cockpit.auth import current_scope as _auth_scope
from cockpit.scope import Scope


def current_scope() -> Scope:
    return _auth_scope()
