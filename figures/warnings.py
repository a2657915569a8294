"""Warning maps: areas coloured by their highest open warning level, and one warning's position.

Pure functions: query frames in, Plotly figure dicts out (``figures.theme``), no map tiles.
"""

from __future__ import annotations

import pandas as pd

from cockpit.i18n import t
from cockpit.warnings.levels import LEVELS as ENGINE_LEVELS
from figures.theme import Figure, base_layout, empty_figure, figure, hide_axes

# 红 / 橙 / 黄 / 蓝 (GB/T 预警信号 colours), and the neutral fill of an area with no open warning
LEVEL_COLOURS = {"red": "#dc2626", "orange": "#f97316", "yellow": "#facc15", "blue": "#2563eb"}
NEUTRAL_DARK, NEUTRAL_LIGHT = "#1e3a5f", "#e2e8f0"
LEVELS = tuple(reversed(ENGINE_LEVELS))  # most severe first


def level_colour(level: str | None, *, dark: bool = False, alpha: float = 0.85) -> str:
    """The fill of an area whose highest open level is ``level`` (None: the neutral fill)."""
    if level not in LEVEL_COLOURS:
        return NEUTRAL_DARK if dark else NEUTRAL_LIGHT
    h = LEVEL_COLOURS[level].lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _hover(name: str, row: dict, lang: str) -> str:
    n = int(row.get("n_open") or 0)
    if not n:
        return f"{name}: {t('big.no_warnings', lang)}"
    parts = [f"{t(f'warning.level.short.{lv}', lang)} {int(row.get(f'n_{lv}') or 0)}" for lv in LEVELS
             if int(row.get(f"n_{lv}") or 0)]
    return f"{name}: {t('warning.open_total', lang)} {n} ({', '.join(parts)})"


def level_map(shapes: pd.DataFrame, levels: pd.DataFrame, *, lang: str, dark: bool = False,
              label_size: int = 12) -> Figure:
    """Areas (``queries.areas.map_shapes``) filled by their highest open warning level
    (``queries.warnings.open_levels``: code, level, n_open, n_<level>); areas without one neutral.

    One fill trace per area plus one marker trace at the centroids whose ``customdata`` holds the area
    codes, as ``figures.charts.area_map`` (a click on either drills down)."""
    drawn = shapes[shapes["ring"].map(len) > 0] if not shapes.empty else shapes
    if drawn.empty:
        return empty_figure(t("empty", lang), dark)
    by_code = {r["code"]: r for r in levels.to_dict("records")} if not levels.empty else {}
    edge = "rgba(226,232,240,0.55)" if dark else "rgba(30,41,59,0.55)"
    traces, hovers = [], []
    for row in drawn.to_dict("records"):
        ring, info = row["ring"], by_code.get(row["code"], {})
        hover = _hover(row["name"], info, lang)
        hovers.append(hover)
        traces.append(dict(type="scatter", x=[p[0] for p in ring], y=[p[1] for p in ring], fill="toself", mode="lines",
                           line=dict(color=edge, width=1), fillcolor=level_colour(info.get("level"), dark=dark),
                           hoveron="fills", name=row["name"], text=hover, hoverinfo="text",
                           customdata=[row["code"]] * len(ring)))
    text_colour = "#f8fafc" if dark else "#0f172a"
    traces.append(dict(type="scatter", x=[None if pd.isna(v) else v for v in drawn["lon"]],
                       y=[None if pd.isna(v) else v for v in drawn["lat"]], mode="markers+text",
                       text=list(drawn["name"]), textfont=dict(size=label_size, color=text_colour),
                       marker=dict(size=18, color="rgba(0,0,0,0)"), customdata=list(drawn["code"]),
                       hovertext=hovers, hoverinfo="text"))
    layout = base_layout(dark, showlegend=False, hovermode="closest", dragmode=False)
    hide_axes(layout, "xaxis", fixedrange=True)
    hide_axes(layout, "yaxis", fixedrange=True, scaleanchor="x", scaleratio=1.15)
    return figure(traces, layout)


def warning_position(ring: list, lon: float | None, lat: float | None, level: str, *, lang: str,
                     label: str = "") -> Figure:
    """One warning on a small map: its grid's or village's outline, and a marker at its position
    (``lon``/``lat``, else the middle of the outline)."""
    has_point = lon is not None and lat is not None and not pd.isna(lon) and not pd.isna(lat)
    if not ring and not has_point:
        return empty_figure(t("empty", lang))
    traces = []
    if ring:
        traces.append(dict(type="scatter", x=[p[0] for p in ring], y=[p[1] for p in ring], fill="toself",
                           mode="lines", line=dict(color="rgba(30,41,59,0.6)", width=1),
                           fillcolor=level_colour(level, alpha=0.25), hoverinfo="skip", name=label))
        if not has_point:
            xs, ys = [p[0] for p in ring], [p[1] for p in ring]
            lon, lat = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    traces.append(dict(type="scatter", x=[lon], y=[lat], mode="markers",
                       marker=dict(size=16, color=LEVEL_COLOURS.get(level, "#64748b"), line=dict(color="#fff", width=2)),
                       hovertext=[label], hoverinfo="text"))
    layout = base_layout(False, showlegend=False, hovermode="closest", dragmode=False)
    hide_axes(layout, "xaxis", fixedrange=True)
    hide_axes(layout, "yaxis", fixedrange=True, scaleanchor="x", scaleratio=1.15)
    return figure(traces, layout)
