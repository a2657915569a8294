"""Injected bad rows: each with exactly one defect, each listed in the manifest.

Which config sources read a table (and through which columns) comes from ``config/sources/demo.toml``,
so a defect in a column is listed for every source that maps that column, and a missing key or a
duplicate for every source of the table.
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cockpit.demo.identities import wrong_credit_check, wrong_id_check
from cockpit.demo.store import BAD_DATES, TableData

DEMO_SOURCES = Path(__file__).resolve().parent.parent.parent / "config" / "sources" / "demo.toml"

RULES = ("missing_key", "duplicate", "invalid_id_number", "invalid_credit_code", "bad_date", "unknown_code",
         "unknown_location", "missing_value", "bad_number", "unknown_reference")
BAD_NUMBERS = ("缺测", "约12", "12..5", "十二")


@dataclass(frozen=True)
class SourceDecl:
    name: str
    location: str  # "<db stem>/<table>" or the CSV file name
    columns: dict[str, str]  # field -> column
    primary_key: tuple[str, ...]

    def field_of(self, column: str) -> str | None:
        for f, c in self.columns.items():
            if c == column:
                return f
        return None


def source_decls(path: Path = DEMO_SOURCES) -> dict[str, SourceDecl]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)["sources"]
    out = {}
    for name, b in data.items():
        if b["kind"] == "sql":
            loc = b["url"].rsplit("/", 1)[1].removesuffix(".db") + "/" + b["table"]
        else:
            loc = b["path"].rsplit("/", 1)[1]
        pk = b["primary_key"]
        out[name] = SourceDecl(name, loc, dict(b["columns"]), (pk,) if isinstance(pk, str) else tuple(pk))
    return out


def location_of(td: TableData) -> str:
    return td.db if td.kind == "csv" else f"{td.db}/{td.name}"


def sources_of(td: TableData, decls: dict[str, SourceDecl]) -> list[SourceDecl]:
    return [d for d in decls.values() if d.location == location_of(td)]


def row_key(td: TableData, row: list, pk: tuple[str, ...]) -> str | None:
    vals = [row[td.idx(c)] for c in pk]
    if any(v is None or v == "" for v in vals):
        return None
    return "|".join(str(v) for v in vals)


@dataclass
class Plan:
    rule: str
    column: str | None  # None for duplicate
    bad: object = None  # unknown_location / unknown_code / unknown_reference: the replacement value, or a callable(row)


def inject(td: TableData, plans: list[Plan], decls: dict[str, SourceDecl], rng: random.Random,
           share: float = 0.006) -> list[dict]:
    """Spoil ``share`` of the rows (at least one per plan) and return the manifest entries."""
    sources = sources_of(td, decls)
    assert sources, f"no source declared for {location_of(td)}"
    n = len(td.rows)
    per = max(1, round(n * share / len(plans)))
    pool = [i for i in range(n) if i not in td.protected]
    rng.shuffle(pool)
    entries: list[dict] = []
    blank = "" if td.kind == "csv" else None
    extra: list[list] = []
    for plan in plans:
        for _ in range(per):
            i = pool.pop()
            row = td.rows[i]
            if plan.rule == "duplicate":
                copy = list(row)
                extra.append(copy)
                for s in sources:
                    entries.append(_entry(td, s, copy, "duplicate", None, {c: copy[td.idx(c)] for c in s.primary_key}))
                continue
            ci = td.idx(plan.column)
            if plan.rule in ("missing_key", "missing_value"):
                row[ci] = blank
            elif plan.rule == "invalid_id_number":
                row[ci] = wrong_id_check(row[ci], rng)
            elif plan.rule == "invalid_credit_code":
                row[ci] = wrong_credit_check(row[ci], rng)
            elif plan.rule == "bad_date":
                year = int(str(row[ci])[:4]) if row[ci] is not None and str(row[ci])[:4].isdigit() else 2025
                row[ci] = BAD_DATES[td.fmt(plan.column)](year)
            elif plan.rule == "bad_number":
                row[ci] = rng.choice(BAD_NUMBERS)
            else:  # unknown_code, unknown_location, unknown_reference
                bad = plan.bad(row) if callable(plan.bad) else plan.bad
                if isinstance(bad, dict):  # several columns, one defect (coordinates)
                    for c, v in bad.items():
                        row[td.idx(c)] = v
                else:
                    row[ci] = bad
            match = {td.unique: row[td.idx(td.unique)]}
            for s in sources:
                fld = s.field_of(plan.column)
                if plan.rule == "missing_key" or fld is not None:
                    entries.append(_entry(td, s, row, plan.rule, fld, match))
    if extra:
        td.has_duplicates = True
        td.rows.extend(extra)
    return entries


def _entry(td: TableData, s: SourceDecl, row: list, rule: str, fld: str | None, match: dict) -> dict:
    return {"source": s.name, "key": row_key(td, row, s.primary_key), "rule": rule, "field": fld, "match": match}
