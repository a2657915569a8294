"""A department's page ``/departments/<code>``: its score in a period with each term, its trend over
the last 8 periods (样本不足 periods are gaps, not zero) and every case behind the score — when it
was summoned and to which whistle, each step's time against its deadline (met, late, not due), the
rating, reworks, a contest and why a case is not counted — each with its timeline.

A department liaison opens only their own department's page (others: a clear refusal, audited);
everyone else with ``browse`` opens any. The period and township bar and the formula are the
ranking's (``pages.ranking``).
"""

from __future__ import annotations

from typing import Any, Mapping

import dash
from dash import dcc, html

from cockpit.auth.refusals import audit_refusal
from cockpit.i18n import t
from figures.score import score_trend
from pages._access import allowed, denied_notice
from pages._common import config, current_lang, engine, href, now
from pages._scope import current_scope
from pages._summons_widgets import (
    department_name,
    grade_chip,
    role_label,
    score_text,
    summons_action_label,
    summons_status_chip,
)
from pages._widgets import notices, panel
from pages.ranking import TERMS, choose_township, formula, period_bar, term_cell
from queries import score as qs
from queries._base import reading
from web import current_user
from web.request import request_ip, request_now

dash.register_page(__name__, path_template="/departments/<code>", title="基层智治驾驶舱 · 部门考核")

STEPS = (("ack", "acknowledged_at", "ack_due_at"), ("arrive", "arrived_at", "arrive_due_at"),
         ("resolve", "resolved_at", "resolve_due_at"))


def _at(v: Any) -> str:
    return v.strftime("%m-%d %H:%M") if v is not None else ""


def _refused(code: str, own: str, lang: str) -> html.Div:
    user = current_user()
    with engine().begin() as conn:
        audit_refusal(conn, user.username if user else "anonymous", "department.refused", "department", code[:40],
                      {"reason": "not own department"}, ip=request_ip(), now=request_now())
    return html.Div([html.H4([html.I(className="bi bi-shield-lock me-2"), t("access.denied", lang)]),
                     html.P(t("dept.own_only", lang, own=own), id="dept-refused"),
                     dcc.Link(t("dept.back", lang), href=href("/ranking", {"lang": lang}))],
                     className="page access-denied")


def _score_panel(row: Mapping[str, Any] | None, n_scored: int, settings: Any, lang: str) -> html.Div:
    if row is None:
        return html.Div(t("dept.not_summoned", lang), className="text-secondary py-2", id="dept-not-summoned")
    head = html.Div([
        html.Span(score_text(row["score"], lang, bool(row["insufficient"])), className="dept-score", id="dept-score"),
        grade_chip(row["grade"], lang, bool(row["insufficient"]), id="dept-grade"),
        html.Span(t("dept.rank", lang, rank=row["rank"], n=n_scored), className="dept-rank", id="dept-rank")
        if row["rank"] is not None else None,
        html.Span([t("score.col.cases", lang), " ", html.B(str(row["cases"]), id="dept-cases")], className="dept-rank"),
        html.Span(t("score.excused_n", lang, n=row["excused"]), className="dept-rank", id="dept-excused")
        if row["excused"] else None,
    ], className="dept-head")
    rows = [html.Tr([html.Td(t(f"score.term.{term}", lang)),
                     html.Td(("−" if term == "reopened" else "") + f"{settings.weights[term]:g}", className="text-end"),
                     html.Td(term_cell(row, term, lang), className="text-end rk-term", id=f"dept-{term}")])
            for term in TERMS]
    return html.Div([head, html.Table(html.Tbody(rows), className="table table-sm dept-terms")])


def _step(r: Mapping[str, Any], step: str, done_col: str, due_col: str, lang: str) -> html.Div:
    done = r[done_col]
    if not r["counted"]:
        verdict = None
    elif r[f"{step}_ok"]:
        verdict = html.Span(t("dept.met", lang), className="dept-v dept-met")
    elif r[f"{step}_due"]:
        verdict = html.Span(t("dept.late", lang), className="dept-v dept-late")
    else:
        verdict = html.Span(t("dept.not_due", lang), className="dept-v dept-not-due")
    return html.Div([html.B(t(f"dept.step.{step}", lang)), " ", verdict,
                     html.Div(t("dept.done_at", lang, at=_at(done)) if done else t("dept.not_done", lang), className="small"),
                     html.Div(t("dept.due_at", lang, at=_at(r[due_col])), className="small text-secondary")],
                    className="dept-step", id=f"dept-step-{r['id']}-{step}")


def _counted(r: Mapping[str, Any], lang: str) -> html.Div:
    reason = r.get("contest_reason")
    if r["status"] == "excused":
        parts = [t("dept.excused", lang)] + ([" · ", t("dept.reason", lang, reason=reason)] if reason else [])
        return html.Div(parts, className="dept-not-counted", id=f"dept-counted-{r['id']}")
    if r["status"] == "cancelled":
        return html.Div(t("dept.cancelled", lang), className="dept-not-counted", id=f"dept-counted-{r['id']}")
    parts: list = [html.Span(t("dept.counted", lang), className="dept-counted")]
    outcome = r.get("contest_outcome")
    if outcome in ("pending", "rejected"):
        parts += [" · ", t("dept.contest_pending" if outcome == "pending" else "dept.contest_rejected", lang)]
        if reason:
            parts += [" · ", t("dept.reason", lang, reason=reason)]
    return html.Div(parts, id=f"dept-counted-{r['id']}")


def _timeline(log: list[dict], lang: str) -> html.Details:
    items = [html.Li([html.Span(_at(x["at"]), className="text-secondary me-2"), html.B(summons_action_label(x["action"], lang)),
                      f" · {x['actor']}", f" · {t('summons.rating', lang)} {x['rating']}" if x.get("rating") else "",
                      html.Div(x["note"], className="small") if x.get("note") else None]) for x in log]
    return html.Details([html.Summary(t("dept.timeline", lang, n=len(log))), html.Ol(items, className="dept-log")],
                        className="dept-timeline")


def _case(r: Mapping[str, Any], lang: str) -> html.Div:
    rating = t("dept.rating_none", lang) if r["rating"] is None else f"{r['rating']} / 5"
    return html.Div([
        html.Div([
            html.Span(_at(r["created_at"]), className="text-secondary me-2"),
            dcc.Link(f"#{r['whistle_id']} {r['title']}", href=f"/whistles/{r['whistle_id']}", id=f"dept-whistle-{r['id']}"),
            html.Span(role_label(r["role"], lang), className="badge text-bg-light ms-2"),
            html.Span(t("summons.urgent", lang), className="badge text-bg-danger ms-1") if r["urgent"] else None,
            html.Span(summons_status_chip(r["status"], lang), className="ms-2"),
        ], className="dept-case-head"),
        html.Div([_step(r, step, done, due, lang) for step, done, due in STEPS] + [
            html.Div([html.B(t("dept.col.rating", lang)), html.Div(rating, className="small", id=f"dept-rating-{r['id']}"),
                      html.Div(t("dept.reopened", lang, n=r["reopen_count"]), className="small dept-late-text")
                      if r["reopen_count"] else None], className="dept-step"),
            html.Div([html.B(t("dept.col.counted", lang)), _counted(r, lang)], className="dept-step"),
        ], className="dept-steps"),
        _timeline(r["log"], lang),
    ], className="dept-case" + ("" if r["counted"] else " dept-case-out"), id=f"dept-case-{r['id']}")


def layout(code: str | None = None, lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed("department"):
        return denied_notice(lang)
    code = (code or "").strip()
    scope, at = current_scope(), now()
    if scope.departments is not None and code not in scope.departments:
        own = "、".join(department_name(d, lang) for d in sorted(scope.departments)) or "—"
        return _refused(code, own, lang)
    settings = qs.settings(config())
    with reading(engine()) as db:
        info = qs.department_info(db, code)
        if info is None:
            return html.Div([html.H4(t("dept.unknown", lang, code=code[:40]), id="dept-unknown"),
                             dcc.Link(t("dept.back", lang), href=href("/ranking", {"lang": lang}))], className="page")
        sp, bad = qs.parse_period(query, at)
        township, offered = choose_township(db, scope, query.get("township"), bad)
        ranking = qs.ranking(db, sp.period, at, settings, township=township)
        trend = qs.trend(db, code, sp.period, at, settings, township=township)
        cases = qs.cases(db, code, sp.period, at, township=township)
    explicit = township == query.get("township")
    rows = ranking[ranking["department"] == code].to_dict("records")
    n_scored = sum(1 for v in ranking["score"] if v is not None)
    name = info[f"name_{lang}"] or code
    body = [_case(r, lang) for r in cases] or [html.Div(t("dept.no_cases", lang), className="text-secondary py-2",
                                                         id="dept-no-cases")]
    return html.Div([
        html.Div([html.H4([html.I(className="bi bi-building me-2"), t("dept.title", lang, name=name)], id="dept-title"),
                  dcc.Link(t("dept.back", lang), href=href("/ranking", {"period": sp.name, "lang": lang,
                                                                         "township": township if explicit else None}))],
                 className="page-title"),
        notices(bad, lang),
        period_bar(f"/departments/{code}", sp, township, offered, explicit, lang),
        html.Div([
            panel(t("dept.terms", lang), _score_panel(rows[0] if rows else None, n_scored, settings, lang)),
            panel(t("dept.trend", lang, n=qs.TREND_PERIODS),
                  dcc.Graph(id="dept-trend", figure=score_trend(trend, lang=lang),
                            config={"displayModeBar": False, "responsive": True}, className="rk-fig")),
        ], className="rk-top"),
        panel(t("dept.cases", lang, n=len(cases)), html.Div(body, id="dept-cases-list")),
        html.Details([html.Summary(t("ranking.formula", lang)), formula(settings, lang)], className="dept-formula"),
    ], className="page department-page", id="department-page")
