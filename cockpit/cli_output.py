"""How the command-line commands write what they list or report: JSON for scripts (``--json``),
times in ISO 8601, errors on stderr and, with ``--json``, as an object on stdout. Shared by
``cockpit.cli`` and ``cockpit.auth.cli``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any, TextIO

from cockpit import clock

JSON_HELP = ("print JSON for scripts and nothing else on stdout (logs and messages go to stderr); on an error "
             'also print {"error": ...} on stdout, with "file", "key" and "fix" for a configuration mistake')


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def print_json(data: Any, out: TextIO | None = None) -> None:
    """``data`` as the CLI writes JSON: readable Chinese, one-space indent."""
    print(json.dumps(data, ensure_ascii=False, indent=1), file=out or sys.stdout)


def iso_time(value: datetime | None) -> str | None:
    """A stored time (a naive wall-clock time of ``app.timezone``) as ISO 8601 with its offset."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.zone())
    return value.isoformat()


def fail(args: argparse.Namespace, message: str, code: int = 1, **fields: Any) -> int:
    """Report an error on stderr (and, with --json, as ``{"error": message, **fields}`` on stdout); return ``code``."""
    print(f"error: {message}", file=sys.stderr)
    if wants_json(args):
        print_json({"error": message, **fields})
    return code


def require_migrated(args: argparse.Namespace, url: str) -> int | None:
    """An exit code (the message printed) if the warehouse at ``url`` is not at the migration head, else None."""
    from cockpit.scheduler import WarehouseNotReady, check_migrated

    try:
        check_migrated(url)
    except WarehouseNotReady as exc:
        return fail(args, str(exc))
    return None
