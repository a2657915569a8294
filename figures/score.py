"""Charts of the department score: the ranking's bars (the ranking page and the big screen) and a
department's trend over periods. Pure functions: ``queries.score`` frames in, figure dicts out."""

from __future__ import annotations

import pandas as pd

from cockpit.i18n import t
from figures.theme import NEUTRAL, Figure, base_layout, empty_figure, figure, hide_axes

# the grade chips' colours (assets/whistles.css .grade-A …)
GRADE_COLOURS = {"A": "#15803d", "B": "#4d7c0f", "C": "#ca8a04", "D": "#ea580c", "E": "#b91c1c"}


def _present(v: object) -> bool:
    return v is not None and not (isinstance(v, float) and pd.isna(v))


def score_bars(df: pd.DataFrame, *, lang: str, dark: bool = False, top: int | None = None) -> Figure:
    """One bar per scored department (``queries.score.ranking``), best at the top, coloured and
    labelled by grade; those with too few cases (样本不足) are left out. ``top``: only the first N."""
    scored = df[[_present(v) for v in df["score"]]] if not df.empty else df
    if scored.empty:
        return empty_figure(t("score.none_scored", lang), dark)
    d = scored.head(top) if top else scored
    names = [str(n) for n in d[f"name_{lang}"]]
    scores = [round(float(v), 1) for v in d["score"]]
    grades = [str(g) for g in d["grade"]]
    layout = base_layout(dark, hovermode="closest", showlegend=False)
    layout["yaxis"] = {**layout["yaxis"], "autorange": "reversed", "type": "category"}
    hide_axes(layout, "xaxis", range=[0, 100])
    layout["bargap"] = max(0.25, 1 - len(d) / 8)  # a few departments: slim bars, not slabs
    return figure([dict(type="bar", orientation="h", x=scores, y=names,
                        marker=dict(color=[GRADE_COLOURS.get(g, NEUTRAL) for g in grades]),
                        text=[f"{v:.1f} · {g}" for v, g in zip(scores, grades)], insidetextanchor="end", textposition=["inside" if v >= 30 else "outside" for v in scores],
                        cliponaxis=False, customdata=[str(c) for c in d["department"]],
                        hovertemplate="%{y}: %{x:.1f}<extra></extra>")], layout)


def score_trend(df: pd.DataFrame, *, lang: str, dark: bool = False) -> Figure:
    """A department's score per period (``queries.score.trend``): a line with the grade on each
    point; a period with too few cases or no case is a gap (not zero), named below the axis."""
    if df.empty or not any(_present(v) for v in df["score"]):
        return empty_figure(t("score.trend_none", lang), dark)
    x = [str(p) for p in df["period"]]
    y = [round(float(v), 1) if _present(v) else None for v in df["score"]]
    labels = [f"{v:.1f} {g}" if v is not None else "" for v, g in zip(y, df["grade"])]
    layout = base_layout(dark, hovermode="x unified", showlegend=False)
    layout["yaxis"] = {**layout["yaxis"], "range": [0, 105], "title": {"text": t("score.col.score", lang)}}
    layout["xaxis"] = {**layout["xaxis"], "type": "category"}
    gaps = [dict(x=p, y=4, text=t("score.insufficient", lang) if ins else t("score.not_summoned", lang),
                 showarrow=False, font=dict(size=11, color=NEUTRAL))
            for p, v, ins in zip(x, y, df["insufficient"]) if v is None]
    layout["annotations"] = gaps
    return figure([dict(type="scatter", mode="lines+markers+text", x=x, y=y, text=labels, textposition="top center",
                        connectgaps=False, line=dict(color="#2563eb", width=2),
                        marker=dict(size=9, color=[GRADE_COLOURS.get(str(g), NEUTRAL) for g in df["grade"]]),
                        name=t("score.col.score", lang))], layout)
