"""街乡吹哨 the whistle desk ``/whistles``: the whistles of the view, newest first (filters in the URL:
``status`` from ``cockpit.whistles.records.WHISTLE_CHOICES``, ``township``, ``board``), the counts per
status on top, and per whistle its title, place, board, when and by whom, the urgent badge and each
summoned department's state and role, missed deadlines in red with how late.

``/whistles?blow=warning:ID`` (or ``order:ID``) is the blow form, linked from a warning's and a work
order's 吹哨 button: the source, the departments proposed from the responsibility list (editable,
the lead marked), urgent, the three deadlines from ``[whistle]`` (editable), a note. Blowing goes
through ``cockpit.whistles.blow.blow_whistle`` with the source's state as the form showed it; the
button is disabled while the request runs, and a second whistle on the same source (a double click,
another operator) is a clear message with the link to the open one. Then the whistle's page.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cockpit.i18n import t
from cockpit.reference import BOARDS
from cockpit.whistles.blow import blow_whistle
from cockpit.whistles.records import WHISTLE_CHOICES
from cockpit.whistles.states import SummonsConflict, SummonsError
from pages._access import allowed, denied_notice, guarded
from pages._common import config, current_lang, engine, href, now
from pages._scope import current_scope
from pages._summons_widgets import role_label, summons_status_chip
from pages._warning_widgets import place_label, when
from pages._whistle_detail import (
    department_label,
    late_badges,
    may_blow,
    message,
    refuse,
    text_of,
    urgent_badge,
    whistle_href,
    whistle_page,
)
from pages._widgets import fmt, notices, panel
from queries import whistles as qwh
from queries._base import reading
from web import current_user
from web.request import request_ip

dash.register_page(__name__, path="/whistles", title="基层智治驾驶舱 · 街乡吹哨", nav="whistle.nav", icon="megaphone",
                   order=3, nav_group="work")

LIMIT = 200


def layout(lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed("whistles"):
        return denied_notice(lang)
    if query.get("id") is not None:
        return whistle_page(query.get("id"), query, lang)
    if query.get("blow") is not None:
        return _blow_page(query.get("blow"), lang)
    scope, at = current_scope(), now()
    f, bad = qwh.parse_whistle_filters(query)
    with reading(engine()) as db:
        counts = qwh.whistle_counts(db, scope, f, now=at)
        rows = qwh.whistle_list(db, scope, f, now=at, limit=LIMIT + 1)
        townships = qwh.township_choices(db, scope)
    base = f.to_query()
    return html.Div([
        html.Div([html.H4([html.I(className="bi bi-megaphone me-2"), t("whistle.title", lang)])], className="page-title"),
        notices(bad, lang),
        html.Div([_count(k, counts[k], f, base, lang) for k in WHISTLE_CHOICES], className="ws-counts", id="ws-counts"),
        _filter_bar(f, townships, lang),
        _list(rows, lang, at),
        dcc.Location(id="wl-go", refresh="callback-nav"),
        dcc.Store(id="wl-state", data={"query": base, "lang": lang}),
    ], className="page whistles-page", id="whistles-page")


def _count(key: str, n: int, f: qwh.WhistleFilters, base: dict, lang: str) -> dcc.Link:
    params = {**base, "status": None if key == "open" else key, "lang": lang}
    alert = key in ("overdue", "open_contests") and n
    return dcc.Link([html.Span(t(f"whistle.count.{key}", lang)), html.B(fmt(n), className="ws-count-n")],
                    href=href("/whistles", params), id=f"ws-count-{key}",
                    className="ws-count" + (" active" if f.status == key else "") + (" ws-count-alert" if alert else ""))


def _filter_bar(f: qwh.WhistleFilters, townships: list[tuple[str, str]], lang: str) -> html.Div:
    def dd(key: str, opts: list[dict], value: str | None) -> html.Div:
        return html.Div([html.Label(t(f"whistle.filter.{key}", lang), htmlFor=f"wl-{key}"),
                         dcc.Dropdown(id={"role": "whfilter", "key": key}, options=opts, value=value or "",
                                      clearable=False)], className="filter")

    every = [{"label": t("filter.all", lang), "value": ""}]
    return html.Div([
        dd("status", [{"label": t(f"whistle.count.{s}", lang), "value": "" if s == "open" else s} for s in WHISTLE_CHOICES],
           "" if f.status == "open" else f.status),
        dd("township", every + [{"label": n, "value": c} for c, n in townships], f.township),
        dd("board", every + [{"label": t(f"board.{b}", lang), "value": b} for b in BOARDS], f.board),
        html.Div(t("filter.copy_hint", lang), className="range-note"),
    ], className="filters ws-filters")


def _chip(s: dict, lang: str, at) -> html.Span:  # noqa: ANN001
    return html.Span([html.Span(department_label(s, lang), className="ws-chip-dept"),
                      html.Span(role_label(s["role"], lang), className=f"ws-role ws-role-{s['role']}"),
                      summons_status_chip(s["status"], lang), *late_badges(s, lang, at)],
                     className="ws-chip" + (" ws-chip-late" if s.get("late") else ""), id=f"ws-chip-{s['id']}",
                     **{"data-status": s["status"], "data-department": s["department_code"]})


def _list(rows: list[dict], lang: str, at) -> html.Div:  # noqa: ANN001
    capped = len(rows) > LIMIT
    rows = rows[:LIMIT]
    if not rows:
        return panel(t("whistle.list", lang, n=0), html.Div(t("whistle.none", lang), className="text-secondary py-2",
                                                            id="ws-list-empty"))
    heads = ("id", "title", "place", "board", "blown", "summons")
    body = []
    for w in rows:
        board = t(f"board.{w['board']}", lang)
        body.append(html.Tr([
            html.Td(dcc.Link(f"#{w['id']}", href=whistle_href(w["id"]), id=f"ws-open-{w['id']}")),
            html.Td([urgent_badge(w, lang), dcc.Link(w["title"], href=whistle_href(w["id"]), className="ws-list-title")]),
            html.Td(place_label(w, lang)),
            html.Td(board),
            html.Td([html.Div(when(w["created_at"]), className="text-nowrap"),
                     html.Small(w["created_by"], className="text-secondary")]),
            html.Td(html.Div([_chip(s, lang, at) for s in w["summons"]], className="ws-chips")),
        ], className="ws-row" + (" ws-row-late" if w["overdue"] else "") + (f" ws-row-{w['status']}"),
            id=f"ws-row-{w['id']}"))
    table = html.Div(html.Table([html.Thead(html.Tr([html.Th(t(f"whistle.col.{h}", lang)) for h in heads])),
                                 html.Tbody(body)], className="table table-sm table-hover ws-table", id="ws-list"),
                     className="records")
    return panel(t("whistle.list", lang, n=len(rows)), [
        table, html.Div(t("whistle.capped", lang, n=LIMIT), className="small text-secondary") if capped else None])


@dash.callback(Output("wl-go", "href"), Input({"role": "whfilter", "key": ALL}, "value"), State("wl-state", "data"),
               prevent_initial_call=True)
@guarded("whistles")
def apply_filter(values, state):  # noqa: ANN001, ANN201
    """A changed filter becomes the URL (the page then reads it, checked, from there)."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not isinstance(state, dict):
        raise PreventUpdate
    query = dict(state.get("query") or {})
    keys = [i["id"]["key"] for i in ctx.inputs_list[0]]
    for key, value in zip(keys, values):
        query[key] = value or None
    query["lang"] = state.get("lang") if state.get("lang") in ("zh", "en") else None
    target = href("/whistles", {k: v for k, v in query.items() if isinstance(v, str) or v is None})
    return target


# ---------------------------------------------------------------- the blow form
def _blow_back(lang: str) -> dcc.Link:
    return dcc.Link([html.I(className="bi bi-arrow-left me-1"), t("whistle.back", lang)], href="/whistles",
                    className="btn btn-sm btn-outline-secondary", id="wb-back")


def _refusal(key: str, lang: str, extra: Any = None, **params: Any) -> html.Div:
    return html.Div([html.Div([t(key, lang, **params), " ", extra], className="alert alert-warning", id="wb-refused"),
                     _blow_back(lang)], className="page whistle-blow-page")


def _source_href(kind: str, source_id: int) -> str:
    return href("/warnings", {"id": str(source_id)}) if kind == "warning" else f"/orders/{int(source_id)}"


def _blow_page(raw: Any, lang: str) -> html.Div:
    parsed = qwh.parse_blow(raw)
    if parsed is None:
        return html.Div([notices(["blow"], lang), _blow_back(lang)], className="page whistle-blow-page")
    kind, source_id = parsed
    if not may_blow():
        return _refusal("whistle.blow.forbidden", lang)
    with reading(engine()) as db:
        if not qwh.source_visible(db, current_scope(), kind, source_id):
            return _refusal("whistle.blow.not_found", lang, kind=t(f"whistle.kind.{kind}", lang), id=source_id)
    p = qwh.blow_proposal(engine(), kind, source_id, now=now(), config=config())
    if p["open_whistle"] is not None:
        return _refusal("whistle.blow.already_open", lang, dcc.Link(t("whistle.open_link", lang, id=p["open_whistle"]),
                                                                    href=whistle_href(p["open_whistle"]),
                                                                    id="wb-open-link"))
    if p["error"]:
        return _refusal(p["error"], lang, kind=t(f"whistle.kind.{kind}", lang), id=source_id)
    return html.Div([
        html.Div([_blow_back(lang)], className="mb-2"),
        html.Div([html.H4([html.I(className="bi bi-megaphone me-2"), t("whistle.blow_title", lang)])], className="page-title"),
        _blow_form(p, lang),
    ], className="page whistle-blow-page", id="whistle-blow-page")


def _blow_form(p: dict, lang: str) -> html.Div:
    src, kind = p["source"], p["kind"]
    proposed = dict(p["proposed"])
    lead = next((c for c, r in p["proposed"] if r == "lead"), None)
    suffix = {"lead": t("whistle.form.proposed_lead", lang), "cooperate": t("whistle.form.proposed_cooperate", lang)}
    options = []
    for code, zh, en in p["departments"]:
        name = zh if lang == "zh" else en
        label = [html.Span(name)]
        if code in proposed:
            label.append(html.Span(suffix[proposed[code]], className=f"wb-proposed wb-proposed-{proposed[code]}"))
        options.append({"label": label, "value": code})
    category = src.get(f"category_{lang}") or src.get("category_zh")
    d = p["normal"]

    def number(key: str, value: int, unit: str, low: int = 1) -> html.Div:
        return html.Div([html.Label(t(f"whistle.form.{key}", lang), htmlFor=f"wb-{key}", className="form-label small mb-0"),
                         html.Div([dcc.Input(id=f"wb-{key}", type="number", min=low, step=1, value=value,
                                             className="form-control form-control-sm"),
                                   html.Span(t(f"whistle.unit.{unit}", lang), className="input-group-text")],
                                  className="input-group input-group-sm")], className="wb-deadline")

    return html.Div([html.Div([
        panel(t("whistle.form.source", lang), html.Div([
            html.Div([html.Span(t(f"whistle.kind.{kind}", lang) + f" #{p['id']}", className="ws-no"),
                      dcc.Link(src["title"], href=_source_href(kind, p["id"]), id="wb-source-link", className="wb-title")]),
            html.Div([html.Span([html.I(className="bi bi-geo-alt me-1"), place_label(src, lang)]),
                      html.Span(t(f"board.{src['board']}", lang)), html.Span(category) if category else None],
                     className="wd-meta"),
        ], id="wb-source")),
        panel(t("whistle.form.departments", lang), [
            html.Div(t("whistle.form.departments_hint", lang), className="small text-secondary mb-2"),
            dcc.Checklist(id="wb-depts", options=options, value=[c for c, _ in p["proposed"]],
                          className="wb-depts", inputClassName="me-1", labelClassName="wb-dept"),
            html.Div([html.Label(t("whistle.form.lead", lang), htmlFor="wb-lead", className="form-label small mb-0"),
                      dcc.Dropdown(id="wb-lead", options=[{"label": zh if lang == "zh" else en, "value": c}
                                                          for c, zh, en in p["departments"]],
                                   value=lead, clearable=False)], className="mt-2 wb-lead"),
        ], cls="wb-depts-panel")], className="wb-main"), html.Div([
        panel(t("whistle.form.deadlines", lang), [
            dbc.Switch(id="wb-urgent", label=t("whistle.form.urgent", lang), value=False, className="mb-2"),
            html.Div([number("ack", d["ack_minutes"], "minutes"), number("arrive", d["arrive_minutes"], "minutes"),
                      number("resolve", d["resolve_hours"], "hours")], className="wb-deadlines"),
            html.Div(t("whistle.form.deadlines_hint", lang), className="small text-secondary mt-1"),
        ]),
        panel(t("whistle.form.note", lang), dcc.Textarea(id="wb-note", maxLength=500, rows=3,
                                                         className="form-control form-control-sm")),
        html.Div([html.Div(id="wb-msg", role="status", className="me-auto"),
                  html.Button([html.I(className="bi bi-megaphone me-1"), t("whistle.form.submit", lang)], id="wb-submit",
                              n_clicks=0, className="btn btn-danger")], className="wb-submit-row")], className="wb-side"),
        dcc.Store(id="wb-source-state", data={"kind": kind, "id": p["id"], "seen": src["seen"], "lang": lang}),
        dcc.Store(id="wb-defaults", data={"normal": p["normal"], "urgent": p["urgent"]}),
        dcc.Location(id="wb-go", refresh="callback-nav"),
    ], className="wb-form", id="wb-form")


@dash.callback(Output("wb-arrive", "value"), Output("wb-resolve", "value"), Input("wb-urgent", "value"),
               State("wb-defaults", "data"), prevent_initial_call=True)
@guarded("whistles")
def urgent_defaults(urgent, defaults):  # noqa: ANN001, ANN201
    """An urgent whistle's deadlines come shorter: the form's values follow the switch."""
    if not isinstance(defaults, dict):
        raise PreventUpdate
    d = defaults.get("urgent" if urgent else "normal") or {}
    return d.get("arrive_minutes", no_update), d.get("resolve_hours", no_update)


def _whole(value: Any) -> int | None | bool:
    """A deadline field: a whole number ≥ 1, None when empty, False when invalid."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        return False
    return int(value)


@dash.callback(Output("wb-msg", "children"), Output("wb-go", "href"), Input("wb-submit", "n_clicks"),
               State("wb-depts", "value"), State("wb-lead", "value"), State("wb-urgent", "value"),
               State("wb-ack", "value"), State("wb-arrive", "value"), State("wb-resolve", "value"),
               State("wb-note", "value"), State("wb-source-state", "data"), prevent_initial_call=True,
               running=[(Output("wb-submit", "disabled"), True, False)])
def blow(n, departments, lead, urgent, ack, arrive, resolve, note, source):  # noqa: ANN001, ANN201, PLR0913
    """Blow the whistle as the form shows it (checked again on the server)."""
    if ctx.triggered_id != "wb-submit" or not isinstance(n, int) or n < 1:
        raise PreventUpdate
    source = source if isinstance(source, dict) else {}
    lang = current_lang(source.get("lang") if isinstance(source.get("lang"), str) else None)
    kind, sid, seen = source.get("kind"), source.get("id"), source.get("seen")
    if not allowed("whistles"):
        refuse("blown", "whistle", f"{kind}:{sid}", "page")
        raise PreventUpdate
    if not may_blow():
        refuse("blown", "whistle", f"{kind}:{sid}", "permission")
        return message("summons.error.not_allowed", lang), no_update
    if kind not in ("warning", "order") or not isinstance(sid, int) or isinstance(sid, bool) \
            or not isinstance(seen, dict) or not isinstance(seen.get("status"), str):
        refuse("blown", "whistle", f"{kind}:{sid}"[:40], "state")
        return message("whistle.blow.bad_request", lang), no_update
    if not qwh.source_visible(engine(), current_scope(), kind, sid):
        refuse("blown", "whistle", f"{kind}:{sid}", "scope")
        return message("summons.error.not_found", lang), no_update
    chosen = [d for d in (departments or []) if isinstance(d, str)] if isinstance(departments, list) else []
    if isinstance(lead, str) and lead:
        chosen = [lead] + [d for d in chosen if d != lead]
    if not chosen:
        return message("whistle.blow.no_departments", lang), no_update
    values = {k: _whole(v) for k, v in (("ack_minutes", ack), ("arrive_minutes", arrive), ("resolve_hours", resolve))}
    if any(v is False for v in values.values()):
        return message("whistle.blow.bad_deadline", lang), no_update
    p = qwh.blow_proposal(engine(), kind, sid, now=now(), config=config())
    if p["open_whistle"] is not None:
        return _conflict(p["open_whistle"], lang), no_update
    if p["error"] or p["source"]["seen"] != seen:
        return message("summons.error.conflict", lang), no_update
    try:
        with engine().begin() as conn:
            w = blow_whistle(conn, current_user(), **{f"{kind}_id": sid}, departments=chosen, urgent=bool(urgent),
                             note=text_of(note) or None, now=now(), ip=request_ip(), config=config(),
                             **{k: v for k, v in values.items() if v})
    except SummonsConflict:
        again = qwh.blow_proposal(engine(), kind, sid, now=now(), config=config())["open_whistle"]
        return (_conflict(again, lang) if again else message("summons.error.conflict", lang)), no_update
    except SummonsError as exc:
        return message(exc.key, lang), no_update
    return no_update, whistle_href(w["id"], done="blown", lang=lang)


def _conflict(open_id: int, lang: str) -> html.Div:
    return html.Div([t("whistle.blow.already_open", lang), " ",
                     dcc.Link(t("whistle.open_link", lang, id=open_id), href=whistle_href(open_id), id="wb-open-link")],
                    className="alert alert-warning py-1 px-2 small mb-2", id="ws-error")
