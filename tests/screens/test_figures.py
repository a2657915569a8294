"""Figure builders: plain figure dicts that Plotly accepts as they are, carrying the data they were given."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from figures.charts import area_map, breakdown_bar, event_trend, indicator_trend, ranking_bar

SHAPES = pd.DataFrame({
    "code": ["330999001001", "330999001002", "330999001003"], "name": ["青石村", "柳溪村", "无图村"],
    "ring": [[[120.0, 29.8], [120.1, 29.8], [120.1, 29.9], [120.0, 29.8]],
             [[120.1, 29.8], [120.2, 29.8], [120.2, 29.9], [120.1, 29.8]], []],
    "lon": [120.05, 120.15, None], "lat": [29.85, 29.85, None], "open_events": [3, 0, 9]})


def _valid(fig: dict) -> go.Figure:
    """Plotly's own validation (raises on an unknown property or a bad value) and a JSON round trip."""
    checked = go.Figure(fig)
    json.loads(pio.to_json(fig))
    return checked


def test_area_map_draws_areas_with_geometry_and_keeps_their_codes():
    fig = area_map(SHAPES, lang="zh", dark=True)
    checked = _valid(fig)
    fills, markers = checked.data[:-1], checked.data[-1]
    assert [f.name for f in fills] == ["青石村", "柳溪村"]  # the area without geometry is left out
    assert list(markers.customdata) == ["330999001001", "330999001002"]
    assert fills[0].fillcolor != fills[1].fillcolor  # open events colour the areas
    assert "3" in fills[0].text and fig["layout"]["xaxis"]["visible"] is False


def test_ranking_bar_lists_the_fastest_departments_first():
    df = pd.DataFrame({"code": ["a", "b", "c"], "name_zh": ["甲局", "乙局", "丙局"], "name_en": ["A", "B", "C"],
                       "cases": [3, 4, 5], "median_min": [12.0, 30.5, 61.0]})
    bar = _valid(ranking_bar(df, lang="en", top=2)).data[0]
    assert list(bar.y) == ["A", "B"] and list(bar.x) == [12.0, 30.5] and list(bar.customdata) == ["a", "b"]


def test_trends_and_breakdowns_carry_their_values():
    days = pd.to_datetime(["2026-11-01", "2026-11-02"])
    trend = _valid(event_trend(pd.DataFrame({"bucket": days, "n_reported": [5, 7], "n_resolved": [4, None]}), lang="zh"))
    assert list(trend.data[0].y) == [5, 7] and list(trend.data[1].y) == [4, None]
    series = pd.DataFrame({"code": ["x", "x"], "name_zh": ["指标"] * 2, "name_en": ["X"] * 2, "unit": ["%"] * 2,
                           "period_start": days, "value": [90.0, 92.0], "target": [95.0, 95.0]})
    lines = _valid(indicator_trend(series, lang="zh")).data
    assert list(lines[0].y) == [90.0, 92.0] and list(lines[1].y) == [95.0, 95.0]  # the target, dotted
    bars = _valid(breakdown_bar(["甲", "乙"], [3, 1], ["c1", "c2"], lang="zh", highlight=[1, 0])).data
    assert list(bars[0].x) == [3, 1] and list(bars[1].customdata) == ["c1", "c2"]


def test_empty_data_gives_a_figure_that_says_so():
    for fig in (area_map(SHAPES.iloc[0:0], lang="en"), ranking_bar(pd.DataFrame(), lang="en"),
                event_trend(pd.DataFrame(), lang="en"), breakdown_bar([], [], [], lang="en")):
        checked = _valid(fig)
        assert checked.data == () and checked.layout.annotations[0].text
