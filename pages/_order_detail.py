"""One work order's page (``/orders/<id>``, also ``/orders?id=N``): the header (title, level, status,
place, department, cooperating departments, assignee, deadlines, how late), the timeline from the
warning to the closing, the evidence events, the photos of the result, and the township's actions
for those with ``work_order.dispatch``: 核查结案 (close), 返工 (reopen, a reason), 改派 (re-route:
department and grid worker) and 作废 (dismiss, a reason).

Every action is checked again on the server (the page, the permission, the order in the user's
scope: a refusal is audited as ``work_order.refused``), then done by ``cockpit.orders.actions.act``
with the order's state as the page showed it, so when someone else acted first the page reloads
with the conflict message instead of acting twice.
"""

from __future__ import annotations

import re
from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cockpit.auth import can
from cockpit.auth.refusals import audit_refusal
from cockpit.i18n import CATALOGUE, t
from cockpit.orders.actions import act
from cockpit.orders.dispatch import PROPOSED
from cockpit.orders.states import ENDED_STATUSES as ENDED, OrderError
from pages._access import allowed
from pages._common import config, current_lang, engine, href, now
from pages._scope import current_scope
from pages._whistle_detail import whistle_link
from pages._warning_widgets import (
    action_label,
    level_chip,
    place_label,
    rule_label,
    status_label,
    when,
)
from pages._widgets import duration, notices, panel
from queries import orders as qo
from queries._base import reading
from web import current_user
from web.request import request_ip, request_now

PERMISSION = "work_order.dispatch"
TOWNSHIP_ACTIONS = ("closed", "reopened", "rerouted", "dismissed")
DONE_KEYS = ("dispatched",) + TOWNSHIP_ACTIONS
ERROR_KEYS = ("conflict",)
_ID_RE = re.compile(r"^\d{1,12}$")
_FOLLOW_NOTE = re.compile(r"^work order (\d+)$")


def may_dispatch() -> bool:
    return can(current_user(), PERMISSION)


def order_href(order_id: Any, **params: str | None) -> str:
    return href(f"/orders/{int(order_id)}", params)


# ---------------------------------------------------------------- small pieces shared with the desk
def order_status_label(status: str, lang: str) -> str:
    key = f"order.status.{status}"
    return t(key, lang) if key in CATALOGUE else status


def order_status_chip(status: str, lang: str, **extra: Any) -> html.Span:
    return html.Span(order_status_label(status, lang), className=f"ost ost-{status}", **extra)


def late_text(o: dict, lang: str) -> str | None:
    if not o.get("overdue"):
        return None
    key = "desk.ack_overdue_by" if o.get("late_ack") and o["resolve_due_at"] > now() else "desk.overdue_by"
    return t(key, lang, d=duration(o.get("late_minutes"), lang))


def assignee_label(o: dict, lang: str) -> str:
    if o.get("assignee_user"):
        name = o.get("assignee_name")
        if not name or name == o["assignee_user"]:
            return o["assignee_user"]
        return f"{name}（{o['assignee_user']}）" if lang == "zh" else f"{name} ({o['assignee_user']})"
    return t("desk.liaison", lang)


def _present(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and pd.isna(v)) and v != ""


# ---------------------------------------------------------------- the page
def _back(lang: str) -> dcc.Link:
    return dcc.Link([html.I(className="bi bi-arrow-left me-1"), t("desk.back", lang)], href=href("/orders", {"view": "list"}),
                    className="btn btn-sm btn-outline-secondary", id="od-back")


def order_page(raw_id: Any, query: dict, lang: str) -> html.Div:
    raw = str(raw_id or "")
    if not _ID_RE.match(raw):
        return html.Div([notices(["id"], lang), _back(lang)], className="page")
    oid = int(raw)
    with reading(engine()) as db:
        d = qo.order_detail(db, current_scope(), oid, now=now())
        choices = qo.desk_choices(db, current_scope()) if d is not None and may_dispatch() else None
    if d is None:
        return html.Div([html.Div(t("desk.not_found", lang, id=oid), className="alert alert-warning", id="od-not-found"),
                         _back(lang)], className="page")
    o = d["order"]
    bad = [k for k in ("done", "error") if query.get(k) and query[k] not in (DONE_KEYS if k == "done" else ERROR_KEYS)]
    flash = None
    if query.get("done") in DONE_KEYS:
        flash = html.Div(t(f"desk.done.{query['done']}", lang, id=oid), className="alert alert-success py-2",
                         id="od-flash")
    elif query.get("error") in ERROR_KEYS:
        flash = html.Div(t("order.error.conflict", lang), className="alert alert-warning py-2", id="od-flash")
    return html.Div([
        html.Div([_back(lang)], className="mb-2"),
        notices(bad, lang),
        flash,
        _header(o, d, lang),
        html.Div([
            html.Div([
                panel(t("desk.timeline", lang), _timeline(d["timeline"], lang),
                      extra=html.Small(t("desk.timeline_note", lang), className="panel-note"), cls="od-history"),
                panel(t("desk.evidence", lang, n=d["evidence_count"]), _events(d["events"], lang), cls="od-events"),
            ], className="od-main"),
            html.Div([
                _actions(o, choices, lang),
                panel(t("desk.photos", lang, n=len(d["photos"])), _photos(d["photos"]) or
                      html.Div(t("desk.photos_none", lang), className="text-secondary small"), cls="od-photos"),
            ], className="od-side"),
        ], className="od-grid"),
    ], className="page order-page", id="order-page")


def _header(o: dict, d: dict, lang: str) -> html.Div:
    w = d.get("warning")
    origin = (dcc.Link(t("desk.from_warning", lang, id=w["id"]) + f" · {rule_label(w['rule'], lang)}",
                       href=href("/warnings", {"id": str(w["id"])}), id="od-warning-link")
              if w else html.Span(t("desk.from_events", lang, n=d["evidence_count"])))
    late = late_text(o, lang)
    coop = o.get(f"cooperating_{lang}") or o.get("cooperating_zh")
    meta = [
        html.Span([html.I(className="bi bi-geo-alt me-1"), place_label(o, lang)]),
        html.Span(o.get(f"category_{lang}") or o.get("category_zh") or "") if _present(o.get("category_code")) else None,
        html.Span([t("desk.head.department", lang), " ", html.B(o.get(f"department_{lang}") or o["department_code"])],
                  id="od-department"),
        html.Span([t("desk.head.cooperating", lang), " ", html.B(coop)], id="od-cooperating") if coop else None,
        html.Span([t("desk.head.assignee", lang), " ", html.B(assignee_label(o, lang))], id="od-assignee"),
    ]
    dates = [
        html.Span(t("desk.head.dispatched", lang, at=when(o["created_at"]), by=o.get("created_by") or "")),
        html.Span(t("desk.head.ack_due", lang, at=when(o["ack_due_at"])),
                  className="od-due" + (" od-late" if o.get("late_ack") else "")),
        html.Span(t("desk.head.resolve_due", lang, at=when(o["resolve_due_at"])),
                  className="od-due" + (" od-late" if o.get("overdue") and not o.get("late_ack") else "")),
        html.Span(late, className="od-late-badge", id="od-overdue") if late else None,
        html.Span(t("desk.head.reopened", lang, n=o["reopen_count"])) if o.get("reopen_count") else None,
    ]
    return html.Div([
        html.Div([html.Span(t("desk.order", lang, id=o["id"]), className="od-no"),
                  level_chip(o["level"], lang) if _present(o.get("level")) else None,
                  html.H4(o["title"], className="od-title", id="od-title"),
                  order_status_chip(o["status"], lang, id="od-status")], className="od-head-line"),
        html.Div([origin, *meta, whistle_link("order", o["id"], o["status"] in ENDED, lang)], className="wd-meta"),
        html.Div(dates, className="wd-meta od-dates"),
    ], className="wd-header panel od-header", id="od-header")


def _timeline(steps: list[dict], lang: str) -> html.Ol:
    items = []
    for r in steps:
        what = r["what"]
        if what == "order":
            label = t(f"order.action.{r['action']}", lang) if f"order.action.{r['action']}" in CATALOGUE else r["action"]
        else:
            label = action_label(r["action"], lang)
        change = []
        if r.get("to_status") and r.get("from_status") != r.get("to_status"):
            lab = order_status_label if what == "order" else status_label
            change.append(f"{lab(r['from_status'], lang) + ' → ' if r.get('from_status') else ''}{lab(r['to_status'], lang)}")
        if what == "order" and r["action"] in ("dispatched", "rerouted"):
            who = r.get("assignee_name") or r.get("assignee_user") or t("desk.liaison", lang)
            change.append(f"{r.get(f'department_{lang}') or r.get('department_code') or ''} · {who}")
        if what == "warning" and r.get("to_level") and r["action"] in ("opened", "level_raised", "escalated", "order_overdue"):
            change.append(t(f"warning.level.{r['to_level']}", lang))
        actor = t("warning.actor.rules", lang) if r["actor"] == "rules" else r["actor"]
        note = r.get("note")
        follows = _FOLLOW_NOTE.match(note or "") if what == "warning" else None
        if follows:  # the core's note on a warning moved on with its order
            note = t("desk.order", lang, id=follows.group(1))
        items.append(html.Li([
            html.Div([html.Span(when(r["at"]), className="wd-tl-at"),
                      html.Span(t(f"desk.tl.{what}", lang), className=f"od-tl-what od-tl-{what}"),
                      html.B(label, className=f"wd-tl-action act-{r['action']}"),
                      html.Span(actor, className="wd-tl-actor")], className="wd-tl-line"),
            html.Div(" · ".join(change), className="wd-tl-change") if change else None,
            html.Div(note, className="wd-tl-note") if isinstance(note, str) and note else None,
        ], className=f"wd-tl-item od-tl-item-{what}", **{"data-action": r["action"], "data-what": what}))
    return html.Ol(items, className="wd-timeline od-timeline", id="od-timeline")


def _events(events: list[dict], lang: str) -> Any:
    if not events:
        return html.Div(t("empty", lang), className="text-secondary small")
    head = ("warning.ev.at", "warning.ev.channel", "warning.ev.category", "warning.ev.reporter", "warning.ev.title",
            "warning.ev.grid")
    body = [html.Tr([html.Td(when(e["reported_at"]), className="text-nowrap"),
                     html.Td(e.get(f"channel_{lang}") or e.get("channel") or ""),
                     html.Td(e.get(f"category_{lang}") or e.get("category_code") or ""),
                     html.Td(e.get("reporter_masked") or ""), html.Td(e.get("title") or ""),
                     html.Td(e.get("grid_name") or e.get("grid_code") or "")]) for e in events]
    return html.Div(html.Table([html.Thead(html.Tr([html.Th(t(h, lang)) for h in head])), html.Tbody(body)],
                               className="table table-sm od-events-table", id="od-events"), className="records")


def _photos(photos: list[dict]) -> Any:
    if not photos:
        return None
    return html.Div([html.A(html.Img(src=f"/photos/{int(p['id'])}", alt=f"#{p['id']}",
                                     className="od-photo"), href=f"/photos/{int(p['id'])}", target="_blank",
                            title=f"{p.get('uploaded_by') or ''} {when(p.get('uploaded_at'))}")
                     for p in photos], className="od-photo-grid", id="od-photos")


def _field(label: str, control: Any, for_id: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=for_id, className="form-label small mb-0"), control], className="mb-2")


def _actions(o: dict, choices: dict | None, lang: str) -> html.Div:
    title = html.Div(html.H6(t("desk.actions", lang), className="panel-title mb-0"), className="panel-head")
    stores = [dcc.Store(id="oa-id", data=int(o["id"])), dcc.Store(id="oa-lang", data=lang),
              dcc.Store(id="oa-seen", data=o["seen"]),  # the state acted on: a change since is a conflict
              dcc.Location(id="oa-go", refresh="callback-nav")]
    if not may_dispatch() or choices is None:
        return html.Div([title, html.Div(html.Div(t("desk.read_only", lang), className="text-secondary small",
                                                  id="oa-read-only"), className="panel-body"), *stores],
                        className="panel od-actions")
    status = o["status"]
    blocks: list[Any] = [html.Div(id="oa-msg", role="status")]
    if status == "resolved":
        blocks.append(html.Div([html.Button([html.I(className="bi bi-check2-all me-1"), t("order.action.closed", lang)],
                                            id="oa-close", n_clicks=0, className="btn btn-sm btn-success")],
                               className="wa-block"))
        blocks.append(html.Div([
            _field(t("desk.form.reopen_reason", lang), dcc.Textarea(id="oa-reopen-note", maxLength=500, rows=2,
                                                              className="form-control form-control-sm"), "oa-reopen-note"),
            html.Button([html.I(className="bi bi-arrow-counterclockwise me-1"), t("order.action.reopened", lang)],
                        id="oa-reopen", n_clicks=0, className="btn btn-sm btn-warning")], className="wa-block"))
    if status in ("dispatched", "returned"):
        depts = [{"label": f"{zh if lang == 'zh' else en}", "value": c} for c, zh, en in choices["departments"]]
        workers = choices["workers"]
        blocks.append(html.Div([
            html.Div(t("desk.reroute_hint", lang), className="small text-secondary mb-1"),
            _field(t("desk.form.department", lang), dcc.Dropdown(id="oa-rr-dept", options=depts,
                                                                 value=o["department_code"], clearable=False), "oa-rr-dept"),
            _field(t("desk.form.assignee", lang), dcc.Dropdown(
                id="oa-rr-user", options=[{"label": t("desk.form.liaison", lang), "value": ""}]
                + [{"label": f"{d}（{n}）" if d != n else n, "value": n} for n, d in workers],
                value=o.get("assignee_user") or "", clearable=False), "oa-rr-user"),
            html.Button([html.I(className="bi bi-signpost-split me-1"), t("order.action.rerouted", lang)],
                        id="oa-reroute", n_clicks=0, className="btn btn-sm btn-primary")], className="wa-block"))
    if status not in ("closed", "dismissed"):
        blocks.append(html.Div([
            _field(t("desk.form.dismiss_reason", lang), dcc.Textarea(id="oa-dismiss-note", maxLength=500, rows=2,
                                                              className="form-control form-control-sm"), "oa-dismiss-note"),
            html.Button([html.I(className="bi bi-x-circle me-1"), t("order.action.dismissed", lang)], id="oa-dismiss",
                        n_clicks=0, className="btn btn-sm btn-outline-danger")], className="wa-block"))
    if len(blocks) == 1:
        blocks.append(html.Div(t("desk.actions_none", lang), className="text-secondary small", id="oa-none"))
    return html.Div([title, html.Div(blocks, className="panel-body"), *stores], className="panel od-actions")


# ---------------------------------------------------------------- the server side
def message(key: str, lang: str, box: str = "oa-error", **params: Any) -> html.Div:
    return html.Div(t(key, lang, **params), className="alert alert-warning py-1 px-2 small mb-2", id=box)


def refuse(action: str, obj_type: str, obj_id: Any, reason: str) -> None:
    """Audit a refused work-order request (capped per actor and address, ``cockpit.auth.refusals``)."""
    user = current_user()
    with engine().begin() as conn:
        audit_refusal(conn, user.username if user else "anonymous", "work_order.refused", obj_type, str(obj_id)[:40],
                      {"action": action, "reason": reason}, ip=request_ip(), now=request_now())


def text_of(value: Any, limit: int = 500) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _seen(value: Any) -> dict | None:
    """The order as the page showed it, if well-formed (a forged one can only make the action a conflict)."""
    keys = {"status", "department_code", "assignee_user"}
    if not isinstance(value, dict) or set(value) != keys:
        return None
    if not isinstance(value["status"], str) or not isinstance(value["department_code"], str):
        return None
    return value if value["assignee_user"] is None or isinstance(value["assignee_user"], str) else None


def _act(action: str, order_id: Any, lang: Any, seen: Any, **kw: Any) -> tuple:
    lang = current_lang(lang if isinstance(lang, str) else None)
    if not allowed("orders"):  # not even the page (the kiosk): no answer at all
        refuse(action, "work_order", order_id, "page")
        raise PreventUpdate
    if not may_dispatch():
        refuse(action, "work_order", order_id, "permission")
        return message("desk.error.forbidden", lang), no_update
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        refuse(action, "work_order", order_id, "state")
        return message("order.error.not_found", lang), no_update
    if qo.order_detail.uncached(engine(), current_scope(), order_id, now=now()) is None:
        refuse(action, "work_order", order_id, "scope")
        return message("order.error.not_found", lang), no_update
    seen_state = _seen(seen)
    if seen_state is None:
        return message("order.error.conflict", lang), no_update
    try:
        with engine().begin() as conn:
            act(conn, order_id, action, current_user(), seen=seen_state, now=now(), ip=request_ip(), config=config(), **kw)
    except OrderError as exc:
        key = getattr(exc, "key", "order.error.refused")
        if key == "order.error.conflict":
            return no_update, order_href(order_id, error="conflict", lang=lang)
        return message(key if key in CATALOGUE else "order.error.refused", lang), no_update
    return no_update, order_href(order_id, done=action, lang=lang)


def _clicked(n: Any, button: str) -> None:
    if ctx.triggered_id != button or not isinstance(n, int) or n < 1:
        raise PreventUpdate


_RUNNING = {"close": "oa-close", "reopen": "oa-reopen", "reroute": "oa-reroute", "dismiss": "oa-dismiss"}


@dash.callback(Output("oa-msg", "children"), Output("oa-go", "href"), Input("oa-close", "n_clicks"),
               State("oa-id", "data"), State("oa-seen", "data"), State("oa-lang", "data"), prevent_initial_call=True,
               running=[(Output("oa-close", "disabled"), True, False)])
def close(n, order_id, seen, lang):
    _clicked(n, "oa-close")
    return _act("closed", order_id, lang, seen)


@dash.callback(Output("oa-msg", "children", allow_duplicate=True), Output("oa-go", "href", allow_duplicate=True),
               Input("oa-reopen", "n_clicks"), State("oa-reopen-note", "value"), State("oa-id", "data"),
               State("oa-seen", "data"), State("oa-lang", "data"), prevent_initial_call=True,
               running=[(Output("oa-reopen", "disabled"), True, False)])
def reopen(n, note, order_id, seen, lang):
    _clicked(n, "oa-reopen")  # a missing reason is the core's refusal (NoteRequired), shown like any other
    return _act("reopened", order_id, lang, seen, note=text_of(note))


@dash.callback(Output("oa-msg", "children", allow_duplicate=True), Output("oa-go", "href", allow_duplicate=True),
               Input("oa-dismiss", "n_clicks"), State("oa-dismiss-note", "value"), State("oa-id", "data"),
               State("oa-seen", "data"), State("oa-lang", "data"), prevent_initial_call=True,
               running=[(Output("oa-dismiss", "disabled"), True, False)])
def dismiss(n, note, order_id, seen, lang):
    _clicked(n, "oa-dismiss")  # a missing reason is the core's refusal (NoteRequired), shown like any other
    return _act("dismissed", order_id, lang, seen, note=text_of(note))


@dash.callback(Output("oa-msg", "children", allow_duplicate=True), Output("oa-go", "href", allow_duplicate=True),
               Input("oa-reroute", "n_clicks"), State("oa-rr-dept", "value"), State("oa-rr-user", "value"),
               State("oa-id", "data"), State("oa-seen", "data"), State("oa-lang", "data"), prevent_initial_call=True,
               running=[(Output("oa-reroute", "disabled"), True, False)])
def reroute(n, department, assignee, order_id, seen, lang):
    _clicked(n, "oa-reroute")
    dept = text_of(department, 32) or None
    user: Any = text_of(assignee, 64) or None
    return _act("rerouted", order_id, lang, seen, department_code=dept,
                assignee_user=user if user is not None else None)


__all__ = [
    "PROPOSED",
    "assignee_label",
    "duration",
    "late_text",
    "order_page",
    "order_status_chip",
    "order_status_label",
]
