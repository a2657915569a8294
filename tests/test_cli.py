"""``python -m cockpit``, run as a real subprocess: help on every command, configuration errors
(exit 2, message, no traceback), migrations, config check, demo sources, ETL argument checks, serve."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cockpit.config import ROOT
from cockpit.warehouse import migrate
from tiny_source import make_source, source_block

COMMANDS = [
    [], ["demo-sources"], ["simulate"], ["etl"], ["db"], ["db", "upgrade"], ["db", "downgrade"], ["db", "current"],
    ["scheduler"], ["serve"], ["config"], ["config", "check"],
]


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
