"""Every default rule parses and runs on both engines, on an empty warehouse and on the screens' dataset."""

from __future__ import annotations

import re
from datetime import datetime

from cockpit.warehouse.db import engine_for
from cockpit.warnings.kinds import KIND_NAMES, kind_module
from cockpit.warnings.kinds._areas import load_context
from cockpit.warnings.levels import LEVELS
from cockpit.warnings.rules import rules_from
from tests.screens.dataset import build

NOW = datetime(2026, 11, 18, 10, 30)


def _all(conn):
    ctx = load_context(conn, NOW)
    return {r.name: kind_module(r.kind).evaluate(conn, r, ctx) for r in rules_from({}).active()}


def test_every_kind_has_params_and_a_default_rule():
    rules = rules_from({}).rules
    assert {r.kind for r in rules.values()} == set(KIND_NAMES)
    for kind in KIND_NAMES:
        assert isinstance(kind_module(kind).PARAMS, dict)


def test_defaults_on_an_empty_warehouse(db_url):
    with engine_for(db_url).connect() as conn:
        assert all(found == [] for found in _all(conn).values())


def test_defaults_on_a_loaded_township(db_url):
    build(db_url)
    with engine_for(db_url).connect() as conn:
        for name, found in _all(conn).items():
            for m in found:
                assert m.level in LEVELS and m.township_code and m.evidence, name
                assert not re.search(r"\d{6,}|pk", m.title), (name, m.title)  # no ID, phone or key
