"""The viewer's scope: which areas, boards and departments a query may return, and whether
personal data may be shown. Every function in ``queries/`` takes a ``Scope`` and enforces it
in SQL; pages never filter by hiding widgets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    # None means "all". Area codes may be of any level; a query matches an area and everything under it.
    areas: frozenset[str] | None = None
    boards: frozenset[str] | None = None
    departments: frozenset[str] | None = None
    personal_data: bool = False  # may names of people be shown (masked numbers are always masked)

    @classmethod
    def everything(cls, personal_data: bool = True) -> "Scope":
        return cls(personal_data=personal_data)

    @property
    def township_wide(self) -> bool:
        """No restriction of areas, boards or departments (names may still be hidden)."""
        return self.areas is None and self.boards is None and self.departments is None

    def allows_board(self, board: str) -> bool:
        return self.boards is None or board in self.boards

    def allows_area(self, code: str) -> bool:
        """True if ``code`` is one of the scope's areas or lies under one (codes are hierarchical prefixes)."""
        return self.areas is None or any(code.startswith(a) for a in self.areas)

    def allows_navigating(self, code: str) -> bool:
        """True if ``code`` is in scope or above a scope area (the way down to it)."""
        return self.allows_area(code) or any(a.startswith(code) for a in self.areas or ())


EVERYTHING = Scope.everything()
