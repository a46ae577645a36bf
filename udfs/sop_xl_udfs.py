"""sop_xl worksheet functions for Excel (xlwings UDFs, Windows).

Registered by the template's `xlwings.conf` sheet (UDF Modules = sop_xl_udfs) or by the
xlwings add-in's "Import Functions". Thin on purpose: each function only declares how
Excel hands over its arguments and shapes the result; the computing is in
`sop_xl.excel.functions` (plain Python, tested without Excel), which calls the forecast
and plan cores. On Linux and in tests the xlwings decorators are pass-through.

Excel names are the Python names (upper case, as Excel shows functions).
"""
# ruff: noqa: N802  (Excel function names are upper case)

from __future__ import annotations

import xlwings as xw

from sop_xl.excel import functions as f


def _spill_like(values, result):
    """A row of history spills its forecast to the right, a column spills down."""
    if isinstance(result, str):
        return result  # an Excel error value
    is_row = isinstance(values, list) and len(values) == 1 and isinstance(values[0], list) and len(values[0]) > 1
    return [result] if is_row else [[v] for v in result]


@xw.func(category="sop_xl")
@xw.arg("values", ndim=2, doc="History, one row or one column, oldest first")
@xw.arg("horizon", doc="Number of periods to forecast")
@xw.arg("season_length", doc="Season length, e.g. 12 for months; blank detects it")
@xw.arg("method", doc="auto (default) or a method name, e.g. ses, holt_damped, hw_add, croston")
def SOP_FORECAST(values, horizon, season_length=None, method="auto"):
    """Point forecasts of the next `horizon` periods, spilled beside (row) or below (column) the history."""
    return _spill_like(values, f.sop_forecast(values, horizon, season_length, method))


@xw.func(category="sop_xl")
@xw.arg("target_date", ndim=2, doc="Date (or dates) to forecast, after the last timeline point")
@xw.arg("values", ndim=1, doc="Historical values")
@xw.arg("timeline", ndim=1, doc="Dates or numbers with a constant step (calendar months are fine)")
@xw.arg("seasonality", doc="1 detects the season (default), 0 none, or a season length")
@xw.arg("data_completion", doc="1 interpolates missing points (default), 0 uses zeros")
@xw.arg("aggregation", doc="Duplicates: 1 average (default), 2 count, 3 counta, 4 max, 5 median, 6 min, 7 sum")
def SOP_FORECAST_ETS(target_date, values, timeline, seasonality=1, data_completion=1, aggregation=1):
    """Like FORECAST.ETS: additive exponential smoothing (AAA) forecast for target_date."""
    return f.sop_forecast_ets(target_date, values, timeline, seasonality, data_completion, aggregation)


@xw.func(category="sop_xl")
@xw.arg("target_date", ndim=2)
@xw.arg("values", ndim=1)
@xw.arg("timeline", ndim=1)
@xw.arg("confidence_level", doc="Between 0 and 1, default 0.95")
def SOP_FORECAST_ETS_CONFINT(target_date, values, timeline, confidence_level=0.95, seasonality=1,
                             data_completion=1, aggregation=1):
    """Like FORECAST.ETS.CONFINT: half-width of the prediction interval at target_date."""
    return f.sop_forecast_ets_confint(target_date, values, timeline, confidence_level, seasonality,
                                      data_completion, aggregation)


@xw.func(category="sop_xl")
@xw.arg("values", ndim=1)
@xw.arg("timeline", ndim=1)
def SOP_FORECAST_ETS_SEASONALITY(values, timeline, data_completion=1, aggregation=1):
    """Like FORECAST.ETS.SEASONALITY: the season length detected (0: no season)."""
    return f.sop_forecast_ets_seasonality(values, timeline, data_completion, aggregation)


@xw.func(category="sop_xl")
@xw.arg("values", ndim=1)
@xw.arg("timeline", ndim=1)
@xw.arg("statistic_type", doc="1 alpha, 2 beta, 3 gamma, 4 MASE, 5 SMAPE, 6 MAE, 7 RMSE, 8 step, "
                              "9 WAPE, 10 bias, 11 season length")
def SOP_FORECAST_ETS_STAT(values, timeline, statistic_type, seasonality=1, data_completion=1, aggregation=1):
    """Like FORECAST.ETS.STAT, with more statistics (9 WAPE %, 10 bias %, 11 season length)."""
    return f.sop_forecast_ets_stat(values, timeline, statistic_type, seasonality, data_completion, aggregation)


@xw.func(category="sop_xl")
@xw.arg("actuals", ndim=1)
@xw.arg("forecasts", ndim=1)
@xw.arg("metric", doc="wape (default), mape, smape, bias (all in %), mae, rmse or mase")
def SOP_ACCURACY(actuals, forecasts, metric="wape"):
    """Forecast accuracy over the periods that have both an actual and a forecast."""
    return f.sop_accuracy(actuals, forecasts, metric)


@xw.func(category="sop_xl")
@xw.arg("demand", ndim=1, doc="Demand per period (history or forecast errors)")
@xw.arg("lead_time", doc="Lead time in periods")
@xw.arg("service_level", doc="Cycle service level, e.g. 0.95")
def SOP_SAFETY_STOCK(demand, lead_time, service_level=0.95):
    """Safety stock in units: z(service level) x standard deviation x sqrt(1 + lead time)."""
    return f.sop_safety_stock(demand, lead_time, service_level)


@xw.func(category="sop_xl")
@xw.arg("quantities", ndim=2, doc="One row per item, one column per period")
@xw.arg("hours_per_unit", ndim=1, doc="Hours per unit, one per item")
@xw.arg("capacity", doc="Optional: hours available, one value or one per period")
@xw.arg("lead_time", ndim=1, doc="Optional: periods between production start and demand, one or one per item")
def SOP_ROUGHCUT_LOAD(quantities, hours_per_unit, capacity=None, lead_time=None):
    """Load hours per period, or the load as a share of capacity when capacity is given (spills a row)."""
    result = f.sop_roughcut_load(quantities, hours_per_unit, capacity, lead_time)
    return result if isinstance(result, str) else [result]
