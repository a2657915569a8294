"""审计日志 audit log (administrators): who viewed a personal record, who exported what, every change
of a user, rule, warning, work order or whistle, every sign-in. Filters live in the URL."""

from __future__ import annotations

from datetime import date

import dash
from dash import Input, Output, State, dcc, html

from cockpit.i18n import CATALOGUE, t
from pages._access import allowed, denied_notice, guarded
from pages._common import current_lang, engine, href
from pages._scope import current_scope
from pages._widgets import data_table, notices, panel, timestamp
from queries.audit import audit_actions, audit_entries

dash.register_page(__name__, path="/audit", title="基层智治驾驶舱 · 审计日志", nav="nav.audit", icon="journal-text",
                   order=4, nav_group="admin")

LIMIT = 500
FIELDS = ("actor", "action", "from", "to")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_audit_filters(query: dict) -> tuple[dict, list[str]]:
    """actor (name prefix, at most 64 characters), action, from / to (YYYY-MM-DD); bad values are dropped."""
    f: dict = {}
    bad: list[str] = []
    actor = (query.get("actor") or "").strip()
    if len(actor) > 64:
        bad.append("actor")
    elif actor:
        f["actor"] = actor
    if query.get("action"):
        if len(query["action"]) <= 48 and all(c.isalnum() or c in "._-" for c in query["action"]):
            f["action"] = query["action"]
        else:
            bad.append("action")
    for key in ("from", "to"):
        if query.get(key):
            if (d := _day(query[key])) is None:
                bad.append(key)
            else:
                f[key] = d
    if f.get("from") and f.get("to") and f["from"] > f["to"]:
        bad.append("to")
        f.pop("to")
    return f, bad


def action_label(action: str, lang: str) -> str:
    key = f"audit.action.{action}"
    return t(key, lang) if key in CATALOGUE else action


def layout(lang: str | None = None, **query: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed("audit"):
        return denied_notice(lang)
    f, bad = parse_audit_filters(query)
    db, scope = engine(), current_scope()
    df = audit_entries(db, scope, actor=f.get("actor"), action=f.get("action"), start=f.get("from"),
                       end=f.get("to"), limit=LIMIT)
    rows = [{"at": timestamp(r["at"]), "actor": r["actor"], "action": action_label(r["action"], lang), "object": " ".join(
                 str(x) for x in (r["obj_type"], r["obj_id"]) if x), "detail": r["detail"] or "", "ip": r["ip"] or ""}
            for r in df.to_dict("records")]
    actions = [{"label": t("filter.all", lang), "value": ""}] + [
        {"label": action_label(a, lang), "value": a}
        for a in audit_actions(db, scope)]
    state = {"lang": lang}
    return html.Div([
        html.Div(html.H4([html.I(className="bi bi-journal-text me-2"), t("audit.title", lang)]), className="page-title"),
        notices(bad, lang),
        html.Div([
            html.Div([html.Label(t("audit.actor", lang), htmlFor="audit-actor"),
                      dcc.Input(id="audit-actor", value=f.get("actor", ""), debounce=True, maxLength=64,
                                className="form-control form-control-sm")], className="filter"),
            html.Div([html.Label(t("audit.action", lang), htmlFor="audit-action"),
                      dcc.Dropdown(id="audit-action", options=actions, value=f.get("action", ""), clearable=False)],
                     className="filter"),
            html.Div([html.Label(t("audit.period", lang)),
                      dcc.DatePickerRange(id="audit-range", display_format="YYYY-MM-DD",
                                          start_date=f["from"].isoformat() if f.get("from") else None,
                                          end_date=f["to"].isoformat() if f.get("to") else None)], className="filter"),
        ], className="filters"),
        dcc.Store(id="audit-state", data=state),
        dcc.Location(id="audit-go", refresh="callback-nav"),
        panel(t("audit.entries", lang, n=len(rows)), data_table("audit-table", rows, [
            ("at", t("audit.at", lang)), ("actor", t("audit.actor", lang)), ("action", t("audit.action", lang)),
            ("object", t("audit.object", lang)), ("detail", t("audit.detail", lang)), ("ip", t("audit.ip", lang))],
            page_size=25), extra=html.Small(t("audit.note", lang, n=LIMIT), className="panel-note")),
    ], className="page")


@dash.callback(Output("audit-go", "href"), Input("audit-actor", "value"), Input("audit-action", "value"),
               Input("audit-range", "start_date"), Input("audit-range", "end_date"), State("audit-state", "data"),
               prevent_initial_call=True)
@guarded("audit")
def apply_filters(actor: str | None, action: str | None, start: str | None, end: str | None, state: dict) -> str:
    params = {"actor": (actor or "").strip(), "action": action, "from": (start or "")[:10], "to": (end or "")[:10]}
    return href("/audit", {**params, "lang": (state or {}).get("lang")})

