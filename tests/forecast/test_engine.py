"""The long-frame API end to end: columns, per-series info, intervals, fan-out, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sop_xl.forecast import engine
from sop_xl.forecast import METHODS, backtest, cleanse, forecast, forecast_result, forecast_values
from sop_xl.forecast.cleanse import launch

from .conftest import make_history


def test_forecast_frame_has_the_ecosystem_columns(history):
    fc = forecast(history, 6)
    assert list(fc.columns) == ["unique_id", "ds", "yhat", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95",
                                "method"]
    assert len(fc) == history["unique_id"].nunique() * 6
    assert fc[["yhat", "yhat_lo_80", "yhat_hi_95"]].notna().all().all()
    first = fc.groupby("unique_id")["ds"].min()
    assert (first == pd.Timestamp("2026-01-01")).all()  # the period after the 48 months of history
    # bounds are ordered and never negative
    assert (fc["yhat_lo_95"] <= fc["yhat_lo_80"] + 1e-9).all()
    assert (fc["yhat_lo_80"] <= fc["yhat"] + 1e-9).all() and (fc["yhat"] <= fc["yhat_hi_80"] + 1e-9).all()
    assert (fc["yhat_hi_80"] <= fc["yhat_hi_95"] + 1e-9).all() and (fc["yhat_lo_95"] >= 0).all()


def test_result_records_class_method_and_reason_per_series(history):
    res = forecast_result(history, 6)
    s = res.series.set_index("unique_id")
    assert set(s.columns) >= {"demand_class", "seasonal", "season_length", "method", "members", "reason", "flags"}
    assert s.loc["SKU000", "seasonal"] and s.loc["SKU000", "season_length"] == 12
    assert s.loc["SKU001", "demand_class"] == "smooth" and not s.loc["SKU001", "seasonal"]
    assert s.loc["SKU002", "demand_class"] in ("intermittent", "lumpy")
    assert s["reason"].str.contains("backtest").all()
    assert s["method"].isin([*METHODS, "ensemble"]).all()
    # ensembles name their members and their backtest scores
    ens = s[s["method"] == "ensemble"]
    assert len(ens) and ens["reason"].str.contains("mean of the").all()
    from sop_xl.forecast.select import ANCHORS, kind_of_flags

    # as many members as the kind combines, plus the kind's fixed anchors (named in the reason)
    for uid, row in ens.iterrows():
        kind = kind_of_flags(row["demand_class"], row["seasonal"])
        anchors = ANCHORS.get(kind, ())
        assert row["members"].count(",") + 1 == engine.COMBINE[kind] + len(anchors), uid
        assert all(a in row["members"].split(", ") for a in anchors), uid
        if anchors:
            assert "fixed anchor" in row["reason"], uid


def test_seasonal_series_forecast_follows_the_season(history):
    res = forecast_result(history, 12)
    f = res.forecasts[res.forecasts["unique_id"] == "SKU003"]["yhat"].to_numpy()
    # 200 * (1 + 0.35 sin): peak months about twice the trough months
    assert f.max() / f.min() > 1.6


def test_named_method_is_used_for_every_series(history):
    fc = forecast(history, 3, method="ses")
    assert set(fc["method"]) == {"ses"}
    with pytest.raises(ValueError, match="unknown method"):
        forecast(history, 3, method="prophet")


def test_metric_and_levels_are_selectable(history):
    fc = forecast(history, 3, metric="wape", level=(50, 90))
    assert {"yhat_lo_50", "yhat_hi_90"} <= set(fc.columns)
    with pytest.raises(ValueError, match="unknown metric"):
        forecast(history, 3, metric="r2")


def test_interval_coverage_is_reported_and_close_to_nominal():
    res = forecast_result(make_history(n=80, length=60, seed=5), 12)
    cov = res.coverage
    assert set(cov["level"]) == {80, 95}
    for _, row in cov.iterrows():
        # cross-validated over series (nested errors), 20 series a pool here: within 5 points
        assert abs(row["coverage"] - row["level"]) <= 5, row.to_dict()


def _holdout_coverage(ys: np.ndarray, h: int) -> dict:
    n, total = ys.shape
    ds = pd.date_range("2020-01-01", periods=total - h, freq="MS")
    hist = pd.concat([pd.DataFrame({"unique_id": f"R{i:03d}", "ds": ds, "y": ys[i, :-h]}) for i in range(n)])
    fc = forecast_result(hist, h).forecasts.sort_values(["unique_id", "ds"])
    y = ys[:, -h:].ravel()
    return {lv: 100 * np.mean((y >= fc[f"yhat_lo_{lv}"].to_numpy()) & (y <= fc[f"yhat_hi_{lv}"].to_numpy()))
            for lv in (80, 95)}


def test_intervals_hold_on_a_final_holdout_of_random_walks():
    # issue 16: with the windows that chose the method also calibrating, 150 random walks got
    # 72.8 % / 86.6 % while 80 / 95 was reported. The bench's hold-outs give 77-83 / 93-97.
    rng = np.random.default_rng(1)
    ys = 100 + np.cumsum(rng.normal(0, 5, (150, 72)), axis=1)
    cov = _holdout_coverage(ys, 12)
    assert 77 <= cov[80] <= 83 and 93 <= cov[95] <= 97, cov


def test_intervals_are_asymmetric_for_skewed_demand_and_never_below_zero():
    rng = np.random.default_rng(4)
    ys = rng.lognormal(2.0, 0.8, (60, 48))
    ds = pd.date_range("2020-01-01", periods=48, freq="MS")
    hist = pd.concat([pd.DataFrame({"unique_id": f"L{i:02d}", "ds": ds, "y": ys[i]}) for i in range(60)])
    fc = forecast_result(hist, 6).forecasts
    assert (fc["yhat_lo_95"] >= 0).all() and (fc["yhat_lo_80"] >= 0).all()
    up, down = fc["yhat_hi_80"] - fc["yhat"], fc["yhat"] - fc["yhat_lo_80"]
    assert (up > down).mean() > 0.9  # right-skewed errors: more room above the forecast than below


def test_accuracy_has_kpis_and_fva_over_seasonal_naive(history):
    res = forecast_result(history, 6)
    acc = res.accuracy
    assert {"mape", "wape", "smape", "mase", "bias", "fva"} <= set(acc.columns)
    assert acc.groupby("unique_id")["chosen"].sum().eq(1).all()
    snaive = acc[acc["method"] == "seasonal_naive"]
    # (NaN where the backtest windows had no demand at all: WAPE is undefined there)
    assert snaive["fva"].notna().sum() >= len(snaive) - 2
    np.testing.assert_allclose(snaive["fva"].dropna(), 0.0, atol=1e-9)
    # the chosen method adds value over seasonal naive on the smooth seasonal series
    chosen = acc[acc["chosen"]].set_index("unique_id")
    assert chosen.loc["SKU000", "fva"] > 0


def test_backtest_reports_per_series_and_overall(history):
    rep = backtest(history, 6)
    assert len(rep.series) == history["unique_id"].nunique()
    assert {"mase", "wape"} <= set(rep.overall.columns) and len(rep.overall) == 1
    assert rep.overall["mase"].iloc[0] < 1.5


def test_cleansing_log_keeps_original_values():
    h = make_history(n=2, length=48)
    h.loc[(h["unique_id"] == "SKU001") & (h["ds"] == "2023-06-01"), "y"] = 900.0   # a one-off spike
    h.loc[(h["unique_id"] == "SKU001") & (h["ds"] == "2023-02-01"), "y"] = -5.0    # a return
    h = h[~((h["unique_id"] == "SKU001") & (h["ds"] == "2023-09-01"))]             # a missing month
    cleansed, log = cleanse(h)
    sku = log[log["unique_id"] == "SKU001"]
    spike = sku[sku["ds"] == "2023-06-01"].iloc[-1]
    assert spike["original"] == 900.0 and spike["action"] == "replaced" and 30 < spike["cleansed"] < 80
    ret = sku[sku["ds"] == "2023-02-01"]
    assert ret["original"].iloc[0] == -5.0 and ret["action"].iloc[0] == "zeroed"
    gap = sku[sku["ds"] == "2023-09-01"]
    assert np.isnan(gap["original"].iloc[0]) and gap["action"].iloc[0] == "filled"
    # unknown, not zero: filled from the months around it, so it is no outlier afterwards
    assert len(gap) == 1 and 30 < gap["cleansed"].iloc[0] < 80
    c = cleansed.set_index(["unique_id", "ds"])["y"]
    assert c.loc[("SKU001", pd.Timestamp("2023-06-01"))] == spike["cleansed"]
    res = forecast_result(h, 3)
    flags = res.series.set_index("unique_id").loc["SKU001", "flags"]
    assert "outliers_replaced" in flags and "negatives_zeroed" in flags and "gaps_filled" in flags


def test_new_product_leading_zeros_and_discontinued_items(history):
    h = history.copy()
    h.loc[(h["unique_id"] == "SKU001") & (h["ds"] < "2025-01-01"), "y"] = 0.0
    res = forecast_result(h, 4, discontinued=["SKU005"])
    s = res.series.set_index("unique_id")
    assert "leading_zeros_dropped" in s.loc["SKU001", "flags"] and s.loc["SKU001", "history_periods"] == 12
    assert "discontinued" in s.loc["SKU005", "flags"] and s.loc["SKU005", "method"] == ""
    assert "SKU005" not in set(res.forecasts["unique_id"])



def _monthly(series: dict) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2015-01-01", periods=len(y), freq="MS"),
                                    "y": y}) for uid, y in series.items()], ignore_index=True)


def test_a_launch_after_a_dormant_year_forecasts_the_new_level_and_logs_what_it_left_out():
    rng = np.random.default_rng(4)
    launched = [0, 1, 1] + [0] * 40 + [2] + [0] * 14 + [42, 300, 429, 450, 440, 470]
    sporadic = list(rng.choice([0, 0, 0, 0, 0, 0, 5], size=60).astype(float))
    sporadic[-14:] = [0] * 12 + [6, 4]      # a year without demand, then two sales: still intermittent
    december = ([0] * 11 + [80]) * 5         # a pause shorter than a year every year
    res = forecast_result(_monthly({"LAUNCH": launched, "SPORADIC": sporadic, "DECEMBER": december}), 6)
    s = res.series.set_index("unique_id")
    assert "history_before_launch_dropped" in s.loc["LAUNCH", "flags"] and s.loc["LAUNCH", "history_periods"] == 6
    for uid in ("SPORADIC", "DECEMBER"):
        assert "history_before_launch_dropped" not in s.loc[uid, "flags"], uid
    yhat = res.forecasts.set_index("unique_id").loc["LAUNCH", "yhat"]
    assert (yhat > 300).all(), yhat       # the years of zeros no longer average the new level down
    log = res.cleansing[res.cleansing["unique_id"] == "LAUNCH"]
    assert list(log["original"]) == [1.0, 1.0, 2.0] and set(log["action"]) == {"left out"}
    assert log["cleansed"].isna().all() and log["reason"].str.contains("launch").all()


def test_launch_rule_needs_a_year_of_pause_and_negligible_sales_before():
    year = 12
    assert launch(np.array([5.0] * 20 + [0] * 12 + [30, 40, 50]), year) == 0   # sold a lot before
    assert launch(np.array([1.0] * 2 + [0] * 11 + [30, 40, 50]), year) == 0    # paused 11 months
    assert launch(np.array([1.0] * 2 + [0] * 12 + [30, 0, 0, 50, 0]), year) == 0  # sells in 2 of 5
    assert launch(np.array([1.0] * 2 + [0] * 12 + [30, 40, 50]), year) == 14
    assert launch(np.array([1.0] * 2 + [0] * 4 + [30, 40]), 4) == 6            # quarters: a year is 4


def test_a_forecast_decayed_to_numerical_residue_is_written_as_zero():
    # TSB's demand probability decays over a long run of zeros: 1e-30 units is not a forecast
    y = [0.0] * 10 + [3, 0, 0, 4, 0, 2, 0, 0, 5] + [0.0] * 120   # TSB alone gives 3e-12 here
    res = forecast_result(_monthly({"QUIET": y}), 6, method="tsb")
    assert (res.forecasts["yhat"] == 0).all(), res.forecasts["yhat"]

BAD = {
    "all_zero": [0.0] * 30,
    "constant": [5.0] * 30,
    "one_point": [12.0],
    "two_points": [3.0, 4.0],
    "nan_only": [np.nan] * 10,
    "huge": list(np.linspace(1e200, 2e200, 30)),
    "mixed_nan": [1.0, np.nan, 3.0, np.nan] * 8,
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_series_get_a_forecast_or_flagged_fallback(case):
    y = BAD[case]
    hist = pd.DataFrame({"unique_id": case, "ds": pd.date_range("2020-01-01", periods=len(y), freq="MS"), "y": y})
    good = make_history(n=2, length=30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may leak to the console
        res = forecast_result(pd.concat([hist, good]), 6)
    fc = res.forecasts[res.forecasts["unique_id"] == case]
    assert len(fc) == 6 and np.isfinite(fc["yhat"]).all() and (fc["yhat"] >= 0).all()
    row = res.series.set_index("unique_id").loc[case]
    assert row["method"] and row["reason"]
    if case in ("all_zero", "nan_only"):
        assert (fc["yhat"] == 0).all()
    if case == "constant":
        np.testing.assert_allclose(fc["yhat"], 5.0, rtol=1e-6)
    if case in ("one_point", "two_points", "nan_only"):
        assert "fallback_method" in row["flags"] or "no_history" in row["flags"]
    if case == "huge":
        assert fc["yhat"].iloc[0] > 1e200 and np.isfinite(fc["yhat_hi_95"]).all()


def test_irregular_dates_and_gaps_become_periods():
    # mid-month dates, two rows in one month, one month missing, and weekly data
    ds = pd.to_datetime(["2024-01-15", "2024-02-03", "2024-02-20", "2024-04-09", "2024-05-31", "2024-06-01",
                         "2024-07-10", "2024-08-10"])
    hist = pd.DataFrame({"unique_id": "A", "ds": ds, "y": [10, 4, 6, 10, 10, 11, 9, 10]})
    res = forecast_result(hist, 2)
    h = res.history.set_index("ds")["y"]
    # the missing March is unknown: filled from the months around it (10, 10, 10, 10 -> 10), not zero
    assert h.loc["2024-02-01"] == 10 and h.loc["2024-03-01"] == 10 and len(h) == 8
    assert list(res.forecasts["ds"]) == [pd.Timestamp("2024-09-01"), pd.Timestamp("2024-10-01")]
    weekly = pd.DataFrame({"unique_id": "W", "ds": pd.date_range("2024-01-03", periods=30, freq="7D"),
                           "y": np.arange(30.0)})
    res = forecast_result(weekly, 3)
    assert res.period_type == "week" and res.forecasts["ds"].dt.dayofweek.eq(0).all()


def test_bad_frames_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="missing: y"):
        forecast(pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"]}), 3)
    with pytest.raises(ValueError, match="not a date"):
        forecast(pd.DataFrame({"unique_id": ["a"], "ds": ["soon"], "y": [1]}), 3)


def test_processes_give_the_same_forecast_and_report_progress(history):
    class Counter:
        def __init__(self):
            self.total, self.done, self.finished = 0, 0, False

        def start(self, description, total):
            self.total = total

        def advance(self, n=1):
            self.done += n

        def finish(self):
            self.finished = True

    p = Counter()
    one = forecast(history, 6, n_jobs=1)
    two = forecast(history, 6, n_jobs=2, progress=p)
    pd.testing.assert_frame_equal(one, two, check_exact=False, rtol=1e-9)
    assert p.total == p.done == history["unique_id"].nunique() and p.finished


def test_fan_out_to_a_local_dask_cluster(history):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        fc = forecast(history, 6, backend="dask")
    pd.testing.assert_frame_equal(fc, forecast(history, 6), check_exact=False, rtol=1e-9)


def test_forecast_values_for_one_list_of_numbers():
    y = [100 + 20 * np.sin(2 * np.pi * t / 12) + t for t in range(48)]
    out = forecast_values(y, 6, level=(90,))
    assert len(out["mean"]) == len(out["lo_90"]) == len(out["hi_90"]) == 6
    assert out["season_length"] == 12 and out["method"] and out["reason"]
    assert all(lo <= m <= hi for lo, m, hi in zip(out["lo_90"], out["mean"], out["hi_90"]))
    short = forecast_values([5, None, 7], 2)
    assert len(short["mean"]) == 2 and all(np.isfinite(short["mean"]))


def test_fan_out_under_a_joblib_backend_the_caller_configured(history):
    distributed = pytest.importorskip("dask.distributed")
    from joblib import parallel_config

    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        with parallel_config(backend="dask"):
            fc = forecast(history, 6, n_jobs=2)
    pd.testing.assert_frame_equal(fc, forecast(history, 6), check_exact=False, rtol=1e-9)


def test_mixed_lengths_give_the_same_forecast_in_any_number_of_processes():
    hist = make_history(n=40, length=60, seed=8)
    # every series starts at a different month: lengths 60, 59, ..., 21
    start = hist.groupby("unique_id")["ds"].transform("min") + pd.to_timedelta(
        hist["unique_id"].str[3:].astype(int) * 31, unit="D")
    hist = hist[hist["ds"] >= start.dt.to_period("M").dt.to_timestamp()]
    one = forecast_result(hist, 6, n_jobs=1)
    small_blocks = engine.run(hist, 6, n_jobs=2, block_size=3)
    pd.testing.assert_frame_equal(one.forecasts, small_blocks.forecasts, check_exact=False, rtol=1e-9)
    # series fitted on their latest periods still report backtests on their own dates
    bt = one.backtest.merge(one.history, on=["unique_id", "ds"], suffixes=("", "_hist"))
    assert len(bt) == len(one.backtest)
    np.testing.assert_allclose(bt["y"], bt["y_hist"])


def test_lead_time_error_sigma_matches_holdout_errors_of_intermittent_skus():
    # issue 16.3: safety stock sigma from backtest errors per horizon, not from (clipped) intervals
    rng = np.random.default_rng(7)
    n, t, h = 200, 48, 6
    ys = rng.poisson(0.3, (n, t + h)) * rng.integers(1, 12, (n, t + h)).astype(float)
    ds = pd.date_range("2020-01-01", periods=t, freq="MS")
    hist = pd.concat([pd.DataFrame({"unique_id": f"I{i:03d}", "ds": ds, "y": ys[i, :t]}) for i in range(n)])
    res = forecast_result(hist, h)
    assert set(res.series["demand_class"]) <= {"intermittent", "lumpy"}
    fc = res.forecasts.sort_values(["unique_id", "ds"])
    err = res.errors.sort_values(["unique_id", "ds"])
    e = ys[:, t:] - fc["yhat"].to_numpy().reshape(n, h)
    actual = np.sqrt((np.cumsum(e, axis=1) ** 2).mean(axis=0))
    predicted = np.sqrt((err["lead_error_std"].to_numpy().reshape(n, h) ** 2).mean(axis=0))
    assert np.all(np.abs(predicted / actual - 1) < 0.2), (predicted, actual)
    from statistics import NormalDist
    clipped = ((fc["yhat_hi_80"] - fc["yhat_lo_80"]) / (2 * NormalDist().inv_cdf(0.9))).to_numpy()
    assert np.sqrt(np.mean(clipped.reshape(n, h)[:, 0] ** 2)) < 0.85 * actual[0]  # what the plan used to take


def test_caps_and_negative_clips_are_flagged_with_the_reason():
    # issue 16.5: forecasts capped at 3x the historical maximum were not flagged
    ds = pd.date_range("2022-01-01", periods=24, freq="MS")
    up = pd.DataFrame({"unique_id": "UP", "ds": ds, "y": np.arange(1.0, 25.0)})
    down = pd.DataFrame({"unique_id": "DOWN", "ds": ds, "y": np.arange(48.0, 0.0, -2.0)})
    res = forecast_result(pd.concat([up, down]), 60, method="holt")
    s = res.series.set_index("unique_id")
    assert "capped_at_3x_history_max" in s.loc["UP", "flags"] and "3x the largest value" in s.loc["UP", "reason"]
    assert res.forecasts.loc[res.forecasts["unique_id"] == "UP", "yhat"].max() == pytest.approx(72.0)
    assert "negative_set_to_zero" in s.loc["DOWN", "flags"] and "below zero" in s.loc["DOWN", "reason"]
    assert "capped" not in s.loc["DOWN", "flags"]


@pytest.mark.parametrize("freq, m, n", [("quarter", 4, 24), ("month", 12, 60), ("week", 52, 156)])
def test_season_length_follows_the_period_type(freq, m, n):
    # quarters use a season of 4, months 12, weeks 52 (issue 16 / quarterly periods)
    t = np.arange(n)
    y = 100 + 30 * np.sin(2 * np.pi * t / m) + np.random.default_rng(2).normal(0, 2, n)
    start = {"quarter": "2015-01-01", "month": "2018-01-01", "week": "2021-01-04"}[freq]
    ds = pd.date_range(start, periods=n, freq={"quarter": "QS", "month": "MS", "week": "W-MON"}[freq])
    res = forecast_result(pd.DataFrame({"unique_id": "Q", "ds": ds, "y": y}), m, freq=freq)
    row = res.series.iloc[0]
    assert bool(row["seasonal"]) and int(row["season_length"]) == m
    assert np.corrcoef(res.forecasts["yhat"], np.sin(2 * np.pi * np.arange(n, n + m) / m))[0, 1] > 0.9
