"""The report archive (``cockpit.reports.archive``): a real report is stored with its checksum and
audit row in one transaction, never changed, listed and read only in the scope it was made for, its
bytes checked on every read; the scheduler's weekly job archives last week's report of every township
(run the way the scheduler runs it, the first time in a fresh interpreter) and keeps the earlier
files when run again; the ``reports`` command lists and writes them.

Reports are generated for real (WeasyPrint) and read back with poppler. The warehouses are the
screens dataset (``tests.screens.dataset``) plus a second, empty township.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DatabaseError

from cockpit import clock
from cockpit.config import ROOT, load_config
from cockpit.reports import archive as ar
from cockpit.scope import EVERYTHING, Scope
from cockpit.warehouse.db import engine_for
from cockpit.warehouse.schema import area, audit_log, report_archive
from tests.screens import dataset

TOWN, OTHER_TOWN = dataset.TOWNSHIP, "330999002"
MONDAY = datetime(2026, 11, 23, 7, 30)  # the scheduler's instant: last week is 2026-W47
LEADER = Scope(personal_data=True)
ADMIN = Scope(personal_data=False)
SAFETY_HEAD = Scope(boards=frozenset({"safety"}), personal_data=False)
LIAISON = Scope(departments=frozenset({"urban"}), personal_data=False)


def add_second_township(url: str) -> None:
    """An empty township beside the dataset's, so "every township" means two."""
    with engine_for(url).begin() as conn:
        conn.execute(insert(area).values(code=OTHER_TOWN, name="青山镇", level="township", parent_code="330999", seq=2,
                                         src_source="grid_area", src_key=OTHER_TOWN, row_hash="t", loaded_at=MONDAY))


def town_warehouse(url: str) -> str:
    dataset.build(url, now=MONDAY)
    add_second_township(url)
    return url


def pdftotext(pdf: bytes, tmp: Path) -> str:
    path = tmp / f"r-{hashlib.sha256(pdf).hexdigest()[:8]}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(pdf: bytes, tmp: Path) -> int:
    path = tmp / f"i-{hashlib.sha256(pdf).hexdigest()[:8]}.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.fixture(scope="module")
def real_report(tmp_path_factory):
    """One real report (2026-W46 of the dataset's township), generated once for the module."""
    from cockpit.reports.generate import generate_report

    from cockpit.warehouse.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('gen') / 'warehouse.db'}"
    upgrade(url)
    town_warehouse(url)
    with clock.pinned(MONDAY):
        return generate_report(load_config(), engine_for(url), "2026-W46", TOWN, "zh", now=MONDAY, scope=LEADER)


@pytest.fixture(scope="module")
def pg_town(pg_server, _pg_template):
    """A PostgreSQL warehouse with the screens dataset and a second township, for the module."""
    name = f"cockpit_archive_{os.getpid()}"
    pg_server.execute(f"CREATE DATABASE {name} TEMPLATE {_pg_template}")
    url = pg_server.url(name)
    try:
        yield town_warehouse(url)
    finally:
        engine_for(url).dispose()
        pg_server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# ---------------------------------------------------------------- weeks
def test_last_week_is_the_iso_week_before_the_clocks():
    assert ar.previous_week(MONDAY) == "2026-W47"
    assert ar.previous_week(datetime(2026, 11, 22, 23, 59)) == "2026-W46"  # Sunday night: still W47's week
    assert ar.previous_week(datetime(2027, 1, 4, 7, 30)) == "2026-W53"  # 2026 has 53 ISO weeks
    assert ar.previous_week(datetime(2026, 1, 1, 9, 0)) == "2025-W52"
    assert ar.recent_weeks(MONDAY, 3) == ["2026-W48", "2026-W47", "2026-W46"]
    assert ar.normalise_week(" 2026-w7 ") == "2026-W07"
    for bad in ("2026-11", "W47", "2026-W54", "", "2026-W4x"):
        with pytest.raises(ar.ArchiveError, match="2026-W47"):
            ar.normalise_week(bad)


# ---------------------------------------------------------------- write, list, read
def _count(conn, table, **where) -> int:  # noqa: ANN001
    clause = " AND ".join(f"{k} = :{k}" for k in where) or "1 = 1"
    return conn.execute(text(f"SELECT count(*) FROM {table} WHERE {clause}"), where).scalar_one()


def test_a_report_is_archived_with_its_audit_row_and_read_back_checked(db_url, real_report, tmp_path):
    engine = engine_for(db_url)
    pdf = real_report.pdf
    with engine.begin() as conn:
        first = ar.archive_report(conn, real_report, generated_by="lead", trigger="page", scope=LEADER, now=MONDAY,
                                  ip="10.0.0.7")
    with clock.pinned(MONDAY.replace(minute=45)):
        with engine.begin() as conn:  # the same week again: a new row, the first kept
            second = ar.archive_report(conn, real_report, generated_by="duty", trigger="cli", scope=ADMIN)
    assert second > first
    with engine.connect() as conn:
        rows = conn.execute(select(report_archive).order_by(report_archive.c.id)).all()
        audits = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.obj_type, audit_log.c.obj_id,
                                     audit_log.c.ip, audit_log.c.detail).where(audit_log.c.action == "report.archive")
                              .order_by(audit_log.c.id)).all()
    assert [(r.id, r.week, r.township_code, r.generated_by, r.trigger) for r in rows] == [
        (first, "2026-W46", TOWN, "lead", "page"), (second, "2026-W46", TOWN, "duty", "cli")]
    assert rows[1].generated_at == MONDAY.replace(minute=45)  # the clock's time
    for r in rows:
        assert bytes(r.pdf) == pdf and r.bytes == len(pdf) and r.sha256 == hashlib.sha256(bytes(r.pdf)).hexdigest()
        assert r.pages == pdf_pages(bytes(r.pdf), tmp_path)
    assert [(a.actor, a.obj_type, a.obj_id, a.ip) for a in audits] == [("lead", "report", str(first), "10.0.0.7"),
                                                                       ("duty", "report", str(second), None)]
    assert json.loads(audits[0].detail)["sha256"] == real_report.sha256

    with engine.connect() as conn:
        listed = ar.list_reports(conn, EVERYTHING)
        got = ar.fetch_report(conn, first, LEADER)
    assert [e.id for e in listed] == [second, first]  # newest first
    assert got is not None and got.pdf == pdf and got.entry.title == real_report.title
    assert "2026-W46" in pdftotext(got.pdf, tmp_path)


def test_the_archive_and_its_audit_row_commit_together(db_url, real_report):
    engine = engine_for(db_url)
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            ar.archive_report(conn, real_report, generated_by="lead", trigger="page", scope=LEADER)
            raise RuntimeError("the request failed after archiving")
    with engine.connect() as conn:
        assert _count(conn, "report_archive") == 0 and _count(conn, "audit_log", action="report.archive") == 0


def test_an_archived_report_is_never_changed_or_deleted(db_url, real_report):
    engine = engine_for(db_url)
    with engine.begin() as conn:
        rid = ar.archive_report(conn, real_report, generated_by="lead", trigger="page", scope=LEADER)
    for sql in ("UPDATE report_archive SET title = 'x' WHERE id = :i", "DELETE FROM report_archive WHERE id = :i"):
        with pytest.raises(DatabaseError, match="keeps every report"):
            with engine.begin() as conn:
                conn.execute(text(sql), {"i": rid})
    with engine.connect() as conn:
        assert conn.execute(select(report_archive.c.title)).scalar_one() == real_report.title


def test_what_is_not_a_good_report_is_not_archived(sqlite_url, real_report):
    engine = engine_for(sqlite_url)
    cases = {"trigger": (real_report, "mail"), "PDF": (replace(real_report, pdf=b"<html>"), "page"),
             "sha256": (replace(real_report, pdf=real_report.pdf + b"\n"), "page"),
             "ISO week": (replace(real_report, week="2026-11"), "page")}
    for needle, (report, trigger) in cases.items():
        with pytest.raises(ar.ArchiveError, match=needle):
            with engine.begin() as conn:
                ar.archive_report(conn, report, generated_by="lead", trigger=trigger, scope=LEADER)
    with engine.connect() as conn:
        assert _count(conn, "report_archive") == 0 and _count(conn, "audit_log") == 0
        with pytest.raises(ar.ArchiveError, match="2026-W47"):
            ar.list_reports(conn, EVERYTHING, week="last")
        with pytest.raises(ar.ArchiveError, match="township code"):
            ar.list_reports(conn, EVERYTHING, township="x' OR 1=1")


def test_each_scope_reads_only_the_reports_made_within_it(db_url, real_report):
    engine = engine_for(db_url)
    made = {  # label -> (scope generated under, township, week)
        "leader": (LEADER, TOWN, "2026-W46"),
        "scheduled": (ar.SCHEDULE_SCOPE, TOWN, "2026-W47"),
        "safety_head": (SAFETY_HEAD, TOWN, "2026-W47"),
        "other_town": (ar.SCHEDULE_SCOPE, OTHER_TOWN, "2026-W47"),
        "grid": (Scope(areas=frozenset({TOWN + "00101"}), personal_data=True), TOWN, "2026-W47"),
    }
    ids = {}
    with engine.begin() as conn:
        for label, (scope, town, week) in made.items():
            ids[label] = ar.archive_report(conn, replace(real_report, township=town, week=week), generated_by=label,
                                           trigger="page", scope=scope)
    expected = {  # viewer -> what they may read
        "leader": set(made),  # the whole township with names: every report
        "admin": {"scheduled", "other_town", "safety_head"},  # township-wide, no names: not the leader's or the grid's
        "safety head": {"safety_head"},  # their board's only, never the township-wide one
        "economy head": set(),
        "liaison": set(),
        "grid worker": {"grid"},
        "another grid": set(),
        "nobody": set(),
    }
    viewers = {"leader": LEADER, "admin": ADMIN, "safety head": SAFETY_HEAD,
               "economy head": Scope(boards=frozenset({"economy"})), "liaison": LIAISON,
               "grid worker": Scope(areas=frozenset({TOWN + "00101"}), personal_data=True),
               "another grid": Scope(areas=frozenset({TOWN + "00201"}), personal_data=True),
               "nobody": Scope(areas=frozenset(), boards=frozenset(), departments=frozenset())}
    by_id = {v: k for k, v in ids.items()}
    with engine.connect() as conn:
        for viewer, scope in viewers.items():
            listed = {by_id[e.id] for e in ar.list_reports(conn, scope)}
            assert listed == expected[viewer], viewer
            for label, rid in ids.items():
                found = ar.fetch_report(conn, rid, scope)
                assert (found is not None) == (label in expected[viewer]), (viewer, label)
        assert {by_id[e.id] for e in ar.list_reports(conn, LEADER, week="2026-w47", township=OTHER_TOWN)} == {"other_town"}
        assert {by_id[e.id] for e in ar.list_reports(conn, LEADER, week="2026-W46")} == {"leader"}
        for forged in (0, -1, 2 ** 40, "1", None, True, max(ids.values()) + 1):
            assert ar.fetch_report(conn, forged, LEADER) is None
        stored = ar.fetch_report(conn, ids["safety_head"], LEADER).entry.scope
    assert stored == SAFETY_HEAD  # the scope is stored as it was


def test_damaged_bytes_are_never_handed_out(db_url, real_report):
    engine = engine_for(db_url)
    with engine.begin() as conn:
        rid = ar.archive_report(conn, real_report, generated_by="lead", trigger="page", scope=LEADER)
    damaged = real_report.pdf[:-10] + b"0123456789"
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:  # a disk or a hand that bypasses the application (and its trigger)
        conn.execute(text("ALTER TABLE report_archive DISABLE TRIGGER report_archive_no_update_delete" if pg
                          else "DROP TRIGGER report_archive_no_update"))
        conn.execute(report_archive.update().where(report_archive.c.id == rid).values(pdf=damaged))
    with engine.connect() as conn:
        with pytest.raises(ar.ChecksumMismatch, match="generate the week again"):
            ar.fetch_report(conn, rid, LEADER)
        assert [e.id for e in ar.list_reports(conn, LEADER)] == [rid]  # still listed: the record is the record


def test_file_names_are_ascii_and_the_title():
    e = ar.ArchivedReport(id=12, week="2026-W47", township=TOWN, lang="zh", title='清溪镇 周例会报告/"2026-W47"', pages=3,
                          bytes=10, sha256="0" * 64, empty=False, generated_at=MONDAY, generated_by="lead",
                          trigger="page", scope=LEADER)
    assert ar.file_names(e) == (f"weekly-report-2026-W47-{TOWN}-zh-12.pdf", "清溪镇 周例会报告 2026-W47.pdf")
    assert ar.file_names(replace(e, township=None, title="Weekly"))[1] == "Weekly 2026-W47.pdf"


# ---------------------------------------------------------------- the scheduler's weekly job
FRESH_RUN = """
import json, threading
from cockpit import hooks
import cockpit.scheduler as s
from cockpit.config import load_config
from cockpit.warehouse.db import engine_for
before = [f.__name__ for f in hooks.WEEKLY]
config = load_config()
s.run_weekly(config, engine_for(config.warehouse_url), threading.Event())
print(json.dumps({"before": before, "after": [f.__module__ + "." + f.__name__ for f in hooks.WEEKLY]}))
"""


def test_the_weekly_job_archives_last_week_of_every_township_and_keeps_the_first(pg_town, tmp_path):
    # first as the scheduler process runs it: a fresh interpreter, the clock at Monday 07:30
    env = {**os.environ, "COCKPIT_WAREHOUSE_URL": pg_town, "COCKPIT_NOW": MONDAY.isoformat(), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", FRESH_RUN], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    hooks_seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert hooks_seen == {"before": [], "after": ["cockpit.reports.archive.weekly_report_hook"]}

    engine = engine_for(pg_town)
    sql = select(report_archive).order_by(report_archive.c.id)
    with engine.connect() as conn:
        first_run = conn.execute(sql).all()
    assert [(r.week, r.township_code, r.lang, r.generated_by, r.trigger, r.generated_at) for r in first_run] == [
        ("2026-W47", TOWN, "zh", "scheduler", "schedule", MONDAY), ("2026-W47", OTHER_TOWN, "zh", "scheduler", "schedule", MONDAY)]
    assert [r.empty for r in first_run] == [False, True]  # the second township has no data yet
    assert all((r.scope_areas, r.scope_boards, r.scope_departments, r.scope_personal) == (None, None, None, False)
               for r in first_run)

    # again, in this process, as the scheduler's job function runs on its next Monday trigger
    from cockpit.scheduler import run_weekly

    with clock.pinned(MONDAY.replace(minute=31)):
        run_weekly(load_config(), engine, threading.Event())
    with engine.connect() as conn:
        rows = conn.execute(sql).all()
        audits = conn.execute(text("SELECT actor, obj_id FROM audit_log WHERE action = 'report.archive' ORDER BY id")).all()
    assert len(rows) == 4
    assert rows[:2] == first_run  # the first files are kept as they were
    assert [(r.township_code, r.generated_at) for r in rows[2:]] == [(TOWN, MONDAY.replace(minute=31)),
                                                                      (OTHER_TOWN, MONDAY.replace(minute=31))]
    assert [(a.actor, int(a.obj_id)) for a in audits] == [("scheduler", r.id) for r in rows]
    for r in rows:
        pdf = bytes(r.pdf)
        assert hashlib.sha256(pdf).hexdigest() == r.sha256 and len(pdf) == r.bytes
        assert pdf_pages(pdf, tmp_path) == r.pages
        words = pdftotext(pdf, tmp_path)
        assert "2026-W47" in words and ("清溪镇" if r.township_code == TOWN else "青山镇") in words


def test_a_failing_township_does_not_stop_the_others(sqlite_url, caplog):
    town_warehouse(sqlite_url)
    engine = engine_for(sqlite_url)
    with caplog.at_level(logging.ERROR, logger="cockpit.reports.archive"):
        outcomes = ar.archive_last_week(load_config(), engine, now=MONDAY, townships=["330999777", TOWN])
    assert outcomes[0].township == "330999777" and outcomes[0].report_id is None and "330999777" in outcomes[0].error
    assert outcomes[1].township == TOWN and outcomes[1].report_id is not None
    assert any("330999777" in r.getMessage() for r in caplog.records)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, township_code FROM report_archive")).all() == [(outcomes[1].report_id, TOWN)]


# ---------------------------------------------------------------- the command line
def _cli(*args: str, url: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env.update(COCKPIT_WAREHOUSE_URL=url, COCKPIT_NOW=MONDAY.isoformat())
    return subprocess.run([sys.executable, "-m", "cockpit", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_the_reports_command_lists_writes_and_refuses_bad_input(sqlite_url, real_report, tmp_path):
    engine = engine_for(sqlite_url)
    with engine.begin() as conn:
        rid = ar.archive_report(conn, real_report, generated_by="lead", trigger="page", scope=LEADER, now=MONDAY)
        ar.archive_report(conn, replace(real_report, township=OTHER_TOWN), generated_by="scheduler", trigger="schedule",
                          scope=ar.SCHEDULE_SCOPE, now=MONDAY.replace(minute=40))
    done = _cli("reports", "list", "--json", url=sqlite_url)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    with engine.connect() as conn:
        want = conn.execute(text("SELECT id, week, township_code, sha256, bytes, generated_by, trigger FROM report_archive "
                                 "ORDER BY generated_at DESC, id DESC")).all()
    assert [(r["id"], r["week"], r["township"], r["sha256"], r["bytes"], r["generated_by"], r["trigger"]) for r in listed] \
        == [tuple(w) for w in want]
    assert listed[1]["generated_at"] == "2026-11-23T07:30:00+08:00"
    done = _cli("reports", "list", "--township", TOWN, url=sqlite_url)
    assert done.returncode == 0 and re.search(rf"^{rid}\s+2026-W46\s+{TOWN}\s+zh", done.stdout, re.M), done.stdout
    assert OTHER_TOWN not in done.stdout

    out = tmp_path / "got.pdf"
    done = _cli("reports", "get", str(rid), "--out", str(out), "--json", url=sqlite_url)
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256(out.read_bytes()).hexdigest() == json.loads(done.stdout)["report"]["sha256"] == real_report.sha256

    for args, code, needle in ((["list", "--week", "47"], 2, "2026-W47"), (["get", "x1", "--out", str(out)], 2, "not a report id"),
                               (["get", "999", "--out", str(out)], 1, "no archived report 999"),
                               (["get", str(rid), "--out", str(tmp_path / "no" / "r.pdf")], 2, "does not exist"),
                               (["generate", "--week", "2026-W60"], 2, "2026-W47")):
        done = _cli("reports", *args, url=sqlite_url)
        assert done.returncode == code and needle in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)


def test_reports_generate_archives_as_the_cli(sqlite_url, tmp_path):
    town_warehouse(sqlite_url)
    done = _cli("reports", "generate", "--week", "2026-W47", "--township", OTHER_TOWN, "--json", url=sqlite_url)
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert (row["week"], row["township"], row["trigger"], row["generated_by"], row["empty"]) == \
        ("2026-W47", OTHER_TOWN, "cli", "cli", True)
    assert row["scope"] == {"areas": None, "boards": None, "departments": None, "personal_data": False}
    with engine_for(sqlite_url).connect() as conn:
        pdf = conn.execute(text("SELECT pdf FROM report_archive WHERE id = :i"), {"i": row["id"]}).scalar_one()
    assert hashlib.sha256(bytes(pdf)).hexdigest() == row["sha256"]
    done = _cli("reports", "generate", "--week", "2026-W47", "--township", "330999777", url=sqlite_url)
    assert done.returncode == 2 and "330999777" in done.stderr and "Traceback" not in done.stderr


def test_every_reports_command_has_help_and_json():
    for sub in ("list", "get", "generate", "weekly"):
        done = subprocess.run([sys.executable, "-m", "cockpit", "reports", sub, "--help"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0 and "--json" in done.stdout, sub
