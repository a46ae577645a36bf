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

from sop_xl.excel import functions as F
from sop_xl.forecast import accuracy, forecast

_spec = importlib.util.spec_from_file_location(
    "sop_xl_udfs", Path(__file__).resolve().parents[2] / "udfs" / "sop_xl_udfs.py")
udfs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(udfs)

N = 48
Y = (200 + 30 * np.sin(np.arange(N) * 2 * np.pi / 12) + 1.5 * np.arange(N)
     + np.random.default_rng(3).normal(0, 4, N)).round(1)


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
