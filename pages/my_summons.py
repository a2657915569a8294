"""我的召集 ``/my/summons``: a department liaison's phone when the township blows the whistle.

The list: the liaison's own department's summons (``queries.my_summons.my_summons_list``), overdue
first, each card with the whistle's title, place, the urgent badge, what is due next and by when
(the time left, or how late in red) and what the department may do now; the 已结束 tab: those ended
in the last days with the township's rating. ``/my/summons?id=N`` (the notice's link): one summons
with its deadlines, the whistle's note, the other departments summoned (names and status only), its
timeline and big buttons within a thumb's reach: 签收 (acknowledge), 到场 (arrived), 反馈结果 (the
result: a note) and 申辩 (not our responsibility: a reason).

Offered to ``summons.act`` (``pages._access.PAGE_PERMISSION["my_summons"]``). Every callback checks
again on the server: the page, the summons among the liaison's own department's in their scope, then
``cockpit.whistles.actions.act`` checks that this person may do this to it. The summons as shown
(``seen``) rides along, so someone acting first makes it a conflict and the page is loaded again.
Refusals are audited as ``whistle.refused``. Styles: ``assets/field.css`` and ``assets/whistles.css``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cockpit.i18n import CATALOGUE, t
from cockpit.whistles.actions import act
from cockpit.whistles.states import SummonsConflict, SummonsError
from cockpit.whistles.states import NotAllowed as SummonsNotAllowed
from pages._access import allowed, denied_notice
from pages._common import current_lang, engine, href, now
from pages._scope import current_scope
from pages._summons_widgets import department_name, role_label, summons_action_label, summons_status_chip
from pages._warning_widgets import place_label, when
from pages._whistle_detail import late_badges, refuse, text_of
from pages._widgets import duration, notices
from queries import my_summons as qs
from web import current_user
from web.request import request_ip

dash.register_page(__name__, path="/my/summons", title="基层智治驾驶舱 · 我的召集", nav="ms.nav",
                   icon="megaphone-fill", order=5, nav_group="work")

PATH = "/my/summons"
PAGE = "my_summons"
ACTIONS = ("acknowledged", "arrived", "resolved", "contested")
TABS = ("open", "done")
ERROR_KEYS = ("conflict",)
_ID_RE = re.compile(r"^\d{1,12}$")
_STEPS = (("ack", "acknowledged_at", "ack_due_at"), ("arrive", "arrived_at", "arrive_due_at"),
          ("resolve", "resolved_at", "resolve_due_at"))


def _icon(name: str) -> html.I:
    return html.I(className=f"bi bi-{name} me-1", **{"aria-hidden": "true"})


def _minutes(a: datetime, b: datetime) -> float:
    return (a - b).total_seconds() / 60


# ---------------------------------------------------------------- small pieces
def due_line(s: dict, at: datetime, lang: str) -> html.Div:
    """What is due next and by when: the time left (blue), how late (red), or where it stands once
    the department's part is done (the result reported, contested, ended)."""
    nxt = s.get("next")
    if nxt is not None:
        step, due = nxt
        if due <= at:
            return html.Div(t(f"ms.overdue.{step}", lang, d=duration(_minutes(at, due), lang)),
                            className="fo-due fo-late ms-due", **{"data-step": step})
        return html.Div(t(f"ms.due.{step}", lang, at=when(due, "%m-%d %H:%M"), d=duration(_minutes(due, at), lang)),
                        className="fo-due ms-due", **{"data-step": step})
    key = f"ms.after.{s['status']}"
    return html.Div(t(key, lang) if key in CATALOGUE else "", className="fo-due fo-done ms-due")


def urgent_badge(s: dict, lang: str) -> html.Span | None:
    return html.Span(t("summons.urgent", lang), className="ws-urgent ms-urgent") if s.get("whistle_urgent") else None


def kind(s: dict, lang: str) -> str:
    """"城市管理 · 主责": the category and the department's role."""
    category = s.get(f"category_{lang}") or s.get("category_zh")
    return " · ".join(p for p in (category, role_label(s["role"], lang)) if p)


def stars(rating: Any) -> str:
    n = int(rating or 0)
    return "★" * n + "☆" * (5 - n)


def _flash(query: dict, lang: str) -> Any:
    if query.get("done") in ACTIONS:
        return html.Div(t(f"ms.done.{query['done']}", lang), className="alert alert-success fo-flash", id="ms-flash",
                        role="status")
    if query.get("error") in ERROR_KEYS:
        return html.Div(t("summons.error.conflict", lang), className="alert alert-warning fo-flash", id="ms-flash",
                        role="status")
    return None


# ---------------------------------------------------------------- the list
def layout(lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed(PAGE):
        return denied_notice(lang)
    if query.get("id") is not None:
        return summons_view(query, lang)
    bad = []
    tab = query.get("tab") or "open"
    if tab not in TABS:
        bad.append("tab")
        tab = "open"
    user, at = current_user(), now()
    data = qs.my_summons_list(engine(), user, at, done=tab == "done")
    code = getattr(user, "department_code", None)
    summary = [html.Span(t("ms.count_open", lang, n=data["open"]), className="fo-sum-open", id="ms-count-open")]
    if data["late"]:
        summary.append(html.Span(t("ms.count_late", lang, n=data["late"]), className="fo-sum-late", id="ms-count-late"))
    tabs = html.Nav([
        dcc.Link(t(f"ms.tab.{k}", lang, n=data["open"] if k == "open" else data["done"]),
                 href=href(PATH, {"tab": None if k == "open" else k, "lang": lang}), id=f"ms-tab-{k}",
                 className="ms-tab" + (" ms-tab-active" if k == tab else ""))
        for k in TABS], className="ms-tabs", id="ms-tabs")
    cards = [_card(r, at, lang, done=tab == "done") for r in data["rows"]]
    return html.Div([
        html.Div([html.H1([html.I(className="bi bi-megaphone-fill me-2", **{"aria-hidden": "true"}), t("ms.title", lang)],
                          className="fo-h1"),
                  html.Div(t("ms.subtitle", lang, d=department_name(code, lang) or "—"), className="fo-sub",
                           id="ms-department"),
                  html.Div(summary, className="fo-summary", id="ms-summary")], className="fo-head"),
        notices(bad, lang),
        tabs,
        html.Div(cards, className="fo-cards", id="ms-cards") if cards else
        html.Div(t(f"ms.none.{tab}", lang), className="fo-empty", id="ms-empty"),
    ], className="page field-page ms-page", id="ms-list", **{"data-tab": tab})


def _card(r: dict, at: datetime, lang: str, *, done: bool) -> dcc.Link:
    head = [urgent_badge(r, lang), summons_status_chip(r["status"], lang, id=f"ms-chip-{r['id']}",
                                                       **{"data-status": r["status"]}), *late_badges(r, lang, at)]
    foot: list[Any] = [html.Span(t("whistle.number", lang, id=r["whistle_id"]), className="fo-no ms-wno")]
    if done and r.get("rating"):
        foot.insert(0, html.Span([html.Span(stars(r["rating"]), className="ws-stars"), f" {r['rating']}/5"],
                                 className="ms-rating", id=f"ms-rating-{r['id']}"))
    elif done and r["status"] in ("verified", "closed"):  # excused and cancelled ones are not rated
        foot.insert(0, html.Span(t("ms.no_rating", lang), className="ms-rating ms-rating-none"))
    if done and r.get("ended_at"):
        foot.insert(1, html.Span(t("ms.ended_at", lang, at=when(r["ended_at"], "%m-%d %H:%M")), className="ms-ended"))
    hint = [summons_action_label(a, lang) for a in r.get("actions") or [] if a in ACTIONS]
    return dcc.Link([
        html.Div([h for h in head if h is not None], className="fo-card-head"),
        html.Div(kind(r, lang), className="fo-kind"),
        html.Div(r["title"], className="fo-card-title"),
        html.Div([html.I(className="bi bi-geo-alt-fill me-1", **{"aria-hidden": "true"}), place_label(r, lang)],
                 className="fo-place"),
        due_line(r, at, lang),
        html.Div(t("ms.can_do", lang, a=" · ".join(hint)), className="ms-can-do") if hint and not done else None,
        html.Div(foot, className="fo-card-foot"),
    ], href=href(PATH, {"id": str(r["id"]), "lang": lang}), id=f"ms-card-{r['id']}",
        className="fo-card ms-card" + (" fo-card-late" if r["late"] else ""))


# ---------------------------------------------------------------- one summons
def _back(lang: str) -> dcc.Link:
    return dcc.Link([_icon("arrow-left"), t("ms.back", lang)], href=href(PATH, {"lang": lang}), className="fo-back",
                    id="ms-back")


def summons_view(query: dict, lang: str) -> html.Div:
    raw = str(query.get("id") or "")
    at = now()
    page = qs.summons_page(engine(), current_user(), current_scope(), int(raw), at) if _ID_RE.match(raw) else None
    if page is None:
        return html.Div([_back(lang), notices(["id"], lang) if not _ID_RE.match(raw) else None,
                         html.Div(t("summons.error.not_found", lang), className="alert alert-warning fo-flash",
                                  id="ms-not-found")], className="page field-page ms-page")
    s = page["summons"]
    head = [urgent_badge(s, lang), summons_status_chip(s["status"], lang, id="ms-status", **{"data-status": s["status"]}),
            *late_badges(s, lang, at)]
    header = html.Div([html.Div([h for h in head if h is not None], className="fo-card-head"),
                       html.Div(kind(s, lang), className="fo-kind"),
                       html.H1(s["title"], className="fo-title", id="ms-title"),
                       due_line(s, at, lang),
                       html.Div(t("ms.numbers", lang, w=s["whistle_id"], s=s["id"]), className="fo-no")],
                      className="fo-section fo-order-head" + (" fo-card-late" if s["late"] else ""), id="ms-head")
    info = [
        _section("ms.place", lang, [
            html.Div([html.I(className="bi bi-geo-alt-fill me-1", **{"aria-hidden": "true"}), place_label(s, lang)],
                     className="fo-place", id="ms-place"),
            html.Div(t("ms.blown_by", lang, at=when(page["whistle"]["created_at"]), by=page["whistle"]["created_by"]),
                     className="fo-line"),
        ], "ms-place-box"),
        _section("ms.note", lang, html.Div(s["whistle_note"], className="ms-note-text"), "ms-whistle-note")
        if s.get("whistle_note") else None,
        _section("ms.deadlines", lang, _deadlines(s, lang, at), "ms-deadlines"),
        _outcome(s, lang),
        _section("ms.others", lang, _others(page["others"], lang), "ms-others"),
        _section("ms.log", lang, _log(page["log"], lang), "ms-log"),
        dcc.Link([t("ms.whistle_link", lang), html.I(className="bi bi-chevron-right ms-1", **{"aria-hidden": "true"})],
                 href=f"/whistles/{int(s['whistle_id'])}", className="fo-link", id="ms-whistle-link")
        if allowed("whistle") else None,
    ]
    stores = [dcc.Store(id="ms-id", data=int(s["id"])), dcc.Store(id="ms-lang", data=lang),
              dcc.Store(id="ms-seen", data=s["seen"]), dcc.Location(id="ms-go", refresh="callback-nav")]
    return html.Div([
        _back(lang), _flash(query, lang), header,
        html.Div([html.Div(info, className="fo-main"),
                  html.Div(_actions(page["actions"], s, lang), className="fo-side")], className="fo-grid"),
        *stores,
    ], className="page field-page field-order ms-page", id="ms-summons", **{"data-status": s["status"]})


def _section(title_key: str, lang: str, body: Any, section_id: str) -> html.Section:
    return html.Section([html.H2(t(title_key, lang), className="fo-h2"), html.Div(body)], className="fo-section",
                        id=section_id)


def _deadlines(s: dict, lang: str, at: datetime) -> html.Dl:
    items: list[Any] = []
    for step, done, due in _STEPS:
        met = s.get(done)
        value: list[Any] = [html.Span(when(s[due]))]
        if met is not None:
            value.append(html.Span(t("field.done_at", lang, at=when(met)), className="fo-done-at"))
            if met > s[due]:
                value.append(html.Span(t("whistle.late_by", lang, d=duration(_minutes(met, s[due]), lang)),
                                       className="ws-late"))
        elif step in (s.get("late") or []):
            value.append(html.Span(t("whistle.late_by", lang, d=duration(_minutes(at, s[due]), lang)), className="ws-late"))
        items += [html.Dt(t(f"summons.deadline.{step}", lang)), html.Dd(value, id=f"ms-dl-{step}")]
    items += [html.Dt(t("ms.summoned_at", lang)), html.Dd(when(s["created_at"]))]
    return html.Dl(items, className="fo-dl")


def _outcome(s: dict, lang: str) -> Any:
    """The contest and its outcome, the township's rating, the reworks."""
    parts: list[Any] = []
    if s.get("contest_reason"):
        outcome = s.get("contest_outcome") or "pending"
        parts.append(html.Div([html.B(t("whistle.contest", lang) + ("：" if lang == "zh" else ": ")), s["contest_reason"],
                               " ", html.Span(t(f"whistle.contest.{outcome}", lang),
                                              className=f"ws-contest ws-contest-{outcome}")], id="ms-contest-box"))
    if s.get("rating"):
        parts.append(html.Div([html.B(t("summons.rating", lang) + ("：" if lang == "zh" else ": ")),
                               html.Span(stars(s["rating"]), className="ws-stars"), f" {s['rating']}/5",
                               html.Span(f" · {s['rating_comment']}") if s.get("rating_comment") else None],
                              id="ms-rating"))
    if s.get("reopen_count"):
        parts.append(html.Div(t("whistle.reopened_n", lang, n=s["reopen_count"])))
    return _section("ms.outcome", lang, parts, "ms-outcome") if parts else None


def _others(others: list[dict], lang: str) -> Any:
    if not others:
        return html.Div(t("ms.others_none", lang), className="fo-muted")
    return html.Ul([html.Li([html.Span(o.get(f"name_{lang}") or o.get("name_zh") or o["department_code"],
                                       className="ms-other-name"),
                             html.Span(role_label(o["role"], lang), className=f"ws-role ws-role-{o['role']}"),
                             summons_status_chip(o["status"], lang)],
                            className="ms-other", id=f"ms-other-{o['department_code']}", **{"data-status": o["status"]})
                    for o in others], className="ms-others")


def _log(log: list[dict], lang: str) -> html.Ol:
    def actor(r: dict) -> str:
        return t("warning.actor.rules", lang) if r["actor"] == "rules" else r["actor"]

    return html.Ol([html.Li([
        html.Div([html.Span(when(r["at"]), className="fo-log-at"), html.B(summons_action_label(r["action"], lang)),
                  html.Span(actor(r), className="fo-log-actor")], className="fo-log-line"),
        html.Div(t("whistle.rated", lang, n=r["rating"]), className="fo-log-note") if r.get("rating") else None,
        html.Div(r["note"], className="fo-log-note") if r.get("note") else None,
    ], className="fo-log-item", **{"data-action": r["action"]}) for r in log], className="fo-log", id="ms-log-list")


def _button(label_key: str, button_id: str, lang: str, cls: str, icon: str) -> html.Button:
    return html.Button([html.I(className=f"bi bi-{icon} me-2", **{"aria-hidden": "true"}), t(label_key, lang)],
                       id=button_id, n_clicks=0, className=f"fo-btn {cls}", type="button")


def _actions(actions: list[str], s: dict, lang: str) -> list:
    """The form fields above, the primary action in the bar at the bottom (sticky on a phone)."""
    msg = html.Div(id="ms-msg", role="status", **{"aria-live": "polite"})
    if not actions:
        key = f"ms.no_actions.{s['status']}"
        return [msg, html.Div(t(key if key in CATALOGUE else "ms.no_actions", lang), className="fo-muted fo-no-actions",
                              id="ms-no-actions")]
    parts: list[Any] = [msg]
    primary = None
    if "contested" in actions:
        parts.append(html.Details([
            html.Summary([html.I(className="bi bi-flag me-2", **{"aria-hidden": "true"}), t("ms.contest_open", lang)],
                         id="ms-contest-open", className="fo-summary-btn"),
            html.Div(t("ms.contest_hint", lang), className="fo-muted"),
            html.Label(t("ms.contest_reason", lang), htmlFor="ms-contest-reason", className="fo-label"),
            dcc.Textarea(id="ms-contest-reason", maxLength=500, rows=3, className="fo-textarea",
                         placeholder=t("ms.contest_placeholder", lang)),
            _button("ms.contest_submit", "ms-contest", lang, "fo-btn-danger", "flag"),
        ], className="fo-section ms-contest-form", id="ms-contest-form"))
    if "resolved" in actions:
        parts.append(html.Div([
            html.H2(summons_action_label("resolved", lang), className="fo-h2"),
            html.Label(t("ms.note_label", lang), htmlFor="ms-note", className="fo-label"),
            dcc.Textarea(id="ms-note", maxLength=1000, rows=4, className="fo-textarea",
                         placeholder=t("ms.note_placeholder", lang)),
        ], className="fo-section fo-resolve-form", id="ms-resolve-form"))
        primary = _button("ms.resolve_submit", "ms-resolve", lang, "fo-btn-primary", "send-check")
    if "arrived" in actions:
        primary = _button("summons.action.arrived", "ms-arrive", lang, "fo-btn-primary", "geo-alt")
    if "acknowledged" in actions:
        primary = _button("summons.action.acknowledged", "ms-ack", lang, "fo-btn-primary", "check2-circle")
    if primary is not None:  # the message shows beside the button the thumb just pressed
        parts.remove(msg)
        parts.insert(0, html.Div([msg, primary], className="fo-actionbar", id="ms-actionbar"))
    return parts


# ---------------------------------------------------------------- the server side
def message(key: str, lang: str) -> html.Div:
    return html.Div(t(key if key in CATALOGUE else "summons.error.refused", lang),
                    className="alert alert-warning fo-error", id="ms-error", role="alert")


def _seen_ok(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"status", "department_code"} and \
        all(isinstance(v, str) for v in value.values())


def act_on_mine(action: str, summons_id: Any, lang: Any, seen: Any, note: str | None = None) -> tuple:
    """Check, then ``act`` in one transaction; (message, href) for the callback."""
    lang = current_lang(lang if isinstance(lang, str) else None)
    if not allowed(PAGE):  # not even the page: refused without an answer
        refuse(action, "summons", summons_id, "page")
        raise PreventUpdate
    if not isinstance(summons_id, int) or isinstance(summons_id, bool):
        refuse(action, "summons", summons_id, "state")
        return message("summons.error.not_found", lang), no_update
    user, at = current_user(), now()
    page = qs.summons_page(engine(), user, current_scope(), summons_id, at)
    if page is None:  # another department's (a forged id), or none
        refuse(action, "summons", summons_id, "scope")
        return message("summons.error.not_found", lang), no_update
    if not _seen_ok(seen):
        return message("summons.error.conflict", lang), no_update
    try:
        with engine().begin() as conn:
            act(conn, summons_id, action, user, note=note or None, seen=seen, now=at, ip=request_ip())
    except SummonsConflict:
        return no_update, href(PATH, {"id": str(summons_id), "error": "conflict", "lang": lang})
    except SummonsNotAllowed as exc:
        refuse(action, "summons", summons_id, "permission")
        return message(exc.key, lang), no_update
    except SummonsError as exc:
        return message(exc.key, lang), no_update
    return no_update, href(PATH, {"id": str(summons_id), "done": action, "lang": lang})


def _clicked(n: Any, button: str) -> None:
    if ctx.triggered_id != button or not isinstance(n, int) or n < 1:
        raise PreventUpdate


@dash.callback(Output("ms-msg", "children"), Output("ms-go", "href"), Input("ms-ack", "n_clicks"),
               State("ms-id", "data"), State("ms-seen", "data"), State("ms-lang", "data"), prevent_initial_call=True,
               running=[(Output("ms-ack", "disabled"), True, False)])
def acknowledge(n, summons_id, seen, lang):  # noqa: ANN001, ANN201
    _clicked(n, "ms-ack")
    return act_on_mine("acknowledged", summons_id, lang, seen)


@dash.callback(Output("ms-msg", "children", allow_duplicate=True), Output("ms-go", "href", allow_duplicate=True),
               Input("ms-arrive", "n_clicks"), State("ms-id", "data"), State("ms-seen", "data"), State("ms-lang", "data"),
               prevent_initial_call=True, running=[(Output("ms-arrive", "disabled"), True, False)])
def arrive(n, summons_id, seen, lang):  # noqa: ANN001, ANN201
    _clicked(n, "ms-arrive")
    return act_on_mine("arrived", summons_id, lang, seen)


@dash.callback(Output("ms-msg", "children", allow_duplicate=True), Output("ms-go", "href", allow_duplicate=True),
               Input("ms-resolve", "n_clicks"), State("ms-note", "value"), State("ms-id", "data"),
               State("ms-seen", "data"), State("ms-lang", "data"), prevent_initial_call=True,
               running=[(Output("ms-resolve", "disabled"), True, False)])
def resolve(n, note, summons_id, seen, lang):  # noqa: ANN001, ANN201
    _clicked(n, "ms-resolve")
    return act_on_mine("resolved", summons_id, lang, seen, note=text_of(note, 1000))


@dash.callback(Output("ms-msg", "children", allow_duplicate=True), Output("ms-go", "href", allow_duplicate=True),
               Input("ms-contest", "n_clicks"), State("ms-contest-reason", "value"), State("ms-id", "data"),
               State("ms-seen", "data"), State("ms-lang", "data"), prevent_initial_call=True,
               running=[(Output("ms-contest", "disabled"), True, False)])
def contest(n, reason, summons_id, seen, lang):  # noqa: ANN001, ANN201
    _clicked(n, "ms-contest")
    return act_on_mine("contested", summons_id, lang, seen, note=text_of(reason, 500))


# a message about the last try goes once the liaison writes (assets/field.js, in the browser)
for _field in ("ms-note", "ms-contest-reason"):
    dash.clientside_callback(ClientsideFunction(namespace="field", function_name="clear"),
                             Output("ms-msg", "children", allow_duplicate=True), Input(_field, "value"),
                             prevent_initial_call=True)
