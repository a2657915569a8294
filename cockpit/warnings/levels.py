"""Warning levels, most severe first: red (I), orange (II), yellow (III), blue (IV)."""

from __future__ import annotations

LEVELS: tuple[str, ...] = ("blue", "yellow", "orange", "red")  # ascending severity
ROMAN = {"red": "I", "orange": "II", "yellow": "III", "blue": "IV"}


def rank(level: str) -> int:
    """0 for blue … 3 for red. Raises ``ValueError`` for an unknown level."""
    return LEVELS.index(level)


def higher(a: str, b: str) -> str:
    """The more severe of two levels."""
    return a if rank(a) >= rank(b) else b


def step_up(level: str) -> str:
    """One level more severe (red stays red)."""
    return LEVELS[min(rank(level) + 1, len(LEVELS) - 1)]


def by_severity(levels: list[str]) -> list[str]:
    """Levels sorted most severe first."""
    return sorted(levels, key=rank, reverse=True)
