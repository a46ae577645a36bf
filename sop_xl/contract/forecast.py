"""Sheets of the forecast stage (demand review): what `sop-xl forecast` writes.

Forecast is what planners and the later stages read (SKU x future periods, wide). The
interval bounds sit in a long companion table, one row per SKU, period and level, so any
Settings interval_levels fit and a filter gives one SKU's fan. ForecastChart holds the
family lines the native charts draw; Accuracy and CleansingLog explain the numbers.
"""

from __future__ import annotations

from .schema import Column, Kind, Layout, Owner, Role, Sheet

C = Column

SKU_ALIASES = ("item", "item code", "product", "material", "unique_id")
_UNITS = "#,##0"
_PERIOD = C("period", Kind.PERIOD, "Period", width=10)

FORECAST = Sheet(
    name="Forecast",
    table="tblForecast",
    role=Role.OUTPUT,
    owner=Owner.DEMAND_PLANNING,
    layout=Layout.WIDE,
    stage="forecast",
    description="Statistical forecast per SKU and future period (reconciled with the family forecasts as set in "
                "Settings). Method, flags and reason explain each row; ForecastIntervals holds the bounds.",
    key=("sku",),
    columns=(
        C("sku", Kind.TEXT, "SKU", required=True, aliases=SKU_ALIASES, width=14),
        C("family", Kind.TEXT, "Family", width=14),
        C("method", Kind.TEXT, "Method", width=16,
          description="Method picked by the backtest (ensemble: mean of the best methods, see Reason on Accuracy)."),
        C("flags", Kind.TEXT, "Flags", width=24,
          description="What cleansing or the engine did: gaps_filled, outliers_replaced, leading_zeros_dropped, "
                      "history_before_launch_dropped, short_history, fallback_method, discontinued, capped_at_3x_history_max, "
                      "negative_set_to_zero, model_failed_naive_used, reconciled, ..."),
        C("reason", Kind.TEXT, "Reason", width=60,
          description="Why this method (backtest scores), and every cap or adjustment made to its forecast."),
    ),
    period_values=C("forecast", Kind.NUMBER, "Forecast", unit="units", number_format=_UNITS, width=9),
)

FORECAST_INTERVALS = Sheet(
    name="ForecastIntervals",
    table="tblForecastIntervals",
    role=Role.OUTPUT,
    owner=Owner.DEMAND_PLANNING,
    stage="forecast",
    description="Prediction intervals of the Forecast: demand falls between Lower and Upper with the stated "
                "probability (calibrated on the backtest; see coverage rows on Accuracy).",
    key=("sku", "period", "level"),
    columns=(
        C("sku", Kind.TEXT, "SKU", aliases=SKU_ALIASES, width=14),
        C("family", Kind.TEXT, "Family", width=14),
        _PERIOD,
        C("level", Kind.INTEGER, "Level", unit="%", width=7),
        C("lower", Kind.NUMBER, "Lower", unit="units", number_format=_UNITS, width=10),
        C("forecast", Kind.NUMBER, "Forecast", unit="units", number_format=_UNITS, width=10),
        C("upper", Kind.NUMBER, "Upper", unit="units", number_format=_UNITS, width=10),
        C("error_std", Kind.NUMBER, "Error sigma", unit="units", number_format="#,##0.0", width=9,
          description="Root mean square of the forecast error this many periods ahead, from the nested backtest."),
        C("lead_error_std", Kind.NUMBER, "Error sigma to date", unit="units", number_format="#,##0.0", width=11,
          description="Root mean square of the forecast error summed from the first forecast period through this "
                      "one (nested backtest). The plan's service-level safety stock is z x this value at period "
                      "1 + lead time (Silver, Pyke & Thomas 2017: forecast error over the lead time)."),
    ),
)

FORECAST_CHART = Sheet(
    name="ForecastChart",
    table="tblForecastChart",
    role=Role.OUTPUT,
    owner=Owner.DEMAND_PLANNING,
    stage="forecast",
    description="History and forecast per product family (and the total), with the widest interval: the data "
                "behind the charts on this sheet.",
    key=("family", "period"),
    columns=(
        C("family", Kind.TEXT, "Family", width=14),
        _PERIOD,
        C("history", Kind.NUMBER, "History", unit="units", number_format=_UNITS, width=10),
        C("forecast", Kind.NUMBER, "Forecast", unit="units", number_format=_UNITS, width=10),
        C("lower", Kind.NUMBER, "Lower", unit="units", number_format=_UNITS, width=10),
        C("upper", Kind.NUMBER, "Upper", unit="units", number_format=_UNITS, width=10),
        C("level", Kind.INTEGER, "Level", unit="%", width=7),
    ),
)

ACCURACY = Sheet(
    name="Accuracy",
    table="tblAccuracy",
    role=Role.OUTPUT,
    owner=Owner.DEMAND_PLANNING,
    stage="forecast",
    description="Backtest accuracy (rolling origin, last windows of the history) per SKU, family, total and "
                "method, FVA over seasonal naive, and the empirical coverage of the intervals.",
    key=("level", "item"),
    columns=(
        C("level", Kind.TEXT, "Level", allowed=("Total", "Family", "SKU", "Method", "Coverage"), width=10),
        C("item", Kind.TEXT, "Item", width=16, description="Total, the family, the SKU, the method or the pool."),
        C("family", Kind.TEXT, "Family", width=14),
        C("demand_class", Kind.TEXT, "Demand class", width=13,
          description="smooth, erratic, intermittent, lumpy (Syntetos-Boylan), no_demand."),
        C("seasonal", Kind.TEXT, "Seasonal", width=9),
        C("method", Kind.TEXT, "Method", width=16),
        C("mape", Kind.PERCENT, "MAPE", width=9, description="Mean absolute % error over periods with demand."),
        C("wape", Kind.PERCENT, "WAPE", width=9, description="Total absolute error / total demand."),
        C("smape", Kind.PERCENT, "sMAPE", width=9),
        C("mase", Kind.NUMBER, "MASE", number_format="0.00", width=8,
          description="Mean absolute error / in-sample error of seasonal naive (below 1: better than it)."),
        C("bias", Kind.PERCENT, "Bias", width=9, description="Over (+) or under (-) forecast, % of demand."),
        C("fva", Kind.PERCENT, "FVA vs seasonal naive", width=12,
          description="WAPE of seasonal naive minus WAPE of the method (positive: the method adds value)."),
        C("coverage", Kind.PERCENT, "Coverage", width=10,
          description="Coverage rows: share of backtest demand inside the interval (cross-validated)."),
        C("interval_level", Kind.INTEGER, "Interval level", unit="%", width=9),
        C("reason", Kind.TEXT, "Reason", width=70),
    ),
)

CLEANSING_LOG = Sheet(
    name="CleansingLog",
    table="tblCleansingLog",
    role=Role.OUTPUT,
    owner=Owner.DEMAND_PLANNING,
    stage="forecast",
    description="Every history value the forecast changed before fitting, with the original and its cell on "
                "DemandHistory, so a planner can check or undo it.",
    key=("sku", "period", "action"),
    columns=(
        C("sku", Kind.TEXT, "SKU", width=14),
        C("family", Kind.TEXT, "Family", width=14),
        _PERIOD,
        C("original", Kind.NUMBER, "Original", unit="units", number_format=_UNITS, width=10),
        C("cleansed", Kind.NUMBER, "Used", unit="units", number_format=_UNITS, width=10),
        C("action", Kind.TEXT, "Action", allowed=("filled", "zeroed", "replaced"), width=10),
        C("reason", Kind.TEXT, "Reason", width=60),
        C("history_cell", Kind.TEXT, "DemandHistory cell", width=12),
    ),
)

FORECAST_SHEETS = (FORECAST, FORECAST_INTERVALS, FORECAST_CHART, ACCURACY, CLEANSING_LOG)
