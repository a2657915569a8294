"""职责复核 ``/review``: the administrator's list of what the whistles say about the responsibility list
(``queries.review.review_page``).

Three sections: the pending contests (a department says a case is not its responsibility; the
decision is the township's, on the whistle's page, so each row links there), the categories flagged
by accepted contests (the case, the reason, who flagged it when, and a 已复核 button that closes the
flag, ``cockpit.whistles.actions.close_review``; the closed ones on a toggle, ``?closed=1``), and the
categories the responsibility list leaves without a responsible department.

Offered to ``responsibility.review`` (``pages._access.PAGE_PERMISSION["review"]``); the button's
callback checks the page again and the core checks the permission; refusals are audited as
``whistle.refused``. Styles: ``assets/whistles.css``.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cockpit.i18n import CATALOGUE, t
from cockpit.whistles.actions import close_review
from cockpit.whistles.states import SummonsError
from pages._access import allowed, denied_notice
from pages._common import current_lang, engine, href, now
from pages._warning_widgets import when
from pages._whistle_detail import refuse
from pages._widgets import notices, panel
from queries import review as qr
from web import current_user

dash.register_page(__name__, path="/review", title="基层智治驾驶舱 · 职责复核", nav="rv.nav", icon="clipboard2-check",
                   order=5, nav_group="admin")

PATH = "/review"
PAGE = "review"
DONE_KEYS = ("reviewed",)
ERROR_KEYS = ("already",)


def _name(row: dict, prefix: str, lang: str) -> str:
    return row.get(f"{prefix}_{lang}") or row.get(f"{prefix}_zh") or row.get(f"{prefix}_code") or "—"


def _board(board: str | None, lang: str) -> str:
    key = f"board.{board}"
    return t(key, lang) if key in CATALOGUE else (board or "")


def _table(head: list[str], rows: list, table_id: str, empty_key: str, lang: str) -> Any:
    if not rows:
        return html.Div(t(empty_key, lang), className="text-secondary rv-empty", id=f"{table_id}-empty")
    return html.Div(html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
                               className="table table-sm rv-table", id=table_id), className="table-responsive")


def _case_link(row: dict, lang: str) -> Any:
    if not row.get("whistle_id"):
        return "—"
    return dcc.Link([html.Span(t("whistle.number", lang, id=row["whistle_id"]), className="rv-wno"), " ",
                     row.get("title") or ""], href=f"/whistles/{int(row['whistle_id'])}")


# ---------------------------------------------------------------- the page
def layout(lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed(PAGE):
        return denied_notice(lang)
    bad = [k for k, ok in (("closed", query.get("closed") in (None, "", "0", "1")),
                           ("done", query.get("done") in (None, "", *DONE_KEYS)),
                           ("error", query.get("error") in (None, "", *ERROR_KEYS))) if not ok]
    show_closed = query.get("closed") == "1"
    data = qr.review_page(engine(), open_only=not show_closed)
    flash = None
    if query.get("done") in DONE_KEYS:
        flash = html.Div(t("rv.done.reviewed", lang), className="alert alert-success py-2", id="rv-flash", role="status")
    elif query.get("error") in ERROR_KEYS:
        flash = html.Div(t("rv.error.already", lang), className="alert alert-warning py-2", id="rv-flash", role="status")
    open_flags = sum(1 for f in data["flagged"] if f["reviewed_at"] is None)
    counts = html.Div([
        html.Span(t("rv.count.pending", lang, n=len(data["pending"])), className="rv-count", id="rv-count-pending"),
        html.Span(t("rv.count.flagged", lang, n=open_flags), className="rv-count rv-count-flag", id="rv-count-flagged"),
        html.Span(t("rv.count.gaps", lang, n=len(data["gaps"])), className="rv-count rv-count-gap", id="rv-count-gaps"),
    ], className="rv-counts")
    toggle = dcc.Link(t("rv.hide_closed" if show_closed else "rv.show_closed", lang),
                      href=href(PATH, {"closed": None if show_closed else "1", "lang": lang}), id="rv-toggle-closed",
                      className="btn btn-sm btn-outline-secondary")
    return html.Div([
        html.Div([html.H4([html.I(className="bi bi-clipboard2-check me-2", **{"aria-hidden": "true"}), t("rv.title", lang)],
                          className="mb-1"),
                  html.Div(t("rv.subtitle", lang), className="text-secondary small"), counts], className="rv-head"),
        notices(bad, lang),
        flash,
        html.Div(id="rv-msg", role="status"),
        panel(t("rv.pending", lang, n=len(data["pending"])), [
            html.Div(t("rv.pending_hint", lang), className="small text-secondary mb-2"),
            _pending(data["pending"], lang)], cls="rv-section", ),
        panel(t("rv.flagged_all", lang, n=open_flags, m=len(data["flagged"])) if show_closed
              else t("rv.flagged", lang, n=open_flags), [
            html.Div(t("rv.flagged_hint", lang), className="small text-secondary mb-2"),
            _flagged(data["flagged"], lang, at_least_closed=show_closed)], extra=toggle, cls="rv-section"),
        panel(t("rv.gaps", lang, n=len(data["gaps"])), [
            html.Div(t("rv.gaps_hint", lang), className="small text-secondary mb-2"),
            _gaps(data["gaps"], lang)], cls="rv-section"),
        dcc.Store(id="rv-lang", data=lang), dcc.Store(id="rv-closed", data=show_closed),
        dcc.Location(id="rv-go", refresh="callback-nav"),
    ], className="page review-page", id="rv-page")


def _pending(rows: list[dict], lang: str) -> Any:
    body = [html.Tr([
        html.Td(_name(r, "department", lang), className="rv-dept"),
        html.Td(_name(r, "category", lang)),
        html.Td(_case_link(r, lang)),
        html.Td(r.get("contest_reason") or "—", className="rv-reason"),
        html.Td(when(r["at"]), className="rv-at"),
        html.Td(dcc.Link([html.I(className="bi bi-box-arrow-up-right me-1", **{"aria-hidden": "true"}), t("rv.decide", lang)],
                         href=f"/whistles/{int(r['whistle_id'])}", id=f"rv-decide-{r['id']}",
                         className="btn btn-sm btn-outline-primary")),
    ], id=f"rv-contest-{r['id']}", **{"data-department": r["department_code"]}) for r in rows]
    head = [t(f"rv.col.{k}", lang) for k in ("department", "category", "case", "reason", "since")] + [""]
    return _table(head, body, "rv-pending", "rv.pending_none", lang)


def _flagged(rows: list[dict], lang: str, *, at_least_closed: bool) -> Any:
    body = []
    for r in rows:
        if r["reviewed_at"] is None:
            state: Any = html.Button([html.I(className="bi bi-check2 me-1", **{"aria-hidden": "true"}), t("rv.close", lang)],
                                     id={"role": "rv-close", "r": int(r["id"])}, n_clicks=0,
                                     className="btn btn-sm btn-success rv-close")
        else:
            state = html.Span(t("rv.reviewed_by", lang, at=when(r["reviewed_at"]), by=r["reviewed_by"] or "—"),
                              className="rv-reviewed")
        body.append(html.Tr([
            html.Td([html.Div(_name(r, "category", lang), className="rv-cat"),
                     html.Small(r.get("category_code") or "", className="text-secondary")]),
            html.Td(_name(r, "department", lang), className="rv-dept"),
            html.Td(_case_link(r, lang)),
            html.Td(r.get("reason") or "—", className="rv-reason"),
            html.Td(t("rv.flagged_by", lang, at=when(r["flagged_at"]), by=r["flagged_by"]), className="rv-at"),
            html.Td(state),
        ], id=f"rv-flag-{r['id']}", className="rv-closed-row" if r["reviewed_at"] is not None else None,
            **{"data-open": "1" if r["reviewed_at"] is None else "0"}))
    head = [t(f"rv.col.{k}", lang) for k in ("category", "not_responsible", "case", "reason", "flagged", "state")]
    return _table(head, body, "rv-flagged", "rv.flagged_none_all" if at_least_closed else "rv.flagged_none", lang)


def _gaps(rows: list[dict], lang: str) -> Any:
    body = [html.Tr([
        html.Td(_board(r.get("board"), lang)),
        html.Td(r["code"], className="rv-code"),
        html.Td(r.get(f"name_{lang}") or r.get("name_zh") or r["code"]),
        html.Td(_name(r, "department", lang) if r.get("department_code") else "—"),
        html.Td(str(r["rows"]), className="rv-num"),
    ], id=f"rv-gap-{r['code']}") for r in rows]
    head = [t(f"rv.col.{k}", lang) for k in ("board", "code", "category", "default_department", "rows")]
    return _table(head, body, "rv-gaps", "rv.gaps_none", lang)


# ---------------------------------------------------------------- the server side
def _message(key: str, lang: str) -> html.Div:
    return html.Div(t(key, lang), className="alert alert-warning py-1 px-2 small mb-2", id="rv-error", role="alert")


def close_flag(review_id: Any, lang: Any, show_closed: Any) -> tuple:
    """Check and close one review flag; (message, href) for the callback."""
    lang = current_lang(lang if isinstance(lang, str) else None)
    if not allowed(PAGE):
        refuse("reviewed", "responsibility_review", review_id, "page")
        raise PreventUpdate
    if not isinstance(review_id, int) or isinstance(review_id, bool):
        refuse("reviewed", "responsibility_review", review_id, "state")
        return _message("rv.error.not_found", lang), no_update
    back = {"closed": "1" if show_closed is True else None, "lang": lang}
    try:
        with engine().begin() as conn:
            done = close_review(conn, review_id, current_user(), now=now())
    except SummonsError as exc:
        refuse("reviewed", "responsibility_review", review_id, "permission")
        return _message(exc.key if exc.key in CATALOGUE else "summons.error.not_allowed", lang), no_update
    return no_update, href(PATH, {**back, "done" if done else "error": "reviewed" if done else "already"})


@dash.callback(Output("rv-msg", "children"), Output("rv-go", "href"),
               Input({"role": "rv-close", "r": ALL}, "n_clicks"), State("rv-lang", "data"), State("rv-closed", "data"),
               prevent_initial_call=True)
def close(clicks, lang, show_closed):  # noqa: ANN001, ANN201
    """The 已复核 button of one flag (its id names the flag)."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(isinstance(n, int) and n > 0 for n in clicks or []):
        raise PreventUpdate
    return close_flag(trigger.get("r"), lang, show_closed)
