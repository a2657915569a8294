"""我的工单 ``/my/orders``: a grid worker's phone and a department liaison's laptop.

The list: the person's own work orders (``queries.my_orders.my_order_list``), overdue first
("超时 2 小时" in red), then the newest; each card with its title, level, status, place, deadline
countdown and how much evidence it has. ``/my/orders?id=N``: one order with its place, deadlines,
the evidence events (masked reporters), its log and photos, and big buttons at the bottom, within
a thumb's reach: 签收 (acknowledge), 到场 (arrive), 反馈结果 (resolve: a note and photos) and 退回
(return, with a reason).

Offered to roles with ``work_order.handle`` (``pages._access.PAGE_PERMISSION["my_orders"]``). Every
callback checks again on the server: the page, the order in the person's scope, then
``cockpit.orders.actions.act`` checks that this person may do this to this order (their own: a grid
worker's assigned to them, a liaison's department's with no grid worker holding it) and the photos
(type by content, size, count). A refusal by the core is audited as ``work_order.refused`` (floods
capped). The seen state (status, department, assignee) rides along, so someone acting first makes
it a conflict and the page is loaded again. Styles: ``assets/field.css`` (sunlight, one thumb);
thumbnails before sending: ``assets/field.js`` (in the browser, nothing sent).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cockpit.auth.refusals import audit_refusal
from cockpit.i18n import t
from cockpit.orders.actions import act
from cockpit.orders.photos import PhotoRejected
from cockpit.orders.states import NotAllowed, OrderConflict, OrderError
from cockpit.reference import CATEGORIES
from pages._access import allowed, denied_notice
from pages._common import config, current_lang, engine, href, now
from pages._scope import current_scope
from pages._warning_widgets import level_chip, rule_label, when
from queries import my_orders as qm
from web import current_user
from web.photos import photo_url
from web.request import request_ip, request_now

dash.register_page(__name__, path="/my/orders", title="基层智治驾驶舱 · 我的工单", nav="field.nav",
                   icon="list-check", order=4, nav_group="work")

PATH = "/my/orders"
PAGE = "my_orders"
ACTIONS = ("acknowledged", "arrived", "resolved", "returned")
ERROR_KEYS = ("conflict",)
MAX_UPLOADS = 50  # more than this is refused as too many before anything is decoded
_ID_RE = re.compile(r"^\d{1,12}$")
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?(;[\w=.+-]+)*;base64,", re.ASCII)


# ---------------------------------------------------------------- small pieces
def duration(minutes: float, lang: str) -> str:
    """"2 小时 15 分" / "1 天 3 小时" / "45 分钟" (en: "2 h 15 min", "1 d 3 h", "45 min")."""
    m = max(0, int(minutes))
    if m < 1:
        return t("field.dur.lt1", lang)
    days, hours, mins = m // 1440, m % 1440 // 60, m % 60
    if days:
        return t("field.dur.dh", lang, d=days, h=hours) if hours else t("field.dur.d", lang, d=days)
    if hours:
        return t("field.dur.hm", lang, h=hours, m=mins) if mins else t("field.dur.h", lang, h=hours)
    return t("field.dur.m", lang, m=mins)


def _minutes(a: datetime, b: datetime) -> float:
    return (a - b).total_seconds() / 60


def deadline_line(o: dict, at: datetime, lang: str) -> html.Div:
    """What the deadline says now: overdue by how long (red), or the time left to acknowledge or to
    resolve; nothing to do any more once resolved, returned or ended."""
    status = o["status"]
    if status == "dispatched" and o["ack_due_at"] <= at:
        return html.Div(t("field.overdue_ack", lang, d=duration(_minutes(at, o["ack_due_at"]), lang)),
                        className="fo-due fo-late")
    if status in ("dispatched", "acknowledged", "on_site") and o["resolve_due_at"] <= at:
        return html.Div(t("field.overdue", lang, d=duration(_minutes(at, o["resolve_due_at"]), lang)),
                        className="fo-due fo-late")
    if status == "dispatched":
        return html.Div(t("field.due_ack", lang, d=duration(_minutes(o["ack_due_at"], at), lang),
                          at=when(o["ack_due_at"], "%m-%d %H:%M")), className="fo-due")
    if status in ("acknowledged", "on_site"):
        return html.Div(t("field.due_resolve", lang, d=duration(_minutes(o["resolve_due_at"], at), lang),
                          at=when(o["resolve_due_at"], "%m-%d %H:%M")), className="fo-due")
    return html.Div(t(f"field.after.{status}", lang), className="fo-due fo-done")


def status_chip(status: str, lang: str) -> html.Span:
    return html.Span(t(f"order.status.{status}", lang), className=f"fo-status fo-st-{status}")


def kind(o: dict, lang: str) -> str:
    """"突出问题 · 环境卫生": the rule of the order's warning and its category, whichever it has."""
    cat = next((c for c in CATEGORIES if c.code == o.get("category_code")), None)
    parts = [rule_label(o.get("rule"), lang), (cat.name_zh if lang == "zh" else cat.name_en) if cat else ""]
    return " · ".join(p for p in parts if p)


def place(o: dict, lang: str) -> str:
    parts = [p for p in (o.get("village_name"), o.get("grid_name")) if p]
    return " · ".join(parts) if parts else t("warning.township_wide", lang)


def _flash(query: dict, lang: str) -> Any:
    if query.get("done") in ACTIONS:
        return html.Div(t(f"field.done.{query['done']}", lang), className="alert alert-success fo-flash", id="fo-flash",
                        role="status")
    if query.get("error") in ERROR_KEYS:
        return html.Div(t("order.error.conflict", lang), className="alert alert-warning fo-flash", id="fo-flash",
                        role="status")
    return None


# ---------------------------------------------------------------- the page
def layout(lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed(PAGE):
        return denied_notice(lang)
    if query.get("id") is not None:
        return order_view(query, lang)
    user = current_user()
    at = now()
    rows = qm.my_order_list(engine(), user, current_scope(), at)
    open_rows = [r for r in rows if r["status"] in ("dispatched", "acknowledged", "on_site")]
    late = sum(1 for r in rows if r["overdue"])
    who = "field.subtitle_liaison" if user is not None and user.role == "department_liaison" else "field.subtitle_grid"
    summary = [html.Span(t("field.count_open", lang, n=len(open_rows)), className="fo-sum-open")]
    if late:
        summary.append(html.Span(t("field.count_late", lang, n=late), className="fo-sum-late"))
    cards = [_card(r, at, lang) for r in rows]
    return html.Div([
        html.Div([html.H1([html.I(className="bi bi-list-check me-2", **{"aria-hidden": "true"}),
                           t("field.title", lang)], className="fo-h1"),
                  html.Div(t(who, lang), className="fo-sub"),
                  html.Div(summary, className="fo-summary", id="fo-summary")], className="fo-head"),
        _flash(query, lang),
        html.Div(cards, className="fo-cards", id="fo-cards") if cards else
        html.Div(t("field.none", lang), className="fo-empty", id="fo-empty"),
    ], className="page field-page", id="field-list")


def _card(r: dict, at: datetime, lang: str) -> dcc.Link:
    head = [status_chip(r["status"], lang)]
    if r.get("level"):
        head.insert(0, level_chip(r["level"], lang, short=True))
    address = r.get("address")
    return dcc.Link([
        html.Div(head, className="fo-card-head"),
        html.Div(kind(r, lang), className="fo-kind"),
        html.Div(r["title"], className="fo-card-title"),
        html.Div([html.I(className="bi bi-geo-alt-fill me-1", **{"aria-hidden": "true"}), place(r, lang)],
                 className="fo-place"),
        html.Div(address, className="fo-address") if address else None,
        deadline_line(r, at, lang),
        html.Div([html.Span([html.I(className="bi bi-files me-1", **{"aria-hidden": "true"}),
                             t("field.evidence_n", lang, n=r["evidence_count"])]),
                  html.Span([html.I(className="bi bi-camera me-1", **{"aria-hidden": "true"}),
                             t("field.photos_n", lang, n=r["photo_count"])]) if r["photo_count"] else None,
                  html.Span(t("field.order_no", lang, id=r["id"]), className="fo-no")], className="fo-card-foot"),
    ], href=href(PATH, {"id": str(r["id"]), "lang": lang}), id=f"fo-card-{r['id']}",
        className="fo-card" + (" fo-card-late" if r["overdue"] else ""))


def _back(lang: str) -> dcc.Link:
    return dcc.Link([html.I(className="bi bi-arrow-left me-1", **{"aria-hidden": "true"}), t("field.back", lang)],
                    href=href(PATH, {"lang": lang}), className="fo-back", id="fo-back")


def order_view(query: dict, lang: str) -> html.Div:
    raw = str(query.get("id") or "")
    page = qm.order_page(engine(), current_user(), current_scope(), int(raw), now()) if _ID_RE.match(raw) else None
    if page is None:
        return html.Div([_back(lang), html.Div(t("order.error.not_found", lang), className="alert alert-warning fo-flash",
                                               id="fo-not-found")], className="page field-page")
    o, at = page["order"], now()
    head = [status_chip(o["status"], lang)]
    if o.get("level"):
        head.insert(0, level_chip(o["level"], lang))
    coords = None
    if o.get("lat") is not None and o.get("lon") is not None:
        coords = html.A([html.I(className="bi bi-compass me-1", **{"aria-hidden": "true"}),
                         f"{o['lat']:.5f}, {o['lon']:.5f}"], href=f"geo:{o['lat']:.6f},{o['lon']:.6f}",
                        className="fo-coords", id="fo-coords")
    header = html.Div([html.Div(head, className="fo-card-head"),
                       html.Div(kind(o, lang), className="fo-kind"),
                       html.H1(o["title"], className="fo-title", id="fo-title"),
                       deadline_line(o, at, lang),
                       html.Div(t("field.order_no", lang, id=o["id"]), className="fo-no")],
                      className="fo-section fo-order-head" + (" fo-card-late" if o["overdue"] else ""), id="fo-head")
    info = [
        _section("field.place", lang, [
            html.Div([html.I(className="bi bi-geo-alt-fill me-1", **{"aria-hidden": "true"}), place(o, lang)],
                     className="fo-place", id="fo-place"),
            html.Div(o["address"], className="fo-address") if o.get("address") else None, coords,
            html.Div(t("field.department", lang, d=qm.department_name(o["department_code"], lang)), className="fo-line"),
        ], "fo-place-box"),
        _section("field.deadlines", lang, _deadlines(o, lang), "fo-deadlines"),
        _section("field.evidence", lang, [*_events(page["events"], page["evidence_count"], lang), _warning_link(o, lang)],
                 "fo-evidence"),
        _section("field.photos", lang, _photos(page["photos"], lang), "fo-photos") if page["photos"] else None,
        _section("field.log", lang, _log(page["log"], lang), "fo-log"),
    ]
    seen = {"status": o["status"], "department_code": o["department_code"], "assignee_user": o["assignee_user"]}
    stores = [dcc.Store(id="fo-id", data=int(o["id"])), dcc.Store(id="fo-lang", data=lang),
              dcc.Store(id="fo-seen", data=seen), dcc.Location(id="fo-go", refresh="callback-nav")]
    return html.Div([
        _back(lang), _flash(query, lang), header,
        html.Div([html.Div(info, className="fo-main"),
                  html.Div(_actions(page["actions"], o, lang), className="fo-side")], className="fo-grid"),
        *stores,
    ], className="page field-page field-order", id="field-order")


def _section(title_key: str, lang: str, body: Any, section_id: str) -> html.Section:
    return html.Section([html.H2(t(title_key, lang), className="fo-h2"), html.Div(body)], className="fo-section",
                        id=section_id)


def _deadlines(o: dict, lang: str) -> html.Dl:
    def row(label: str, due: Any, done: Any) -> list:
        value = [html.Span(when(due))]
        if done is not None:
            value.append(html.Span(t("field.done_at", lang, at=when(done)), className="fo-done-at"))
        return [html.Dt(t(label, lang)), html.Dd(value)]
    return html.Dl(row("field.ack_due", o["ack_due_at"], o.get("acknowledged_at"))
                   + row("field.resolve_due", o["resolve_due_at"], o.get("resolved_at"))
                   + [html.Dt(t("field.dispatched_at", lang)), html.Dd(when(o["created_at"]))], className="fo-dl")


def _events(events: list[dict], total: int, lang: str) -> list:
    if not events:
        return [html.Div(t("field.evidence_none", lang, n=total), className="fo-muted")]
    items = [html.Li([
        html.Div([html.Span(when(e["reported_at"]), className="fo-ev-at"),
                  html.Span(qm.channel_name(e.get("channel"), lang), className="fo-ev-channel")], className="fo-ev-line"),
        html.Div(e.get("title") or "", className="fo-ev-title"),
        html.Div([html.Span(t("field.reporter", lang, r=e.get("reporter_masked") or "—")),
                  html.Span(e["address"], className="fo-ev-address") if e.get("address") else None],
                 className="fo-ev-meta"),
    ], className="fo-ev") for e in events]
    more = html.Div(t("field.evidence_more", lang, n=total - len(events)), className="fo-muted") \
        if total > len(events) else None
    return [html.Ol(items, className="fo-events", id="fo-events"), more]


def _warning_link(o: dict, lang: str) -> Any:
    """To the warning the order was made from (its whole evidence: readings, inspections …)."""
    if not o.get("warning_id") or not allowed("warnings"):
        return None
    return dcc.Link([t("field.warning_link", lang), html.I(className="bi bi-chevron-right ms-1", **{"aria-hidden": "true"})],
                    href=href("/warnings", {"id": str(o["warning_id"]), "lang": lang}), className="fo-link",
                    id="fo-warning-link")


def _photos(photos: list[dict], lang: str) -> html.Div:
    return html.Div([html.A(html.Img(src=photo_url(p["id"]), alt=t("field.photo_alt", lang, n=i + 1),
                                     className="fo-photo"), href=photo_url(p["id"]), target="_blank",
                            rel="noopener", id=f"fo-photo-{p['id']}")
                     for i, p in enumerate(photos)], className="fo-photo-grid")


def _log(log: list[dict], lang: str) -> html.Ol:
    return html.Ol([html.Li([
        html.Div([html.Span(when(r["at"]), className="fo-log-at"),
                  html.B(t(f"order.action.{r['action']}", lang)),
                  html.Span(r["actor"], className="fo-log-actor")], className="fo-log-line"),
        html.Div(r["note"], className="fo-log-note") if r.get("note") else None,
    ], className="fo-log-item", **{"data-action": r["action"]}) for r in log], className="fo-log", id="fo-log-list")


def _button(key: str, button_id: str, lang: str, cls: str, icon: str) -> html.Button:
    return html.Button([html.I(className=f"bi bi-{icon} me-2", **{"aria-hidden": "true"}), t(key, lang)],
                       id=button_id, n_clicks=0, className=f"fo-btn {cls}", type="button")


def _actions(actions: list[str], o: dict, lang: str) -> list:
    """The form fields above, the primary action in the bar at the bottom (sticky on a phone)."""
    msg = html.Div(id="fo-msg", role="status", **{"aria-live": "polite"})
    if not actions:
        key = "field.no_actions_mine" if o["status"] in ("resolved", "returned", "closed", "dismissed") else "field.no_actions"
        return [msg, html.Div(t(key, lang), className="fo-muted fo-no-actions", id="fo-no-actions")]
    parts: list[Any] = [msg]
    primary = None
    if "returned" in actions:
        parts.append(html.Details([
            html.Summary([html.I(className="bi bi-arrow-return-left me-2", **{"aria-hidden": "true"}),
                          t("field.return_open", lang)], id="fo-return-open", className="fo-summary-btn"),
            html.Label(t("field.return_reason", lang), htmlFor="fo-return-reason", className="fo-label"),
            dcc.Textarea(id="fo-return-reason", maxLength=500, rows=3, className="fo-textarea",
                         placeholder=t("field.return_placeholder", lang)),
            _button("order.action.returned", "fo-return", lang, "fo-btn-danger", "arrow-return-left"),
        ], className="fo-section fo-return"))
    if "resolved" in actions:
        settings = config().settings["orders"]
        submit = _button("field.resolve_submit", "fo-resolve", lang, "fo-btn-primary", "send-check")
        form = [html.H2(t("order.action.resolved", lang), className="fo-h2"),
                html.Label(t("field.note", lang), htmlFor="fo-note", className="fo-label"),
                dcc.Textarea(id="fo-note", maxLength=1000, rows=4, className="fo-textarea",
                             placeholder=t("field.note_placeholder", lang)),
                html.Div(t("field.photos_hint", lang, n=int(settings["photo_max_count"]),
                           mb=int(settings["photo_max_bytes"]) // 1_000_000), className="fo-label", id="fo-photos-hint"),
                dcc.Upload(id="fo-upload", multiple=True, accept="image/jpeg,image/png", className="fo-upload",
                           className_active="fo-upload-active",
                           children=html.Div([html.I(className="bi bi-camera-fill me-2", **{"aria-hidden": "true"}),
                                              t("field.add_photos", lang)], className="fo-upload-inner")),
                html.Div(id="fo-thumbs", className="fo-thumbs")]
        if o["status"] == "on_site":
            primary = submit
        else:
            form.append(submit)
        parts.append(html.Div(form, className="fo-section fo-resolve-form", id="fo-resolve-form"))
    if "arrived" in actions:
        primary = _button("order.action.arrived", "fo-arrive", lang, "fo-btn-primary", "geo-alt")
    if "acknowledged" in actions:
        primary = _button("order.action.acknowledged", "fo-ack", lang, "fo-btn-primary", "check2-circle")
    if primary is not None:  # the message shows beside the button the thumb just pressed
        parts.remove(msg)
        parts.append(html.Div([msg, primary], className="fo-actionbar", id="fo-actionbar"))
    return parts


# ---------------------------------------------------------------- the server side
def _message(key: str, lang: str) -> html.Div:
    return html.Div(t(key, lang), className="alert alert-warning fo-error", id="fo-error")


def _refuse(action: str, order_id: Any, reason: str) -> None:
    """Audit a refused work-order action (capped per actor and address, ``cockpit.auth.refusals``)."""
    user = current_user()
    with engine().begin() as conn:
        audit_refusal(conn, user.username if user else "anonymous", "work_order.refused", "work_order",
                      str(order_id)[:40], {"action": action, "reason": reason}, ip=request_ip(), now=request_now())


def _seen(value: Any) -> dict | None:
    """The order as the page showed it, if well-formed (a forged one can only make the action a conflict)."""
    if not isinstance(value, dict) or set(value) != {"status", "department_code", "assignee_user"}:
        return None
    if not isinstance(value["status"], str) or not isinstance(value["department_code"], str):
        return None
    return value if value["assignee_user"] is None or isinstance(value["assignee_user"], str) else None


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def decode_photos(contents: Any) -> list[bytes]:
    """dcc.Upload's data URLs as bytes. Not the check of the photos (the core judges their content,
    size and count); a value that is not a base64 data URL is refused as not a photo."""
    if contents is None:
        return []
    items = [contents] if isinstance(contents, str) else contents
    if not isinstance(items, list):
        raise PhotoRejected("the photos are not a list")
    if len(items) > MAX_UPLOADS:
        raise PhotoRejected(f"{len(items)} photos", "order.error.photo_count")
    out = []
    for item in items:
        m = _DATA_URL.match(item) if isinstance(item, str) else None
        if m is None:
            raise PhotoRejected("not a data URL")
        try:
            out.append(base64.b64decode(item[m.end():], validate=True))
        except (binascii.Error, ValueError):
            raise PhotoRejected("not base64") from None
    return out


def _act(action: str, order_id: Any, lang: Any, seen: Any, *, note: str | None = None, photos: Any = None) -> tuple:
    """Check, then ``act`` in one transaction; (message, href) for the callback."""
    lang = current_lang(lang if isinstance(lang, str) else None)
    if not allowed(PAGE):  # not even the page: refused without an answer
        _refuse(action, order_id, "page")
        raise PreventUpdate
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        _refuse(action, order_id, "state")
        return _message("order.error.not_found", lang), no_update
    user = current_user()
    if qm.order_page(engine(), user, current_scope(), order_id, now()) is None:
        _refuse(action, order_id, "scope")
        return _message("order.error.not_found", lang), no_update
    try:
        blobs = decode_photos(photos) if action == "resolved" else []
        with engine().begin() as conn:
            act(conn, order_id, action, user, note=note, photos=blobs, seen=_seen(seen), ip=request_ip(), config=config())
    except OrderConflict:
        return no_update, href(PATH, {"id": str(order_id), "error": "conflict", "lang": lang})
    except NotAllowed as exc:
        _refuse(action, order_id, "not_allowed")
        return _message(exc.key, lang), no_update
    except OrderError as exc:
        key = exc.key if exc.key.startswith("order.error.") else "order.error.refused"
        return _message(key, lang), no_update
    return no_update, href(PATH, {"id": str(order_id), "done": action, "lang": lang})


def _clicked(n: Any, button: str) -> None:
    if ctx.triggered_id != button or not isinstance(n, int) or n < 1:
        raise PreventUpdate


@dash.callback(Output("fo-msg", "children"), Output("fo-go", "href"), Input("fo-ack", "n_clicks"),
               State("fo-id", "data"), State("fo-seen", "data"), State("fo-lang", "data"), prevent_initial_call=True)
def acknowledge(n, order_id, seen, lang):
    _clicked(n, "fo-ack")
    return _act("acknowledged", order_id, lang, seen)


@dash.callback(Output("fo-msg", "children", allow_duplicate=True), Output("fo-go", "href", allow_duplicate=True),
               Input("fo-arrive", "n_clicks"), State("fo-id", "data"), State("fo-seen", "data"), State("fo-lang", "data"),
               prevent_initial_call=True)
def arrive(n, order_id, seen, lang):
    _clicked(n, "fo-arrive")
    return _act("arrived", order_id, lang, seen)


@dash.callback(Output("fo-msg", "children", allow_duplicate=True), Output("fo-go", "href", allow_duplicate=True),
               Input("fo-resolve", "n_clicks"), State("fo-note", "value"), State("fo-upload", "contents"),
               State("fo-id", "data"), State("fo-seen", "data"), State("fo-lang", "data"), prevent_initial_call=True)
def resolve(n, note, photos, order_id, seen, lang):
    _clicked(n, "fo-resolve")
    return _act("resolved", order_id, lang, seen, note=_text(note, 1000), photos=photos)


@dash.callback(Output("fo-msg", "children", allow_duplicate=True), Output("fo-go", "href", allow_duplicate=True),
               Input("fo-return", "n_clicks"), State("fo-return-reason", "value"), State("fo-id", "data"),
               State("fo-seen", "data"), State("fo-lang", "data"), prevent_initial_call=True)
def give_back(n, reason, order_id, seen, lang):
    _clicked(n, "fo-return")
    return _act("returned", order_id, lang, seen, note=_text(reason, 500))


# thumbnails of the chosen photos, drawn in the browser (assets/field.js): nothing is sent until 提交
dash.clientside_callback(ClientsideFunction(namespace="field", function_name="thumbs"),
                         Output("fo-thumbs", "children"), Input("fo-upload", "contents"), State("fo-upload", "filename"),
                         State("fo-lang", "data"), prevent_initial_call=True)
dash.clientside_callback(ClientsideFunction(namespace="field", function_name="clear"),
                         Output("fo-msg", "children", allow_duplicate=True), Input("fo-note", "value"),
                         Input("fo-upload", "contents"), prevent_initial_call=True)
dash.clientside_callback(ClientsideFunction(namespace="field", function_name="clear"),
                         Output("fo-msg", "children", allow_duplicate=True), Input("fo-return-reason", "value"),
                         prevent_initial_call=True)
