from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sop_xl.periods import label, parse_period, period_range, periods_between


@pytest.mark.parametrize("raw", ["2027-03", "2027/3", "2027M03", "03/2027", "Mar-27", "Mar 2027", "March 2027",
                                 "2027-03-17", dt.datetime(2027, 3, 31), dt.date(2027, 3, 1), 46447, "46447",
                                 "17.03.2027"])
def test_month_spellings(raw):
    assert parse_period(raw, "month") == pd.Timestamp("2027-03-01")


@pytest.mark.parametrize("raw", ["total", 12, None, "", "2027-13", True, "Q1 2027"])
def test_not_periods(raw):
    assert parse_period(raw, "month") is None


def test_weeks():
    assert parse_period("2027-W05", "week") == pd.Timestamp("2027-02-01")
    assert label(pd.Timestamp("2027-02-03"), "week") == "2027-W05"
    assert periods_between(pd.Timestamp("2027-01-04"), pd.Timestamp("2027-02-01"), "week") == 4


def test_labels_and_ranges():
    r = period_range(pd.Timestamp("2026-11-15"), 3, "month")
    assert [label(x, "month") for x in r] == ["2026-11", "2026-12", "2027-01"]
