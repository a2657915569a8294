"""A rules pass: evaluate every enabled rule and reconcile its matches with the warnings (SPEC §9).

For each rule, in one transaction:
- a match whose fingerprint (rule + subject) has no open warning opens one — unless the warning of
  that fingerprint that ended last (dismissed or cleared) already holds all of its evidence: a
  dismissed prominent issue does not come back on the same complaints, only with new ones;
- a match of an open warning joins it: its new evidence rows are added (``joined``) and its level
  rises if the match is more severe (``level_raised``); a level never falls by itself;
- an open warning its rule no longer matches is ``cleared`` if nobody has acted on it yet, else
  marked ``condition_gone`` (and ``condition_back`` if it matches again).
Then silences are applied (and expired ones lifted) and the warnings not acknowledged within their
rule's SLA escalate one level per SLA missed (``escalate``).

Running a pass twice over the same data changes nothing: only new evidence, a higher level or a
change of condition writes. Runs after every ETL pass that loaded rows (an after-load hook), every
few minutes by the scheduler for escalation, and on demand (``python -m cockpit rules``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, insert, select

from cockpit import clock, hooks
from cockpit.i18n import t
from cockpit.notify import enqueue
from cockpit.privacy import mask_text
from cockpit.reference import category as category_of
from cockpit.warehouse.schema import warning, warning_evidence
from cockpit.warnings.kinds import kind_module
from cockpit.warnings.levels import LEVELS, higher, rank, step_up
from cockpit.warnings.model import EvalContext, Evidence, Match, Rule
from cockpit.warnings.rules import DEFAULT_ACK_SLA_MINUTES, RuleSettings, rules_from
from cockpit.warnings.silences import apply_silences
from cockpit.warnings.states import (
    ENDED_STATUSES,
    ENGINE_ACTOR,
    OPEN_STATUSES,
    TAKEN_STATUSES,
    open_warning,
    transition,
)

log = logging.getLogger(__name__)


@dataclass
class RuleResult:
    """What a pass did for one rule."""

    rule: str
    kind: str
    matched: int = 0  # subjects matching now
    new: int = 0  # warnings opened
    joined: int = 0  # open warnings that gained evidence
    raised: int = 0  # open warnings whose level rose with the match
    cleared: int = 0  # open warnings whose condition ended (cleared, or condition_gone once someone acted)
    suppressed: int = 0  # matches on the evidence of a warning that already ended (dismissed, cleared)
    seconds: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "kind": self.kind, "matched": self.matched, "new": self.new, "joined": self.joined,
                "level_raised": self.raised, "cleared": self.cleared, "suppressed": self.suppressed,
                "seconds": round(self.seconds, 3), "error": self.error}


@dataclass
class PassResult:
    rules: list[RuleResult] = field(default_factory=list)
    silenced: int = 0
    unsilenced: int = 0
    escalated: int = 0


def settings_of(config: Any) -> RuleSettings:
    """The rules of ``config`` (the defaults when it has none)."""
    rules = getattr(config, "rules", None)
    return rules if isinstance(rules, RuleSettings) else rules_from({})


def load_context(conn: Connection, now: datetime) -> EvalContext:
    from cockpit.warnings.kinds._areas import load_context as load

    return load(conn, now)


def _merge(matches: Iterable[Match], rule: Rule) -> dict[str, Match]:
    """Matches by fingerprint (a kind may return one subject twice: one match, the evidence of both)."""
    out: dict[str, Match] = {}
    for m in matches:
        fp = m.fingerprint(rule.name)
        if fp in out:
            seen = {e.key for e in out[fp].evidence}
            out[fp].evidence.extend(e for e in m.evidence if e.key not in seen)
            out[fp].level = higher(out[fp].level, m.level)
        else:
            out[fp] = m
    return out


def _evidence_keys(conn: Connection, warning_id: int) -> set[tuple[str, str, str]]:
    e = warning_evidence.c
    return {tuple(r) for r in conn.execute(select(e.fact, e.src_source, e.src_key).where(e.warning_id == warning_id))}


def _open_evidence_keys(conn: Connection, rule: str) -> dict[int, set[tuple[str, str, str]]]:
    """The evidence keys of every open warning of ``rule``, in one query (a pass reads them all)."""
    e, w = warning_evidence.c, warning.c
    out: dict[int, set[tuple[str, str, str]]] = {}
    for wid, fact, source, key in conn.execute(
            select(e.warning_id, e.fact, e.src_source, e.src_key).join(warning, w.id == e.warning_id)
            .where(w.rule == rule, w.status.in_(OPEN_STATUSES))):
        out.setdefault(wid, set()).add((fact, source, key))
    return out


def _add_evidence(conn: Connection, warning_id: int, rows: list[Evidence], now: datetime) -> None:
    if rows:
        conn.execute(insert(warning_evidence), [
            {"warning_id": warning_id, "fact": ev.fact, "src_source": ev.src_source, "src_key": ev.src_key, "at": ev.at,
             "row_id": ev.row_id, "code": ev.code, "metric": ev.metric, "added_at": now} for ev in rows])


def _values(rule: Rule, m: Match, fp: str, ctx: EvalContext, now: datetime) -> dict[str, Any]:
    category = m.category_code or rule.category
    department = m.department_code or rule.department
    if department is None and category:
        try:
            department = category_of(category).department
        except KeyError:
            department = None
    village = m.village_code or (ctx.village_of(m.grid_code) if m.grid_code else None)
    return {
        "rule": rule.name, "fingerprint": fp, "open_fingerprint": fp, "subject": m.subject[:200],
        "title": mask_text(m.title)[:200], "level": m.level, "active": True, "township_code": m.township_code,
        "village_code": village, "grid_code": m.grid_code, "board": m.board or rule.board, "category_code": category,
        "department_code": department, "lon": m.lon, "lat": m.lat, "evidence_count": len(m.evidence),
        "measure": m.measure, "last_matched_at": now, "ack_due_at": now + timedelta(minutes=rule.ack_sla_minutes),
    }


def reconcile(conn: Connection, rule: Rule, matches: list[Match], ctx: EvalContext, result: RuleResult) -> None:
    """Bring the rule's warnings in line with its matches (see the module docstring)."""
    now = ctx.now
    by_fp = _merge(matches, rule)
    result.matched = len(by_fp)
    open_rows = {r["fingerprint"]: dict(r) for r in conn.execute(
        select(warning).where(warning.c.rule == rule.name, warning.c.status.in_(OPEN_STATUSES))).mappings()}
    evidence_of = _open_evidence_keys(conn, rule.name) if open_rows else {}
    for fp, m in by_fp.items():
        w = open_rows.get(fp)
        if w is None:
            ended = conn.execute(select(warning.c.id).where(warning.c.fingerprint == fp, warning.c.status.in_(ENDED_STATUSES))
                                 .order_by(warning.c.id.desc()).limit(1)).scalar()
            if ended is not None and {e.key for e in m.evidence} <= _evidence_keys(conn, ended):
                result.suppressed += 1
                continue
            w = open_warning(conn, _values(rule, m, fp, ctx, now), now)
            _add_evidence(conn, w["id"], m.evidence, now)
            result.new += 1
            continue
        known = evidence_of.get(w["id"], set())
        fresh = [e for e in m.evidence if e.key not in known]
        if fresh:
            _add_evidence(conn, w["id"], fresh, now)
            w = transition(conn, w["id"], "joined", ENGINE_ACTOR, now, seen=w, evidence_added=len(fresh),
                           columns={"evidence_count": w["evidence_count"] + len(fresh), "last_matched_at": now,
                                    "measure": m.measure, "title": mask_text(m.title)[:200]})
            result.joined += 1
        if rank(m.level) > rank(w["level"]):
            w = transition(conn, w["id"], "level_raised", ENGINE_ACTOR, now, seen=w, level=m.level,
                           columns={"measure": m.measure, "title": mask_text(m.title)[:200]})
            result.raised += 1
        if not w["active"]:
            transition(conn, w["id"], "condition_back", ENGINE_ACTOR, now, seen=w, active=True)
    for fp, w in open_rows.items():
        if fp in by_fp:
            continue
        if w["status"] == "new":
            transition(conn, w["id"], "cleared", ENGINE_ACTOR, now, seen=w, active=False)
            result.cleared += 1
        elif w["active"] and w["status"] in TAKEN_STATUSES:
            transition(conn, w["id"], "condition_gone", ENGINE_ACTOR, now, seen=w, active=False)
            result.cleared += 1


def escalate(conn: Connection, now: datetime, settings: RuleSettings) -> int:
    """Raise by one level, per SLA missed, every open warning not acknowledged by its due time and
    not muted; returns the number of escalations."""
    c = warning.c
    due = conn.execute(select(warning).where(c.status == "new", c.silence_id.is_(None), c.ack_due_at <= now,
                                             c.level != LEVELS[-1])).mappings().all()
    n = 0
    for row in due:
        w = dict(row)
        rule = settings.rules.get(w["rule"])
        sla = timedelta(minutes=rule.ack_sla_minutes if rule else DEFAULT_ACK_SLA_MINUTES)
        while w["ack_due_at"] <= now and w["level"] != LEVELS[-1]:
            w = transition(conn, w["id"], "escalated", ENGINE_ACTOR, now, seen=w, level=step_up(w["level"]),
                           columns={"ack_due_at": w["ack_due_at"] + sla},
                           note=f"未在 {int(sla.total_seconds() // 60)} 分钟内签收")
            n += 1
        # the command centre is told (the leaders too once it is red): nobody holds it yet
        enqueue(conn, kind="escalation", recipients=["role:operator"] + (["role:leader"] if w["level"] == LEVELS[-1] else []),
                title=f"{t('warning.level.' + w['level'], 'zh')}（超时未签收升级）：{w['title']}", group_key=f"escalation|{w['rule']}|{w['village_code'] or '-'}",
                now=now, link=f"/warnings?id={w['id']}", warning_id=w["id"])
    return n


def housekeep(engine: Engine, config: Any = None, *, now: datetime | None = None, result: PassResult | None = None) -> PassResult:
    """Silences (applied, expired) and escalation, without evaluating the rules."""
    now = now or clock.now()
    result = result or PassResult()
    with engine.begin() as conn:
        result.silenced, result.unsilenced = apply_silences(conn, now, ENGINE_ACTOR)
        result.escalated = escalate(conn, now, settings_of(config))
    return result


def run_rules(engine: Engine, config: Any = None, *, now: datetime | None = None,
              names: Iterable[str] | None = None) -> PassResult:
    """One rules pass over the warehouse at ``now`` (default: the clock's). ``names``: only these
    rules (they must be configured). A rule that fails is logged and recorded in its result; the
    others go on and its warnings are left as they were."""
    now = now or clock.now()
    settings = settings_of(config)
    chosen = settings.active() if names is None else [settings.rules[n] for n in names]
    with engine.connect() as conn:
        ctx = load_context(conn, now)
    out = PassResult()
    for rule in chosen:
        result = RuleResult(rule.name, rule.kind)
        started = time.perf_counter()
        try:
            with engine.begin() as conn:
                matches = kind_module(rule.kind).evaluate(conn, rule, ctx)
                reconcile(conn, rule, matches, ctx, result)
        except Exception as exc:  # one broken rule never stops the others, nor the load that ran it
            log.exception("rule %s failed", rule.name)
            result = RuleResult(rule.name, rule.kind, error=f"{type(exc).__name__}: {mask_text(str(exc))[:300]}")
        result.seconds = time.perf_counter() - started
        out.rules.append(result)
    return housekeep(engine, config, now=now, result=out)


@hooks.after_load(config=True)
def rules_after_load(engine: Engine, results: list[Any], config: Any = None) -> None:
    """The rules pass after every ETL pass that loaded rows (unless ``[rules] enabled = false``)."""
    if not settings_of(config).enabled:
        return
    out = run_rules(engine, config)
    changed = [r for r in out.rules if r.new or r.joined or r.raised or r.cleared or r.error]
    for r in changed:
        log.log(logging.WARNING if r.error else logging.INFO,
                "rules %s: matched=%d new=%d joined=%d raised=%d cleared=%d%s", r.rule, r.matched, r.new, r.joined,
                r.raised, r.cleared, f" error={r.error}" if r.error else "")
