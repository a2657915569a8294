"""Standardisation: a pipeline of small named steps that turn a batch of raw source rows into
rows of a warehouse table, rejecting bad rows with a rule and a reason.

Each step looks only at the rows still alive, rejects some (the first failing rule wins, steps run
in ``PIPELINE`` order) and writes the standardised values of its fields into ``Batch.values``.
Steps are vectorised over the batch; each can be called alone in tests with a hand-made ``Batch``.

Source columns repeat their values a lot (codes, dates, grids, sensor ids): a field is factorised
once (``Batch.distinct``) and every check or conversion runs once per distinct value, the results
spread back onto the rows with a NumPy take.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from cockpit.config import SourceConfig
from cockpit.etl.locate import AreaIndex
from cockpit.etl import parse, value_maps
from cockpit.etl.load import Rows, encode_texts, hash_lines
from cockpit.privacy import mask_text, secret_hash
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
    # salted hashes of personal numbers already computed in this pass (bounded: see _personal_number)
    hash_cache: dict[str, str] = field(default_factory=dict, repr=False)

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
    # rows a value map's "*" fallback took: input field -> source code -> rows (cockpit/etl/value_maps.py)
    fallbacks: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    _mapped: set[str] = dataclasses.field(default_factory=set, repr=False)  # fields whose value map is applied
    _inputs: dict[str, pd.Series] = dataclasses.field(default_factory=dict, repr=False)
    _texts: dict[str, pd.Series] = dataclasses.field(default_factory=dict, repr=False)
    _distinct: dict[str, tuple[np.ndarray, np.ndarray]] = dataclasses.field(default_factory=dict, repr=False)
    _alive: np.ndarray | None = dataclasses.field(default=None, repr=False)  # rule is None, kept up to date by reject

    def __post_init__(self) -> None:
        self.raw = self.raw.reset_index(drop=True)
        n = len(self.raw)
        self.rule = pd.Series([None] * n, dtype=object)
        self.field = pd.Series([None] * n, dtype=object)
        self.reason = pd.Series([None] * n, dtype=object)
        if self.key is None:
            self.key = _join_keys([self.text(c) if c in self.raw else None for c in self.source.primary_key], n)

    @property
    def target(self) -> Target:
        return TARGETS[self.source.target]

    @property
    def alive(self) -> pd.Series:
        return pd.Series(self._alive_mask().copy(), index=self.rule.index)

    def text(self, col: str) -> pd.Series:
        """A raw source column as stripped text (None where empty), computed once per batch."""
        if col not in self._texts:
            self._texts[col] = parse.as_text(self.raw[col])
        return self._texts[col]

    def input(self, fld: str) -> pd.Series:
        """The input field as stripped text (None where empty): a mapped column or a constant, through
        the field's value map once ``map_values`` has run."""
        if fld not in self._inputs:
            if fld in self.source.columns:
                value = self.text(self.source.columns[fld])
            elif fld in self.source.constants:
                const = parse.text_list([self.source.constants[fld]])[0]
                value = pd.Series([const] * len(self.raw), dtype=object)
            else:
                value = pd.Series([None] * len(self.raw), dtype=object)
            self._inputs[fld] = value
        return self._inputs[fld].copy()

    def distinct(self, fld: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct values) of an input field: ``values[codes]`` is the field, -1 where empty."""
        if fld not in self._distinct:
            self.input(fld)
            self._distinct[fld] = parse.factorize(self._inputs[fld])
        return self._distinct[fld]

    def fields_of(self, *types: str) -> list[str]:
        t = self.target
        return [f for f, spec in t.fields.items() if spec.type in types and (f in self.source.columns or f in self.source.constants)]

    def _alive_mask(self) -> np.ndarray:
        if self._alive is None or len(self._alive) != len(self.rule):
            self._alive = self.rule.isna().to_numpy(copy=True)
        return self._alive

    def reject(self, mask: pd.Series | np.ndarray, rule: str, fld: str | None,
               reasons: pd.Series | str | Callable[[pd.Series], pd.Series]) -> None:
        """Reject rows in ``mask`` (a boolean Series or array) that are still alive. ``reasons`` may be a
        function of the rejected rows' mask, so the text is built only for them."""
        if isinstance(mask, pd.Series):
            mask = mask.fillna(False).to_numpy(dtype=bool)
        hit = np.asarray(mask, dtype=bool) & self._alive_mask()
        if not hit.any():
            return
        self._alive[hit] = False
        hit = pd.Series(hit, index=self.rule.index)
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
    return _join_keys([parse.as_text(raw[c]) if c in raw else None for c in pk], len(raw))


def _join_keys(parts: list[pd.Series | None], n: int) -> pd.Series:
    if any(p is None for p in parts):
        return pd.Series([None] * n, dtype=object)
    if len(parts) == 1:
        return parts[0].copy()
    cols = [p.tolist() for p in parts]
    return pd.Series([None if None in t else "|".join(t) for t in zip(*cols)], dtype=object)


def _series(values: np.ndarray | list, dtype: object = object) -> pd.Series:
    return pd.Series(values, dtype=dtype)


def _quote(values: pd.Series) -> pd.Series:
    return values.map(lambda v: repr(v) if v is not None else "empty")


# ---------------------------------------------------------------- steps
def check_keys(b: Batch, ctx: Context) -> None:
    """missing_key: every primary-key column has a value."""
    for col in b.source.primary_key:
        empty = b.text(col).isna() if col in b.raw else pd.Series(True, index=b.raw.index)
        b.reject(empty, "missing_key", col, f"primary key column {col!r} is empty")


def check_duplicates(b: Batch, ctx: Context) -> None:
    """duplicate: a primary key seen earlier in the batch (or run); the first copy is kept."""
    alive = b.alive
    dup = pd.Series(False, index=b.raw.index)
    dup[alive] = b.key[alive].duplicated(keep="first")
    if b.seen_keys:
        seen = b.seen_keys  # may hold millions of keys: one set lookup per row, never a copy of the set
        dup |= alive & pd.Series([k in seen for k in b.key.tolist()], index=b.raw.index, dtype=bool)
    label = "+".join(b.source.primary_key)
    b.reject(dup, "duplicate", label, lambda h: "duplicate of primary key " + b.key[h].map(repr) + " earlier in the extract")


def check_id_numbers(b: Batch, ctx: Context) -> None:
    """invalid_id_number: GB 11643 check character; valid numbers become a salted hash and a masked form."""
    for fld in b.fields_of("id_number"):
        codes, values = b.distinct(fld)
        valid_u = parse.valid_id_numbers(_series(values)).to_numpy(dtype=bool)
        present = codes >= 0
        bad = present & ~parse.spread(valid_u, codes, False, bool)
        text = b.input(fld)
        b.reject(bad, "invalid_id_number", fld,
                 lambda h: f"{b.column_label(fld)}: " + _quote(text[h].map(_mask_any)) + " fails the GB 11643 check digit")
        _personal_number(b, ctx, fld, codes, [v.upper() for v in values], valid_u)


def check_credit_codes(b: Batch, ctx: Context) -> None:
    """invalid_credit_code: GB 32100 check character of 统一社会信用代码."""
    for fld in b.fields_of("credit_code"):
        codes, values = b.distinct(fld)
        upper = np.array([v.upper() for v in values], dtype=object)
        valid_u = parse.valid_credit_codes(_series(upper)).to_numpy(dtype=bool)
        present = codes >= 0
        valid = parse.spread(valid_u, codes, False, bool)
        text = _series(parse.spread(upper, codes))
        b.reject(present & ~valid, "invalid_credit_code", fld,
                 lambda h: f"{b.column_label(fld)}: " + _quote(text[h]) + " fails the GB 32100 check character")
        b.values[fld] = _series(parse.spread(np.where(valid_u, upper, None), codes))


_PHONE_NOISE = re.compile(r"[\s()]")


def check_phones(b: Batch, ctx: Context) -> None:
    """invalid_phone: a mobile number (or landline with area code); becomes a salted hash and a masked form."""
    for fld in b.fields_of("phone"):
        codes, values = b.distinct(fld)
        cleaned = np.array([_PHONE_NOISE.sub("", v) for v in values], dtype=object)
        valid_u = parse.valid_phones(_series(cleaned)).to_numpy(dtype=bool)
        present = codes >= 0
        bad = present & ~parse.spread(valid_u, codes, False, bool)
        text = _series(parse.spread(cleaned, codes))
        b.reject(bad, "invalid_phone", fld,
                 lambda h: f"{b.column_label(fld)}: " + _quote(text[h].map(_mask_any)) + " is not a phone number")
        _personal_number(b, ctx, fld, codes, list(cleaned), valid_u)


def parse_date_fields(b: Batch, ctx: Context) -> None:
    """bad_date: dates and times in the source's declared format (default ISO 8601)."""
    for fld in b.fields_of("date", "datetime"):
        fmt = b.source.formats.get(fld, "iso")
        codes, values = b.distinct(fld)
        ts = parse.parse_distinct_dates(_series(values), fmt)
        typ = b.target.fields[fld].type
        stored = (parse.format_dates(ts) if typ == "date" else parse.format_datetimes(ts)).to_numpy(dtype=object)
        bad = parse.spread(ts.isna().to_numpy(), codes, False, bool)
        text = b.input(fld)
        b.reject(bad, "bad_date", fld,
                 lambda h: f"{b.column_label(fld)}: " + _quote(text[h]) + f" is not a valid date in format {fmt!r}")
        b.values[fld] = _series(parse.spread(stored, codes))


def map_values(b: Batch, ctx: Context) -> None:
    """unknown_code: every field with a value map (codes, statuses, grid and area codes, addresses,
    dates …) through it, before any other step reads the field; a code the map does not list goes to
    its ``"*"`` entry if it has one (counted in ``Batch.fallbacks``: the rows alive when the maps are
    applied whose code the fallback took, whatever the other maps make of them), else the row is rejected."""
    alive = b._alive_mask().copy()
    for fld in b.source.values:
        _apply_value_map(b, fld, alive)


def _apply_value_map(b: Batch, fld: str, alive: np.ndarray) -> None:
    if fld in b._mapped or fld not in b.source.columns:
        return
    mapping = b.source.values[fld]
    codes, values = b.distinct(fld)
    mapped_u, took_u = value_maps.map_distinct(mapping, values)
    unknown = parse.spread(pd.isna(mapped_u), codes, False, bool)
    text = b.input(fld)
    b.reject(unknown, "unknown_code", fld,
             lambda h: f"{b.column_label(fld)}: code " + _quote(text[h])
             + f' is not in [sources.{b.source.name}.values.{fld}] (add it, or a "*" fallback entry)')
    if took_u.any():  # rows still alive that the fallback took, per source code
        per_code = np.bincount(codes[(codes >= 0) & alive], minlength=len(values))
        taken = {str(values[i]): int(per_code[i]) for i in np.flatnonzero(took_u) if per_code[i]}
        if taken:
            value_maps.merge(b.fallbacks, {fld: taken})
    b._inputs[fld] = _series(parse.spread(mapped_u, codes))
    b._distinct.pop(fld, None)
    b._mapped.add(fld)


def map_codes(b: Batch, ctx: Context) -> None:
    """Codes and text fields as mapped (``map_values``; applied here if it has not run);
    unknown_code: yes/no values to booleans."""
    map_values(b, ctx)  # (a no-op for the fields already mapped)
    for fld in b.fields_of("code", "str", "text"):
        b.values[fld] = b.input(fld)
    for fld in b.fields_of("bool"):
        codes, values = b.distinct(fld)
        flags_u = parse.parse_bools(_series(values)).to_numpy(dtype=object)
        unknown = parse.spread(pd.isna(flags_u), codes, False, bool)
        text = b.input(fld)
        b.reject(unknown, "unknown_code", fld,
                 lambda h: f"{b.column_label(fld)}: " + _quote(text[h]) + " is not a yes/no value (1/0, true/false, 是/否)")
        b.values[fld] = _series(parse.spread(flags_u, codes))
    for fld in b.fields_of("geometry"):
        b.values[fld] = b.input(fld)


def mask_free_text(b: Batch, ctx: Context) -> None:
    """Free-text fields (titles, contents, addresses, names) with the ID, mobile and landline numbers
    inside them masked, so the warehouse never holds one. Once per distinct value; a text without
    seven digits (most of them) is passed over by ``mask_text``'s cheap pre-filter."""
    for fld in b.fields_of("text"):
        values = b.values.get(fld)
        if values is None:
            continue
        codes, texts = parse.factorize(values)
        masked = [mask_text(v) if isinstance(v, str) else v for v in texts]  # (a cheap pre-filter inside)
        if any(m is not v for m, v in zip(masked, texts)):
            b.values[fld] = _series(parse.spread(masked, codes))


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
    missing = grid.isna() & b.alive
    if not missing.any():
        b.values["grid_code"] = grid
        return
    reason = pd.Series("no grid_code, address or coordinates to place the row on a grid", index=b.raw.index, dtype=object)
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
        codes, values = b.distinct(fld)
        num_u = pd.to_numeric(_series([v.replace(",", "") for v in values]), errors="coerce").astype(float).to_numpy()
        bad_u = ~np.isfinite(num_u)
        what = "a number"
        is_int = b.target.fields[fld].type == "int"
        if is_int:
            with np.errstate(invalid="ignore"):
                bad_u |= (np.mod(num_u, 1) != 0) | (np.abs(num_u) > INT32)
            what = "a whole number"
        text = b.input(fld)
        b.reject(parse.spread(bad_u, codes, False, bool), "bad_number", fld,
                 lambda h: f"{b.column_label(fld)}: " + _quote(text[h]) + f" is not {what}")
        num = pd.Series(parse.spread(np.where(bad_u, np.nan, num_u), codes, np.nan, float), dtype=float)
        b.values[fld] = num.round().astype("Int64") if is_int else num


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
        codes, cats = parse.factorize(b.values["category_code"])
        b.values["board"] = _series(parse.spread([ctx.category_board.get(c) for c in cats], codes))
        b.values["department_code"] = _series(parse.spread([ctx.category_department.get(c) for c in cats], codes))
        b.values["village_code"] = ctx.areas.village_of(b.values["grid_code"])


PIPELINE: tuple[Callable[[Batch, Context], None], ...] = (
    check_keys, check_duplicates, map_values, check_id_numbers, check_credit_codes, check_phones, parse_date_fields,
    map_codes, mask_free_text, locate, check_required, parse_numbers, check_references, derive_target_columns,
)


def standardise(b: Batch, ctx: Context) -> Batch:
    for step in PIPELINE:
        step(b, ctx)
    return b


# ---------------------------------------------------------------- personal numbers
def _mask_middle(v: str) -> str:
    """First 3 and last 4 characters kept, the rest starred (valid ID and phone numbers only)."""
    return v[:3] + "*" * len(v[3:-4]) + v[-4:]


def _mask_any(v: Any) -> Any:
    return mask_text(v) if isinstance(v, str) else v


HASH_CACHE_LIMIT = 200_000


def _personal_number(b: Batch, ctx: Context, fld: str, codes: np.ndarray, values: list[str], valid: np.ndarray) -> None:
    """Fill the ``into`` columns (hash, masked) of a personal number from its distinct ``values``
    (``valid`` per value), for the rows still alive; a column shared by two fields (reporter id or
    phone) keeps the first field's value."""
    hash_col, masked_col = b.target.fields[fld].into or (None, None)
    dead = ~b._alive_mask()
    if hash_col:
        cache = ctx.hash_cache
        if len(cache) > HASH_CACHE_LIMIT:
            cache.clear()
        hashed_u = [None] * len(values)
        for i, (v, ok) in enumerate(zip(values, valid)):
            if ok:
                h = cache.get(v)
                if h is None:
                    h = cache[v] = secret_hash(ctx.id_salt, v)
                hashed_u[i] = h
        hashed = parse.spread(hashed_u, codes)
        hashed[dead] = None
        hashed = _series(hashed)
        b.values[hash_col] = b.values[hash_col].where(b.values[hash_col].notna(), hashed) if hash_col in b.values else hashed
    if masked_col:
        masked = parse.spread([_mask_middle(v) if ok else None for v, ok in zip(values, valid)], codes)
        masked[dead] = None
        masked = _series(masked)
        b.values[masked_col] = (b.values[masked_col].where(b.values[masked_col].notna(), masked)
                                if masked_col in b.values else masked)


# ---------------------------------------------------------------- output
def row_hashes(frame: pd.DataFrame) -> pd.Series:
    """A 32-hex-character hash (SHA-256 cut to 128 bits) of each row's values, columns in name order
    (the load hashes the rows it writes the same way, columns in table order)."""
    if frame.empty:
        return pd.Series([], dtype=object)
    texts = [encode_texts(parse.plain_values(frame[c])) for c in sorted(frame.columns)]
    return pd.Series(hash_lines(list(map("\t".join, zip(*texts)))), index=frame.index, dtype=object)


def output_rows(b: Batch, table_columns: list[str], run_id: int | None) -> Rows:
    """Rows that passed every step as plain values: the columns the table has and lineage, with the
    source's version of each row (no row_hash and loaded_at yet: ``load.finish_rows`` adds them)."""
    keep = b._alive_mask().copy()
    n = int(keep.sum())
    names = [c for c in b.values if c in table_columns]
    columns = [parse.plain_values(b.values[c], keep) for c in names]
    names += ["src_source", "src_key", "src_run_id"]
    columns += [[b.source.name] * n, parse.plain_values(b.key, keep), [run_id] * n]
    # The source's version (its replication value) is part of the row hash: a source update that
    # changes no mapped value (a status step that maps to the same code) is still a new version,
    # loaded and traced to its run; an unchanged row re-read by a full run still hashes equal.
    rep = b.source.replication_key
    version = b.raw[rep].to_numpy(dtype=object)[keep].tolist() if rep in b.raw.columns else None
    return Rows(names, columns, version)


def fingerprint(raw_json: str) -> str:
    return hashlib.md5(raw_json.encode("utf-8")).hexdigest()
