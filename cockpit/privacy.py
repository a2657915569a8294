"""Check digits and masking for personal and enterprise identifiers.

- 身份证号 (GB 11643-1999): 17 digits + check character (0-9 or X).
- 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-letter alphabet, last one a check character.
- Personal numbers are stored only as a salted hash (``secret_hash``) and a masked display form.
"""

from __future__ import annotations

import hashlib
import hmac
import re

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


_ID_ANYWHERE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE_ANYWHERE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """Mask every ID-number-like and mobile-number-like run inside free text."""
    text = _ID_ANYWHERE.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE_ANYWHERE.sub(lambda m: mask_phone(m.group(0)), text)
