"""The simulator's hook in demo mode: after each step of the live sources, the field staff play the
warehouse's work orders (``cockpit.demo.field``) and the summoned departments and the township play
the whistles (``cockpit.demo.whistles``)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable

from cockpit.demo import field, whistles

log = logging.getLogger(__name__)


def live_player(config: Any) -> Callable[[datetime], None] | None:
    """A ``simulate`` hook playing the field and the whistles on the configured warehouse after each
    step, or None outside demo mode. Never raises: a failure is logged and the simulator goes on."""
    if not config.get("app", "demo"):
        return None
    from cockpit.warehouse.db import engine_for

    seed = int(config.get("demo", "seed"))

    def after_step(now: datetime) -> None:
        for name, step in (("field", field.play_step), ("whistles", whistles.play_step)):
            try:
                step(engine_for(config.warehouse_url), seed=seed, now=now, config=config)
            except Exception as exc:  # the simulator must go on
                log.warning("demo %s: the live step failed (%s: %s); trying again next step", name, type(exc).__name__,
                            str(exc).splitlines()[0] if str(exc) else "", exc_info=log.isEnabledFor(logging.DEBUG))

    return after_step
