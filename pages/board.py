"""板块 board pages ``/board/<board>``: filters in the URL, KPI cards, trends, breakdowns, records."""

from __future__ import annotations


import pandas as pd

import dash
from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update

from cockpit.i18n import name, t
from cockpit.reference import BOARDS
from figures.charts import breakdown_bar, event_trend, indicator_trend
from pages._common import config, current_lang, engine, href
from pages._access import allowed, denied_notice, guarded
from pages._export import export_button
from pages._records import first_page
from pages._scope import current_scope
from pages._filters import filter_bar, filters_href, resolve_filters
from pages._kpi_card import kpi_card
from pages._widgets import figure_box, notices, panel, records_table
from queries import events, kpis
from queries._base import reading
from queries.indicators import indicator_series, of_board

dash.register_page(__name__, path_template="/board/<board>", path="/board/safety", title="基层智治驾驶舱 · 板块",
                   nav="nav.boards", icon="columns-gap", order=1, nav_group="boards")


def layout(board: str | None = None, lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed("board") or (board in BOARDS and not current_scope().allows_board(board)):
        return denied_notice(lang)
    f, bad, town = resolve_filters(query, board)
    scope = current_scope()
    area_code = f.area or (town["code"] if town else "")
    base = f.to_query()
    with reading(engine()) as db:
        cards = [kpi_card(r, lang, href("/drill", base)) for r in kpis.board_kpis(db, scope, f, area_code, settings=config().kpis).to_dict("records")]
        by_area = events.events_by_area(db, scope, f)
        by_cat = events.events_by_category(db, scope, f)
        series = of_board(indicator_series(db, scope, area_code, until=f.end), f.board, f.indicator) if area_code else None
        records, n_records = first_page(db, scope, f)
        unit = events.trend_unit(f)
        trend = events.event_trend(db, scope, f, unit)
    return html.Div([
        html.Div([html.Span(className="board-dot", style={"background": f"var(--{f.board})"}),
                  html.H4(BOARDS[f.board][0 if lang == "zh" else 1]),
                  html.Span(town["name"] if town else "", className="text-secondary")], className=f"page-title board-{f.board}"),
        notices(bad, lang),
        filter_bar(f, town, lang, "board"),
        dcc.Store(id="board-state", data={"path": f"/board/{f.board}", "query": base, "lang": lang}),
        dcc.Location(id="board-go", refresh="callback-nav"),
        html.Div(cards or html.Div(t("empty", lang)), className=f"kpi-row board-{f.board}", id="board-kpis"),
        html.Div([
            panel(t("section.trend", lang), figure_box("board-trend", event_trend(trend, lang=lang, unit=unit), "trend")),
            panel(t("section.indicator_trend", lang), figure_box(
                "board-indicators", indicator_trend(series if series is not None else pd.DataFrame(), lang=lang), "trend")),
            panel(t("section.by_area", lang), figure_box("board-by-area", breakdown_bar(
                by_area["name"].tolist(), by_area["n_reported"].tolist(), by_area["code"].tolist(), lang=lang,
                highlight=by_area["n_open"].tolist()), "breakdown"),
                  extra=html.Small(t("drill.hint", lang), className="panel-note")),
            panel(t("section.by_category", lang), figure_box("board-by-category", breakdown_bar(
                [name(r, lang) for r in by_cat.to_dict("records")], by_cat["n_reported"].tolist(), by_cat["code"].tolist(),
                lang=lang, highlight=by_cat["n_open"].tolist()), "breakdown")),
        ], className="chart-grid chart-grid-4"),
        panel(t("section.records", lang), records_table(records, lang, table_id="board-records", total=n_records),
              extra=html.Div([html.Small(t("section.records_note", lang), className="panel-note me-2"),
                              export_button("board", lang)], className="d-flex align-items-center")),
    ], className="page")


@dash.callback(Output("board-go", "href"),
               Input({"role": "filter", "page": "board", "key": ALL}, "value"),
               Input({"role": "filter", "page": "board", "key": ALL}, "start_date"),
               Input({"role": "filter", "page": "board", "key": ALL}, "end_date"),
               State("board-state", "data"), prevent_initial_call=True)
@guarded("board")
def apply_filters(values, starts, ends, state):  # noqa: ANN001
    return filters_href(values, starts, ends, state)


@dash.callback(Output("board-go", "href", allow_duplicate=True),
               Input("board-by-area", "clickData"), Input("board-by-category", "clickData"),
               State("board-state", "data"), prevent_initial_call=True)
@guarded("board")
def drill_from_bar(area_click, cat_click, state):  # noqa: ANN001
    trig = callback_context.triggered_id
    click = area_click if trig == "board-by-area" else cat_click
    if not click or not click.get("points") or not state:
        return no_update
    code = click["points"][0].get("customdata")
    query = {k: v for k, v in state["query"].items()}
    if trig == "board-by-area":
        query["grid" if len(code) > 12 else "village"] = code
    else:
        query["category"] = code
    return href("/drill", query)
