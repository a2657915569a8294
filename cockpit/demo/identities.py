"""Valid personal and enterprise identifiers for the fictional residents and enterprises."""

from __future__ import annotations

import random
from datetime import date, timedelta

from cockpit.privacy import credit_check_char, id_check_char

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ID_CHARS = "0123456789X"


def id_number(region: str, birth: date, seq: int, male: bool) -> str:
    """身份证号: region (6) + birth date (8) + sequence (3, odd for men) + GB 11643 check character."""
    seq3 = (seq // 2) * 2 + (1 if male else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq3 % 1000:03d}"
    return first17 + id_check_char(first17)


def unique_id_numbers(rng: random.Random, region: str, births: list[date], males: list[bool],
                      seen: set[str] | None = None) -> list[str]:
    """One ID number per person, none of them in ``seen`` (the numbers already given out, updated)."""
    seen = set() if seen is None else seen
    out = []
    for b, m in zip(births, males):
        while True:
            v = id_number(region, b, rng.randrange(1000), m)
            if v not in seen:
                break
        seen.add(v)
        out.append(v)
    return out


def phone(rng: random.Random) -> str:
    return "1" + rng.choice("3578") + rng.choice("0123456789") + f"{rng.randrange(10**8):08d}"


def credit_code(rng: random.Random, region: str, individual: bool = False) -> str:
    """统一社会信用代码: 9 (market regulator) + 1 enterprise / 2 individual business + region + 9-char
    organisation code + GB 32100 check character."""
    body = "9" + ("2" if individual else "1") + region + "".join(rng.choice(_CREDIT_ALPHABET) for _ in range(9))
    return body + credit_check_char(body)


def wrong_id_check(value: str, rng: random.Random) -> str:
    good = id_check_char(value[:17])
    return value[:17] + rng.choice([c for c in _ID_CHARS if c != good])


def wrong_credit_check(value: str, rng: random.Random) -> str:
    good = credit_check_char(value[:17])
    return value[:17] + rng.choice([c for c in _CREDIT_ALPHABET if c != good])


def birth_dates(rng: random.Random, n: int, today: date) -> list[date]:
    """A rural age pyramid: many middle-aged and elderly residents."""
    out = []
    for _ in range(n):
        r = rng.random()
        age = rng.uniform(0, 18) if r < 0.16 else rng.uniform(18, 60) if r < 0.66 else rng.uniform(60, 96)
        out.append(today - timedelta(days=int(age * 365.25) + rng.randrange(1, 365)))
    return out
