"""Units after numbers go through the catalogue: Chinese as it is, short English forms."""

from __future__ import annotations

import pandas as pd
import pytest

from cockpit import metrics, reference
from cockpit.i18n import CATALOGUE, UNIT_CODES, unit
from figures.charts import indicator_trend
from pages._kpi_card import kpi_card, unit_label

CHINESE = ("件", "万元", "元", "个", "人", "人次", "分", "小时", "级", "类", "次")


@pytest.mark.parametrize("zh, en", [("件", ""), ("万元", "×10k yuan"), ("元", "yuan"), ("个", ""), ("人", "people"),
                                    ("人次", "visits"), ("分", "pts"), ("小时", "h"), ("%", "%"), ("级", "lvl"),
                                    ("类", "class"), ("次", "times"), ("µg/m³", "µg/m³")])
def test_a_unit_as_the_reference_writes_it_is_shown_in_english_and_unchanged_in_chinese(zh, en):
    assert unit(zh, "en") == en
    assert unit(zh, "zh") == zh


def test_a_catalogue_code_gives_the_same_unit_as_the_chinese_one():
    for zh, code in UNIT_CODES.items():
        assert unit(code, "en") == unit(zh, "en") and f"unit.{code}" in CATALOGUE


def test_no_unit_is_empty_and_an_unknown_unit_is_shown_as_it_is():
    assert unit(None, "en") == unit("", "zh") == ""
    assert unit("m³", "en") == "m³"


def test_every_unit_of_the_reference_lists_and_metrics_has_an_english_form_without_chinese():
    units = {i.unit for i in reference.INDICATORS} | {u for _, _, u in reference.SENSOR_METRICS.values()}
    units |= {m.unit for m in metrics.METRICS.values()}
    for u in units:
        assert not any(c in unit(u, "en") for c in "".join(CHINESE)), u


def test_a_kpi_card_shows_its_unit_in_the_viewers_language():
    row = {"key": "industrial_output", "kind": "indicator", "name_zh": "规上工业产值", "name_en": "Industrial output",
           "unit": "wan_yuan", "value": 10023.0, "previous": 10021.0}
    assert unit_label(row, "en") == "×10k yuan" and unit_label(row, "zh") == "万元"
    en = str(kpi_card(row, "en", None, big=True).to_plotly_json())
    assert "×10k yuan" in en and "万元" not in en


def test_an_indicator_trend_names_its_series_with_the_unit_in_the_language():
    series = pd.DataFrame({"code": ["x", "x"], "name_zh": ["投资"] * 2, "name_en": ["Investment"] * 2,
                           "unit": ["万元"] * 2, "period_start": pd.to_datetime(["2026-10-01", "2026-11-01"]),
                           "value": [1.0, 2.0], "target": [None, None]})
    assert indicator_trend(series, lang="en")["data"][0]["name"] == "Investment (×10k yuan)"
    assert indicator_trend(series, lang="zh")["data"][0]["name"] == "投资 (万元)"
    cases = series.assign(unit="件")
    assert indicator_trend(cases, lang="en")["data"][0]["name"] == "Investment"  # no empty brackets
