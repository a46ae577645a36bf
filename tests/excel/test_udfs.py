"""Worksheet functions called as plain Python give the core's numbers, and Excel errors for bad input."""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from sop_xl.excel import ets
from sop_xl.excel import functions as F
from sop_xl.forecast import accuracy, forecast
from sop_xl.forecast.models import Holt, HoltWinters

_spec = importlib.util.spec_from_file_location(
    "sop_xl_udfs", Path(__file__).resolve().parents[2] / "udfs" / "sop_xl_udfs.py")
udfs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(udfs)

N = 48
Y = (200 + 30 * np.sin(np.arange(N) * 2 * np.pi / 12) + 1.5 * np.arange(N)
     + np.random.default_rng(3).normal(0, 4, N)).round(1)
DATES = [dt.datetime(2022 + i // 12, i % 12 + 1, 1) for i in range(N)]  # Jan 2022 .. Dec 2025


def _history(y) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": "udf", "ds": pd.date_range("2000-01-01", periods=len(y), freq="MS"), "y": y})


@pytest.fixture(autouse=True)
def _fresh_cache():
    F.cache_clear()


# ---------------------------------------------------------------- SOP_FORECAST

@pytest.mark.parametrize("method", ["auto", "ses", "hw_add", "theta"])
def test_sop_forecast_equals_the_core(method):
    expected = forecast(_history(Y), 6, method=method, level=())["yhat"].tolist()
    column = udfs.SOP_FORECAST([[v] for v in Y.tolist()], 6, None, method)
    assert [r[0] for r in column] == pytest.approx(expected)
    row = udfs.SOP_FORECAST([Y.tolist()], 6, None, method)
    assert row == [pytest.approx(expected)]


def test_sop_forecast_errors_are_excel_values():
    assert udfs.SOP_FORECAST([[1.0], ["x"]], 3) == "#VALUE!"
    assert udfs.SOP_FORECAST([Y.tolist()], 0) == "#NUM!"
    assert udfs.SOP_FORECAST([Y.tolist()], 2.5) == "#VALUE!"
    assert udfs.SOP_FORECAST([Y.tolist()], 3, None, "magic") == "#VALUE!"
    assert udfs.SOP_FORECAST([[5.0]], 3) == "#NUM!"
    assert F.sop_forecast({"not": "a range"}, 3) == "#VALUE!"


def test_sop_forecast_recalculation_with_the_same_arguments_is_served_from_the_cache():
    first = F.sop_forecast(Y.tolist(), 6)
    before = F._sop_forecast.cache_info().hits
    assert F.sop_forecast(Y.tolist(), 6) is first
    assert F._sop_forecast.cache_info().hits == before + 1


# ---------------------------------------------------------------- SOP_FORECAST_ETS family

def test_ets_forecast_equals_the_cores_additive_holt_winters():
    model = HoltWinters(12, "add", "add").fit(Y)
    expected = model.predict(3)
    targets = [[dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 1), dt.datetime(2026, 3, 1)]]
    assert udfs.SOP_FORECAST_ETS(targets, Y.tolist(), DATES) == [pytest.approx(expected.tolist())]
    assert F.sop_forecast_ets(dt.datetime(2026, 2, 1), Y.tolist(), DATES) == pytest.approx(expected[1])
    column = udfs.SOP_FORECAST_ETS([[dt.datetime(2026, 1, 1)], [dt.datetime(2026, 2, 1)]], Y.tolist(), DATES)
    assert column == [[pytest.approx(expected[0])], [pytest.approx(expected[1])]]


def test_ets_without_season_is_the_cores_holt():
    expected = Holt().fit(Y).predict(2)
    assert F.sop_forecast_ets(dt.datetime(2026, 2, 1), Y.tolist(), DATES, 0) == pytest.approx(expected[1])


def test_ets_recursion_ends_in_the_cores_final_states():
    model = HoltWinters(12, "add", "add").fit(Y)
    fit = ets.fit_aaa(Y, 12, 3)
    assert fit.level == pytest.approx(model._level[0]) and fit.trend == pytest.approx(model._trend[0])
    assert fit.seasons == pytest.approx(model._seas[0])


def test_timeline_in_excel_serials_any_order_with_duplicates_and_gaps():
    serials = [ets.serial(d) for d in DATES]
    base = F.sop_forecast_ets(ets.serial(dt.datetime(2026, 1, 1)), Y.tolist(), serials)
    order = np.random.default_rng(1).permutation(N)
    shuffled = F.sop_forecast_ets(dt.datetime(2026, 1, 1), Y[order].tolist(), [DATES[i] for i in order])
    assert shuffled == pytest.approx(base)
    # a duplicate date averaged (aggregation 1) with its own value changes nothing
    dup = F.sop_forecast_ets(dt.datetime(2026, 1, 1), Y.tolist() + [Y[10]], DATES + [DATES[10]])
    assert dup == pytest.approx(base)
    # a missing month is interpolated (data_completion 1) or taken as zero (0)
    gap_values, gap_dates = Y.tolist()[:20] + Y.tolist()[21:], DATES[:20] + DATES[21:]
    filled = Y.copy()
    filled[20] = (Y[19] + Y[21]) / 2
    interpolated = HoltWinters(12, "add", "add").fit(filled).predict(1)[0]
    assert F.sop_forecast_ets(dt.datetime(2026, 1, 1), gap_values, gap_dates, 12) == pytest.approx(interpolated)
    zeroed = Y.copy()
    zeroed[20] = 0
    assert F.sop_forecast_ets(dt.datetime(2026, 1, 1), gap_values, gap_dates, 12, 0) == \
        pytest.approx(HoltWinters(12, "add", "add").fit(zeroed).predict(1)[0])


def test_between_two_steps_the_forecast_is_interpolated_like_excel():
    fit = ets.fit_aaa(Y, 12, 3)
    mid = F.sop_forecast_ets(dt.datetime(2026, 1, 16), Y.tolist(), DATES)
    lo, hi = sorted(fit.forecast[:2])
    assert lo <= mid <= hi


@pytest.mark.parametrize("args, error", [
    ((dt.datetime(2025, 6, 1), Y.tolist(), DATES), "#NUM!"),            # inside the history
    ((dt.datetime(2026, 1, 1), Y.tolist(), DATES[:-1]), "#N/A"),        # sizes differ
    ((dt.datetime(2026, 1, 1), Y.tolist()[:-1] + ["x"], DATES), "#VALUE!"),
    ((dt.datetime(2026, 1, 1), Y.tolist(), DATES, 9000), "#NUM!"),      # season too long
    ((dt.datetime(2026, 1, 1), Y.tolist(), DATES, 1, 2), "#NUM!"),      # data_completion
    ((dt.datetime(2026, 1, 1), Y.tolist(), DATES, 1, 1, 8), "#NUM!"),   # aggregation
    ((100.0, [1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, 3.5, 4.0, 5.0]), "#NUM!"),  # no constant step
    ((100.0, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [1.0, 2.0, 5.0, 6.0, 9.0, 10.0]), "#NUM!"),  # > 30% missing
])
def test_ets_bad_arguments_give_excel_errors(args, error):
    assert F.sop_forecast_ets(*args) == error


def test_seasonality_detects_the_season_and_none_on_a_trend():
    assert udfs.SOP_FORECAST_ETS_SEASONALITY(Y.tolist(), DATES) == 12
    trend = (50 + 2.0 * np.arange(N)).tolist()
    assert udfs.SOP_FORECAST_ETS_SEASONALITY(trend, DATES) == 0
    weekly = (10 + 5 * np.tile([1, 0, 0, 0, 0, 2, 3], 12)).astype(float).tolist()
    assert udfs.SOP_FORECAST_ETS_SEASONALITY(weekly, list(range(len(weekly)))) == 7


def test_statistics_match_the_fit_and_the_cores_accuracy_measures():
    fit = ets.fit_aaa(Y, 12, 1)
    stat = [udfs.SOP_FORECAST_ETS_STAT(Y.tolist(), DATES, k) for k in range(1, 12)]
    assert stat[:3] == pytest.approx([fit.alpha, fit.beta, fit.gamma])
    errors = (Y - fit.fitted)[1:]
    assert stat[5] == pytest.approx(np.mean(np.abs(errors)))                       # 6 MAE
    assert stat[6] == pytest.approx(np.sqrt(np.mean(errors ** 2)))                 # 7 RMSE
    assert stat[3] == pytest.approx(np.mean(np.abs(errors)) / np.mean(np.abs(np.diff(Y))))  # 4 MASE
    a, f = Y[1:][None, :], fit.fitted[1:][None, :]
    assert stat[4] == pytest.approx(accuracy.smape(a, f)[0])                       # 5 SMAPE
    assert stat[7] == 1.0                                                          # 8 step: one month
    assert stat[8] == pytest.approx(accuracy.wape(a, f)[0])                        # 9 WAPE
    assert stat[9] == pytest.approx(accuracy.bias(a, f)[0])                        # 10 bias
    assert stat[10] == 12
    assert udfs.SOP_FORECAST_ETS_STAT(Y.tolist(), DATES, 12) == "#NUM!"
    assert udfs.SOP_FORECAST_ETS_STAT(list(range(10)), [2.0 * i for i in range(10)], 8) == 2.0


def test_confint_is_the_aaa_interval_and_widens_with_the_horizon():
    fit = ets.fit_aaa(Y, 12, 3)
    sigma = np.sqrt(np.mean((Y - fit.fitted)[1:] ** 2))
    z = NormalDist().inv_cdf(0.975)
    one = F.sop_forecast_ets_confint(dt.datetime(2026, 1, 1), Y.tolist(), DATES)
    assert one == pytest.approx(z * sigma)
    three = F.sop_forecast_ets_confint(dt.datetime(2026, 3, 1), Y.tolist(), DATES)
    c = [fit.alpha * (1 + fit.beta * j) for j in (1, 2)]
    assert three == pytest.approx(z * sigma * math.sqrt(1 + sum(x * x for x in c)))
    assert F.sop_forecast_ets_confint(dt.datetime(2026, 1, 1), Y.tolist(), DATES, 0.8) < one
    assert F.sop_forecast_ets_confint(dt.datetime(2026, 1, 1), Y.tolist(), DATES, 1.2) == "#NUM!"


# ---------------------------------------------------------------- accuracy, safety stock, load

@pytest.mark.parametrize("metric", ["wape", "mape", "smape", "mae", "rmse", "bias"])
def test_accuracy_equals_the_core(metric):
    a = Y[:12]
    f = Y[:12] * 1.07 + 3
    expected = accuracy.metric(metric, a[None, :], f[None, :])[0]
    assert udfs.SOP_ACCURACY(a.tolist(), f.tolist(), metric) == pytest.approx(expected)


def test_accuracy_skips_blank_periods_and_reports_bad_input():
    assert udfs.SOP_ACCURACY([10.0, None, 30.0], [11.0, 5.0, 27.0]) == pytest.approx(100 * 4 / 40)
    assert udfs.SOP_ACCURACY([1.0, 2.0], [1.0, 2.0, 3.0]) == "#N/A"
    assert udfs.SOP_ACCURACY([1.0, 2.0], [1.0, 2.0], "r2") == "#VALUE!"
    assert udfs.SOP_ACCURACY([0.0, 0.0], [1.0, 2.0], "wape") == "#DIV/0!"
    assert udfs.SOP_ACCURACY([3.0, 5.0, 4.0], [3.0, 4.0, 4.0], "mase") == pytest.approx((1 / 3) / 1.5)


def test_safety_stock_is_the_plan_stages_service_level_rule():
    demand = [120.0, 90.0, 130.0, 100.0, 110.0, 95.0]
    expected = NormalDist().inv_cdf(0.95) * np.std(demand) * math.sqrt(1 + 2)
    assert udfs.SOP_SAFETY_STOCK(demand, 2, 0.95) == pytest.approx(expected)
    assert udfs.SOP_SAFETY_STOCK(demand, 2, 1.5) == "#NUM!"
    assert udfs.SOP_SAFETY_STOCK(demand, -1, 0.95) == "#NUM!"
    assert udfs.SOP_SAFETY_STOCK(demand, "two", 0.95) == "#VALUE!"


def test_roughcut_load_equals_the_rough_cut_stage_on_the_demo():
    from sop_xl.commands.base import execute
    from sop_xl.commands.demo import write_demo_inputs
    from sop_xl.contract import WORKBOOK
    from sop_xl.demo import make_demo
    from sop_xl.io import MemoryWorkbook
    from .test_adapter import _seasonal_naive_demand

    if "RoughCut" not in {s.name for s in WORKBOOK}:
        pytest.skip("the plan stage is not in this version")
    company = make_demo(7)
    book = MemoryWorkbook()
    write_demo_inputs(book, company)
    demand = _seasonal_naive_demand(company)
    book.write_table(WORKBOOK.sheet("Demand"), demand)
    result = execute(book, ["roughcut"])[0]
    assert result.status != "failed"
    rough = result.data["roughcut"]
    routing = company.routing
    skus = set(demand["sku"])
    # resources routed SKU by SKU (family-level routing rows are the plan stage's business)
    per_sku_resources = [r for r, g in routing.groupby("resource") if set(g["item"]) <= skus]
    assert per_sku_resources
    quantities = demand.drop(columns="sku").to_numpy().tolist()
    lead = company.items.set_index("sku")["lead_time"].reindex(demand["sku"]).fillna(0).tolist()
    for resource in per_sku_resources:
        hours = routing[routing["resource"] == resource].groupby("item")["hours_per_unit"].sum()
        per_sku = [float(hours.get(sku, 0.0)) for sku in demand["sku"]]
        mine = rough[rough["resource"] == resource]
        assert udfs.SOP_ROUGHCUT_LOAD(quantities, per_sku, None, lead)[0] == pytest.approx(mine["load_hours"].tolist())
        share = udfs.SOP_ROUGHCUT_LOAD(quantities, per_sku, mine["regular_capacity"].tolist(), lead)[0]
        assert share == pytest.approx(mine["utilisation"].tolist())


def test_roughcut_load_moves_quantities_to_the_production_start():
    assert udfs.SOP_ROUGHCUT_LOAD([[10.0, 20.0, 30.0], [1.0, 2.0, 3.0]], [1.0, 10.0], None, [1, 0]) == \
        [[20.0 + 10.0, 30.0 + 20.0, 30.0 + 30.0]]  # the last period starts what the next one needs
    assert udfs.SOP_ROUGHCUT_LOAD([[10.0, 20.0]], [1.0], None, [-1]) == "#NUM!"


def test_roughcut_load_errors():
    assert udfs.SOP_ROUGHCUT_LOAD([[1.0, 2.0]], [1.0, 2.0, 3.0]) == "#N/A"
    assert udfs.SOP_ROUGHCUT_LOAD([[1.0, 2.0]], [1.0], [0.0]) == "#DIV/0!"
    assert udfs.SOP_ROUGHCUT_LOAD([[1.0, "x"]], [1.0]) == "#VALUE!"


def test_ets_recalculation_with_the_same_arguments_is_served_from_the_cache():
    first = F.sop_forecast_ets([[dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 1)]], Y.tolist(), DATES)
    hits = F._ets_results.cache_info().hits
    fits = F._ets_fit.cache_info().misses
    again = F.sop_forecast_ets([[dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 1)]], Y.tolist(), DATES)
    assert again is first and F._ets_results.cache_info().hits == hits + 1
    F.sop_forecast_ets_confint(dt.datetime(2026, 1, 1), Y.tolist(), DATES)  # same fit, other statistic
    assert F._ets_fit.cache_info().misses == fits
