"""工单调度台 the operator desk ``/orders``: 待派单 the triage queue (open warnings still to dispatch,
most severe first, each with a 派单 button opening the dispatch form: the proposed department and its
cooperating departments, the proposed grid worker, a note), 工单 the order list (filters in the URL,
overdue ones in red with how late), 时效 MTTA and MTTR per board, department, village or grid for a
period, and ``/orders?id=N`` (or ``/orders/<id>``, ``pages.order``) one order's page
(``pages._order_detail``). Those without ``work_order.dispatch`` see the desk read-only.

Dispatching goes through ``cockpit.orders.dispatch.dispatch_warning`` with the warning's state as
the queue showed it; the button is disabled while the request runs, and a second dispatch of the same
warning (a double click, another operator) makes no second order but a clear message.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cockpit.i18n import t
from cockpit.orders.dispatch import dispatch_warning
from cockpit.orders.states import OrderConflict, OrderError
from cockpit.periods import PERIODS
from cockpit.reference import BOARDS, CATEGORIES
from figures.orders import response_bars
from pages._access import allowed, denied_notice, guarded
from pages._filters import list_filter_href
from pages._common import config, current_lang, engine, href, now
from pages._order_detail import (
    assignee_label,
    late_text,
    may_dispatch,
    message,
    order_href,
    order_page,
    order_status_chip,
    order_status_label,
    refuse,
    text_of,
)
from pages._scope import current_scope
from pages._warning_widgets import (
    level_chip,
    place_label,
    rule_label,
    status_label,
    when,
)
from pages._widgets import duration, fmt, notices, panel
from queries import orders as qo
from queries._base import reading
from web import current_user
from web.request import request_ip

dash.register_page(__name__, path="/orders", title="基层智治驾驶舱 · 工单", nav="desk.nav", icon="clipboard-check",
                   order=2, nav_group="work")

LIMIT = 200
FILTER_KEYS = ("view", "status", "board", "department", "village", "grid", "category", "period", "by")


def layout(lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed("orders"):
        return denied_notice(lang)
    if query.get("id") is not None:
        return order_page(query.get("id"), query, lang)
    scope, at = current_scope(), now()
    with reading(engine()) as db:
        choices = qo.desk_choices(db, scope)
        f, bad = qo.parse_order_filters(query, at, departments=tuple(c for c, _, _ in choices["departments"]))
        counts = qo.order_counts(db, scope, now=at)
        if f.view == "queue":
            body = _queue(qo.triage_queue(db, scope), lang)
        elif f.view == "list":
            body = _list(qo.order_list(db, scope, f, now=at, limit=LIMIT + 1), f, choices, lang)
        else:
            body = _stats(qo.response_times(db, scope, f, now=at), f, lang, at)
    base = f.to_query()
    return html.Div([
        html.Div([html.H4([html.I(className="bi bi-clipboard-check me-2"), t("desk.title", lang)])], className="page-title"),
        notices(bad, lang),
        html.Div([_count(k, counts[k], lang) for k in ("queue", "open", "overdue", "resolved")], className="od-counts"),
        html.Div([_tab(v, f, base, lang) for v in qo.VIEWS], className="od-tabs nav nav-tabs", id="od-tabs"),
        html.Div(t("desk.read_only", lang), className="small text-secondary my-2", id="od-read-only")
        if not may_dispatch() else None,
        dcc.Store(id="od-state", data={"query": base, "lang": lang}),
        dcc.Location(id="od-go", refresh="callback-nav"),
        body,
    ], className="page orders-page", id="orders-page")


def _count(key: str, n: int, lang: str) -> dcc.Link:
    target = {"queue": {}, "open": {"view": "list"}, "overdue": {"view": "list", "status": "overdue"},
              "resolved": {"view": "list", "status": "resolved"}}[key]
    return dcc.Link([html.Span(t(f"desk.count.{key}", lang)), html.B(fmt(n), className="od-count-n")],
                    href=href("/orders", {**target, "lang": lang}), id=f"od-count-{key}",
                    className=f"od-count od-count-{key}" + (" od-count-alert" if key == "overdue" and n else ""))


def _tab(view: str, f: qo.OrderFilters, base: dict, lang: str) -> dcc.Link:
    params = {**base, "view": None if view == "queue" else view, "lang": lang}
    if view == "queue":
        params = {"lang": lang}
    return dcc.Link(t(f"desk.tab.{view}", lang), href=href("/orders", params), id=f"od-tab-{view}",
                    className="nav-link" + (" active" if f.view == view else ""))


# ---------------------------------------------------------------- 待派单
def _queue(rows, lang: str) -> html.Div:
    seen = {}
    if rows.empty:
        table: Any = html.Div(t("desk.queue_none", lang), className="text-secondary py-2", id="od-queue-empty")
    else:
        dispatcher = may_dispatch()
        heads = ["level", "rule", "title", "place", "opened", "warning_status"] + (["action"] if dispatcher else [])
        body = []
        for r in rows.to_dict("records"):
            wid = int(r["id"])
            seen[str(wid)] = {"status": r["status"], "level": r["level"],
                              "silence_id": None if r.get("silence_id") is None or r["silence_id"] != r["silence_id"]
                              else int(r["silence_id"])}
            cells = [html.Td(level_chip(r["level"], lang, short=True)),
                     html.Td(rule_label(r["rule"], lang)),
                     html.Td(dcc.Link(r["title"], href=href("/warnings", {"id": str(wid)}), className="wc-title")),
                     html.Td(place_label(r, lang)),
                     html.Td(when(r["opened_at"]), className="text-nowrap"),
                     html.Td(html.Span(status_label(r["status"], lang), className=f"wst wst-{r['status']}"))]
            if dispatcher:
                cells.append(html.Td(html.Button([html.I(className="bi bi-send me-1"), t("desk.dispatch", lang)],
                                                 id={"role": "od-open", "w": wid}, n_clicks=0,
                                                 className="btn btn-sm btn-primary od-open")))
            body.append(html.Tr(cells, className=f"od-q-row lv-row-{r['level']}", id=f"od-q-{wid}"))
        table = html.Div(html.Table([html.Thead(html.Tr([html.Th(t(f"desk.col.{h}", lang)) for h in heads])),
                                     html.Tbody(body)], className="table table-sm table-hover od-table", id="od-queue"),
                         className="records")
    return html.Div([
        panel(t("desk.queue", lang, n=len(rows)), table),
        dcc.Store(id="od-queue-seen", data=seen),
        dcc.Store(id="od-form", data=None),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle(id="od-form-title")),
            dbc.ModalBody(id="od-form-body"),
            dbc.ModalFooter([
                html.Div(id="od-form-msg", role="status", className="me-auto"),
                html.Button(t("desk.cancel", lang), id="od-cancel", n_clicks=0, className="btn btn-sm btn-outline-secondary"),
                html.Button([html.I(className="bi bi-send me-1"), t("desk.dispatch_confirm", lang)], id="od-confirm",
                            n_clicks=0, className="btn btn-sm btn-primary"),
            ]),
        ], id="od-modal", is_open=False, size="lg", centered=True),
    ], className="od-queue-view")


def _form(p: dict, lang: str) -> list:
    depts = [{"label": (zh if lang == "zh" else en) + (f" · {t('desk.form.proposed', lang)}"
                                                       if c == p["department_code"] else ""), "value": c}
             for c, zh, en in p["departments"]]
    here = [w for w in p["workers"] if w[2]]
    others = [w for w in p["workers"] if not w[2]]
    workers = [{"label": t("desk.form.liaison", lang), "value": ""}] + [
        {"label": (f"{d}（{n}）" if d != n else n) + (t("desk.form.grid_worker_here", lang) if mine else ""), "value": n}
        for n, d, mine in here + others]
    coop = p.get(f"cooperating_{lang}") or t("desk.form.cooperating_none", lang)
    return [
        html.Div([level_chip(p["level"], lang, short=True), " ", html.Span(rule_label(p["rule"], lang)), " · ",
                  html.Span(p.get("grid_name") or p.get("village_name") or "")], className="mb-2"),
        html.Div([html.Label(t("desk.form.department", lang), htmlFor="od-f-dept", className="form-label small mb-0"),
                  dcc.Dropdown(id="od-f-dept", options=depts, value=p["department_code"], clearable=False)],
                 className="mb-2"),
        html.Div([t("desk.form.cooperating", lang), "：", html.B(coop, id="od-f-coop")], className="small mb-2"),
        html.Div([html.Label(t("desk.form.assignee", lang), htmlFor="od-f-user", className="form-label small mb-0"),
                  dcc.Dropdown(id="od-f-user", options=workers, value=p.get("assignee_user") or "", clearable=False)],
                 className="mb-2"),
        html.Div([html.Label(t("desk.form.note", lang), htmlFor="od-f-note", className="form-label small mb-0"),
                  dcc.Textarea(id="od-f-note", maxLength=500, rows=2, className="form-control form-control-sm")],
                 className="mb-2"),
    ]


# ---------------------------------------------------------------- 工单
def _filter_bar(f: qo.OrderFilters, choices: dict, lang: str, keys: tuple[str, ...]) -> html.Div:
    def options(pairs) -> list[dict]:
        return [{"label": t("filter.all", lang), "value": ""}] + [{"label": str(lbl), "value": v} for v, lbl in pairs]

    def dd(key: str, opts: list[dict], value: str | None) -> html.Div:
        return html.Div([html.Label(t(f"desk.filter.{key}", lang), htmlFor=f"od-{key}"),
                         dcc.Dropdown(id={"role": "ofilter", "key": key}, options=opts, value=value or "",
                                      clearable=False)], className="filter")

    out = []
    for key in keys:
        if key == "status":
            opts = [{"label": order_status_label(s, lang), "value": "" if s == "open" else s} for s in qo.STATUS_CHOICES]
            out.append(dd("status", opts, "" if f.status == "open" else f.status))
        elif key == "board":
            out.append(dd("board", options((b, t(f"board.{b}", lang)) for b in BOARDS), f.board))
        elif key == "department":
            out.append(dd("department", options((c, zh if lang == "zh" else en) for c, zh, en in choices["departments"]),
                          f.department))
        elif key == "village":
            out.append(dd("village", options((c, n) for c, n, lv in choices["places"] if lv == "village"), f.village))
        elif key == "grid":
            grids = [(c, n) for c, n, lv in choices["places"] if lv == "grid" and (not f.village or c.startswith(f.village))]
            out.append(dd("grid", options(grids), f.grid))
        elif key == "category":
            out.append(dd("category", options((c.code, c.name_zh if lang == "zh" else c.name_en) for c in CATEGORIES
                                              if not f.board or c.board == f.board), f.category))
        elif key == "period":
            opts = ([{"label": t("desk.filter.any_time", lang), "value": ""}] if f.view == "list" else []) + [
                {"label": t(f"period.{p}", lang), "value": p} for p in PERIODS if p != "custom"]
            value = f.period if f.period != "custom" else ""
            out.append(dd("period", opts, value if f.view == "list" else (value or "month")))
        elif key == "by":
            out.append(dd("by", [{"label": t(f"desk.by.{b}", lang), "value": b} for b in qo.GROUPS], f.by))
    out.append(html.Div(t("filter.copy_hint", lang), className="range-note"))
    return html.Div(out, className="filters od-filters")


def _list(rows, f: qo.OrderFilters, choices: dict, lang: str) -> html.Div:
    capped = len(rows) > LIMIT
    rows = rows.head(LIMIT)
    if rows.empty:
        table: Any = html.Div(t("desk.list_none", lang), className="text-secondary py-2", id="od-list-empty")
    else:
        heads = ("id", "level", "title", "place", "department", "assignee", "status", "dispatched", "deadline")
        body = []
        for r in rows.to_dict("records"):
            link = order_href(r["id"])
            late = late_text(r, lang)
            body.append(html.Tr([
                html.Td(dcc.Link(f"#{r['id']}", href=link, id=f"od-open-{r['id']}")),
                html.Td(level_chip(r["level"], lang, short=True) if isinstance(r.get("level"), str) else ""),
                html.Td(dcc.Link(r["title"], href=link, className="wc-title")),
                html.Td(place_label(r, lang)),
                html.Td(r.get(f"department_{lang}") or r["department_code"]),
                html.Td(assignee_label(r, lang)),
                html.Td(order_status_chip(r["status"], lang)),
                html.Td(when(r["created_at"]), className="text-nowrap"),
                html.Td([html.Span(when(r["resolve_due_at"]), className="text-nowrap"),
                         html.Div(late, className="od-late-text") if late else None]),
            ], className="od-row" + (" od-row-late" if r.get("overdue") else ""), id=f"od-row-{r['id']}"))
        table = html.Div(html.Table([html.Thead(html.Tr([html.Th(t(f"desk.col.{h}", lang)) for h in heads])),
                                     html.Tbody(body)], className="table table-sm table-hover od-table", id="od-list"),
                         className="records")
    title = t("desk.list_capped", lang, m=LIMIT) if capped else t("desk.list", lang, n=len(rows))
    return html.Div([_filter_bar(f, choices, lang, ("status", "board", "department", "village", "grid", "category",
                                                    "period")), panel(title, table)], className="od-list-view")


# ---------------------------------------------------------------- 时效
def _group_label(key: str, r: dict, by: str, lang: str) -> str:
    if key == "all":
        return t("filter.all", lang)
    if by == "board":
        return t(f"board.{key}", lang)
    if not key:
        return t("desk.not_placed", lang)
    return str(r.get(f"name_{lang}") or r.get("name_zh") or key)


def _stats(df, f: qo.OrderFilters, lang: str, at) -> html.Div:
    span = f.span_filters(at)
    period = t(f"period.{span.period}", lang)
    total = df[df["key"] == "all"].to_dict("records")
    groups = df[df["key"] != "all"]
    cards = []
    if total:
        r = total[0]
        for key, col, prev in (("orders", "orders", "prev_orders"), ("mtta", "mtta_minutes", "prev_mtta_minutes"),
                               ("mttr", "mttr_minutes", "prev_mttr_minutes")):
            value = fmt(r[col]) if key == "orders" else duration(r[col], lang)
            before = fmt(r[prev]) if key == "orders" else duration(r[prev], lang)
            cards.append(html.Div([html.Div(t(f"desk.col.{key}", lang), className="od-card-label"),
                                   html.Div(value, className="od-card-value", id=f"od-stat-{key}"),
                                   html.Div(t("desk.stats_prev", lang, v=before), className="od-card-prev")],
                                  className="od-card"))
    heads = ("group", "orders", "acknowledged", "mtta", "resolved", "mttr", "closed", "reopened", "late")
    body = []
    for r in df.to_dict("records"):
        body.append(html.Tr([
            html.Td(_group_label(r["key"], r, f.by, lang)), html.Td(fmt(r["orders"]), className="text-end"),
            html.Td(fmt(r["acknowledged"]), className="text-end"),
            html.Td(duration(r["mtta_minutes"], lang), className="text-end"),
            html.Td(fmt(r["resolved"]), className="text-end"),
            html.Td(duration(r["mttr_minutes"], lang), className="text-end"),
            html.Td(fmt(r["closed"]), className="text-end"), html.Td(fmt(r["reopened"]), className="text-end"),
            html.Td(fmt(r["overdue"]), className="text-end" + (" od-late-n" if r["overdue"] else "")),
        ], className="od-stat-row" + (" od-stat-total" if r["key"] == "all" else ""), **{"data-key": r["key"]}))
    table = (html.Div(html.Table([html.Thead(html.Tr([html.Th(t(f"desk.col.{h}", lang)) for h in heads])),
                                  html.Tbody(body)], className="table table-sm od-table", id="od-stats"),
                      className="records")
             if body else html.Div(t("desk.stats_none", lang), className="text-secondary py-2", id="od-stats-empty"))
    labels = [_group_label(k, r, f.by, lang) for k, r in zip(groups["key"], groups.to_dict("records"))]
    fig = response_bars(groups, labels, lang=lang)
    return html.Div([
        _filter_bar(f, {"departments": [], "places": []}, lang, ("period", "by")),
        html.Div(cards, className="od-cards"),
        html.Div([
            panel(t("desk.stats", lang, period=period), table,
                  extra=html.Small(t("desk.stats_note", lang, compare=t(span.compare_key, lang)), className="panel-note")),
            panel(t(f"desk.by.{f.by}", lang), html.Div(dcc.Graph(id="od-stats-fig", figure=fig,
                                                                 config={"displayModeBar": False, "responsive": True}),
                                                       className="od-fig")),
        ], className="od-stats-grid"),
    ], className="od-stats-view")


# ---------------------------------------------------------------- callbacks
@dash.callback(Output("od-go", "href"), Input({"role": "ofilter", "key": ALL}, "value"), State("od-state", "data"),
               prevent_initial_call=True)
@guarded("orders")
def apply_filters(values, state):  # noqa: ANN001
    return list_filter_href(values, state, "/orders", FILTER_KEYS)


def _warning_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@dash.callback(Output("od-modal", "is_open"), Output("od-form-title", "children"), Output("od-form-body", "children"),
               Output("od-form", "data"), Output("od-form-msg", "children"),
               Input({"role": "od-open", "w": ALL}, "n_clicks"), Input("od-cancel", "n_clicks"),
               State("od-queue-seen", "data"), State("od-state", "data"), prevent_initial_call=True)
@guarded("orders")
def open_form(clicks, _cancel, seen, state):
    lang = current_lang((state or {}).get("lang") if isinstance(state, dict) else None)
    trig = ctx.triggered_id
    if trig == "od-cancel":
        return False, no_update, no_update, None, None
    if not isinstance(trig, dict) or not any(isinstance(n, int) and n > 0 for n in clicks or []):
        raise PreventUpdate
    wid = _warning_id(trig.get("w"))
    if not may_dispatch():
        refuse("dispatch", "warning", trig.get("w"), "permission")
        return True, t("desk.dispatch", lang), message("desk.error.forbidden", lang), None, None
    p = qo.dispatch_proposal.uncached(engine(), current_scope(), wid) if wid else None
    if p is None:
        return True, t("desk.dispatch", lang), message("desk.error.warning_gone", lang), None, None
    shown = (seen or {}).get(str(wid)) if isinstance(seen, dict) else None
    form = {"warning_id": wid, "seen": shown if isinstance(shown, dict) else p["seen"]}
    return True, t("desk.dispatch_title", lang, title=p["title"]), _form(p, lang), form, None


def _seen_warning(value: Any) -> dict | None:
    if not isinstance(value, dict) or set(value) != {"status", "level", "silence_id"}:
        return None
    if not all(isinstance(value[k], str) for k in ("status", "level")):
        return None
    sid = value["silence_id"]
    return value if sid is None or (isinstance(sid, int) and not isinstance(sid, bool)) else None


@dash.callback(Output("od-form-msg", "children", allow_duplicate=True), Output("od-go", "href", allow_duplicate=True),
               Input("od-confirm", "n_clicks"), State("od-form", "data"), State("od-f-dept", "value"),
               State("od-f-user", "value"), State("od-f-note", "value"), State("od-state", "data"),
               prevent_initial_call=True, running=[(Output("od-confirm", "disabled"), True, False)])
def confirm_dispatch(n, form, department, assignee, note, state):
    if ctx.triggered_id != "od-confirm" or not isinstance(n, int) or n < 1:
        raise PreventUpdate
    lang = current_lang((state or {}).get("lang") if isinstance(state, dict) else None)
    wid = _warning_id(form.get("warning_id")) if isinstance(form, dict) else None
    if not allowed("orders"):
        refuse("dispatch", "warning", wid, "page")
        raise PreventUpdate
    if not may_dispatch():
        refuse("dispatch", "warning", wid, "permission")
        return message("desk.error.forbidden", lang, box="od-error"), no_update
    if wid is None or qo.dispatch_proposal.uncached(engine(), current_scope(), wid) is None:
        # gone from the queue: already dispatched (a double click, another operator) or out of scope
        from queries import warnings as qw

        w = qw.warning_detail.uncached(engine(), current_scope(), wid) if wid else None
        if w is None:
            refuse("dispatch", "warning", wid, "scope")
            return message("desk.error.warning_gone", lang, box="od-error"), no_update
        existing = qo.order_of_warning.uncached(engine(), current_scope(), wid)
        detail = t("desk.warning_order", lang, id=existing["id"], status=order_status_label(existing["status"], lang)) \
            if existing else status_label(w["status"], lang)
        return message("desk.error.dispatch_conflict", lang, box="od-error", detail=detail), no_update
    seen = _seen_warning(form.get("seen"))
    user: Any = text_of(assignee, 64) or None
    try:
        with engine().begin() as conn:
            order = dispatch_warning(conn, wid, current_user(), department_code=text_of(department, 32) or None,
                                     assignee_user=user, note=text_of(note) or None, seen=seen, now=now(),
                                     ip=request_ip(), config=config())
    except OrderConflict as exc:
        return message("desk.error.dispatch_conflict", lang, box="od-error", detail=exc.message), no_update
    except OrderError as exc:
        key = getattr(exc, "key", "order.error.refused")
        if key == "warning.error.conflict":
            key = "order.error.conflict"
        return message(key, lang, box="od-error"), no_update
    except Exception as exc:  # the warning's own refusal (its state changed since the queue was shown)
        from cockpit.warnings.states import WarningError

        if not isinstance(exc, WarningError):
            raise
        return message("desk.error.dispatch_conflict", lang, box="od-error", detail=str(exc)), no_update
    return no_update, order_href(order["id"], done="dispatched", lang=lang)
