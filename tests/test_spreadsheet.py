"""CSV and XLSX files that Excel and WPS open without running formula-like text (OWASP "CSV Injection"),
read back with the csv module and openpyxl."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest
from openpyxl import load_workbook

from cockpit.spreadsheet import MAX_WIDTH, csv_text, is_formula_like, neutralise, write_csv, xlsx_bytes

TRIGGERS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"

NEUTRALISE = [  # value -> as written to a CSV cell
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+1", "'+1"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("\t", "'\t"),
    ("  =1+1", "'  =1+1"),  # leading spaces do not hide it (some importers trim them)
    ("\u3000=1", "'\u3000=1"),  # nor a full-width space
    ("\n@x", "'\n@x"),
    ("＝1+1", "'＝1+1"),  # full-width forms, as an input method types them
    ("＋86 138", "'＋86 138"),
    ("－5", "'－5"),
    ("＠cmd", "'＠cmd"),
    ("=", "'="),
    ("路灯不亮", "路灯不亮"),
    ("a=1", "a=1"),  # a trigger later in the text is harmless in a quoted field
    ("1-2", "1-2"),
    ("'=1", "'=1"),  # already quoted
    ("", ""),
    ("  ", "  "),
    (-2, -2),  # numbers are numbers
    (3.5, 3.5),
    (None, None),
    (datetime(2026, 1, 2, 3, 4), datetime(2026, 1, 2, 3, 4)),
]


@pytest.mark.parametrize(("value", "expected"), NEUTRALISE)
def test_neutralise(value, expected):
    assert neutralise(value) == expected
    assert is_formula_like(value) == (expected != value)


TITLES = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", " -3", "a;=1,\"b\"",
          "普通事件"]
WHEN = datetime(2026, 3, 4, 5, 6, 7)
HEADERS = ["ID", "上报时间", "事项", "数值"]


def _rows() -> list[tuple]:
    return [(n + 1, WHEN + timedelta(hours=n), title, -n) for n, title in enumerate(TITLES)]


def _starts_with_trigger(text: str) -> bool:
    return bool(text) and (text[0] in TRIGGERS or text.lstrip()[:1] in TRIGGERS)


def test_csv_reads_back_quoted_and_typed():
    text = csv_text(HEADERS, _rows())
    assert text.startswith("\ufeff")  # Excel and WPS read UTF-8 without an encoding prompt
    back = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert back[0] == HEADERS
    assert len(back) == len(TITLES) + 1 and all(len(r) == 4 for r in back)  # no text split into more cells
    for (n, when, title, number), (c_id, c_when, c_title, c_number) in zip(_rows(), back[1:]):
        assert not _starts_with_trigger(c_title)
        assert c_title == (f"'{title}" if _starts_with_trigger(title) else title)
        assert (int(c_id), c_when, int(c_number)) == (n, when.strftime("%Y-%m-%d %H:%M"), number)
    # text fields are quoted (a semicolon locale cannot split them), numbers bare ("-2" stays a number)
    lines = text[1:].split("\r\n")
    assert lines[3] == f'3,"{WHEN + timedelta(hours=2):%Y-%m-%d %H:%M}","\'-2+3",-2'
    assert '"a;=1,""b"""' in text


def test_csv_writes_numpy_numbers_and_missing_values_as_numbers_and_blanks():
    out = io.StringIO()
    n = write_csv(out, ["a", "b", "c", "d"], [(np.int64(7), np.float64("nan"), None, date(2026, 1, 2))], bom=False)
    assert n == 1 and out.getvalue().splitlines()[1] == '7,"","","2026-01-02"'


def test_xlsx_reads_back_typed_with_no_formula():
    data = xlsx_bytes(HEADERS, _rows() + [(99, datetime(2026, 1, 1, 8, tzinfo=timezone.utc), "控制\x01字符", 0.5)],
                      sheet="事件记录")
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.title == "事件记录" and ws.freeze_panes == "A2"
    header, *rows = list(ws.iter_rows())
    assert [c.value for c in header] == HEADERS and all(c.font.b for c in header)
    assert len(rows) == len(TITLES) + 1
    for expected, cells in zip(_rows(), rows):
        n, when, title, number = expected
        c_id, c_when, c_title, c_number = cells
        assert all(c.data_type != "f" for c in cells)
        assert (c_id.value, c_id.data_type) == (n, "n")
        assert c_when.is_date and c_when.value == when and c_when.number_format == "yyyy-mm-dd hh:mm"
        assert (c_number.value, c_number.data_type) == (number, "n")  # -3 stays a number
        # the text unchanged, stored as text, and marked with Excel's quote prefix where it looks like a formula
        assert (c_title.value, c_title.data_type) == (title.replace("\r", "\n"), "s")  # XML has no lone CR
        assert c_title.quotePrefix == _starts_with_trigger(title)
    last = rows[-1]
    assert last[1].value == datetime(2026, 1, 1, 16)  # a zoned time as the cockpit's wall time (Beijing)
    assert last[2].value == "控制字符"  # a character XLSX cannot hold is dropped, not a broken file
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert widths["C"] > widths["A"] and widths["B"] >= len("yyyy-mm-dd hh:mm")
    assert all(w <= MAX_WIDTH for w in widths.values())


def test_xlsx_holds_every_row_of_a_long_iterator():
    rows = ((i, f"={i}") for i in range(1234))  # more than the rows measured for the widths
    ws = load_workbook(io.BytesIO(xlsx_bytes(["n", "text"], rows))).active
    values = [(a.value, b.value, b.data_type) for a, b in ws.iter_rows(min_row=2)]
    assert values == [(i, f"={i}", "s") for i in range(1234)]
