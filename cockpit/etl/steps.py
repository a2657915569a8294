"""Standardisation: a pipeline of small named steps that turn a batch of raw source rows into
rows of a warehouse table, rejecting bad rows with a rule and a reason.

Each step looks only at the rows still alive, rejects some (the first failing rule wins, steps run
in ``PIPELINE`` order) and writes the standardised values of its fields into ``Batch.values``.
Steps are vectorised over the batch; each can be called alone in tests with a hand-made ``Batch``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from cockpit.config import SourceConfig
from cockpit.etl.locate import AreaIndex
from cockpit.etl import parse
from cockpit.privacy import secret_hash
from cockpit.warehouse.targets import TARGETS, Target

RULES = ("missing_key", "duplicate", "invalid_id_number", "invalid_credit_code", "invalid_phone", "bad_date",
         "unknown_code", "unknown_location", "missing_value", "bad_number", "unknown_reference")
INT32 = 2**31 - 1


@dataclass
class Context:
    """What the steps check against: reference code lists and the area registry (read once per pass)."""

    id_salt: str
    areas: AreaIndex = field(default_factory=AreaIndex)
    refs: dict[str, set[str]] = field(default_factory=dict)  # 'category' | 'channel' | 'department' | 'indicator'
    category_board: dict[str, str] = field(default_factory=dict)
    category_department: dict[str, str] = field(default_factory=dict)

    def ref_codes(self, ref: str) -> set[str]:
        return self.areas.codes if ref == "area" else self.refs.get(ref, set())


@dataclass
class Batch:
    """Raw rows of one source batch and what the steps made of them so far."""

    source: SourceConfig
    raw: pd.DataFrame  # source columns as read; index 0..n-1
    values: dict[str, pd.Series] = field(default_factory=dict)  # table column -> standardised values
    rule: pd.Series = None  # type: ignore[assignment]  # rejection rule per row (None: alive)
    field: pd.Series = None  # type: ignore[assignment]
    reason: pd.Series = None  # type: ignore[assignment]
    key: pd.Series = None  # type: ignore[assignment]  # src_key per row ('|'-joined primary key) or None
    seen_keys: set[str] | None = None  # keys loaded earlier in the same run (duplicates across batches)
    _inputs: dict[str, pd.Series] = dataclasses.field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.raw = self.raw.reset_index(drop=True)
        n = len(self.raw)
        self.rule = pd.Series([None] * n, dtype=object)
        self.field = pd.Series([None] * n, dtype=object)
        self.reason = pd.Series([None] * n, dtype=object)
        if self.key is None:
            self.key = source_keys(self.raw, self.source.primary_key)

    @property
    def target(self) -> Target:
        return TARGETS[self.source.target]

    @property
    def alive(self) -> pd.Series:
        return self.rule.isna()

    def input(self, fld: str) -> pd.Series:
        """The raw input field as stripped text (None where empty): a mapped column or a constant."""
        if fld not in self._inputs:
            if fld in self.source.columns:
                value = parse.as_text(self.raw[self.source.columns[fld]])
            elif fld in self.source.constants:
                value = parse.as_text(pd.Series([self.source.constants[fld]] * len(self.raw), dtype=object))
            else:
                value = pd.Series([None] * len(self.raw), dtype=object)
            self._inputs[fld] = value
        return self._inputs[fld].copy()

    def fields_of(self, *types: str) -> list[str]:
        t = self.target
        return [f for f, spec in t.fields.items() if spec.type in types and (f in self.source.columns or f in self.source.constants)]

    def reject(self, mask: pd.Series, rule: str, fld: str | None,
               reasons: pd.Series | str | Callable[[pd.Series], pd.Series]) -> None:
        """Reject rows in ``mask`` that are still alive. ``reasons`` may be a function of the rejected
        rows' mask, so the text is built only for them."""
        hit = mask.fillna(False).astype(bool) & self.alive
        if not hit.any():
            return
        self.rule[hit] = rule
        self.field[hit] = fld
        if callable(reasons):
            reasons = reasons(hit)
        self.reason[hit] = reasons[hit] if isinstance(reasons, pd.Series) else reasons

    def column_label(self, fld: str) -> str:
        col = self.source.columns.get(fld)
        return f"{fld} (column {col!r})" if col else fld


def source_keys(raw: pd.DataFrame, pk: tuple[str, ...]) -> pd.Series:
    """'|'-joined primary key values as text; None when any part is empty."""
    parts = [parse.as_text(raw[c]) if c in raw else pd.Series([None] * len(raw), dtype=object) for c in pk]
    key = parts[0].copy()
    missing = parts[0].isna()
    for p in parts[1:]:
        missing |= p.isna()
        key = key.astype(str) + "|" + p.astype(str)
    return key.where(~missing, None)


def _quote(values: pd.Series) -> pd.Series:
    return values.map(lambda v: repr(v) if v is not None else "empty")


# ---------------------------------------------------------------- steps
def check_keys(b: Batch, ctx: Context) -> None:
    """missing_key: every primary-key column has a value."""
    for col in b.source.primary_key:
        empty = parse.as_text(b.raw[col]).isna() if col in b.raw else pd.Series(True, index=b.raw.index)
        b.reject(empty, "missing_key", col, f"primary key column {col!r} is empty")


def check_duplicates(b: Batch, ctx: Context) -> None:
    """duplicate: a primary key seen earlier in the batch (or run); the first copy is kept."""
    alive = b.alive
    dup = pd.Series(False, index=b.raw.index)
    dup[alive] = b.key[alive].duplicated(keep="first")
    if b.seen_keys:
        dup |= alive & b.key.isin(b.seen_keys)
    label = "+".join(b.source.primary_key)
    b.reject(dup, "duplicate", label, lambda h: "duplicate of primary key " + b.key[h].map(repr) + " earlier in the extract")


def check_id_numbers(b: Batch, ctx: Context) -> None:
    """invalid_id_number: GB 11643 check character; valid numbers become a salted hash and a masked form."""
    for fld in b.fields_of("id_number"):
        text = b.input(fld)
        present = text.notna()
        valid = parse.valid_id_numbers(text.where(present, ""))
        b.reject(present & ~valid, "invalid_id_number", fld,
                 lambda h: f"{b.column_label(fld)}: " + _quote(text[h].map(_mask_any)) + " fails the GB 11643 check digit")
        _personal_number(b, ctx, fld, text.str.upper(), _mask_id)


def check_credit_codes(b: Batch, ctx: Context) -> None:
    """invalid_credit_code: GB 32100 check character of 统一社会信用代码."""
    for fld in b.fields_of("credit_code"):
        text = b.input(fld).str.upper()
        present = text.notna()
        valid = parse.valid_credit_codes(text.where(present, ""))
        b.reject(present & ~valid, "invalid_credit_code", fld,
                 lambda h: f"{b.column_label(fld)}: " + _quote(text[h]) + " fails the GB 32100 check character")
        b.values[fld] = text.where(present & valid, None)


def check_phones(b: Batch, ctx: Context) -> None:
    """invalid_phone: a mobile number (or landline with area code); becomes a salted hash and a masked form."""
    for fld in b.fields_of("phone"):
        text = b.input(fld).str.replace(r"[\s()]", "", regex=True)
        present = text.notna()
        valid = parse.valid_phones(text.where(present, ""))
        b.reject(present & ~valid, "invalid_phone", fld,
                 lambda h: f"{b.column_label(fld)}: " + _quote(text[h].map(_mask_any)) + " is not a phone number")
        _personal_number(b, ctx, fld, text, _mask_phone)


def parse_date_fields(b: Batch, ctx: Context) -> None:
    """bad_date: dates and times in the source's declared format (default ISO 8601)."""
    for fld in b.fields_of("date", "datetime"):
        fmt = b.source.formats.get(fld, "iso")
        text = b.input(fld)
        ts = parse.parse_dates(text, fmt)
        b.reject(text.notna() & ts.isna(), "bad_date", fld,
                 lambda h: f"{b.column_label(fld)}: " + _quote(text[h]) + f" is not a valid date in format {fmt!r}")
        typ = b.target.fields[fld].type
        b.values[fld] = parse.format_dates(ts) if typ == "date" else parse.format_datetimes(ts)


def map_codes(b: Batch, ctx: Context) -> None:
    """unknown_code: source codes through the configured value map; yes/no values to booleans."""
    for fld in b.fields_of("code", "str"):
        text = b.input(fld)
        mapping = b.source.values.get(fld)
        if mapping is None:
            b.values[fld] = text
            continue
        mapped = text.map(mapping)
        b.reject(text.notna() & mapped.isna(), "unknown_code", fld,
                 lambda h: f"{b.column_label(fld)}: code " + _quote(text[h]) + f" is not in [sources.{b.source.name}.values.{fld}]")
        b.values[fld] = mapped.where(text.notna(), None).astype(object)
    for fld in b.fields_of("bool"):
        text = b.input(fld)
        flags = parse.parse_bools(text)
        b.reject(text.notna() & flags.isna(), "unknown_code", fld,
                 lambda h: f"{b.column_label(fld)}: " + _quote(text[h]) + " is not a yes/no value (1/0, true/false, 是/否)")
        b.values[fld] = flags
    for fld in b.fields_of("geometry"):
        b.values[fld] = b.input(fld)


def locate(b: Batch, ctx: Context) -> None:
    """unknown_location: a grid code of the registry, else the grid named by the address
    (village + N组), else the grid whose polygon contains lon/lat."""
    t = b.target
    if not t.located:
        if "grid_code" in t.fields and "grid_code" in b.values:
            return
        if "grid_code" in b.source.columns or "grid_code" in b.source.constants:
            b.values["grid_code"] = b.input("grid_code")
        return
    grid_in = b.input("grid_code")
    grid = pd.Series([None] * len(b.raw), dtype=object)
    given = grid_in.notna()
    known = ctx.areas.known_grids(grid_in)
    b.reject(given & ~known, "unknown_location", "grid_code",
             lambda h: f"{b.column_label('grid_code')}: " + _quote(grid_in[h]) + " is not a grid of the area registry")
    grid[given & known] = grid_in[given & known]
    address = b.input("address")
    todo = b.alive & grid.isna() & address.notna()
    if todo.any():
        grid[todo] = ctx.areas.grids_from_address(address[todo])
    lon, lat = b.input("lon"), b.input("lat")
    todo = b.alive & grid.isna() & lon.notna() & lat.notna()
    if todo.any():
        grid[todo] = ctx.areas.grids_from_points(lon[todo], lat[todo])
    missing = grid.isna()
    reason = pd.Series("no grid_code, address or coordinates to place the row on a grid", index=b.raw.index)
    has_coords = lon.notna() & lat.notna() & missing
    reason[has_coords] = (f"{b.column_label('lon')}/lat: (" + lon[has_coords].astype(str) + ", "
                          + lat[has_coords].astype(str) + ") lies in no grid")
    has_address = address.notna() & missing
    reason[has_address] = (f"{b.column_label('address')}: " + _quote(address[has_address])
                           + " names no known village and 组 (grid)")
    fld = np.where(has_address, "address", np.where(has_coords, "lon", "grid_code"))
    for f in ("address", "lon", "grid_code"):
        b.reject(missing & (pd.Series(fld, index=b.raw.index) == f), "unknown_location", f, reason)
    b.values["grid_code"] = grid


def check_required(b: Batch, ctx: Context) -> None:
    """missing_value: required fields have a value."""
    for fld, spec in b.target.fields.items():
        if not spec.required:
            continue
        text = b.input(fld)
        b.reject(text.isna(), "missing_value", fld, f"{b.column_label(fld)}: required value is empty")


def parse_numbers(b: Batch, ctx: Context) -> None:
    """bad_number: integers and decimals (full-width digits are not guessed at)."""
    for fld in b.fields_of("int", "float"):
        text = b.input(fld)
        num = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
        bad = text.notna() & (num.isna() | ~np.isfinite(num.fillna(0)))
        what = "a number"
        if b.target.fields[fld].type == "int":
            bad |= num.notna() & ((num % 1 != 0) | (num.abs() > INT32))
            what = "a whole number"
        b.reject(bad, "bad_number", fld, lambda h: f"{b.column_label(fld)}: " + _quote(text[h]) + f" is not {what}")
        if b.target.fields[fld].type == "int":
            b.values[fld] = num.where(~bad).round().astype("Int64")
        else:
            b.values[fld] = num.where(~bad).astype(float)


def check_references(b: Batch, ctx: Context) -> None:
    """unknown_reference: codes of unified lists (category, channel, department, indicator) and area codes
    exist in the warehouse."""
    for fld, spec in b.target.fields.items():
        if not spec.ref or fld not in b.values:
            continue
        values = b.values[fld]
        known = values.isin(ctx.ref_codes(spec.ref))
        b.reject(values.notna() & ~known, "unknown_reference", fld,
                 lambda h: f"{b.column_label(fld)}: " + _quote(values[h]) + f" is not a known {spec.ref} code")


def derive_target_columns(b: Batch, ctx: Context) -> None:
    """Columns a target computes: event board and department from the category, village from the grid."""
    if b.source.target == "event":
        cat = b.values["category_code"]
        b.values["board"] = cat.map(ctx.category_board)
        b.values["department_code"] = cat.map(ctx.category_department)
        b.values["village_code"] = ctx.areas.village_of(b.values["grid_code"])


PIPELINE: tuple[Callable[[Batch, Context], None], ...] = (
    check_keys, check_duplicates, check_id_numbers, check_credit_codes, check_phones, parse_date_fields,
    map_codes, locate, check_required, parse_numbers, check_references, derive_target_columns,
)


def standardise(b: Batch, ctx: Context) -> Batch:
    for step in PIPELINE:
        step(b, ctx)
    return b


# ---------------------------------------------------------------- personal numbers
def _mask_id(v: pd.Series) -> pd.Series:
    return v.str[:3] + v.str[3:-4].str.replace(r".", "*", regex=True) + v.str[-4:]


def _mask_phone(v: pd.Series) -> pd.Series:
    return v.str[:3] + v.str[3:-4].str.replace(r".", "*", regex=True) + v.str[-4:]


def _mask_any(v: Any) -> Any:
    from cockpit.privacy import mask_text

    return mask_text(v) if isinstance(v, str) else v


def _personal_number(b: Batch, ctx: Context, fld: str, text: pd.Series, mask: Callable[[pd.Series], pd.Series]) -> None:
    """Fill the ``into`` columns (hash, masked) of a personal number; a column shared by two fields
    (reporter id or phone) keeps the first field's value."""
    hash_col, masked_col = b.target.fields[fld].into or (None, None)
    ok = text.notna() & b.alive
    if hash_col:
        cache: dict[str, str] = {}
        hashed = pd.Series([None] * len(text), dtype=object)
        hashed[ok] = [cache.setdefault(v, secret_hash(ctx.id_salt, v)) if v not in cache else cache[v] for v in text[ok]]
        b.values[hash_col] = b.values[hash_col].where(b.values[hash_col].notna(), hashed) if hash_col in b.values else hashed
    if masked_col:
        masked = mask(text.where(ok, None).astype(object).fillna("")).where(ok, None)
        b.values[masked_col] = (b.values[masked_col].where(b.values[masked_col].notna(), masked)
                                if masked_col in b.values else masked)


# ---------------------------------------------------------------- output
def row_hashes(frame: pd.DataFrame) -> pd.Series:
    """A 32-hex-character hash of each row's standardised values. The steps give every column a
    fixed dtype (text/None as object, Int64, float64), so equal rows hash equal across batches."""
    if frame.empty:
        return pd.Series([], dtype=object)
    ordered = frame[sorted(frame.columns)]
    h1 = pd.util.hash_pandas_object(ordered, index=False, hash_key="cockpit-row-hash").to_numpy()
    h2 = pd.util.hash_pandas_object(ordered, index=False, hash_key="cockpit-row-2nd!").to_numpy()
    return pd.Series(np.char.add(np.char.zfill(np.char.mod("%x", h1), 16), np.char.zfill(np.char.mod("%x", h2), 16)),
                     index=frame.index, dtype=object)


def output_frame(b: Batch, table_columns: list[str], run_id: int | None) -> pd.DataFrame:
    """Rows that passed every step, with the columns the table has, lineage and row_hash (no loaded_at)."""
    alive = b.alive
    cols = {c: v[alive] for c, v in b.values.items() if c in table_columns}
    frame = pd.DataFrame(cols, index=b.raw.index[alive])
    frame["src_source"] = b.source.name
    frame["src_key"] = b.key[alive]
    # The source's version (its replication value) is part of the hash: a source update that
    # changes no mapped value (a status step that maps to the same code) is still a new version,
    # loaded and traced to its run; an unchanged row re-read by a full run still hashes equal.
    rep = b.source.replication_key
    hashed = frame.assign(_version=b.raw.loc[alive, rep].astype(str).to_numpy()) if rep in b.raw.columns else frame
    frame["row_hash"] = row_hashes(hashed)
    frame["src_run_id"] = run_id
    return frame


def fingerprint(raw_json: str) -> str:
    return hashlib.md5(raw_json.encode("utf-8")).hexdigest()
