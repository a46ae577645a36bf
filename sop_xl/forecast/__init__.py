"""Demand forecasting on long frames `unique_id, ds, y` (ds = start of the period).

    from sop_xl.forecast import forecast, forecast_result, backtest, cleanse, reconcile

    fc = forecast(history, h=18)           # unique_id, ds, yhat, yhat_lo_80, ..., method
    res = forecast_result(history, h=18)   # .forecasts .series .accuracy .cleansing .backtest .coverage

Per series: cleansing (gaps, negatives, leading zeros, outliers with a log), classification
(smooth / erratic / intermittent / lumpy, seasonal, short), auto-selection by rolling-origin
backtest, intervals calibrated on the backtest errors. Pure: no workbook, no xlwings.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..progress import SILENT, Progress
from . import accuracy as _accuracy
from . import frames as _frames
from .engine import COMBINE as _COMBINE, ForecastResult, prepare as _prepare, run as _run
from .hierarchy import aggregate, proportions, reconcile
from .select import LABELS, METHODS

__all__ = [
    "forecast", "forecast_result", "forecast_values", "backtest", "cleanse", "reconcile", "aggregate", "proportions",
    "ForecastResult", "BacktestReport", "METHODS", "LABELS",
]


def forecast_result(history: pd.DataFrame, h: int, *, season_length: int | None = None, level=(80, 95),
                    method: str = "auto", metric: str = "mase", n_windows: int = 3, freq: str | None = None,
                    n_jobs: int | None = 1, progress: Progress = SILENT, start=None, discontinued=(),
                    outlier_threshold: float | None = 4.0, candidates: dict | None = None,
                    backend: str | None = None, combine: int | dict | None = None) -> ForecastResult:
    """Forecast every series `h` periods ahead and keep everything the run found.

    season_length: None detects it per series (12 for months, 52 for weeks, 4 for quarters when seasonal).
    method: "auto" (best by backtest per series) or one of `METHODS` for every series.
    metric: what the auto-selection minimises: mase, wape, smape, mape, rmse, mae.
    start: first forecast period of every series (default: the period after each series' last one).
    discontinued: unique_ids that get no forecast (flagged in `.series`).
    outlier_threshold: robust standard deviations beyond which history is cleansed (None: off).
    candidates: override the auto candidates per kind, e.g. {"plain": ("ses", "theta")}.
    n_jobs / backend: processes for the fan-out; backend="dask" uses a dask.distributed Client.
    combine: method "auto" forecasts with the mean of this many best candidates by backtest (an int,
        or a dict per kind: plain, seasonal, sparse, sparse_seasonal; default `engine.COMBINE`)
        (method "ensemble", members in the reason); 1 picks the single best.
    """
    return _run(history, h, season_length=season_length, level=level, method=method, metric=metric,
                n_windows=n_windows, freq=freq, n_jobs=n_jobs, progress=progress, start=start,
                discontinued=discontinued, outlier_threshold=outlier_threshold, candidates=candidates,
                backend=backend, combine=_COMBINE if combine is None else combine)


def forecast(history: pd.DataFrame, h: int, *, season_length: int | None = None, level=(80, 95),
             method: str = "auto", metric: str = "mase", n_windows: int = 3, freq: str | None = None,
             n_jobs: int | None = 1, progress: Progress = SILENT, **options) -> pd.DataFrame:
    """Long frame unique_id, ds, yhat, yhat_lo_<L>, yhat_hi_<L> (per level), method."""
    return forecast_result(history, h, season_length=season_length, level=level, method=method, metric=metric,
                           n_windows=n_windows, freq=freq, n_jobs=n_jobs, progress=progress, **options).forecasts


def forecast_values(values, h: int, *, season_length: int | None = None, level=(80, 95), method: str = "auto",
                    period_type: str = "month", **options) -> dict:
    """One series as a plain list of numbers (oldest first; None/NaN = missing): the shape an Excel
    function gets. Returns {"mean": [...], "lo_80": [...], "hi_80": [...], ..., "method": str,
    "reason": str, "season_length": int}."""
    import numpy as np

    y = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    freq = {"month": "MS", "week": "W-MON", "quarter": "QS"}.get(period_type, "MS")
    hist = pd.DataFrame({"unique_id": "series", "ds": pd.date_range("2000-01-01", periods=len(y), freq=freq),
                         "y": y})
    res = forecast_result(hist, h, season_length=season_length, level=level, method=method, freq=period_type,
                          **options)
    out = {"mean": res.forecasts["yhat"].tolist()}
    for lv in res.levels:
        out[f"lo_{lv}"] = res.forecasts[f"yhat_lo_{lv}"].tolist()
        out[f"hi_{lv}"] = res.forecasts[f"yhat_hi_{lv}"].tolist()
    row = res.series.iloc[0]
    out.update(method=row["method"], reason=row["reason"], season_length=int(row["season_length"]))
    return out


@dataclass
class BacktestReport:
    series: pd.DataFrame    # per series: chosen method and its backtest KPIs
    methods: pd.DataFrame   # per method over every series it was backtested on, with FVA
    overall: pd.DataFrame   # one row: KPIs of the chosen methods over all series
    coverage: pd.DataFrame  # empirical interval coverage per pool and level
    backtest: pd.DataFrame  # the backtest forecasts themselves


def backtest(history: pd.DataFrame, h: int, **options) -> BacktestReport:
    """Rolling-origin accuracy of the auto-selected (or given) method, per series and overall."""
    res = forecast_result(history, h, **options)
    chosen = res.accuracy[res.accuracy["chosen"]].drop(columns="chosen")
    per_series = res.series[["unique_id", "demand_class", "method"]].merge(
        chosen.drop(columns="method"), on="unique_id", how="left")
    methods = res.accuracy.groupby("method", as_index=False)[["mape", "wape", "smape", "mase", "bias", "fva"]].mean()
    bt = res.backtest.assign(level="all")
    overall = _accuracy.summarise(bt, ["level"]) if len(bt) else pd.DataFrame()
    return BacktestReport(per_series, methods, overall, res.coverage, res.backtest)


def cleanse(history: pd.DataFrame, *, freq: str | None = None, season_length: int | None = None,
            outlier_threshold: float | None = 4.0, discontinued=()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cleansed history (unique_id, ds, y) and the log of every change with the original value."""
    panel = _frames.to_panel(history, freq)
    series, log_rows = _prepare(panel, None, 1, season_length=season_length, discontinued=discontinued,
                                outlier_threshold=outlier_threshold)
    parts = [pd.DataFrame({"unique_id": s.uid, "ds": _frames.period_starts(s.start, len(s.values)), "y": s.values})
             for s in series if len(s.values)]
    cleansed = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["unique_id", "ds", "y"])
    from .cleanse import LOG_COLUMNS
    log = pd.DataFrame(log_rows, columns=LOG_COLUMNS)
    log["ds"] = pd.to_datetime(log["ds"].map(lambda q: q.to_timestamp(how="start")))
    return cleansed, log
