"""红黑榜 ``/ranking``: the department score (SPEC §10) of a week, month or quarter for one township —
the formula written out from the configured weights, every department's counted cases, each term's
share and points, its score and grade (红榜 at the top, 黑榜 at the bottom, 样本不足 after the ranked
ones) and a bar of the scores (``figures.score``, also on the big screen). The period and the
township are URL parameters (``queries.score.parse_period``); the period and township bar and the
formula are shared with a department's page (``pages.department``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping

import dash
from dash import dcc, html

from cockpit.i18n import t
from cockpit.scope import Scope
from cockpit.whistles.settings import GRADES, ScoreSettings
from figures.score import score_bars
from pages._access import allowed, denied_notice
from pages._common import config, current_lang, engine, href, now
from pages._scope import current_scope
from pages._summons_widgets import grade_chip, score_text
from pages._widgets import notices, panel
from queries import areas
from queries import score as qs
from queries._base import reading

dash.register_page(__name__, path="/ranking", title="基层智治驾驶舱 · 红黑榜", nav="ranking.nav", icon="trophy",
                   order=1, nav_group="ranking")

TERMS = qs.TERMS  # acknowledged_on_time, arrived_on_time, resolved, resolved_on_time, satisfaction, reopened
GROUPS = (("response", ("acknowledged_on_time", "arrived_on_time")), ("resolution", ("resolved", "resolved_on_time")),
          ("satisfaction", ("satisfaction",)))
LISTED = 3  # rows on the 红榜 and on the 黑榜: at most a third of the scored departments each


# ---------------------------------------------------------------- shared with pages.department
def choose_township(db: Any, scope: Scope, value: str | None, bad: list[str]) -> tuple[str | None, list[dict]]:
    """The township of the page (``value`` if the viewer reaches it, else the viewer's home township)
    and the townships to offer."""
    offered = [r for r in qs.townships(db) if scope.allows_navigating(r["code"])]
    if value:
        if any(r["code"] == value for r in offered):
            return value, offered
        bad.append("township")
    home = areas.home_township(db, scope)
    return (home["code"] if home else (offered[0]["code"] if offered else None)), offered


def period_bar(path: str, sp: qs.ScorePeriod, township: str | None, offered: list[dict], explicit_town: bool,
               lang: str) -> html.Div:
    """Week / month / quarter, previous and next, the named period (running or ended) and, for a
    viewer who reaches several townships, the township."""
    keep = {"township": township if explicit_town else None, "lang": lang}

    def link(label: Any, params: Mapping[str, str | None], cls: str, link_id: str) -> dcc.Link:
        return dcc.Link(label, href=href(path, {**params, **keep}), className=cls, id=link_id)

    kinds = [link(t(f"ranking.kind.{k}", lang), {"kind": k}, "btn btn-sm " + ("btn-primary" if sp.kind == k
                                                                               else "btn-outline-primary"), f"rk-kind-{k}")
             for k in qs.KINDS]
    p = sp.period
    end = p.end - timedelta(days=1)
    state = t("ranking.running" if sp.running else "ranking.ended", lang, at=sp.as_of.strftime("%Y-%m-%d %H:%M"))
    nav = [link([html.I(className="bi bi-chevron-left me-1"), t("ranking.previous", lang)], {"period": sp.previous},
                "btn btn-sm btn-outline-secondary", "rk-prev"),
           html.Span([html.B(t("ranking.period", lang, name=p.name, start=p.start.isoformat(), end=end.isoformat())),
                      html.Span(state, className="rk-state rk-running" if sp.running else "rk-state", id="rk-state")],
                     className="rk-period", id="rk-period"),
           link([t("ranking.next", lang), html.I(className="bi bi-chevron-right ms-1")], {"period": sp.following},
                "btn btn-sm btn-outline-secondary", "rk-next") if sp.following else
           html.Span(t("ranking.next", lang), className="btn btn-sm btn-outline-secondary disabled", id="rk-next")]
    towns = None
    if len(offered) > 1:
        towns = html.Div([html.Span(t("ranking.township", lang), className="me-1")] + [
            dcc.Link(r["name"], href=href(path, {"period": sp.name, "township": r["code"], "lang": lang}),
                     id=f"rk-town-{r['code']}",
                     className="btn btn-sm " + ("btn-primary" if r["code"] == township else "btn-outline-primary"))
            for r in offered], className="rk-towns", id="rk-towns")
    return html.Div([html.Div(kinds, className="btn-group rk-kinds"), html.Div(nav, className="rk-nav"), towns],
                    className="rk-bar")


def _w(v: float) -> str:
    return f"{v:g}"


def formula_lines(settings: ScoreSettings, lang: str) -> list[str]:
    """The formula in words from the configured weights: "响应 30 = 20 × 按时签收率 + 10 × 按时到场率", …"""
    w = settings.weights
    lines = []
    for group, terms in GROUPS:
        total = sum(w[k] for k in terms)
        parts = [t("score.formula.satisfaction", lang, w=_w(w[k])) if k == "satisfaction"
                 else f"{_w(w[k])} × {t(f'score.term.{k}', lang)}" for k in terms]
        lines.append(f"{t(f'score.group.{group}', lang)} {_w(total)} = " + " + ".join(parts))
    lines.append(t("score.formula.reopened", lang, w=_w(w["reopened"])))
    return lines


def formula(settings: ScoreSettings, lang: str) -> html.Div:
    g = settings.grades
    return html.Div([
        html.Ul([html.Li(line, className="rk-formula-line") for line in formula_lines(settings, lang)],
                className="rk-formula-lines", id="rk-formula"),
        html.Div(t("score.formula.grades", lang, n=settings.min_sample, **{k: _w(g[k]) for k in GRADES}),
                 className="small", id="rk-grades"),
        html.Div(t("score.formula.cases", lang), className="small text-secondary"),
        html.Div(t("score.formula.due", lang), className="small text-secondary"),
    ], className="rk-formula")


def pct(share: Any) -> str:
    return f"{float(share) * 100:.0f}%"


def term_cell(r: Mapping[str, Any], term: str, lang: str) -> list:
    """A term's points (bold) and its share with the cases behind it; "未到期" when no case was due."""
    share, points, done, due = (r[f"{term}_{k}"] for k in ("share", "points", "done", "due"))
    if share is None:
        return [html.Span("—", className="rk-points"),
                html.Small(t("dept.rating_none" if term == "satisfaction" else "score.not_due", lang), className="rk-share")]
    shown = f"{points:.1f}" if term != "reopened" else f"−{abs(points):.1f}" if points else "0.0"
    detail = (t("score.mean_rating", lang, mean=f"{float(done):.2f}", n=due) if term == "satisfaction"
              else f"{pct(share)} · {t('score.cell', lang, done=int(done), due=due)}")
    return [html.Span(shown, className="rk-points"), html.Small(detail, className="rk-share")]


def _table(df, settings: ScoreSettings, scope: Scope, sp: qs.ScorePeriod, township: str | None, explicit_town: bool,
           lang: str) -> html.Div:
    scored = [r for r in df.to_dict("records") if r["score"] is not None]
    rest = [r for r in df.to_dict("records") if r["score"] is None]
    k = min(LISTED, len(scored) // 3)
    red = {r["department"] for r in scored[:k]}
    black = {r["department"] for r in scored[len(scored) - k:]} if k else set()
    params = {"period": sp.name, "township": township if explicit_town else None, "lang": lang}
    heads = [html.Th(t("score.col.rank", lang)), html.Th(t("score.col.list", lang)), html.Th(t("score.col.department", lang)),
             html.Th(t("score.col.cases", lang), className="text-end")] + [
        html.Th([t(f"score.term.{term}", lang), html.Small(f" ({'−' if term == 'reopened' else ''}{_w(settings.weights[term])})",
                                                          className="rk-weight")], className="text-end")
        for term in TERMS] + [html.Th(t("score.col.score", lang), className="text-end"), html.Th(t("score.col.grade", lang))]
    body = []
    for r in scored + rest:
        code = r["department"]
        name = r[f"name_{lang}"] or code
        may_open = scope.departments is None or code in scope.departments
        listed = (html.Span(t("score.red", lang), className="rk-chip rk-chip-red") if code in red else
                  html.Span(t("score.black", lang), className="rk-chip rk-chip-black") if code in black else "")
        extra = [html.Div(t("score.excused_n", lang, n=r["excused"]), className="rk-sub")] if r["excused"] else []
        if r["open"]:
            extra.append(html.Div(t("score.open_n", lang, n=r["open"]), className="rk-sub"))
        cls = "rk-row" + (" rk-red" if code in red else " rk-black" if code in black else "") + \
            (" rk-insufficient" if r["score"] is None else "")
        body.append(html.Tr([
            html.Td(str(r["rank"]) if r["rank"] is not None else "—", className="rk-rank", id=f"rk-rank-{code}"),
            html.Td(listed),
            html.Td(dcc.Link(name, href=href(f"/departments/{code}", params), id=f"rk-link-{code}") if may_open else name),
            html.Td([html.Span(str(r["cases"]), id=f"rk-cases-{code}"), *extra], className="text-end"),
            *[html.Td(term_cell(r, term, lang), className="text-end rk-term", id=f"rk-{term}-{code}") for term in TERMS],
            html.Td(score_text(r["score"], lang, bool(r["insufficient"])), className="text-end rk-score", id=f"rk-score-{code}"),
            html.Td(grade_chip(r["grade"], lang, bool(r["insufficient"])), id=f"rk-grade-{code}"),
        ], className=cls, id=f"rk-row-{code}"))
    return html.Div(html.Table([html.Thead(html.Tr(heads)), html.Tbody(body)],
                               className="table table-sm rk-table", id="rk-table"), className="records")


def layout(lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed("ranking"):
        return denied_notice(lang)
    scope, at = current_scope(), now()
    settings = qs.settings(config())
    with reading(engine()) as db:
        sp, bad = qs.parse_period(query, at)
        township, offered = choose_township(db, scope, query.get("township"), bad)
        df = qs.ranking(db, sp.period, at, settings, township=township)
    explicit = township == query.get("township")
    n_scored = sum(1 for v in df["score"] if v is not None)
    if df.empty:
        table: Any = html.Div(t("ranking.empty", lang), className="text-secondary py-3", id="rk-empty")
    else:
        table = _table(df, settings, scope, sp, township, explicit, lang)
    return html.Div([
        html.Div([html.H4([html.I(className="bi bi-trophy me-2"), t("ranking.title", lang)])], className="page-title"),
        notices(bad, lang),
        period_bar("/ranking", sp, township, offered, explicit, lang),
        html.Div([
            panel(t("ranking.formula", lang), formula(settings, lang), cls="rk-formula-panel"),
            panel(t("ranking.figure", lang), dcc.Graph(id="rk-fig", figure=score_bars(df, lang=lang),
                                                        config={"displayModeBar": False, "responsive": True},
                                                        className="rk-fig"), cls="rk-fig-panel"),
        ], className="rk-top"),
        panel(t("ranking.table", lang), table,
              extra=html.Small(t("ranking.scored", lang, n=n_scored, m=len(df) - n_scored), className="panel-note")),
    ], className="page ranking-page", id="ranking-page")
