"""Preview a source: its first rows through the whole standardisation, nothing written.

``sources preview NAME`` is what an integrator iterates on before the first load: each row as it
would be loaded, or the rule and reason it would be quarantined for, the count per reason, and the
source codes that no value map knows, most frequent first.

It runs the load's own preparation (``engine.prepare_batches``: extract, the ``steps.PIPELINE``,
the duplicate checks, the rows and their quarantine entries) on one batch of ``rows`` rows read
from the start of the source, in the order the first load reads it, and writes none of it: no
rows, no quarantine, no watermark, no run record. The reference lists and the area registry are
read from the warehouse as the load reads them.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from cockpit import clock
from cockpit.config import Config, SourceConfig

DEFAULT_ROWS = 20
HIDDEN_COLUMNS = ("row_hash", "loaded_at", "src_source", "src_run_id")  # bookkeeping, the same on every row
# rules whose rejected value is a source code that a value map (or the area registry) should know
CODE_RULES = ("unknown_code", "unknown_location", "unknown_reference")


def preview_source(config: Config, engine: Engine, source: SourceConfig, *, rows: int = DEFAULT_ROWS) -> dict[str, Any]:
    """The first ``rows`` rows of ``source`` as the load would standardise them, nothing written.
    Raises ``SourceUnavailable`` or ``ConfigError`` as the load would."""
    from cockpit.etl.engine import load_context, prepare_batches

    rows = max(1, int(rows))
    settings = {**config.settings, "etl": {**config.settings["etl"], "batch_size": rows}}
    one_batch = dataclasses.replace(config, settings=settings)
    ctx = load_context(config, engine)
    batches = prepare_batches(one_batch, source, ctx, None, full=False, now=clock.now)
    try:
        prepared = next(batches, None)
    finally:
        batches.close()  # the rest of the source is never read
    if prepared is None:
        return _report(source, rows, [], [], {})
    names = prepared.rows.names
    shown = [n for n in names if n not in HIDDEN_COLUMNS]
    loaded = [{n: _plain(prepared.rows.column(n)[i]) for n in shown} for i in range(len(prepared.rows))]
    return _report(source, rows, loaded, prepared.issues, getattr(prepared, "fallbacks", None) or {})


def _report(source: SourceConfig, asked: int, loaded: list[dict], issues: list[dict], fallbacks: Any) -> dict[str, Any]:
    reasons = Counter((i["rule"], i["field"]) for i in issues)
    quarantined = [{"key": i["source_key"], "rule": i["rule"], "field": i["field"], "reason": i["reason"],
                    "raw": json.loads(i["raw"])} for i in issues]
    return {
        "source": source.name, "target": source.target, "rows_asked": asked,
        "rows_read": len(loaded) + len(issues), "would_load": len(loaded), "would_quarantine": len(issues),
        "reasons": [{"rule": r, "field": f, "count": n}
                    for (r, f), n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0][0], str(kv[0][1])))],
        "unmapped_codes": unmapped_codes(source, quarantined),
        "fallbacks": _fallback_list(fallbacks),
        "rows": loaded,
        "quarantined": quarantined,
    }


def unmapped_codes(source: SourceConfig, quarantined: list[dict]) -> list[dict[str, Any]]:
    """The source codes rejected as unknown (a value map, the unified lists or the area registry do
    not know them), with how many rows carry each, most frequent first."""
    counts: Counter = Counter()
    for q in quarantined:
        fld = q["field"]
        if q["rule"] not in CODE_RULES or not fld:
            continue
        column = source.columns.get(fld)
        if column is not None:
            code = q["raw"].get(column)
        elif fld in source.constants:
            code = source.constants[fld]
        else:
            continue
        if code is None or (q["rule"] == "unknown_location" and fld != "grid_code"):
            continue  # an address or coordinates are no code
        counts[(fld, column, q["rule"], str(code))] += 1
    return [{"field": f, "column": c, "rule": r, "code": code, "count": n}
            for (f, c, r, code), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][3]))]


def _fallback_list(fallbacks: Any) -> list[dict[str, Any]]:
    """Codes that went to a value map's ``"*"`` fallback, most frequent first (field -> {code: rows})."""
    out = []
    if isinstance(fallbacks, dict):
        for fld, codes in fallbacks.items():
            if isinstance(codes, dict):
                out += [{"field": fld, "code": str(code), "count": int(n)} for code, n in codes.items()]
            else:
                out.append({"field": fld, "code": None, "count": int(codes)})
    return sorted(out, key=lambda d: (-d["count"], d["field"], d["code"] or ""))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if hasattr(value, "item"):  # a NumPy scalar
        return value.item()
    return str(value)
