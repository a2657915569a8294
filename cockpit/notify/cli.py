"""``python -m cockpit notify status|send``: the outbox's messages per channel and status (the failed
ones with their last error), and one batch-and-send now (what the scheduler's notify job does)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from cockpit.cli_output import (
    JSON_HELP,
    iso_time,
    print_json,
    require_migrated,
    wants_json,
)

STATUS_SHAPE = ('. Shape: {"notices", "channels": [{"channel", "kind", "configured", "pending", "sent", "failed"}], '
                '"failed": [{"id", "channel", "kind", "group_key", "title", "notices", "attempts", "created_at", '
                '"next_attempt_at", "last_error"}], "retrying": [... as failed]}')
SEND_SHAPE = ('. Shape: {"batched", "sent", "retrying", "failed", "stopped", "attempts": [{"message_id", "channel", '
              '"ok", "status", "error", "attempt", "seconds", "outcome"}]}')


def register(sub: argparse._SubParsersAction, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``notify`` to the CLI (``command`` as in ``cockpit.cli.build_parser``)."""
    p = command("notify", cmd_notify_status, "notification outbox: status, or send now",
                "The notification outbox ([notify] in the configuration): messages per channel and status, "
                "or one batch-and-send now.")
    ns = p.add_subparsers(dest="notify_command", required=True, metavar="{status,send}")
    st = ns.add_parser("status", help="messages per channel and status, the failed ones with their last error",
                       description="Messages per channel and status (pending, sent, failed); the failed ones and "
                       "those waiting for a retry, with their last error.")
    st.add_argument("--json", action="store_true", help=JSON_HELP + STATUS_SHAPE)
    st.set_defaults(func=cmd_notify_status)
    se = ns.add_parser("send", help="batch the waiting notices and send the due messages now",
                       description="Group the notices waiting for each channel into messages and send every "
                       "message that is due (the scheduler does this every notify.send_seconds). Exits 1 if a "
                       "message failed for good in this run.")
    se.add_argument("--json", action="store_true", help=JSON_HELP + SEND_SHAPE)
    se.set_defaults(func=cmd_notify_send)


def _engine(args: argparse.Namespace) -> tuple[Any, Any]:
    from cockpit.config import load_config
    from cockpit.warehouse.db import engine_for

    config = load_config(args.config)
    return config, engine_for(config.warehouse_url)


def _times(row: dict[str, Any]) -> dict[str, Any]:
    return {k: iso_time(v) if k.endswith("_at") else v for k, v in row.items()}


def cmd_notify_status(args: argparse.Namespace) -> int:
    from cockpit.notify.outbox import status

    config, engine = _engine(args)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    report = status(engine, config.notify)
    report["failed"] = [_times(r) for r in report["failed"]]
    report["retrying"] = [_times(r) for r in report["retrying"]]
    if wants_json(args):
        print_json(report)
        return 0
    print(f"notices (in-app list): {report['notices']}")
    if not report["channels"]:
        print("no channel configured: notices stay in the in-app list ([notify.channels.NAME] adds one)")
    for c in report["channels"]:
        note = "" if c["configured"] else "  (no longer configured)"
        print(f"{c['channel']:<20} {c['kind'] or '-':<9} pending {c['pending']:>5}  sent {c['sent']:>6}  "
              f"failed {c['failed']:>4}{note}")
    for label, rows in (("FAILED", report["failed"]), ("retrying", report["retrying"])):
        for r in rows:
            print(f"{label} #{r['id']} {r['channel']} ({r['attempts']} attempts, next {r['next_attempt_at']}): "
                  f"{r['title']} — {r['last_error']}")
    return 0


def _stop_on_signals() -> threading.Event:
    """Set by SIGTERM/SIGINT: the message in flight is sent and recorded, then the command stops."""
    stop = threading.Event()

    def handler(signum: int, _frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        print(f"{signal.Signals(signum).name}: stopping after the current message …", file=sys.stderr, flush=True)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def cmd_notify_send(args: argparse.Namespace) -> int:
    from cockpit.notify.outbox import run_once

    config, engine = _engine(args)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    report = run_once(engine, config.notify, lang=config.get("app", "language"), stop=_stop_on_signals())
    if wants_json(args):
        print_json(report.as_dict())
    else:
        if not config.notify.channels:
            print("no channel configured: notices stay in the in-app list")
        for a in report.messages:
            print(f"#{a['message_id']} {a['channel']}: {'sent' if a['ok'] else a['outcome']} "
                  f"(attempt {a['attempt']}, {a['status'] or '-'}, {a['seconds']:.2f} s){' — ' + a['error'] if a['error'] else ''}")
        print(f"messages made {report.batched}, sent {report.sent}, to retry {report.retrying}, failed {report.failed}")
    return 1 if report.failed else 0
