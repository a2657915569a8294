"""Metrics as configuration: each board's cards, their order and targets from [kpis], checked like
sources; docs/metrics.md written from the definitions; the kpis command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cockpit.config import ConfigError, load_config
from cockpit.metrics import DEFAULT_BOARDS, METRICS, markdown

ROOT = Path(__file__).resolve().parent.parent


def _config(tmp_path: Path, kpis: str) -> Path:
    path = tmp_path / "cockpit.toml"
    path.write_text(kpis, encoding="utf-8")
    return path


def test_defaults_keep_todays_cards_and_targets():
    c = load_config(env={})
    assert [m.key for m in c.kpis.of("safety")] == list(DEFAULT_BOARDS["safety"])
    rate = next(m for m in c.kpis.of("safety") if m.key == "resolution_rate")
    assert rate.target == 90.0 and rate.higher_is_better is True
    assert c.kpis.min_cases == 5 and c.kpis.minimum(rate) == 5 and c.kpis.minimum(METRICS["events"]) == 0


def test_order_and_targets_come_from_the_configuration(tmp_path):
    c = load_config(_config(tmp_path, '[kpis]\nmin_cases = 8\n[kpis.boards]\nsafety = ["resolution_rate", "events"]\n'
                                      '[kpis.targets]\nresolution_rate = 95.5\nsanhui_yike_rate = 99\n'), env={})
    assert [m.key for m in c.kpis.of("safety")] == ["resolution_rate", "events"]
    assert c.kpis.of("safety")[0].target == 95.5 and c.kpis.min_cases == 8
    assert next(m for m in c.kpis.of("party") if m.key == "sanhui_yike_rate").target == 99.0
    assert [m.key for m in c.kpis.of("economy")] == list(DEFAULT_BOARDS["economy"])  # not configured: defaults


@pytest.mark.parametrize("text,key", [
    ('[kpis.boards]\nsafety = ["events", "nonsense"]\n', "kpis.boards.safety"),
    ('[kpis.boards]\nharbour = ["events"]\n', "kpis.boards.harbour"),
    ('[kpis.boards]\nparty = ["industrial_output"]\n', "kpis.boards.party"),  # another board's indicator
    ('[kpis.boards]\nsafety = ["events", "events"]\n', "kpis.boards.safety"),
    ('[kpis.targets]\nresolution_rate = "high"\n', "kpis.targets.resolution_rate"),
    ('[kpis.targets]\nevents = 100\n', "kpis.targets.events"),  # a volume has no target
    ('[kpis]\nmin_cases = 0\n', "kpis.min_cases"),
    ('[kpis]\ncolour = "red"\n', "kpis.colour"),
])
def test_a_mistake_in_kpis_names_the_key_and_the_fix(tmp_path, text, key):
    with pytest.raises(ConfigError) as err:
        load_config(_config(tmp_path, text), env={})
    assert err.value.key == key and err.value.fix


def test_docs_metrics_is_written_from_the_definitions():
    assert (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8") == markdown(), \
        "docs/metrics.md is out of date: python -m cockpit kpis --markdown > docs/metrics.md"


def test_the_kpis_command_lists_every_card_as_json():
    out = subprocess.run([sys.executable, "-m", "cockpit", "kpis", "--json", "--lang", "en"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    rows = json.loads(out)
    assert [r["key"] for r in rows if r["board"] == "safety"] == list(DEFAULT_BOARDS["safety"])
    assert all(r["definition"] for r in rows)
    bad = subprocess.run([sys.executable, "-m", "cockpit", "--as-of", "tomorrow", "kpis"], cwd=ROOT,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--as-of" in bad.stderr
