"""周例会报告 ``/reports``: generate the weekly meeting report (SPEC §11) of an ISO week and a township
in Chinese or English, and the archive of every report generated (``cockpit.reports.archive``): week,
township, language, pages, size, when, by whom, how (page, schedule, command line), the checksum's
first characters and the download (``/reports/download/<id>``, ``web.report_downloads``: scoped and
audited on the server).

Generating runs ``cockpit.reports.generate.generate_report`` with the viewer's scope and archives
the PDF as the viewer with the trigger ``page``; the button is disabled while it runs. The archive
lists the reports the viewer's scope may read, newest first; ``?week=2026-W47&township=CODE`` narrows
it and preselects the form. Offered to ``report.generate`` (leaders, operators, board heads,
administrators). Styles: ``assets/reports.css``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import dash
from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from cockpit.i18n import CATALOGUE, t
from cockpit.reports.archive import (
    ArchiveError,
    ArchivedReport,
    SCHEDULER,
    generate_and_archive,
    list_reports,
    normalise_week,
    previous_week,
    recent_weeks,
    week_start,
)
from cockpit.scope import Scope
from pages._access import allowed, denied_notice, guarded
from pages._common import config, current_lang, engine, now
from pages._scope import current_scope
from pages._widgets import notices, panel
from queries import areas
from queries import score as qs
from queries._base import reading
from web import current_user
from web.report_downloads import download_url
from web.request import request_ip

dash.register_page(__name__, path="/reports", title="基层智治驾驶舱 · 周例会报告", nav="reports.nav",
                   icon="file-earmark-pdf", order=1, nav_group="reports")

log = logging.getLogger(__name__)
PAGE = "reports"
WEEKS = 26  # the running week and the 25 before it
LANGS = ("zh", "en")


def _townships(db: Any, scope: Scope) -> list[dict]:
    """The townships the viewer reaches (code, name), the home township first."""
    offered = [r for r in qs.townships(db) if scope.allows_navigating(r["code"])]
    home = areas.home_township(db, scope)
    return sorted(offered, key=lambda r: (home is None or r["code"] != home["code"], r["code"]))


def _week_label(week: str, running: bool, lang: str) -> str:
    start = week_start(week)
    label = t("reports.week_option", lang, week=week, start=start.strftime("%m-%d"),
              end=(start + timedelta(days=6)).strftime("%m-%d"))
    return label + (t("reports.week_running", lang) if running else "")


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{max(1, round(n / 1024))} KB"


def _schedule(lang: str) -> str:
    """When the scheduler makes last week's reports, from ``[scheduler]``: 每周一 07:30."""
    sc = config().settings["scheduler"]
    day = str(sc["report_day_of_week"]).strip().lower()
    key = f"reports.day.{day}"
    return t("reports.when", lang, day=t(key, lang) if key in CATALOGUE else day,
             time=f"{int(sc['report_hour']):02d}:{int(sc['report_minute']):02d}")


def _by(name: str, lang: str) -> str:
    return t("reports.by_scheduler", lang) if name == SCHEDULER else name


def archive_table(entries: list[ArchivedReport], names: dict[str, str], lang: str) -> Any:
    """The archive, newest first: one row per generated report with its download link."""
    if not entries:
        return html.Div(t("reports.archive_empty", lang), className="text-secondary py-2", id="rp-archive-empty")
    heads = ("week", "township", "lang", "pages", "size", "generated_at", "generated_by", "trigger", "sha256", "download")
    rows = []
    for e in entries:
        week = [e.week] + ([html.Span(t("reports.empty_badge", lang), className="rp-badge rp-badge-empty",
                                      title=t("reports.empty_hint", lang))] if e.empty else [])
        rows.append(html.Tr([
            html.Td(week, className="rp-week"),
            html.Td(names.get(e.township or "", e.township) if e.township else t("reports.all_townships", lang)),
            html.Td(t(f"reports.lang.{e.lang}", lang)),
            html.Td(str(e.pages), className="text-end"),
            html.Td(_size(e.bytes), className="text-end"),
            html.Td(e.generated_at.strftime("%Y-%m-%d %H:%M")),
            html.Td(_by(e.generated_by, lang)),
            html.Td(html.Span(t(f"reports.trigger.{e.trigger}", lang), className=f"rp-trigger rp-trigger-{e.trigger}")),
            html.Td(html.Code(e.sha256[:12], title=e.sha256), className="rp-sha"),
            html.Td(html.A([html.I(className="bi bi-download me-1"), t("reports.download", lang)],
                           href=download_url(e.id), id=f"rp-download-{e.id}", className="btn btn-sm btn-outline-primary",
                           **{"data-sha256": e.sha256})),
        ], id=f"rp-row-{e.id}", className="rp-row"))
    return html.Div(html.Table([html.Thead(html.Tr([html.Th(t(f"reports.col.{h}", lang),
                                                            className="text-end" if h in ("pages", "size") else None)
                                                    for h in heads])),
                                html.Tbody(rows)], className="table table-sm rp-table", id="rp-archive"),
                    className="table-responsive")


def _archive(scope: Scope, week: str | None, township: str | None, names: dict[str, str], lang: str) -> Any:
    with engine().connect() as conn:
        entries = list_reports(conn, scope, week=week, township=township)
    return archive_table(entries, names, lang)


def _filters(query: dict[str, str], offered: list[dict], bad: list[str]) -> tuple[str | None, str | None]:
    """The archive's ``week`` and ``township`` from the URL, each dropped (and named in ``bad``) when wrong."""
    week, township = query.get("week") or None, query.get("township") or None
    if week:
        try:
            week = normalise_week(week)
        except ArchiveError:
            bad.append("week")
            week = None
    if township and township not in {r["code"] for r in offered}:
        bad.append("township")
        township = None
    return week, township


def layout(lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed(PAGE):
        return denied_notice(lang)
    scope, at = current_scope(), now()
    with reading(engine()) as db:
        offered = _townships(db, scope)
    bad: list[str] = []
    week, township = _filters(query, offered, bad)
    names = {r["code"]: r["name"] for r in offered}
    weeks = recent_weeks(at, WEEKS)
    chosen_week = week if week in weeks else previous_week(at)
    chosen_town = township or (offered[0]["code"] if offered else None)

    def field(key: str, control: Any) -> html.Div:
        return html.Div([html.Label(t(f"reports.{key}", lang), htmlFor=f"rp-{key}"), control],
                        className=f"filter rp-field-{key}")

    form = html.Div([
        field("week", dcc.Dropdown(id="rp-week", clearable=False, value=chosen_week,
                                   options=[{"label": _week_label(w, i == 0, lang), "value": w}
                                            for i, w in enumerate(weeks)])),
        field("township", dcc.Dropdown(id="rp-township", clearable=False, value=chosen_town,
                                       options=[{"label": r["name"], "value": r["code"]} for r in offered])),
        field("language", dcc.RadioItems(id="rp-language", value=lang, inline=True, className="rp-langs",
                                         options=[{"label": t(f"reports.lang.{x}", lang), "value": x} for x in LANGS])),
        html.Button([html.I(className="bi bi-file-earmark-pdf me-1"), t("reports.generate", lang)], id="rp-generate",
                    n_clicks=0, className="btn btn-primary rp-generate", disabled=not offered),
    ], className="filters rp-form")
    return html.Div([
        html.Div([html.H4([html.I(className="bi bi-file-earmark-pdf me-2"), t("reports.title", lang)])],
                 className="page-title"),
        notices(bad, lang),
        panel(t("reports.make", lang), [
            form,
            html.Div(t("reports.make_hint", lang, when=_schedule(lang)), className="small text-secondary", id="rp-hint"),
            dcc.Loading(html.Div(id="rp-result", className="rp-result"), type="dot"),
        ], cls="rp-make-panel"),
        panel(t("reports.archive", lang), html.Div(_archive(scope, week, township, names, lang), id="rp-archive-box"),
              extra=html.Small(t("reports.archive_note", lang), className="panel-note")),
        dcc.Store(id="rp-state", data={"lang": lang, "week": week, "township": township}),
    ], className="page reports-page", id="reports-page")


def _message(key: str, lang: str, kind: str = "warning", **params: Any) -> html.Div:
    return html.Div(t(key, lang, **params), className=f"alert alert-{kind} py-2 mb-0", id="rp-message", role="alert")


@dash.callback(Output("rp-result", "children"), Output("rp-archive-box", "children"),
               Input("rp-generate", "n_clicks"), State("rp-week", "value"), State("rp-township", "value"),
               State("rp-language", "value"), State("rp-state", "data"), prevent_initial_call=True,
               running=[(Output("rp-generate", "disabled"), True, False)])
@guarded(PAGE)
def generate(n: Any, week: Any, township: Any, report_lang: Any, state: Any) -> tuple[Any, Any]:
    """Generate the chosen week's report with the viewer's scope and archive it (checked again here)."""
    if ctx.triggered_id != "rp-generate" or not isinstance(n, int) or n < 1:
        raise PreventUpdate
    state = state if isinstance(state, dict) else {}
    lang = current_lang(state.get("lang") if isinstance(state.get("lang"), str) else None)
    user, scope, at = current_user(), current_scope(), now()
    with reading(engine()) as db:
        offered = _townships(db, scope)
    names = {r["code"]: r["name"] for r in offered}
    try:
        week = normalise_week(week) if isinstance(week, str) else None
    except ArchiveError:
        week = None
    if week is None or week_start(week) > at.date():
        return _message("reports.error.week", lang), dash.no_update
    if not isinstance(township, str) or township not in names:
        return _message("reports.error.township", lang), dash.no_update
    if report_lang not in LANGS:
        return _message("reports.error.language", lang), dash.no_update
    try:
        rid, report = generate_and_archive(config(), engine(), week, township, report_lang, generated_by=user.username,
                                           trigger="page", scope=scope, now=at, ip=request_ip())
    except ValueError as exc:  # a week or township the report cannot be made for: the reason
        return _message("reports.error.input", lang, reason=str(exc)), dash.no_update
    except Exception:
        log.exception("the weekly report %s of %s could not be generated", week, township)
        return _message("reports.error.failed", lang, kind="danger"), dash.no_update
    done = html.Div([
        html.I(className="bi bi-check-circle me-2"),
        t("reports.done", lang, title=report.title, pages=report.pages, size=_size(len(report.pdf)),
          sha=report.sha256[:12]),
        html.Span(t("reports.empty_hint", lang), className="ms-2") if report.empty else None,
        html.A([html.I(className="bi bi-download me-1"), t("reports.download", lang)], href=download_url(rid),
               id="rp-result-download", className="btn btn-sm btn-success ms-3", **{"data-sha256": report.sha256}),
    ], className="alert alert-success py-2 mb-0 rp-done", id="rp-message", role="status", **{"data-report-id": str(rid)})
    wanted_week = state.get("week") if isinstance(state.get("week"), str) else None
    wanted_town = state.get("township") if isinstance(state.get("township"), str) and state.get("township") in names else None
    try:
        table = _archive(scope, wanted_week, wanted_town, names, lang)
    except ArchiveError:
        table = _archive(scope, None, None, names, lang)
    return done, table
