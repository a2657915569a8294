"""``python -m cockpit rules`` (a rules pass, or ``--list`` the configured rules) and
``python -m cockpit warnings list|show``. The command line sees the whole warehouse (it runs where
the warehouse is administered); it prints warnings and their evidence as lineage links (source and
source key of each row: ``governance`` shows the row), never the rows' personal data.
``--json`` prints the same rows as the text.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any, Callable

from cockpit.cli_output import (
    JSON_HELP,
    fail,
    iso_time,
    print_json,
    require_migrated,
    wants_json,
)

RULES_SHAPE = ('. Shape: {"at", "rules": [{"rule", "kind", "matched", "new", "joined", "level_raised", "cleared", '
               '"suppressed", "seconds", "error"}], "silenced", "unsilenced", "escalated"}; with --list: [{"rule", '
               '"kind", "level", "board", "category", "department", "ack_sla_minutes", "enabled", "label_zh", '
               '"label_en", "params"}]')
LIST_SHAPE = ('. Shape: [{"id", "rule", "level", "status", "muted", "active", "township", "village", "grid", "board", '
              '"category", "title", "measure", "evidence", "opened_at", "last_matched_at", "ack_due_at"}]')
SHOW_SHAPE = ('. Shape: {"warning": {... as in list, "subject", "acknowledged_at", "ended_at", "lon", "lat"}, '
              '"evidence": [{"fact", "src_source", "src_key", "at", "row_id", "code", "metric"}] (the rows by their '
              'lineage), "history": [{"at", "actor", "action", "from_status", "to_status", "from_level", "to_level", '
              '"active", "silence_id", "evidence_added", "note"}]}')


def register(sub: argparse._SubParsersAction, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``rules`` and ``warnings`` to the CLI (``command`` as in ``cockpit.cli.build_parser``)."""
    p = command("rules", cmd_rules, "run the warning rules now (they also run after every load)",
                "Evaluate every enabled rule over the warehouse and reconcile its warnings: per rule, how many "
                "subjects match, how many warnings were opened, joined, raised a level and cleared; then apply "
                "silences and escalate unacknowledged warnings. Exits 1 if a rule failed.")
    p.add_argument("--rule", action="append", metavar="NAME", help="only this rule (repeatable)")
    p.add_argument("--list", action="store_true", help="list the configured rules and their parameters; run nothing")
    p.add_argument("--json", action="store_true", help=JSON_HELP + RULES_SHAPE)

    p = command("warnings", cmd_warnings_list, "list or show warnings", "List warnings, or show one with its "
                "evidence and history.")
    ws = p.add_subparsers(dest="warnings_command", required=True, metavar="{list,show}")
    lst = ws.add_parser("list", help="list warnings (open ones by default)",
                        description="List warnings, most severe first, then the newest.")
    lst.add_argument("--status", default="open", help="open (default), all, or one status: new, acknowledged, "
                     "dispatched, resolved, cleared, dismissed, closed")
    lst.add_argument("--level", choices=("red", "orange", "yellow", "blue"))
    lst.add_argument("--rule", metavar="NAME")
    lst.add_argument("--board", choices=("party", "economy", "safety", "services"))
    lst.add_argument("--village", metavar="CODE")
    lst.add_argument("--township", metavar="CODE", help="only warnings in this township")
    lst.add_argument("--limit", type=int, default=200, metavar="N", help="at most N rows (default 200)")
    lst.add_argument("--json", action="store_true", help=JSON_HELP + LIST_SHAPE)
    lst.set_defaults(func=cmd_warnings_list)
    show = ws.add_parser("show", help="one warning with its evidence and history",
                         description="Show one warning: its state, the rows that make it and its history.")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true", help=JSON_HELP + SHOW_SHAPE)
    show.set_defaults(func=cmd_warnings_show)


def _engine(args: argparse.Namespace) -> tuple[Any, Any]:
    from cockpit.config import load_config
    from cockpit.warehouse.db import engine_for

    config = load_config(args.config)
    return config, engine_for(config.warehouse_url)


def _not_ready(args: argparse.Namespace, config: Any) -> int | None:
    return require_migrated(args, config.warehouse_url)


def rule_rows(config: Any) -> list[dict[str, Any]]:
    from cockpit.warnings.engine import settings_of

    return [{"rule": r.name, "kind": r.kind, "level": r.level, "board": r.board, "category": r.category,
             "department": r.department, "ack_sla_minutes": r.ack_sla_minutes, "enabled": r.enabled,
             "label_zh": r.label_zh, "label_en": r.label_en, "params": dict(r.params)}
            for r in settings_of(config).rules.values()]


def cmd_rules(args: argparse.Namespace) -> int:
    from cockpit import clock
    from cockpit.warnings.engine import run_rules, settings_of

    config, engine = _engine(args)
    if args.list:
        rows = rule_rows(config)
        if wants_json(args):
            print_json(rows)
        else:
            for r in rows:
                params = ", ".join(f"{k}={v}" for k, v in r["params"].items())
                print(f"{r['rule']:<18} {r['kind']:<10} {r['level']:<6} {r['board']:<8} "
                      f"{'on ' if r['enabled'] else 'off'} ack {r['ack_sla_minutes']} min  {params}")
        return 0
    if (code := _not_ready(args, config)) is not None:
        return code
    known = settings_of(config).rules
    unknown = [n for n in args.rule or () if n not in known]
    if unknown:
        return fail(args, f"unknown rule {', '.join(unknown)}; configured rules: {', '.join(known)}", 2)
    now = clock.now()
    out = run_rules(engine, config, now=now, names=args.rule)
    report = {"at": iso_time(now), "rules": [r.as_dict() for r in out.rules], "silenced": out.silenced,
              "unsilenced": out.unsilenced, "escalated": out.escalated}
    if wants_json(args):
        print_json(report)
    else:
        head = ("rule", "kind", "matched", "new", "joined", "level raised", "cleared", "seconds")
        rows = [head] + [(r["rule"], r["kind"], *(str(r[k]) for k in ("matched", "new", "joined", "level_raised", "cleared")),
                          f"{r['seconds']:.2f}") for r in report["rules"]]
        widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
        for i, row in enumerate(rows):
            print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
            if i == 0:
                print("  ".join("-" * w for w in widths))
        for r in report["rules"]:
            if r["error"]:
                print(f"FAILED {r['rule']}: {r['error']}")
        print(f"silenced {out.silenced}, unsilenced {out.unsilenced}, escalated {out.escalated}")
    return 1 if any(r.error for r in out.rules) else 0


def _row(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": r["id"], "rule": r["rule"], "level": r["level"], "status": r["status"],
            "muted": r["silence_id"] is not None, "active": bool(r["active"]), "township": r["township_code"],
            "village": r["village_code"], "grid": r["grid_code"], "board": r["board"], "category": r["category_code"],
            "title": r["title"], "measure": r["measure"], "evidence": r["evidence_count"],
            "opened_at": iso_time(r["opened_at"]), "last_matched_at": iso_time(r["last_matched_at"]),
            "ack_due_at": iso_time(r["ack_due_at"])}


def cmd_warnings_list(args: argparse.Namespace) -> int:
    from cockpit.warnings.records import STATUS_CHOICES, list_warnings

    config, engine = _engine(args)
    if (code := _not_ready(args, config)) is not None:
        return code
    if args.status not in STATUS_CHOICES:
        return fail(args, f"invalid --status {args.status!r}: use one of {', '.join(STATUS_CHOICES)}", 2)
    area = args.village or args.township
    with engine.connect() as conn:
        rows = [_row(r) for r in list_warnings(conn, status=args.status, level=args.level, rule=args.rule,
                                               board=args.board, area=area, limit=args.limit)]
    if wants_json(args):
        print_json(rows)
        return 0
    for r in rows:
        muted = " muted" if r["muted"] else ""
        print(f"#{r['id']:<6} {r['level']:<6} {r['status']:<12}{muted} {r['rule']:<18} "
              f"{r['grid'] or r['village'] or r['township'] or '':<14} {r['title'] or ''}  ({r['evidence']} rows, "
              f"opened {r['opened_at']})")
    print(f"{len(rows)} warning(s)")
    return 0


def _times(row: dict[str, Any]) -> dict[str, Any]:
    return {k: iso_time(v) if isinstance(v, datetime) else v for k, v in row.items()}


def cmd_warnings_show(args: argparse.Namespace) -> int:
    from cockpit.warnings.records import evidence_of, get_warning, history_of

    config, engine = _engine(args)
    if (code := _not_ready(args, config)) is not None:
        return code
    with engine.connect() as conn:
        w = get_warning(conn, args.id)
        if w is None:
            return fail(args, f"warning {args.id} does not exist", 1)
        evidence = [_times({k: e[k] for k in ("fact", "src_source", "src_key", "at", "row_id", "code", "metric")})
                    for e in evidence_of(conn, args.id)]
        history = [_times({k: h[k] for k in ("at", "actor", "action", "from_status", "to_status", "from_level",
                                             "to_level", "active", "silence_id", "evidence_added", "note")})
                   for h in history_of(conn, args.id)]
    row = _row(w) | {"subject": w["subject"], "acknowledged_at": iso_time(w["acknowledged_at"]),
                     "ended_at": iso_time(w["ended_at"]), "lon": w["lon"], "lat": w["lat"]}
    if wants_json(args):
        print_json({"warning": row, "evidence": evidence, "history": history})
        return 0
    print(f"warning #{row['id']}  {row['rule']}  {row['level']}  {row['status']}{'  (muted)' if row['muted'] else ''}")
    print(f"  {row['title']}  place {row['grid'] or row['village'] or row['township']}  opened {row['opened_at']}"
          f"  acknowledge by {row['ack_due_at']}")
    print(f"evidence ({len(evidence)} rows, by lineage):")
    for e in evidence:
        ref = f" id={e['row_id']}" if e["row_id"] is not None else f" {e['code']} {e['metric']}"
        print(f"  {e['at']}  {e['fact']:<16} {e['src_source']}:{e['src_key']}{ref}")
    print("history:")
    for h in history:
        print(f"  {h['at']}  {h['actor']:<10} {h['action']:<14} {h['from_status'] or '-'} -> {h['to_status']}  "
              f"{h['from_level'] or '-'} -> {h['to_level']}" + (f"  {h['note']}" if h["note"] else ""))
    return 0
