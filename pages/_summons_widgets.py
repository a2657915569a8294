"""Pieces shared by the whistle screens (the whistle desk, the liaison's summons, the ranking and
department pages): status chips, role and action labels, missed deadlines, department names, the
score and grade chips, in the user's language. Styles: ``assets/whistles.css``."""

from __future__ import annotations

from typing import Any, Iterable

from dash import html

from cockpit import reference
from cockpit.i18n import CATALOGUE, t


def _label(prefix: str, value: str | None, lang: str) -> str:
    key = f"{prefix}.{value}"
    return t(key, lang) if key in CATALOGUE else str(value or "")


def summons_status_label(status: str, lang: str) -> str:
    return _label("summons.status", status, lang)


def summons_status_chip(status: str, lang: str, **extra: Any) -> html.Span:
    return html.Span(summons_status_label(status, lang), className=f"sst sst-{status}", **extra)


def whistle_status_chip(status: str, lang: str, **extra: Any) -> html.Span:
    return html.Span(_label("whistle.status", status, lang), className=f"wst wst-{status}", **extra)


def summons_action_label(action: str, lang: str) -> str:
    return _label("summons.action", action, lang)


def role_label(role: str, lang: str) -> str:
    return _label("summons.role", role, lang)


def department_name(code: str | None, lang: str) -> str:
    """The department's name from the reference list, else its code."""
    if not code:
        return ""
    try:
        d = reference.department(code)
    except KeyError:
        return code
    return d.name_zh if lang == "zh" else d.name_en


def late_chips(steps: Iterable[str], lang: str) -> list[html.Span]:
    """Red chips for the deadlines a summons missed (``cockpit.whistles.records.late_steps``)."""
    return [html.Span(t(f"summons.late.{s}", lang), className="sst-late") for s in steps]


def score_text(score: float | None, lang: str, insufficient: bool = True) -> str:
    """"86.5"; without a score "样本不足", or "尚无到期" when the cases are enough but none is due yet."""
    if score is not None:
        return f"{score:.1f}"
    return t("score.insufficient" if insufficient else "score.nothing_due", lang)


def grade_chip(grade: str | None, lang: str, insufficient: bool = True, **extra: Any) -> html.Span:
    """The grade A–E in its colour; without one "样本不足" (or "尚无到期", ``score_text``)."""
    if not grade:
        return html.Span(score_text(None, lang, insufficient), className="grade grade-none", **extra)
    return html.Span(grade, className=f"grade grade-{grade}", **extra)
