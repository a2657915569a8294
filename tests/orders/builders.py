"""Hand-built rows for work-order tests: users of every role over the warning tests' area tree, and
warnings opened through the warning state machine (``cockpit.warnings.states.open_warning``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from cockpit.auth.users import User, create_user
from cockpit.warnings.states import open_warning
from tests.warnings import builders as wb

T0 = datetime(2026, 11, 23, 9, 0)  # a Monday morning
PASSWORD = "Orders-test-pass-2026"


def users(conn: Connection) -> dict[str, User]:
    """operator, leader, board head (safety), admin; grid workers of grid A11 (wang) and of village A2
    (li); liaisons of urban (zhao) and police (qian)."""
    specs = {
        "op": ("operator", {}), "boss": ("leader", {}), "safehead": ("board_head", {"board": "safety"}),
        "root": ("admin", {}), "wang": ("grid_worker", {"grid_codes": (wb.GRID_A11,)}),
        "li": ("grid_worker", {"grid_codes": (wb.VILLAGE_A2,)}),
        "zhao": ("department_liaison", {"department_code": "urban"}),
        "qian": ("department_liaison", {"department_code": "police"}),
    }
    return {name: create_user(conn, name, PASSWORD, role, actor="admin", must_change_password=False, now=T0, **kw)
            for name, (role, kw) in specs.items()}


def warning(conn: Connection, *, grid: str = wb.GRID_A11, category: str | None = "ECO-SANITATION",
            board: str = "economy", level: str = "orange", rule: str = "prominent_issue", now: datetime = T0,
            subject: str | None = None, **extra: Any) -> dict:
    """An open warning (status new) of ``rule`` at ``grid``."""
    village = grid[:12]
    subject = subject or f"{category}|{grid}|{now.isoformat()}"
    values = {"rule": rule, "fingerprint": subject[:64], "open_fingerprint": subject[:64], "subject": subject,
              "title": f"{category} 突出问题", "level": level, "township_code": grid[:9], "village_code": village,
              "grid_code": grid, "board": board, "category_code": category, "department_code": "urban",
              "evidence_count": 3, "measure": 3.0, "ack_due_at": None, **extra}
    return open_warning(conn, values, now)
