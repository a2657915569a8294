"""Spreadsheet files (CSV and XLSX) that open safely in Excel and WPS: headers and rows in, a file out.

A text cell that a spreadsheet would read as a formula (OWASP "CSV Injection": one starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is neutralised. In CSV it gets a leading
single quote and every text field is quoted, so a comma, semicolon or quote inside it cannot start
a new cell (Excel in some locales splits on ``;``). Leading whitespace does not hide a trigger
(some importers trim it), and the full-width ``＝＋－＠`` count too (an input method types them, and
WPS may take them as their ASCII forms). In XLSX the text is stored as a string cell with Excel's
own "quote prefix" (what typing ``'=1`` makes), so it shows unchanged, is never a formula, and stays
text when edited. Numbers and times given as numbers and times are never touched: ``-2`` stays a
number, a datetime is a real Excel datetime.

Shared by the screens' exports, and by the report and the CLI when they write spreadsheets.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import unicodedata
from datetime import date, datetime
from itertools import islice
from typing import IO, Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cockpit import clock

FORMULA_TRIGGERS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")  # and their full-width forms ＝＋－＠
LEADING_TRIGGERS = frozenset("\t\r")  # triggers themselves, though whitespace
CSV_DATETIME = "%Y-%m-%d %H:%M"
CSV_DATE = "%Y-%m-%d"
XLSX_DATETIME = "yyyy-mm-dd hh:mm"
XLSX_DATE = "yyyy-mm-dd"
XLSX_MAX_TEXT = 32_767  # Excel's limit of characters in a cell
WIDTH_SAMPLE = 500  # rows measured for the column widths
MIN_WIDTH, MAX_WIDTH = 6, 60

Row = Sequence[Any]


def is_formula_like(value: Any) -> bool:
    """True if ``value`` is text a spreadsheet could run as a formula."""
    if not isinstance(value, str) or not value:
        return False
    return value[0] in LEADING_TRIGGERS or value.lstrip()[:1] in FORMULA_TRIGGERS


def neutralise(value: Any) -> Any:
    """``value`` made safe for a CSV cell: formula-like text with a leading single quote; anything
    else (other text, numbers, times, None) unchanged."""
    return "'" + value if is_formula_like(value) else value


def _plain(value: Any) -> Any:
    """Numbers as Python int/float (numpy's too), NaN as None; a time with a zone as the cockpit's wall time."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, datetime):
        if value != value:  # pandas' NaT
            return None
        if value.tzinfo is not None:
            value = value.astimezone(clock.zone()).replace(tzinfo=None)
        return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                        value.microsecond)  # a pandas Timestamp as a plain datetime
    return value


def _csv_cell(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, datetime):
        return value.strftime(CSV_DATETIME)
    if isinstance(value, date):
        return value.strftime(CSV_DATE)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    return neutralise(value) if isinstance(value, str) else value


def write_csv(stream: IO[str], headers: Sequence[str], rows: Iterable[Row], *, bom: bool = True) -> int:
    """Write ``headers`` and ``rows`` to ``stream`` as CSV (UTF-8 with a BOM, so Excel and WPS open it
    without asking for the encoding): text quoted and neutralised, numbers bare. Returns the rows written."""
    if bom:
        stream.write("\ufeff")
    writer = csv.writer(stream, quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([_csv_cell(h) for h in headers])
    n = 0
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        n += 1
    return n


def csv_text(headers: Sequence[str], rows: Iterable[Row]) -> str:
    """``write_csv`` into a string."""
    out = io.StringIO()
    write_csv(out, headers, rows)
    return out.getvalue()


def _display_width(value: Any) -> int:
    if isinstance(value, datetime):
        return len(XLSX_DATETIME)
    if isinstance(value, date):
        return len(XLSX_DATE)
    text = "" if value is None else str(value).split("\n", 1)[0]
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _widths(headers: Sequence[str], rows: Sequence[Row]) -> list[int]:
    widths = [_display_width(h) for h in headers]
    for row in rows:
        for i, v in enumerate(row[:len(widths)]):
            widths[i] = max(widths[i], _display_width(_plain(v)))
    return [min(max(w + 2, MIN_WIDTH), MAX_WIDTH) for w in widths]


def _xlsx_cell(ws: Any, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    value = _plain(value)
    if isinstance(value, str):
        # XML reads a lone carriage return as a line feed anyway: say so; drop what XLSX cannot hold
        text = ILLEGAL_CHARACTERS_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))[:XLSX_MAX_TEXT]
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"  # never a formula, whatever the text starts with
        if is_formula_like(text):
            cell.quotePrefix = True
    else:
        cell = WriteOnlyCell(ws, value=value)
        if isinstance(value, datetime):
            cell.number_format = XLSX_DATETIME
        elif isinstance(value, date):
            cell.number_format = XLSX_DATE
    if bold:
        cell.font = Font(bold=True)
    return cell


def write_xlsx(stream: IO[bytes], headers: Sequence[str], rows: Iterable[Row], *, sheet: str = "Sheet1") -> int:
    """Write ``headers`` and ``rows`` to ``stream`` as an XLSX workbook of one sheet, in openpyxl's
    write-only mode (rows go to disk as they come): typed cells, a bold frozen header row, columns
    as wide as the headers and the first ``WIDTH_SAMPLE`` rows need. Returns the rows written."""
    rows = iter(rows)
    first = list(islice(rows, WIDTH_SAMPLE))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=ILLEGAL_CHARACTERS_RE.sub("", sheet).translate(str.maketrans("", "", "[]:*?/\\"))[:31]
                         or "Sheet1")
    for i, width in enumerate(_widths(headers, first), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.append([_xlsx_cell(ws, h, bold=True) for h in headers])
    n = 0
    for batch in (first, rows):
        for row in batch:
            ws.append([_xlsx_cell(ws, v) for v in row])
            n += 1
    wb.save(stream)
    return n


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Row], *, sheet: str = "Sheet1") -> bytes:
    """``write_xlsx`` into bytes."""
    out = io.BytesIO()
    write_xlsx(out, headers, rows, sheet=sheet)
    return out.getvalue()
