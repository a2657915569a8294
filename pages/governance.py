"""数据治理 data governance: source freshness, recent ETL runs, quarantined rows, record lineage."""

from __future__ import annotations


import dash
import pandas as pd
from dash import Input, Output, State, dcc, html

from cockpit.i18n import t
from cockpit.reference import DEPARTMENTS
from pages._common import config, current_lang, engine, href, now
from pages._access import allowed, denied_notice, guarded
from pages._scope import current_scope
from pages._widgets import data_table, notices, panel, timestamp
from queries import governance as gq

dash.register_page(__name__, path="/governance", title="基层智治驾驶舱 · 数据治理", nav="nav.governance",
                   icon="database-check", order=3, nav_group="admin")

DEPARTMENT_NAMES = {d.code: {"zh": d.name_zh, "en": d.name_en} for d in DEPARTMENTS}
HIGH = {"color": "#dc2626", "fontWeight": "700"}


def _freshness(cfg) -> pd.DataFrame:
    declared = tuple((s.name, s.department, s.target) for s in cfg.sources.values())
    return gq.source_freshness(engine(), current_scope(), declared, now().replace(second=0),
                               int(cfg.get("etl", "stale_after_minutes")))


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def fallback_rows(df: pd.DataFrame, warn_share: float, lang: str) -> list[dict]:
    """One row per source and field whose value map's "*" entry took rows in the source's latest run."""
    rows = []
    for r in df.to_dict("records"):
        for f in r.get("fallbacks") or []:
            rows.append({"source": r["source"], "field": f["field"], "target": f.get("target") or "",
                         "rows": f["rows"], "share": _pct(f["share"]), "high": int(f["share"] >= warn_share),
                         "codes": ("、" if lang == "zh" else ", ").join(f"{c} ({n})" for c, n in f.get("codes") or [])})
    return sorted(rows, key=lambda x: (-x["high"], -x["rows"], x["source"], x["field"]))


def sources_rows(lang: str, df: pd.DataFrame | None = None) -> list[dict]:
    cfg = config()
    df = _freshness(cfg) if df is None else df
    warn = float(cfg.get("etl", "fallback_warn_share"))
    rows = []
    for r in df.to_dict("records"):
        never = r["last_success"] is None or pd.isna(r["last_success"])
        status = r.get("last_status")
        rows.append({
            "source": r["source"], "department": DEPARTMENT_NAMES.get(r["department"], {}).get(lang, r["department"]),
            "target": r["target"],
            "last_success": timestamp(r["last_success"]),
            "last_status": t(f"status.{status}", lang) if isinstance(status, str) else "—",
            "freshness": t("fresh.never" if never else "fresh.stale" if r["stale"] else "fresh.ok", lang),
            "stale": bool(r["stale"]), "open_issues": int(r["open_issues"]),
            "fallback": _pct(r["fallback_share"]) if r["fallback_rows"] else "—",
            "fallback_high": int(bool(r["fallback_rows"]) and r["fallback_share"] >= warn),
            "error": r.get("last_error") if isinstance(r.get("last_error"), str) else "",
        })
    return rows


def layout(lang: str | None = None, source: str | None = None, rule: str | None = None, **_: str) -> html.Div:
    lang = current_lang(lang)
    if not allowed("governance"):
        return denied_notice(lang)
    db, scope = engine(), current_scope()
    fresh = _freshness(config())
    src_rows = sources_rows(lang, fresh)
    warn = float(config().get("etl", "fallback_warn_share"))
    fb_rows = fallback_rows(fresh, warn, lang)
    runs = gq.etl_runs(db, scope, limit=100)
    run_rows = [{"id": r["id"], "source": r["source"], "started": timestamp(r["started_at"]), "ended": timestamp(r["ended_at"]),
                 "status": t(f"status.{r['status']}", lang), "read": r["rows_read"], "loaded": r["rows_loaded"],
                 "rejected": r["rows_rejected"], "error": r["error"] or ""} for r in runs.to_dict("records")]
    summary = gq.dq_summary(db, scope)
    sources = sorted(set(summary["source"])) if not summary.empty else []
    rules = sorted(set(summary["rule"])) if not summary.empty else []
    bad = [n for n, v, known in (("source", source, sources), ("rule", rule, rules)) if v and v not in known]
    source, rule = (None if "source" in bad else source), (None if "rule" in bad else rule)
    stale_m = int(config().get("etl", "stale_after_minutes"))
    return html.Div([
        html.Div([html.H4(t("gov.title", lang))], className="page-title"),
        notices(bad, lang),
        panel(t("gov.sources", lang), data_table("gov-sources", src_rows, [
            ("source", t("col.source", lang)), ("department", t("col.department", lang)), ("target", t("col.target", lang)),
            ("last_success", t("col.last_success", lang)), ("last_status", t("col.last_status", lang)),
            ("freshness", t("col.freshness", lang)), ("open_issues", t("col.open_issues", lang)),
            ("fallback", t("col.fallback", lang)), ("error", t("col.error", lang))],
            page_size=40, style_data_conditional=[
                {"if": {"column_id": "freshness"}, "color": "#dc2626", "fontWeight": "700"},
                {"if": {"filter_query": '{freshness} = "%s"' % t("fresh.ok", lang), "column_id": "freshness"},
                 "color": "#16a34a"},
                {"if": {"filter_query": "{fallback_high} = 1", "column_id": "fallback"}, **HIGH}]),
            extra=html.Small(t("gov.stale_note", lang, m=stale_m), className="panel-note")),
        panel(t("gov.fallbacks", lang), data_table("gov-fallbacks", fb_rows, [
            ("source", t("col.source", lang)), ("field", t("col.fallback_field", lang)),
            ("target", t("col.fallback_target", lang)), ("rows", t("col.fallback_rows", lang)),
            ("share", t("col.fallback_share", lang)), ("codes", t("col.fallback_codes", lang))],
            page_size=20, style_data_conditional=[{"if": {"filter_query": "{high} = 1"}, **HIGH}])
            if fb_rows else html.Div(t("gov.fallbacks_none", lang), className="text-muted", id="gov-fallbacks-none"),
            extra=html.Small(t("gov.fallbacks_note", lang, p=f"{warn * 100:g}"), className="panel-note")),
        panel(t("gov.runs", lang), data_table("gov-runs", run_rows, [
            ("id", t("col.run", lang)), ("source", t("col.source", lang)), ("started", t("col.started", lang)),
            ("ended", t("col.ended", lang)), ("status", t("col.status", lang)), ("read", t("col.read", lang)),
            ("loaded", t("col.loaded", lang)), ("rejected", t("col.rejected", lang)), ("error", t("col.error", lang))])),
        panel(t("gov.quarantine", lang), [
            html.Div([
                html.Div([html.Label(t("col.source", lang)), dcc.Dropdown(id="gov-dq-source", value=source or "",
                          options=[{"label": t("filter.all", lang), "value": ""}] + [{"label": s, "value": s} for s in sources],
                          clearable=False)], className="filter"),
                html.Div([html.Label(t("col.rule", lang)), dcc.Dropdown(id="gov-dq-rule", value=rule or "",
                          options=[{"label": t("filter.all", lang), "value": ""}] + [{"label": r, "value": r} for r in rules],
                          clearable=False)], className="filter"),
                dcc.Checklist(id="gov-dq-open", options=[{"label": " " + t("gov.open_only", lang), "value": "open"}],
                              value=["open"], className="align-self-center"),
            ], className="filters shadow-none p-0"),
            html.Div(id="gov-dq-table"),
        ]),
        panel(t("gov.lineage", lang), [
            html.Div([
                html.Div([html.Label(t("gov.lineage_table", lang)), dcc.Dropdown(id="gov-lin-table", value="event", clearable=False,
                          options=[{"label": k, "value": k} for k in gq.LINEAGE_TABLES])], className="filter"),
                html.Div([html.Label(t("gov.lineage_key", lang)), dcc.Input(id="gov-lin-key", type="text", debounce=True,
                          className="form-control")], className="filter flex-grow-1"),
                html.Button(t("gov.lineage_find", lang), id="gov-lin-go", className="btn btn-primary"),
            ], className="filters shadow-none p-0"),
            html.Div(id="gov-lin-result"),
        ]),
        dcc.Store(id="gov-lang", data=lang),
    ], className="page")


@dash.callback(Output("gov-dq-table", "children"), Input("gov-dq-source", "value"), Input("gov-dq-rule", "value"),
               Input("gov-dq-open", "value"), State("gov-lang", "data"))
@guarded("governance")
def quarantined(source: str, rule: str, open_only: list[str], lang: str):
    df = gq.dq_issues(engine(), current_scope(), source=source or None, rule=rule or None,
                      open_only="open" in (open_only or []), limit=300)
    rows = [{"source": r["source"], "key": r["source_key"] or "", "rule": r["rule"], "field": r["field"] or "",
             "reason": r["reason"], "raw": r["raw"], "seen": timestamp(r["last_seen_at"]), "run": r["run_id"]}
            for r in df.to_dict("records")]
    return data_table("gov-dq", rows, [("source", t("col.source", lang)), ("key", t("col.key", lang)),
                                   ("rule", t("col.rule", lang)), ("field", t("col.field", lang)),
                                   ("reason", t("col.reason", lang)), ("raw", t("col.raw", lang)),
                                   ("seen", t("col.seen", lang)), ("run", t("col.run", lang))],
                  style_cell_conditional=[{"if": {"column_id": "raw"}, "fontFamily": "monospace", "fontSize": "0.75rem",
                                           "maxWidth": "420px"}])


@dash.callback(Output("gov-lin-result", "children"), Input("gov-lin-go", "n_clicks"), Input("gov-lin-key", "value"),
               State("gov-lin-table", "value"), State("gov-lang", "data"), prevent_initial_call=True)
@guarded("governance")
def lineage(_n: int | None, key: str | None, table: str, lang: str):
    if not key:
        return ""
    found = gq.lineage(engine(), current_scope(), table, key.strip())
    if found is None:
        return html.Div(t("gov.lineage_none", lang), className="alert alert-secondary py-2", id="gov-lin-none")
    fields = ("src_source", "src_key", "src_run_id", "loaded_at", "run_status", "run_started", "business_key")
    rows = []
    for fld in fields:
        v = found.get(fld)
        if fld in ("loaded_at", "run_started"):
            v = timestamp(v)
        elif fld == "run_status" and isinstance(v, str):
            v = t(f"status.{v}", lang)
        elif fld == "src_run_id" and v is not None and not pd.isna(v):
            v = html.A(str(int(v)), href=href("/governance", {"run": str(int(v))}))
        rows.append(html.Tr([html.Th(t(f"gov.lineage.{fld}", lang)), html.Td(v if v is not None else "—")]))
    return html.Table(html.Tbody(rows), className="table table-sm w-auto", id="gov-lin-table-result")
