"""Strings of the login, logout and password pages: the "auth.*" keys of the one catalogue
(``cockpit.i18n.CATALOGUE``)."""

from __future__ import annotations

from cockpit.i18n import CATALOGUE, t

STRINGS: dict[str, dict[str, str]] = {k: v for k, v in CATALOGUE.items() if k.startswith("auth.")}

__all__ = ["STRINGS", "t"]
