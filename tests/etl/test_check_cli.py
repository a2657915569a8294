"""``config check`` that connects and ``sources preview``, run as real subprocesses: a stopped
PostgreSQL is an outage (exit 0, the ETL retries it), a wrong database name and a missing column are
configuration errors (exit 2, each with its key and fix); the JSON holds what the text shows; the
preview lists the reasons the load then quarantines, and writes nothing."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from cockpit.warehouse import schema as s
from cockpit.warehouse.db import engine_for
from tests.etl.test_probe import ROWS, source_toml, sqlite_source
from tests.test_cli import cockpit, parse_json, text_rows, write_config


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def problem_lines(stdout: str) -> list[str]:
    return [line.strip() for line in stdout.splitlines() if re.match(r"  (ERROR|UNAVAILABLE|WARNING) ", line)]


def test_config_check_connects_and_names_each_problem(tmp_path: Path, pg_server) -> None:
    good, broken = tmp_path / "good.db", tmp_path / "broken.db"
    sqlite_source(good, ROWS[:2])
    sqlite_source(broken, ROWS[:2])
    stopped = f"postgresql+psycopg://u:secretpw@127.0.0.1:{_free_port()}/dept"  # nobody listens there
    body = (source_toml("good", f"sqlite:///{good}")
            + source_toml("stopped", stopped)
            + source_toml("wrong_db", pg_server.url("no_such_department_db"))
            + source_toml("wrong_column", f"sqlite:///{broken}").replace('status = "状态"', 'status = "处理状态"')
            + source_toml("not_yet", f"sqlite:///{tmp_path / 'later.db'}"))
    path = write_config(tmp_path, body)
    text, res = cockpit("config", "check", config=path), cockpit("config", "check", "--json", config=path)
    assert text.returncode == 2 and res.returncode == 2, text.stderr + res.stderr
    report = parse_json(res)
    assert "secretpw" not in res.stdout + text.stdout
    assert report["valid"] is False and report["config_errors"] == 2
    by = {r["source"]: r for r in report["sources"]}
    assert {n: r["status"] for n, r in by.items()} == {
        "good": "ok", "stopped": "unavailable", "wrong_db": "config_error", "wrong_column": "config_error",
        "not_yet": "unavailable"}
    assert {n: r["reachable"] for n, r in by.items()} == {
        "good": True, "stopped": False, "wrong_db": False, "wrong_column": True, "not_yet": False}
    assert [(p["severity"], p["code"], p["key"]) for p in by["stopped"]["problems"]] == [
        ("unavailable", "unreachable", "sources.stopped.url")]
    assert [(p["severity"], p["code"], p["key"]) for p in by["wrong_db"]["problems"]] == [
        ("error", "no_database", "sources.wrong_db.url")]
    assert 'database "no_such_department_db" does not exist' in by["wrong_db"]["problems"][0]["problem"]
    [col] = by["wrong_column"]["problems"]
    assert (col["code"], col["key"]) == ("no_column", "sources.wrong_column.columns.status")
    assert "perhaps '状态'" in col["fix"]
    assert by["good"]["tables"] == ["工单"] and by["good"]["missing_columns"] == []
    assert by["good"]["replication"]["kind"] == "key" and by["good"]["replication"]["usable"] is True

    # the text shows the same: the table, one line per source, each problem with key and fix
    rows = text_rows(text.stdout, "source")
    assert [r[0] for r in rows] == list(by) and [r[-1] for r in rows] == [
        "yes" if by[n]["present"] else "MISSING" for n in by]
    assert problem_lines(text.stdout) == [
        f"{p['severity'].upper()} {p['code']} [{p['key']}] {p['problem']}. Fix: {p['fix']}"
        for r in report["sources"] for p in r["problems"]]
    lines = text.stdout.splitlines()
    assert next(line for line in lines if line.startswith("good: ")) == (
        "good: ok; reachable; 1 tables, table found; 6 of 6 configured columns found among 6; replication by '更新时间'")
    assert lines[-1] == "5 sources (5 enabled); 2 configuration errors in enabled sources: fix them and check again"


def test_outages_alone_and_errors_of_disabled_sources_leave_the_configuration_valid(tmp_path: Path, pg_server) -> None:
    off = source_toml("wrong_db", pg_server.url("no_such_department_db")).replace(
        'target = "event"', 'target = "event"\nenabled = false')
    body = source_toml("stopped", f"postgresql+psycopg://u:p@127.0.0.1:{_free_port()}/dept") + off
    res = cockpit("config", "check", "--json", config=write_config(tmp_path, body))
    assert res.returncode == 0, res.stderr
    report = parse_json(res)
    assert report["valid"] is True and report["config_errors"] == 0
    assert [r["status"] for r in report["sources"]] == ["unavailable", "config_error"]


def test_value_map_onto_an_unknown_grid_is_named_once_the_registry_is_loaded(tmp_path: Path) -> None:
    from tests.etl.conftest import AREAS

    grid = tmp_path / "grid.db"
    with sqlite3.connect(grid) as conn:
        conn.execute("CREATE TABLE qy (dm TEXT PRIMARY KEY, mc TEXT, jb TEXT, sj TEXT, gx TEXT)")
        conn.execute("CREATE INDEX qy_gx ON qy (gx)")
        conn.executemany("INSERT INTO qy VALUES (?, ?, ?, ?, '2026-01-01')", [a[:4] for a in AREAS])
    conn.close()
    areas = f"""
[sources.areas]
department = "township"
kind = "sql"
url = {json.dumps(f"sqlite:///{grid}")}
table = "qy"
target = "area"
primary_key = "dm"
replication_key = "gx"
[sources.areas.columns]
code = "dm"
name = "mc"
level = "jb"
parent_code = "sj"
[sources.areas.values.level]
"1" = "county"
"2" = "township"
"3" = "village"
"4" = "grid"
"""
    db = tmp_path / "hotline.db"
    sqlite_source(db, ROWS[:2])
    mapped = source_toml("h", f"sqlite:///{db}") + """[sources.h.values.grid_code]
"G1" = "33099900100101"
"G2" = "33099900199999"
"V1" = "330999001001"
"""
    path = write_config(tmp_path, areas + mapped)
    before = parse_json(cockpit("config", "check", "--json", config=path))
    assert [(p["severity"], p["code"]) for p in before["sources"][1]["problems"]] == [("warning", "areas_not_checked")]
    assert cockpit("db", "upgrade", config=path).returncode == 0
    assert cockpit("etl", "--source", "areas", config=path).returncode == 0
    res = cockpit("config", "check", "--json", config=path)
    assert res.returncode == 2
    errors = [(p["key"], p["problem"]) for p in parse_json(res)["sources"][1]["problems"]]
    assert errors == [('sources.h.values.grid_code."G2"', "maps to '33099900199999', which is no grid code of the area registry"),
                      ('sources.h.values.grid_code."V1"', "maps to '330999001001', which is no grid code of the area registry")]


# ---------------------------------------------------------------- sources preview
def test_sources_preview_json_text_and_the_load(township) -> None:
    township.config()  # writes cockpit.toml and sources.toml
    path = township.dir / "cockpit.toml"
    assert cockpit("etl", "--source", "areas", config=path).returncode == 0
    engine = engine_for(township.warehouse_url)
    with engine.connect() as conn:
        before = [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (s.event, s.dq_issue, s.etl_run)]

    res = cockpit("sources", "preview", "events", "--rows", "50", "--json", config=path)
    assert res.returncode == 0, res.stderr
    report = parse_json(res)
    text = cockpit("sources", "preview", "events", "--rows", "50", config=path)
    assert text.returncode == 0, text.stderr
    with engine.connect() as conn:
        after = [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (s.event, s.dq_issue, s.etl_run)]
    assert after == before  # nothing written by either

    out = text.stdout
    assert out.splitlines()[0] == (f"events → event: {report['rows_read']} rows read (asked 50), "
                                   f"{report['would_load']} would load, {report['would_quarantine']} would be quarantined")
    for r in report["reasons"]:
        assert re.search(rf"^\s+{r['count']}  {r['rule']}  {r['field']}$", out, re.M), r
    for q in report["quarantined"]:
        assert f"  {q['key']}: {q['rule']} — {q['reason']}" in out
    assert "unmapped codes (most frequent first):" in out and "category_code (column 'lb') = 'ZZ'" in out

    assert cockpit("etl", "--source", "events", config=path).returncode == 0
    with engine.connect() as conn:
        issues = conn.execute(select(s.dq_issue.c.rule, s.dq_issue.c.field).where(s.dq_issue.c.source == "events")).all()
    assert {(r["rule"], r["field"]): r["count"] for r in report["reasons"]} == dict(Counter(map(tuple, issues)))


def test_sources_preview_mistakes(township, tmp_path: Path) -> None:
    township.config()
    path = township.dir / "cockpit.toml"
    res = cockpit("sources", "preview", "nope", "--json", config=path)
    assert res.returncode == 2 and "unknown source nope" in parse_json(res)["error"] and "events" in res.stderr
    res = cockpit("sources", "preview", "events", "--rows", "0", config=path)
    assert res.returncode == 2 and "--rows must be at least 1" in res.stderr
    township.events_db.unlink()
    res = cockpit("sources", "preview", "events", "--json", config=path)
    assert res.returncode == 1 and "is unavailable" in parse_json(res)["error"] and "Traceback" not in res.stderr
    (tmp_path / "fresh").mkdir()
    fresh = write_config(tmp_path / "fresh", source_toml("h", f"sqlite:///{tmp_path / 'x.db'}"))
    res = cockpit("sources", "preview", "h", config=fresh)  # warehouse not migrated
    assert res.returncode == 1 and "db upgrade" in res.stderr


def test_help_of_the_new_commands() -> None:
    for args in (["sources"], ["sources", "preview"], ["config", "check"]):
        res = cockpit(*args, "--help")
        assert res.returncode == 0 and res.stdout.startswith("usage: python -m cockpit " + " ".join(args))
    assert "Shape:" in cockpit("sources", "preview", "--help").stdout
