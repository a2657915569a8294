"""Only the clock module reads the machine's clock: no date.today(), datetime.now() or
datetime.utcnow() anywhere else in the application (found with ast, whatever the import style)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREES = ("app.py", "cockpit", "queries", "figures", "pages", "web")
FORBIDDEN = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
             ("time", "time")}
ALLOWED = {ROOT / "cockpit" / "clock.py"}


def _files() -> list[Path]:
    out: list[Path] = []
    for name in TREES:
        path = ROOT / name
        out += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [p for p in out if p not in ALLOWED]


def _calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in FORBIDDEN:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_nothing_but_the_clock_reads_the_machines_time():
    assert len(_files()) > 50
    offenders = [c for p in _files() for c in _calls(p)]
    assert offenders == [], "use cockpit.clock.now() / today():\n" + "\n".join(offenders)


def test_the_check_finds_a_call():
    probe = ROOT / "test-artifacts" / "clock_probe.py"
    probe.parent.mkdir(exist_ok=True)
    probe.write_text("import datetime as dt\nfrom datetime import date\nx = date.today()\ny = dt.datetime.now()\n")
    try:
        assert len(_calls(probe)) == 2
    finally:
        probe.unlink()
