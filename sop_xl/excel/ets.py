"""Excel's FORECAST.ETS family on top of the forecast core: the Excel-shaped parts.

Microsoft documents FORECAST.ETS (additive error, trend and season exponential smoothing, "AAA",
on a regular timeline) but publishes neither its algorithm nor worked numbers. The one open,
reproducible implementation of the same function is LibreOffice Calc's (Excel's FORECAST.ETS opens
there as FORECAST.ETS.ADD; sc/source/core/tool/interpr8.cxx, `ScETSForecastCalculation`), whose help
pages publish worked values. This module follows that implementation step by step so a workbook
gives the same numbers in Excel-compatible spreadsheets: the timeline rules (a constant step,
calendar months recognised, duplicates aggregated, up to 30 % missing points completed with the
mean of their neighbours), the season length search, the NIST start states (Engineering Statistics
Handbook 6.4.3.5, seasons corrected for trend), the nested bisection of alpha, beta and gamma on the
one-step mean squared error, and Excel's statistics. One deliberate difference: the reference
starts the additive level at y0 / s0 (a division meant for the multiplicative model), which gives
#NUM! on clean trend-plus-season data; here it is y0 - s0. The confidence interval is the analytic
ETS(A,A,A) one (the reference simulates 1,000 random paths, so it is not repeatable).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..forecast import accuracy

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
    if missing.sum() > MAX_MISSING * len(keys):
        raise ExcelError("#NUM!", "more than 30% of the timeline points are missing")
    if missing.any():
        # a gap takes the mean of the two points around it (Microsoft: "the average of the
        # neighboring points"), or zero
        n, idx = len(y), np.arange(len(y))
        before = np.maximum.accumulate(np.where(missing, -1, idx))
        after = np.minimum.accumulate(np.where(missing, n, idx)[::-1])[::-1]
        left = np.where(before >= 0, y[np.maximum(before, 0)], np.nan)
        right = np.where(after < n, y[np.minimum(after, n - 1)], np.nan)
        gap = np.where(np.isnan(left), right, np.where(np.isnan(right), left, (left + right) / 2))
        y = np.where(missing, gap if data_completion == 1 else 0.0, y)
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
    """The season length the reference finds (`CalcPeriodLen`): for every length p from n/2 down to
    1, the mean absolute difference between each step (y[i] - y[i-1]) and the step one season
    later, over the most recent whole seasons; the smallest mean wins, ties to the shorter length.
    1 means no season (returned as 0)."""
    y = np.asarray(y, float)
    n = len(y)
    steps = np.diff(y)                      # steps[i - 1] = y[i] - y[i - 1]
    best, best_error = n, math.inf
    for p in range(n // 2, 0, -1):
        periods = n // p
        i = np.arange(n - periods * p + 1, n - p)
        error = float(np.abs(steps[i - 1] - steps[p + i - 1]).sum()) / max(1, (periods - 1) * p - 1)
        if error <= best_error or error == 0.0:
            best, best_error = p, error
    return 0 if best == 1 else best


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

RESOLUTION = 0.001   # the reference stops bisecting a smoothing constant below this step


@dataclass(frozen=True)
class EtsFit:
    m: int                  # season length (0: none, Holt's linear trend)
    alpha: float            # level
    beta: float             # trend
    gamma: float            # season
    fitted: np.ndarray      # one-step-ahead fitted values (fitted[0] = y[0])
    level: float            # final states
    trend: float
    seasons: np.ndarray     # seasons[k % m] is added k steps ahead
    y_: np.ndarray          # the regular history the model was fitted on

    def at(self, k: int) -> float:
        """The forecast k whole steps after the last point (k = 0: the smoothed last point)."""
        return self.level + k * self.trend + (float(self.seasons[k % self.m]) if self.m else 0.0)


class _Smoother:
    """The reference's recursion and search, state for state. Its seasonal array doubles as the start
    seasons: the first season's cells are overwritten by each trial and the next trial starts from
    them (and cell m is read before it is written); kept, because the published values depend on it."""

    def __init__(self, y: np.ndarray, m: int):
        self.y, self.m, n = [float(v) for v in y], m, len(y)
        self.base, self.trend, self.season, self.fc = [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n
        self.fc[0] = self.y[0]
        if m:
            self.trend[0] = sum(self.y[i + m] - self.y[i] for i in range(m)) / (m * m)
            periods = n // m
            means = [sum(self.y[i * m:(i + 1) * m]) / m for i in range(periods)]
            for j in range(m):
                offset = (j - 0.5 * (m - 1)) * self.trend[0]
                self.season[j] = sum(self.y[i * m + j] - (means[i] + offset) for i in range(periods)) / periods
            self.base[0] = self.y[0] - self.season[0]
        else:
            self.trend[0] = (self.y[-1] - self.y[0]) / (n - 1)
            self.base[0] = self.y[0]
        self.alpha = self.beta = self.gamma = 0.0
        self.mse = math.inf

    def refill(self) -> None:
        y, m, a, b, g = self.y, self.m, self.alpha, self.gamma, self.beta   # b: season, g: trend
        base, trend, season, fc = self.base, self.trend, self.season, self.fc
        sse = 0.0
        for i in range(1, len(y)):
            last = base[i - 1] + trend[i - 1]
            if m:
                k = i - m if i > m else i
                base[i] = a * (y[i] - season[k]) + (1 - a) * last
                season[i] = b * (y[i] - base[i]) + (1 - b) * season[k]
                fc[i] = last + season[k]
            else:
                base[i] = a * y[i] + (1 - a) * last
                fc[i] = last
            trend[i] = g * (base[i] - base[i - 1]) + (1 - g) * trend[i - 1]
            sse += (fc[i] - y[i]) ** 2
        self.mse = sse / (len(y) - 1)

    def search(self, name: str, inner) -> None:
        """Bisection of one constant on [0, 1], `inner` re-fitting the others for each trial."""
        def trial(v):
            setattr(self, name, v)
            inner()
            return self.mse
        f0, f2, f1 = 0.0, 1.0, 0.5
        e0, e2, e1 = trial(f0), trial(f2), trial(f1)
        if e0 == e1 == e2:
            trial(0.0)
            return
        while f2 - f1 > RESOLUTION:
            if e2 > e0:
                f2, e2, f1 = f1, e1, (f0 + f1) / 2
            else:
                f0, e0, f1 = f1, e1, (f1 + f2) / 2
            e1 = trial(f1)
        if e2 > e0:
            if e0 < e1:
                trial(f0)
        elif e2 < e1:
            trial(f2)

    def fit(self) -> None:
        fit_trend = lambda: self.search("beta", self.refill)  # noqa: E731
        fit_season = (lambda: self.search("gamma", fit_trend)) if self.m else fit_trend
        self.search("alpha", fit_season)


def fit_aaa(y: np.ndarray, m: int) -> EtsFit:
    y = np.asarray(y, float)
    s = _Smoother(y, m)
    s.fit()
    n = len(y)
    seasons = np.array([s.season[n - 1 - m + r] for r in range(m)]) if m else np.zeros(0)
    return EtsFit(m=m, alpha=s.alpha, beta=s.beta, gamma=s.gamma, fitted=np.array(s.fc), level=s.base[-1],
                  trend=s.trend[-1], seasons=seasons, y_=y)


def point_forecast(fit: EtsFit, k: float) -> float:
    """Forecast k steps ahead; between two steps the reference interpolates linearly."""
    lo = math.floor(k)
    value = fit.at(lo)
    if k - lo >= RESOLUTION:
        value += (k - lo) * (fit.at(lo + 1) - value)
    return value


def confint(fit: EtsFit, k: float, level: float) -> float:
    """Half-width of the prediction interval: z * sigma * sqrt(1 + sum c_j^2) for ETS(A,A,A) in
    state-space form (Hyndman et al. 2008, table 6.1), c_j = a + a*b*j + g(1-a)*[j a multiple of m],
    with the smoothing constants above mapped to that form; sigma is the one-step RMSE."""
    if not 0 < level < 1:
        raise ExcelError("#NUM!", "confidence_level is between 0 and 1")
    errors = (fit.y_ - fit.fitted)[1:]
    sigma = float(np.sqrt(np.mean(errors ** 2))) if len(errors) else 0.0
    h = max(1, math.ceil(k))
    j = np.arange(1, h)
    c = fit.alpha * (1 + fit.beta * j) + (fit.gamma * (1 - fit.alpha) * (j % fit.m == 0) if fit.m else 0.0)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    return z * sigma * math.sqrt(1 + float(np.sum(c ** 2)))


STATISTICS = {1: "alpha", 2: "beta", 3: "gamma", 4: "mase", 5: "smape", 6: "mae", 7: "rmse", 8: "step",
              9: "wape", 10: "bias", 11: "season"}


def statistic(fit: EtsFit, tl: Timeline, code: int) -> float:
    """Excel's statistic codes 1-8 as the reference computes them over the one-step fit (SMAPE as a
    fraction, MASE scaled by the mean absolute step), plus 9 WAPE %, 10 bias %, 11 the season length."""
    name = STATISTICS.get(code)
    if name is None:
        raise ExcelError("#NUM!", "statistic_type is 1..11")
    if name in ("alpha", "beta", "gamma"):
        return getattr(fit, name)
    if name == "step":
        return tl.step
    if name == "season":
        return float(fit.m)
    actual, fitted = fit.y_[1:], fit.fitted[1:]
    error = np.abs(fitted - actual)
    if name == "mase":
        scale = float(np.abs(np.diff(actual)).mean()) if len(actual) > 1 else 0.0
        if scale == 0:
            raise ExcelError("#DIV/0!", "the history never changes, so MASE has no scale")
        return float(error.mean()) / scale
    if name == "smape":
        both = np.abs(fitted) + np.abs(actual)
        return float(2 * np.mean(np.divide(error, both, out=np.zeros_like(error), where=both > 0)))
    if name == "mae":
        return float(error.mean())
    if name == "rmse":
        return float(np.sqrt(np.mean(error ** 2)))
    return float(accuracy.metric(name, actual[None, :], fitted[None, :])[0])
