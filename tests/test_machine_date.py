"""The suite passes whatever the machine's own date: the tests that failed on the first of a month
(the demo pipeline, the screens' figures) run again with the machine's clock set to each boundary
instant (``faketime``), the cockpit's clock left to the suite's pin."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSTANTS = ("2026-12-01 00:05:00", "2026-11-30 08:00:00", "2027-01-01 00:05:00", "2028-02-29 12:00:00",
            "2026-12-31 23:55:00")
SUBSET = ("tests/integration/test_demo_pipeline.py", "tests/screens/test_screen_reads.py",
          "tests/screens/test_definitions.py")


@pytest.mark.skipif(os.environ.get("COCKPIT_UNDER_FAKETIME") == "1", reason="already under faketime")
@pytest.mark.parametrize("instant", INSTANTS)
def test_the_suite_does_not_read_the_machines_date(instant):
    faketime = shutil.which("faketime")
    if faketime is None:
        pytest.fail("faketime is not installed (scripts/setup_system.sh installs it)")
    env = {k: v for k, v in os.environ.items() if k != "COCKPIT_NOW"}
    env["COCKPIT_UNDER_FAKETIME"] = "1"
    # SQLite only: each run of the subset starts no PostgreSQL of its own (the main run covers both engines)
    proc = subprocess.run([faketime, "-f", f"@{instant}", sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "-k", "not postgresql", *SUBSET], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    tail = "\n".join(proc.stdout.splitlines()[-30:])
    assert proc.returncode == 0, f"under faketime {instant}:\n{tail}\n{proc.stderr[-2000:]}"
    assert " passed" in tail and "failed" not in tail
