"""One whistle's page (``/whistles/<id>``): the whistle with its source (the warning or the work order),
its note and status, and per summons the department, its role and status, the three deadlines with
the times they were met and how late, the rating, the contest and its outcome, the timeline — and the
township's actions on each summons for those allowed (``cockpit.whistles.access.actions_for``):
核验评价 verify and rate, 返工 reopen, decide a contest, 未解决结案 close (rated), 撤销 cancel; and
cancelling the whole whistle (``whistle.act``). Also the 吹哨 link of a warning's and a work order's page.

Every action is checked again on the server (the page, the summons in the user's scope, the action
among the user's; a refusal is audited as ``whistle.refused``) and passes the summons as the page
showed it, so a stale page gets the conflict message instead of overwriting someone else's step.
A department liaison sees only their own department's summons (``cockpit.whistles.records``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import dash
from dash import ALL, MATCH, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cockpit.auth import can
from cockpit.auth.refusals import audit_refusal
from cockpit.i18n import CATALOGUE, t
from cockpit.whistles.access import actions_for
from cockpit.whistles.actions import act, cancel_whistle
from cockpit.whistles.records import get_summons
from cockpit.whistles.states import (
    RATED_ACTIONS,
    SUMMONS_ACTIONS,
    SUMMONS_OPEN,
    TOWNSHIP,
    WHISTLE,
    SummonsConflict,
    SummonsError,
)
from pages._access import allowed
from pages._common import current_lang, engine, href, now
from pages._scope import current_scope
from pages._summons_widgets import (
    late_chips,
    role_label,
    summons_action_label,
    summons_status_chip,
    whistle_status_chip,
)
from pages._warning_widgets import place_label, when
from pages._widgets import duration, notices, panel
from queries import whistles as qwh
from queries._base import reading
from web import current_user
from web.request import request_ip, request_now

TOWNSHIP_ACTIONS = tuple(a for a, spec in SUMMONS_ACTIONS.items() if spec.by == TOWNSHIP and a != "summoned")
DONE_KEYS = ("blown", "cancelled_whistle") + TOWNSHIP_ACTIONS
ERROR_KEYS = ("conflict",)
_ID_RE = re.compile(r"^\d{1,12}$")
_STEPS = (("ack", "acknowledged_at", "ack_due_at"), ("arrive", "arrived_at", "arrive_due_at"),
          ("resolve", "resolved_at", "resolve_due_at"))


def whistle_href(whistle_id: Any, **params: str | None) -> str:
    return href(f"/whistles/{int(whistle_id)}", params)


def may_blow() -> bool:
    return can(current_user(), "whistle.act")


# ---------------------------------------------------------------- small pieces shared with the list
def late_by(s: dict, step: str, at: datetime) -> float:
    """Minutes past the step's deadline."""
    due = s[dict((k, d) for k, _, d in _STEPS)[step]]
    return (at - due).total_seconds() / 60


def late_badges(s: dict, lang: str, at: datetime) -> list:
    """The missed deadlines of a working summons, in red, each with how late."""
    out = []
    for step in s.get("late") or []:
        chip = late_chips([step], lang)[0]
        chip.children = [chip.children, " ", html.Small(duration(late_by(s, step, at), lang), className="ws-late-by")]
        out.append(chip)
    return out


def _colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def department_label(s: dict, lang: str) -> str:
    return s.get(f"department_{lang}") or s.get("department_zh") or s["department_code"]


def urgent_badge(w: dict, lang: str) -> html.Span | None:
    return html.Span(t("summons.urgent", lang), className="ws-urgent") if w.get("urgent") else None


def whistle_link(kind: str, source_id: int, ended: bool, lang: str) -> Any:
    """The 吹哨 button of a warning's or a work order's page: for those with ``whistle.act`` and a
    source not ended; a link to the open whistle instead when there is one (anyone who sees it)."""
    with reading(engine()) as db:
        open_id = qwh.open_whistle_of(db, current_scope(), **{f"{kind}_id": int(source_id)})
    if open_id is not None:
        return dcc.Link([html.I(className="bi bi-megaphone me-1"), t("whistle.open_link", lang, id=open_id)],
                        href=whistle_href(open_id), id="ws-open-link", className="ws-open-link")
    if ended or not may_blow():
        return None
    return dcc.Link([html.I(className="bi bi-megaphone me-1"), t("whistle.blow", lang)],
                    href=href("/whistles", {"blow": f"{kind}:{int(source_id)}"}), id="ws-blow-link",
                    className="btn btn-sm btn-danger ws-blow-link")


# ---------------------------------------------------------------- the page
def _back(lang: str) -> dcc.Link:
    return dcc.Link([html.I(className="bi bi-arrow-left me-1"), t("whistle.back", lang)], href="/whistles",
                    className="btn btn-sm btn-outline-secondary", id="ws-back")


def whistle_page(raw_id: Any, query: dict, lang: str) -> html.Div:
    raw = str(raw_id or "")
    if not _ID_RE.match(raw):
        return html.Div([notices(["id"], lang), _back(lang)], className="page")
    wid, at = int(raw), now()
    with reading(engine()) as db:
        w = qwh.whistle_detail(db, current_scope(), wid, now=at)
    if w is None:
        return html.Div([html.Div(t("whistle.not_found", lang, id=wid), className="alert alert-warning",
                                  id="ws-not-found"), _back(lang)], className="page")
    bad = [k for k in ("done", "error") if query.get(k) and query[k] not in (DONE_KEYS if k == "done" else ERROR_KEYS)]
    flash = None
    if query.get("done") in DONE_KEYS:
        flash = html.Div(t(f"whistle.done.{query['done']}", lang, id=wid), className="alert alert-success py-2",
                         id="ws-flash")
    elif query.get("error") in ERROR_KEYS:
        flash = html.Div(t("summons.error.conflict", lang), className="alert alert-warning py-2", id="ws-flash")
    user = current_user()
    liaison = can(user, "summons.act") and getattr(user, "department_code", None)
    cards = [_summons_card(w, s, actions_for(user, w, s), lang, at, own=bool(liaison) and s["department_code"] == liaison)
             for s in w["summons"]]
    return html.Div([
        html.Div([_back(lang)], className="mb-2"),
        notices(bad, lang),
        flash,
        _header(w, lang),
        html.Div([
            html.Div(cards or html.Div(t("whistle.no_summons", lang), className="text-secondary"),
                     className="ws-summons-list", id="ws-summons"),
            html.Div([_cancel_block(w, lang), panel(t("whistle.log", lang), _whistle_log(w["log"], lang), cls="ws-wlog")],
                     className="ws-side"),
        ], className="ws-grid"),
        dcc.Store(id="ws-id", data=wid), dcc.Store(id="ws-lang", data=lang),
        dcc.Store(id="ws-wseen", data=w["seen"]),
        dcc.Location(id="ws-go", refresh="callback-nav"),
    ], className="page whistle-page", id="whistle-page")


def _source_link(w: dict, lang: str) -> Any:
    src = w.get("source")
    if not src:
        return None
    if src["kind"] == "warning":
        status = t(f"warning.status.{src['status']}", lang) if f"warning.status.{src['status']}" in CATALOGUE else src["status"]
        return dcc.Link([html.I(className="bi bi-exclamation-triangle me-1"),
                         t("whistle.from_warning", lang, id=src["id"], status=status)],
                        href=href("/warnings", {"id": str(src["id"])}), id="ws-source-link")
    status = t(f"order.status.{src['status']}", lang) if f"order.status.{src['status']}" in CATALOGUE else src["status"]
    return dcc.Link([html.I(className="bi bi-clipboard-check me-1"), t("whistle.from_order", lang, id=src["id"], status=status)],
                    href=f"/orders/{int(src['id'])}", id="ws-source-link")


def _header(w: dict, lang: str) -> html.Div:
    category = w.get(f"category_{lang}") or w.get("category_zh")
    return html.Div([
        html.Div([html.Span(t("whistle.number", lang, id=w["id"]), className="ws-no"), urgent_badge(w, lang),
                  html.H4(w["title"], className="ws-title", id="ws-title"),
                  whistle_status_chip(w["status"], lang, id="ws-status")], className="ws-head-line"),
        html.Div([_source_link(w, lang),
                  html.Span([html.I(className="bi bi-geo-alt me-1"), place_label(w, lang)]),
                  html.Span(t(f"board.{w['board']}", lang)) if f"board.{w['board']}" in CATALOGUE else None,
                  html.Span(category) if category else None,
                  html.Span(t("whistle.blown_by", lang, at=when(w["created_at"]), by=w["created_by"]), id="ws-blown"),
                  html.Span(t("whistle.ended_at", lang, at=when(w["ended_at"]))) if w.get("ended_at") else None],
                 className="wd-meta"),
        html.Div([html.B(t("whistle.note", lang) + _colon(lang)), w["note"]], className="ws-note", id="ws-note")
        if w.get("note") else None,
    ], className="wd-header panel ws-header", id="ws-header")


def _deadlines(s: dict, lang: str, at: datetime) -> html.Table:
    rows = []
    for step, done, due in _STEPS:
        met = s.get(done)
        late_minutes = None
        if met is not None and met > s[due]:
            late_minutes = (met - s[due]).total_seconds() / 60
        elif met is None and step in (s.get("late") or []):
            late_minutes = (at - s[due]).total_seconds() / 60
        lateness: Any = ""
        if late_minutes is not None:
            lateness = html.Span(t("whistle.late_by", lang, d=duration(late_minutes, lang)), className="ws-late")
        elif met is not None:
            lateness = html.Span(t("whistle.on_time", lang), className="ws-on-time")
        rows.append(html.Tr([html.Th(t(f"summons.deadline.{step}", lang)), html.Td(when(s[due])),
                             html.Td(when(met) if met else "—"), html.Td(lateness)],
                            id=f"ws-dl-{s['id']}-{step}"))
    head = html.Thead(html.Tr([html.Th(""), html.Th(t("whistle.col.due", lang)), html.Th(t("whistle.col.done", lang)),
                               html.Th("")]))
    return html.Table([head, html.Tbody(rows)], className="table table-sm ws-deadlines")


def _timeline(log: list[dict], lang: str, sid: int) -> html.Ol:
    items = []
    for r in log:
        actor = t("warning.actor.rules", lang) if r["actor"] == "rules" else r["actor"]
        extra = []
        if r.get("rating"):
            extra.append(t("whistle.rated", lang, n=r["rating"]))
        items.append(html.Li([
            html.Div([html.Span(when(r["at"]), className="wd-tl-at"),
                      html.B(summons_action_label(r["action"], lang), className=f"wd-tl-action act-{r['action']}"),
                      html.Span(actor, className="wd-tl-actor")], className="wd-tl-line"),
            html.Div(" · ".join(extra), className="wd-tl-change") if extra else None,
            html.Div(r["note"], className="wd-tl-note") if r.get("note") else None,
        ], className="wd-tl-item", **{"data-action": r["action"]}))
    return html.Ol(items, className="wd-timeline ws-timeline", id=f"ws-tl-{sid}")


def _summons_card(w: dict, s: dict, actions: list[str], lang: str, at: datetime, *, own: bool = False) -> html.Div:
    sid = int(s["id"])
    facts: list[Any] = []
    if s.get("rating"):
        facts.append(html.Div([html.B(t("summons.rating", lang) + _colon(lang)), html.Span("★" * int(s["rating"]), className="ws-stars"),
                               f" {s['rating']}/5", html.Span(f" · {s['rating_comment']}") if s.get("rating_comment") else None],
                              id=f"ws-rating-{sid}"))
    if s.get("contest_reason"):
        outcome = s.get("contest_outcome") or "pending"
        facts.append(html.Div([html.B(t("whistle.contest", lang) + _colon(lang)), s["contest_reason"], " ",
                               html.Span(t(f"whistle.contest.{outcome}", lang), className=f"ws-contest ws-contest-{outcome}")],
                              id=f"ws-contest-{sid}"))
    if s.get("reopen_count"):
        facts.append(html.Div(t("whistle.reopened_n", lang, n=s["reopen_count"]), className="small"))
    mine = [a for a in actions if a in TOWNSHIP_ACTIONS]
    return html.Div([
        html.Div([html.H6(department_label(s, lang), className="ws-dept mb-0"),
                  html.Span(role_label(s["role"], lang), className=f"ws-role ws-role-{s['role']}"),
                  summons_status_chip(s["status"], lang, id=f"ws-sst-{sid}"), *late_badges(s, lang, at)],
                 className="panel-head ws-card-head"),
        html.Div([
            _deadlines(s, lang, at),
            *facts,
            html.Details([html.Summary(t("whistle.timeline", lang, n=len(s.get("log") or []))),
                          _timeline(s.get("log") or [], lang, sid)], open=True, className="ws-tl-box"),
            _action_form(s, mine, lang) if mine else None,
            dcc.Link([html.I(className="bi bi-box-arrow-up-right me-1"), t("whistle.my_summons", lang)],
                     href=href("/my/summons", {"id": str(sid)}), id=f"ws-mine-{sid}", className="small")
            if own and s["status"] in SUMMONS_OPEN else None,
        ], className="panel-body"),
    ], className=f"panel ws-card ws-card-{s['status']}", id=f"ws-s-{sid}")


def _action_form(s: dict, actions: list[str], lang: str) -> html.Div:
    sid = int(s["id"])
    rated = any(a in RATED_ACTIONS for a in actions)
    style = {"verified": "btn-success", "closed": "btn-outline-danger", "reopened": "btn-warning",
             "contest_accepted": "btn-outline-success", "contest_rejected": "btn-outline-warning",
             "cancelled": "btn-outline-secondary"}
    return html.Div([
        html.Div(t("whistle.actions", lang), className="ws-actions-title"),
        html.Div(id={"role": "ws-msg", "s": sid}, role="status"),
        html.Div([html.Label(t("summons.rating", lang), className="form-label small mb-0 me-2"),
                  dcc.RadioItems(id={"role": "ws-rating", "s": sid}, options=[{"label": str(n), "value": n} for n in range(1, 6)],
                                 value=None, inline=True, className="ws-rating-input", inputClassName="me-1",
                                 labelClassName="me-3")],
                 className="mb-2 ws-rating-row", style=None if rated else {"display": "none"}),
        html.Div([html.Label(t("whistle.action_note", lang), className="form-label small mb-0"),
                  dcc.Textarea(id={"role": "ws-note", "s": sid}, maxLength=500, rows=2,
                               className="form-control form-control-sm")], className="mb-2"),
        html.Div([html.Button(summons_action_label(a, lang), id={"role": "ws-act", "s": sid, "a": a}, n_clicks=0,
                              className=f"btn btn-sm {style.get(a, 'btn-outline-primary')} me-2 mb-1 ws-act-{a}")
                  for a in actions], className="ws-buttons"),
        html.Div(t("whistle.action_hint", lang), className="small text-secondary"),
        dcc.Store(id={"role": "ws-seen", "s": sid}, data=s["seen"]),
        dcc.Location(id={"role": "ws-go", "s": sid}, refresh="callback-nav"),
    ], className="ws-actions", id=f"ws-actions-{sid}")


def _cancel_block(w: dict, lang: str) -> Any:
    if w["status"] != "open" or not may_blow():
        return None
    return panel(t("whistle.cancel_title", lang), [
        html.Div(id="ws-cancel-msg", role="status"),
        html.Label(t("whistle.cancel_reason", lang), htmlFor="ws-cancel-note", className="form-label small mb-0"),
        dcc.Textarea(id="ws-cancel-note", maxLength=500, rows=2, className="form-control form-control-sm mb-2"),
        html.Button([html.I(className="bi bi-x-octagon me-1"), t("whistle.cancel", lang)], id="ws-cancel", n_clicks=0,
                    className="btn btn-sm btn-outline-danger"),
    ], cls="ws-cancel")


def _whistle_log(log: list[dict], lang: str) -> html.Ol:
    labels = {"blown": "whistle.log.blown", "completed": "whistle.log.completed", "cancelled": "whistle.log.cancelled"}
    return html.Ol([html.Li([html.Div([html.Span(when(r["at"]), className="wd-tl-at"),
                                       html.B(t(labels[r["action"]], lang) if r["action"] in labels else r["action"],
                                              className="wd-tl-action"),
                                       html.Span(t("warning.actor.rules", lang) if r["actor"] == "rules" else r["actor"],
                                                 className="wd-tl-actor")], className="wd-tl-line"),
                             html.Div(r["note"], className="wd-tl-note") if r.get("note") else None],
                            className="wd-tl-item") for r in log], className="wd-timeline", id="ws-wlog")


# ---------------------------------------------------------------- the server side
def message(key: str, lang: str, **params: Any) -> html.Div:
    return html.Div(t(key if key in CATALOGUE else "summons.error.refused", lang, **params),
                    className="alert alert-warning py-1 px-2 small mb-2", id="ws-error")


def refuse(action: str, obj_type: str, obj_id: Any, reason: str) -> None:
    """Audit a refused whistle request (capped per actor and address, ``cockpit.auth.refusals``)."""
    user = current_user()
    with engine().begin() as conn:
        audit_refusal(conn, user.username if user else "anonymous", "whistle.refused", obj_type, str(obj_id)[:40],
                      {"action": action, "reason": reason}, ip=request_ip(), now=request_now())


def _seen_ok(value: Any, keys: set[str]) -> bool:
    return isinstance(value, dict) and set(value) == keys and all(isinstance(v, str) for v in value.values())


def text_of(value: Any, limit: int = 500) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def act_on_summons(sid: Any, action: Any, note: Any, rating: Any, seen: Any, lang: Any) -> tuple:
    """Check and do a township action on a summons; (message, href) for the callback."""
    lang = current_lang(lang if isinstance(lang, str) else None)
    if not allowed("whistle"):
        refuse(str(action), "summons", sid, "page")
        raise PreventUpdate
    if not isinstance(sid, int) or isinstance(sid, bool) or action not in TOWNSHIP_ACTIONS:
        refuse(str(action)[:24], "summons", sid, "state")
        return message("summons.error.not_found", lang), no_update
    user, at = current_user(), now()
    with engine().connect() as conn:
        s = get_summons(conn, current_scope(), sid, at)
    if s is None:
        refuse(action, "summons", sid, "scope")
        return message("summons.error.not_found", lang), no_update
    if action not in actions_for(user, s["whistle"], s):
        if s["status"] in SUMMONS_ACTIONS[action].sources:  # the state allows it: the person does not
            refuse(action, "summons", sid, "permission")
            return message("summons.error.not_allowed", lang), no_update
    if not _seen_ok(seen, {"status", "department_code"}):
        return message("summons.error.conflict", lang), no_update
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int)):
        return message("summons.error.rating_required", lang), no_update
    try:
        with engine().begin() as conn:
            act(conn, sid, action, user, note=text_of(note) or None, rating=rating if action in RATED_ACTIONS else None,
                seen=seen, now=at, ip=request_ip())
    except SummonsConflict:
        return no_update, whistle_href(s["whistle_id"], error="conflict", lang=lang)
    except SummonsError as exc:
        return message(exc.key, lang), no_update
    return no_update, whistle_href(s["whistle_id"], done=action, lang=lang)


@dash.callback(Output({"role": "ws-msg", "s": MATCH}, "children"), Output({"role": "ws-go", "s": MATCH}, "href"),
               Input({"role": "ws-act", "s": MATCH, "a": ALL}, "n_clicks"),
               State({"role": "ws-note", "s": MATCH}, "value"), State({"role": "ws-rating", "s": MATCH}, "value"),
               State({"role": "ws-seen", "s": MATCH}, "data"), State("ws-lang", "data"), prevent_initial_call=True,
               running=[(Output({"role": "ws-act", "s": MATCH, "a": ALL}, "disabled"), True, False)])
def summons_action(clicks, note, rating, seen, lang):  # noqa: ANN001, ANN201
    """A township action on one summons (the button's id names the summons and the action)."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(isinstance(n, int) and n > 0 for n in clicks or []):
        raise PreventUpdate
    return act_on_summons(trigger.get("s"), trigger.get("a"), note, rating, seen, lang)


@dash.callback(Output("ws-cancel-msg", "children"), Output("ws-go", "href"), Input("ws-cancel", "n_clicks"),
               State("ws-cancel-note", "value"), State("ws-id", "data"), State("ws-wseen", "data"),
               State("ws-lang", "data"), prevent_initial_call=True,
               running=[(Output("ws-cancel", "disabled"), True, False)])
def cancel(n, note, whistle_id, seen, lang):  # noqa: ANN001, ANN201
    """Cancel the whole whistle (``whistle.act``, a reason) as the page showed it."""
    if ctx.triggered_id != "ws-cancel" or not isinstance(n, int) or n < 1:
        raise PreventUpdate
    lang = current_lang(lang if isinstance(lang, str) else None)
    if not allowed("whistle"):
        refuse("cancelled", "whistle", whistle_id, "page")
        raise PreventUpdate
    if not may_blow():
        refuse("cancelled", "whistle", whistle_id, "permission")
        return message("summons.error.not_allowed", lang), no_update
    if not isinstance(whistle_id, int) or isinstance(whistle_id, bool):
        refuse("cancelled", "whistle", whistle_id, "state")
        return message("summons.error.not_found", lang), no_update
    at = now()
    if qwh.whistle_detail.uncached(engine(), current_scope(), whistle_id, now=at) is None:
        refuse("cancelled", "whistle", whistle_id, "scope")
        return message("summons.error.not_found", lang), no_update
    if not _seen_ok(seen, {"status"}):
        return message("summons.error.conflict", lang), no_update
    try:
        with engine().begin() as conn:
            if WHISTLE.load(conn, whistle_id, lock=True)["status"] != seen["status"]:
                raise SummonsConflict(f"whistle {whistle_id} changed")
            cancel_whistle(conn, whistle_id, current_user(), note=text_of(note) or None, now=at, ip=request_ip())
    except SummonsConflict:
        return no_update, whistle_href(whistle_id, error="conflict", lang=lang)
    except SummonsError as exc:
        return message(exc.key, lang), no_update
    return no_update, whistle_href(whistle_id, done="cancelled_whistle", lang=lang)
