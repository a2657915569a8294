"""The navigation bar, built from the page registry.

A page joins the navigation with ``dash.register_page(..., nav="nav.<key>", nav_group="<group>",
icon="<bootstrap icon>", order=<n>)``. Groups appear in the order of ``NAV_GROUPS`` (a group not
listed there comes after them, labelled ``nav.group.<group>``); pages inside a group by ``order``.
A group with one page the user may open is a plain link, a group with more is a dropdown. A page
registered with a ``<board>`` path template becomes one link per board in the user's scope. Only
the pages the role may open are offered (``pages._access.allowed``); the current page is marked
``active`` with ``aria-current="page"``.

Below Bootstrap's ``lg`` breakpoint the links fold behind a toggler (Bootstrap's own collapse, so
no callback); a bell with the unread count links to the notification list; the signed-in user is one compact dropdown (name and role, change password, sign
out) with the language switch beside it. Styles: ``assets/nav.css``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

from cockpit.i18n import t
from cockpit.reference import BOARDS

# Groups in the bar, left to right. Work: warnings, work orders, whistles; admin: governance, audit.
NAV_GROUPS: tuple[str, ...] = ("boards", "work", "drill", "ranking", "reports", "admin")
BOARD_TEMPLATE = "<board>"


@dataclass(frozen=True)
class NavItem:
    """One link of the navigation: catalogue key of its label, target, icon and element id."""

    label: str
    href: str
    icon: str
    item_id: str
    board: str | None = None  # links to a board page: the label is the board's name


@dataclass(frozen=True)
class NavGroup:
    key: str
    items: tuple[NavItem, ...]


def _page_name(page: Mapping[str, Any]) -> str:
    return str(page["module"]).rsplit(".", 1)[-1]


def nav_groups(pages: Iterable[Mapping[str, Any]], may_open: Callable[[str], bool],
               allows_board: Callable[[str], bool]) -> list[NavGroup]:
    """The groups of links for a user, from page-registry entries (pure: no request, no Dash)."""
    by_group: dict[str, list[tuple[int, NavItem]]] = {}
    for page in pages:
        if not page.get("nav") or not may_open(_page_name(page)):
            continue
        group, order, icon = page.get("nav_group") or _page_name(page), page.get("order", 99), page.get("icon", "circle")
        template = page.get("path_template") or ""
        if BOARD_TEMPLATE in template:
            items = [NavItem(f"board.{b}", template.replace(BOARD_TEMPLATE, b), icon, f"nav-board-{b}", b)
                     for b in BOARDS if allows_board(b)]
        else:
            items = [NavItem(page["nav"], page["relative_path"], icon, f"nav-{_page_name(page)}")]
        by_group.setdefault(group, []).extend((order, item) for item in items)
    known = [g for g in NAV_GROUPS if g in by_group]
    extra = sorted(g for g in by_group if g not in NAV_GROUPS)
    return [NavGroup(g, tuple(item for _, item in sorted(by_group[g], key=lambda pair: pair[0])))
            for g in known + extra]


def _label(item: NavItem, lang: str) -> list:
    return [html.I(className=f"bi bi-{item.icon} me-1", **{"aria-hidden": "true"}), t(item.label, lang)]


def _link(item: NavItem, lang: str, pathname: str | None, class_name: str) -> Any:
    """The current page: a plain anchor marked ``aria-current``; the others navigate inside the app."""
    if item.href == pathname:
        return html.A(_label(item, lang), href=item.href, id=item.item_id, className=f"{class_name} active",
                      **{"aria-current": "page"})
    return dcc.Link(_label(item, lang), href=item.href, id=item.item_id, className=class_name)


def _group(group: NavGroup, lang: str, pathname: str | None) -> Any:
    if len(group.items) == 1:
        return _link(group.items[0], lang, pathname, "nav-link")
    current = any(item.href == pathname for item in group.items)
    return dbc.DropdownMenu(
        [_link(item, lang, pathname, "dropdown-item") for item in group.items],
        label=t(f"nav.group.{group.key}", lang), nav=True, in_navbar=True, id=f"nav-group-{group.key}",
        toggle_class_name="active" if current else None, class_name="nav-group")


def user_menu(user: Any, lang: str) -> Any:
    """One dropdown: the user's name (and role inside), change password, sign out. ``None``: nobody or the kiosk."""
    if user is None or user.id is None:
        return None
    name = user.display_name or user.username
    return dbc.DropdownMenu([
        dbc.DropdownMenuItem([html.Div(name, className="nav-user-fullname"),
                              html.Small(user.role_label(lang), className="nav-user-role")], header=True),
        dbc.DropdownMenuItem(divider=True),
        dbc.DropdownMenuItem([html.I(className="bi bi-key me-2"), t("auth.change_password", lang)], href="/password",
                             external_link=True, id="nav-password"),
        dbc.DropdownMenuItem([html.I(className="bi bi-box-arrow-right me-2"), t("auth.logout", lang)], href="/logout",
                             external_link=True, id="nav-logout"),
    ], label=[html.I(className="bi bi-person-circle me-1"), html.Span(name, className="nav-user-name")],
        nav=True, in_navbar=True, align_end=True, id="nav-user", class_name="nav-user")


def bell(unread: int | None, lang: str) -> Any:
    """The bell: a link to the notification list with the unread count. ``None``: nobody or the kiosk."""
    if unread is None:
        return None
    badge = html.Span(str(unread) if unread < 100 else "99+", className="badge rounded-pill bg-danger nav-bell-count",
                      id="nav-bell-count") if unread else None
    return html.A([html.I(className="bi bi-bell", **{"aria-hidden": "true"}), badge], href="/notifications",
                  id="nav-bell", className="nav-link nav-bell", title=t("notify.bell", lang, n=unread),
                  **{"aria-label": t("notify.bell", lang, n=unread)})


def language_switch(lang: str, pathname: str | None, query: Mapping[str, str]) -> html.A:
    other = "en" if lang == "zh" else "zh"
    return html.A(t("nav.language", lang), id="lang-switch", className="btn btn-sm btn-outline-light nav-lang",
                  href=(pathname or "/") + "?" + urlencode({**query, "lang": other}), lang=other)


def navbar_children(groups: list[NavGroup], user: Any, lang: str, pathname: str | None,
                    query: Mapping[str, str], unread: int | None = None) -> list:
    """The bar's content: brand, toggler, and the collapsible links, the bell (``unread``: the user's
    unread notices; None: no bell), user menu and language switch."""
    return [html.Div([
        dcc.Link([html.I(className="bi bi-grid-3x3-gap-fill me-2", **{"aria-hidden": "true"}),
                  html.Span(t("app.title", lang), className="nav-brand-text")], href="/", className="navbar-brand",
                 id="nav-brand", title=t("app.title", lang)),
        html.Button(html.Span(className="navbar-toggler-icon"), className="navbar-toggler", type="button",
                    id="nav-toggler", **{"data-bs-toggle": "collapse", "data-bs-target": "#nav-collapse",
                                         "aria-controls": "nav-collapse", "aria-expanded": "false",
                                         "aria-label": t("nav.toggle", lang)}),
        html.Div([
            html.Div([_group(g, lang, pathname) for g in groups], className="navbar-nav me-auto", id="nav-links"),
            html.Div([bell(unread, lang), user_menu(user, lang), language_switch(lang, pathname, query)],
                     className="navbar-nav nav-account", id="nav-account"),
        ], className="collapse navbar-collapse", id="nav-collapse"),
    ], className="container-fluid", key=f"nav-{pathname}")]  # a new page: the menu starts folded again


NAVBAR_CLASS = "cockpit-navbar navbar navbar-expand-lg navbar-dark bg-primary"
