"""``python -m cockpit orders list|show|stats`` and ``python -m cockpit duty list|set|grid``.

The command line sees the whole warehouse (it runs where the warehouse is administered). ``orders``
prints work orders, one order with its timeline from the warning to its closing, and MTTA / MTTR per
board, department, village or grid for a period; ``duty`` prints and edits the responsibility list
(职责清单) and the grid duty that route orders. ``--json`` prints the same rows as the text.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta
from typing import Any, Callable

from cockpit.cli_output import JSON_HELP, fail, iso_time, print_json, require_migrated, wants_json

LIST_SHAPE = ('. Shape: [{"id", "status", "overdue", "level", "title", "board", "category", "department", '
              '"cooperating", "assignee", "township", "village", "grid", "warning_id", "created_at", "ack_due_at", '
              '"resolve_due_at", "acknowledged_at", "resolved_at", "closed_at", "reopen_count", "return_count"}]')
SHOW_SHAPE = ('. Shape: {"order": {... as in list, "address", "lon", "lat", "ended_at"}, "timeline": [{"at", '
              '"what" ("warning" | "order"), "action", "actor", "from_status", "to_status", "to_level", "note"}], '
              '"events": [{"id", "reported_at", "channel", "category", "title"}], "photos": [{"id", "content_type", '
              '"bytes", "width", "height", "uploaded_by", "uploaded_at"}]}')
STATS_SHAPE = ('. Shape: {"start", "end", "by", "rows": [{"key", "orders", "acknowledged", "mtta_minutes", '
               '"resolved", "mttr_minutes", "closed", "reopened", "overdue"}]}')
DUTY_SHAPE = '. Shape: [{"category", "board", "sla_hours", "lead", "cooperating": [...]}]'


def register(sub: argparse._SubParsersAction, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``orders`` and ``duty`` to the CLI (``command`` as in ``cockpit.cli.build_parser``)."""
    from cockpit.orders.metrics import GROUPS
    from cockpit.orders.records import STATUS_CHOICES
    from cockpit.periods import PERIODS

    p = command("orders", cmd_orders_list, "list, show or measure work orders",
                "List work orders, show one with its timeline, or print MTTA and MTTR for a period.")
    os_ = p.add_subparsers(dest="orders_command", required=True, metavar="{list,show,stats}")
    lst = os_.add_parser("list", help="list work orders (open ones by default)",
                         description="List work orders: overdue first, then the newest.")
    lst.add_argument("--status", default="open", choices=STATUS_CHOICES, help="open (default), all, overdue, or one "
                     "status")
    lst.add_argument("--board", choices=("party", "economy", "safety", "services"))
    lst.add_argument("--department", metavar="CODE")
    lst.add_argument("--area", metavar="CODE", help="a township, village or grid code")
    lst.add_argument("--assignee", metavar="USERNAME", help="the grid worker it is assigned to")
    lst.add_argument("--limit", type=int, default=200, metavar="N", help="at most N rows (default 200)")
    lst.add_argument("--json", action="store_true", help=JSON_HELP + LIST_SHAPE)
    lst.set_defaults(func=cmd_orders_list)
    show = os_.add_parser("show", help="one work order with its timeline",
                          description="Show one work order: its state, its timeline from the warning to its closing, "
                          "its events and its photos.")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true", help=JSON_HELP + SHOW_SHAPE)
    show.set_defaults(func=cmd_orders_show)
    st = os_.add_parser("stats", help="MTTA and MTTR for a period",
                        description="Mean time to acknowledge and to resolve, in minutes, of the orders dispatched in "
                        "the period, per board, department, village or grid (docs/orders.md).")
    st.add_argument("--period", default="last30", choices=[p for p in PERIODS if p != "custom"],
                    help="the period as of the clock (default last30)")
    st.add_argument("--week", metavar="YYYY-Www", help="an ISO week instead, e.g. 2026-W47")
    st.add_argument("--by", default="board", choices=GROUPS, help="grouping (default board)")
    st.add_argument("--township", metavar="CODE")
    st.add_argument("--json", action="store_true", help=JSON_HELP + STATS_SHAPE)
    st.set_defaults(func=cmd_orders_stats)

    p = command("duty", cmd_duty_list, "the responsibility list and grid duty that route work orders",
                "Print or edit the responsibility list (category → responsible and cooperating departments) and "
                "the grid duty (grid → its grid worker).")
    ds = p.add_subparsers(dest="duty_command", required=True, metavar="{list,set,grid}")
    dl = ds.add_parser("list", help="print the responsibility list", description="Every category with its "
                       "responsible and cooperating departments and its SLA.")
    dl.add_argument("--json", action="store_true", help=JSON_HELP + DUTY_SHAPE)
    dl.set_defaults(func=cmd_duty_list)
    dset = ds.add_parser("set", help="set a category's departments", description="Replace a category's rows of the "
                         "responsibility list.")
    dset.add_argument("category", metavar="CATEGORY")
    dset.add_argument("--lead", required=True, metavar="DEPARTMENT", help="the responsible department (主体责任)")
    dset.add_argument("--cooperate", default="", metavar="A,B", help="cooperating departments (配合责任), "
                      "comma-separated")
    dset.add_argument("--actor", default="admin", help="who makes the change (audit log)")
    dset.set_defaults(func=cmd_duty_set)
    dg = ds.add_parser("grid", help="set a grid's grid worker", description="Make a grid worker account the "
                       "grid's worker (its orders go to them), or --none to remove the duty.")
    dg.add_argument("grid", metavar="GRID")
    dg.add_argument("username", nargs="?", metavar="USERNAME")
    dg.add_argument("--none", action="store_true", help="remove the grid's duty")
    dg.add_argument("--actor", default="admin", help="who makes the change (audit log)")
    dg.set_defaults(func=cmd_duty_grid)


def _engine(args: argparse.Namespace) -> tuple[Any, Any]:
    from cockpit.config import load_config
    from cockpit.warehouse.db import engine_for

    config = load_config(args.config)
    return config, engine_for(config.warehouse_url)


def _row(o: dict[str, Any], now: datetime) -> dict[str, Any]:
    from cockpit.orders.records import is_overdue

    return {"id": o["id"], "status": o["status"], "overdue": is_overdue(o, now), "level": o["level"],
            "title": o["title"], "board": o["board"], "category": o["category_code"], "department": o["department_code"],
            "cooperating": [c for c in (o["cooperating"] or "").split(",") if c], "assignee": o["assignee_user"],
            "township": o["township_code"], "village": o["village_code"], "grid": o["grid_code"],
            "warning_id": o["warning_id"], "created_at": iso_time(o["created_at"]),
            "ack_due_at": iso_time(o["ack_due_at"]), "resolve_due_at": iso_time(o["resolve_due_at"]),
            "acknowledged_at": iso_time(o["acknowledged_at"]), "resolved_at": iso_time(o["resolved_at"]),
            "closed_at": iso_time(o["closed_at"]), "reopen_count": o["reopen_count"], "return_count": o["return_count"]}


def cmd_orders_list(args: argparse.Namespace) -> int:
    from cockpit import clock
    from cockpit.orders.records import list_orders
    from cockpit.scope import EVERYTHING

    config, engine = _engine(args)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    now = clock.now()
    with engine.connect() as conn:
        rows = [_row(o, now) for o in list_orders(conn, EVERYTHING, now=now, status=args.status, board=args.board,
                                                   department=args.department, area=args.area,
                                                   assignee=args.assignee, limit=args.limit)]
    if wants_json(args):
        print_json(rows)
        return 0
    for r in rows:
        late = " OVERDUE" if r["overdue"] else ""
        print(f"#{r['id']:<6} {r['status']:<12}{late:<8} {r['department']:<14} {r['assignee'] or '-':<14} "
              f"{r['grid'] or r['village'] or '':<14} {r['title']}  (resolve by {r['resolve_due_at']})")
    print(f"{len(rows)} work order(s)")
    return 0


def cmd_orders_show(args: argparse.Namespace) -> int:
    from cockpit import clock
    from cockpit.orders.records import events_of, get_order, photos_of, timeline
    from cockpit.scope import EVERYTHING

    config, engine = _engine(args)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    with engine.connect() as conn:
        o = get_order(conn, args.id, EVERYTHING)
        if o is None:
            return fail(args, f"work order {args.id} does not exist", 1)
        steps = [{"at": iso_time(s["at"]), "what": s["what"], "action": s["action"], "actor": s["actor"],
                  "from_status": s["from_status"], "to_status": s["to_status"], "to_level": s["to_level"],
                  "note": s["note"]} for s in timeline(conn, o)]
        events = [{"id": e["id"], "reported_at": iso_time(e["reported_at"]), "channel": e["channel"],
                   "category": e["category_code"], "title": e["title"]} for e in events_of(conn, o)]
        photos = [{**p, "uploaded_at": iso_time(p["uploaded_at"])} for p in photos_of(conn, args.id)]
        for p in photos:
            p.pop("log_id", None)
    row = _row(o, clock.now()) | {"address": o["address"], "lon": o["lon"], "lat": o["lat"],
                                  "ended_at": iso_time(o["ended_at"])}
    if wants_json(args):
        print_json({"order": row, "timeline": steps, "events": events, "photos": photos})
        return 0
    print(f"work order #{row['id']}  {row['status']}{'  OVERDUE' if row['overdue'] else ''}  {row['title']}")
    print(f"  {row['department']} (cooperating: {', '.join(row['cooperating']) or '-'})  assignee "
          f"{row['assignee'] or 'department liaison'}  place {row['grid'] or row['village']}")
    print(f"  acknowledge by {row['ack_due_at']}  resolve by {row['resolve_due_at']}")
    print("timeline:")
    for s in steps:
        level = f" [{s['to_level']}]" if s["to_level"] else ""
        print(f"  {s['at']}  {s['what']:<7} {s['actor']:<12} {s['action']:<15} {s['from_status'] or '-'} -> "
              f"{s['to_status']}{level}" + (f"  {s['note']}" if s["note"] else ""))
    print(f"events: {len(events)}, photos: {len(photos)}")
    return 0


def iso_week(text: str) -> tuple[date, date]:
    """The days ``[Monday, next Monday)`` of an ISO week written ``2026-W47``."""
    from cockpit.periods import parse_named

    if "-W" not in (text or "").upper():
        raise ValueError(f"not an ISO week: {text!r} (write it as 2026-W47)")
    try:
        _, start, end = parse_named(text)
    except ValueError:
        raise ValueError(f"not an ISO week: {text!r} (write it as 2026-W47)") from None
    return start, end


def cmd_orders_stats(args: argparse.Namespace) -> int:
    from cockpit import clock
    from cockpit.orders.metrics import response_times
    from cockpit.periods import current_span
    from cockpit.scope import EVERYTHING

    config, engine = _engine(args)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    now = clock.now()
    if args.week:
        try:
            first, last = iso_week(args.week)
        except ValueError as exc:
            return fail(args, str(exc), 2)
    else:
        span = current_span(args.period, now)
        first, last = span.start, span.end
    start, end = datetime.combine(first, datetime.min.time()), datetime.combine(last, datetime.min.time())
    with engine.connect() as conn:
        rows = response_times(conn, EVERYTHING, start=start, end=end, now=now, by=args.by, township=args.township)
    if wants_json(args):
        print_json({"start": first.isoformat(), "end": last.isoformat(), "by": args.by, "rows": rows})
        return 0
    print(f"work orders dispatched {first} to {last - timedelta(days=1)}, by {args.by}")
    head = ("key", "orders", "acknowledged", "MTTA min", "resolved", "MTTR min", "closed", "reopened", "overdue")
    table = [head] + [(str(r["key"]), str(r["orders"]), str(r["acknowledged"]), _num(r["mtta_minutes"]),
                       str(r["resolved"]), _num(r["mttr_minutes"]), str(r["closed"]), str(r["reopened"]),
                       str(r["overdue"])) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for i, row in enumerate(table):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    return 0


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def cmd_duty_list(args: argparse.Namespace) -> int:
    from cockpit.orders.routing import responsibility_list

    config, engine = _engine(args)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    with engine.connect() as conn:
        rows = responsibility_list(conn)
    if wants_json(args):
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['category']:<16} {r['board']:<9} {r['sla_hours']:>4} h  lead {r['lead'] or '-':<14} "
              f"cooperating {', '.join(r['cooperating']) or '-'}")
    return 0


def cmd_duty_set(args: argparse.Namespace) -> int:
    from cockpit import clock
    from cockpit.orders.routing import RoutingError, set_responsibility

    config, engine = _engine(args)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    try:
        with engine.begin() as conn:
            set_responsibility(conn, args.category, args.lead, [c.strip() for c in args.cooperate.split(",")],
                               args.actor, clock.now())
    except RoutingError as exc:
        return fail(args, str(exc), 2)
    print(f"{args.category}: lead {args.lead}, cooperating {args.cooperate or '-'}")
    return 0


def cmd_duty_grid(args: argparse.Namespace) -> int:
    from cockpit import clock
    from cockpit.orders.routing import RoutingError, set_grid_duty

    config, engine = _engine(args)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    if bool(args.username) == bool(args.none):
        return fail(args, "give a grid worker's USERNAME, or --none to remove the duty", 2)
    try:
        with engine.begin() as conn:
            set_grid_duty(conn, args.grid, None if args.none else args.username, args.actor, clock.now())
    except RoutingError as exc:
        return fail(args, str(exc), 2)
    print(f"{args.grid}: {'no grid worker' if args.none else args.username}")
    return 0
