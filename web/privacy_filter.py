"""Last line of defence on the web server: mask the personal numbers (身份证号, mobile and landline
numbers, ``cockpit.privacy.mask_text``) in every JSON and HTML response, whatever produced them.
Installed by ``web.guard.install``.

Queries already return masked forms and the ETL masks free text as it loads; this filter catches
what slips through (an echoed URL parameter, a value a page forgot to mask). Dash sends JSON with
every non-ASCII character escaped (``号13812345678`` is ``\\u53f713812345678``, where the escape's
last hex digit hides the number's boundary), so a JSON body is judged on the decoded strings: it is
parsed, its strings, keys and whole integers are masked (floats in figures are left alone) and it
is written again. Parsing a large figure costs more than the figure is worth checking: a body is
first checked as it is (``could_hold_personal_numbers``, NumPy over its bytes, escapes and all) and
passed through untouched when no decoded string of it can hold a number.
"""

from __future__ import annotations

import json
import re

import flask
import numpy as np

from cockpit.privacy import fold_full_width, mask_spans, mask_value, masked_logger

MASKED_TYPES = ("application/json", "text/html")

# a JSON string escape (\u53f7, \n, \", \\): blanked out one for one in the scan of a body masked as
# text, so it neither hides a number's boundary nor joins one
_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|.)", re.DOTALL)
_DIGIT0, _DOT, _DASH, _SPACE, _BACKSLASH, _U = (ord(c) for c in "0.- \\u")
_PERCENT = ord("%")


def _blank(m: re.Match) -> str:
    return "\0" * len(m[0])


def _scan(body: str) -> str:
    """``body`` with its escapes blanked and full-width forms folded, one character for one."""
    return fold_full_width(_ESCAPE.sub(_blank, body) if "\\" in body else body)


def _full_width_escapes(hexes: np.ndarray) -> bool:
    """Any escape among ``hexes`` (its four hex digits, lower case) of a full-width digit, dash,
    parenthesis or space (the masking folds them to ASCII)."""
    f, d0, d3 = ord("f"), ord("0"), ord("3")
    wide = (hexes[:, 0] == f) & (hexes[:, 1] == f)
    digit = wide & (hexes[:, 2] == ord("1")) & (hexes[:, 3] >= d0) & (hexes[:, 3] <= d0 + 9)
    sign = wide & (hexes[:, 2] == d0) & np.isin(hexes[:, 3], np.frombuffer(b"89bd", dtype=np.uint8))
    space = (hexes[:, 0] == d3) & (hexes[:, 1] == d0) & (hexes[:, 2] == d0) & (hexes[:, 3] == d0)
    return bool((digit | sign | space).any())


def _full_width_utf8(b: np.ndarray) -> bool:
    """Any full-width digit, dash, parenthesis (EF BC ..) or ideographic space (E3 80 80) in UTF-8 ``b``."""
    lead = np.flatnonzero(b[:-2] == 0xEF)
    third = b[lead + 2]
    if ((b[lead + 1] == 0xBC) & (((third >= 0x90) & (third <= 0x99)) | np.isin(third, (0x88, 0x89, 0x8B, 0x8D)))).any():
        return True
    lead = np.flatnonzero(b[:-2] == 0xE3)
    return bool(((b[lead + 1] == 0x80) & (b[lead + 2] == 0x80)).any())


# lengths of the digit runs of an unbroken personal number: a local number (7, 8), a landline
# (10-12, or with 0086 before it 14, 16: those start with 0), a mobile (11, with 86 13, with 0086 15),
# an ID number (15, 17 + X, 18); area codes (6, 9, 12, 14 digits, not starting with 0) are none of them
_NUMBER_LENGTHS = np.array([7, 8, 10, 11, 13, 15, 17, 18])
_LANDLINE_LENGTHS = np.array([12, 14, 16])


def _unicode_escapes(b: np.ndarray) -> np.ndarray:
    """Where the \\uXXXX escapes of padded bytes ``b`` start: a backslash before "u" that is not
    itself escaped (an odd run of backslashes ends there; ``\\\\u0031`` is a backslash and "u0031")."""
    backslash = b == _BACKSLASH
    at = np.flatnonzero(backslash[:-6] & (b[1:-5] == _U))
    if not len(at):
        return at
    run_starts = np.flatnonzero(backslash[1:] & ~backslash[:-1]) + 1
    run_length = at - run_starts[np.searchsorted(run_starts, at, side="right") - 1] + 1
    return at[run_length % 2 == 1]


def could_hold_personal_numbers(body: str) -> bool:
    """A cheap check of a whole body, raw or JSON with its escapes (NumPy over its bytes, about
    10 ms per MB): false only if no string of it, decoded, can hold a number that ``mask_text``
    masks, i.e. no run of digits of a personal number's length that is not part of a decimal, no
    3+ digits and 4+ digits joined by a dash or a space, and no full-width digit, dash,
    parenthesis or space."""
    raw = np.frombuffer(body.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    if not body.isascii() and _full_width_utf8(raw):
        return True
    b = np.zeros(len(raw) + 8, dtype=np.uint8)  # two bytes of padding before, six after
    b[2:len(raw) + 2] = raw
    escapes = _unicode_escapes(b)
    if len(escapes):
        first = b[escapes + 2] | 0x20  # full-width forms are \uffXX, the ideographic space \u3000
        wide = escapes[(first == ord("f")) | (first == ord("3"))]
        if len(wide) and _full_width_escapes(b[wide[:, None] + np.arange(2, 6)] | 0x20):
            return True
        b[escapes[:, None] + np.arange(2, 6)] = 0  # an escape's hex digits are not digits of the text
    if _digit_runs_could_hold(b):
        return True
    if "%" not in body:
        return False
    # URL-encoded text (an href echoing a filter): 号 is %E5%8F%B7, its last hex digit joins the number
    percent = np.flatnonzero(b[:-2] == _PERCENT)
    b[np.concatenate((percent + 1, percent + 2))] = 0
    return _digit_runs_could_hold(b)


def _digit_runs_could_hold(b: np.ndarray) -> bool:
    """The runs of digits of padded bytes ``b``: any of a personal number's length that is not part
    of a decimal or a record number, or two joined by a dash or a space?"""
    digit = (b - _DIGIT0) < 10
    starts = np.flatnonzero(digit[1:] & ~digit[:-1]) + 1
    if not len(starts):
        return False
    ends = np.flatnonzero(digit[:-1] & ~digit[1:]) + 1  # the first byte after each run
    lengths = ends - starts
    decimal = ((b[starts - 1] == _DOT) & digit[starts - 2]) | ((b[ends] == _DOT) & digit[ends + 1])
    shaped = np.isin(lengths, _NUMBER_LENGTHS) | (np.isin(lengths, _LANDLINE_LENGTHS) & (b[starts] == _DIGIT0))
    # after a letter (a record number such as RX0120261118000123) only a local number after "tel"
    # can be one; the letter of an escape (\n) is no letter of the text
    before = b[starts - 1] | 0x20
    lettered = (before >= ord("a")) & (before <= ord("z")) & (b[starts - 2] != _BACKSLASH) & (lengths > 8)
    if (shaped & ~decimal & ~lettered).any():
        return True
    sep = b[ends[:-1]]
    grouped = (starts[1:] - ends[:-1] == 1) & ((sep == _DASH) | (sep == _SPACE)) & (lengths[:-1] >= 3) & (lengths[1:] >= 4)
    return bool(grouped.any())


def mask_body(body: str, mimetype: str) -> str:
    """``body`` with personal numbers masked: JSON on its decoded strings, keys and integers; HTML
    as text (the escapes of JSON embedded in the page taken for what they are). A body with nothing
    to mask is returned as it is (the same object)."""
    if not could_hold_personal_numbers(body):
        return body
    if mimetype == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            return mask_spans(body, _scan(body))
        clean = mask_value(data)
        return body if clean == data else json.dumps(clean, ensure_ascii=False, separators=(",", ":"))
    return mask_spans(body, _scan(body))


def mask_response(response: flask.Response) -> flask.Response:
    """An ``after_request`` handler: mask the body of JSON and HTML responses in place."""
    if (response.mimetype not in MASKED_TYPES or response.direct_passthrough or response.is_streamed
            or response.headers.get("Content-Encoding")):
        return response
    body = response.get_data(as_text=True)
    masked = mask_body(body, response.mimetype)
    if masked is not body:
        response.set_data(masked)
    return response


# The web server's own log lines are masked too: a request line carries its URL parameters. Set
# when this module is imported, before any request (``install_privacy_filter`` adds the app's own logger).
SERVER_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")
for _name in SERVER_LOGGERS:
    masked_logger(_name)


def install_privacy_filter(server: flask.Flask) -> None:
    """Mask the responses of ``server`` and the lines of its logger."""
    server.after_request(mask_response)
    masked_logger(server.logger.name)
