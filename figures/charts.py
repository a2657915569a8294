"""Charts of the cockpit: trends, breakdowns, the grid map, the department ranking.

Pure functions: a query's DataFrame in, a Plotly figure dict out (``figures.theme``), so the PDF
report can draw the same charts.
"""

from __future__ import annotations

import pandas as pd

from cockpit.i18n import t, unit
from figures.theme import SERIES, Figure, base_layout, empty_figure, figure, heat_colour, hide_axes


def _values(col: pd.Series | list) -> list:
    """Column values as JSON-ready Python values (NaN as a gap)."""
    if isinstance(col, list):
        return col
    return [None if pd.isna(v) else v for v in col.tolist()]


def _dates(col: pd.Series) -> list[str]:
    return [pd.Timestamp(v).isoformat() for v in col]


# bucket unit -> (its length, tick label format, hover format)
_UNITS = {"hour": (pd.Timedelta(hours=1), "%H:%M", "%m-%d %H:%M"), "day": (pd.Timedelta(days=1), "%m-%d", "%Y-%m-%d"),
          "week": (pd.Timedelta(days=7), "%m-%d", "%Y-%m-%d"), "month": (pd.Timedelta(days=30), "%Y-%m", "%Y-%m")}


def time_axis(buckets: pd.Series, unit: str) -> dict:
    """An x axis for buckets of ``unit``: ticks on whole buckets with a label that suits them, and a
    range of at least one bucket either side of the data, so that a single bucket (the first hours of
    a month) is a readable chart rather than an axis in fractions of a second."""
    length, tick, hover = _UNITS[unit]
    first, last = pd.Timestamp(buckets.min()), pd.Timestamp(buckets.max())
    span = dict(hour=3_600_000, day=86_400_000, week=7 * 86_400_000).get(unit)
    n = max(1, int((last - first) / length) + 1)
    axis = dict(type="date", tickformat=tick, hoverformat=hover,
                range=[(first - length * 0.6).isoformat(), (last + length * 0.6).isoformat()])
    if unit == "month":
        axis["dtick"] = "M1" if n <= 12 else "M3"
    elif span:
        axis["dtick"] = span * max(1, n // 8)  # at most about eight labels
    return axis


def event_trend(df: pd.DataFrame, *, lang: str, dark: bool = False, unit: str = "day") -> Figure:
    """Reported and resolved events per bucket of ``unit`` (``queries.events.event_trend``)."""
    if df.empty:
        return empty_figure(t("empty", lang), dark)
    x = _dates(df["bucket"])
    layout = base_layout(dark, hovermode="x unified")
    layout["xaxis"] = {**layout["xaxis"], **time_axis(df["bucket"], unit)}
    return figure([
        dict(type="bar", x=x, y=_values(df["n_reported"]), name=t("series.reported", lang), marker=dict(color=SERIES[0])),
        dict(type="scatter", x=x, y=_values(df["n_resolved"]), name=t("series.resolved", lang), mode="lines+markers",
             line=dict(color=SERIES[1], width=2)),
    ], layout)


def breakdown_bar(labels: list[str], values: list[float], codes: list[str], *, lang: str, dark: bool = False,
                  highlight: list[float] | None = None, horizontal: bool = True) -> Figure:
    """A bar per item (village, grid, category); ``customdata`` holds the item's code for click-through.

    ``highlight`` (e.g. open events) is drawn as a second, overlaid series.
    """
    if not labels:
        return empty_figure(t("empty", lang), dark)
    orient = "h" if horizontal else "v"

    def bar(v: list[float], **extra) -> dict:
        xy = dict(x=_values(v), y=list(labels)) if horizontal else dict(x=list(labels), y=_values(v))
        return dict(type="bar", **xy, orientation=orient, customdata=list(codes), **extra)

    traces = [bar(values, name=t("series.reported", lang), marker=dict(color=SERIES[0]))]
    if highlight is not None:
        traces.append(bar(highlight, name=t("series.open", lang), marker=dict(color=SERIES[2]), width=0.45))
    layout = base_layout(dark, barmode="overlay", hovermode="closest")
    if horizontal:
        layout["yaxis"] = {**layout["yaxis"], "autorange": "reversed", "type": "category"}
    return figure(traces, layout)


def area_map(df: pd.DataFrame, *, lang: str, dark: bool = False, label_size: int = 12) -> Figure:
    """Areas (``queries.areas.map_shapes``) as filled polygons coloured by open events, no map tiles.

    One fill trace per area plus one marker trace at the centroids; the markers' ``customdata`` holds
    the area codes (clicking a marker or an area drills down).
    """
    shapes = df[df["ring"].map(len) > 0] if not df.empty else df
    if shapes.empty:
        return empty_figure(t("empty", lang), dark)
    vmax = float(shapes["open_events"].max() or 0)
    edge = "rgba(226,232,240,0.55)" if dark else "rgba(30,41,59,0.55)"
    open_label = t("series.open", lang)
    traces = []
    for row in shapes.to_dict("records"):
        ring = row["ring"]
        traces.append(dict(type="scatter", x=[p[0] for p in ring], y=[p[1] for p in ring], fill="toself", mode="lines",
                           line=dict(color=edge, width=1), fillcolor=heat_colour(float(row["open_events"]), vmax),
                           hoveron="fills", name=row["name"], text=f"{row['name']}: {int(row['open_events'])} {open_label}",
                           hoverinfo="text", customdata=[row["code"]] * len(ring), opacity=0.9))
    traces.append(dict(type="scatter", x=_values(shapes["lon"]), y=_values(shapes["lat"]), mode="markers+text",
                       text=_values(shapes["name"]), textfont=dict(size=label_size, color="#f8fafc" if dark else "#0f172a"),
                       marker=dict(size=18, color="rgba(0,0,0,0)"), customdata=_values(shapes["code"]),
                       hovertext=[f"{n}: {int(o)} {open_label}" for n, o in zip(shapes["name"], shapes["open_events"])],
                       hoverinfo="text"))
    layout = base_layout(dark, showlegend=False, hovermode="closest", dragmode=False)
    hide_axes(layout, "xaxis", fixedrange=True)
    hide_axes(layout, "yaxis", fixedrange=True, scaleanchor="x", scaleratio=1.15)
    return figure(traces, layout)


def ranking_bar(df: pd.DataFrame, *, lang: str, dark: bool = False, top: int = 8) -> Figure:
    """Departments by median response minutes (``queries.departments.department_response_ranking``)."""
    if df.empty:
        return empty_figure(t("empty", lang), dark)
    d = df.head(top)
    minutes = [float(m) for m in d["median_min"]]
    layout = base_layout(dark, hovermode="closest")
    layout["yaxis"] = {**layout["yaxis"], "autorange": "reversed", "type": "category"}
    hide_axes(layout, "xaxis")
    return figure([dict(type="bar", x=minutes, y=_values(d[f"name_{lang}"]), orientation="h", marker=dict(color=SERIES[5]),
                        text=[f"{m:.0f} {t('big.minutes', lang)}" for m in minutes], textposition="auto",
                        customdata=_values(d["code"]))], layout)


def _with_unit(label: str, unit_text: str | None, lang: str) -> str:
    """A series' name with its unit in brackets (no brackets when the unit is not shown in ``lang``)."""
    shown = unit(unit_text, lang)
    return f"{label} ({shown})" if shown else str(label)


def indicator_trend(df: pd.DataFrame, *, lang: str, dark: bool = False) -> Figure:
    """Monthly values of indicators (``queries.indicators.indicator_series``), one line each, targets dotted."""
    if df.empty:
        return empty_figure(t("empty", lang), dark)
    traces = []
    for i, (code, g) in enumerate(df.groupby("code", sort=True)):
        colour = SERIES[i % len(SERIES)]
        x = _dates(g["period_start"])
        traces.append(dict(type="scatter", x=x, y=_values(g["value"]), name=_with_unit(g.iloc[0][f"name_{lang}"], g.iloc[0]["unit"], lang),
                           mode="lines+markers", line=dict(color=colour)))
        target = g.iloc[0]["target"]
        if target is not None and not pd.isna(target):
            traces.append(dict(type="scatter", x=x, y=[float(target)] * len(g), name=t("series.target", lang),
                               mode="lines", line=dict(color=colour, dash="dot"), showlegend=False))
    layout = base_layout(dark, hovermode="x unified")
    layout["xaxis"] = {**layout["xaxis"], **time_axis(df["period_start"], "month")}
    return figure(traces, layout)
