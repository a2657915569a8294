"""``python -m cockpit notify status|send`` with --json, against the loopback robot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cockpit.cli import main
from cockpit.config import ROOT
from cockpit.warehouse.db import engine_for
from tests.notify.conftest import add_notices, ago


def config_file(tmp_path: Path, url: str, robot_url: str) -> Path:
    path = tmp_path / "cockpit.toml"
    path.write_text(f"[warehouse]\nurl = {json.dumps(url)}\n[notify]\nmax_attempts = 2\n"
                    f"[notify.channels.group]\nkind = \"wecom\"\nurl = {json.dumps(robot_url)}\n", encoding="utf-8")
    return path


def run(capsys, *args: str) -> tuple[int, dict]:
    code = main(list(args))
    return code, json.loads(capsys.readouterr().out)


def test_send_then_status(tmp_path, sqlite_url, robot, now, capsys) -> None:
    engine = engine_for(sqlite_url)
    path = str(config_file(tmp_path, sqlite_url, robot.url()))
    add_notices(engine, 2, group="g1", at=ago(now, 120))
    add_notices(engine, 1, group="g2", at=ago(now, 120))
    code, out = run(capsys, "--config", path, "notify", "send", "--json")
    assert code == 0 and (out["batched"], out["sent"], out["failed"]) == (2, 2, 0)
    assert [a["outcome"] for a in out["attempts"]] == ["sent", "sent"] and len(robot.requests) == 2
    robot.mode = "500"
    add_notices(engine, 1, group="g3", at=ago(now, 120))
    code, out = run(capsys, "--config", path, "notify", "send", "--json")
    assert code == 0 and (out["sent"], out["retrying"]) == (0, 1)
    code, out = run(capsys, "--config", path, "notify", "status", "--json")
    assert code == 0 and out["notices"] == 4
    assert out["channels"] == [{"channel": "group", "kind": "wecom", "configured": True, "pending": 1, "sent": 2, "failed": 0}]
    assert out["retrying"][0]["attempts"] == 1 and "HTTP 500" in out["retrying"][0]["last_error"]
    assert out["retrying"][0]["next_attempt_at"] == "2026-11-18T10:30:30+08:00"


def test_status_text_without_channels(tmp_path, sqlite_url, capsys) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[warehouse]\nurl = {json.dumps(sqlite_url)}\n", encoding="utf-8")
    assert main(["--config", str(path), "notify", "status"]) == 0
    assert "no channel configured" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["notify"], ["notify", "status"], ["notify", "send"]], ids=" ".join)
def test_help(args: list[str]) -> None:
    res = subprocess.run([sys.executable, "-m", "cockpit", *args, "--help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, env={k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")})
    assert res.returncode == 0 and res.stderr == ""
    assert res.stdout.startswith("usage: python -m cockpit " + " ".join(args))
    if len(args) == 2:
        assert "--json" in res.stdout and "Shape:" in res.stdout


def test_a_notify_mistake_with_json_is_an_object_naming_the_key(tmp_path, capsys) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[notify.channels.duty]\nkind = "dingtalk"\nurl = "ftp://x"\n', encoding="utf-8")
    code = main(["--config", str(path), "notify", "status", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 2 and out["key"] == "notify.channels.duty.url" and "http(s)" in out["error"]
