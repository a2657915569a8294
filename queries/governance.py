"""Data governance: source freshness, ETL runs, quarantined rows, the lineage of a warehouse record.

Governance data cuts across every area, board and department: a township-wide scope sees all of it,
a narrower one nothing (``township_wide_clause``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Date, Integer, Table, and_, func, literal, select

from cockpit.scope import Scope
from cockpit.warehouse import schema as s
from cockpit.warehouse.targets import TARGETS
from queries._base import DB, area_clause, cached, frame, township_wide_clause

# Tables whose records can be looked up by key on the lineage panel: table -> key columns.
LINEAGE_TABLES: dict[str, tuple[str, ...]] = {
    "event": ("id",), "inspection": ("id",), "service_application": ("id",), "service_step": ("id",),
    "area": ("code",), "enterprise": ("credit_code",), "person": ("person_key",),
    "indicator_value": ("indicator_code", "area_code", "period_start"),
}


@cached
def source_freshness(db: DB, scope: Scope, sources: tuple[tuple[str, str, str], ...], now: datetime,
                     stale_after_minutes: int) -> pd.DataFrame:
    """One row per configured source ``(name, department, target)``: last run, last success, status, stale,
    and what the value maps' ``"*"`` fallbacks took in its latest run that read rows.

    A source is stale when it never succeeded, its last success is older than ``stale_after_minutes``,
    or its last run failed. ``fallback_rows`` counts the rows of that run a fallback took (a row taken
    in two fields counts twice), ``fallback_share`` is the largest share of the run's rows read that
    one field's fallback took, and
    ``fallbacks`` lists per field ``{field, target, rows, share, codes: [[source code, rows], …]}``
    (the most frequent source codes first), largest first.
    """
    r = s.etl_run
    last_ok = (select(r.c.source, func.max(r.c.ended_at).label("last_success"))
               .where(r.c.status == "success").group_by(r.c.source).subquery())
    last_id = select(r.c.source, func.max(r.c.id).label("id")).group_by(r.c.source).subquery()
    last = (select(r.c.source, r.c.status.label("last_status"), r.c.started_at.label("last_started"),
                   r.c.error.label("last_error"), r.c.rows_loaded.label("last_loaded"),
                   r.c.rows_rejected.label("last_rejected"))
            .select_from(r.join(last_id, last_id.c.id == r.c.id)).subquery())
    runs = frame(db, select(last.c.source, last.c.last_status, last.c.last_started, last.c.last_error,
                            last.c.last_loaded, last.c.last_rejected, last_ok.c.last_success)
                 .select_from(last.outerjoin(last_ok, last_ok.c.source == last.c.source)))
    open_dq = frame(db, select(s.dq_issue.c.source, func.count().label("open_issues"))
                    .where(s.dq_issue.c.resolved_at.is_(None)).group_by(s.dq_issue.c.source))
    df = pd.DataFrame(list(sources) if scope.township_wide else [], columns=["source", "department", "target"])
    df = df.merge(runs, on="source", how="left").merge(open_dq, on="source", how="left")
    df = df.merge(_fallbacks(db), on="source", how="left")
    df["open_issues"] = df["open_issues"].fillna(0).astype(int)
    df["fallback_rows"] = df["fallback_rows"].fillna(0).astype(int)
    df["fallback_share"] = df["fallback_share"].fillna(0.0).astype(float)
    df["fallbacks"] = [v if isinstance(v, list) else [] for v in df["fallbacks"]]
    limit = now - timedelta(minutes=stale_after_minutes)
    last_success = pd.to_datetime(df["last_success"])
    df["last_success"] = last_success
    df["stale"] = last_success.isna() | (last_success < limit) | (df["last_status"] == "failed")
    return df.sort_values(["stale", "source"], ascending=[False, True]).reset_index(drop=True)


def _fallbacks(db: DB) -> pd.DataFrame:
    """Per source, the value-map fallbacks of its latest run that read rows (``source_freshness``)."""
    from cockpit.etl.value_maps import parse_record

    r = s.etl_run
    latest = (select(r.c.source, func.max(r.c.id).label("id")).where(r.c.rows_read > 0)
              .group_by(r.c.source).subquery())
    got = frame(db, select(r.c.source, r.c.rows_read, r.c.value_map_fallbacks)
                .select_from(r.join(latest, latest.c.id == r.c.id)))
    out = []
    for row in got.to_dict("records"):
        read = int(row["rows_read"] or 0)
        fields = [{"field": fld, "target": v.get("target"), "rows": int(v.get("rows") or 0),
                   "share": (int(v.get("rows") or 0) / read) if read else 0.0, "codes": v.get("codes") or []}
                  for fld, v in parse_record(row["value_map_fallbacks"]).items() if isinstance(v, dict)]
        fields.sort(key=lambda f: (-f["rows"], f["field"]))
        total = sum(f["rows"] for f in fields)
        out.append({"source": row["source"], "fallback_rows": total, "fallback_share": max((f["share"] for f in fields), default=0.0),
                    "fallback_run_rows": read, "fallbacks": fields})
    return pd.DataFrame(out, columns=["source", "fallback_rows", "fallback_share", "fallback_run_rows", "fallbacks"])


@cached
def etl_runs(db: DB, scope: Scope, *, source: str | None = None, status: str | None = None,
             limit: int = 100) -> pd.DataFrame:
    """Recent ETL runs, newest first."""
    r = s.etl_run
    w = [township_wide_clause(scope)]
    if source:
        w.append(r.c.source == source)
    if status:
        w.append(r.c.status == status)
    return frame(db, select(r.c.id, r.c.source, r.c.full, r.c.started_at, r.c.ended_at, r.c.status, r.c.attempts,
                            r.c.rows_read, r.c.rows_loaded, r.c.rows_rejected, r.c.error)
                 .where(*w).order_by(r.c.id.desc()).limit(limit))


@cached
def dq_issues(db: DB, scope: Scope, *, source: str | None = None, rule: str | None = None,
              open_only: bool = True, limit: int = 200) -> pd.DataFrame:
    """Quarantined rows with their reasons, newest first. Raw rows (personal numbers masked, but
    names as the source had them) only for a scope that may see personal data."""
    d = s.dq_issue
    w = [township_wide_clause(scope)]
    if source:
        w.append(d.c.source == source)
    if rule:
        w.append(d.c.rule == rule)
    if open_only:
        w.append(d.c.resolved_at.is_(None))
    raw = d.c.raw if scope.personal_data else literal(None).label("raw")
    return frame(db, select(d.c.id, d.c.source, d.c.source_key, d.c.rule, d.c.field, d.c.reason, raw,
                            d.c.run_id, d.c.first_seen_at, d.c.last_seen_at, d.c.resolved_at)
                 .where(*w).order_by(d.c.last_seen_at.desc(), d.c.id.desc()).limit(limit))


@cached
def dq_summary(db: DB, scope: Scope) -> pd.DataFrame:
    """Open quarantined rows by source and rule."""
    d = s.dq_issue
    return frame(db, select(d.c.source, d.c.rule, func.count().label("n")).where(d.c.resolved_at.is_(None), township_wide_clause(scope))
                 .group_by(d.c.source, d.c.rule).order_by(func.count().desc(), d.c.source, d.c.rule))


def lineage(db: DB, scope: Scope, table: str, key: str) -> dict | None:
    """Where a warehouse record came from: source, source key, load run (with its times), loaded_at.

    ``key`` is the record's key; composite keys are joined with '|'. Returns None if not found
    (or not within scope: lineage is governance data, cut across every area, board and department,
    so only a township-wide scope sees it). Raises ValueError for a table that has no lineage.
    """
    if table not in LINEAGE_TABLES:
        raise ValueError(table)
    t: Table = s.metadata.tables[table]
    cols = LINEAGE_TABLES[table]
    parts = key.split("|")
    if len(parts) != len(cols):
        return None
    conds = [township_wide_clause(scope)]
    for col, part in zip(cols, parts):
        c = t.c[col]
        try:
            if isinstance(c.type, Integer):
                value: object = int(part)
            elif isinstance(c.type, Date):
                value = date.fromisoformat(part)
            else:
                value = part
        except ValueError:
            return None
        conds.append(c == value)
    if "grid_code" in t.c:
        conds.append(area_clause(scope, func.coalesce(t.c.grid_code, "")))
    elif table == "area":
        conds.append(area_clause(scope, t.c.code))
    r = s.etl_run
    df = frame(db, select(t.c.src_source, t.c.src_key, t.c.src_run_id, t.c.loaded_at, r.c.started_at.label("run_started"),
                          r.c.ended_at.label("run_ended"), r.c.status.label("run_status"))
               .select_from(t.outerjoin(r, r.c.id == t.c.src_run_id)).where(and_(*conds)).limit(1))
    if df.empty:
        return None
    out = df.iloc[0].to_dict()
    target = TARGETS.get(table)
    out["business_key"] = ", ".join(target.business_key) if target else ""
    return out
