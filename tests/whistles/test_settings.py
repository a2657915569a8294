"""``[whistle]`` and ``[score]`` read through ``cockpit.config.load_config``: the defaults, per-category
deadlines, changed weights, and every mistake refused with a ConfigError naming the file, the key
and the fix."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection

from cockpit.config import ROOT, ConfigError, load_config
from cockpit.whistles.blow import deadlines
from cockpit.whistles.settings import (
    GRADE_DEFAULTS,
    MIN_SAMPLE_DEFAULT,
    WEIGHT_DEFAULTS,
    WHISTLE_DEFAULTS,
    ScoreSettings,
    WhistleSettings,
    score_settings,
    whistle_settings,
)


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cockpit.toml"
    path.write_text(body, encoding="utf-8")
    return path


def refused(tmp_path: Path, body: str) -> ConfigError:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    exc = info.value
    assert Path(exc.file) == path.resolve() or Path(exc.file) == path
    message = str(exc)
    assert str(path.name) in message and f"[{exc.key}]" in message and "Fix: " + exc.fix in message
    assert exc.fix.strip()
    return exc


def test_the_defaults_load(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "[app]\nport = 9000\n"), env={})
    s = score_settings(cfg)
    assert dict(s.weights) == {"acknowledged_on_time": 20, "arrived_on_time": 10, "resolved": 20,
                               "resolved_on_time": 15, "satisfaction": 35, "reopened": 10}
    assert dict(s.grades) == {"A": 90, "B": 75, "C": 60, "D": 40}
    assert s.min_sample == 5
    w = whistle_settings(cfg)
    assert dict(w.defaults) == {"ack_minutes": 30, "arrive_minutes": 1440, "arrive_minutes_urgent": 120,
                                "resolve_hours_urgent": 24}
    assert w.categories == {}
    # no configuration at all: the same defaults
    assert score_settings(None) == ScoreSettings() and whistle_settings(None) == WhistleSettings()
    assert (dict(ScoreSettings().weights), dict(ScoreSettings().grades), ScoreSettings().min_sample) == \
        (WEIGHT_DEFAULTS, GRADE_DEFAULTS, MIN_SAMPLE_DEFAULT)
    assert dict(WhistleSettings().defaults) == WHISTLE_DEFAULTS


def test_the_shipped_config_loads_its_whistle_and_score() -> None:
    cfg = load_config(ROOT / "config" / "cockpit.toml", env={})
    s = score_settings(cfg)
    assert sum(s.weights[k] for k in ("acknowledged_on_time", "arrived_on_time", "resolved", "resolved_on_time",
                                      "satisfaction")) == 100
    assert s.min_sample >= 1


def test_changed_weights_grades_and_sample_load(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "[score]\nmin_sample = 3\n[score.weights]\nacknowledged_on_time = 25\n"
                            "arrived_on_time = 5\nresolved = 20\nresolved_on_time = 15\nsatisfaction = 35\n"
                            "reopened = 0\n[score.grades]\nA = 95\nB = 85.5\n"), env={})
    s = score_settings(cfg)
    assert s.weights["acknowledged_on_time"] == 25 and s.weights["arrived_on_time"] == 5 and s.weights["reopened"] == 0
    assert dict(s.grades) == {"A": 95, "B": 85.5, "C": 60, "D": 40}  # the grades not given keep their defaults
    assert s.min_sample == 3
    assert (s.grade(95), s.grade(94.9), s.grade(85.5), s.grade(85.4)) == ("A", "B", "B", "C")


def test_per_category_whistle_deadlines_load(tmp_path: Path, conn: Connection) -> None:
    cfg = load_config(write(tmp_path, "[whistle]\nack_minutes = 20\narrive_minutes = 600\n"
                            "[whistle.categories.SAF-FIRE]\narrive_minutes_urgent = 60\nresolve_hours = 8\n"
                            "[whistle.categories.ECO-SANITATION]\nack_minutes = 15\n"), env={})
    w = whistle_settings(cfg)
    assert w.defaults["ack_minutes"] == 20 and w.defaults["arrive_minutes"] == 600
    assert w.defaults["arrive_minutes_urgent"] == 120  # not given: the default
    assert w.for_category("SAF-FIRE") == {"resolve_hours": 8, "ack_minutes": 20, "arrive_minutes": 600,
                                          "arrive_minutes_urgent": 60, "resolve_hours_urgent": 24}
    assert w.for_category("ECO-SANITATION")["ack_minutes"] == 15
    assert w.for_category("ECO-SANITATION")["resolve_hours"] is None  # the category's SLA
    assert w.for_category(None)["ack_minutes"] == 20
    # and the deadlines a whistle gets follow them
    now = datetime(2026, 11, 23, 9, 0)
    ack, arrive, resolve = deadlines(conn, "SAF-FIRE", True, now, cfg)
    assert (ack, arrive, resolve) == (now + timedelta(minutes=20), now + timedelta(minutes=60), now + timedelta(hours=8))
    ack, arrive, _ = deadlines(conn, "ECO-SANITATION", False, now, cfg)
    assert (ack, arrive) == (now + timedelta(minutes=15), now + timedelta(minutes=600))


# (the text of the file, the key named, a fragment of the problem or the fix)
MISTAKES = {
    "negative weight": ("[score.weights]\nreopened = -5\n", "score.weights.reopened", "negative"),
    "negative positive weight": ("[score.weights]\nacknowledged_on_time = -10\narrived_on_time = 40\n",
                                 "score.weights.acknowledged_on_time", "negative"),
    "weights not adding up to 100": ("[score.weights]\nsatisfaction = 40\n", "score.weights", "add up to 105"),
    "weights adding up to less": ("[score.weights]\nresolved = 0\n", "score.weights", "add up to 80"),
    "reopened penalty over 100": ("[score.weights]\nreopened = 120\n", "score.weights.reopened", "over 100"),
    "grades not descending": ("[score.grades]\nA = 70\nB = 75\n", "score.grades", "fall from A to D"),
    "grades equal": ("[score.grades]\nC = 75\n", "score.grades", "fall from A to D"),
    "grade over 100": ("[score.grades]\nA = 120\n", "score.grades", "0–100"),
    "unknown score key": ("[score]\nbonus = 3\n", "score.bonus", "unknown key"),
    "unknown term": ("[score.weights]\nspeed = 10\n", "score.weights.speed", "unknown term"),
    "unknown grade": ("[score.grades]\nF = 10\n", "score.grades.F", "unknown grade"),
    "a weight not a number": ('[score.weights]\nresolved = "twenty"\n', "score.weights.resolved", "expected a number"),
    "a weight true": ("[score.weights]\nresolved = true\n", "score.weights.resolved", "expected a number"),
    "a grade not a number": ('[score.grades]\nA = "ninety"\n', "score.grades.A", "expected a number"),
    "min sample not whole": ("[score]\nmin_sample = 2.5\n", "score.min_sample", "whole number"),
    "min sample zero": ("[score]\nmin_sample = 0\n", "score.min_sample", "whole number"),
    "weights not a table": ("[score]\nweights = 3\n", "score.weights", "[score.weights]"),
    "score not a table": ("score = 3\n", "score", "[score]"),
    "unknown whistle key": ("[whistle]\nack_hours = 1\n", "whistle.ack_hours", "unknown key"),
    "whistle deadline not a number": ('[whistle]\nack_minutes = "half an hour"\n', "whistle.ack_minutes", "whole number"),
    "whistle deadline zero": ("[whistle]\narrive_minutes = 0\n", "whistle.arrive_minutes", "whole number"),
    "unknown category key": ("[whistle.categories.SAF-FIRE]\nrate = 1\n", "whistle.categories.SAF-FIRE.rate",
                             "unknown key"),
    "category deadline not a number": ("[whistle.categories.SAF-FIRE]\nresolve_hours = 1.5\n",
                                       "whistle.categories.SAF-FIRE.resolve_hours", "whole number"),
    "category not a table": ("[whistle.categories]\nSAF-FIRE = 3\n", "whistle.categories.SAF-FIRE", "table"),
}


@pytest.mark.parametrize("case", list(MISTAKES))
def test_mistakes_are_refused_naming_the_file_and_key(tmp_path: Path, case: str) -> None:
    body, key, fragment = MISTAKES[case]
    exc = refused(tmp_path, body)
    assert exc.key == key
    assert fragment in exc.problem + " " + exc.fix


def test_a_wrong_sum_names_every_term_and_the_default(tmp_path: Path) -> None:
    exc = refused(tmp_path, "[score.weights]\nsatisfaction = 40\n")
    for term in ("acknowledged_on_time 20", "arrived_on_time 10", "resolved 20", "resolved_on_time 15",
                 "satisfaction 40"):
        assert term in exc.problem
    assert "20, 10, 20, 15, 35" in exc.fix
