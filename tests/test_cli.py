"""``python -m cockpit``, run as a real subprocess: help on every command, configuration errors
(exit 2, message, no traceback), migrations, config check, demo sources, ETL argument checks, serve;
``--json`` on every command that lists or reports (it parses, nothing else is on stdout, it holds the
same facts as the text output and the warehouse)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cockpit.config import ROOT
from cockpit.warehouse import migrate
from tests.tiny_source import make_source, source_block

COMMANDS = [
    [], ["demo-sources"], ["simulate"], ["etl"], ["db"], ["db", "upgrade"], ["db", "downgrade"], ["db", "current"],
    ["db", "rebuild-aggregates"], ["scheduler"], ["serve"], ["kpis"], ["config"], ["config", "check"],
    ["users"], ["users", "list"], ["rules"], ["warnings"], ["warnings", "list"], ["warnings", "show"],
]
# every command that lists or reports, and so takes --json
JSON_COMMANDS = [
    ["demo-sources"], ["simulate"], ["etl"], ["db", "upgrade"], ["db", "downgrade"], ["db", "current"],
    ["db", "rebuild-aggregates"], ["kpis"], ["config", "check"], ["users", "list"], ["rules"], ["warnings", "list"],
    ["warnings", "show"],
]
PINNED = "2026-11-18T10:30:00"


def cockpit(*args: str, config: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    if config is not None:
        full_env["COCKPIT_CONFIG"] = str(config)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "cockpit", *args], cwd=ROOT, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def write_config(tmp_path: Path, body: str = "", *, warehouse: str | None = None, sources_dir: Path | None = None) -> Path:
    url = warehouse or f"sqlite:///{tmp_path / 'warehouse.db'}"
    text = f"[warehouse]\nurl = {json.dumps(url)}\n"
    text += f"[demo]\nsources_dir = {json.dumps(str(sources_dir or tmp_path / 'sources'))}\n"
    text += f"[scheduler]\nlock_file = {json.dumps(str(tmp_path / 'scheduler.lock'))}\n" + body
    path = tmp_path / "cockpit.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a) or "cockpit")
def test_help(args: list[str]) -> None:
    res = cockpit(*args, "--help")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("usage: python -m cockpit" + "".join(" " + a for a in args))
    assert res.stderr == ""


def test_top_level_help_lists_every_command() -> None:
    out = cockpit("--help").stdout
    for name in ("demo-sources", "simulate", "etl", "db", "scheduler", "serve", "config"):
        assert f"\n    {name}" in out


def test_unknown_command_is_a_usage_error() -> None:
    res = cockpit("fly")
    assert res.returncode == 2 and "invalid choice: 'fly'" in res.stderr


@pytest.mark.parametrize("args", [["config", "check"], ["db", "current"], ["db", "upgrade"], ["etl"], ["scheduler"],
                                  ["serve"], ["simulate", "--once"], ["demo-sources"]])
def test_bad_config_exits_2_with_message_and_no_traceback(tmp_path: Path, args: list[str]) -> None:
    path = write_config(tmp_path, '[app]\nport = "eighty"\n')
    res = cockpit(*args, config=path)
    assert res.returncode == 2
    assert f"{path}: [app.port] expected a whole number, got 'eighty'. Fix: write a number such as 8050" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "warehouse.db").exists()  # nothing touched


def test_bad_env_override_exits_2(tmp_path: Path) -> None:
    res = cockpit("config", "check", config=write_config(tmp_path), env={"COCKPIT_ETL_BATCH_SIZE": "lots"})
    assert res.returncode == 2
    assert "$COCKPIT_ETL_BATCH_SIZE: [etl.batch_size] expected a whole number, got 'lots'" in res.stderr
    assert "Traceback" not in res.stderr


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    res = cockpit("config", "check", config=tmp_path / "absent.toml")
    assert res.returncode == 2
    assert "absent.toml" in res.stderr and "COCKPIT_CONFIG" in res.stderr and "Traceback" not in res.stderr


def test_global_config_option_wins_over_the_environment(tmp_path: Path) -> None:
    good = write_config(tmp_path)
    res = cockpit("--config", str(good), "config", "check", env={"COCKPIT_CONFIG": str(tmp_path / "absent.toml")})
    assert res.returncode == 0, res.stderr


def test_db_upgrade_current_downgrade(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    head = migrate.head_revision()
    res = cockpit("db", "current", config=path)
    assert res.returncode == 0 and res.stdout.startswith("(none) (behind: head is " + head)

    res = cockpit("db", "upgrade", config=path)
    assert res.returncode == 0, res.stderr
    assert f"upgraded to {head}" in res.stdout
    assert migrate.current_revision(f"sqlite:///{tmp_path / 'warehouse.db'}") == head

    res = cockpit("db", "current", config=path)
    assert res.returncode == 0 and res.stdout.strip() == f"{head} (up to date)"

    res = cockpit("db", "downgrade", "base", config=path)
    assert res.returncode == 0 and "downgraded to base" in res.stdout
    assert cockpit("db", "current", config=path).stdout.startswith("(none)")


def test_db_url_from_environment(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    res = cockpit("db", "upgrade", config=write_config(tmp_path), env={"COCKPIT_WAREHOUSE_URL": f"sqlite:///{other}"})
    assert res.returncode == 0, res.stderr
    assert other.exists() and not (tmp_path / "warehouse.db").exists()


def test_unreachable_warehouse_is_a_message_without_the_password(tmp_path: Path) -> None:
    res = cockpit("db", "upgrade", config=write_config(tmp_path),
                  env={"COCKPIT_WAREHOUSE_URL": f"postgresql+psycopg://u:topsecret@127.0.0.1:{_free_port()}/none"})
    assert res.returncode == 1
    assert "database not reachable" in res.stderr and "Traceback" not in res.stderr
    assert "topsecret" not in res.stdout + res.stderr


def test_config_check_lists_the_sources(tmp_path: Path) -> None:
    body = f'include = [{json.dumps(str(ROOT / "config" / "sources" / "demo.toml"))}]\n'
    path = tmp_path / "cockpit.toml"
    write_config(tmp_path)
    path.write_text(body + path.read_text(encoding="utf-8"), encoding="utf-8")
    res = cockpit("config", "check", config=path)
    assert res.returncode == 0, res.stderr
    from cockpit.config import load_config

    cfg = load_config(path, env={})
    lines = res.stdout.splitlines()
    assert lines[0] == f"configuration: {path}"
    for name, src in cfg.sources.items():
        row = next(line for line in lines if line.startswith(name + " "))
        assert src.department in row and src.target in row and f"{src.interval_minutes} min" in row
        assert row.endswith("MISSING")  # no demo sources generated in tmp_path
    assert lines[-1] == f"{len(cfg.sources)} sources ({len(cfg.sources)} enabled); configuration is valid"


def test_demo_sources_skips_an_existing_folder(tmp_path: Path) -> None:
    out = tmp_path / "sources"
    out.mkdir()
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    res = cockpit("demo-sources", config=write_config(tmp_path))
    assert res.returncode == 0
    assert "already present" in res.stdout and "--force" in res.stdout
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]


def test_demo_sources_refuses_a_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    res = cockpit("demo-sources", "--out", str(out), "--scale", "tiny", config=write_config(tmp_path))
    assert res.returncode == 1 and "--force" in res.stderr and "Traceback" not in res.stderr
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.slow
def test_demo_sources_generate_then_simulate_once(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    res = cockpit("demo-sources", "--scale", "tiny", "--seed", "11", config=path)
    assert res.returncode == 0, res.stderr
    manifest = json.loads((tmp_path / "sources" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scale"] == "tiny" and manifest["seed"] == 11
    assert f"{sum(manifest['counts'].values())} rows in {len(manifest['counts'])} tables" in res.stdout

    res = cockpit("simulate", "--once", config=path)
    assert res.returncode == 0, res.stderr
    assert "new" in res.stdout


def test_simulate_without_sources_says_what_to_do(tmp_path: Path) -> None:
    res = cockpit("simulate", "--once", config=write_config(tmp_path))
    assert res.returncode == 1 and "demo-sources" in res.stderr


def test_etl_unknown_source(tmp_path: Path) -> None:
    res = cockpit("etl", "--source", "nope", config=write_config(tmp_path))
    assert res.returncode == 2 and "unknown source nope" in res.stderr


def test_etl_refuses_an_unmigrated_warehouse(tmp_path: Path) -> None:
    res = cockpit("etl", config=write_config(tmp_path))
    assert res.returncode == 1
    assert "db upgrade" in res.stderr and "Traceback" not in res.stderr


def test_scheduler_refuses_an_unmigrated_warehouse(tmp_path: Path) -> None:
    res = cockpit("scheduler", config=write_config(tmp_path))
    assert res.returncode == 1
    assert "db upgrade" in res.stderr and "Traceback" not in res.stderr


def test_etl_prints_a_table_and_fails_when_a_source_fails(tmp_path: Path, sqlite_url: str) -> None:
    etl = pytest.importorskip("cockpit.etl")
    if not hasattr(etl, "run_sources"):
        pytest.skip("cockpit.etl does not provide run_sources yet")
    good = tmp_path / "ecology.db"
    make_source(good, 50)
    sources = source_block("air_ok", good) + source_block("air_down", tmp_path / "absent" / "gone.db")
    path = write_config(tmp_path, "[etl]\nretry_attempts = 1\nretry_backoff_seconds = 0.01\n" + sources,
                        warehouse=sqlite_url)

    res = cockpit("etl", "--source", "air_ok", config=path)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["source", "status", "read", "loaded", "rejected", "watermark"]
    row = next(line.split() for line in lines if line.startswith("air_ok "))
    assert row[:5] == ["air_ok", "success", "50", "50", "0"]
    from sqlalchemy import text

    from cockpit.warehouse.db import engine_for

    with engine_for(sqlite_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sensor_reading WHERE src_source = 'air_ok'")).scalar() == 50

    res = cockpit("etl", config=path)
    assert res.returncode == 1
    statuses = {line.split()[0]: line.split()[1] for line in res.stdout.splitlines()[2:]}
    assert statuses == {"air_ok": "success", "air_down": "failed"}
    assert "air_down" in res.stderr and "Traceback" not in res.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_runs_the_app_with_several_workers(tmp_path: Path, sqlite_url: str) -> None:
    port = _free_port()
    path = write_config(tmp_path, warehouse=sqlite_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")} | {"COCKPIT_CONFIG": str(path)}
    proc = subprocess.Popen([sys.executable, "-m", "cockpit", "serve", "--port", str(port), "--workers", "2"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    status = resp.status
                break
            except urllib.error.HTTPError as exc:
                status = exc.code
                break
            except OSError:
                time.sleep(0.3)
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        assert status is not None and status < 500
        workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) == 2
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"serving the cockpit at http://127.0.0.1:{port} with 2 workers" in out
    assert "demo accounts" in out  # app.demo is on by default
    assert proc.returncode == 0


# ---------------------------------------------------------------- --json
def parse_json(res: subprocess.CompletedProcess) -> object:
    """The whole of stdout as one JSON document (anything else printed there fails the parse)."""
    return json.loads(res.stdout)


def text_rows(stdout: str, first: str) -> list[list[str]]:
    """The rows of a text table whose header line starts with ``first``, split on runs of 2+ spaces."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first + " "))
    rows = []
    for line in lines[start + 2:]:
        if not line.strip() or not re.match(r"\S+\s{2,}", line):
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


@pytest.mark.parametrize("args", JSON_COMMANDS, ids=lambda a: " ".join(a))
def test_help_mentions_json(args: list[str]) -> None:
    res = cockpit(*args, "--help")
    assert res.returncode == 0, res.stderr
    assert "--json" in res.stdout and "Shape:" in res.stdout


@pytest.mark.parametrize("args", [["config", "check"], ["etl"], ["db", "current"], ["db", "upgrade"],
                                  ["db", "rebuild-aggregates"], ["kpis"], ["users", "list"], ["simulate", "--once"],
                                  ["demo-sources"]], ids=lambda a: " ".join(a))
def test_json_config_mistake_is_an_object_on_stdout_and_the_message_on_stderr(tmp_path: Path, args: list[str]) -> None:
    path = write_config(tmp_path, '[app]\nport = "eighty"\n')
    res = cockpit(*args, "--json", config=path)
    assert res.returncode == 2
    assert parse_json(res) == {"error": "expected a whole number, got 'eighty'", "file": str(path), "key": "app.port",
                               "fix": "write a number such as 8050"}
    assert f"{path}: [app.port] expected a whole number, got 'eighty'. Fix: write a number such as 8050" in res.stderr
    assert "Traceback" not in res.stderr


def test_json_other_errors_are_objects_too(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    res = cockpit("etl", "--json", "--source", "nope", config=path)
    assert res.returncode == 2 and "unknown source nope" in parse_json(res)["error"] and "unknown source" in res.stderr
    res = cockpit("etl", "--json", config=path)  # not migrated
    assert res.returncode == 1 and "db upgrade" in parse_json(res)["error"] and "db upgrade" in res.stderr
    res = cockpit("simulate", "--json", config=path)  # a continuous simulation has nothing to report
    assert res.returncode == 2 and "--once" in parse_json(res)["error"]
    res = cockpit("db", "current", "--json", config=path,
                  env={"COCKPIT_WAREHOUSE_URL": f"postgresql+psycopg://u:topsecret@127.0.0.1:{_free_port()}/none"})
    assert res.returncode == 1 and parse_json(res)["error"].startswith("database not reachable")
    assert "topsecret" not in res.stdout + res.stderr and "Traceback" not in res.stderr


def test_config_check_json_matches_the_text(tmp_path: Path) -> None:
    present = tmp_path / "ecology.db"
    make_source(present, 5)
    sources = (source_block("air_ok", present) + source_block("air_gone", tmp_path / "gone.db", interval=60)
               + source_block("air_off", present, enabled=False))
    path = write_config(tmp_path, sources, warehouse="postgresql+psycopg://u:topsecret@db.example:5432/cockpit")
    text, res = cockpit("config", "check", config=path), cockpit("config", "check", "--json", config=path)
    assert text.returncode == 0 and res.returncode == 0, text.stderr + res.stderr
    report = parse_json(res)
    assert "topsecret" not in res.stdout + text.stdout
    lines = text.stdout.splitlines()
    assert lines[0] == f"configuration: {report['file']}" and report["file"] == str(path)
    assert lines[1] == f"warehouse:     {report['warehouse']}"
    assert lines[2] == f"demo sources:  {report['demo_sources_dir']}"
    assert report["valid"] is True
    assert [s["source"] for s in report["sources"]] == ["air_ok", "air_gone", "air_off"]  # declaration order
    rows = text_rows(text.stdout, "source")
    assert len(rows) == len(report["sources"])
    for row, src in zip(rows, report["sources"]):
        assert row == [src["source"], src["department"], src["kind"], src["target"], f"{src['interval_minutes']} min",
                       "yes" if src["enabled"] else "no", src["reads_from"], "yes" if src["present"] else "MISSING"]
    assert {s["source"]: (s["enabled"], s["present"]) for s in report["sources"]} == {
        "air_ok": (True, True), "air_gone": (True, False), "air_off": (False, True)}
    assert report["sources"][0]["reads_from"] == f"sqlite:///{present}"
    assert lines[-1] == "3 sources (2 enabled); configuration is valid"


def test_db_commands_json(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    url, head = f"sqlite:///{tmp_path / 'warehouse.db'}", migrate.head_revision()
    report = parse_json(cockpit("db", "current", "--json", config=path))
    assert report == {"warehouse": url, "revision": None, "head": head, "up_to_date": False}
    assert cockpit("db", "current", config=path).stdout.startswith("(none) (behind")

    res = cockpit("db", "upgrade", "--json", config=path)
    assert res.returncode == 0, res.stderr
    assert parse_json(res) == {"warehouse": url, "revision": head, "head": head, "up_to_date": True}
    assert "Running upgrade" in res.stderr  # the migration's log goes to stderr
    assert migrate.current_revision(url) == head
    report = parse_json(cockpit("db", "current", "--json", config=path))
    assert report["revision"] == head and report["up_to_date"] is True
    assert cockpit("db", "current", config=path).stdout.strip() == f"{report['revision']} (up to date)"

    res = cockpit("db", "rebuild-aggregates", "--json", config=path)
    assert res.returncode == 0, res.stderr
    rebuilt = parse_json(res)
    text = cockpit("db", "rebuild-aggregates", config=path).stdout
    assert f"duplicates: {rebuilt['duplicates_relinked']} events linked or un-linked" in text
    assert f"agg_event_day: {rebuilt['agg_event_day_rows']} rows rebuilt" in text
    with sqlite3.connect(tmp_path / "warehouse.db") as conn:
        assert conn.execute("SELECT count(*) FROM agg_event_day").fetchone()[0] == rebuilt["agg_event_day_rows"]
    conn.close()

    res = cockpit("db", "downgrade", "base", "--json", config=path)
    assert res.returncode == 0, res.stderr
    assert parse_json(res) == {"warehouse": url, "revision": None, "head": head, "up_to_date": False}


def _etl_run_rows(url: str, after_id: int) -> dict[str, dict]:
    """The warehouse's etl_run rows with an id above ``after_id``, by source, read with plain SQL."""
    from sqlalchemy import text

    from cockpit.warehouse.db import engine_for

    with engine_for(url).connect() as conn:
        rows = conn.execute(text(
            "SELECT id, source, status, attempts, rows_read, rows_loaded, rows_rejected, watermark_before, "
            "watermark_after, error FROM etl_run WHERE id > :after ORDER BY id"), {"after": after_id}).mappings().all()
    return {r["source"]: dict(r) for r in rows}


def test_etl_json_holds_what_the_text_and_the_etl_run_rows_hold(tmp_path: Path, db_url: str) -> None:
    good = tmp_path / "ecology.db"
    make_source(good, 50)
    sources = source_block("air_ok", good) + source_block("air_down", tmp_path / "absent" / "gone.db")
    path = write_config(tmp_path, "[etl]\nretry_attempts = 1\nretry_backoff_seconds = 0.01\n" + sources,
                        warehouse=db_url)

    res = cockpit("etl", config=path)  # text
    assert res.returncode == 1
    runs = _etl_run_rows(db_url, 0)
    assert set(runs) == {"air_ok", "air_down"}
    for row in text_rows(res.stdout, "source"):
        run = runs[row[0]]
        assert row[1:5] == [run["status"], str(run["rows_read"]), str(run["rows_loaded"]), str(run["rows_rejected"])]
        assert row[5:] == [run["watermark_after"] or "-"]
    assert runs["air_ok"]["rows_loaded"] == 50 and runs["air_down"]["status"] == "failed"
    last_id, first_mark = max(r["id"] for r in runs.values()), runs["air_ok"]["watermark_after"]

    with sqlite3.connect(good) as conn:  # 20 new readings after the watermark
        conn.executemany("INSERT INTO readings VALUES (?, ?, ?, ?)",
                         [(f"T{i:02d}", f"2026-02-01T{i:02d}:00:00", 33.0, f"2026-02-01T{i:02d}:05:00")
                          for i in range(20)])
    conn.close()
    res = cockpit("etl", "--json", config=path)
    assert res.returncode == 1  # still failing: air_down
    rows = parse_json(res)
    assert isinstance(rows, list) and [r["source"] for r in rows] == ["air_ok", "air_down"]
    runs = _etl_run_rows(db_url, last_id)
    for r in rows:
        run = runs[r["source"]]
        assert r == {**{k: run[k] for k in ("status", "attempts", "rows_read", "rows_loaded", "rows_rejected",
                                             "watermark_before", "watermark_after", "error")},
                     "source": run["source"], "target": "sensor_reading", "run_id": run["id"]}
    ok, down = rows
    # the watermark is inclusive: the 10 readings of its last instant are read again, and left unchanged
    assert (ok["status"], ok["rows_read"], ok["rows_loaded"], ok["rows_rejected"]) == ("success", 30, 20, 0)
    assert ok["watermark_before"] == first_mark and ok["watermark_after"] == "2026-02-01T19:05:00"
    assert ok["error"] is None and ok["attempts"] == 1
    assert down["status"] == "failed" and down["error"] and down["attempts"] == 1
    assert f"air_down: {down['error']}" in res.stderr and "Traceback" not in res.stderr


def test_kpis_json_matches_the_text(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    res, text = cockpit("kpis", "--json", config=path), cockpit("kpis", config=path)
    assert res.returncode == 0 and text.returncode == 0
    rows = parse_json(res)
    lines = text.stdout.splitlines()
    assert len(rows) == len(lines)
    for r, line in zip(rows, lines):
        board, key, rest = line.split(maxsplit=2)
        assert (board, key) == (r["board"], r["key"]) and rest.startswith(f"{r['name']}  [{r['type']}, ")


@pytest.mark.slow
def test_demo_sources_and_simulate_json(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    out = tmp_path / "sources"
    res = cockpit("demo-sources", "--scale", "tiny", "--seed", "11", "--json", config=path)
    assert res.returncode == 0, res.stderr
    report = parse_json(res)
    assert "generating tiny demo sources" in res.stderr  # the progress line is not on stdout
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert report == {"dir": str(out), "generated": True, "scale": "tiny", "seed": 11,
                      "tables": len(manifest["counts"]), "rows": sum(manifest["counts"].values()),
                      "bad_rows": len(manifest["bad_rows"]), "counts": manifest["counts"]}
    assert parse_json(cockpit("demo-sources", "--json", config=path)) == {"dir": str(out), "generated": False}

    copy = tmp_path / "copy"
    shutil.copytree(out, copy)  # the same step, as of the same instant, on two identical copies
    res = cockpit("--as-of", PINNED, "simulate", "--once", "--json", config=path)
    assert res.returncode == 0, res.stderr
    rows = parse_json(res)
    assert rows and all(r["at"] == PINNED + "+08:00" for r in rows)
    text = cockpit("--as-of", PINNED, "simulate", "--once", config=write_config(tmp_path, sources_dir=copy))
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [f"{r['source']:<28} +{r['inserted']} new, {r['updated']} updated" for r in rows]
