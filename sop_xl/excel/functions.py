"""What the worksheet functions compute, as plain Python (no xlwings): `udfs/sop_xl_udfs.py`
only attaches the xlwings decorators to these.

Arguments arrive as Excel hands them over (numbers as floats, blanks as None, ranges as
lists); results are lists (spilled by Excel) or numbers. Bad arguments give an Excel error
string ("#VALUE!", "#NUM!", "#N/A"), never an exception. Results are cached on the
arguments (converted to tuples), so a recalculation with unchanged inputs is instant.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import ets
from .ets import ExcelError

CACHE_SIZE = 4096
METRICS = ("wape", "mape", "smape", "mae", "rmse", "bias", "mase")


def excel_errors(fn: Callable) -> Callable:
    """Turn ExcelError (and any other failure) into the error string a cell shows."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ExcelError as err:
            return err.code
        except Exception:  # a bug or an input we did not foresee: a cell error, not a traceback
            return "#VALUE!"
    return wrapper


def flat(values: Any) -> tuple:
    """A range (nested lists), a list or a scalar as one flat tuple (hashable, for the cache)."""
    if values is None:
        return ()
    if isinstance(values, (list, tuple)):
        out: list = []
        for v in values:
            out.extend(flat(v) if isinstance(v, (list, tuple)) else [v])
        return tuple(out)
    if isinstance(values, np.ndarray):
        return tuple(values.ravel().tolist())
    return (values,)


def _numbers(values: tuple, what: str, *, allow_blank: bool = True) -> np.ndarray:
    out = []
    for v in values:
        if v is None or (isinstance(v, str) and v.strip() == ""):
            if not allow_blank:
                raise ExcelError("#VALUE!", f"{what} has a blank cell")
            out.append(np.nan)
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ExcelError("#VALUE!", f"{what} holds {v!r}")
        else:
            out.append(float(v))
    return np.array(out, float)


def _int_arg(value: Any, what: str, low: int, high: int, default: int | None = None) -> int:
    if value is None or value == "":
        if default is None:
            raise ExcelError("#VALUE!", f"{what} is missing")
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ExcelError("#VALUE!", f"{what} is not a whole number")
    if not low <= int(value) <= high:
        raise ExcelError("#NUM!", f"{what} is outside {low}..{high}")
    return int(value)


# ---------------------------------------------------------------- SOP_FORECAST

@excel_errors
def sop_forecast(values: Any, horizon: Any, season_length: Any = None, method: Any = None) -> list | str:
    """Point forecasts for the next `horizon` periods of one series (the core's auto-selection
    by default, or one of its methods by name). One row or one column of history: a block of
    several rows and columns is refused, not read row by row as one series."""
    if (isinstance(values, (list, tuple)) and len(values) > 1 and isinstance(values[0], (list, tuple))
            and len(values[0]) > 1):
        raise ExcelError("#VALUE!", "values is one row or one column of history")
    return _sop_forecast(flat(values), horizon, season_length, method)


@functools.lru_cache(maxsize=CACHE_SIZE)
@excel_errors
def _sop_forecast(values: tuple, horizon: Any, season_length: Any, method: Any) -> list | str:
    from ..forecast import METHODS, forecast
    y = _numbers(values, "values")
    while len(y) and np.isnan(y[-1]):
        y = y[:-1]  # trailing blanks: the history simply ends earlier
    if len(y) < 2 or np.isnan(y).all():
        raise ExcelError("#NUM!", "values needs at least 2 numbers")
    h = _int_arg(horizon, "horizon", 1, 1000)
    m = None if season_length in (None, "", 0) else _int_arg(season_length, "season_length", 1, 8760)
    name = "auto" if method in (None, "") else str(method).strip().lower()
    if name != "auto" and name not in METHODS:
        raise ExcelError("#VALUE!", f"method {method!r} is unknown")
    history = pd.DataFrame({"unique_id": "udf", "ds": pd.date_range("2000-01-01", periods=len(y), freq="MS"),
                            "y": y})
    result = forecast(history, h, season_length=m, method=name, level=())
    return [float(v) for v in result["yhat"].to_numpy()]


# ---------------------------------------------------------------- SOP_FORECAST_ETS family

@functools.lru_cache(maxsize=CACHE_SIZE)
def _ets_fit(values: tuple, timeline: tuple, seasonality: Any, data_completion: Any, aggregation: Any):
    tl = ets.regular_series(list(values), list(timeline), data_completion=_completion(data_completion),
                            aggregation=_int_arg(aggregation, "aggregation", 1, 7, 1))
    season = seasonality if seasonality not in (None, "") else 1
    if isinstance(season, bool) or not isinstance(season, (int, float)):
        raise ExcelError("#VALUE!", "seasonality is not a number")
    m = ets.season_length(tl.y, season)
    if m and len(tl.y) < 2 * m:
        m = 0
    if len(tl.y) < 4:
        raise ExcelError("#NUM!", "at least 4 regular points are needed")
    return tl, ets.fit_aaa(tl.y, m)


def _completion(value: Any) -> int:
    """data_completion is a flag: TRUE/FALSE count as 1/0, as in the spreadsheet."""
    return _int_arg(int(value) if isinstance(value, bool) else value, "data_completion", 0, 1, 1)


def _target_shape(target_date: Any) -> tuple[tuple, int | None]:
    """The targets, flat, and the width of the range they came in (None: a single value)."""
    targets = flat(target_date)
    if not targets:
        raise ExcelError("#VALUE!", "target_date is missing")
    if not isinstance(target_date, (list, tuple)):
        return targets, None
    if target_date and isinstance(target_date[0], (list, tuple)):
        return targets, len(target_date[0])
    return targets, 0  # a flat list: one row


@functools.lru_cache(maxsize=CACHE_SIZE)
def _ets_results(what: str, targets: tuple, width: int | None, values: tuple, timeline: tuple, seasonality: Any,
                 data_completion: Any, aggregation: Any, level: Any):
    probe = ets.regular_series(list(values), list(timeline), data_completion=_completion(data_completion),
                               aggregation=_int_arg(aggregation, "aggregation", 1, 7, 1))
    ks = [ets.steps_ahead(t, probe) for t in targets]
    _, fit = _ets_fit(values, timeline, seasonality, data_completion, aggregation)
    if what == "confint":
        out = [ets.confint(fit, k, float(level)) for k in ks]
    else:
        out = [ets.point_forecast(fit, k) for k in ks]
    if width is None:
        return out[0]
    if width == 0:
        return out
    return [out[i:i + width] for i in range(0, len(out), width)]


@excel_errors
def sop_forecast_ets(target_date, values, timeline, seasonality=1, data_completion=1, aggregation=1):
    targets, width = _target_shape(target_date)
    return _ets_results("forecast", targets, width, flat(values), flat(timeline), seasonality, data_completion,
                        aggregation, None)


@excel_errors
def sop_forecast_ets_confint(target_date, values, timeline, confidence_level=0.95, seasonality=1,
                             data_completion=1, aggregation=1):
    level = 0.95 if confidence_level in (None, "") else confidence_level
    if isinstance(level, bool) or not isinstance(level, (int, float)):
        raise ExcelError("#VALUE!", "confidence_level is not a number")
    targets, width = _target_shape(target_date)
    return _ets_results("confint", targets, width, flat(values), flat(timeline), seasonality, data_completion,
                        aggregation, float(level))


@excel_errors
def sop_forecast_ets_seasonality(values, timeline, data_completion=1, aggregation=1):
    tl, fit = _ets_fit(flat(values), flat(timeline), 1, data_completion, aggregation)
    return fit.m


@excel_errors
def sop_forecast_ets_stat(values, timeline, statistic_type, seasonality=1, data_completion=1, aggregation=1):
    code = _int_arg(statistic_type, "statistic_type", 1, max(ets.STATISTICS))
    tl, fit = _ets_fit(flat(values), flat(timeline), seasonality, data_completion, aggregation)
    return ets.statistic(fit, tl, code)


# ---------------------------------------------------------------- accuracy, safety stock, load

@functools.lru_cache(maxsize=CACHE_SIZE)
@excel_errors
def _accuracy(actuals: tuple, forecasts: tuple, metric: str) -> float | str:
    from ..forecast import accuracy
    if metric not in METRICS:
        raise ExcelError("#VALUE!", f"metric is one of {', '.join(METRICS)}")
    a, f = _numbers(actuals, "actuals"), _numbers(forecasts, "forecasts")
    if len(a) != len(f):
        raise ExcelError("#N/A", "actuals and forecasts differ in size")
    both = ~(np.isnan(a) | np.isnan(f))
    if not both.any():
        raise ExcelError("#N/A", "no period has both an actual and a forecast")
    a, f = a[both][None, :], f[both][None, :]
    scale = accuracy.seasonal_naive_scale(a[0], 1) if metric == "mase" else None
    value = float(accuracy.metric(metric, a, f, scale)[0])
    if not math.isfinite(value):
        raise ExcelError("#DIV/0!", "the metric is undefined for these actuals (all zero?)")
    return value


@excel_errors
def sop_accuracy(actuals, forecasts, metric="wape"):
    """wape, mape, smape, bias (in %), mae, rmse, or mase (scaled by the actuals' naive error)."""
    name = "wape" if metric in (None, "") else str(metric).strip().lower()
    return _accuracy(flat(actuals), flat(forecasts), name)


@functools.lru_cache(maxsize=CACHE_SIZE)
@excel_errors
def _safety_stock(demand: tuple, lead_time: Any, service_level: Any) -> float | str:
    from ..plan.data import safety_stock_targets
    d = _numbers(demand, "demand")
    d = d[~np.isnan(d)]
    if len(d) < 2:
        raise ExcelError("#NUM!", "demand needs at least 2 periods")
    if isinstance(lead_time, bool) or not isinstance(lead_time, (int, float)) or lead_time < 0:
        raise ExcelError("#NUM!" if isinstance(lead_time, (int, float)) else "#VALUE!", "lead_time >= 0")
    if isinstance(service_level, bool) or not isinstance(service_level, (int, float)):
        raise ExcelError("#VALUE!", "service_level is not a number")
    if not 0.5 <= service_level < 1:
        raise ExcelError("#NUM!", "service_level is between 0.5 and 1 (e.g. 0.95)")
    table = pd.DataFrame({"safety_stock_rule": ["service_level"], "safety_stock_value": [0.0],
                          "lead_time": [float(lead_time)]}, index=["udf"])
    frame = pd.DataFrame([d], index=["udf"])
    out = safety_stock_targets(table, frame, pd.Series([np.nan], index=["udf"]), float(service_level))
    return float(out.iloc[0, 0])


@excel_errors
def sop_safety_stock(demand, lead_time, service_level=0.95):
    """Units of safety stock: z(service level) x demand standard deviation x sqrt(1 + lead time),
    the plan stage's service-level rule (lead time in periods)."""
    return _safety_stock(flat(demand), lead_time, 0.95 if service_level in (None, "") else service_level)


def _matrix(values: Any, what: str) -> np.ndarray:
    rows = values if isinstance(values, (list, tuple)) and values and isinstance(values[0], (list, tuple)) \
        else [flat(values)]
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ExcelError("#VALUE!", f"{what} is not rectangular")
    return np.array([_numbers(tuple(r), what) for r in rows], float)


@excel_errors
def sop_roughcut_load(quantities, hours_per_unit, capacity=None, lead_time=None):
    """Hours of load per period (a row) from quantities (one row per item, one column per period)
    and hours per unit (one per item), as on the RoughCut sheet: with `lead_time` (whole periods,
    one value or one per item) an item loads the period its production starts, `lead_time`
    periods before its demand. With `capacity` (one value, or one per period): the load as a
    share of capacity instead (the Utilisation column)."""
    q = np.nan_to_num(_matrix(quantities, "quantities"))
    h = np.nan_to_num(_numbers(flat(hours_per_unit), "hours_per_unit"))
    if len(h) != q.shape[0]:
        if q.shape[0] == 1 and len(h) == q.shape[1]:
            q = q.T  # one period: a column of quantities against a column of hours
        else:
            raise ExcelError("#N/A", "hours_per_unit needs one value per row of quantities")
    q = _start_periods(q, lead_time)
    load = h @ q
    if capacity in (None, ""):
        return [float(x) for x in load]
    cap = _numbers(flat(capacity), "capacity")
    if len(cap) not in (1, len(load)):
        raise ExcelError("#N/A", "capacity needs one value, or one per period")
    cap = np.broadcast_to(cap, load.shape)
    if (cap <= 0).any() or np.isnan(cap).any():
        raise ExcelError("#DIV/0!", "capacity must be positive")
    return [float(x) for x in load / cap]


def _start_periods(q: np.ndarray, lead_time: Any) -> np.ndarray:
    """Move each item's quantities `lead` periods earlier, the plan stage's rough-cut rule
    (demand due inside the lead time is late already and loads nothing; the last `lead` periods
    start what the periods after the horizon need)."""
    if lead_time in (None, ""):
        return q
    lead = np.nan_to_num(_numbers(flat(lead_time), "lead_time"))
    if len(lead) not in (1, q.shape[0]):
        raise ExcelError("#N/A", "lead_time needs one value, or one per item")
    if (lead < 0).any() or (lead != np.round(lead)).any():
        raise ExcelError("#NUM!", "lead_time is a whole number of periods >= 0")
    from ..plan.horizon import production_starts  # the plan stage's own rule, no pulp import
    return production_starts(q, np.broadcast_to(lead, (q.shape[0],)).astype(int))


def cache_clear() -> None:
    for fn in (_sop_forecast, _ets_fit, _ets_results, _accuracy, _safety_stock):
        fn.cache_clear()
