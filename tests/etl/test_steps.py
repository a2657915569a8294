"""Each standardisation step alone: date formats, check digits, codes, location, duplicates."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cockpit.config import SourceConfig
from cockpit.etl import parse, steps
from cockpit.etl.locate import AreaIndex, points_in_rings
from cockpit.privacy import is_valid_credit_code, is_valid_id_number
from tests.etl.conftest import AREAS, BAD_CREDIT, BAD_ID, GOOD_CREDIT, GOOD_ID

LEVELS = {"1": "county", "2": "township", "3": "village", "4": "grid"}


def area_index() -> AreaIndex:
    frame = pd.DataFrame([(c, n, LEVELS[lv], p, seq, g) for c, n, lv, p, seq, g in AREAS],
                         columns=["code", "name", "level", "parent_code", "seq", "geometry"])
    # a second township with a village of the same name: the township in the address decides
    extra = pd.DataFrame([
        ("330999002", "白沙镇", "township", "330999", 2, None),
        ("330999002001", "青石村", "village", "330999002", 1, None),
        ("33099900200101", "青石村1组", "grid", "330999002001", 1, None),
    ], columns=frame.columns)
    return AreaIndex.from_frame(pd.concat([frame, extra], ignore_index=True))


def source(target: str = "event", **kw) -> SourceConfig:
    base = dict(name="s", department="police", kind="sql", target=target, primary_key=("id",), columns={},
                file=Path("sources.toml"), url="sqlite:///x.db", table="t")
    base.update(kw)
    return SourceConfig(**base)


def ctx() -> steps.Context:
    return steps.Context(id_salt="salt", areas=area_index(),
                         refs={"category": {"SAF-ORDER"}, "channel": {"police_110"}, "department": {"police"},
                               "indicator": {"tax_revenue"}},
                         category_board={"SAF-ORDER": "safety"}, category_department={"SAF-ORDER": "police"})


def s(*values) -> pd.Series:
    return pd.Series(list(values), dtype=object)


# ---------------------------------------------------------------- dates
@pytest.mark.parametrize("fmt, text, expected", [
    ("iso", "2026-11-03 09:30:00", datetime(2026, 11, 3, 9, 30)),
    ("iso", "2026-11-03T09:30:00", datetime(2026, 11, 3, 9, 30)),
    ("iso", "2026-11-03", datetime(2026, 11, 3)),
    ("iso", "2026-02-30 09:30:00", None),
    ("iso", "yesterday", None),
    ("epoch", "1795622700", datetime(2026, 11, 26, 0, 5)),  # UTC 16:05 the day before, in Asia/Shanghai
    ("epoch", 1795622700, datetime(2026, 11, 26, 0, 5)),
    ("epoch_ms", "1795622700000", datetime(2026, 11, 26, 0, 5)),
    ("epoch", "2026-11-03", None),
    ("cn_date", "2026年11月3日", datetime(2026, 11, 3)),
    ("cn_date", "2026年11月3日 14:05", datetime(2026, 11, 3, 14, 5)),
    ("cn_date", "2026年11月3日14时05分", datetime(2026, 11, 3, 14, 5)),
    ("cn_date", "2026年13月5日", None),
    ("cn_date", "2026年2月30日", None),
    ("excel", "46329", datetime(2026, 11, 3)),
    ("excel", "46329.5", datetime(2026, 11, 3, 12)),
    ("excel", "2026-11-03 00:00:00", datetime(2026, 11, 3)),
    ("%Y/%m/%d %H:%M", "2026/11/03 09:30", datetime(2026, 11, 3, 9, 30)),
    ("%Y/%m/%d %H:%M", "2026/02/30 09:30", None),
    ("%Y%m", "202611", datetime(2026, 11, 1)),
    ("%Y%m", "202613", None),
    ("%Y-%m", "2026-13", None),
])
def test_date_formats(fmt, text, expected) -> None:
    got = parse.parse_dates(s(text), fmt).iloc[0]
    assert (None if pd.isna(got) else got.to_pydatetime()) == expected


def test_dates_are_stored_in_the_warehouse_text_format() -> None:
    ts = parse.parse_dates(s("2026-11-03 09:30:00", None), "iso")
    assert parse.format_datetimes(ts).tolist() == ["2026-11-03 09:30:00.000000", None]
    assert parse.format_dates(ts).tolist() == ["2026-11-03", None]


# ---------------------------------------------------------------- check digits
def test_id_number_check_digit_agrees_with_the_scalar_rule() -> None:
    rng = np.random.default_rng(3)
    bodies = ["".join(map(str, rng.integers(0, 10, 17))) for _ in range(300)]
    candidates = [b + c for b in bodies for c in "0123456789X"]
    got = parse.valid_id_numbers(pd.Series(candidates + ["123", "33099919800101123x"[:17] + "Y", ""]))
    assert got.tolist() == [is_valid_id_number(v) for v in candidates] + [False, False, False]
    assert sum(got) == 300  # exactly one check character is right per body
    assert parse.valid_id_numbers(s(GOOD_ID, BAD_ID, GOOD_ID.lower())).tolist() == [True, False, True]


def test_credit_code_check_character_agrees_with_the_scalar_rule() -> None:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    rng = np.random.default_rng(5)
    bodies = ["".join(rng.choice(list(alphabet), 17)) for _ in range(100)]
    candidates = [b + c for b in bodies for c in alphabet]
    got = parse.valid_credit_codes(pd.Series(candidates))
    assert got.tolist() == [is_valid_credit_code(v) for v in candidates]
    assert sum(got) == 100
    assert parse.valid_credit_codes(s(GOOD_CREDIT, BAD_CREDIT, GOOD_CREDIT[:17] + "I")).tolist() == [True, False, False]


def test_phone_numbers() -> None:
    assert parse.valid_phones(s("13812345678", "0571-88001234", "12345678901", "1381234567", "")).tolist() == [
        True, True, False, False, False]


# ---------------------------------------------------------------- location
def test_address_resolves_village_and_group_within_the_named_township() -> None:
    idx = area_index()
    got = idx.grids_from_address(s("清溪镇青石村2组18号", "白沙镇青石村1组3号", "清溪镇柳溪村 1 组", "清溪镇青石村9组1号",
                                   "清溪镇望月村1组", "青石村", None,
                                   # 白沙镇 has no 柳溪村: the only 柳溪村 there is; two townships named: the first that has it
                                   "白沙镇柳溪村1组", "白沙镇人民路, 原清溪镇青石村1组"))
    assert got.tolist() == ["33099900100102", "33099900200101", "33099900100201", None, None, None, None,
                            "33099900100201", "33099900100101"]


def test_coordinates_resolve_by_point_in_polygon() -> None:
    idx = area_index()
    got = idx.grids_from_points(s(120.005, 120.015, 120.005, 120.025, None), s(30.005, 30.001, 30.019, 30.005, 30.0))
    assert got.tolist() == ["33099900100101", "33099900100102", "33099900100201", None, None]


def test_ray_casting_handles_a_concave_polygon_and_a_hole() -> None:
    outline = np.array([[0, 0], [4, 0], [4, 4], [2, 2], [0, 4]], dtype=float)  # a V-shaped notch from the top
    hole = np.array([[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5]], dtype=float)
    x = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    y = np.array([1.0, 1.0, 3.0, 3.0, 1.0])
    assert points_in_rings(x, y, [outline, hole]).tolist() == [False, True, False, True, False]


# ---------------------------------------------------------------- steps alone
def test_duplicates_keep_the_first_copy() -> None:
    b = steps.Batch(source(), pd.DataFrame({"id": s("a", "b", "a", "a", None)}))
    steps.check_keys(b, ctx())
    steps.check_duplicates(b, ctx())
    assert b.rule.tolist() == [None, None, "duplicate", "duplicate", "missing_key"]
    assert "'a'" in b.reason[2]


def test_codes_map_and_unknown_codes_are_rejected_with_field_and_value() -> None:
    src = source(columns={"status": "zt", "category_code": "lb"}, values={"status": {"1": "resolved", "0": "reported"}})
    raw = pd.DataFrame({"id": s(1, 2, 3, 4), "zt": s("1", 0, "7", None), "lb": s("SAF-ORDER", "X", "SAF-ORDER", "SAF-ORDER")})
    b = steps.Batch(src, raw)
    steps.map_codes(b, ctx())
    assert b.values["status"].tolist()[:2] == ["resolved", "reported"]
    assert b.rule.tolist() == [None, None, "unknown_code", None]
    assert b.field[2] == "status" and "'7'" in b.reason[2] and "sources.s.values.status" in b.reason[2]
    steps.check_references(b, ctx())  # category has no value map here: still checked against the code list
    assert b.rule.tolist() == [None, "unknown_reference", "unknown_code", None]


def test_id_numbers_become_hash_and_masked_form() -> None:
    from cockpit.privacy import mask_id_number, secret_hash

    src = source(columns={"reporter_id": "sfz"})
    b = steps.Batch(src, pd.DataFrame({"id": s(1, 2, 3), "sfz": s(GOOD_ID, BAD_ID, None)}))
    steps.check_id_numbers(b, ctx())
    assert b.rule.tolist() == [None, "invalid_id_number", None]
    assert b.values["reporter_key"].tolist() == [secret_hash("salt", GOOD_ID), None, None]
    assert b.values["reporter_masked"].tolist() == [mask_id_number(GOOD_ID), None, None]
    assert GOOD_ID[:17] not in b.reason[1]


def test_numbers_and_required_values() -> None:
    src = source(columns={"satisfaction": "myd", "status": "zt"},
                 constants={"channel": "police_110", "category_code": "SAF-ORDER", "reported_at": "2026-11-03"})
    raw = pd.DataFrame({"id": s(1, 2, 3, 4, 5), "myd": s("5", "4.5", "很好", None, 3.0), "zt": s("a", "a", "a", "a", None)})
    b = steps.Batch(src, raw)
    steps.check_required(b, ctx())
    steps.parse_numbers(b, ctx())
    assert b.rule.tolist() == [None, "bad_number", "bad_number", None, "missing_value"]
    assert b.values["satisfaction"][0] == 5 and pd.isna(b.values["satisfaction"][3])


def test_location_falls_back_from_grid_code_to_address_to_coordinates() -> None:
    src = source(columns={"grid_code": "wg", "address": "dz", "lon": "jd", "lat": "wd"})
    raw = pd.DataFrame({"id": s(1, 2, 3, 4, 5), "wg": s("33099900100102", None, None, "33099900100199", None),
                        "dz": s(None, "清溪镇青石村1组", "不详", None, None),
                        "jd": s(None, None, 120.005, None, None), "wd": s(None, None, 30.015, None, None)})
    b = steps.Batch(src, raw)
    steps.locate(b, ctx())
    assert b.values["grid_code"].tolist()[:3] == ["33099900100102", "33099900100101", "33099900100201"]
    assert b.rule.tolist() == [None, None, None, "unknown_location", "unknown_location"]
    assert b.field[3] == "grid_code" and "33099900100199" in b.reason[3]


def test_row_hash_ignores_dtype_and_sees_every_value() -> None:
    a = pd.DataFrame({"x": pd.Series([1, None], dtype="Int64"), "y": s("a", None)})
    b = pd.DataFrame({"x": pd.Series([1, None], dtype="Int64"), "y": s("a", None)})
    c = pd.DataFrame({"x": pd.Series([2, None], dtype="Int64"), "y": s("a", None)})
    assert steps.row_hashes(a).tolist() == steps.row_hashes(b).tolist()
    assert steps.row_hashes(a)[0] != steps.row_hashes(c)[0] and steps.row_hashes(a)[1] == steps.row_hashes(c)[1]
    assert all(len(h) == 32 for h in steps.row_hashes(a))


def test_quarantine_raw_row_masks_personal_numbers() -> None:
    from cockpit.etl import quarantine

    src = source(columns={"reporter_phone": "dh"})
    b = steps.Batch(src, pd.DataFrame({"id": s(1), "dh": s("1381234567x"), "note": s(f"身份证{GOOD_ID} 电话13812345678")}))
    steps.check_phones(b, ctx())
    (issue,) = quarantine.issues(b, 1, datetime(2026, 1, 1))
    assert issue["rule"] == "invalid_phone" and issue["source_key"] == "1"
    assert GOOD_ID not in issue["raw"] and "13812345678" not in issue["raw"]
    assert json.loads(issue["raw"])["note"].startswith("身份证330***********")
