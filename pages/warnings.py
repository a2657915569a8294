"""预警中心 warning center ``/warnings``: the warnings of the viewer's scope, filtered by level, rule,
board, village, status, period (on the time opened) and muted, all in the URL; the counts per level
filter when clicked. ``/warnings?id=N`` is one warning's page (``pages._warning_detail``) with its
actions (``pages._warning_actions``)."""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, dcc, html

from cockpit.i18n import t
from cockpit.periods import PERIODS
from cockpit.reference import BOARDS
from pages._access import allowed, denied_notice, guarded
from pages._filters import list_filter_href
from pages._common import current_lang, engine, href, now
from pages._scope import current_scope
from pages._warning_detail import detail_page
from pages._warning_widgets import category_label, known_rules, level_chip, place_label, rule_label, status_label, when
from pages._widgets import fmt, notices, panel
from queries import areas
from queries import warnings as qw
from queries._base import reading

dash.register_page(__name__, path="/warnings", title="基层智治驾驶舱 · 预警中心", nav="nav.warnings",
                   icon="exclamation-triangle", order=1, nav_group="work")

LIMIT = 200
FILTER_KEYS = ("level", "rule", "board", "village", "status", "period", "muted")


def layout(lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed("warnings"):
        return denied_notice(lang)
    if query.get("id") is not None:
        return detail_page(query, lang)
    scope = current_scope()
    with reading(engine()) as db:
        rules = tuple(sorted(set(known_rules()) | set(qw.rule_names(db, scope))))
        f, bad = qw.parse_warning_filters(query, now(), rules=rules)
        town = areas.home_township(db, scope)
        villages = areas.children(db, scope, town["code"]) if town else None
        counts = qw.level_counts(db, scope, f)
        total = qw.count_warnings(db, scope, f)
        rows = qw.warning_list(db, scope, f, limit=LIMIT)
    base = f.to_query()
    return html.Div([
        html.Div([html.H4([html.I(className="bi bi-exclamation-triangle me-2"), t("warning.title", lang)])],
                 className="page-title"),
        notices(bad, lang),
        _filter_bar(f, lang, rules, villages),
        dcc.Store(id="wc-state", data={"query": base, "lang": lang}),
        dcc.Location(id="wc-go", refresh="callback-nav"),
        html.Div([_count_chip(level, counts[level], f, base, lang) for level in qw.LEVELS]
                 + [html.Small(t("warning.counts_hint", lang), className="panel-note align-self-center")],
                 className="wc-counts", id="wc-counts"),
        panel(t("warning.list_capped", lang, n=total, m=LIMIT) if total > LIMIT else t("warning.list", lang, n=total),
              _table(rows, lang, base)),
    ], className="page warnings-page")


def _count_chip(level: str, n: int, f: qw.WarningFilters, base: dict, lang: str) -> dcc.Link:
    chosen = f.level == level
    params = {**base, "level": None if chosen else level, "lang": lang}
    return dcc.Link([level_chip(level, lang), html.B(fmt(n), className="wc-count-n")], href=href("/warnings", params),
                    id=f"wc-count-{level}", className=f"wc-count lv-border-{level}" + (" active" if chosen else ""),
                    title=t("warning.counts_hint", lang))


def _filter_bar(f: qw.WarningFilters, lang: str, rules: tuple[str, ...], villages) -> html.Div:  # noqa: ANN001
    def options(pairs) -> list[dict]:  # noqa: ANN001
        return [{"label": t("filter.all", lang), "value": ""}] + [{"label": str(lbl), "value": v} for v, lbl in pairs]

    def dd(key: str, opts: list[dict], value: str | None) -> html.Div:
        return html.Div([html.Label(t(f"warning.filter.{key}", lang), htmlFor=f"wc-{key}"),
                         dcc.Dropdown(id={"role": "wfilter", "key": key}, options=opts, value=value or "",
                                      clearable=False)], className="filter")

    statuses = [{"label": status_label(s, lang), "value": "" if s == "open" else s} for s in qw.STATUS_CHOICES]
    periods = [{"label": t("warning.filter.any_time", lang), "value": ""}] + [
        {"label": t(f"period.{p}", lang), "value": p} for p in PERIODS if p != "custom"]
    return html.Div([
        dd("level", options((lv, t(f"warning.level.{lv}", lang)) for lv in qw.LEVELS), f.level),
        dd("rule", options((r, rule_label(r, lang)) for r in rules), f.rule),
        dd("board", options((b, t(f"board.{b}", lang)) for b in BOARDS), f.board),
        dd("village", options(zip(villages["code"], villages["name"]) if villages is not None else []), f.village),
        html.Div([html.Label(t("warning.filter.status", lang), htmlFor="wc-status"),
                  dcc.Dropdown(id={"role": "wfilter", "key": "status"}, options=statuses,
                               value="" if f.status == "open" else f.status, clearable=False)], className="filter"),
        html.Div([html.Label(t("warning.filter.period", lang), htmlFor="wc-period"),
                  dcc.Dropdown(id={"role": "wfilter", "key": "period"}, options=periods,
                               value=f.period if f.period != "custom" else "", clearable=False)], className="filter"),
        dd("muted", options((m, t(f"warning.muted.{m}", lang)) for m in qw.MUTED_CHOICES), f.muted),
        html.Div(t("filter.copy_hint", lang), className="range-note"),
    ], className="filters")


def _table(rows, lang: str, base: dict) -> html.Div:  # noqa: ANN001
    if rows.empty:
        return html.Div(t("warning.none", lang), className="text-secondary py-2", id="wc-empty")
    heads = ("level", "rule", "place", "category", "title", "status", "muted", "opened", "last_matched", "evidence")
    body = []
    for r in rows.to_dict("records"):
        link = href("/warnings", {"id": str(r["id"]), "lang": lang})
        muted = r.get("silence_id") is not None and r["silence_id"] == r["silence_id"]
        body.append(html.Tr([
            html.Td(level_chip(r["level"], lang, short=True)),
            html.Td(dcc.Link(rule_label(r["rule"], lang), href=link, id=f"wc-open-{r['id']}")),
            html.Td(place_label(r, lang)),
            html.Td(category_label(r, lang)),
            html.Td(dcc.Link(r["title"], href=link, className="wc-title")),
            html.Td(html.Span(status_label(r["status"], lang), className=f"wst wst-{r['status']}")),
            html.Td(html.Span([html.I(className="bi bi-bell-slash me-1"), t("warning.muted", lang)], className="wc-muted")
                    if muted else ""),
            html.Td(when(r["opened_at"]), className="text-nowrap"),
            html.Td(when(r["last_matched_at"]), className="text-nowrap"),
            html.Td(fmt(r["evidence_count"]), className="text-end"),
        ], className=f"wc-row lv-row-{r['level']}"))
    return html.Div(html.Table([html.Thead(html.Tr([html.Th(t(f"warning.col.{h}", lang)) for h in heads])),
                                html.Tbody(body)], className="table table-sm table-hover wc-table", id="wc-table"),
                    className="records")


@dash.callback(Output("wc-go", "href"), Input({"role": "wfilter", "key": ALL}, "value"), State("wc-state", "data"),
               prevent_initial_call=True)
@guarded("warnings")
def apply_filters(values, state):  # noqa: ANN001
    return list_filter_href(values, state, "/warnings", FILTER_KEYS)
