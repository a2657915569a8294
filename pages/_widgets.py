"""Small reusable components: numbers for display, tables of records, notices (KPI cards: ``pages._kpi_card``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import dash_table, dcc, html

from cockpit.i18n import t
from cockpit.numbers import fmt  # noqa: F401  (the pages import it from here)


RECORD_COLUMNS = ("id", "reported_at", "title", "category", "channel", "grid", "status", "reporter", "duplicates")


def records_table(df: pd.DataFrame, lang: str, *, table_id: str, total: int, page_size: int = 15) -> html.Div:
    """The records behind a number, one page at a time: the first page (``df``, from
    ``queries.events.event_records``) and the total; the page's callback reads the other pages and
    sorts on the server (``pages._records``). Reporters only masked."""
    names = {"id": "ID", "duplicates": t("section.records_duplicates", lang)}
    cols = [{"id": k, "name": names.get(k) or t(f"col.{k}", lang)} for k in RECORD_COLUMNS]
    return html.Div([
        html.Div(records_total(total, lang, page_size), id=f"{table_id}-total", className="small fw-semibold mb-1"),
        dash_table.DataTable(
            id=table_id, data=record_rows(df, lang), columns=cols,
            page_action="custom", page_current=0, page_size=page_size, page_count=page_count(total, page_size),
            sort_action="custom", sort_mode="single", sort_by=[], style_as_list_view=True,
            style_table={"overflowX": "auto"}, style_cell={"fontFamily": "inherit", "fontSize": "0.85rem",
                                                           "textAlign": "left", "padding": "4px 8px",
                                                           "maxWidth": "320px", "overflow": "hidden",
                                                           "textOverflow": "ellipsis"},
            style_header={"fontWeight": "600"},
            style_data_conditional=[{"if": {"column_id": "duplicates", "filter_query": "{n_duplicates} > 0"},
                                     "color": "var(--bad)", "fontWeight": "600"}],
        ),
    ], className="records")


def page_count(total: int, page_size: int) -> int:
    """Pages of ``page_size`` rows that hold ``total`` rows (at least one, so the pager shows 1 / 1)."""
    return max(1, -(-int(total) // page_size))


def records_total(total: int, lang: str, page_size: int = 15) -> str:
    """The line above a records table: how many records, on how many pages ("共 N 条 · P 页")."""
    return t("section.records_total", lang, n=f"{int(total):,}", pages=f"{page_count(total, page_size):,}")


def record_rows(df: pd.DataFrame, lang: str) -> list[dict]:
    """Event records as table rows with localised labels (shared by the tables and the CSV export):
    ``n_duplicates`` the number of events linked to the record as duplicates, ``duplicates`` that
    number as the table shows it ("重复 N", empty for none)."""
    rows = []
    for r in df.to_dict("records"):
        dups = int(r.get("n_duplicates") or 0)
        rows.append({
            "id": r["id"],
            "reported_at": pd.Timestamp(r["reported_at"]).strftime("%Y-%m-%d %H:%M"),
            "title": r.get("title") or "",
            "category": r.get(f"category_{lang}") or r.get("category_code"),
            "channel": r.get(f"channel_{lang}") or r.get("channel"),
            "grid": r.get("grid_name") or r.get("grid_code"),
            "status": t(f"status.{r['status']}", lang),
            "reporter": r.get("reporter_masked") or "",
            "n_duplicates": dups,
            "duplicates": t("section.records_duplicate_n", lang, n=dups) if dups else "",
        })
    return rows


GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}


def figure_box(graph_id: str, figure: go.Figure, size: str) -> html.Div:
    """A figure that follows its box: as wide as its panel, as tall as the ``fig-<size>`` class of
    assets/cockpit.css says (trend, breakdown, area; taller on a 4K screen, lower on a phone)."""
    return html.Div(dcc.Graph(id=graph_id, config=GRAPH_CONFIG, figure=figure), className=f"fig-box fig-{size}")


def notices(bad: list[str], lang: str) -> html.Div:
    if not bad:
        return html.Div()
    return html.Div([html.Div([html.I(className="bi bi-exclamation-triangle me-2"), t("filter.bad_param", lang, name=n)])
                     for n in dict.fromkeys(bad)], className="alert alert-warning py-2 filter-notice", role="alert")


def panel(title: str, body, *, extra=None, cls: str = "") -> html.Div:  # noqa: ANN001
    return html.Div([html.Div([html.H6(title, className="panel-title mb-0"), extra], className="panel-head"),
                     html.Div(body, className="panel-body")], className=f"panel {cls}")


# a column keeps a readable width on a phone (the table then scrolls inside its panel, not the page)
CELL = {"fontFamily": "inherit", "fontSize": "0.82rem", "textAlign": "left", "padding": "4px 8px",
        "whiteSpace": "normal", "height": "auto", "minWidth": "80px"}


def timestamp(v) -> str:  # noqa: ANN001
    """A timestamp as YYYY-MM-DD HH:MM; empty for None/NaT."""
    return "" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M")


def data_table(table_id: str, rows: list[dict], cols: list[tuple[str, str]], **extra) -> dash_table.DataTable:
    return dash_table.DataTable(id=table_id, data=rows, columns=[{"id": k, "name": n} for k, n in cols],
                                page_size=extra.pop("page_size", 12), sort_action="native", style_as_list_view=True,
                                style_cell=CELL, style_header={"fontWeight": "600"}, style_table={"overflowX": "auto"},
                                **extra)


def duration(minutes: Any, lang: str) -> str:
    """12 分钟 / 3 小时 5 分 / 2 天 4 小时."""
    if minutes is None or (isinstance(minutes, float) and pd.isna(minutes)):
        return "—"
    m = round(float(minutes))
    if m < 1:
        return t("desk.under_minute", lang)
    if m < 60:
        return t("desk.minutes", lang, n=m)
    if m < 24 * 60:
        return t("desk.hours", lang, h=m // 60, m=m % 60)
    return t("desk.days", lang, d=m // (24 * 60), h=(m % (24 * 60)) // 60)
