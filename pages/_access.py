"""Which pages a user may open, checked on the server in each page's layout and in every callback.

The data itself is scoped in ``queries/`` (areas, boards, departments); this adds the page-level
permissions of the roles (``cockpit.auth.roles.PERMISSIONS``): the kiosk sees only the big screen,
data governance is for township-wide roles, the audit log for administrators. A callback of a page
the user may not open does nothing at all (Dash receives no update), whatever the request says.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from dash import html
from dash.exceptions import PreventUpdate

from cockpit.auth import can
from cockpit.i18n import t
from web import current_user

F = TypeVar("F", bound=Callable[..., Any])

PAGE_PERMISSION = {"bigscreen": "view", "board": "browse", "drill": "browse", "warnings": "browse",
                   "orders": "browse", "order": "browse", "governance": "governance.view", "audit": "audit.view",
                   "notifications": "view", "my_orders": "work_order.handle", "whistles": "browse", "whistle": "browse",
                   "my_summons": "summons.act", "review": "responsibility.review", "ranking": "browse",
                   "department": "browse", "reports": "report.generate"}


def allowed(page: str) -> bool:
    return can(current_user(), PAGE_PERMISSION[page])


def denied_notice(lang: str) -> html.Div:
    return html.Div([html.H4([html.I(className="bi bi-shield-lock me-2"), t("access.denied", lang)]),
                     html.P(t("access.denied_hint", lang)), html.A(t("page.back_home", lang), href="/")],
                    className="page access-denied")


def guarded(page: str) -> Callable[[F], F]:
    """Decorator for callbacks: no update unless the current user may open ``page``."""
    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if not allowed(page):
                raise PreventUpdate
            return fn(*args, **kwargs)
        return inner  # type: ignore[return-value]
    return wrap
