"""The one clock: every "now" and "today" of the cockpit comes from here.

Times are wall-clock times in the configured zone (``app.timezone``, China Standard Time by
default) as naive datetimes, whatever the server's own zone: the warehouse stores every timestamp
that way (see docs/metrics.md, "Time"), so a stored time and ``now()`` compare directly and a day
starts at 00:00 Beijing time on a UTC host too.

``COCKPIT_NOW=2026-12-01T00:05:00`` (or ``--as-of`` on the CLI, or ``pin``) stops the clock at that
instant, read in the configured zone: tests, demos and reports for a past day see one fixed time.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"
ENV_NOW = "COCKPIT_NOW"

_zone: ZoneInfo = ZoneInfo(DEFAULT_TIMEZONE)
_pinned: datetime | None = None


class ClockError(ValueError):
    """A pinned instant or a zone name that cannot be read."""


def parse_instant(text: str) -> datetime:
    """``2026-12-01T00:05:00`` (or a date alone: its 00:00) as a naive wall time of the configured
    zone; an instant with an offset (``…+00:00``) is converted to it."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ClockError(f"{text!r} is not an ISO date or time: write e.g. 2026-12-01T00:05:00") from None
    if value.tzinfo is not None:
        value = value.astimezone(_zone).replace(tzinfo=None)
    return value.replace(microsecond=0)


def set_timezone(name: str) -> None:
    """Use the zone ``name`` (an IANA name such as ``Asia/Shanghai``) for every "now" and "today"."""
    global _zone
    try:
        _zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ClockError(f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai") from None


def zone() -> ZoneInfo:
    return _zone


def pin(instant: datetime | str | None) -> None:
    """Stop the clock at ``instant`` (None: follow the real time again, unless ``COCKPIT_NOW`` is set)."""
    global _pinned
    _pinned = parse_instant(instant) if isinstance(instant, str) else instant


@contextmanager
def pinned(instant: datetime | str) -> Iterator[datetime]:
    """The clock stopped at ``instant`` for the length of a ``with`` block."""
    global _pinned
    before = _pinned
    pin(instant)
    try:
        yield now()
    finally:
        _pinned = before


def state() -> tuple[str, datetime | None]:
    """The zone and the instant pinned in this process, for a worker process to ``restore``."""
    return _zone.key, _pinned


def restore(saved: tuple[str, datetime | None]) -> None:
    global _pinned
    set_timezone(saved[0])
    _pinned = saved[1]


def is_pinned() -> bool:
    return _pinned is not None or bool(os.environ.get(ENV_NOW))


def now() -> datetime:
    """The current wall time in the configured zone, to the second (naive)."""
    if _pinned is not None:
        return _pinned
    env = os.environ.get(ENV_NOW)
    if env:
        return parse_instant(env)
    return datetime.now(timezone.utc).astimezone(_zone).replace(tzinfo=None, microsecond=0)


def real_now() -> datetime:
    """The machine's real time in the configured zone, pinned or not: only for timers that must fire
    in real time (the scheduler's first runs) and for protocols that check it (a 钉钉 signature's
    timestamp), never for a figure or a stored time."""
    return datetime.now(timezone.utc).astimezone(_zone)


def today() -> date:
    """The current date in the configured zone."""
    return now().date()


def midnight(day: date) -> datetime:
    """00:00 of ``day`` (the start of a day as a stored time)."""
    return datetime.combine(day, datetime.min.time())
