"""通知 the in-app notification list: the dispatches, escalations and overdue work orders addressed to
the signed-in user (as a user, their role, their department), newest first; "mark all as read". Reached
from the bell in the navigation, by every signed-in role (not the kiosk: it has no account)."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from cockpit.i18n import t
from pages._access import allowed, denied_notice, guarded
from pages._common import current_lang, engine, now
from pages._widgets import panel, timestamp
from queries.notifications import latest_notices, mark_read, unread_count
from web import current_user

dash.register_page(__name__, path="/notifications", title="基层智治驾驶舱 · 通知")

LIMIT = 100


def _may_open() -> bool:
    user = current_user()
    return allowed("notifications") and user is not None and user.id is not None


def notice_list(rows: list[dict[str, Any]], lang: str) -> Any:
    if not rows:
        return html.P(t("notify.none", lang), className="text-muted", id="notify-empty")
    head = html.Thead(html.Tr([html.Th(t(f"notify.col.{c}", lang)) for c in ("at", "kind", "title", "to", "read")]))
    body = []
    for r in rows:
        title = dcc.Link(r["title"], href=r["link"]) if r["link"] else r["title"]
        unread = r["read_at"] is None
        body.append(html.Tr([
            html.Td(timestamp(r["created_at"])), html.Td(t(f"notify.kind.{r['kind']}", lang)),
            html.Td([html.Div(title), html.Small(r["body"], className="text-muted")] if r["body"] else title),
            html.Td(r["recipient"]),
            html.Td(html.Span(t("notify.new" if unread else "notify.read", lang),
                              className=f"badge {'bg-danger' if unread else 'bg-secondary'}")),
        ], className="notice-unread" if unread else "notice-read", id=f"notice-{r['id']}"))
    return html.Table([head, html.Tbody(body)], className="table table-sm notice-table", id="notify-table")


def _content(lang: str) -> tuple[Any, str]:
    user, db = current_user(), engine()
    rows = latest_notices(db, user, LIMIT)
    return notice_list(rows, lang), t("notify.unread", lang, n=unread_count(db, user))


def layout(lang: str | None = None, **_query: str) -> html.Div:
    lang = current_lang(lang)
    if not _may_open():
        return denied_notice(lang)
    listing, unread = _content(lang)
    return html.Div([
        html.Div(html.H4([html.I(className="bi bi-bell me-2"), t("notify.title", lang)]), className="page-title"),
        dcc.Store(id="notify-lang", data=lang),
        html.Div(id="notify-feedback"),
        panel(t("notify.title", lang), html.Div(listing, id="notify-list"),
              extra=html.Div([html.Span(unread, id="notify-unread", className="me-3"),
                              html.Button(t("notify.mark_all_read", lang), id="notify-mark-read", n_clicks=0,
                                          className="btn btn-sm btn-outline-primary")])),
    ], className="page")


@dash.callback(Output("notify-list", "children"), Output("notify-unread", "children"),
               Output("notify-feedback", "children"), Input("notify-mark-read", "n_clicks"),
               State("notify-lang", "data"), prevent_initial_call=True)
@guarded("notifications")
def mark_all_read(_clicks: int, lang: str | None) -> tuple[Any, str, Any]:
    lang = current_lang(lang)
    if not _may_open():
        raise dash.exceptions.PreventUpdate
    n = mark_read(engine(), current_user(), now())
    listing, unread = _content(lang)
    return listing, unread, html.Div(t("notify.marked", lang, n=n), className="alert alert-success py-2", role="status")
