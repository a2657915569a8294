"""``python -m cockpit score [cases DEPARTMENT]`` and ``python -m cockpit whistles list|show|review``.

The command line sees the whole warehouse (it runs where the warehouse is administered), so it
reads as the system (an unrestricted ``Scope``). ``score`` prints the department score (部门报到考核,
SPEC §10) of a week, month or quarter: the ranking with each term's share, the score (or 样本不足)
and the grade; ``score cases`` the cases behind one department's score. ``whistles`` prints the
whistles (街乡吹哨) with each summoned department's state, one whistle with its summons and their
timelines, and the administrator's review list. ``--json`` prints the same facts as the text.
"""

from __future__ import annotations

import argparse
import unicodedata
from datetime import datetime, timedelta
from typing import Any, Callable

from cockpit.cli_output import JSON_HELP, fail, iso_time, print_json, require_migrated, wants_json

PERIOD_HELP = "a week 2026-W47, a month 2026-11 or a quarter 2026-Q4 (default: the current week by the clock)"
TERM_SHAPE = '{"weight", "share" (null: nobody due yet), "done", "due", "points"}'
ROW_SHAPE = ('{"department", "name_zh", "name_en", "cases", "excused", "cancelled", "open", "score" (null: 样本不足, or nothing due yet), '
             '"grade", "insufficient", "rank", "terms": {"acknowledged_on_time" | "arrived_on_time" | "resolved" | '
             f'"resolved_on_time" | "satisfaction" | "reopened": {TERM_SHAPE}}}}}')
SCORE_SHAPE = ('. Shape: {"period", "start", "end" (the day after the last), "township" (null: all), "as_of", '
               '"weights": {term: weight}, "min_sample", "rows": [' + ROW_SHAPE + ']}, scored rows best first, '
               'then those with too few cases')
CASE_SHAPE = ('{"id", "whistle_id", "title", "board", "grid", "village", "warning_id", "order_id", "whistle_status", '
              '"role", "status", "urgent", "created_at", "ack_due_at", "acknowledged_at", "arrive_due_at", "arrived_at", '
              '"resolve_due_at", "resolved_at", "verified_at", "ended_at", "rating", "reopen_count", "contest_outcome", '
              '"counted", "ack_due", "ack_ok", "arrive_due", "arrive_ok", "resolve_due", "resolved", "resolve_ok", '
              '"reopened"}')
CASES_SHAPE = ('. Shape: {"period", "start", "end", "township", "as_of", "department", "name_zh", "name_en", '
               '"score": (a row as in score, null: not summoned in the period), "cases": [' + CASE_SHAPE + ']}, '
               'newest first')
SUMMONS_SHAPE = ('{"id", "department", "role", "status", "late" (missed deadlines: ack, arrive, resolve), "urgent", '
                 '"created_at", "ack_due_at", "acknowledged_at", "arrive_due_at", "arrived_at", "resolve_due_at", '
                 '"resolved_at", "verified_at", "ended_at", "rating", "reopen_count", "contest_outcome", '
                 '"contest_reason"}')
WHISTLE_SHAPE = ('{"id", "status", "urgent", "overdue", "title", "board", "category", "township", "village", "grid", '
                 '"warning_id", "order_id", "created_at", "created_by", "ended_at", "note", "summons": [' +
                 SUMMONS_SHAPE + ']}')
LIST_SHAPE = '. Shape: [' + WHISTLE_SHAPE + '], newest first'
LOG_SHAPE = '{"at", "actor", "action", "from_status", "to_status", "rating", "note"}'
SHOW_SHAPE = ('. Shape: {"whistle": ' + WHISTLE_SHAPE.replace('"summons": [' + SUMMONS_SHAPE + ']', '"summons": '
              '[... as in list, "timeline": [' + LOG_SHAPE + ']]') + ', "log": [{"at", "actor", "action", '
              '"from_status", "to_status", "note"}]}')
REVIEW_SHAPE = ('. Shape: {"pending": [{"summons_id", "whistle_id", "title", "department", "category", "reason", '
                '"at"}], "flagged": [{"id", "category", "department", "summons_id", "whistle_id", "title", "reason", '
                '"flagged_at", "flagged_by", "reviewed_at", "reviewed_by"}], "gaps": [{"category", "board", '
                '"name_zh", "name_en", "department", "rows"}]}')


def _score_word(r: Any) -> str:
    """The score, or why there is none: 样本不足 (too few cases) or nothing due yet."""
    if r.score is not None:
        return f"{r.score:.1f}"
    return "样本不足" if r.insufficient else "尚无到期"


def register(sub: argparse._SubParsersAction, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``score`` and ``whistles`` to the CLI (``command`` as in ``cockpit.cli.build_parser``)."""
    from cockpit.whistles.records import WHISTLE_CHOICES

    p = command("score", cmd_score, "the department score (部门报到考核) of a period",
                "Rank the departments summoned by whistles in a period by their response score (SPEC §10): "
                "20 × acknowledged on time + 10 × arrived on time + 20 × resolved + 15 × resolved on time + "
                "35 × (mean rating − 1) / 4 − 10 × reopened, with the weights, grades and minimum sample of [score]. "
                "A case counts in the period it was summoned. With fewer cases than the minimum: 样本不足. "
                "'score cases DEPARTMENT' lists the cases behind one score.")
    _score_options(p, None)
    p.add_argument("--json", action="store_true", help=JSON_HELP + SCORE_SHAPE)
    ss = p.add_subparsers(dest="score_command", required=False, metavar="{cases}")
    cs = ss.add_parser("cases", help="the cases behind one department's score",
                       description="Every case (summons) of the department summoned in the period, newest first, "
                       "counted or why not, and for each step whether it was due and met its deadline.")
    cs.add_argument("department", metavar="DEPARTMENT", help="a department code, e.g. urban")
    _score_options(cs, argparse.SUPPRESS)
    cs.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=JSON_HELP + CASES_SHAPE)
    cs.set_defaults(func=cmd_score_cases)

    p = command("whistles", cmd_whistles_list, "list or show whistles (街乡吹哨), and the review list",
                "List whistles with each summoned department's state, show one with its summons and their "
                "timelines, or print the administrator's review list (contests, flagged categories, gaps in "
                "the responsibility list).")
    ws = p.add_subparsers(dest="whistles_command", required=True, metavar="{list,show,review}")
    lst = ws.add_parser("list", help="list whistles (open ones by default)",
                        description="List whistles, newest first, each with its summoned departments, their state "
                        "and the deadlines they missed.")
    lst.add_argument("--status", default="open", choices=WHISTLE_CHOICES,
                     help="open (default), all, overdue (open with a missed deadline), open_contests (a department "
                     "contests it), completed or cancelled")
    lst.add_argument("--township", metavar="CODE", help="only whistles of this township")
    lst.add_argument("--limit", type=int, default=200, metavar="N", help="at most N whistles (default 200)")
    lst.add_argument("--json", action="store_true", help=JSON_HELP + LIST_SHAPE)
    lst.set_defaults(func=cmd_whistles_list)
    show = ws.add_parser("show", help="one whistle with its summons and their timelines",
                         description="Show one whistle: its state, each summoned department's summons with its "
                         "deadlines, missed steps and timeline, and the whistle's own log.")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true", help=JSON_HELP + SHOW_SHAPE)
    show.set_defaults(func=cmd_whistles_show)
    rv = ws.add_parser("review", help="the administrator's review list",
                       description="Contests waiting for the township's decision, categories flagged by an accepted "
                       "contest for review of the responsibility list, and categories the list leaves without a "
                       "responsible department.")
    rv.add_argument("--all", action="store_true", help="also the flags already reviewed")
    rv.add_argument("--json", action="store_true", help=JSON_HELP + REVIEW_SHAPE)
    rv.set_defaults(func=cmd_whistles_review)


def _score_options(p: argparse.ArgumentParser, default: Any) -> None:
    # the subcommand's options default to SUPPRESS, so "score --period P cases X" keeps P
    p.add_argument("--period", metavar="PERIOD", default=default, help=PERIOD_HELP)
    p.add_argument("--township", metavar="CODE", default=default, help="only the cases of this township "
                   "(default: all)")


# ---------------------------------------------------------------- helpers
def _engine(args: argparse.Namespace) -> tuple[Any, Any]:
    from cockpit.config import load_config
    from cockpit.warehouse.db import engine_for

    config = load_config(args.config)
    return config, engine_for(config.warehouse_url)


def _plain(value: Any) -> Any:
    return iso_time(value) if isinstance(value, datetime) else value


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Print a left-aligned table; Chinese characters count two columns."""
    table = [head] + rows
    widths = [max(_width(r[i]) for r in table) for i in range(len(head))]
    for i, row in enumerate(table):
        print("  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def _period(args: argparse.Namespace, now: datetime) -> Any:
    """The period of ``--period`` (the current week without it); ValueError with the message."""
    from cockpit.whistles.score import Period

    text = getattr(args, "period", None)
    if text is None:
        return Period.containing("week", now.date())
    if len(text) > 16:
        raise ValueError(f"not a period: {text[:16]!r}… (write a week 2026-W47, a month 2026-11 or a quarter 2026-Q4)")
    return Period.named(text)


def _check_township(conn: Any, code: str | None) -> str | None:
    """An error message if ``code`` is neither a township of the warehouse nor the township of a summons."""
    from sqlalchemy import select

    from cockpit.warehouse.schema import area, summons

    if code is None:
        return None
    known = conn.execute(select(area.c.code).where(area.c.code == code, area.c.level == "township")).first() or \
        conn.execute(select(summons.c.id).where(summons.c.township_code == code).limit(1)).first()
    return None if known else f"unknown township {code!r} (give a township code, e.g. 330999001)"


def _header(period: Any, township: str | None, as_of: datetime) -> dict[str, Any]:
    return {"period": period.name, "start": period.start.isoformat(), "end": period.end.isoformat(),
            "township": township, "as_of": iso_time(as_of)}


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


# ---------------------------------------------------------------- score
def _scored_period(args: argparse.Namespace) -> tuple[Any, Any, datetime, Any] | int:
    """(config, engine, now, the period of ``--period``) of a score command, or its exit code: a bad
    period (2, checked before the warehouse is opened) or an unmigrated warehouse."""
    from cockpit import clock

    config, engine = _engine(args)
    now = clock.now()
    try:
        period = _period(args, now)
    except ValueError as exc:
        return fail(args, f"--period: {exc}", 2)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    return config, engine, now, period


def cmd_score(args: argparse.Namespace) -> int:
    from cockpit.whistles.score import TERMS, ranking
    from cockpit.whistles.settings import score_settings

    opened = _scored_period(args)
    if isinstance(opened, int):
        return opened
    config, engine, now, period = opened
    settings = score_settings(config)
    with engine.connect() as conn:
        if (problem := _check_township(conn, args.township)) is not None:
            return fail(args, f"--township: {problem}", 2)
        rows = ranking(conn, period, now, settings, township=args.township)
    if wants_json(args):
        print_json({**_header(period, args.township, now), "weights": dict(settings.weights),
                    "min_sample": settings.min_sample, "rows": [r.as_dict() for r in rows]})
        return 0
    w = settings.weights
    print(f"department score {period.name} ({period.start} to {period.end - timedelta(days=1)})"
          f"{', township ' + args.township if args.township else ''}, as of {iso_time(now)}")
    print(f"  = {w['acknowledged_on_time']:g} × acknowledged on time + {w['arrived_on_time']:g} × arrived on time + "
          f"{w['resolved']:g} × resolved + {w['resolved_on_time']:g} × resolved on time + {w['satisfaction']:g} × "
          f"(mean rating − 1) / 4 − {w['reopened']:g} × reopened; fewer than {settings.min_sample} cases: 样本不足")
    head = ("rank", "department", "cases", "ack", "arrive", "resolved", "on time", "satisfaction", "reopened", "score",
            "grade")
    table = []
    for r in rows:
        shares = [_share(r.terms[t].share) for t in TERMS]
        table.append((str(r.rank) if r.rank else "-", f"{r.name_zh} ({r.department_code})", str(r.cases), *shares,
                      _score_word(r), r.grade or "-"))
    _table(head, table)
    print(f"{len(rows)} department(s) summoned")
    return 0


def _case(c: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "whistle_id", "title", "board", "grid_code", "village_code", "warning_id", "order_id",
            "whistle_status", "role", "status", "urgent", "created_at", "ack_due_at", "acknowledged_at",
            "arrive_due_at", "arrived_at", "resolve_due_at", "resolved_at", "verified_at", "ended_at", "rating",
            "reopen_count", "contest_outcome", "counted", "ack_due", "ack_ok", "arrive_due", "arrive_ok",
            "resolve_due", "resolved", "resolve_ok", "reopened")
    return {k.removesuffix("_code"): _plain(c[k]) for k in keys}


def cmd_score_cases(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from cockpit.warehouse.schema import department
    from cockpit.whistles.score import cases, department_score
    from cockpit.whistles.settings import score_settings

    opened = _scored_period(args)
    if isinstance(opened, int):
        return opened
    config, engine, now, period = opened
    township = getattr(args, "township", None)
    with engine.connect() as conn:
        d = department.c
        dept = conn.execute(select(d.code, d.name_zh, d.name_en).where(d.code == args.department)).mappings().first()
        if dept is None:
            return fail(args, f"unknown department {args.department!r} (see the department codes of "
                        "'python -m cockpit duty list')", 2)
        if (problem := _check_township(conn, township)) is not None:
            return fail(args, f"--township: {problem}", 2)
        row = department_score(conn, args.department, period, now, score_settings(config), township=township)
        found = [_case(c) for c in cases(conn, args.department, period, now, township=township)]
    if wants_json(args):
        print_json({**_header(period, township, now), "department": dept["code"], "name_zh": dept["name_zh"],
                    "name_en": dept["name_en"], "score": row.as_dict() if row else None, "cases": found})
        return 0
    print(f"{dept['name_zh']} ({dept['code']}) {period.name} ({period.start} to {period.end - timedelta(days=1)})"
          f"{', township ' + township if township else ''}, as of {iso_time(now)}")
    if row is None:
        print("  not summoned in the period")
    else:
        score = _score_word(row) if row.score is None else f"{row.score:.1f} ({row.grade}), rank {row.rank}"
        print(f"  score {score}; {row.cases} counted, {row.excused} excused, {row.cancelled} cancelled, "
              f"{row.open_cases} still open")

    def mark(due: bool, ok: bool) -> str:
        return "ok" if ok else "late" if due else "-"

    _table(("summons", "whistle", "summoned", "status", "counted", "ack", "arrive", "resolved", "on time", "rating",
            "reopened", "title"),
           [(f"#{c['id']}", f"#{c['whistle_id']}", str(c["created_at"])[:16].replace("T", " "), c["status"],
             "yes" if c["counted"] else "no", mark(c["ack_due"], c["ack_ok"]), mark(c["arrive_due"], c["arrive_ok"]),
             mark(c["resolve_due"], c["resolved"]), mark(c["resolve_due"], c["resolve_ok"]),
             str(c["rating"] or "-"), "yes" if c["reopened"] else "", c["title"]) for c in found])
    print(f"{len(found)} case(s)")
    return 0


# ---------------------------------------------------------------- whistles
SUMMONS_KEYS = ("id", "department_code", "role", "status", "late", "urgent", "created_at", "ack_due_at",
                "acknowledged_at", "arrive_due_at", "arrived_at", "resolve_due_at", "resolved_at", "verified_at",
                "ended_at", "rating", "reopen_count", "contest_outcome", "contest_reason")


def _summons(s: dict[str, Any]) -> dict[str, Any]:
    return {k.removesuffix("_code"): _plain(s[k]) for k in SUMMONS_KEYS}


def _whistle(w: dict[str, Any]) -> dict[str, Any]:
    return {"id": w["id"], "status": w["status"], "urgent": w["urgent"], "overdue": any(s["late"] for s in w["summons"]),
            "title": w["title"], "board": w["board"], "category": w["category_code"], "township": w["township_code"],
            "village": w["village_code"], "grid": w["grid_code"], "warning_id": w["warning_id"],
            "order_id": w["order_id"], "created_at": iso_time(w["created_at"]), "created_by": w["created_by"],
            "ended_at": iso_time(w["ended_at"]), "note": w["note"], "summons": [_summons(s) for s in w["summons"]]}


def _states(w: dict[str, Any]) -> str:
    return ", ".join(f"{s['department']} {s['status']}" + (f" LATE {'/'.join(s['late'])}" if s["late"] else "")
                     for s in w["summons"]) or "-"


def cmd_whistles_list(args: argparse.Namespace) -> int:
    from cockpit import clock
    from cockpit.scope import EVERYTHING
    from cockpit.whistles.records import list_whistles

    config, engine = _engine(args)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    now = clock.now()
    with engine.connect() as conn:
        rows = [_whistle(w) for w in list_whistles(conn, EVERYTHING, now, status=args.status, township=args.township,
                                                   limit=args.limit)]
    if wants_json(args):
        print_json(rows)
        return 0
    for r in rows:
        flags = ("URGENT " if r["urgent"] else "") + ("OVERDUE" if r["overdue"] else "")
        print(f"#{r['id']:<6} {r['status']:<10} {flags:<15} {r['created_at'][:16]}  {r['title']}")
        print(f"         {_states(r)}")
    print(f"{len(rows)} whistle(s)")
    return 0


def _log(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: _plain(row.get(k)) for k in keys}


def cmd_whistles_show(args: argparse.Namespace) -> int:
    from cockpit import clock
    from cockpit.scope import EVERYTHING
    from cockpit.whistles.records import get_whistle, timeline

    config, engine = _engine(args)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    now = clock.now()
    with engine.connect() as conn:
        w = get_whistle(conn, EVERYTHING, args.id, now)
        if w is None:
            return fail(args, f"whistle {args.id} does not exist", 1)
        out = _whistle(w)
        for s, raw in zip(out["summons"], w["summons"]):
            s["timeline"] = [_log(e, ("at", "actor", "action", "from_status", "to_status", "rating", "note"))
                             for e in timeline(conn, raw["id"])]
        log = [_log(e, ("at", "actor", "action", "from_status", "to_status", "note")) for e in w["log"]]
    if wants_json(args):
        print_json({"whistle": out, "log": log})
        return 0
    print(f"whistle #{out['id']}  {out['status']}{'  URGENT' if out['urgent'] else ''}"
          f"{'  OVERDUE' if out['overdue'] else ''}  {out['title']}")
    source = f"warning #{out['warning_id']}" if out["warning_id"] else f"work order #{out['order_id']}"
    print(f"  on {source}, {out['category'] or '-'} at {out['grid'] or out['village'] or out['township']}, "
          f"blown {out['created_at']} by {out['created_by']}" + (f": {out['note']}" if out["note"] else ""))
    for s in out["summons"]:
        late = f"  LATE {'/'.join(s['late'])}" if s["late"] else ""
        print(f"summons #{s['id']} {s['department']} ({s['role']}): {s['status']}{late}"
              + (f", rated {s['rating']}" if s["rating"] else ""))
        print(f"  acknowledge by {s['ack_due_at']}, arrive by {s['arrive_due_at']}, resolve by {s['resolve_due_at']}")
        for e in s["timeline"]:
            rating = f" [{e['rating']}]" if e["rating"] else ""
            print(f"  {e['at']}  {e['actor']:<12} {e['action']:<16} {e['from_status'] or '-'} -> {e['to_status']}"
                  f"{rating}" + (f"  {e['note']}" if e["note"] else ""))
    print("whistle log:")
    for e in log:
        print(f"  {e['at']}  {e['actor']:<12} {e['action']:<16} {e['from_status'] or '-'} -> {e['to_status']}"
              + (f"  {e['note']}" if e["note"] else ""))
    return 0


def cmd_whistles_review(args: argparse.Namespace) -> int:
    from cockpit.whistles.records import review_list

    config, engine = _engine(args)
    if (code := require_migrated(args, config.warehouse_url)) is not None:
        return code
    with engine.connect() as conn:
        found = review_list(conn, open_only=not args.all)
    pending = [{"summons_id": p["id"], "whistle_id": p["whistle_id"], "title": p["title"],
                "department": p["department_code"], "category": p["category_code"], "reason": p["contest_reason"],
                "at": iso_time(p["at"])} for p in found["pending"]]
    flagged = [{"id": f["id"], "category": f["category_code"], "department": f["department_code"],
                "summons_id": f["summons_id"], "whistle_id": f["whistle_id"], "title": f["title"], "reason": f["reason"],
                "flagged_at": iso_time(f["flagged_at"]), "flagged_by": f["flagged_by"],
                "reviewed_at": iso_time(f["reviewed_at"]), "reviewed_by": f["reviewed_by"]} for f in found["flagged"]]
    gaps = [{"category": g["code"], "board": g["board"], "name_zh": g["name_zh"], "name_en": g["name_en"],
             "department": g["department_code"], "rows": g["rows"]} for g in found["gaps"]]
    if wants_json(args):
        print_json({"pending": pending, "flagged": flagged, "gaps": gaps})
        return 0
    print(f"contests to decide: {len(pending)}")
    for p in pending:
        print(f"  summons #{p['summons_id']} (whistle #{p['whistle_id']}) {p['department']} {p['category'] or '-'} "
              f"since {p['at']}: {p['reason'] or ''}  [{p['title']}]")
    print(f"categories flagged for review: {len(flagged)}")
    for f in flagged:
        done = f"  reviewed {f['reviewed_at']} by {f['reviewed_by']}" if f["reviewed_at"] else ""
        print(f"  #{f['id']} {f['category'] or '-'} not {f['department']} (summons #{f['summons_id']}, "
              f"{f['flagged_at']} by {f['flagged_by']}): {f['reason'] or ''}{done}")
    print(f"categories without a responsible department: {len(gaps)}")
    for g in gaps:
        print(f"  {g['category']:<16} {g['board']:<9} {g['name_zh']}  (category's department "
              f"{g['department'] or '-'}, {g['rows']} row(s) in the list)")
    return 0
