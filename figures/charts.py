"""Charts of the cockpit: trends, breakdowns, the grid map, the department ranking."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cockpit.i18n import t
from figures.theme import SERIES, base_layout, empty_figure, heat_colour


def event_trend(df: pd.DataFrame, *, lang: str, dark: bool = False) -> go.Figure:
    """Reported and resolved events per bucket (``queries.events.event_trend``)."""
    if df.empty:
        return empty_figure(t("empty", lang), dark)
    fig = go.Figure(layout=base_layout(dark, hovermode="x unified"))
    fig.add_bar(x=df["bucket"], y=df["n_reported"], name=t("series.reported", lang), marker_color=SERIES[0])
    fig.add_scatter(x=df["bucket"], y=df["n_resolved"], name=t("series.resolved", lang), mode="lines+markers",
                    line=dict(color=SERIES[1], width=2))
    return fig


def breakdown_bar(labels: list[str], values: list[float], codes: list[str], *, lang: str, dark: bool = False,
                  highlight: list[float] | None = None, horizontal: bool = True) -> go.Figure:
    """A bar per item (village, grid, category); ``customdata`` holds the item's code for click-through.

    ``highlight`` (e.g. open events) is drawn as a second, overlaid series.
    """
    if not labels:
        return empty_figure(t("empty", lang), dark)
    fig = go.Figure(layout=base_layout(dark, barmode="overlay", hovermode="closest"))
    orient = "h" if horizontal else "v"
    xy = (lambda v, lab: dict(x=v, y=lab)) if horizontal else (lambda v, lab: dict(x=lab, y=v))
    fig.add_bar(**xy(values, labels), orientation=orient, customdata=codes, name=t("series.reported", lang),
                marker_color=SERIES[0])
    if highlight is not None:
        fig.add_bar(**xy(highlight, labels), orientation=orient, customdata=codes, name=t("series.open", lang),
                    marker_color=SERIES[2], width=0.45)
    if horizontal:
        fig.update_yaxes(autorange="reversed", type="category")
    return fig


def area_map(df: pd.DataFrame, *, lang: str, dark: bool = False, label_size: int = 12) -> go.Figure:
    """Areas (``queries.areas.map_shapes``) as filled polygons coloured by open events, no map tiles.

    One fill trace per area plus one marker trace at the centroids; the markers' ``customdata`` holds
    the area codes (clicking a marker or an area drills down).
    """
    shapes = df[df["ring"].map(len) > 0] if not df.empty else df
    if shapes.empty:
        return empty_figure(t("empty", lang), dark)
    vmax = float(shapes["open_events"].max() or 0)
    fig = go.Figure(layout=base_layout(dark, showlegend=False, hovermode="closest", dragmode=False))
    edge = "rgba(226,232,240,0.55)" if dark else "rgba(30,41,59,0.55)"
    for _, row in shapes.iterrows():
        lon = [p[0] for p in row["ring"]]
        lat = [p[1] for p in row["ring"]]
        fig.add_scatter(x=lon, y=lat, fill="toself", mode="lines", line=dict(color=edge, width=1),
                        fillcolor=heat_colour(float(row["open_events"]), vmax), hoveron="fills",
                        name=row["name"], text=f"{row['name']}: {int(row['open_events'])} {t('series.open', lang)}",
                        hoverinfo="text", customdata=[row["code"]] * len(lon), opacity=0.9)
    fig.add_scatter(x=shapes["lon"], y=shapes["lat"], mode="markers+text", text=shapes["name"],
                    textfont=dict(size=label_size, color="#f8fafc" if dark else "#0f172a"),
                    marker=dict(size=18, color="rgba(0,0,0,0)"), customdata=shapes["code"],
                    hovertext=[f"{n}: {int(o)} {t('series.open', lang)}" for n, o in zip(shapes["name"], shapes["open_events"])],
                    hoverinfo="text")
    fig.update_xaxes(visible=False, fixedrange=True)
    fig.update_yaxes(visible=False, fixedrange=True, scaleanchor="x", scaleratio=1.15)
    return fig


def ranking_bar(df: pd.DataFrame, *, lang: str, dark: bool = False, top: int = 8) -> go.Figure:
    """Departments by median response minutes (``queries.departments.department_response_ranking``)."""
    if df.empty:
        return empty_figure(t("empty", lang), dark)
    d = df.head(top)
    labels = [r[f"name_{lang}"] for _, r in d.iterrows()]
    fig = go.Figure(layout=base_layout(dark, hovermode="closest"))
    fig.add_bar(x=d["median_min"], y=labels, orientation="h", marker_color=SERIES[5],
                text=[f"{m:.0f} {t('big.minutes', lang)}" for m in d["median_min"]], textposition="auto",
                customdata=d["code"])
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(visible=False)
    return fig


def indicator_trend(df: pd.DataFrame, *, lang: str, dark: bool = False) -> go.Figure:
    """Monthly values of indicators (``queries.indicators.indicator_series``), one line each, targets dotted."""
    if df.empty:
        return empty_figure(t("empty", lang), dark)
    fig = go.Figure(layout=base_layout(dark, hovermode="x unified"))
    for i, (code, g) in enumerate(df.groupby("code", sort=True)):
        colour = SERIES[i % len(SERIES)]
        label = f"{g.iloc[0][f'name_{lang}']} ({g.iloc[0]['unit']})"
        fig.add_scatter(x=g["period_start"], y=g["value"], name=label, mode="lines+markers", line=dict(color=colour))
        target = g.iloc[0]["target"]
        if target is not None and not pd.isna(target):
            fig.add_scatter(x=g["period_start"], y=[target] * len(g), name=f"{t('series.target', lang)}",
                            mode="lines", line=dict(color=colour, dash="dot"), showlegend=False)
    return fig
