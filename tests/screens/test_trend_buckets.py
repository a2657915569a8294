"""Trend buckets follow the span of the view, and the chart stays readable with one bucket."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import text

from cockpit import clock
from cockpit.scope import EVERYTHING
from cockpit.warehouse.db import engine_for
from figures.charts import event_trend as trend_figure
from queries import events
from queries._base import clear_cache
from queries.filters import parse_filters
from tests.screens import dataset

NOW = datetime(2026, 12, 1, 18, 15)  # the evening of the first of a month


@pytest.fixture
def wh(db_url):
    with clock.pinned(NOW):
        dataset.build(db_url, events=400)
        clear_cache()
        yield engine_for(db_url)


@pytest.mark.parametrize("query,unit,bucket_days", [
    ({"period": "month"}, "hour", None),  # 1 December so far: hours
    ({"period": "custom", "start": "2026-11-20", "end": "2026-11-20"}, "hour", None),  # one past day
    ({"period": "last7"}, "day", 1),
    ({"period": "last30"}, "day", 1),
    ({"period": "quarter"}, "week", 7),
    ({"period": "last12m"}, "month", None),
])
def test_buckets_follow_the_span_and_add_up_to_the_events(wh, query, unit, bucket_days):
    f, bad = parse_filters(query, clock.now())
    assert bad == [] and events.trend_unit(f) == unit
    df = events.event_trend(wh, EVERYTHING, f, unit)
    with wh.connect() as conn:
        raw = conn.execute(text("SELECT COUNT(*) FROM event WHERE duplicate_of IS NULL AND reported_at >= :a AND reported_at < :b"),
                           {"a": datetime.combine(f.start, datetime.min.time()), "b": f.as_of}).scalar()
    assert int(df["n_reported"].sum()) == raw > 0
    buckets = pd.to_datetime(df["bucket"])
    # the first week or month may begin before the span (the week of 1 October starts on 28 September)
    reach = {"week": pd.Timedelta(days=7), "month": pd.Timedelta(days=31)}.get(unit, pd.Timedelta(0))
    assert (buckets + reach >= pd.Timestamp(f.start)).all() and (buckets < pd.Timestamp(f.as_of)).all()
    if unit == "hour":
        assert (buckets.dt.minute == 0).all()
    elif unit == "month":
        assert (buckets.dt.day == 1).all()
    else:
        assert (buckets.diff().dropna() >= pd.Timedelta(days=bucket_days)).all()
    if unit == "week":
        assert (buckets.dt.day_of_week == 0).all()  # ISO weeks start on Monday
    fig = trend_figure(df, lang="zh", unit=unit)
    axis = fig["layout"]["xaxis"]
    assert axis["type"] == "date" and axis["tickformat"] in ("%H:%M", "%m-%d", "%Y-%m")


def test_one_bucket_is_a_readable_chart():
    one = pd.DataFrame({"bucket": pd.to_datetime(["2026-12-01 00:00"]), "n_reported": [3], "n_resolved": [0]})
    axis = trend_figure(one, lang="zh", unit="hour")["layout"]["xaxis"]
    low, high = (pd.Timestamp(v) for v in axis["range"])
    assert high - low >= pd.Timedelta(hours=1)  # at least a bucket wide: whole hours on the ticks, not fractions
    assert axis["tickformat"] == "%H:%M" and axis["dtick"] == 3_600_000
    day = trend_figure(one, lang="en", unit="day")["layout"]["xaxis"]
    assert pd.Timestamp(day["range"][1]) - pd.Timestamp(day["range"][0]) >= pd.Timedelta(days=1)
