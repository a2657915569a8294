"""大屏 big screen: the whole township on one dark 1920×1080 screen that scales with the viewport.

The layout is built once; a ``dcc.Interval`` refreshes only the data inside it (no flicker), and
``assets/bigscreen.js`` reloads the page every ``app.reload_minutes`` so an always-on screen never
goes stale. ``?kiosk=1`` hides navigation.
"""

from __future__ import annotations

from datetime import datetime

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update
from sqlalchemy import Connection

from cockpit.i18n import CATALOGUE, t
from figures.score import score_bars
from figures.warnings import level_map
from pages._common import config, current_lang, engine, href, now
from pages._access import allowed, denied_notice, guarded
from pages._scope import current_scope
from pages._kpi_card import kpi_card
from pages._warning_widgets import level_chip, place_label, rule_label
from pages._widgets import fmt
from queries import areas, kpis
from queries import orders as qo
from queries import warnings as qw
from queries._base import reading
from queries import score as qs
from queries.filters import parse_filters

dash.register_page(__name__, path="/", title="基层智治驾驶舱 · 大屏", nav="nav.bigscreen", icon="display", order=0,
                   nav_group="boards")

BOARDS = ("party", "economy", "safety", "services")
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}
RANKING_TOP = 7  # departments on the ranking slot


def ranking_slot(db: Connection, township: str, at: datetime) -> pd.DataFrame:
    """The ranking slot: the department score of the current month in ``township``
    (``queries.score.ranking``); the figure leaves out 样本不足 and shows the first ``RANKING_TOP``."""
    return qs.ranking(db, qs.Period.containing("month", at.date()), at, qs.settings(config()), township=township)


def _board_panel(board: str, lang: str, df: pd.DataFrame | None, period: str) -> html.Div:
    """A board's panel from its KPIs (``None``: the board is outside the viewer's scope)."""
    if df is None:  # a board head's other boards: say so rather than show zeros
        return html.Div([html.Div(html.Span(t(f"board.{board}", lang)), className="big-panel-title"),
                         html.Div(html.Div(t("big.out_of_scope", lang), className="big-empty"), className="big-kpis")],
                        className=f"big-panel board-{board} out-of-scope", id=f"big-board-{board}")
    tiles = [kpi_card(r, lang, href(f"/board/{board}", {"period": period}) if r["kind"] == "indicator"
                      else href("/drill", {"board": board, "period": period}), big=True)
             for r in df.to_dict("records")]
    return html.Div([
        dcc.Link([html.Span(t(f"board.{board}", lang)), html.I(className="bi bi-chevron-right")],
                 href=f"/board/{board}", className="big-panel-title"),
        html.Div(tiles or html.Div(t("empty", lang), className="big-empty"), className="big-kpis"),
    ], className=f"big-panel board-{board}", id=f"big-board-{board}")


def short_label(key: str, lang: str, full: str) -> str:
    """The short form ``key`` of a label on the big screen when the catalogue has one, else ``full``."""
    return t(key, lang) if key in CATALOGUE else full


def _order_list(df: pd.DataFrame, lang: str) -> html.Ul | html.Div:
    """Today's work orders, newest first: time, category, title, place, status (overdue in red);
    each opens its order's page (the kiosk, which may not open the desk, sees them without links)."""
    if df.empty:
        return html.Div(t("big.none_today", lang), className="big-empty", id="big-orders-empty")
    linked = allowed("orders")
    items = []
    for r in df.to_dict("records"):
        category = r.get(f"category_{lang}") or r.get("category_code") or ""
        code = r.get("category_code") or ""
        cells = [
            html.Span(pd.Timestamp(r["created_at"]).strftime("%H:%M"), className="ev-time"),
            html.Span(short_label(f"category.short.{code}", lang, category), className=f"ev-cat board-{r['board']}",
                      title=category),
            html.Span(r.get("title") or "", className="ev-title"),
            html.Span(r.get("grid_name") or r.get("village_name") or "", className="ev-grid"),
            html.Span(t(f"order.status.{r['status']}", lang), className=f"ev-status ost-{r['status']}"
                      + (" ost-late" if r.get("overdue") else "")),
        ]
        item = (dcc.Link(cells, href=f"/orders/{int(r['id'])}", id=f"big-order-{r['id']}") if linked
                else html.Div(cells, className="wl-item", id=f"big-order-{r['id']}"))
        items.append(html.Li(item))
    return html.Ul(items, className="big-list big-list-today", id="big-order-list")


def _warning_list(df: pd.DataFrame, lang: str) -> html.Ul | html.Div:
    """The live warnings: level, rule, place, title, time; each opens its warning's page (a viewer
    who may not open the warning center, the kiosk, sees the list without links)."""
    if df.empty:
        return html.Div(t("big.no_warnings", lang), className="big-empty")
    linked = allowed("warnings")
    items = []
    for r in df.to_dict("records"):
        rule = rule_label(r["rule"], lang)
        cells = [
            level_chip(r["level"], lang, short=True),
            html.Span(short_label(f"rule.short.{r['rule']}", lang, rule), className="wl-rule", title=rule),
            html.Span(r.get("title") or "", className="ev-title"),
            html.Span(place_label(r, lang), className="ev-grid"),
            html.Span(pd.Timestamp(r["opened_at"]).strftime("%m-%d %H:%M"), className="ev-time"),
        ]
        item = (dcc.Link(cells, href=href("/warnings", {"id": str(r["id"])}), id=f"big-warning-{r['id']}")
                if linked else html.Div(cells, className="wl-item"))
        items.append(html.Li(item, className=f"lv-row-{r['level']}"))
    return html.Ul(items, className="big-list big-warnings", id="big-warning-list")


def _level_totals(totals: dict[str, int], lang: str) -> list:
    return [html.Span([t(f"warning.level.short.{lv}", lang), html.B(fmt(totals.get(lv, 0)))],
                      className=f"big-lv big-lv-{lv}", id=f"big-open-{lv}") for lv in qw.LEVELS]


def _content(lang: str) -> dict:
    """Everything on the screen that changes with the data."""
    scope = current_scope()
    with reading(engine()) as db:
        town = areas.home_township(db, scope)
        if town is None:
            empty = html.Div(t("error.no_warehouse", lang), className="big-empty")
            return {"boards": [empty] * 4, "map": level_map(pd.DataFrame(columns=["ring"]), pd.DataFrame(), lang=lang,
                                                            dark=True),
                    "codes": [], "latest": empty, "levels": _level_totals({}, lang), "orders": empty, "orders_head": "",
                    "ranking": score_bars(pd.DataFrame(), lang=lang, dark=True), "town": t("app.title", lang)}
        here, at = town["code"], now()  # the screen shows one township even when the warehouse holds several
        period = config().get("app", "big_screen_period")  # a rolling window: never nearly empty
        window, _ = parse_filters({"period": period}, at)
        shapes = areas.map_shapes(db, scope, here)
        levels = qw.open_levels(db, scope, here)
        live = qw.live_warnings(db, scope, area=here, limit=10)
        totals = qw.open_level_totals(db, scope, area=here)
        today = qo.today_orders(db, scope, now=at, area=here, limit=10)
        ranking = ranking_slot(db, here, at)
        board_kpis = {b: kpis.board_kpis(db, scope, parse_filters({"period": period}, at, board=b)[0], here, limit=4,
                                         settings=config().kpis)
                      for b in BOARDS if scope.allows_board(b)}
    return {
        "boards": [_board_panel(b, lang, board_kpis.get(b), period) for b in BOARDS],
        "period": f"{t(f'period.{period}', lang)} · {t(window.compare_key, lang)}",
        "map": level_map(shapes, levels, lang=lang, dark=True, label_size=15),
        "codes": [code for code, ring in zip(shapes["code"], shapes["ring"]) if ring],
        "open_total": sum(totals.values()),
        "levels": _level_totals(totals, lang),
        "latest": _warning_list(live, lang),
        "orders": _order_list(today["rows"], lang),
        "orders_head": t("desk.big_head", lang, n=today["n"], r=today["resolved"]),
        "ranking": score_bars(ranking, lang=lang, dark=True, top=RANKING_TOP),
        "town": town["name"],
    }


def layout(kiosk: str | None = None, lang: str | None = None, **_: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed("bigscreen"):
        return denied_notice(lang)
    c = _content(lang)
    kiosk_mode = kiosk == "1" or not allowed("board")  # the kiosk token shows the screen alone
    scope = current_scope()
    nav = [] if kiosk_mode else [
        dcc.Link(t(f"board.short.{b}", lang), href=f"/board/{b}", className="big-nav-link", title=t(f"board.{b}", lang))
        for b in BOARDS if scope.allows_board(b)
    ] + ([dcc.Link(t("nav.short.governance", lang), href="/governance", className="big-nav-link",
                   title=t("nav.governance", lang))] if allowed("governance")
         else []) + [html.A(t("nav.language", lang), href="/?lang=" + ("en" if lang == "zh" else "zh"),
                            className="big-nav-link")]
    cfg = config()
    return html.Div([
        html.Header([
            html.Div([html.Span(c["town"], className="big-town"), html.Span(t("app.title", lang), className="big-title")],
                     className="big-brand"),
            html.Nav(nav, className="big-nav"),
            html.Div([html.Span(c.get("period", ""), className="big-period", id="big-period"),
                      html.Span([t("big.updated", lang) + " ", html.Span(now().strftime("%Y-%m-%d %H:%M"), id="big-clock")],
                                className="big-as-of")],
                     className="big-updated"),
        ], className="big-header"),
        html.Main([
            html.Section([html.Div(c["boards"][0], id="big-slot-party"), html.Div(c["boards"][1], id="big-slot-economy"),
                          html.Div([html.Div([html.Span(t("section.ranking", lang)),
                                              html.Small(t("big.ranking_note", lang), title=t("section.ranking_note", lang))], className="big-panel-title"),
                                    dcc.Graph(id="big-ranking", figure=c["ranking"], config=GRAPH_CONFIG, className="big-graph big-rank")],
                                   className="big-panel")], className="big-col big-left"),
            html.Section([
                html.Div([html.Div([html.Span(t("section.map", lang), title=t("big.map_levels", lang)),
                                    html.Span([t("warning.open_total", lang), " ", html.B(fmt(c.get("open_total", 0)), id="big-open-total"),
                                               html.Span(c["levels"], id="big-open-levels", className="big-lvs")],
                                              className="big-map-total")], className="big-panel-title"),
                          dcc.Graph(id="big-map", figure=c["map"], config=GRAPH_CONFIG, className="big-graph big-map")],
                         className="big-panel big-map-panel"),
                html.Div([html.Div(t("big.live_warnings", lang), className="big-panel-title"),
                          html.Div(c["latest"], id="big-latest")], className="big-panel big-latest-panel"),
            ], className="big-col big-centre"),
            html.Section([html.Div(c["boards"][2], id="big-slot-safety"), html.Div(c["boards"][3], id="big-slot-services"),
                          html.Div([html.Div([html.Span(t("section.today_orders", lang)),
                                              html.Small(c["orders_head"], id="big-orders-head")], className="big-panel-title"),
                                    html.Div(c["orders"], id="big-orders")], className="big-panel big-orders-panel")],
                         className="big-col big-right"),
        ], className="big-grid"),
        dcc.Store(id="big-map-codes", data=c["codes"]),
        dcc.Store(id="big-lang", data=lang),
        dcc.Location(id="big-go", refresh="callback-nav"),
        dcc.Interval(id="big-refresh", interval=int(cfg.get("app", "refresh_seconds")) * 1000),
        html.Div(id="big-reload", **{"data-reload-minutes": str(cfg.get("app", "reload_minutes"))}),
    ], className=f"bigscreen lang-{lang}" + (" kiosk" if kiosk_mode else ""), lang=lang)


@dash.callback(
    Output("big-slot-party", "children"), Output("big-slot-economy", "children"),
    Output("big-slot-safety", "children"), Output("big-slot-services", "children"),
    Output("big-map", "figure"), Output("big-map-codes", "data"), Output("big-open-total", "children"),
    Output("big-latest", "children"), Output("big-orders", "children"), Output("big-orders-head", "children"),
    Output("big-ranking", "figure"), Output("big-clock", "children"), Output("big-open-levels", "children"),
    Input("big-refresh", "n_intervals"), State("big-lang", "data"), prevent_initial_call=True,
)
@guarded("bigscreen")
def refresh(_n: int, lang: str):
    c = _content(lang)
    return (*c["boards"], c["map"], c["codes"], fmt(c.get("open_total", 0)), c["latest"], c["orders"],
            c["orders_head"], c["ranking"], now().strftime("%Y-%m-%d %H:%M"), c["levels"])


@dash.callback(Output("big-go", "href"), Input("big-map", "clickData"), State("big-map-codes", "data"),
               prevent_initial_call=True)
@guarded("drill")
def drill_from_map(click: dict | None, codes: list[str]):
    code = clicked_code(click, codes)
    return href("/drill", {"village": code, "period": config().get("app", "big_screen_period")}) if code else no_update


def clicked_code(click: dict | None, codes: list[str]) -> str | None:
    """The area code of a click on an ``area_map``: a marker's customdata, else the fill trace's index."""
    if not click or not click.get("points"):
        return None
    p = click["points"][0]
    if p.get("customdata"):
        cd = p["customdata"]
        return cd[0] if isinstance(cd, list) else cd
    n = p.get("curveNumber")
    return codes[n] if isinstance(n, int) and 0 <= n < len(codes) else None
