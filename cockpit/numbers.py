"""Numbers as the screens and the weekly report print them: one precision per unit, so a figure
reads the same on the big screen and on paper."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

ONE_DECIMAL_UNITS = ("%", "h", "分", "µg/m³", "pct", "hour", "score", "ugm3")


def missing(v: object) -> bool:
    """None, NaN, pandas' NA or NaT (a text, list or mapping is never missing)."""
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or (
        not isinstance(v, (str, bytes, list, dict, tuple)) and pd.isna(v) is True)


def fmt(value: Any, unit: str = "") -> str:
    """``value`` with thousands separators and the precision that suits its unit; "—" when missing."""
    if missing(value):
        return "—"
    v = float(value)
    if unit in ONE_DECIMAL_UNITS:
        return f"{v:,.1f}"
    if abs(v) >= 100 or v == int(v):
        return f"{v:,.0f}"
    return f"{v:,.2f}"
