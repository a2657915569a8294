"""The manifest lists exactly the bad rows that an independent scan of the generated sources finds."""

import json
from collections import Counter

from tests.demo.validate import scan


def test_every_bad_row_is_listed_and_every_listed_row_is_bad(tiny_dir):
    manifest = json.loads((tiny_dir / "manifest.json").read_text(encoding="utf-8"))
    found, counts, multi = scan(tiny_dir)
    listed = Counter((b["source"], b["key"], b["rule"], b["field"]) for b in manifest["bad_rows"])
    assert multi == {}, "rows with more than one defect"
    assert found == listed
    assert counts == manifest["counts"]


def test_each_source_has_a_few_bad_rows(tiny_dir):
    manifest = json.loads((tiny_dir / "manifest.json").read_text(encoding="utf-8"))
    per_source = Counter(b["source"] for b in manifest["bad_rows"])
    assert set(per_source) == set(manifest["counts"])
    assert min(per_source.values()) >= 2
    rules = {b["rule"] for b in manifest["bad_rows"]}
    assert rules == {"missing_key", "duplicate", "invalid_id_number", "invalid_credit_code", "bad_date", "unknown_code",
                     "unknown_location", "missing_value", "bad_number", "unknown_reference"}


def test_missing_key_rows_are_identified_by_their_match(tiny_dir):
    import sqlite3

    from tests.demo.validate import config_for, read_rows
    manifest = json.loads((tiny_dir / "manifest.json").read_text(encoding="utf-8"))
    cfg = config_for(tiny_dir)
    for b in manifest["bad_rows"]:
        if b["rule"] != "missing_key":
            continue
        rows = read_rows(cfg.sources[b["source"]])
        hits = [r for r in rows if all(r[c] == v for c, v in b["match"].items())]
        assert len(hits) == 1, b
        assert any(hits[0][c] in (None, "") for c in cfg.sources[b["source"]].primary_key)
    assert sqlite3  # stdlib only
