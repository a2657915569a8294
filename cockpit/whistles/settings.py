"""``[whistle]`` (the deadlines a whistle gives) and ``[score]`` (the department score's weights,
grades and minimum sample), read and checked when the configuration is read: a mistake names its
key and the fix (``cockpit.config.ConfigError``).

    [whistle]
    ack_minutes = 30             # acknowledge within
    arrive_minutes = 1440        # arrive on site within (24 h)
    arrive_minutes_urgent = 120  # … when urgent (2 h)
    resolve_hours_urgent = 24    # an urgent whistle's resolution: at most this, else the category's SLA
    [whistle.categories.SAF-FIRE]  # per category, any of the keys above and resolve_hours
    arrive_minutes_urgent = 60

    [score]
    min_sample = 5               # fewer cases in the period: "样本不足", no number
    [score.weights]              # the five positive terms add up to 100; reopened is subtracted
    acknowledged_on_time = 20
    arrived_on_time = 10
    resolved = 20
    resolved_on_time = 15
    satisfaction = 35
    reopened = 10
    [score.grades]               # the lowest score of each grade, A highest; below D: E
    A = 90
    B = 75
    C = 60
    D = 40
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

DEADLINE_KEYS = ("ack_minutes", "arrive_minutes", "arrive_minutes_urgent", "resolve_hours_urgent")
CATEGORY_KEYS = DEADLINE_KEYS + ("resolve_hours",)
WHISTLE_DEFAULTS: dict[str, int] = {"ack_minutes": 30, "arrive_minutes": 1440, "arrive_minutes_urgent": 120,
                                    "resolve_hours_urgent": 24}

POSITIVE_TERMS = ("acknowledged_on_time", "arrived_on_time", "resolved", "resolved_on_time", "satisfaction")
PENALTY_TERMS = ("reopened",)
WEIGHT_DEFAULTS: dict[str, float] = {"acknowledged_on_time": 20, "arrived_on_time": 10, "resolved": 20,
                                     "resolved_on_time": 15, "satisfaction": 35, "reopened": 10}
GRADES = ("A", "B", "C", "D")  # and E below D
GRADE_DEFAULTS: dict[str, float] = {"A": 90, "B": 75, "C": 60, "D": 40}
MIN_SAMPLE_DEFAULT = 5


class WhistleSettingsError(Exception):
    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key, self.problem, self.fix = key, problem, fix
        super().__init__(f"[{key}] {problem}. Fix: {fix}")


@dataclass(frozen=True)
class WhistleSettings:
    defaults: Mapping[str, int] = field(default_factory=lambda: dict(WHISTLE_DEFAULTS))
    categories: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def for_category(self, category_code: str | None) -> dict[str, int | None]:
        """The deadline settings of a category: its own keys over the defaults (``resolve_hours``
        None: the category's SLA from the responsibility list)."""
        return {"resolve_hours": None, **self.defaults, **(self.categories.get(category_code or "", {}))}


@dataclass(frozen=True)
class ScoreSettings:
    weights: Mapping[str, float] = field(default_factory=lambda: dict(WEIGHT_DEFAULTS))
    grades: Mapping[str, float] = field(default_factory=lambda: dict(GRADE_DEFAULTS))
    min_sample: int = MIN_SAMPLE_DEFAULT

    def grade(self, score: float) -> str:
        return next((g for g in GRADES if score >= self.grades[g]), "E")


def _whole(key: str, value: Any, *, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise WhistleSettingsError(key, f"expected a whole number ≥ {low}, got {value!r}", f"write {key.rsplit('.', 1)[-1]} = 30")
    return value


def whistle_from(block: Any) -> WhistleSettings:
    """``[whistle]`` → ``WhistleSettings``; raises ``WhistleSettingsError`` naming the key."""
    if block is None:
        return WhistleSettings()
    if not isinstance(block, dict):
        raise WhistleSettingsError("whistle", "expected a table", "write it as [whistle]")
    defaults = dict(WHISTLE_DEFAULTS)
    categories: dict[str, dict[str, int]] = {}
    for key, value in block.items():
        if key == "categories":
            if not isinstance(value, dict):
                raise WhistleSettingsError("whistle.categories", "expected a table per category",
                                           "write [whistle.categories.SAF-FIRE]")
            for code, keys in value.items():
                where = f"whistle.categories.{code}"
                if not isinstance(keys, dict):
                    raise WhistleSettingsError(where, "expected a table", f"write it as [{where}]")
                for k, v in keys.items():
                    if k not in CATEGORY_KEYS:
                        raise WhistleSettingsError(f"{where}.{k}", "unknown key", "use one of: " + ", ".join(CATEGORY_KEYS))
                categories[code] = {k: _whole(f"{where}.{k}", v) for k, v in keys.items()}
        elif key in DEADLINE_KEYS:
            defaults[key] = _whole(f"whistle.{key}", value)
        else:
            raise WhistleSettingsError(f"whistle.{key}", "unknown key",
                                       "use one of: " + ", ".join((*DEADLINE_KEYS, "categories")))
    return WhistleSettings(defaults=defaults, categories=categories)


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WhistleSettingsError(key, f"expected a number, got {value!r}", f"write {key.rsplit('.', 1)[-1]} = 20")
    return float(value)


def score_from(block: Any) -> ScoreSettings:
    """``[score]`` → ``ScoreSettings``. Refused: an unknown key; a negative weight; positive weights
    that do not add up to 100; a penalty over 100; grades not descending within 0–100."""
    if block is None:
        return ScoreSettings()
    if not isinstance(block, dict):
        raise WhistleSettingsError("score", "expected a table", "write it as [score]")
    unknown = set(block) - {"weights", "grades", "min_sample"}
    if unknown:
        raise WhistleSettingsError(f"score.{sorted(unknown)[0]}", "unknown key", "use one of: grades, min_sample, weights")
    weights = dict(WEIGHT_DEFAULTS)
    raw = block.get("weights", {})
    if not isinstance(raw, dict):
        raise WhistleSettingsError("score.weights", "expected a table", "write it as [score.weights]")
    for k, v in raw.items():
        if k not in WEIGHT_DEFAULTS:
            raise WhistleSettingsError(f"score.weights.{k}", "unknown term", "use one of: " + ", ".join(WEIGHT_DEFAULTS))
        weights[k] = _number(f"score.weights.{k}", v)
        if weights[k] < 0:
            raise WhistleSettingsError(f"score.weights.{k}", f"a weight cannot be negative (got {v})",
                                       "write a weight of 0 or more; the reopened term is already subtracted")
    total = sum(weights[k] for k in POSITIVE_TERMS)
    if abs(total - 100) > 1e-6:
        shown = ", ".join(f"{k} {weights[k]:g}" for k in POSITIVE_TERMS)
        raise WhistleSettingsError("score.weights", f"the terms {shown} add up to {total:g}, not 100",
                                   "change them so that they add up to 100 (the default is 20, 10, 20, 15, 35)")
    if weights["reopened"] > 100:
        raise WhistleSettingsError("score.weights.reopened", f"a penalty over 100 ({weights['reopened']:g})",
                                   "write reopened = 10 (or anything from 0 to 100)")
    grades = dict(GRADE_DEFAULTS)
    raw = block.get("grades", {})
    if not isinstance(raw, dict):
        raise WhistleSettingsError("score.grades", "expected a table", "write it as [score.grades]")
    for k, v in raw.items():
        if k not in GRADE_DEFAULTS:
            raise WhistleSettingsError(f"score.grades.{k}", "unknown grade", "use A, B, C and D (E is below D)")
        grades[k] = _number(f"score.grades.{k}", v)
    values = [grades[g] for g in GRADES]
    if any(not 0 < v <= 100 for v in values) or any(a <= b for a, b in zip(values, values[1:])):
        shown = ", ".join(f"{g} {grades[g]:g}" for g in GRADES)
        raise WhistleSettingsError("score.grades", f"grades must fall from A to D within 0–100 (got {shown})",
                                   "write e.g. A = 90, B = 75, C = 60, D = 40")
    min_sample = _whole("score.min_sample", block.get("min_sample", MIN_SAMPLE_DEFAULT))
    return ScoreSettings(weights=weights, grades=grades, min_sample=min_sample)


def whistle_settings(config: Any = None) -> WhistleSettings:
    """The ``[whistle]`` settings of ``config`` (the defaults without one)."""
    return getattr(config, "whistle", None) or WhistleSettings()


def score_settings(config: Any = None) -> ScoreSettings:
    """The ``[score]`` settings of ``config`` (the defaults without one)."""
    return getattr(config, "score", None) or ScoreSettings()
