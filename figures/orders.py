"""Work-order figures: MTTA and MTTR per group (the desk's 时效 tab)."""

from __future__ import annotations

import pandas as pd

from cockpit.i18n import t
from figures.theme import SERIES, Figure, base_layout, empty_figure, figure


def response_bars(df: pd.DataFrame, labels: list[str], *, lang: str, dark: bool = False, top: int = 15) -> Figure:
    """Horizontal bars per group side by side: MTTA in minutes (left) and MTTR in hours (right), the
    slowest MTTR on top. ``df``: ``queries.orders.response_times`` without its "all" row; ``labels``:
    the groups' names in the same order."""
    if df.empty:
        return empty_figure(t("desk.stats_none", lang), dark)
    d = df.assign(label=labels).copy()
    d["mttr_h"] = d["mttr_minutes"].astype(float) / 60.0
    d = d.sort_values(["mttr_h", "mtta_minutes"], ascending=True, na_position="first").tail(top)
    y = [str(v) for v in d["label"]]

    def vals(col: str) -> list:
        return [None if pd.isna(v) else round(float(v), 1) for v in d[col]]

    traces = [
        {"type": "bar", "orientation": "h", "name": t("desk.fig.mtta", lang), "y": y, "x": vals("mtta_minutes"),
         "marker": {"color": SERIES[0]}, "xaxis": "x", "yaxis": "y",
         "hovertemplate": "%{y}: %{x} min<extra></extra>"},
        {"type": "bar", "orientation": "h", "name": t("desk.fig.mttr", lang), "y": y, "x": vals("mttr_h"),
         "marker": {"color": SERIES[2]}, "xaxis": "x2", "yaxis": "y",
         "hovertemplate": "%{y}: %{x} h<extra></extra>"},
    ]
    layout = base_layout(dark, height=max(240, 30 * len(y) + 90), showlegend=False, margin={"l": 8, "r": 16, "t": 36, "b": 24})
    axis = {**layout["xaxis"], "rangemode": "tozero"}
    layout["xaxis"] = {**axis, "domain": [0.0, 0.46], "anchor": "y"}
    layout["xaxis2"] = {**axis, "domain": [0.54, 1.0], "anchor": "y"}
    layout["yaxis"] = {**layout["yaxis"], "automargin": True}
    layout["annotations"] = [
        {"text": t("desk.fig.mtta", lang), "x": 0.23, "xref": "paper", "y": 1.0, "yref": "paper", "yanchor": "bottom",
         "showarrow": False, "font": {"size": 13}},
        {"text": t("desk.fig.mttr", lang), "x": 0.77, "xref": "paper", "y": 1.0, "yref": "paper", "yanchor": "bottom",
         "showarrow": False, "font": {"size": 13}},
    ]
    return figure(traces, layout)
