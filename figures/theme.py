"""Colours and base layouts for the light (board pages) and dark (big screen) themes.

Figures are plain Plotly figure dicts (``{"data": [...], "layout": {...}}``): ``dcc.Graph`` and
``plotly.io`` take them as they are, and building them skips the validation of ``go.Figure``, which
cost more than the queries behind a big-screen refresh. ``go.Figure(fig)`` gives the object where needed.
"""

from __future__ import annotations

from typing import Any

Figure = dict[str, Any]

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
GOOD, BAD, NEUTRAL = "#22c55e", "#ef4444", "#94a3b8"
SERIES = ("#38bdf8", "#22c55e", "#f59e0b", "#a78bfa", "#f472b6", "#2dd4bf", "#fb7185", "#facc15")
# open-event heat scale for map areas: calm blue -> yellow -> orange -> red
HEAT = ("#1e3a5f", "#2563eb", "#facc15", "#f97316", "#dc2626")


def base_layout(dark: bool, **extra) -> dict:
    fg = "#e2e8f0" if dark else "#1e293b"
    grid = "rgba(148,163,184,0.18)" if dark else "rgba(100,116,139,0.18)"
    layout = dict(
        font=dict(family=FONT, color=fg, size=13),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin=dict(l=8, r=8, t=8, b=8),
        xaxis=dict(gridcolor=grid, zeroline=False, automargin=True),
        yaxis=dict(gridcolor=grid, zeroline=False, automargin=True),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        hoverlabel=dict(font=dict(family=FONT)),
        colorway=list(SERIES),
    )
    layout.update(extra)
    return layout


def figure(traces: list[dict], layout: dict) -> Figure:
    return {"data": traces, "layout": layout}


def hide_axes(layout: dict, *axes: str, **extra: Any) -> dict:
    """``layout`` with the named axes (``"xaxis"``, ``"yaxis"``) hidden, plus ``extra`` axis settings."""
    for axis in axes:
        layout[axis] = {**layout.get(axis, {}), "visible": False, **extra}
    return layout


def empty_figure(message: str, dark: bool = False) -> Figure:
    layout = hide_axes(base_layout(dark), "xaxis", "yaxis")
    layout["annotations"] = [dict(text=message, showarrow=False, font=dict(size=16, color=NEUTRAL))]
    return figure([], layout)


def heat_colour(value: float, vmax: float) -> str:
    """Colour of a map area with ``value`` open events, on a scale up to ``vmax``."""
    if value <= 0 or vmax <= 0:
        return HEAT[0]
    share = min(value / vmax, 1.0)
    return HEAT[min(1 + int(share * (len(HEAT) - 1)), len(HEAT) - 1)]
