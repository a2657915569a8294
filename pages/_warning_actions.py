"""Acting on a warning from its page: acknowledge (optional note), silence (matcher prefilled with the
warning's rule, area and category; a duration or an end date; a reason) and dismiss (a reason), and
ending the silence that mutes it.

Offered to roles with ``warning.act`` (operators and leaders). Every callback checks again on the
server: the permission (a refusal is audited as ``warning.refused``, floods capped), the page, and
that the warning is in the user's scope; then calls ``cockpit.warnings`` inside one transaction,
which writes the state, the history row and the audit row. After a change the page is loaded again
with ``done=<action>`` (or ``error=conflict`` when someone else acted first), so it shows the state
as stored; other refusals are shown beside the buttons.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, Callable

import dash
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cockpit.auth import can
from cockpit.auth.refusals import audit_refusal
from cockpit.i18n import t
from cockpit.reference import CATEGORIES
from cockpit.warnings import actions, silences
from cockpit.warnings.states import WarningError
from pages._access import allowed
from pages._common import current_lang, engine, href, now
from pages._scope import current_scope
from pages._warning_widgets import known_rules, rule_label
from queries import warnings as qw
from web import current_user
from web.request import request_ip, request_now

PERMISSION = "warning.act"
DONE_KEYS = ("acknowledge", "dismiss", "silence", "end_silence")
ERROR_KEYS = ("conflict", "not_found", "refused")
MAX_SILENCE_HOURS = 720
_AREA_RE = re.compile(r"^\d{6,20}$")
_RULE_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


def may_act() -> bool:
    return can(current_user(), PERMISSION)


def _field(label: str, control: Any, for_id: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=for_id, className="form-label small mb-0"), control], className="mb-2")


def actions_panel(w: dict, lang: str) -> html.Div:
    """The actions a user may take on ``w`` (a ``queries.warnings.warning_detail`` row); read-only
    users are told who acts. The buttons exist only for users with ``warning.act``."""
    title = html.Div(html.H6(t("warning.actions", lang), className="panel-title mb-0"), className="panel-head")
    seen = {"status": w["status"], "level": w["level"],
            "silence_id": None if w.get("silence_id") is None else int(w["silence_id"])}
    stores = [dcc.Store(id="wa-id", data=int(w["id"])), dcc.Store(id="wa-lang", data=lang),
              dcc.Store(id="wa-seen", data=seen),  # the state the user acts on: a change since is a conflict
              dcc.Location(id="wa-go", refresh="callback-nav")]
    if not may_act():
        return html.Div([title, html.Div(html.Div(t("warning.read_only", lang), className="text-secondary small",
                                                  id="wa-read-only"), className="panel-body"), *stores],
                        className="panel wd-actions")
    ended = w.get("ended_at") is not None or w["status"] in qw.ENDED_STATUSES
    if ended:
        return html.Div([title, html.Div(html.Div(t("warning.ended_no_actions", lang), className="text-secondary small"),
                                         className="panel-body"), *stores], className="panel wd-actions")
    place = w.get("grid_code") or w.get("village_code") or w.get("township_code") or ""
    rules = sorted(set(known_rules()) | {w["rule"]})
    cats = [{"label": t("filter.all", lang), "value": ""}] + [
        {"label": c.name_zh if lang == "zh" else c.name_en, "value": c.code} for c in CATEGORIES]
    ack = html.Div([
        _field(t("warning.ack_note", lang), dcc.Textarea(id="wa-ack-note", maxLength=500, className="form-control form-control-sm",
                                                          rows=2), "wa-ack-note"),
        html.Button([html.I(className="bi bi-check2-circle me-1"), t("warning.acknowledge", lang)], id="wa-ack",
                    n_clicks=0, className="btn btn-sm btn-primary",
                    disabled=w["status"] != "new"),
    ], className="wa-block")
    silence = html.Details([
        html.Summary([html.I(className="bi bi-bell-slash me-1"), t("warning.silence_title", lang)], id="wa-silence-open"),
        html.Div(t("warning.silence_hint", lang), className="small text-secondary mb-2"),
        _field(t("warning.silence_rule", lang), dcc.Dropdown(
            id="wa-sil-rule", options=[{"label": t("filter.all", lang), "value": ""}]
            + [{"label": rule_label(r, lang), "value": r} for r in rules], value=w["rule"], clearable=False), "wa-sil-rule"),
        _field(t("warning.silence_area", lang), dcc.Input(id="wa-sil-area", value=place, maxLength=20,
                                                          className="form-control form-control-sm"), "wa-sil-area"),
        _field(t("warning.silence_category", lang), dcc.Dropdown(id="wa-sil-cat", options=cats,
                                                                 value=w.get("category_code") or "", clearable=False),
               "wa-sil-cat"),
        html.Div([
            _field(t("warning.silence_hours", lang), dcc.Input(id="wa-sil-hours", type="number", min=1, max=MAX_SILENCE_HOURS,
                                                               value=24, className="form-control form-control-sm"),
                   "wa-sil-hours"),
            _field(t("warning.silence_until", lang), dcc.DatePickerSingle(id="wa-sil-until", display_format="YYYY-MM-DD"),
                   "wa-sil-until"),
        ], className="wa-row"),
        _field(t("warning.silence_reason", lang), dcc.Textarea(id="wa-sil-reason", maxLength=500, rows=2,
                                                               className="form-control form-control-sm"), "wa-sil-reason"),
        html.Button([html.I(className="bi bi-bell-slash me-1"), t("warning.silence", lang)], id="wa-silence", n_clicks=0,
                    className="btn btn-sm btn-outline-secondary"),
    ], className="wa-block")
    dismiss = html.Div([
        _field(t("warning.dismiss_reason", lang), dcc.Textarea(id="wa-dis-reason", maxLength=500, rows=2,
                                                               className="form-control form-control-sm"), "wa-dis-reason"),
        html.Button([html.I(className="bi bi-x-circle me-1"), t("warning.dismiss", lang)], id="wa-dismiss", n_clicks=0,
                    className="btn btn-sm btn-outline-danger"),
    ], className="wa-block")
    unmute = None
    if w.get("silence_id") is not None:
        unmute = html.Div([html.Button([html.I(className="bi bi-bell me-1"), t("warning.end_silence", lang)],
                                       id="wa-end-silence", n_clicks=0, className="btn btn-sm btn-outline-secondary")],
                          className="wa-block")
    return html.Div([title, html.Div([
        html.Div(id="wa-msg", role="status"), ack, silence, dismiss, unmute,
    ], className="panel-body"), *stores], className="panel wd-actions")


# ---------------------------------------------------------------- the server side
class Refused(Exception):
    """The page's own refusal of an action that the warning's present state does not allow."""


def _message(key: str, lang: str) -> html.Div:
    return html.Div(t(key, lang), className="alert alert-warning py-1 px-2 small mb-2", id="wa-error")


def _refuse(action: str, warning_id: Any, reason: str) -> None:
    """Audit a refused warning action (capped per actor and address, ``cockpit.auth.refusals``)."""
    user = current_user()
    with engine().begin() as conn:
        audit_refusal(conn, user.username if user else "anonymous", "warning.refused", "warning", str(warning_id)[:40],
                      {"action": action, "reason": reason}, ip=request_ip(), now=request_now())


def _act(action: str, warning_id: Any, lang: Any, run: Callable[[Any, str, str], Any]) -> tuple:
    """Check, then ``run(conn, actor, ip)`` in one transaction; (message, href) for the callback."""
    lang = current_lang(lang if isinstance(lang, str) else None)
    if not allowed("warnings"):  # not even the page (the kiosk): refused without an answer
        _refuse(action, warning_id, "page")
        raise PreventUpdate
    if not may_act():
        _refuse(action, warning_id, "permission")
        return _message("warning.error.forbidden", lang), no_update
    if not isinstance(warning_id, int) or isinstance(warning_id, bool):
        _refuse(action, warning_id, "state")
        return _message("warning.error.not_found", lang), no_update
    if qw.warning_detail.uncached(engine(), current_scope(), warning_id) is None:
        _refuse(action, warning_id, "scope")
        return _message("warning.error.not_found", lang), no_update
    user = current_user()
    try:
        with engine().begin() as conn:
            result = run(conn, user.username, request_ip())
    except WarningError as exc:
        key = getattr(exc, "key", "warning.error.refused")
        if key == "warning.error.conflict":
            return no_update, href("/warnings", {"id": str(warning_id), "error": "conflict", "lang": lang})
        return _message(key if key.startswith("warning.error.") else "warning.error.refused", lang), no_update
    except Refused:
        return _message("warning.error.refused", lang), no_update
    extra = {"silence": str(result)} if action == "silence" and isinstance(result, int) else {}
    return no_update, href("/warnings", {"id": str(warning_id), "done": action, **extra, "lang": lang})


def _text(value: Any, limit: int = 500) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _seen(value: Any) -> dict | None:
    """The warning as the page showed it (``status``, ``level``, ``silence_id``), if well-formed. A
    forged one can only make the action fail as a conflict."""
    if not isinstance(value, dict) or set(value) != {"status", "level", "silence_id"}:
        return None
    if not all(isinstance(value[k], str) for k in ("status", "level")):
        return None
    silence_id = value["silence_id"]
    return value if silence_id is None or (isinstance(silence_id, int) and not isinstance(silence_id, bool)) else None


def _clicked(n: Any, button: str) -> None:
    if ctx.triggered_id != button or not isinstance(n, int) or n < 1:
        raise PreventUpdate


@dash.callback(Output("wa-msg", "children"), Output("wa-go", "href"), Input("wa-ack", "n_clicks"),
               State("wa-ack-note", "value"), State("wa-id", "data"), State("wa-seen", "data"), State("wa-lang", "data"),
               prevent_initial_call=True)
def acknowledge(n, note, warning_id, seen, lang):  # noqa: ANN001, ANN201
    _clicked(n, "wa-ack")

    def run(conn, actor, ip):  # noqa: ANN001, ANN202
        return actions.acknowledge(conn, warning_id, actor, note=_text(note) or None, ip=ip, seen=_seen(seen))
    return _act("acknowledge", warning_id, lang, run)


@dash.callback(Output("wa-msg", "children", allow_duplicate=True), Output("wa-go", "href", allow_duplicate=True),
               Input("wa-dismiss", "n_clicks"), State("wa-dis-reason", "value"), State("wa-id", "data"),
               State("wa-seen", "data"), State("wa-lang", "data"), prevent_initial_call=True)
def dismiss(n, reason, warning_id, seen, lang):  # noqa: ANN001, ANN201
    _clicked(n, "wa-dismiss")
    if not _text(reason) and may_act() and allowed("warnings"):
        return _message("warning.error.reason_required", current_lang(lang if isinstance(lang, str) else None)), no_update

    def run(conn, actor, ip):  # noqa: ANN001, ANN202
        return actions.dismiss(conn, warning_id, actor, reason=_text(reason), ip=ip, seen=_seen(seen))
    return _act("dismiss", warning_id, lang, run)


def silence_end(hours: Any, until: Any, at: datetime) -> datetime | None:
    """When a silence asked for ``hours`` (1..720) or ``until`` (a date after today, its end of day) ends."""
    if isinstance(until, str) and until:
        try:
            day = date.fromisoformat(until[:10])
        except ValueError:
            return None
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=at.tzinfo)
        return end if at < end <= at + timedelta(hours=MAX_SILENCE_HOURS) else None
    if isinstance(hours, (int, float)) and not isinstance(hours, bool) and 1 <= hours <= MAX_SILENCE_HOURS:
        return at + timedelta(hours=float(hours))
    return None


@dash.callback(Output("wa-msg", "children", allow_duplicate=True), Output("wa-go", "href", allow_duplicate=True),
               Input("wa-silence", "n_clicks"), State("wa-sil-rule", "value"), State("wa-sil-area", "value"),
               State("wa-sil-cat", "value"), State("wa-sil-hours", "value"), State("wa-sil-until", "date"),
               State("wa-sil-reason", "value"), State("wa-id", "data"), State("wa-lang", "data"),
               prevent_initial_call=True)
def silence(n, rule, area, category, hours, until, reason, warning_id, lang):  # noqa: ANN001, ANN201, PLR0913
    _clicked(n, "wa-silence")
    ui = current_lang(lang if isinstance(lang, str) else None)
    ends: datetime | None = None
    if may_act() and allowed("warnings"):  # anyone else is refused (and audited) by ``_act`` whatever they sent
        if not _text(reason):
            return _message("warning.error.reason_required", ui), no_update
        rule, area, category = (_text(rule, 48) or None), (_text(area, 20) or None), (_text(category, 32) or None)
        if rule and not _RULE_RE.match(rule) or category and category not in {c.code for c in CATEGORIES}:
            return _message("warning.error.refused", ui), no_update
        if area and (not _AREA_RE.match(area) or not current_scope().allows_area(area)):
            return _message("warning.error.bad_area", ui), no_update
        ends = silence_end(hours, until, now())
        if ends is None:
            return _message("warning.error.bad_duration", ui), no_update

    def run(conn, actor, ip):  # noqa: ANN001, ANN202
        return silences.create_silence(conn, author=actor, reason=_text(reason), ends_at=ends, rule=rule, area_code=area,
                              category_code=category, ip=ip)
    return _act("silence", warning_id, lang, run)


@dash.callback(Output("wa-msg", "children", allow_duplicate=True), Output("wa-go", "href", allow_duplicate=True),
               Input("wa-end-silence", "n_clicks"), State("wa-id", "data"), State("wa-lang", "data"),
               prevent_initial_call=True)
def end_silence(n, warning_id, lang):  # noqa: ANN001, ANN201
    """Ends the silence that mutes the warning now (read on the server, never taken from the request)."""
    _clicked(n, "wa-end-silence")

    def run(conn, actor, ip):  # noqa: ANN001, ANN202
        w = qw.warning_detail.uncached(conn, current_scope(), warning_id)
        if w is None or w.get("silence_id") is None:
            raise Refused
        return silences.end_silence(conn, int(w["silence_id"]), actor, ip=ip)
    return _act("end_silence", warning_id, lang, run)
