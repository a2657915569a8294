"""Vectorised parsers for source values: text, dates in the formats sources use, check digits.

Every function takes a pandas Series and returns a Series aligned with it; values that cannot be
parsed become NaT / NaN / False, and the standardisation steps turn those into rejections.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cockpit.privacy import _CREDIT_ALPHABET, _CREDIT_WEIGHTS, _ID_WEIGHTS
from cockpit import clock

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# SQLAlchemy's own SQLite storage formats: strings compare correctly with bound parameters
DATETIME_STORAGE = "%Y-%m-%d %H:%M:%S.%f"
DATE_STORAGE = "%Y-%m-%d"

_CN_DATE = (r"^\s*(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
            r"(?:\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2})\s*秒?)?\s*分?)?\s*$")


def _text1(v: object) -> str | None:
    """One source value as stripped text, None where empty (the general, slower case)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, str):
        v = v.strip()
        return v or None
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if f != f:
            return None
        return str(int(f)) if f.is_integer() else repr(f)
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return str(int(v))
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    t = str(v).strip()
    return t or None


def text_list(values: object) -> list:
    """Source values (any sequence) as a list of stripped text, None where empty. Integral floats lose
    their ``.0`` (a code read as REAL 3.0 is the code "3")."""
    vals = values.tolist() if hasattr(values, "tolist") else list(values)
    # one pass of plain Python per value: the common types take an inline fast path
    if vals and any(v.__class__ is float for v in vals[:64]):  # a REAL column: each distinct number once
        cache: dict = {}
        return [((cache[v] if v in cache else cache.setdefault(v, _text1(v))) if v.__class__ is float else _text1(v))
                for v in vals]
    return [(v.strip() or None) if v.__class__ is str else (str(v) if v.__class__ is int else _text1(v))
            for v in vals]


def as_text(values: pd.Series) -> pd.Series:
    """Source values as stripped text, None where empty. Integral floats lose their ``.0``
    (a code read as REAL 3.0 is the code "3")."""
    return pd.Series(text_list(values.to_numpy(dtype=object)), index=values.index, dtype=object)


def plain_values(values: pd.Series, keep: np.ndarray | None = None) -> list:
    """A column as plain Python values, None where missing (NaN, NA, NaT); only the rows where the
    boolean mask ``keep`` is true, when given."""
    dtype = values.dtype
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iub":
        arr = values.to_numpy(dtype=object, na_value=None)
        return (arr[keep] if keep is not None else arr).tolist()
    if dtype.kind == "f":
        arr = values.to_numpy()
        if keep is not None:
            arr = arr[keep]
        out = arr.tolist()
        return [None if v != v else v for v in out] if np.isnan(arr).any() else out
    arr = values.to_numpy(dtype=object)
    arr = arr[keep] if keep is not None else arr.copy()
    missing = pd.isna(arr)
    if missing.any():
        arr[missing] = None
    out = arr.tolist()
    if dtype.kind in "iubmM":
        out = [v.item() if isinstance(v, np.generic) else v for v in out]
    return out


def factorize(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of an object column; missing values get code -1. Per-value work is
    then done once per distinct value and spread back with ``spread``."""
    arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    codes, uniques = pd.factorize(arr)
    return codes, np.asarray(uniques, dtype=object)


def spread(per_unique: object, codes: np.ndarray, missing: object = None, dtype: object = object) -> np.ndarray:
    """Per-distinct-value results back onto every row (``missing`` where the code is -1)."""
    table = np.empty(len(per_unique) + 1, dtype=dtype)
    table[:-1] = per_unique
    table[-1] = missing
    return table[codes]


def parse_dates(text: pd.Series, fmt: str | None) -> pd.Series:
    """Datetimes (naive local time) from text in ``fmt``: 'iso', 'epoch', 'epoch_ms', 'cn_date',
    'excel' or a strftime pattern. Unparsable or impossible dates (2月30日) become NaT.
    Each distinct value is parsed once."""
    s = text.astype(object)
    arr = s.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=True) not in ("string", "empty"):
        # numbers and other objects as their text (as the source gave them), so 1 and 1.0 stay apart
        arr = np.array([None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in arr],
                       dtype=object)
    codes, uniques = factorize(arr)
    if len(uniques) == 0:
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    parsed = _parse_distinct(pd.Series(uniques, dtype=object), fmt or "iso").to_numpy(dtype="datetime64[ns]")
    return pd.Series(spread(parsed, codes, np.datetime64("NaT", "ns"), dtype="datetime64[ns]"), index=s.index)


def parse_distinct_dates(v: pd.Series, fmt: str | None) -> pd.Series:
    """``parse_dates`` for text that holds each value once and no missing values."""
    if v.empty:
        return pd.Series(pd.NaT, index=v.index, dtype="datetime64[ns]")
    return _parse_distinct(v.astype(object), fmt or "iso")


def _parse_distinct(v: pd.Series, fmt: str) -> pd.Series:
    if fmt in ("epoch", "epoch_ms"):
        num = pd.to_numeric(v, errors="coerce")
        num = num.where(num.abs() < (1e11 if fmt == "epoch" else 1e14))
        ts = pd.to_datetime(num, unit="s" if fmt == "epoch" else "ms", utc=True, errors="coerce")
        parsed = ts.dt.tz_convert(clock.zone()).dt.tz_localize(None)
    elif fmt == "cn_date":
        parts = v.str.extract(_CN_DATE)
        frame = pd.DataFrame({
            "year": pd.to_numeric(parts["y"]), "month": pd.to_numeric(parts["m"]), "day": pd.to_numeric(parts["d"]),
            "hour": pd.to_numeric(parts["H"]).fillna(0), "minute": pd.to_numeric(parts["M"]).fillna(0),
            "second": pd.to_numeric(parts["S"]).fillna(0),
        })
        bad_time = (frame["hour"] > 23) | (frame["minute"] > 59) | (frame["second"] > 59)
        frame.loc[bad_time, "year"] = np.nan
        parsed = pd.to_datetime(frame, errors="coerce")
    elif fmt == "excel":
        num = pd.to_numeric(v, errors="coerce")
        parsed = EXCEL_EPOCH + pd.to_timedelta(num.where((num > 0) & (num < 2958466)), unit="D")
        text_dates = num.isna()
        if text_dates.any():  # a cell openpyxl already read as a date arrives as ISO text
            parsed = parsed.copy()
            parsed[text_dates] = pd.to_datetime(v[text_dates], format="ISO8601", errors="coerce")
    elif fmt == "iso":
        parsed = pd.to_datetime(v, format="ISO8601", errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(clock.zone()).dt.tz_localize(None)
    else:
        parsed = pd.to_datetime(v, format=fmt, errors="coerce")
    return parsed.astype("datetime64[ns]")


def _format(ts: pd.Series, pattern: str) -> pd.Series:
    """Timestamps as text in ``pattern`` (None for NaT), each distinct timestamp formatted once."""
    arr = ts.to_numpy(dtype="datetime64[ns]")
    codes, uniques = pd.factorize(arr)
    if len(uniques) == 0:
        return pd.Series([None] * len(ts), index=ts.index, dtype=object)
    text = pd.DatetimeIndex(uniques).strftime(pattern).to_numpy(dtype=object)
    return pd.Series(spread(text, codes), index=ts.index, dtype=object)


def format_datetimes(ts: pd.Series) -> pd.Series:
    return _format(ts, DATETIME_STORAGE)


def format_dates(ts: pd.Series) -> pd.Series:
    return _format(ts, DATE_STORAGE)


def _char_matrix(values: pd.Series, width: int) -> np.ndarray:
    """(n, width) array of byte values of same-width ASCII strings."""
    joined = "".join(values.tolist()).encode("ascii")
    return np.frombuffer(joined, dtype=np.uint8).reshape(-1, width)


def valid_id_numbers(text: pd.Series) -> pd.Series:
    """GB 11643: 17 digits and a check character (0-9 or X) over weights 2^(17-i) mod 11."""
    v = text.astype(str).str.strip().str.upper()
    ok = v.str.fullmatch(r"\d{17}[\dX]").fillna(False).astype(bool)
    result = pd.Series(False, index=text.index)
    if ok.any():
        m = _char_matrix(v[ok], 18).astype(np.int64)
        total = (m[:, :17] - 48) @ np.asarray(_ID_WEIGHTS, dtype=np.int64)
        expected = np.frombuffer(b"10X98765432", dtype=np.uint8)[total % 11]
        result[ok] = expected == m[:, 17]
    return result


_CREDIT_INDEX = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(_CREDIT_ALPHABET):
    _CREDIT_INDEX[ord(_c)] = _i


def valid_credit_codes(text: pd.Series) -> pd.Series:
    """GB 32100: 18 characters of a 31-letter alphabet, check character = 31 - Σ(value × weight) mod 31."""
    v = text.astype(str).str.strip().str.upper()
    ok = v.str.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{18}").fillna(False).astype(bool)
    result = pd.Series(False, index=text.index)
    if ok.any():
        m = _CREDIT_INDEX[_char_matrix(v[ok], 18)]
        total = m[:, :17] @ np.asarray(_CREDIT_WEIGHTS, dtype=np.int64)
        result[ok] = (31 - total % 31) % 31 == m[:, 17]
    return result


def valid_phones(text: pd.Series) -> pd.Series:
    """Mainland mobile numbers (1[3-9] + 9 digits) or landlines with area code (0571-88001234)."""
    v = text.astype(str).str.strip()
    return v.str.fullmatch(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}").fillna(False).astype(bool)


BOOL_TEXT = {"1": True, "0": False, "true": True, "false": False, "t": True, "f": False, "y": True, "n": False,
             "yes": True, "no": False, "是": True, "否": False}


def parse_bools(text: pd.Series) -> pd.Series:
    """True/False from 1/0, true/false, Y/N, 是/否; None where unknown."""
    codes, uniques = factorize(text.astype(object))
    flags = [BOOL_TEXT.get(str(v).strip().lower()) for v in uniques]
    return pd.Series(spread(flags, codes), index=text.index, dtype=object)
