"""逐级下钻 drill-down: township → village → grid → the records behind a number, with breadcrumbs.

``/drill?board=safety&village=...&grid=...&period=month``: each level shows its KPIs, a map and a
bar per child area; clicking one goes a level down keeping the filters.
"""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update

from cockpit.i18n import t
from figures.charts import area_map, breakdown_bar
from pages._common import config, current_lang, engine, href
from pages._access import allowed, denied_notice, guarded
from pages._export import export_button
from pages._records import first_page
from pages._people import care_panel
from pages._scope import current_scope
from pages._kpi_card import kpi_card
from pages._widgets import figure_box, notices, panel, records_table
from pages.bigscreen import clicked_code
from pages._filters import filter_bar, filters_href, resolve_filters
from queries import areas, events, kpis

dash.register_page(__name__, path="/drill", title="基层智治驾驶舱 · 下钻", nav="nav.drill", icon="diagram-3", order=2,
                   nav_group="drill")


def layout(lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed("drill"):
        return denied_notice(lang)
    board = query.pop("board", None)  # no board: every board
    f, bad, town = resolve_filters(query, board, all_boards=True)
    db, scope = engine(), current_scope()
    if town is None:
        return html.Div(html.Div(t("error.no_warehouse", lang), className="alert alert-info"), className="page")
    here = f.grid or f.village or town["code"]
    crumbs = areas.breadcrumb(db, scope, here)
    base = f.to_query()
    links = []
    for i, c in enumerate(crumbs):
        params = {k: v for k, v in base.items() if k not in ("village", "grid")}
        if c["level"] in ("village", "grid"):
            params["village"] = c["code"][:12]
        if c["level"] == "grid":
            params["grid"] = c["code"]
        label = t("drill.township", lang) + f" · {c['name']}" if c["level"] == "township" else c["name"]
        links.append(dcc.Link(label, href=href("/drill", params), id=f"crumb-{c['level']}") if i < len(crumbs) - 1
                      else html.B(label, id=f"crumb-{c['level']}"))
        if i < len(crumbs) - 1:
            links.append(html.Span("›", className="sep"))
    up = None
    if len(crumbs) > 1:
        parent = crumbs[-2]
        params = {k: v for k, v in base.items() if k not in ("village", "grid")}
        if parent["level"] == "village":
            params["village"] = parent["code"]
        up = dcc.Link([html.I(className="bi bi-arrow-up-left me-1"), t("drill.up", lang)], href=href("/drill", params),
                      className="btn btn-sm btn-outline-secondary ms-3", id="drill-up")

    # the event figures of this level (across all boards unless one is chosen)
    cards = [kpi_card(r, lang, None) for r in kpis.board_kpis(db, scope, f, here, settings=config().kpis).to_dict("records") if r["kind"] == "event"]
    body: list = []
    if not f.grid:  # township or village: children on a map and as bars
        shapes = areas.map_shapes(db, scope, here, board=f.board)
        by_area = events.events_by_area(db, scope, f)
        body.append(html.Div([
            panel(t("section.map", lang), figure_box("drill-map", area_map(shapes, lang=lang), "area"),
                  extra=html.Small(t("drill.hint", lang), className="panel-note")),
            panel(t("section.by_area", lang), figure_box("drill-bars", breakdown_bar(
                by_area["name"].tolist(), by_area["n_reported"].tolist(), by_area["code"].tolist(), lang=lang,
                highlight=by_area["n_open"].tolist()), "area")),
        ], className="chart-grid"))
        body.append(dcc.Store(id="drill-map-codes", data=[c for c, r in zip(shapes["code"], shapes["ring"]) if r]))
    records, n_records = first_page(db, scope, f)
    body.append(panel(t("drill.records_of", lang, name=crumbs[-1]["name"] if crumbs else ""),
                      records_table(records, lang, table_id="drill-records", total=n_records),
                      extra=html.Div([html.Small(t("section.records_note", lang),
                                                 className="panel-note me-2"), export_button("drill", lang)],
                                     className="d-flex align-items-center")))
    care = care_panel(f.grid, lang) if f.grid else None  # None: the viewer may not see people
    if care is not None:
        body.append(care)
    return html.Div([
        html.Div([html.H4(t("drill.title", lang)),
                  html.Span(t(f"board.{f.board}", lang) if f.board else "", className="text-secondary")], className="page-title"),
        notices(bad, lang),
        html.Nav([*links, up], className="crumbs", id="drill-crumbs"),
        filter_bar(f, town, lang, "drill"),
        dcc.Store(id="drill-state", data={"path": "/drill", "query": base, "lang": lang}),
        dcc.Location(id="drill-go", refresh="callback-nav"),
        html.Div(cards, className="kpi-row"),
        *body,
    ], className="page")


@dash.callback(Output("drill-go", "href"),
               Input({"role": "filter", "page": "drill", "key": ALL}, "value"),
               Input({"role": "filter", "page": "drill", "key": ALL}, "start_date"),
               Input({"role": "filter", "page": "drill", "key": ALL}, "end_date"),
               State("drill-state", "data"), prevent_initial_call=True)
@guarded("drill")
def apply_filters(values, starts, ends, state):  # noqa: ANN001
    return filters_href(values, starts, ends, state)


@dash.callback(Output("drill-go", "href", allow_duplicate=True),
               Input("drill-map", "clickData"), Input("drill-bars", "clickData"),
               State("drill-map-codes", "data"), State("drill-state", "data"), prevent_initial_call=True)
@guarded("drill")
def drill_down(map_click, bar_click, codes, state):  # noqa: ANN001
    trig = callback_context.triggered_id
    code = clicked_code(map_click, codes or []) if trig == "drill-map" else clicked_code(bar_click, [])
    if not code or not state:
        return no_update
    query = dict(state["query"])
    if len(code) > 12:
        query.update(village=code[:12], grid=code)
    else:
        query.update(village=code)
        query.pop("grid", None)
    if state.get("lang"):
        query["lang"] = state["lang"]
    return href("/drill", query)
