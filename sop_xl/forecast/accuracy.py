"""Accuracy KPIs on arrays and on long frames.

All metrics take actuals and forecasts of the same shape whose last axes are the backtest
windows and steps; NaN cells (windows a short series does not have) are ignored.
Percent metrics are returned in percent. MASE divides by the in-sample MAE of the seasonal
naive forecast (naive when not seasonal), as in the M4 competition.
FVA (forecast value added) of a method = WAPE of seasonal naive - WAPE of the method, in
percentage points: positive means the method adds value over the no-effort forecast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METRICS = ("mase", "wape", "smape", "mape", "rmse", "mae", "bias")


def _flat(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, float)
    return a.reshape(a.shape[0], -1) if a.ndim > 1 else a[None, :]


def _nan_div(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def mae(actual, fcst):
    return np.nanmean(np.abs(_flat(fcst) - _flat(actual)), axis=1)


def rmse(actual, fcst):
    return np.sqrt(np.nanmean((_flat(fcst) - _flat(actual)) ** 2, axis=1))


def wape(actual, fcst):
    a, f = _flat(actual), _flat(fcst)
    return 100 * _nan_div(np.nansum(np.abs(f - a), axis=1), np.nansum(np.abs(a), axis=1))


def mape(actual, fcst):
    """Mean absolute percentage error over periods with non-zero demand."""
    a, f = _flat(actual), _flat(fcst)
    with np.errstate(divide="ignore", invalid="ignore"):
        ape = np.where(a != 0, np.abs(f - a) / np.abs(a), np.nan)
    out = np.full(a.shape[0], np.nan)
    ok = np.isfinite(ape).any(axis=1)
    out[ok] = 100 * np.nanmean(ape[ok], axis=1)
    return out


def smape(actual, fcst):
    """Symmetric MAPE (0-200%); a period where both are zero counts as a perfect 0."""
    a, f = _flat(actual), _flat(fcst)
    den = np.abs(a) + np.abs(f)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(den > 0, 2 * np.abs(f - a) / np.where(den > 0, den, 1.0), 0.0)
    s = np.where(np.isnan(a) | np.isnan(f), np.nan, s)
    return 100 * np.nanmean(s, axis=1)


def mase(actual, fcst, scale):
    return _nan_div(mae(actual, fcst), np.asarray(scale, float))


def bias(actual, fcst):
    """Total over- (+) or under- (-) forecast as % of total demand."""
    a, f = _flat(actual), _flat(fcst)
    return 100 * _nan_div(np.nansum(f - a, axis=1), np.nansum(np.abs(a), axis=1))


def metric(name: str, actual, fcst, scale=None) -> np.ndarray:
    name = name.lower()
    if name == "mase":
        return mase(actual, fcst, scale)
    funcs = {"wape": wape, "smape": smape, "mape": mape, "rmse": rmse, "mae": mae, "bias": bias}
    if name not in funcs:
        raise ValueError(f"unknown metric {name!r}; choose one of {', '.join(METRICS)}")
    return funcs[name](actual, fcst)


def all_metrics(actual, fcst, scale) -> dict[str, np.ndarray]:
    return {m: metric(m, actual, fcst, scale) for m in ("mape", "wape", "smape", "mase", "bias")}


def seasonal_naive_scale(y: np.ndarray, m: int) -> float:
    """In-sample MAE of the seasonal naive forecast; falls back to lag 1, then to the mean level,
    so a constant or very short series still gets a finite, positive scale."""
    y = np.asarray(y, float)
    for lag in (m, 1):
        if lag >= 1 and len(y) > lag:
            s = np.mean(np.abs(y[lag:] - y[:-lag]))
            if s > 0:
                return float(s)
    level = np.mean(np.abs(y)) if len(y) else 0.0
    return float(level) if level > 0 else 1.0


def summarise(backtest: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """KPIs of a long backtest frame (columns y, yhat, scale, + `by`) per group.

    MASE of a group is the mean of its series' MASE (scales differ between SKUs); the other
    metrics pool the group's periods, so WAPE of a family is total error / total demand.
    """
    d = backtest.assign(abs_err=(backtest["yhat"] - backtest["y"]).abs(), err=backtest["yhat"] - backtest["y"],
                        abs_y=backtest["y"].abs())
    den = (d["y"].abs() + d["yhat"].abs())
    d["s"] = np.where(den > 0, 2 * d["abs_err"] / den.where(den > 0, 1.0), 0.0)
    d["ape"] = np.where(d["y"] != 0, d["abs_err"] / d["abs_y"].where(d["y"] != 0, 1.0), np.nan)
    d["scaled"] = d["abs_err"] / d["scale"]
    series_mase = d.groupby([*by, "unique_id"], dropna=False)["scaled"].mean().groupby(by, dropna=False).mean() \
        if "unique_id" not in by else d.groupby(by, dropna=False)["scaled"].mean()
    g = d.groupby(by, dropna=False)
    sums = g[["abs_err", "abs_y", "err"]].sum()
    out = pd.DataFrame({
        "mape": 100 * g["ape"].mean(),
        "wape": 100 * sums["abs_err"] / sums["abs_y"].where(sums["abs_y"] > 0),
        "smape": 100 * g["s"].mean(),
        "mase": series_mase,
        "bias": 100 * sums["err"] / sums["abs_y"].where(sums["abs_y"] > 0),
        "periods": g.size(),
    })
    return out.reset_index()
