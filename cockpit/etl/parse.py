"""Vectorised parsers for source values: text, dates in the formats sources use, check digits.

Every function takes a pandas Series and returns a Series aligned with it; values that cannot be
parsed become NaT / NaN / False, and the standardisation steps turn those into rejections.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cockpit.privacy import _CREDIT_ALPHABET, _CREDIT_WEIGHTS, _ID_WEIGHTS

LOCAL_TZ = "Asia/Shanghai"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# SQLAlchemy's own SQLite storage formats: strings compare correctly with bound parameters
DATETIME_STORAGE = "%Y-%m-%d %H:%M:%S.%f"
DATE_STORAGE = "%Y-%m-%d"

_CN_DATE = (r"^\s*(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
            r"(?:\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2})\s*秒?)?\s*分?)?\s*$")


def as_text(values: pd.Series) -> pd.Series:
    """Source values as stripped text, None where empty. Integral floats lose their ``.0``
    (a code read as REAL 3.0 is the code "3")."""
    s = values.astype(object)
    nulls = s.isna()
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind == "empty":
        return pd.Series([None] * len(s), index=s.index, dtype=object)
    if kind in ("floating", "mixed-integer-float", "mixed", "decimal"):
        floats = s.map(lambda v: isinstance(v, float))
        if floats.any():
            s = s.copy()
            s[floats] = [None if np.isnan(v) else (str(int(v)) if v.is_integer() else repr(v)) for v in s[floats]]
            nulls = s.isna()
    if kind == "integer":
        text = s.where(nulls, s.astype(str))
    else:
        text = s.where(nulls, s.astype(str).str.strip())
    return text.where(~nulls & (text != ""), None)


def parse_dates(text: pd.Series, fmt: str | None) -> pd.Series:
    """Datetimes (naive local time) from text in ``fmt``: 'iso', 'epoch', 'epoch_ms', 'cn_date',
    'excel' or a strftime pattern. Unparsable or impossible dates (2月30日) become NaT."""
    fmt = fmt or "iso"
    s = text.astype(object)
    present = s.notna()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if not present.any():
        return out
    v = s[present].astype(str)
    if fmt in ("epoch", "epoch_ms"):
        num = pd.to_numeric(v, errors="coerce")
        num = num.where(num.abs() < (1e11 if fmt == "epoch" else 1e14))
        ts = pd.to_datetime(num, unit="s" if fmt == "epoch" else "ms", utc=True, errors="coerce")
        parsed = ts.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
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
            parsed = parsed.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    else:
        parsed = pd.to_datetime(v, format=fmt, errors="coerce")
    out[present] = parsed.astype("datetime64[ns]")
    return out


def format_datetimes(ts: pd.Series) -> pd.Series:
    return ts.dt.strftime(DATETIME_STORAGE).astype(object).where(ts.notna(), None)


def format_dates(ts: pd.Series) -> pd.Series:
    return ts.dt.strftime(DATE_STORAGE).astype(object).where(ts.notna(), None)


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
    return text.astype(object).map(lambda v: None if v is None else BOOL_TEXT.get(str(v).strip().lower()))
