"""Periods and what each is compared with, worked out by hand at the instants where they go wrong:
the 1st of a month at 00:05, a Monday morning, 1 January, 29 February 2028, 31 December 23:55."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cockpit import clock
from cockpit.periods import PERIODS, comparison_key, current_span, previous_span

D = date
T = datetime

# instant, period -> (start, end, until), (previous start, previous end, previous until), comparison
CASES = {
    (T(2026, 12, 1, 0, 5), "month"): ((D(2026, 12, 1), D(2026, 12, 2), T(2026, 12, 1, 0, 5)),
                                      (D(2026, 11, 1), D(2026, 11, 2), T(2026, 11, 1, 0, 5)), "compare.month_to_date"),
    (T(2026, 12, 1, 0, 5), "week"): ((D(2026, 11, 30), D(2026, 12, 2), T(2026, 12, 1, 0, 5)),
                                     (D(2026, 11, 23), D(2026, 11, 25), T(2026, 11, 24, 0, 5)), "compare.week_to_date"),
    (T(2026, 12, 1, 0, 5), "quarter"): ((D(2026, 10, 1), D(2026, 12, 2), T(2026, 12, 1, 0, 5)),
                                        (D(2026, 7, 1), D(2026, 9, 2), T(2026, 9, 1, 0, 5)), "compare.quarter_to_date"),
    (T(2026, 12, 1, 0, 5), "year"): ((D(2026, 1, 1), D(2026, 12, 2), T(2026, 12, 1, 0, 5)),
                                     (D(2025, 1, 1), D(2025, 12, 2), T(2025, 12, 1, 0, 5)), "compare.year_to_date"),
    (T(2026, 12, 1, 0, 5), "last7"): ((D(2026, 11, 25), D(2026, 12, 2), T(2026, 12, 1, 0, 5)),
                                      (D(2026, 11, 18), D(2026, 11, 25), T(2026, 11, 24, 0, 5)), "compare.last7"),
    (T(2026, 12, 1, 0, 5), "last30"): ((D(2026, 11, 2), D(2026, 12, 2), T(2026, 12, 1, 0, 5)),
                                       (D(2026, 10, 3), D(2026, 11, 2), T(2026, 11, 1, 0, 5)), "compare.last30"),
    (T(2026, 12, 1, 0, 5), "last12m"): ((D(2025, 12, 2), D(2026, 12, 2), T(2026, 12, 1, 0, 5)),
                                        (D(2024, 12, 2), D(2025, 12, 2), T(2025, 12, 1, 0, 5)), "compare.last12m"),
    # a Monday morning: Monday alone against last Monday
    (T(2026, 11, 30, 9, 0), "week"): ((D(2026, 11, 30), D(2026, 12, 1), T(2026, 11, 30, 9, 0)),
                                      (D(2026, 11, 23), D(2026, 11, 24), T(2026, 11, 23, 9, 0)), "compare.week_to_date"),
    # 1 January: the first day of a week-in-progress, a month, a quarter and a year
    (T(2027, 1, 1, 0, 5), "year"): ((D(2027, 1, 1), D(2027, 1, 2), T(2027, 1, 1, 0, 5)),
                                    (D(2026, 1, 1), D(2026, 1, 2), T(2026, 1, 1, 0, 5)), "compare.year_to_date"),
    (T(2027, 1, 1, 0, 5), "quarter"): ((D(2027, 1, 1), D(2027, 1, 2), T(2027, 1, 1, 0, 5)),
                                       (D(2026, 10, 1), D(2026, 10, 2), T(2026, 10, 1, 0, 5)), "compare.quarter_to_date"),
    # 29 February: a month's 29th against January's; the year's 29 Feb against 28 Feb of a common year
    (T(2028, 2, 29, 12, 0), "month"): ((D(2028, 2, 1), D(2028, 3, 1), T(2028, 2, 29, 12, 0)),
                                       (D(2028, 1, 1), D(2028, 1, 30), T(2028, 1, 29, 12, 0)), "compare.month_to_date"),
    (T(2028, 2, 29, 12, 0), "year"): ((D(2028, 1, 1), D(2028, 3, 1), T(2028, 2, 29, 12, 0)),
                                      (D(2027, 1, 1), D(2027, 3, 1), T(2027, 2, 28, 12, 0)), "compare.year_to_date"),
    # 31 March: against the whole of a shorter February, not into March
    (T(2027, 3, 31, 8, 0), "month"): ((D(2027, 3, 1), D(2027, 4, 1), T(2027, 3, 31, 8, 0)),
                                      (D(2027, 2, 1), D(2027, 3, 1), T(2027, 2, 28, 8, 0)), "compare.month_to_date"),
    # 31 December 23:55: still running, five minutes before its end
    (T(2026, 12, 31, 23, 55), "month"): ((D(2026, 12, 1), D(2027, 1, 1), T(2026, 12, 31, 23, 55)),
                                         (D(2026, 11, 1), D(2026, 12, 1), T(2026, 11, 30, 23, 55)), "compare.month_to_date"),
}


@pytest.mark.parametrize("instant,period", list(CASES), ids=[f"{p}@{i:%Y-%m-%dT%H:%M}" for i, p in CASES])
def test_a_running_period_is_compared_with_the_same_elapsed_span(instant, period):
    (start, end, until), (p_start, p_end, p_until), key = CASES[(instant, period)]
    span = current_span(period, instant)
    assert (span.start, span.end, span.until) == (start, end, until)
    assert span.running
    before = previous_span(span)
    assert (before.start, before.end, before.until) == (p_start, p_end, p_until)
    assert comparison_key(span) == key


def test_a_finished_period_is_compared_with_the_whole_period_before():
    span = current_span("custom", T(2026, 12, 1, 0, 5), start=D(2026, 11, 1), end=D(2026, 12, 1))
    assert not span.running and span.until == T(2026, 12, 1)
    before = previous_span(span)  # a custom range: the block of equal length before it
    assert (before.start, before.end, before.until) == (D(2026, 10, 2), D(2026, 11, 1), T(2026, 11, 1))
    from cockpit.periods import Span

    november = Span("month", D(2026, 11, 1), D(2026, 12, 1), T(2026, 12, 1), D(2026, 12, 1))
    assert not november.running
    october = previous_span(november)
    assert (october.start, october.end, october.until) == (D(2026, 10, 1), D(2026, 11, 1), T(2026, 11, 1))
    assert comparison_key(november) == "compare.month"


def test_every_period_kind_has_a_name_and_a_comparison_in_both_languages():
    from cockpit.i18n import CATALOGUE

    for p in PERIODS:
        assert f"period.{p}" in CATALOGUE
    keys = {comparison_key(current_span(p, T(2026, 12, 1, 0, 5))) for p in PERIODS if p != "custom"}
    keys |= {"compare.custom", "compare.week", "compare.month", "compare.quarter", "compare.year"}
    for k in keys:
        assert CATALOGUE[k]["zh"] and CATALOGUE[k]["en"]


def test_the_clock_is_pinned_and_follows_the_configured_zone(monkeypatch):
    monkeypatch.setenv(clock.ENV_NOW, "2026-12-01T00:05:00")
    assert clock.now() == T(2026, 12, 1, 0, 5) and clock.today() == D(2026, 12, 1)
    monkeypatch.setenv(clock.ENV_NOW, "2026-11-30T16:05:00+00:00")  # an instant with an offset: read in Beijing time
    assert clock.now() == T(2026, 12, 1, 0, 5)
    with clock.pinned("2028-02-29T12:00:00"):
        assert clock.now() == T(2028, 2, 29, 12, 0)
    assert clock.now() == T(2026, 12, 1, 0, 5)
    monkeypatch.delenv(clock.ENV_NOW)
    real = clock.now()  # the real time, in Beijing time whatever the machine's zone
    assert abs((clock.real_now().replace(tzinfo=None) - real).total_seconds()) < 5
    with pytest.raises(clock.ClockError):
        clock.parse_instant("1 December")
    with pytest.raises(clock.ClockError):
        clock.set_timezone("Mars/Olympus")


def test_a_bad_pinned_instant_or_zone_is_a_configuration_error(tmp_path):
    from cockpit.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="COCKPIT_NOW"):
        load_config(env={"COCKPIT_NOW": "yesterday"})
    with pytest.raises(ConfigError, match="app.timezone"):
        load_config(env={"COCKPIT_APP_TIMEZONE": "Beijing"})
    with pytest.raises(ConfigError, match="app.big_screen_period"):
        load_config(env={"COCKPIT_APP_BIG_SCREEN_PERIOD": "fortnight"})
    load_config(env={})  # the default zone again for the tests after this one
