"""Mistakes the configuration used to accept and the load then paid for: an unknown department, a
value map (or its ``"*"`` fallback, or a constant) to a code outside the field's unified list. Each is
refused when the configuration is read, naming the file, the key and the fix. A code list the
cockpit does not keep (an enterprise's industry) takes any code; the demo sources pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit import reference
from cockpit.config import ROOT, ConfigError, load_config
from cockpit.unified_codes import CODE_LISTS

EVENTS = """
[sources.hotline]
department = "{department}"
kind = "sql"
url = "sqlite:///{{sources_dir}}/hotline.db"
table = "gd"
target = "event"
primary_key = "gdbh"
replication_key = "gxsj"
[sources.hotline.columns]
category_code = "lb"
grid_code = "wg"
status = "zt"
reported_at = "sj"
[sources.hotline.constants]
channel = "{channel}"
[sources.hotline.values.category_code]
"01" = "SAF-ORDER"
"02" = "{category}"
[sources.hotline.values.status]
"0" = "reported"
"1" = "{status}"
"*" = "{fallback}"
[sources.hotline.values.grid_code]
"A" = "anything: grid codes are checked against the warehouse"
"""
GOOD = {"department": "hotline", "channel": "hotline_12345", "category": "SRV-ROAD", "status": "resolved",
        "fallback": "accepted"}


def write(tmp_path: Path, **changes: str) -> Path:
    (tmp_path / "sources.toml").write_text(EVENTS.format(**{**GOOD, **changes}), encoding="utf-8")
    main = tmp_path / "cockpit.toml"
    main.write_text('include = ["sources.toml"]\n', encoding="utf-8")
    return main


def refused(tmp_path: Path, **changes: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, **changes), env={})
    exc = info.value
    message = str(exc)
    assert exc.file == str(tmp_path / "sources.toml") and exc.file in message
    assert f"[{exc.key}]" in message and exc.fix and "Fix: " + exc.fix in message
    return exc


def test_the_good_declaration_loads(tmp_path: Path) -> None:
    src = load_config(write(tmp_path), env={}).sources["hotline"]
    assert src.values["status"]["*"] == "accepted" and src.department == "hotline"


def test_an_unknown_department_is_refused(tmp_path: Path) -> None:
    exc = refused(tmp_path, department="hotine")
    assert exc.key == "sources.hotline.department" and "'hotine'" in exc.problem
    assert "did you mean 'hotline'?" in exc.fix
    assert all(d.code in exc.fix for d in reference.DEPARTMENTS)


def test_a_status_outside_the_unified_list_is_refused(tmp_path: Path) -> None:
    """16 rows were stored with status "open": no such status."""
    exc = refused(tmp_path, status="open")
    assert exc.key == 'sources.hotline.values.status."1"' and "'open'" in exc.problem
    assert all(st in exc.fix for st in reference.EVENT_STATUSES) and "EVENT_STATUSES" in exc.fix


def test_a_misspelled_category_code_is_refused_with_the_right_spelling(tmp_path: Path) -> None:
    """A misspelled category passed, and then every row of it was quarantined as unknown_reference."""
    exc = refused(tmp_path, category="SRV-RAOD")
    assert exc.key == 'sources.hotline.values.category_code."02"'
    assert "did you mean 'SRV-ROAD'?" in exc.fix and "CATEGORIES in cockpit/reference.py" in exc.fix


def test_the_fallback_is_checked_as_every_other_entry(tmp_path: Path) -> None:
    exc = refused(tmp_path, fallback="other_status")
    assert exc.key == 'sources.hotline.values.status."*"' and "fallback" in exc.problem
    assert "'other_status'" in exc.problem and "reported" in exc.fix


def test_a_constant_outside_the_unified_list_is_refused(tmp_path: Path) -> None:
    exc = refused(tmp_path, channel="hotline")
    assert exc.key == "sources.hotline.constants.channel" and "hotline_12345" in exc.fix


def test_a_pass_through_fallback_is_not_a_code(tmp_path: Path) -> None:
    """``"*" = "*"``: unlisted values pass unchanged (checked at load, as a field without a map is)."""
    assert load_config(write(tmp_path, fallback="*"), env={}).sources["hotline"].values["status"]["*"] == "*"


def test_an_empty_unified_code_is_refused(tmp_path: Path) -> None:
    exc = refused(tmp_path, fallback="")
    assert exc.key == 'sources.hotline.values.status."*"' and "expected a unified code" in exc.problem


def test_a_field_without_a_unified_list_takes_any_code(tmp_path: Path) -> None:
    block = """
[sources.firms]
department = "market"
kind = "sql"
url = "sqlite:///{sources_dir}/market.db"
table = "qy"
target = "enterprise"
primary_key = "id"
[sources.firms.columns]
credit_code = "xydm"
name = "mc"
industry = "hy"
status = "zt"
address = "dz"
[sources.firms.values.industry]
"Z" = "a_new_industry"
"*" = "other_industry"
[sources.firms.values.status]
"1" = "active"
"*" = "closed"
"""
    (tmp_path / "sources.toml").write_text(block, encoding="utf-8")
    main = tmp_path / "cockpit.toml"
    main.write_text('include = ["sources.toml"]\n', encoding="utf-8")
    src = load_config(main, env={}).sources["firms"]
    assert src.values["industry"] == {"Z": "a_new_industry", "*": "other_industry"}


def test_the_demo_sources_pass_and_every_list_is_a_list_of_codes() -> None:
    config = load_config(ROOT / "config" / "cockpit.toml", env={})
    assert len(config.sources) > 20
    for target, fields in CODE_LISTS.items():
        for fld, (codes, where) in fields.items():
            assert codes and all(isinstance(c, str) and c for c in codes), (target, fld)
            assert where


def test_the_fallback_warning_share_is_a_share(tmp_path: Path) -> None:
    main = write(tmp_path)
    main.write_text('include = ["sources.toml"]\n[etl]\nfallback_warn_share = 10\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(main, env={})
    assert info.value.key == "etl.fallback_warn_share" and "0.1" in info.value.fix
    main.write_text('include = ["sources.toml"]\n[etl]\nfallback_warn_share = 0.25\n', encoding="utf-8")
    assert load_config(main, env={}).get("etl", "fallback_warn_share") == 0.25
