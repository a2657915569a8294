"""The report as HTML (small functions, every text escaped with markupsafe) and the PDF made of it
by WeasyPrint with ``report.css`` (A4, CSS paged media: running footer, page numbers, table
headers repeated on every page a table spans, charts and short tables never cut at a page edge).

Free text from the warehouse (titles, reasons) passes through ``cockpit.privacy.mask_text`` once
more, so no ID or phone number reaches the PDF even if one slipped past the load.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd
from markupsafe import Markup, escape

from cockpit.i18n import t
from cockpit.i18n import unit as unit_label
from cockpit.numbers import fmt, missing
from cockpit.privacy import mask_text
from cockpit.reports import charts
from cockpit.reports.content import BOARDS, SUMMARY_KPIS, ReportContent, week_days

CSS = Path(__file__).with_name("report.css")
OVERDUE_LIST = 15  # overdue warnings / orders listed (the count says how many in all)
INDICATOR_CHARTS = 3  # monthly-indicator charts per board (one per unit, the most lines first)


# ---------------------------------------------------------------- values
def at_text(v: Any) -> str:
    return "—" if missing(v) else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M")


def or_dash(v: Any) -> str:
    return "—" if missing(v) or v == "" else str(v)


def text(v: Any) -> str:
    """Free text for print, personal numbers masked."""
    return "" if missing(v) else mask_text(str(v))


def name_of(row: dict, lang: str, field: str = "name") -> str:
    value = row.get(f"{field}_{lang}") or row.get(f"{field}_zh")
    return "" if missing(value) else str(value)


def kpi_label(row: dict, lang: str) -> str:
    if row.get("kind") == "indicator":
        return name_of(row, lang) or str(row["key"])
    return t(f"kpi.{row['key']}", lang)


def change(row: dict, lang: str) -> tuple[str, str]:
    """The change against the week before, with arrow and better/worse in words (prints in B/W),
    and its tone (good / bad / neutral) as the screens' KPI cards judge it."""
    value, prev = row.get("value"), row.get("previous")
    if row.get("unavailable") is True or missing(value) or missing(prev):
        return t("rpt.no_compare", lang), "neutral"
    delta = float(value) - float(prev)
    u = row.get("unit") or ""
    if abs(delta) < 1e-9:
        return f"— {t('rpt.same', lang)}", "neutral"
    better = row.get("higher_is_better")
    arrow = "▲" if delta > 0 else "▼"
    pct = f" ({delta / abs(float(prev)) * 100:+.1f}%)" if float(prev) and u != "pct" else ""
    word, tone = "", "neutral"
    if better is not None and not missing(better):
        good = (delta > 0) == bool(better)
        word, tone = (" " + t("rpt.better" if good else "rpt.worse", lang)), ("good" if good else "bad")
    return f"{arrow} {'+' if delta > 0 else ''}{fmt(delta, u)}{pct}{word}", tone


def value_cell(row: dict, lang: str, key: str = "value") -> str:
    if row.get("unavailable") is True:
        return t("kpi.unavailable", lang)
    if key == "value" and row.get("insufficient"):
        return t("kpi.insufficient", lang)
    if key == "previous" and row.get("previous_insufficient") and missing(row.get("previous")):
        return t("kpi.insufficient", lang) if row.get("kind") != "indicator" else "—"
    v = row.get(key)
    if missing(v):
        return "—"
    shown = unit_label(row.get("unit"), lang)
    return f"{fmt(v, row.get('unit') or '')} {shown}".strip()


def target_cell(row: dict, lang: str) -> str:
    target, value = row.get("target"), row.get("value")
    if missing(target):
        return "—"
    out = fmt(target, row.get("unit") or "")
    if not missing(value) and row.get("unavailable") is not True:
        met = float(value) >= float(target) if row.get("higher_is_better") is not False else float(value) <= float(target)
        out += " · " + t("rpt.met" if met else "rpt.not_met", lang)
    return out


def note_cell(row: dict, lang: str) -> str:
    notes = []
    if row.get("insufficient") and not missing(row.get("sample")):
        key = "kpi.sample_readings" if row.get("kind") == "sensor" else "kpi.sample"
        notes.append(t(key, lang, n=int(row.get("sample") or 0), m=int(row.get("min_sample") or 0)))
    if row.get("key") == "response_hours" and not missing(row.get("n_waiting")):
        n = int(row["n_waiting"])
        notes.append(t("kpi.waiting", lang, n=n, h=fmt(row.get("max_wait_hours"), "hour")) if n
                     else t("kpi.none_waiting", lang))
    if row.get("basis") == "month" and not missing(row.get("period_start")):
        note = t("rpt.month_basis", lang, month=f"{pd.Timestamp(row['period_start']):%Y-%m}")
        if not missing(row.get("delivered")) and not missing(row.get("expected")):
            note += " · " + t("kpi.delivered", lang, n=int(row["delivered"]), m=int(row["expected"]))
        if row.get("previous_insufficient"):
            note += " · " + t("kpi.incomplete", lang)
        notes.append(note)
    return "；".join(notes) if lang == "zh" else "; ".join(notes)


# ---------------------------------------------------------------- HTML pieces
def el(tag: str, body: Any = "", cls: str | None = None, **attrs: str) -> Markup:
    """``<tag class=…>body</tag>``; ``body`` is escaped unless it is Markup (or a list of them)."""
    if isinstance(body, (list, tuple)):
        body = Markup("").join(escape(b) for b in body)
    a = "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in attrs.items() if v is not None)
    c = f' class="{escape(cls)}"' if cls else ""
    return Markup(f"<{tag}{c}{a}>") + escape(body) + Markup(f"</{tag}>")


def table(head: Sequence[str], rows: Iterable[Sequence[Any]], *, cls: str = "", caption: str | None = None,
          widths: Sequence[str] | None = None, numeric: Sequence[int] = ()) -> Markup:
    """A table whose header repeats on every page it spans (``thead``); ``numeric``: right-aligned columns."""
    cols = Markup("").join(el("col", style=f"width:{w}") for w in widths) if widths else Markup("")
    th = el("thead", el("tr", [el("th", h, "num" if i in numeric else None) for i, h in enumerate(head)]))
    body_rows = []
    for r in rows:
        cells = []
        for i, v in enumerate(r):
            tone = None
            if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], str) and v[1] in ("good", "bad", "neutral"):
                v, tone = v
            cells.append(el("td", v, " ".join(x for x in ("num" if i in numeric else "", tone or "") if x) or None))
        body_rows.append(el("tr", cells))
    if not body_rows:
        return Markup("")
    cap = el("caption", caption) if caption else Markup("")
    return el("table", [cap, el("colgroup", cols) if widths else Markup(""), th, el("tbody", body_rows)], cls or None)


def figure(svg: str, caption: str) -> Markup:
    """A chart and its caption. The SVG goes in as an image (a data URI): WeasyPrint draws it as vector
    with its text as text, and skips the style cascade over every SVG node that inline SVG costs."""
    src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return el("figure", [Markup(f'<img src="{src}" alt="{escape(caption)}">'), el("figcaption", caption)], "chart")


class Numbering:
    def __init__(self) -> None:
        self.fig = self.tab = 0

    def next_fig(self) -> int:
        self.fig += 1
        return self.fig

    def next_tab(self) -> int:
        self.tab += 1
        return self.tab


# ---------------------------------------------------------------- sections
def cover(c: ReportContent, lang: str, empty_note: Markup) -> Markup:
    first, last = week_days(c.period)
    year, n, _ = c.period.start.isocalendar()
    town = c.township["name"]
    state = (t("rpt.running", lang, at=at_text(c.filters.as_of)) if c.filters.running
             else t("rpt.finished", lang, at=at_text(c.filters.as_of)))
    rows = [(t("rpt.cover.township", lang), f"{town}（{c.township['code']}）" if lang == "zh" else f"{town} ({c.township['code']})"),
            (t("rpt.cover.week", lang), t("rpt.week", lang, year=year, n=n, week=c.week)),
            (t("rpt.cover.days", lang), t("rpt.days", lang, start=first.isoformat(), end=last.isoformat())),
            (t("rpt.cover.generated", lang), at_text(c.now)),
            (t("rpt.cover.freshness", lang), freshness_line(c, lang)),
            (t("rpt.cover.scope", lang), scope_line(c, lang))]
    facts = el("table", el("tbody", [el("tr", [el("th", k), el("td", v)]) for k, v in rows]), "cover-facts")
    return el("section", [
        el("div", t("app.title", lang), "cover-app"),
        el("h1", [el("span", town, "cover-town"), Markup("<br>"), el("span", t("rpt.title", lang))], "cover-title"),
        el("div", t("rpt.week", lang, year=year, n=n, week=c.week), "cover-week"),
        facts, el("p", state, "cover-state"), empty_note,
    ], "cover")


def scope_line(c: ReportContent, lang: str) -> str:
    allowed = [b.board for b in c.boards if b.allowed]
    if len(allowed) == len(BOARDS):
        return t("rpt.cover.scope_all", lang)
    sep = "、" if lang == "zh" else ", "
    return t("rpt.cover.scope_part", lang, boards=sep.join(t(f"board.{b}", lang) for b in allowed) or t("rpt.none", lang))


def freshness_line(c: ReportContent, lang: str) -> str:
    df = c.sources
    if df.empty:
        return t("rpt.fresh_none", lang)
    stale = int(df["stale"].sum())
    last = df["last_success"].max()
    return t("rpt.fresh_summary", lang, n=len(df), ok=len(df) - stale, stale=stale, last=at_text(last))


def _all_row(times: pd.DataFrame) -> dict:
    got = times[times["key"] == "all"] if not times.empty else times
    return got.iloc[0].to_dict() if not got.empty else {}


def _in_hours(minutes: Any) -> float | None:
    return None if missing(minutes) else float(minutes) / 60.0


def _minutes(v: Any, lang: str) -> str:
    return "—" if missing(v) else t("rpt.minutes", lang, v=fmt(float(v), "score"))


def _hours(v: Any, lang: str) -> str:
    return "—" if missing(v) else t("rpt.hours", lang, v=fmt(float(v) / 60.0, "hour"))


def summary(c: ReportContent, lang: str, num: Numbering) -> Markup:
    fig, prev = c.figures, c.previous_figures
    orders = _all_row(c.orders["times"])

    def tile(label: str, now_v: Any, before: Any, *, unit: str = "", higher_is_better: bool | None = None,
             shown: str | None = None, shown_before: str | None = None) -> Markup:
        row = {"value": now_v, "previous": before, "unit": unit, "higher_is_better": higher_is_better}
        delta, tone = change(row, lang)
        return el("div", [el("div", label, "tile-label"), el("div", shown if shown is not None else fmt(now_v, unit), "tile-value"),
                          el("div", f"{t('rpt.col.previous', lang)} {shown_before if shown_before is not None else fmt(before, unit)} · {delta}",
                             f"tile-delta {tone}")], "tile")

    tiles = el("div", [
        tile(t("rpt.n.events", lang), fig.get("n_reported"), prev.get("n_reported")),
        tile(t("rpt.n.open_events", lang), fig.get("n_open"), prev.get("n_open"), higher_is_better=False),
        tile(t("rpt.n.warnings", lang), c.warnings["n_raised"], c.warnings["previous_raised"], higher_is_better=False),
        tile(t("rpt.n.orders", lang), orders.get("orders", 0), orders.get("prev_orders", 0)),
        tile(t("rpt.n.mtta", lang), orders.get("mtta_minutes"), orders.get("prev_mtta_minutes"), unit="score",
             higher_is_better=False, shown=_minutes(orders.get("mtta_minutes"), lang),
             shown_before=_minutes(orders.get("prev_mtta_minutes"), lang)),
        tile(t("rpt.n.mttr", lang), _in_hours(orders.get("mttr_minutes")), _in_hours(orders.get("prev_mttr_minutes")),
             unit="hour",
             higher_is_better=False, shown=_hours(orders.get("mttr_minutes"), lang),
             shown_before=_hours(orders.get("prev_mttr_minutes"), lang)),
    ], "tiles")
    vs = t(c.filters.compare_key, lang)
    gist = t("rpt.summary.text", lang, n=fmt(fig.get("n_reported") or 0), p=fmt(prev.get("n_reported") or 0),
             at=at_text(c.filters.as_of), o=fmt(fig.get("n_open") or 0), w=c.warnings["n_raised"],
             pw=c.warnings["previous_raised"], orders=int(orders.get("orders") or 0),
             mtta=_minutes(orders.get("mtta_minutes"), lang), mttr=_hours(orders.get("mttr_minutes"), lang))
    rows = []
    for b in c.boards:
        if not b.allowed:
            rows.append((t(f"board.{b.board}", lang), t("kpi.unavailable", lang), "", "", ""))
            continue
        for i, r in enumerate(b.kpis.head(SUMMARY_KPIS).to_dict("records")):
            rows.append((t(f"board.{b.board}", lang) if i == 0 else "", kpi_label(r, lang), value_cell(r, lang),
                         value_cell(r, lang, "previous"), change(r, lang)))
    head = (t("rpt.col.board", lang), t("rpt.col.indicator", lang), t("rpt.col.this_week", lang),
            t("rpt.col.previous", lang), t("rpt.col.change", lang))
    return el("section", [
        el("h2", t("rpt.sec.summary", lang)),
        el("h3", t("rpt.summary.headline", lang)), el("p", gist, "gist"), tiles,
        el("h3", t("rpt.summary.by_board", lang, vs=vs)),
        table(head, rows, cls="kpis summary-kpis", widths=("14%", "26%", "18%", "18%", "24%"), numeric=(2, 3)),
        el("p", t("rpt.summary.rule", lang), "note"),
    ], "summary")


def board_section(c: ReportContent, lang: str, num: Numbering) -> Markup:
    from figures.charts import breakdown_bar, event_trend, indicator_trend

    parts: list[Markup] = [el("h2", t("rpt.sec.boards", lang))]
    for b in c.boards:
        board = t(f"board.{b.board}", lang)
        parts.append(el("h3", board, "board-head"))
        if not b.allowed:
            parts.append(el("p", t("rpt.board_out_of_scope", lang), "note"))
            continue
        head = (t("rpt.col.indicator", lang), t("rpt.col.this_week", lang), t("rpt.col.previous", lang),
                t("rpt.col.change", lang), t("rpt.col.target", lang), t("rpt.col.note", lang))
        rows = [(kpi_label(r, lang), value_cell(r, lang), value_cell(r, lang, "previous"), change(r, lang),
                 target_cell(r, lang), note_cell(r, lang)) for r in b.kpis.to_dict("records")]
        parts.append(table(head, rows, cls="kpis", caption=t("rpt.tab.kpis", lang, n=num.next_tab(), board=board),
                           widths=("18%", "13%", "13%", "22%", "14%", "20%"), numeric=(1, 2)))
        charts_here = [figure(charts.chart(event_trend(b.trend, lang=lang, unit="day"), height=230),
                              t("rpt.fig.trend", lang, n=num.next_fig(), board=board))]
        cats = b.by_category.head(8)
        if not cats.empty:
            labels = [name_of(r, lang) for r in cats.to_dict("records")]
            fig = breakdown_bar(labels, cats["n_reported"].tolist(), cats["code"].tolist(), lang=lang,
                                highlight=cats["n_open"].tolist())
            charts_here.append(figure(charts.chart(fig, height=max(170, 26 * len(cats) + 70)),
                                      t("rpt.fig.category", lang, n=num.next_fig(), board=board)))
        for group in indicator_groups(b.indicators, c.period.start)[:INDICATOR_CHARTS]:
            charts_here.append(figure(charts.chart(indicator_trend(group, lang=lang), height=230),
                                      t("rpt.fig.indicators", lang, n=num.next_fig(), board=board)))
        parts += charts_here
    return el("section", parts, "boards")


def indicator_groups(series: pd.DataFrame, week_start: Any, *, months: int = 12, per_chart: int = 4) -> list[pd.DataFrame]:
    """The board's monthly indicators of the last ``months`` months, a chart per unit (at most
    ``per_chart`` lines each), so that 万元 and % never share an axis."""
    if series.empty:
        return []
    since = pd.Timestamp(week_start) - pd.DateOffset(months=months)
    recent = series[pd.to_datetime(series["period_start"]) >= since]
    groups = []
    for _, by_unit in recent.groupby(recent["unit"].fillna(""), sort=True):
        codes = sorted(by_unit["code"].unique())
        for i in range(0, len(codes), per_chart):
            groups.append(by_unit[by_unit["code"].isin(codes[i:i + per_chart])])
    return sorted(groups, key=lambda g: -g["code"].nunique())


def _place(r: dict) -> str:
    return " · ".join(x for x in (text(r.get("village_name")), text(r.get("grid_name"))) if x)


def warnings_section(c: ReportContent, lang: str, num: Numbering) -> Markup:
    w = c.warnings
    rule_label = c.rule_label
    levels = [(t(f"warning.level.{lv}", lang), str(n)) for lv, n in w["raised"].items()]
    levels.append((t("rpt.n.warnings", lang), str(w["n_raised"])))
    parts = [el("h2", t("rpt.sec.warnings", lang)),
             el("p", t("rpt.warn.raised", lang, n=w["n_raised"], p=w["previous_raised"], r=w["resolved"],
                       d=w["dismissed"], o=w["open"])),
             table((t("rpt.col.level", lang), t("rpt.col.count", lang)), levels, cls="narrow",
                   caption=t("rpt.warn.by_level", lang), numeric=(1,))]
    issues = w["issues"]
    parts.append(el("h3", t("rpt.warn.issues", lang, n=min(len(issues), w["n_issues"]), m=w["n_issues"])
                    if w["n_issues"] else t("rpt.warn.issues_title", lang)))
    if issues.empty:
        parts.append(el("p", t("rpt.warn.no_issues", lang), "note"))
    else:
        rows = [(text(r["title"]), _place(r), name_of(r, lang, "category"), str(int(r["evidence_count"] or 0)),
                 t(f"warning.level.short.{r['level']}", lang), t(f"warning.status.{r['status']}", lang),
                 at_text(r["opened_at"])) for r in issues.to_dict("records")]
        parts.append(table((t("rpt.col.title", lang), t("rpt.col.place", lang), t("rpt.col.category", lang),
                            t("rpt.col.evidence", lang), t("rpt.col.level", lang), t("rpt.col.status", lang),
                            t("rpt.col.opened", lang)), rows,
                           widths=("27%", "17%", "14%", "9%", "7%", "10%", "16%"), numeric=(3,)))
    overdue = w["overdue"]
    parts.append(el("h3", t("rpt.warn.overdue", lang, n=len(overdue))))
    if not overdue.empty:
        parts.append(_warning_rows(overdue.head(OVERDUE_LIST), lang, c, rule_label))
        if len(overdue) > OVERDUE_LIST:
            parts.append(el("p", t("rpt.warn.overdue_more", lang, n=len(overdue) - OVERDUE_LIST), "note"))
    return el("section", parts, "warnings")


def _warning_rows(df: pd.DataFrame, lang: str, c: ReportContent, rule_label: Any) -> Markup:
    rows = [(t(f"warning.level.short.{r['level']}", lang), rule_label(r["rule"], lang), text(r["title"]), _place(r),
             at_text(r["ack_due_at"]), _late(r["ack_due_at"], c, lang)) for r in df.to_dict("records")]
    return table((t("rpt.col.level", lang), t("rpt.col.kind", lang), t("rpt.col.title", lang), t("rpt.col.place", lang),
                  t("rpt.col.due", lang), t("rpt.col.late", lang)), rows,
                 widths=("7%", "15%", "32%", "18%", "15%", "13%"))


def _late(due: Any, c: ReportContent, lang: str) -> str:
    if missing(due):
        return "—"
    minutes = (pd.Timestamp(c.now) - pd.Timestamp(due)).total_seconds() / 60
    return _hours(minutes, lang) if minutes >= 60 else _minutes(minutes, lang)


def orders_section(c: ReportContent, lang: str, num: Numbering) -> Markup:
    from figures.orders import response_bars

    times = c.orders["times"]
    a = _all_row(times)
    parts = [el("h2", t("rpt.sec.orders", lang))]
    if not a or not a.get("orders"):
        parts.append(el("p", t("rpt.orders.none", lang), "note"))
    else:
        parts.append(el("p", t("rpt.orders.summary", lang, n=int(a["orders"]), p=int(a.get("prev_orders") or 0),
                               a=int(a["acknowledged"]), r=int(a["resolved"]), o=int(a["overdue"]),
                               mtta=_minutes(a["mtta_minutes"], lang), pmtta=_minutes(a.get("prev_mtta_minutes"), lang),
                               mttr=_hours(a["mttr_minutes"], lang), pmttr=_hours(a.get("prev_mttr_minutes"), lang))))
        depts = times[times["key"] != "all"]
        rows = [(name_of(r, lang), str(int(r["orders"])), str(int(r["acknowledged"])), fmt(r["mtta_minutes"], "score"),
                 str(int(r["resolved"])), "—" if missing(r["mttr_minutes"]) else fmt(float(r["mttr_minutes"]) / 60, "hour"),
                 str(int(r["overdue"])), str(int(r["reopened"]))) for r in depts.to_dict("records")]
        parts.append(table((t("rpt.col.department", lang), t("rpt.col.orders", lang), t("rpt.col.acknowledged", lang),
                            t("rpt.col.mtta", lang), t("rpt.col.resolved", lang), t("rpt.col.mttr", lang),
                            t("rpt.col.overdue", lang), t("rpt.col.reopened", lang)), rows,
                           caption=t("rpt.orders.by_department", lang), numeric=(1, 2, 3, 4, 5, 6, 7),
                           widths=("24%", "10%", "11%", "12%", "10%", "12%", "10%", "11%")))
        if not depts.empty:
            labels = [name_of(r, lang) for r in depts.to_dict("records")]
            fig = response_bars(depts, labels, lang=lang)
            parts.append(figure(charts.chart(fig, height=max(200, 24 * len(depts) + 80), legend=False),
                                t("rpt.fig.orders", lang, n=num.next_fig())))
    overdue = c.orders["overdue"]
    parts.append(el("h3", t("rpt.orders.overdue", lang, n=len(overdue))))
    if not overdue.empty:
        parts.append(_order_rows(overdue.head(OVERDUE_LIST), lang, c))
        if len(overdue) > OVERDUE_LIST:
            parts.append(el("p", t("rpt.more_rows", lang, n=len(overdue), m=OVERDUE_LIST), "note"))
    return el("section", parts, "orders")


def _order_rows(df: pd.DataFrame, lang: str, c: ReportContent) -> Markup:
    rows = [(f"#{int(r['id'])}", text(r["title"]), name_of(r, lang, "department"), _place(r),
             t(f"order.status.{r['status']}", lang), at_text(r["resolve_due_at"]),
             "—" if missing(r.get("late_minutes")) else _hours(r["late_minutes"], lang) if r["late_minutes"] >= 60
             else _minutes(r["late_minutes"], lang)) for r in df.to_dict("records")]
    return table(("#", t("rpt.col.title", lang), t("rpt.col.department", lang), t("rpt.col.place", lang),
                  t("rpt.col.status", lang), t("rpt.col.due", lang), t("rpt.col.late", lang)), rows,
                 widths=("7%", "28%", "15%", "16%", "9%", "14%", "11%"))


def _score_text(r: dict, lang: str) -> str:
    if not missing(r.get("score")):
        return fmt(r["score"], "score")
    return t("rpt.rank.insufficient" if r.get("insufficient") else "rpt.rank.nothing_due", lang)


def ranking_section(c: ReportContent, lang: str, num: Numbering, settings: Any) -> Markup:
    from figures.score import score_bars

    parts = [el("h2", t("rpt.sec.ranking", lang))]
    df = c.ranking
    if df.empty:
        parts.append(el("p", t("rpt.rank.none", lang), "note"))
        return el("section", parts, "ranking")
    rows = [("—" if missing(r.get("rank")) else str(int(r["rank"])), name_of(r, lang), str(int(r["cases"])),
             _score_text(r, lang), "—" if missing(r.get("grade")) else str(r["grade"])) for r in df.to_dict("records")]
    parts.append(table((t("rpt.col.rank", lang), t("rpt.col.department", lang), t("rpt.col.cases", lang),
                        t("rpt.col.score", lang), t("rpt.col.grade", lang)), rows, cls="narrow-wide",
                       widths=("10%", "40%", "14%", "20%", "16%"), numeric=(0, 2, 3)))
    w = {k: fmt(v) for k, v in settings.weights.items()}
    parts.append(el("p", t("rpt.rank.formula", lang, m=settings.min_sample, a=w.get("acknowledged_on_time"),
                           b=w.get("arrived_on_time"), c=w.get("resolved"), d=w.get("resolved_on_time"),
                           e=w.get("satisfaction"), f=w.get("reopened")), "note"))
    scored = [v for v in df["score"] if not missing(v)]
    if scored:
        n = len(scored)
        parts.append(figure(charts.chart(score_bars(df, lang=lang), height=max(160, 26 * n + 50), legend=False),
                            t("rpt.fig.ranking", lang, n=num.next_fig())))
    for d in c.bottom_cases:
        parts.append(el("h3", t("rpt.rank.bottom", lang, dept=name_of(d, lang), score=_score_text(d, lang),
                                grade=or_dash(d.get("grade")))))
        rows = []
        for x in d["cases_list"]:
            rows.append((at_text(x["created_at"]), text(x.get("title")), _step(x, "ack", lang), _step(x, "arrive", lang),
                         _step(x, "resolve", lang), "—" if missing(x.get("rating")) else str(int(x["rating"])),
                         t("rpt.counted.yes" if x.get("counted") else "rpt.counted.no", lang)))
        parts.append(table((t("rpt.col.summoned", lang), t("rpt.col.title", lang), t("rpt.col.ack", lang),
                            t("rpt.col.arrive", lang), t("rpt.col.resolve", lang), t("rpt.col.rating", lang),
                            t("rpt.col.counted", lang)), rows,
                           widths=("16%", "36%", "10%", "10%", "10%", "9%", "9%"), numeric=(5,)))
    return el("section", parts, "ranking")


def _step(x: dict, step: str, lang: str) -> str:
    ok = x.get("ack_ok" if step == "ack" else "arrive_ok" if step == "arrive" else "resolve_ok")
    if not x.get(f"{step}_due"):
        return t("rpt.step.not_due", lang)
    return t("rpt.step.met" if ok else "rpt.step.late", lang)


def decisions_section(c: ReportContent, lang: str, num: Numbering) -> Markup:
    rule_label = c.rule_label
    d = c.decisions
    parts = [el("h2", t("rpt.sec.decisions", lang)), el("p", t("rpt.dec.intro", lang), "note")]
    anything = False
    if not d["red_warnings"].empty:
        anything = True
        parts.append(el("h3", t("rpt.dec.red_warnings", lang, n=len(d["red_warnings"]))))
        parts.append(_warning_rows(d["red_warnings"].head(OVERDUE_LIST), lang, c, rule_label))
    if not d["red_orders"].empty:
        anything = True
        parts.append(el("h3", t("rpt.dec.red_orders", lang, n=len(d["red_orders"]))))
        parts.append(_order_rows(d["red_orders"].head(OVERDUE_LIST), lang, c))
    for key, rows in (("late_whistles", d["late_whistles"]), ("contests", d["contests"])):
        if rows:
            anything = True
            parts.append(el("h3", t(f"rpt.dec.{key}", lang, n=len(rows))))
            parts.append(_whistle_rows(rows, lang, contests=key == "contests"))
    if d["flagged"]:
        anything = True
        parts.append(el("h3", t("rpt.dec.flagged", lang, n=len(d["flagged"]))))
        parts.append(table((t("rpt.col.category", lang), t("rpt.col.department", lang), t("rpt.col.title", lang),
                            t("rpt.col.reason", lang)),
                           [(name_of(r, lang, "category") or r.get("category_code") or "",
                             name_of(r, lang, "department") or r.get("department_code") or "", text(r.get("title")),
                             text(r.get("reason"))) for r in d["flagged"]], widths=("20%", "18%", "32%", "30%")))
    if d["gaps"]:
        anything = True
        parts.append(el("h3", t("rpt.dec.gaps", lang, n=len(d["gaps"]))))
        parts.append(table((t("rpt.col.category", lang), t("rpt.col.board", lang), t("rpt.col.rows", lang)),
                           [(name_of(r, lang) or r.get("code"), t(f"board.{r['board']}", lang), str(int(r.get("rows") or 0)))
                            for r in d["gaps"]], widths=("50%", "30%", "20%"), numeric=(2,)))
    if not anything:
        parts.append(el("p", t("rpt.dec.nothing", lang)))
    return el("section", parts, "decisions")


def _whistle_rows(rows: list[dict], lang: str, *, contests: bool) -> Markup:
    out = []
    for w in rows[:OVERDUE_LIST]:
        summoned = []
        for s in w.get("summons", []):
            dept = s.get(f"department_{lang}") or s.get("department_code") or ""
            late = s.get("late") or []
            if contests and s.get("status") == "contested":
                summoned.append(f"{dept}: {text(s.get('contest_reason'))}")
            elif late:
                steps = "、".join(t(f"dept.step.{x}", lang) for x in late) if lang == "zh" else \
                    ", ".join(t(f"dept.step.{x}", lang) for x in late)
                late_text = t("rpt.dec.late_steps", lang, steps=steps)
                summoned.append(f"{dept}（{late_text}）" if lang == "zh" else f"{dept} ({late_text})")
        place = " · ".join(x for x in (text(w.get("village_name")), text(w.get("grid_name"))) if x)
        out.append((f"#{int(w['id'])}", text(w.get("title")), place, at_text(w.get("created_at")),
                    "；".join(summoned) if lang == "zh" else "; ".join(summoned)))
    return table(("#", t("rpt.col.title", lang), t("rpt.col.place", lang), t("rpt.col.summoned", lang),
                  t("rpt.col.summons", lang)), out, widths=("7%", "30%", "16%", "15%", "32%"))


def appendix(c: ReportContent, lang: str) -> Markup:
    from cockpit.reference import DEPARTMENTS

    names = {d.code: (d.name_zh, d.name_en) for d in DEPARTMENTS}
    parts = [el("h2", t("rpt.sec.appendix", lang)),
             el("p", t("rpt.app.intro", lang, at=at_text(c.now), m=c.stale_after_minutes), "note")]
    df = c.sources
    if df.empty:
        parts.append(el("p", t("rpt.fresh_none", lang)))
    else:
        rows = []
        for r in df.to_dict("records"):
            never = missing(r.get("last_success"))
            fresh = t("rpt.fresh.never" if never else "rpt.fresh.stale" if r["stale"] else "rpt.fresh.ok", lang)
            dept = names.get(r["department"], (r["department"], r["department"]))[0 if lang == "zh" else 1]
            rows.append((r["source"], dept, at_text(r.get("last_success")), or_dash(r.get("last_status")),
                         (fresh, "bad" if r["stale"] else "neutral"), str(int(r.get("open_issues") or 0))))
        parts.append(table((t("rpt.col.source", lang), t("rpt.col.department", lang), t("rpt.col.last_success", lang),
                            t("rpt.col.last_status", lang), t("rpt.col.freshness", lang), t("rpt.col.issues", lang)),
                           rows, widths=("22%", "22%", "20%", "12%", "12%", "12%"), numeric=(5,)))
    parts.append(el("p", t("rpt.app.method", lang), "note"))
    return el("section", parts, "appendix")


# ---------------------------------------------------------------- the document
def html_document(c: ReportContent, lang: str, *, score_settings: Any) -> str:
    """The whole report as one HTML document (charts inline as SVG)."""
    num = Numbering()
    town = c.township["name"]
    empty_note = el("p", t("rpt.empty", lang, week=c.week), "empty-note") if c.empty else Markup("")
    body: list[Markup] = [cover(c, lang, empty_note)]
    quiet()
    with charts.svg_session():
        if not c.empty:
            body += [summary(c, lang, num), board_section(c, lang, num), warnings_section(c, lang, num),
                     orders_section(c, lang, num), ranking_section(c, lang, num, score_settings),
                     decisions_section(c, lang, num)]
        else:
            body += [summary(c, lang, num), decisions_section(c, lang, num)]
    body.append(appendix(c, lang))
    footer = t("rpt.footer", lang, town=town, week=c.week)
    page_word = t("rpt.page", lang, n="\u0001", m="\u0002")  # counters placed by CSS
    before, rest = page_word.split("\u0001")
    middle, after = rest.split("\u0002")
    style = (f'@page {{ @bottom-left {{ content: "{_css_string(footer)}"; }} '
             f'@bottom-right {{ content: "{_css_string(before)}" counter(page) "{_css_string(middle)}" counter(pages) '
             f'"{_css_string(after)}"; }} }}')
    title = t("rpt.doc_title", lang, town=town, week=c.week)
    head = Markup(f'<meta charset="utf-8"><title>{escape(title)}</title>'
                  f'<meta name="author" content="{escape(t("app.title", lang))}">'
                  f'<meta name="generator" content="{escape(t("app.title", lang))}">'
                  f'<style>{style}</style>')
    return str(Markup(f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>') + head +
               Markup("</head><body>") + Markup("").join(body) + Markup("</body></html>"))


def _css_string(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def quiet() -> None:
    """Keep the typesetter's and the chart browser's chatter out of the command's output: WeasyPrint
    logs every SVG presentation property it hands to its SVG renderer, and its progress."""
    import logging

    for name in ("weasyprint", "weasyprint.progress", "fontTools", "choreographer", "kaleido"):
        logging.getLogger(name).setLevel(logging.ERROR)


def pdf_bytes(html: str) -> tuple[bytes, int]:
    """The PDF of ``html`` with the report stylesheet, and its number of pages."""
    from weasyprint import CSS as WCSS, HTML

    quiet()
    doc = HTML(string=html, base_url=str(CSS.parent)).render(stylesheets=[WCSS(filename=str(CSS))])
    return doc.write_pdf(), len(doc.pages)
