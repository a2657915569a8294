"""The whistle's and the summons' state machines, as data, on ``cockpit.workflow.Machine`` (the same
``transition`` path as work orders: state, append-only log row and audit row in one transaction).

A whistle (街乡吹哨) summons several departments to one problem; each summoned department's part is a
summons (部门报到), the case the department's score counts.

Summons::

    summoned ─acknowledged→ acknowledged ─arrived→ on_site ─resolved→ resolved ─verified→ verified
        │                        │                    ▲                  │
        │                        │                    └──reopened (返工)──┘
        ├──────── contested (not ours, a reason) ─→ contested ─contest_accepted→ excused
        │                                                   └─contest_rejected→ back to where it was
        ├── closed (the township ends it without a result, rated)
        └── cancelled (the township withdraws it: not counted)

Who does what (``Action.by``): the summoned department (its liaison: ``summons.act``) acknowledges,
arrives, reports the result and contests; the township verifies and rates, reopens, decides a
contest, closes without a result (``whistle.rate``) and cancels (``whistle.act``); the overdue
escalation is the engine's.

Whistle: ``open`` → ``completed`` (every summons ended; the engine) or ``cancelled`` (the township,
which cancels its open summons).
"""

from __future__ import annotations

from typing import Any

from cockpit.warehouse.schema import summons, summons_log, whistle, whistle_log
from cockpit.workflow import Action, Errors, Machine, WorkflowError

ENGINE_ACTOR = "rules"
DEPARTMENT, TOWNSHIP, ENGINE = "department", "township", "engine"

# ---------------------------------------------------------------- summons
SUMMONS_OPEN: tuple[str, ...] = ("summoned", "acknowledged", "on_site", "resolved", "contested")
SUMMONS_ENDED: tuple[str, ...] = ("verified", "closed", "excused", "cancelled")
SUMMONS_STATUSES: tuple[str, ...] = SUMMONS_OPEN + SUMMONS_ENDED
WORKING: tuple[str, ...] = ("summoned", "acknowledged", "on_site")  # the department has it to do
NOT_COUNTED: tuple[str, ...] = ("excused", "cancelled")  # out of the department's score

SUMMONS_ACTIONS: dict[str, Action] = {
    "summoned": Action((), "summoned", TOWNSHIP, False, "whistle.summon"),
    "acknowledged": Action(("summoned",), "acknowledged", DEPARTMENT, False, "summons.acknowledge"),
    "arrived": Action(("acknowledged",), "on_site", DEPARTMENT, False, "summons.arrive"),
    "resolved": Action(("on_site",), "resolved", DEPARTMENT, True, "summons.resolve"),
    "contested": Action(WORKING, "contested", DEPARTMENT, True, "summons.contest"),
    "contest_accepted": Action(("contested",), "excused", TOWNSHIP, False, "whistle.contest_accept"),
    # back to the status it was contested from (``summons.contested_from``), set by the caller
    "contest_rejected": Action(("contested",), None, TOWNSHIP, True, "whistle.contest_reject"),
    "verified": Action(("resolved",), "verified", TOWNSHIP, False, "whistle.verify"),
    "reopened": Action(("resolved",), "on_site", TOWNSHIP, True, "whistle.reopen"),
    "closed": Action(WORKING, "closed", TOWNSHIP, True, "whistle.close"),
    "cancelled": Action(SUMMONS_OPEN, "cancelled", TOWNSHIP, True, "whistle.cancel_summons"),
    "overdue": Action(WORKING, None, ENGINE, False, "summons.overdue"),
}
RATED_ACTIONS = ("verified", "closed")  # the township rates the department's cooperation 1–5 with them


class SummonsError(WorkflowError):
    """A refused change of a whistle or a summons; ``key``: its catalogue message."""

    key = "summons.error.refused"


class SummonsNotFound(SummonsError):
    key = "summons.error.not_found"


class SummonsRefused(SummonsError):
    key = "summons.error.refused"


class SummonsConflict(SummonsError):
    key = "summons.error.conflict"


class NoteRequired(SummonsError):
    key = "summons.error.note_required"


class RatingRequired(SummonsError):
    key = "summons.error.rating_required"


class NotAllowed(SummonsError):
    """The person may not do this (role, department or scope)."""

    key = "summons.error.not_allowed"


class WhistleRefused(SummonsError):
    """A whistle that cannot be blown as asked (no departments, an unknown one, a bad deadline …)."""

    key = "whistle.error.refused"


def _summons_detail(s: Any) -> dict[str, Any]:
    return {"status": s["status"], "department": s["department_code"], "whistle": s["whistle_id"]}


SUMMONS = Machine(
    noun="summons", entity="summons", table=summons, log=summons_log, log_fk="summons_id",
    actions=SUMMONS_ACTIONS, ended=SUMMONS_ENDED, created_by="summoned", state=("department_code",),
    errors=Errors(SummonsNotFound, SummonsRefused, SummonsConflict, NoteRequired), audit_detail=_summons_detail)

# ---------------------------------------------------------------- whistle
WHISTLE_STATUSES: tuple[str, ...] = ("open", "completed", "cancelled")
WHISTLE_ENDED: tuple[str, ...] = ("completed", "cancelled")

WHISTLE_ACTIONS: dict[str, Action] = {
    "blown": Action((), "open", TOWNSHIP, False, "whistle.blow"),
    "completed": Action(("open",), "completed", ENGINE, False, "whistle.complete"),
    "cancelled": Action(("open",), "cancelled", TOWNSHIP, True, "whistle.cancel"),
}

WHISTLE = Machine(
    noun="whistle", entity="whistle", table=whistle, log=whistle_log, log_fk="whistle_id",
    actions=WHISTLE_ACTIONS, ended=WHISTLE_ENDED, created_by="blown", open_key="open_key",
    errors=Errors(SummonsNotFound, WhistleRefused, SummonsConflict, NoteRequired),
    audit_detail=lambda w: {"status": w["status"], "urgent": w["urgent"], "warning": w["warning_id"],
                            "order": w["order_id"]})
