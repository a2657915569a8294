"""Pieces of the warning screens shared by the warning center, a warning's page and the big screen:
rule labels, level chips, statuses and places, in the user's language."""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd
from dash import html

from cockpit.i18n import CATALOGUE, t
from cockpit.warnings.levels import ROMAN
from pages._common import config


def _rule_labels() -> dict[str, tuple[str, str]]:
    """rule name -> (label_zh, label_en) of the configured rules."""
    return {name: (r.label_zh or name, r.label_en or name) for name, r in config().rules.rules.items()}


def rule_label(name: str | None, lang: str) -> str:
    if not name:
        return ""
    labels = _rule_labels().get(name)
    if labels is None:
        return name
    return labels[0] if lang == "zh" else labels[1]


def known_rules() -> tuple[str, ...]:
    return tuple(sorted(_rule_labels()))


def level_label(level: str, lang: str, *, short: bool = False) -> str:
    key = f"warning.level.short.{level}" if short else f"warning.level.{level}"
    return t(key, lang) if key in CATALOGUE else level


def level_chip(level: str, lang: str, *, short: bool = False, roman: bool = True) -> html.Span:
    """A coloured chip: "橙色预警 · II" (``short``: "橙 II")."""
    text = level_label(level, lang, short=short)
    if roman and level in ROMAN:
        text = f"{text} {ROMAN[level]}" if short else f"{text} · {ROMAN[level]}"
    return html.Span(text, className=f"lv-chip lv-{level}")


def status_label(status: str, lang: str) -> str:
    key = f"warning.status.{status}"
    return t(key, lang) if key in CATALOGUE else status


def action_label(action: str, lang: str) -> str:
    key = f"warning.action.{action}"
    return t(key, lang) if key in CATALOGUE else action


def actor_label(actor: str, lang: str) -> str:
    return t("warning.actor.rules", lang) if actor == "rules" else actor


def place_label(row: Mapping[str, Any], lang: str) -> str:
    """"青石村 · 第1网格" — the warning's village and grid names, else the township."""
    def present(v: Any) -> bool:
        return v is not None and not (isinstance(v, float) and pd.isna(v)) and v != ""

    grid, village = row.get("grid_name"), row.get("village_name")
    if present(grid):
        return str(grid)
    if present(village):
        return str(village)
    return t("warning.township_wide", lang)


def category_label(row: Mapping[str, Any], lang: str) -> str:
    value = row.get(f"category_{lang}") or row.get("category_zh") or row.get("category_code")
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def when(v: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if v is None or pd.isna(v) else pd.Timestamp(v).strftime(fmt)
