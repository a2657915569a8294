"""One warning's page (``/warnings?id=N``): header with level, status and the acknowledgement
deadline, a small map of its position, the evidence per fact type, the history timeline, and the
actions for users who may act (``pages._warning_actions``)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from dash import dcc, html

from cockpit.i18n import CATALOGUE, t
from cockpit.reference import PERSON_TAGS, SENSOR_METRICS
from figures.warnings import warning_position
from pages._common import engine, now
from pages._scope import current_scope
from pages._warning_actions import DONE_KEYS, ERROR_KEYS, actions_panel
from pages._whistle_detail import whistle_link
from pages._warning_widgets import (action_label, actor_label, category_label, level_chip, place_label, rule_label,
                                    status_label, when)
from pages._widgets import data_table, figure_box, fmt, notices, panel
from queries import orders as qo
from queries import warnings as qw
from queries._base import reading

_ID_RE = re.compile(r"^\d{1,12}$")


def _back(lang: str) -> dcc.Link:
    return dcc.Link([html.I(className="bi bi-arrow-left me-1"), t("warning.back", lang)], href="/warnings",
                    className="btn btn-sm btn-outline-secondary", id="wd-back")


def detail_page(query: dict, lang: str) -> html.Div:
    raw = str(query.get("id") or "")
    if not _ID_RE.match(raw):
        return html.Div([notices(["id"], lang), _back(lang)], className="page")
    wid = int(raw)
    scope = current_scope()
    with reading(engine()) as db:
        w = qw.warning_detail(db, scope, wid)
        if w is None:
            return html.Div([html.Div(t("warning.not_found", lang, id=wid), className="alert alert-warning",
                                      id="wd-not-found"), _back(lang)], className="page")
        evidence = qw.warning_evidence(db, scope, wid)
        history = qw.warning_history(db, scope, wid)
        order = qo.order_of_warning(db, scope, wid)
    bad = [k for k in ("done", "error") if query.get(k) and query[k] not in (DONE_KEYS if k == "done" else ERROR_KEYS)]
    flash = None
    if query.get("done") in DONE_KEYS:
        flash = html.Div(t(f"warning.done.{query['done']}", lang, id=query.get("silence", "")),
                         className="alert alert-success py-2", id="wd-flash")
    elif query.get("error") in ERROR_KEYS:
        flash = html.Div(t(f"warning.error.{query['error']}", lang), className="alert alert-warning py-2", id="wd-flash")
    n_evidence = sum(len(df) for df in evidence.values())
    return html.Div([
        html.Div([_back(lang)], className="mb-2"),
        notices(bad, lang),
        flash,
        _header(w, lang, order),
        html.Div([
            html.Div([
                panel(t("warning.evidence", lang, n=n_evidence), [_evidence(fact, df, lang) for fact, df in evidence.items()]
                      or html.Div(t("empty", lang), className="text-secondary"),
                      extra=html.Small(t("warning.evidence_note", lang), className="panel-note"), cls="wd-evidence"),
                panel(t("warning.history", lang), _timeline(history, lang),
                      extra=html.Small(t("warning.history_note", lang), className="panel-note"), cls="wd-history"),
            ], className="wd-main"),
            html.Div([
                panel(t("warning.position", lang), figure_box("wd-map", warning_position(
                    w["ring"], w.get("lon"), w.get("lat"), w["level"], lang=lang, label=place_label(w, lang)), "position")),
                actions_panel(w, lang),
            ], className="wd-side"),
        ], className="wd-grid"),
    ], className="page warning-page", id="warning-page")


def _order_link(order: dict | None, lang: str) -> Any:
    """The link to the warning's work order, if it has one."""
    if not order:
        return None
    status = t(f"order.status.{order['status']}", lang) if f"order.status.{order['status']}" in CATALOGUE else order["status"]
    return dcc.Link([html.I(className="bi bi-clipboard-check me-1"), t("desk.warning_order", lang, id=order["id"],
                                                                        status=status)],
                    href=f"/orders/{int(order['id'])}", id="wd-order-link", className="wd-order-link")


def _header(w: dict, lang: str, order: dict | None = None) -> html.Div:
    due = w.get("ack_due_at")
    sla: Any = None
    if w.get("acknowledged_at") is not None:
        sla = html.Span(t("warning.acknowledged_at", lang, at=when(w["acknowledged_at"])), className="wd-sla")
    elif w.get("ended_at") is not None:
        sla = html.Span(t("warning.ended_at", lang, at=when(w["ended_at"])), className="wd-sla")
    elif due is not None:
        late = pd.Timestamp(due) < pd.Timestamp(now().replace(tzinfo=None))
        sla = html.Span(t("warning.ack_overdue" if late else "warning.ack_due", lang, at=when(due)),
                        className="wd-sla" + (" wd-sla-late" if late else ""), id="wd-sla")
    muted = None
    if w.get("silence_id") is not None:
        muted = html.Span([html.I(className="bi bi-bell-slash me-1"), t(
            "warning.muted_until", lang, at=when(w.get("silence_ends_at")), author=w.get("silence_author") or "",
            reason=w.get("silence_reason") or "")], className="wc-muted", id="wd-muted")
    return html.Div([
        html.Div([level_chip(w["level"], lang), html.H4(rule_label(w["rule"], lang), className="wd-rule"),
                  html.Span(status_label(w["status"], lang), className=f"wst wst-{w['status']}", id="wd-status")],
                 className="wd-head-line"),
        html.Div(w["title"], className="wd-title", id="wd-title"),
        html.Div([html.Span([html.I(className="bi bi-geo-alt me-1"), place_label(w, lang)]),
                  html.Span(category_label(w, lang)) if category_label(w, lang) else None,
                  html.Span(t("warning.opened_at", lang, at=when(w["opened_at"]))),
                  sla, muted, _order_link(order, lang),
                  whistle_link("warning", w["id"], w.get("ended_at") is not None or w["status"] in qw.ENDED_STATUSES, lang),
                  html.Span(t("warning.inactive", lang), className="wd-inactive") if not w.get("active") else None],
                 className="wd-meta"),
    ], className="wd-header panel", id="wd-header")


def _label(key: str, lang: str) -> str:
    return t(key, lang) if key in CATALOGUE else key.rsplit(".", 1)[-1]


def _value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, pd.Timestamp) or hasattr(v, "strftime"):
        return when(v) if hasattr(v, "hour") else str(v)
    return v


# per fact type: the table's columns (key, catalogue key) and how a row becomes cells
def _evidence(fact: str, df: pd.DataFrame, lang: str) -> html.Div:
    hidden = t("warning.ev.hidden", lang)
    rows: list[dict] = []
    if fact == "event":
        cols = [("at", "warning.ev.at"), ("channel", "warning.ev.channel"), ("category", "warning.ev.category"),
                ("reporter", "warning.ev.reporter"), ("title", "warning.ev.title"), ("grid", "warning.ev.grid"),
                ("status", "warning.ev.status")]
        for r in df.to_dict("records"):
            rows.append({"at": when(r["at"]), "channel": r.get(f"channel_{lang}") or r["channel"],
                         "category": r.get(f"category_{lang}") or r["category_code"],
                         "reporter": r.get("reporter_masked") or "", "title": r.get("title") or "",
                         "grid": r.get("grid_name") or r.get("grid_code"), "status": _label(f"status.{r['status']}", lang)})
    elif fact == "sensor_reading":
        cols = [("sensor", "warning.ev.sensor"), ("metric", "warning.ev.metric"), ("at", "warning.ev.at"),
                ("value", "warning.ev.value")]
        for r in df.to_dict("records"):
            m = SENSOR_METRICS.get(r["metric"])
            rows.append({"sensor": r["sensor_id"], "metric": (m[0] if lang == "zh" else m[1]) if m else r["metric"],
                         "at": when(r["at"]), "value": f"{fmt(r['value'])} {m[2] if m else ''}".strip()})
    elif fact == "inspection":
        cols = [("at", "warning.ev.at"), ("enterprise", "warning.ev.enterprise"), ("kind", "warning.ev.kind"),
                ("result", "warning.ev.result"), ("hazards", "warning.ev.hazards"), ("deadline", "warning.ev.deadline")]
        for r in df.to_dict("records"):
            rows.append({"at": when(r["at"]), "enterprise": r.get("enterprise_name") or r.get("enterprise_code") or "",
                         "kind": r["kind"], "result": _label(f"warning.result.{r['result']}", lang),
                         "hazards": _value(r.get("hazard_count")), "deadline": _value(r.get("rectify_deadline"))})
    elif fact == "subsidy_payment":
        cols = [("at", "warning.ev.at"), ("person", "warning.ev.person"), ("kind", "warning.ev.kind"),
                ("amount", "warning.ev.amount")]
        for r in df.to_dict("records"):
            tag = PERSON_TAGS.get(r["kind"])
            name = r.get("person_name")
            rows.append({"at": _value(r["at"]), "person": " ".join(x for x in (name if isinstance(name, str) else "",
                                                                                r.get("person_masked") or "") if x) or hidden,
                         "kind": (tag[0] if lang == "zh" else tag[1]) if tag else r["kind"], "amount": fmt(r["amount"])})
    elif fact == "cadre_relative":
        cols = [("cadre", "warning.ev.cadre"), ("position", "warning.ev.position"), ("relation", "warning.ev.relation"),
                ("at", "warning.ev.at")]
        for r in df.to_dict("records"):
            name = r.get("cadre_name")
            rows.append({"cadre": name if isinstance(name, str) and name else hidden, "position": r.get("position") or "",
                         "relation": _label(f"warning.relation.{r['relation']}", lang), "at": _value(r["at"])})
    elif fact == "indicator_value":
        cols = [("indicator", "warning.ev.indicator"), ("area", "warning.ev.area"), ("at", "warning.ev.at"),
                ("value", "warning.ev.value"), ("target", "warning.ev.target")]
        for r in df.to_dict("records"):
            rows.append({"indicator": r.get(f"indicator_{lang}") or r["indicator_code"],
                         "area": r.get("area_name") or r["area_code"], "at": _value(r["at"])[:7] if _value(r["at"]) else "",
                         "value": f"{fmt(r['value'])} {r.get('unit') or ''}".strip(), "target": fmt(r.get("target"))})
    elif fact == "person_tag":
        cols = [("person", "warning.ev.person"), ("tag", "warning.ev.tag"), ("at", "warning.ev.at")]
        for r in df.to_dict("records"):
            tag = PERSON_TAGS.get(r["tag"])
            name = r.get("person_name")
            rows.append({"person": " ".join(x for x in (name if isinstance(name, str) else "", r.get("person_masked") or "")
                                            if x) or hidden,
                         "tag": (tag[0] if lang == "zh" else tag[1]) if tag else r["tag"], "at": when(r["at"])})
    else:
        cols = [("fact", "warning.ev.kind"), ("at", "warning.ev.at"), ("source", "warning.ev.source"),
                ("key", "warning.ev.key")]
        rows = [{"fact": r["fact"], "at": when(r["at"]), "source": r["src_source"], "key": r["src_key"]}
                for r in df.to_dict("records")]
    return html.Div([html.H6(f"{_label(f'warning.evidence.{fact}', lang)} ({len(rows)})", className="wd-ev-title"),
                     data_table(f"wd-ev-{fact}", rows, [(k, t(c, lang)) for k, c in cols], page_size=20)],
                    className="wd-ev records", id=f"wd-ev-block-{fact}")


def _timeline(history: pd.DataFrame, lang: str) -> html.Ol | html.Div:
    if history.empty:
        return html.Div(t("empty", lang), className="text-secondary")
    items = []
    for r in history.to_dict("records"):
        r = {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in r.items()}
        change = []
        if r.get("from_status") and r["from_status"] != r["to_status"]:
            change.append(f"{status_label(r['from_status'], lang)} → {status_label(r['to_status'], lang)}")
        if r.get("from_level") and r["from_level"] != r["to_level"]:
            before, after = t("warning.level." + r["from_level"], lang), t("warning.level." + r["to_level"], lang)
            change.append(f"{before} → {after}")
        added = int(r.get("evidence_added") or 0)
        if added and r["action"] != "opened":
            change.append(t("warning.history.evidence_added", lang, n=added))
        note = r.get("note")
        items.append(html.Li([
            html.Div([html.Span(when(r["at"]), className="wd-tl-at"),
                      html.B(action_label(r["action"], lang), className=f"wd-tl-action act-{r['action']}"),
                      html.Span(actor_label(r["actor"], lang), className="wd-tl-actor")], className="wd-tl-line"),
            html.Div(" · ".join(change), className="wd-tl-change") if change else None,
            html.Div(note, className="wd-tl-note") if isinstance(note, str) and note else None,
        ], className="wd-tl-item", **{"data-action": r["action"]}))
    return html.Ol(items, className="wd-timeline", id="wd-timeline")

