"""Excel's FORECAST.ETS family on top of the forecast core: the Excel-shaped parts only.

FORECAST.ETS fits additive error, additive trend, additive season exponential smoothing
(AAA ETS) on a regular timeline. Here: the timeline rules (a constant step, calendar
months recognised, duplicates aggregated, up to 30 % missing points completed), season
length detection, and the statistics and confidence interval Excel reports. The model is
the core's: `HoltWinters(m, "add", "add")`, or `Holt()` without a season; the one-step
fitted values behind the statistics come from the core's own recursion `ets_filter` with the
core's start states (`seasonal_start`, `fit_linear_start`): one copy of Holt-Winters.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..forecast import accuracy
from ..forecast.models import Holt, HoltWinters, ets_filter, fit_linear_start, seasonal_start
from ..forecast.seasonality import acf, is_seasonal

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
MAX_SEASON = 8760
MAX_MISSING = 0.3
AGGREGATIONS = {1: "average", 2: "count", 3: "counta", 4: "max", 5: "median", 6: "min", 7: "sum"}


class ExcelError(ValueError):
    """A worksheet error value ("#VALUE!", "#NUM!", "#N/A") with the reason, for the UDF to return."""

    def __init__(self, code: str, reason: str = ""):
        super().__init__(f"{code} {reason}".strip())
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Timeline:
    y: np.ndarray          # regular, completed values
    last: float            # last timeline point (serial day number or month index)
    step: float            # in days (numeric timelines) or months (calendar-month timelines)
    monthly: bool


def serial(value) -> float:
    """Excel's date serial for a datetime; numbers pass through."""
    if isinstance(value, bool):
        raise ExcelError("#VALUE!", "a timeline value is TRUE/FALSE")
    if isinstance(value, dt.datetime):
        return (value - EXCEL_EPOCH).total_seconds() / 86400.0
    if isinstance(value, dt.date):
        return float((value - EXCEL_EPOCH.date()).days)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    raise ExcelError("#VALUE!", f"{value!r} is not a date or a number")


def _as_date(x: float) -> dt.datetime:
    return EXCEL_EPOCH + dt.timedelta(days=x)


def _month_index(x: float) -> float | None:
    d = _as_date(x)
    if d.hour or d.minute or d.second:
        return None
    return d.year * 12 + d.month - 1 + (d.day - 1) / 31.0


def regular_series(values: list, timeline: list, *, data_completion: int = 1, aggregation: int = 1) -> Timeline:
    if len(values) != len(timeline):
        raise ExcelError("#N/A", "values and timeline differ in size")
    if data_completion not in (0, 1):
        raise ExcelError("#NUM!", "data_completion is 0 or 1")
    if aggregation not in AGGREGATIONS:
        raise ExcelError("#NUM!", "aggregation is 1..7")
    t = np.array([serial(x) for x in timeline])
    v = np.array([np.nan if x is None else _number(x) for x in values], dtype=float)
    keys, inverse = np.unique(t, return_inverse=True)
    agg = _aggregate(v, inverse, len(keys), AGGREGATIONS[aggregation])
    if len(keys) < 3:
        raise ExcelError("#NUM!", "the timeline needs at least 3 distinct points")
    months = [_month_index(k) for k in keys]
    monthly = all(m is not None for m in months) and len({round((m % 1) * 31) for m in months}) == 1 \
        and np.all(np.diff(keys) >= 28)
    positions = np.floor(np.array(months)) if monthly else keys
    diffs = np.diff(positions)
    step = float(diffs.min())
    if step <= 0:
        raise ExcelError("#NUM!", "the timeline has no constant step")
    ratio = diffs / step
    if not np.allclose(ratio, np.round(ratio), atol=1e-6):
        raise ExcelError("#NUM!", "the timeline has no constant step")
    slots = np.concatenate([[0], np.cumsum(np.round(ratio).astype(int))])
    y = np.full(slots[-1] + 1, np.nan)
    y[slots] = agg
    missing = np.isnan(y)
    if missing.mean() > MAX_MISSING:
        raise ExcelError("#NUM!", "more than 30% of the timeline points are missing")
    if missing.any():
        idx = np.arange(len(y))
        y = np.interp(idx, idx[~missing], y[~missing]) if data_completion == 1 else np.where(missing, 0.0, y)
    return Timeline(y=y, last=float(positions[-1]), step=step, monthly=monthly)


def _number(x) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ExcelError("#VALUE!", f"{x!r} is not a number")
    return float(x)


def _aggregate(v: np.ndarray, inverse: np.ndarray, n: int, how: str) -> np.ndarray:
    out = np.full(n, np.nan)
    for k in range(n):
        group = v[inverse == k]
        present = group[~np.isnan(group)]
        if how in ("count", "counta"):
            out[k] = len(present)
        elif len(present):
            out[k] = {"average": np.mean, "max": np.max, "median": np.median, "min": np.min,
                      "sum": np.sum}[how](present)
    return out


def steps_ahead(target, tl: Timeline) -> float:
    x = serial(target)
    if tl.monthly:
        m = _month_index(x)
        position = math.floor(m) + (m % 1) if m is not None else None
        if position is None:
            raise ExcelError("#NUM!", "the target date is not on the monthly timeline")
    else:
        position = x
    k = (position - tl.last) / tl.step
    if k <= 0:
        raise ExcelError("#NUM!", "the target date must come after the last timeline point")
    return k


# ---------------------------------------------------------------- season length

def detect_season(y: np.ndarray) -> int:
    """The season length Excel's auto-detection would find: the lag with the strongest
    significant autocorrelation of the detrended series (0 when there is none)."""
    n = len(y)
    if n < 6:
        return 0
    x = np.arange(n)
    resid = y - np.polyval(np.polyfit(x, y, 1), x)
    if np.ptp(resid) <= 1e-9 * max(1.0, float(np.abs(y).max())):
        return 0  # a straight line: nothing left to repeat
    best, best_r = 0, 0.0
    max_lag = min(n // 3, MAX_SEASON)
    if max_lag < 2:
        return 0
    r = acf(resid, max_lag)
    for m in range(2, max_lag + 1):
        if r[m - 1] > best_r + 1e-12 and is_seasonal(resid, m):
            best, best_r = m, r[m - 1]
    return best


def season_length(y: np.ndarray, seasonality: int) -> int:
    if seasonality is None or seasonality == 1:
        return detect_season(y)
    if seasonality == 0:
        return 0
    if seasonality < 0 or seasonality > MAX_SEASON or seasonality != int(seasonality):
        raise ExcelError("#NUM!", "seasonality is 0, 1 (detect) or a season length 2..8760")
    if len(y) < 2 * seasonality:
        raise ExcelError("#NUM!", f"a season of {int(seasonality)} needs at least {2 * int(seasonality)} points")
    return int(seasonality)


# ---------------------------------------------------------------- the AAA fit

@dataclass(frozen=True)
class EtsFit:
    m: int                  # season length (0: none)
    alpha: float
    beta: float
    gamma: float
    fitted: np.ndarray      # one-step-ahead fitted values
    level: float            # final states
    trend: float
    seasons: np.ndarray     # seasons[k] belongs to the period k+1 steps ahead
    forecast: np.ndarray    # the core model's forecasts, 1..horizon steps
    y_: np.ndarray          # the regular history the model was fitted on


def fit_aaa(y: np.ndarray, m: int, horizon: int) -> EtsFit:
    y = np.asarray(y, float)
    if m >= 2:
        model = HoltWinters(m, "add", "add").fit(y)
        alpha, beta, gamma = float(model.alpha_[0]), float(model.beta_[0]), float(model.gamma_[0])
        level0, trend0, season0 = seasonal_start(y[None, :], m, "add")
        level0, trend0, season0 = float(level0[0, 0]), float(trend0[0, 0]), season0[0, 0].copy()
    else:
        model = Holt().fit(y)
        alpha, beta, gamma = float(model.alpha_[0]), float(model.beta_[0]), 0.0
        _, l0, b0 = fit_linear_start(y[None, :], np.array([[alpha]]), np.array([[beta]]), np.array([[1.0]]),
                                     trend=True)
        level0, trend0, season0 = float(l0[0, 0]), float(b0[0, 0]), np.zeros(1)
    fitted, level, trend, seasons = smooth(y, alpha, beta, gamma, max(m, 1), level0, trend0, season0)
    forecast = np.asarray(model.predict(horizon), float)
    return EtsFit(m=m, alpha=alpha, beta=beta, gamma=gamma, fitted=fitted, level=level, trend=trend,
                  seasons=seasons, forecast=forecast, y_=y)


def smooth(y, alpha, beta, gamma, m, level0, trend0, season0):
    """The core's additive recursion (`ets_filter`) for one series, keeping its one-step-ahead
    fitted values. Returns (fitted, final level, final trend, seasons aligned to the next periods)."""
    y = np.asarray(y, float)
    fitted = np.empty((1, 1, len(y)))
    seasonal = m >= 2
    _, level, trend, seasons = ets_filter(
        y[None, :], np.array([[alpha]]), np.array([[beta]]), np.array([[gamma]]), np.ones((1, 1)), trend=True,
        season="add" if seasonal else "none", m=max(m, 1), level0=np.array([[level0]]), trend0=np.array([[trend0]]),
        season0=np.asarray(season0, float).reshape(1, 1, -1) if seasonal else None, fitted=fitted)
    return (fitted[0, 0], float(level[0, 0]), float(trend[0, 0]),
            seasons[0, 0] if seasonal else np.zeros(1))


def point_forecast(fit: EtsFit, k: float) -> float:
    """Forecast k steps ahead; between two steps Excel interpolates linearly."""
    lo, hi = math.floor(k), math.ceil(k)
    at = lambda j: float(fit.y_[-1]) if j == 0 else float(fit.forecast[j - 1])  # noqa: E731
    if lo == hi:
        return at(lo)
    return at(lo) + (k - lo) * (at(hi) - at(lo))


def confint(fit: EtsFit, k: float, level: float) -> float:
    """Half-width of the prediction interval: z * sigma * sqrt(1 + sum c_j^2) for ETS(A,A,A),
    c_j = alpha + alpha*beta*j + gamma*[j is a multiple of m] (Hyndman et al. 2008, table 6.1)."""
    if not 0 < level < 1:
        raise ExcelError("#NUM!", "confidence_level is between 0 and 1")
    errors = (fit.y_ - fit.fitted)[1:]
    sigma = float(np.sqrt(np.mean(errors ** 2))) if len(errors) else 0.0
    h = max(1, math.ceil(k))
    j = np.arange(1, h)
    c = fit.alpha + fit.alpha * fit.beta * j + (fit.gamma * (j % fit.m == 0) if fit.m >= 2 else 0.0)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    return z * sigma * math.sqrt(1 + float(np.sum(c ** 2)))


STATISTICS = {1: "alpha", 2: "beta", 3: "gamma", 4: "mase", 5: "smape", 6: "mae", 7: "rmse", 8: "step",
              9: "wape", 10: "bias", 11: "season"}


def statistic(fit: EtsFit, tl: Timeline, code: int) -> float:
    """Excel's statistic codes 1-8 (SMAPE in %, as the core reports it), plus 9 WAPE %, 10 bias %,
    11 the season length used. Error measures are over the one-step-ahead in-sample fit."""
    name = STATISTICS.get(code)
    if name is None:
        raise ExcelError("#NUM!", "statistic_type is 1..11")
    if name in ("alpha", "beta", "gamma"):
        return getattr(fit, name)
    if name == "step":
        return tl.step
    if name == "season":
        return float(fit.m)
    actual, fitted = fit.y_[1:][None, :], fit.fitted[1:][None, :]
    if name == "mase":
        return float(accuracy.mase(actual, fitted, accuracy.seasonal_naive_scale(fit.y_, 1))[0])
    return float(accuracy.metric(name, actual, fitted)[0])
