"""The KPI card of the big screen, the boards and the drill-down (rows of ``queries.kpis.board_kpis``).

A card says what its number is (its definition on hover), what it is compared with ("较上月同期"),
"样本不足" rather than a rate over too few cases, how many still wait for a response, and how many
villages delivered a township figure. A figure outside the viewer's scope (another department's
indicator) says "无权查看", with no number, comparison or link.
"""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from cockpit.i18n import CATALOGUE, t, unit
from cockpit.numbers import fmt, missing as _missing


def kpi_label(row: dict, lang: str) -> str:
    if row.get("kind") == "indicator":
        return str(row.get(f"name_{lang}") or row.get("name_zh") or row["key"])
    return t(f"kpi.{row['key']}", lang)


def unit_label(row: dict, lang: str) -> str:
    return unit(row.get("unit"), lang)


def compare_label(row: dict, lang: str, short: bool = False) -> str:
    """What the figure is compared with; ``short``: the big screen's tiles' form, where there is one."""
    key = row.get("compare_key") or "compare.custom"
    short_key = key.replace("compare.", "compare.short.", 1)
    return t(short_key if short and short_key in CATALOGUE else key, lang)


def trend_arrow(row: dict, lang: str, big: bool = False) -> html.Span:
    """Arrow and change against what the view is compared with: green when better, red when worse,
    grey when neither; says why when there is nothing to compare."""
    value, prev = row.get("value"), row.get("previous")
    vs = compare_label(row, lang, short=big)
    if row.get("kind") == "indicator" and row.get("previous_insufficient"):
        this_month_complete = not _missing(row.get("delivered")) and not _missing(row.get("expected")) \
            and int(row["delivered"]) >= int(row["expected"])
        return html.Span(t("kpi.incomplete_previous" if this_month_complete else "kpi.incomplete", lang),
                         className="kpi-delta neutral")
    if _missing(value) or _missing(prev):
        return html.Span(f"{vs} —" if not _missing(value) else "", className="kpi-delta neutral")
    delta = float(value) - float(prev)
    if abs(delta) < 1e-9:
        return html.Span([html.I(className="bi bi-dash"), f" {vs} 0"], className="kpi-delta neutral")
    better = row.get("higher_is_better")
    tone = "neutral" if better is None else ("good" if (delta > 0) == bool(better) else "bad")
    icon = "bi-arrow-up-right" if delta > 0 else "bi-arrow-down-right"
    pct = f" ({delta / abs(float(prev)) * 100:+.1f}%)" if float(prev) and row.get("unit") != "pct" else ""
    return html.Span([html.I(className=f"bi {icon}"),
                      f" {vs} {'+' if delta > 0 else ''}{fmt(delta, row.get('unit', ''))}{pct}"],
                     className=f"kpi-delta {tone}", title=f"{vs}: {fmt(prev, row.get('unit', ''))} {unit_label(row, lang)}")


def target_badge(row: dict, lang: str) -> html.Span | None:
    target, value = row.get("target"), row.get("value")
    if _missing(target) or _missing(value):
        return None
    met = float(value) >= float(target) if row.get("higher_is_better") is not False else float(value) <= float(target)
    return html.Span(f"{t('kpi.target', lang)} {fmt(target, row.get('unit', ''))}",
                     className=f"kpi-target {'good' if met else 'bad'}",
                     title=t("kpi.on_target" if met else "kpi.off_target", lang))


def _notes(row: dict, lang: str, big: bool = False) -> list:
    notes = []
    if row.get("insufficient"):
        key = "kpi.sample_readings" if row.get("kind") == "sensor" else "kpi.sample"
        notes.append(t(key, lang, n=int(row.get("sample") or 0), m=int(row.get("min_sample") or 0)))
    if row.get("key") == "response_hours" and not _missing(row.get("n_waiting")):
        n = int(row["n_waiting"])
        notes.append(t("kpi.waiting", lang, n=n, h=fmt(row.get("max_wait_hours"), "hour")) if n
                     else t("kpi.none_waiting", lang))
    if row.get("basis") == "month" and not _missing(row.get("period_start")):
        month = f"{pd.Timestamp(row['period_start']):%Y-%m}"  # the big screen's tiles: the short form
        month = month if big else f"{t('kpi.latest_month', lang)} {month}"
        if not _missing(row.get("delivered")) and not _missing(row.get("expected")):
            month += " · " + t("kpi.delivered_short" if big else "kpi.delivered", lang, n=int(row["delivered"]),
                               m=int(row["expected"]))
        notes.append(month)
    return notes


def hover_text(row: dict, lang: str) -> str:
    """The card's definition, what it is compared with and the instant it is taken at."""
    parts = [f"{kpi_label(row, lang)}: {t(row.get('definition_key') or 'def.indicator', lang)}"]
    if row.get("basis") != "month":
        parts.append(compare_label(row, lang))
        if not _missing(row.get("as_of")):
            parts.append(t("kpi.as_of", lang, at=pd.Timestamp(row["as_of"]).strftime("%Y-%m-%d %H:%M")))
    return " · ".join(parts)


def kpi_card(row: dict, lang: str, link: str | None, *, big: bool = False) -> html.Div | dcc.Link:
    if row.get("unavailable") is True:
        return html.Div([html.Div(kpi_label(row, lang), className="kpi-label"),
                         html.Div(html.Span(t("kpi.unavailable", lang), className="kpi-value kpi-insufficient kpi-unavailable"),
                                  className="kpi-main")],
                        className="kpi-card kpi-out-of-scope" + (" kpi-big" if big else ""),
                        title=t("kpi.unavailable_hint", lang))
    insufficient = bool(row.get("insufficient"))
    main = ([html.Span(t("kpi.insufficient", lang), className="kpi-value kpi-insufficient")] if insufficient else
            [html.Span(fmt(row.get("value"), row.get("unit", "")), className="kpi-value"),
             html.Span(unit_label(row, lang), className="kpi-unit")])
    body = [
        html.Div(kpi_label(row, lang), className="kpi-label"),
        html.Div(main, className="kpi-main"),
        html.Div([trend_arrow(row, lang, big), target_badge(row, lang)], className="kpi-foot"),
        *[html.Div(n, className="kpi-basis") for n in _notes(row, lang, big)],
    ]
    cls = "kpi-card" + (" kpi-big" if big else "")
    title = hover_text(row, lang)
    if link:
        return dcc.Link(body, href=link, className=cls + " kpi-link", title=title)
    return html.Div(body, className=cls, title=title)
