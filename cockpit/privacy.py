"""Check digits and masking for personal and enterprise identifiers.

- 身份证号 (GB 11643-1999): 17 digits + check character (0-9 or X).
- 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-letter alphabet, last one a check character.
- Personal numbers are stored only as a salted hash (``secret_hash``) and a masked display form.
- Free text (complaint contents, addresses, request parameters, log lines) has the personal numbers
  inside it masked (``mask_text``, ``mask_value``): 身份证号, mobile and landline numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Any

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")

_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def is_valid_id_number(value: str) -> bool:
    """True if ``value`` is an 18-character 身份证号 with a correct check character."""
    v = value.strip().upper()
    return bool(_ID_RE.match(v)) and id_check_char(v[:17]) == v[17]


def credit_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(value: str) -> bool:
    """True if ``value`` is an 18-character 统一社会信用代码 with a correct check character."""
    v = value.strip().upper()
    return bool(_CREDIT_RE.match(v)) and credit_check_char(v[:17]) == v[17]


def is_valid_phone(value: str) -> bool:
    return bool(_PHONE_RE.match(value.strip()))


def secret_hash(salt: str, value: str) -> str:
    """Salted, keyed hash of a personal number (hex, 32 chars). The raw number is never stored."""
    return hmac.new(salt.encode(), value.strip().upper().encode(), hashlib.sha256).hexdigest()[:32]


def mask_id_number(value: str) -> str:
    """``330***********1234``: first 3 and last 4 characters kept."""
    v = value.strip()
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_phone(value: str) -> str:
    """``138****5678``: first 3 and last 4 digits kept."""
    v = value.strip()
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


# ---------------------------------------------------------------- personal numbers inside free text
# Boundaries: a number is not part of a longer run of ASCII letters or digits (record numbers such as
# RX0120261118000123, area codes, credit codes) nor the fraction or integer part of a decimal.
_LEFT = r"(?<![0-9A-Za-z])(?<![0-9]\.)"
_RIGHT = r"(?![0-9A-Za-z])(?!\.[0-9])"
_GAP = r"(?P<gap>(?:号码?)?[:\s]{0,2}(?:是|为)?[:\s]{0,2})"
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
# Bare 7-8 digit local numbers and the legacy 15-digit ID number look like too many other things
# (dates, counts, 15-digit grid codes): they are masked only right after a keyword.
_PHONE_WORDS = ("电话", "座机", "固话", "联系", "手机", "tel", "Tel", "TEL", "phone", "Phone")
_ID_WORDS = ("身份证", "证件", "身份号", "公民身份")
_PERSONAL = re.compile(
    "(?P<idkw>" + "|".join(_ID_WORDS) + ")" + _GAP.replace("gap", "idgap")
    + r"(?P<id15>[1-9][0-9]{7}" + _DATE + r"[0-9]{3})" + _RIGHT
    + "|(?<![A-Za-z])(?P<telkw>" + "|".join(_PHONE_WORDS) + ")" + _GAP.replace("gap", "telgap")
    + r"(?P<local>[2-9][0-9]{2,3}[- ]?[0-9]{4})" + _RIGHT
    + "|" + _LEFT + r"(?P<id18>[1-9][0-9]{5} ?(?:18|19|20)[0-9]{2}" + _DATE + r" ?[0-9]{3}[0-9Xx])" + _RIGHT
    + "|" + _LEFT + r"(?P<mcc>(?:\+|00)?86[- ]?|\(\+?86\) ?)?(?P<mobile>1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4})" + _RIGHT
    + "|" + _LEFT + r"(?P<lcc>(?:\+|00)86[- ]?)?[(]?(?P<area>(?(lcc)0?|0)(?:10|2[0-9]|[3-9][0-9]{2}))(?:[)][- ]?|[- ]?)"
    + r"(?P<line>[2-9][0-9]{2,3}[- ]?[0-9]{4})" + _RIGHT,
    re.ASCII,
)
# what every match holds (ASCII or full-width): seven digits in a row, or three and four joined by
# a dash or a space (138-1234-5678, 0571 888 6666)
_CANDIDATE = re.compile(r"[0-9\uff10-\uff19]{7}|[0-9\uff10-\uff19]{3}[- \u3000\uff0d][0-9\uff10-\uff19]{4}")
# full-width digits, signs and spaces read as their ASCII forms (one character for one: spans stay put)
_FOLD = str.maketrans("０１２３４５６７８９＋－（）：　Ｘｘ", "0123456789+-(): Xx")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_FULL_WIDTH = re.compile(r"[\uff08-\uff1a\u3000\uff38\uff58]")


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit() or c in "Xx")


def _stars(digits: str) -> str:
    """``digits`` with all but the last four starred (the local part of a landline)."""
    return "*" * (len(digits) - 4) + digits[-4:]


def _masked(m: re.Match) -> tuple[int, str]:
    """Where the number of a match starts (a keyword or country code before it stays as written)
    and its masked form."""
    if m["id15"]:
        return m.start("id15"), mask_id_number(m["id15"])
    if m["local"]:
        return m.start("local"), _stars(_digits(m["local"]))
    if m["id18"]:
        digits = _digits(m["id18"])
        if digits[0] == "9" and is_valid_credit_code(digits) and not is_valid_id_number(digits):
            return m.start(), m[0]  # an all-digit 统一社会信用代码 (market regulator, 9…): public, not personal
        return m.start(), mask_id_number(digits)
    if m["mobile"]:
        return m.start("mobile"), mask_phone(_digits(m["mobile"]))
    start = m.end("lcc") if m["lcc"] else m.start()
    return start, m["area"] + _stars(_digits(m["line"]))


def mask_spans(text: str, scan: str) -> str:
    """``text`` with the personal numbers found in ``scan`` masked: ``scan`` is ``text`` with some
    characters replaced one for one (escapes blanked out, full-width forms folded), so a number
    found at a position of ``scan`` is replaced at the same position of ``text``."""
    out, at = [], 0
    for m in _PERSONAL.finditer(scan):
        start, masked = _masked(m)
        if masked != scan[start:m.end()]:
            out += (text[at:start], masked)
            at = m.end()
    if not out:
        return text
    out.append(text[at:])
    return "".join(out)


def fold_full_width(text: str) -> str:
    """Full-width digits, plus and minus signs, parentheses, colons and spaces as ASCII, one for one."""
    return text.translate(_FOLD) if _FULL_WIDTH.search(text) else text


def might_hold_personal_numbers(text: str) -> bool:
    """A cheap test that is true for every text ``mask_text`` would change (and for many others)."""
    return _CANDIDATE.search(text) is not None


def mask_text(text: str) -> str:
    """``text`` with every personal number inside it masked: 身份证号 of 18 characters (with or without
    a valid check character; the 15-digit form after a word such as 身份证), mobile numbers (also with
    +86 and with spaces or dashes inside: 138****5678) and landlines with their area code
    (0571****6666; a bare local number only after a word such as 电话 or 座机). Dates, times, amounts,
    record numbers, area codes and 统一社会信用代码 are left alone."""
    if not _CANDIDATE.search(text):
        return text
    masked = mask_spans(text, fold_full_width(text))
    if "%" in masked:  # URL-encoded text: in 号 = %E5%8F%B7 the last hex digit hides the number's start
        masked = mask_spans(masked, _PERCENT.sub(_blank, fold_full_width(masked)))
    return masked


def _blank(m: re.Match) -> str:
    return "\0" * len(m[0])


def mask_value(value: Any) -> Any:
    """``value`` (decoded JSON: strings, numbers, lists, dicts) with the personal numbers in its
    strings, keys and whole integers masked; an integer that is a personal number becomes its masked
    string. Floats are left alone (a figure's 0.13812345678 is not a phone number)."""
    kind = type(value)
    if kind is str:
        return mask_text(value)
    if kind is float or value is None or kind is bool:
        return value
    if kind is list or kind is tuple:  # (a figure's long lists of floats: no call per float)
        return [v if type(v) is float else mask_value(v) for v in value]
    if kind is dict:
        return {mask_text(k) if type(k) is str else k: mask_value(v) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1_000_000:
        digits = str(value)
        masked = mask_text(digits)
        return masked if masked != digits else value
    if isinstance(value, str):
        return mask_text(value)
    return value


class MaskingLogFilter(logging.Filter):
    """Masks the personal numbers in a log record (message, exception and stack text) before any
    handler writes it: a failing row's values can reach a log line through an exception message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)  # (a request line's URL-encoded parameters too)
        if masked is not message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


def masked_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with the ``MaskingLogFilter`` on it (once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, MaskingLogFilter) for f in logger.filters):
        logger.addFilter(MaskingLogFilter())
    return logger
