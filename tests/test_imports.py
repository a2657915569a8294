"""The import graph: the jobs that serve no request (CLI, scheduler, ETL) load no web code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB_MODULES = ("flask", "dash", "web")  # the web framework, the app framework, the cockpit's web package


def test_the_cli_the_scheduler_and_the_etl_load_no_web_code() -> None:
    """In a fresh interpreter (this one has loaded the app for other tests): import the CLI with
    every command's parser (the ``users`` command included), the scheduler and the ETL."""
    code = (
        "import json, sys\n"
        "import cockpit.cli, cockpit.scheduler, cockpit.etl\n"
        "cockpit.cli.build_parser()\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {WEB_MODULES!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"imported by the CLI, scheduler or ETL: {', '.join(loaded)}"
