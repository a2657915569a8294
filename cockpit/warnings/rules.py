"""The rules of the configuration: ``[rules]`` merged over the defaults (``defaults.DEFAULT_RULES``).

    [rules]
    enabled = true                 # run the rules after every load
    [rules.prominent_issue]        # change a default rule: only the keys given change
    min_reporters = 4
    [rules.noise_at_night]         # a new rule of a known kind: configuration only
    kind = "cluster"
    board = "economy"
    category = "ECO-NOISE"
    level = "yellow"
    ...

Every rule has the common keys below (``COMMON``) and its kind's parameters
(``cockpit.warnings.kinds.<kind>.PARAMS``). A mistake raises ``RuleSettingsError`` naming the key and
the fix, which the configuration turns into a ``ConfigError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from cockpit.reference import BOARDS, CATEGORIES, DEPARTMENTS
from cockpit.warnings.kinds import KIND_NAMES, REQUIRED, kind_module
from cockpit.warnings.levels import LEVELS
from cockpit.warnings.model import Rule

COMMON = {"kind", "level", "board", "category", "department", "ack_sla_minutes", "label_zh", "label_en", "enabled"}
DEFAULT_ACK_SLA_MINUTES = 240


class RuleSettingsError(Exception):
    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key, self.problem, self.fix = key, problem, fix
        super().__init__(f"[{key}] {problem}. Fix: {fix}")


@dataclass(frozen=True)
class RuleSettings:
    enabled: bool = True
    rules: dict[str, Rule] = field(default_factory=dict)

    def active(self) -> list[Rule]:
        return [r for r in self.rules.values() if r.enabled]


def _type_name(types: tuple[type, ...]) -> str:
    return " or ".join({bool: "true/false", int: "a whole number", float: "a number", str: "text",
                        list: "a list", dict: "a table"}.get(t, t.__name__) for t in types)


def _rule(name: str, block: Mapping[str, Any]) -> Rule:
    key = f"rules.{name}"
    kind = block.get("kind")
    if kind not in KIND_NAMES:
        raise RuleSettingsError(f"{key}.kind", f"unknown kind {kind!r}" if kind else "a rule needs a kind",
                                "use one of: " + ", ".join(KIND_NAMES))
    module = kind_module(kind)
    params: dict[str, Any] = {}
    for p, spec in module.PARAMS.items():
        if p in block:
            value = block[p]
            if isinstance(value, bool) and bool not in spec.types or not isinstance(value, spec.types):
                raise RuleSettingsError(f"{key}.{p}", f"expected {_type_name(spec.types)}, got {value!r}",
                                        f"write {p} = … ({spec.help})")
            if isinstance(value, int) and not isinstance(value, bool) and float in spec.types:
                value = float(value) if int not in spec.types else value
        elif spec.default is REQUIRED:
            raise RuleSettingsError(f"{key}.{p}", f"a {kind} rule needs {p}", f"write {p} = … ({spec.help})")
        else:
            value = spec.default
        problem = spec.check(value) if spec.check else None
        if problem:
            raise RuleSettingsError(f"{key}.{p}", problem, f"{p}: {spec.help}")
        params[p] = value
    problem = module.check(params) if hasattr(module, "check") else None  # checks across parameters
    if problem:
        raise RuleSettingsError(f"{key}.{problem[0]}", problem[1], f"{problem[0]}: {module.PARAMS[problem[0]].help}")
    unknown = set(block) - COMMON - set(module.PARAMS)
    if unknown:
        raise RuleSettingsError(f"{key}.{sorted(unknown)[0]}", "unknown key",
                                f"use one of: {', '.join(sorted(COMMON | set(module.PARAMS)))}")
    level = block.get("level", "orange")
    if level not in LEVELS:
        raise RuleSettingsError(f"{key}.level", f"unknown level {level!r}", "use red, orange, yellow or blue")
    board = block.get("board")
    if board not in BOARDS:
        raise RuleSettingsError(f"{key}.board", f"unknown board {board!r}", "use one of: " + ", ".join(BOARDS))
    category = block.get("category")
    if category is not None and category not in {c.code for c in CATEGORIES}:
        raise RuleSettingsError(f"{key}.category", f"unknown category {category!r}",
                                "use a code of the unified category list (cockpit/reference.py)")
    department = block.get("department")
    if department is not None and department not in {d.code for d in DEPARTMENTS}:
        raise RuleSettingsError(f"{key}.department", f"unknown department {department!r}",
                                "use one of: " + ", ".join(d.code for d in DEPARTMENTS))
    sla = block.get("ack_sla_minutes", DEFAULT_ACK_SLA_MINUTES)
    if isinstance(sla, bool) or not isinstance(sla, int) or sla < 1:
        raise RuleSettingsError(f"{key}.ack_sla_minutes", f"expected a whole number of minutes ≥ 1, got {sla!r}",
                                "write ack_sla_minutes = 30")
    enabled = block.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleSettingsError(f"{key}.enabled", f"expected true or false, got {enabled!r}", "write enabled = false")
    return Rule(name=name, kind=kind, level=level, board=board, ack_sla_minutes=sla, params=params,
                category=category, department=department, label_zh=str(block.get("label_zh", name)),
                label_en=str(block.get("label_en", name)), enabled=enabled)


def rules_from(block: Mapping[str, Any] | None) -> RuleSettings:
    """The ``[rules]`` table of the configuration as settings: the defaults with its changes and additions."""
    from cockpit.warnings.defaults import DEFAULT_RULES

    block = dict(block or {})
    enabled = block.pop("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleSettingsError("rules.enabled", f"expected true or false, got {enabled!r}", "write enabled = true")
    merged: dict[str, dict[str, Any]] = {name: dict(b) for name, b in DEFAULT_RULES.items()}
    for name, changes in block.items():
        if not isinstance(changes, dict):
            raise RuleSettingsError(f"rules.{name}", "expected a table", f"write it as [rules.{name}]")
        if name in merged and "kind" in changes and changes["kind"] != merged[name]["kind"]:
            raise RuleSettingsError(f"rules.{name}.kind", f"{name} is a default rule of kind {merged[name]['kind']}",
                                    "give the new rule another name")
        merged.setdefault(name, {}).update(changes)
    return RuleSettings(enabled=enabled, rules={name: _rule(name, b) for name, b in merged.items()})
