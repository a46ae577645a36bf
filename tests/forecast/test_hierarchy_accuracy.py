"""Reconciliation adds up; KPIs match hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop_xl.forecast import accuracy, aggregate, forecast, proportions, reconcile
from sop_xl.forecast.hierarchy import TOTAL

from .conftest import make_history


@pytest.fixture(scope="module")
def setup():
    hist = make_history(n=12, length=36, seed=9)
    families = pd.Series({u: f"F{int(u[3:]) % 3}" for u in hist["unique_id"].unique()})
    sku = forecast(hist, 6)
    fam_hist = aggregate(hist, families)
    fam = forecast(fam_hist, 6)
    tot = forecast(fam_hist.assign(unique_id=TOTAL).groupby(["unique_id", "ds"], as_index=False)["y"].sum(), 6)
    return hist, families, sku, fam, tot


@pytest.mark.parametrize("method", ["bottom_up", "top_down", "middle_out"])
def test_reconciled_forecasts_add_up(setup, method):
    hist, families, sku, fam, tot = setup
    s, f = reconcile(sku, families, hist, method, family_forecast=fam, total_forecast=tot)
    sums = s.assign(family=s["unique_id"].map(families)).groupby(["family", "ds"])["yhat"].sum()
    fam_r = f[f["unique_id"] != TOTAL].set_index(["unique_id", "ds"])["yhat"]
    np.testing.assert_allclose(sums.to_numpy(), fam_r.reindex(sums.index).to_numpy(), rtol=1e-9)
    total = f[f["unique_id"] == TOTAL].set_index("ds")["yhat"]
    np.testing.assert_allclose(s.groupby("ds")["yhat"].sum().to_numpy(), total.to_numpy(), rtol=1e-9)
    assert (s["yhat_lo_80"] <= s["yhat"] + 1e-9).all() and (s["yhat"] <= s["yhat_hi_80"] + 1e-9).all()
    if method == "bottom_up":
        pd.testing.assert_series_equal(s["yhat"], sku["yhat"])
    if method == "top_down":
        np.testing.assert_allclose(total.to_numpy(), tot["yhat"].to_numpy(), rtol=1e-9)
    if method == "middle_out":
        own = fam.set_index(["unique_id", "ds"])["yhat"]
        np.testing.assert_allclose(fam_r.to_numpy(), own.reindex(fam_r.index).to_numpy(), rtol=1e-9)


def test_proportions_are_shares_of_recent_history():
    hist = pd.DataFrame({"unique_id": ["a", "b", "a", "b", "c", "c"],
                         "ds": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2024-02-01",
                                               "2024-01-01", "2024-02-01"]),
                         "y": [1.0, 3.0, 1.0, 3.0, 0.0, 0.0]})
    share = proportions(hist, pd.Series({"a": "F", "b": "F", "c": "G"}))
    assert share["a"] == pytest.approx(0.25) and share["b"] == pytest.approx(0.75)
    assert share["c"] == pytest.approx(1.0)  # a family without recent demand splits evenly


def test_unknown_reconciliation_is_refused(setup):
    hist, families, sku, fam, tot = setup
    with pytest.raises(ValueError, match="unknown reconciliation"):
        reconcile(sku, families, hist, "sideways")


def test_kpis_by_hand():
    a = np.array([[10.0, 0.0, 20.0]])
    f = np.array([[12.0, 1.0, 15.0]])
    assert accuracy.wape(a, f)[0] == pytest.approx(100 * 8 / 30)
    assert accuracy.mape(a, f)[0] == pytest.approx(100 * (0.2 + 0.25) / 2)  # zero actual left out
    assert accuracy.smape(a, f)[0] == pytest.approx(100 * (4 / 22 + 2 + 10 / 35) / 3)
    assert accuracy.bias(a, f)[0] == pytest.approx(100 * -2 / 30)
    assert accuracy.mase(a, f, np.array([2.0]))[0] == pytest.approx(8 / 3 / 2)
    assert accuracy.seasonal_naive_scale(np.array([1.0, 3.0, 2.0, 4.0]), 2) == pytest.approx(1.0)
    assert accuracy.seasonal_naive_scale(np.full(5, 3.0), 12) == pytest.approx(3.0)  # constant: the level


def test_group_summary_pools_family_periods():
    bt = pd.DataFrame({"unique_id": ["a", "a", "b", "b"], "family": ["F"] * 4, "y": [10.0, 10.0, 100.0, 100.0],
                       "yhat": [12.0, 8.0, 90.0, 100.0], "scale": [2.0, 2.0, 10.0, 10.0]})
    out = accuracy.summarise(bt, ["family"]).iloc[0]
    assert out["wape"] == pytest.approx(100 * 14 / 220)
    assert out["mase"] == pytest.approx((1.0 + 0.5) / 2)  # mean of the SKUs' MASE
