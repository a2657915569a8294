"""The kinds of rule. Each kind is a module here with

- ``PARAMS: dict[str, Param]``: its parameters, their defaults and types (checked by ``cockpit.warnings.rules``);
- ``evaluate(conn, rule, ctx) -> list[Match]``: every subject for which the rule holds at ``ctx.now``,
  computed in SQL over the warehouse for every township it holds, with the rows that make each match;
- optionally ``check(params) -> (param, problem) | None``: a mistake across parameters (a column the
  table lacks), found when the configuration is read rather than when the rule runs.

A new rule of a known kind is a ``[rules.NAME]`` block with ``kind = "..."`` and no Python.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

KIND_NAMES: tuple[str, ...] = ("cluster", "threshold", "inactivity", "surge", "join", "count", "overdue", "lag")


@dataclass(frozen=True)
class Param:
    """One parameter of a kind: its default (``REQUIRED`` if it has none), accepted types, meaning,
    and an optional check returning a problem (str) or None."""

    default: Any
    types: tuple[type, ...]
    help: str
    check: Callable[[Any], str | None] | None = None


REQUIRED = object()


def kind_module(kind: str) -> ModuleType:
    """The module of ``kind``. Raises ``KeyError`` for an unknown kind."""
    if kind not in KIND_NAMES:
        raise KeyError(kind)
    return importlib.import_module(f"cockpit.warnings.kinds.{kind}")
