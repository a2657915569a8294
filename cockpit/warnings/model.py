"""What a rule is, what it finds, and where it is evaluated."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping


@dataclass(frozen=True)
class Rule:
    """One configured rule (``[rules.NAME]``): a kind, its parameters and what its warnings are."""

    name: str
    kind: str  # cluster | threshold | inactivity | surge | join | count | overdue | lag
    level: str  # the level of a match unless the kind's parameters give levels by severity
    board: str
    ack_sla_minutes: int  # not acknowledged within it: escalate one level (and again after each further SLA)
    params: Mapping[str, Any]  # the kind's parameters, checked against ``kinds.<kind>.PARAMS``
    category: str | None = None  # the category code the warning is filed under (scope, silences)
    department: str | None = None  # the responsible department (a liaison's scope)
    label_zh: str = ""
    label_en: str = ""
    enabled: bool = True

    def param(self, key: str) -> Any:
        return self.params[key]


@dataclass(frozen=True)
class Evidence:
    """One loaded row that makes a warning, named by its lineage (``src_source``, ``src_key``).

    ``row_id`` is the row's id in tables that have one (event, inspection, subsidy_payment,
    cadre_relative …); a sensor reading is found by ``code`` = sensor_id, ``metric`` and ``at`` = ts;
    an indicator value by ``code`` = area_code, ``metric`` = indicator_code and ``at`` = period start."""

    fact: str
    src_source: str
    src_key: str
    at: datetime
    row_id: int | None = None
    code: str | None = None
    metric: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.fact, self.src_source, self.src_key)


@dataclass
class Match:
    """One subject for which a rule's condition holds now."""

    subject: str  # stable for the rule: the same thing matched again gives the same subject
    level: str
    township_code: str
    title: str  # short display text in Chinese, personal numbers masked (e.g. "3 位群众 · 2 个渠道")
    evidence: list[Evidence]
    village_code: str | None = None
    grid_code: str | None = None
    category_code: str | None = None  # default: the rule's category
    department_code: str | None = None  # default: the rule's department
    board: str | None = None  # default: the rule's board
    lon: float | None = None
    lat: float | None = None
    measure: float | None = None  # the number the rule judged (reporters, mean µg/m³, petitions …)

    def fingerprint(self, rule: str) -> str:
        return fingerprint(rule, self.subject)


def fingerprint(rule: str, subject: str) -> str:
    """The dedup key of a warning: its rule and subject (Alertmanager's fingerprint)."""
    return hashlib.sha256(f"{rule}\x1f{subject}".encode()).hexdigest()[:32]


@dataclass
class EvalContext:
    """Where and when rules are evaluated: the clock's instant and the warehouse's areas.

    ``townships``: township code -> name; ``villages``: village code -> township code;
    ``grids``: grid code -> (village code, centroid lon, centroid lat)."""

    now: datetime
    townships: dict[str, str] = field(default_factory=dict)
    villages: dict[str, str] = field(default_factory=dict)
    grids: dict[str, tuple[str, float | None, float | None]] = field(default_factory=dict)

    def village_of(self, grid_code: str) -> str | None:
        g = self.grids.get(grid_code)
        return g[0] if g else None

    def township_of(self, area_code: str | None) -> str | None:
        """The township of a grid, village or township code (None if the warehouse does not know it)."""
        if area_code is None:
            return None
        if area_code in self.townships:
            return area_code
        if area_code in self.villages:
            return self.villages[area_code]
        village = self.village_of(area_code)
        return self.villages.get(village) if village else None

    def place(self, grid_code: str | None) -> dict[str, Any]:
        """``Match`` keyword arguments of a grid: its village, township and centroid."""
        if not grid_code or grid_code not in self.grids:
            return {}
        village, lon, lat = self.grids[grid_code]
        return {"grid_code": grid_code, "village_code": village, "township_code": self.villages.get(village),
                "lon": lon, "lat": lat}
