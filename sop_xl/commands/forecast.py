"""`sop-xl forecast` / the Forecast button: statistical forecast per SKU, written into the workbook.

Reads Settings, Items and DemandHistory; forecasts every SKU (auto-selected by backtest),
the families and the total; reconciles them as Settings say; writes Forecast (wide),
ForecastIntervals, ForecastChart (with one native line chart per family), Accuracy and
CleansingLog. Items with status discontinued get no forecast and are flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from .. import periods
from ..charts import ChartSpec, Series
from ..contract import ITEMS, SETTINGS
from ..contract.forecast import ACCURACY, CLEANSING_LOG, FORECAST, FORECAST_CHART, FORECAST_INTERVALS
from ..forecast import METHODS, aggregate, forecast_result, reconcile
from ..forecast import accuracy as kpi
from ..forecast.hierarchy import TOTAL
from ..io.protocol import WorkbookAdapter
from ..io.tables import read_history, read_settings, read_table, to_wide
from ..issues import IssueCode, IssueLog
from ..progress import SILENT, Progress
from .base import StageResult

NO_FAMILY = "(no family)"
MAX_CHARTS = 24        # one chart per family; beyond this the sheet gets unreadable
CHART_HISTORY = 36     # history periods shown before the forecast on the charts
# one process by default: on the 2-core reference machine a second process gained nothing measurable
# for 1,000 SKUs (2.6 s on one, 2.1-2.8 s on two, issue 16); pass n_jobs to fan out on bigger machines
DEFAULT_JOBS = 1


def run_forecast(book: WorkbookAdapter, *, progress: Progress = SILENT, n_jobs: int | None = None,
                 backend: str | None = None) -> StageResult:
    log = IssueLog()
    settings, items, history, options = read_demand_inputs(book, log, purpose="to forecast from")

    pt = settings.period_type
    family_of = _families(items, history, log)
    status = dict(zip(items["sku"].astype(str), items["status"].fillna("active")))
    history["unique_id"] = history["unique_id"].astype(str)
    dropped = sorted(u for u in history["unique_id"].unique() if status.get(u) == "discontinued")
    h = int(settings.horizon)
    start, fit_start, fit_h = _forecast_window(settings, history, log)
    jobs = n_jobs if n_jobs is not None else DEFAULT_JOBS
    common = dict(season_length=options["season_length"], level=settings.interval_levels, metric=options["metric"],
                  n_windows=int(settings.backtest_windows), freq=pt, start=fit_start,
                  outlier_threshold=settings.outlier_threshold)

    res = forecast_result(history[["unique_id", "ds", "y"]], fit_h, method=options["method"], n_jobs=jobs,
                          backend=backend, progress=progress, discontinued=dropped, **common)
    # families and the total from the cleansed SKU history (discontinued SKUs sell no more)
    fam_hist = aggregate(res.history, family_of)
    fam = forecast_result(fam_hist, fit_h, **common)
    tot = forecast_result(fam_hist.assign(unique_id=TOTAL).groupby(["unique_id", "ds"], as_index=False)["y"].sum(),
                          fit_h, **common)
    sku_fc, fam_fc = reconcile(res.forecasts, family_of, res.history, settings.reconciliation,
                               family_forecast=fam.forecasts, total_forecast=tot.forecasts)
    sku_fc = sku_fc.assign(method=res.forecasts["method"].to_numpy())
    changed = _reconciled(res.forecasts, sku_fc, settings.reconciliation)
    sku_fc = sku_fc[sku_fc["ds"] >= start].reset_index(drop=True)
    fam_fc = fam_fc[fam_fc["ds"] >= start].reset_index(drop=True)

    levels = tuple(sorted(settings.interval_levels))
    forecast_sheet = _forecast_sheet(sku_fc, res.series, family_of, pt, changed)
    intervals = _intervals(sku_fc, family_of, levels, res.errors)
    chart_data, charts = _chart_data(res.history, fam_hist, fam_fc, levels, pt)
    acc = _accuracy_table(res, family_of)
    clog = _cleansing_log(res.cleansing, history, family_of)

    book.write_table(FORECAST, forecast_sheet, period_type=pt)
    book.write_table(FORECAST_INTERVALS, intervals, period_type=pt)
    book.write_table(FORECAST_CHART, chart_data, period_type=pt, charts=charts)
    book.write_table(ACCURACY, acc, period_type=pt)
    book.write_table(CLEANSING_LOG, clog, period_type=pt)

    _report(res, log)
    return StageResult(
        stage="forecast",
        summary=_summary(res, acc, settings, h, start, pt),
        issues=list(log),
        sheets=[s.name for s in (FORECAST, FORECAST_INTERVALS, FORECAST_CHART, ACCURACY, CLEANSING_LOG)],
        data={"forecasts": sku_fc, "families": fam_fc, "series": res.series, "accuracy": acc,
              "cleansing": res.cleansing, "coverage": res.coverage, "result": res},
    )


def _forecast_window(settings, history: pd.DataFrame, log: IssueLog):
    """(first period written, first period fitted, periods fitted) from Settings and the history;
    a gap or an overlap between the two is reported."""
    pt = settings.period_type
    h = int(settings.horizon)
    after_history = periods.shift(history.loc[history["y"].notna(), "ds"].max(), 1, pt)
    start = settings.first_forecast_period or after_history
    lead = periods.periods_between(after_history, start, pt)
    if lead > 0:
        # periods between the history and the first forecast period are unknown, not zero:
        # forecast from the end of the history and keep the periods asked for
        log.info("forecast_lead_periods", f"History ends {lead} period(s) before the first forecast period "
                 f"{periods.label(start, pt)}; those periods are forecast too but not written.",
                 "Paste the missing history, or set first_forecast_period blank.", sheet=SETTINGS.name,
                 cell=settings.cell("first_forecast_period"), row_key="first_forecast_period")
    elif lead < 0:
        log.info("forecast_history_ignored", f"History from {periods.label(start, pt)} on is not used: the first "
                 "forecast period is set earlier.", "Set first_forecast_period blank to use all the history.",
                 sheet=SETTINGS.name, cell=settings.cell("first_forecast_period"), row_key="first_forecast_period")
    fit_start = after_history if lead > 0 else start
    return start, fit_start, h + max(lead, 0)


# ---------------------------------------------------------------- reading

def read_demand_inputs(book: WorkbookAdapter, log: IssueLog, *, purpose: str):
    """Settings, Items, DemandHistory and the forecast options, raising once with every problem.
    `purpose` ends the message for a history without numbers ("to forecast from")."""
    settings = read_settings(book, log)
    items = read_table(book, ITEMS, log)
    history = read_history(book, settings, log)
    options = forecast_options(settings, log)
    if history["y"].notna().sum() == 0 and not log.has_errors:
        log.error(IssueCode.MISSING_VALUE, f"DemandHistory has no numbers {purpose}.",
                  "Paste one row per SKU and one column per past period (oldest first).", sheet="DemandHistory")
    log.raise_if_errors()
    return settings, items, history, options


def forecast_options(settings, log: IssueLog) -> dict:
    """The forecast's method, metric and season length from Settings; an unknown method is an error at its
    cell. Also called by validate, so both refuse the same settings."""
    method = str(settings.forecast_method or "auto").strip().lower().replace(" ", "_").replace("-", "_")
    if method != "auto" and method not in METHODS:
        log.error("forecast_unknown_method", f"Forecast method {settings.forecast_method!r} is not known.",
                  f"Write auto, or one of: {', '.join(METHODS)}.", sheet=SETTINGS.name,
                  cell=settings.cell("forecast_method"), row_key="forecast_method", value=settings.forecast_method)
    season = settings.season_length
    return {"method": method, "metric": str(settings.forecast_metric or "mase").lower(),
            "season_length": int(season) if season else None}


def _families(items: pd.DataFrame, history: pd.DataFrame, log: IssueLog) -> pd.Series:
    family_of = pd.Series(items["family"].fillna(NO_FAMILY).astype(str).to_numpy(),
                          index=items["sku"].astype(str).to_numpy())
    family_of = family_of[~family_of.index.duplicated()]
    unknown = sorted(set(history["unique_id"].astype(str)) - set(family_of.index))
    for uid in unknown:
        cell = history.loc[history["unique_id"].astype(str) == uid, "cell"].iloc[0]
        row = "".join(ch for ch in str(cell) if ch.isdigit())
        log.warning(IssueCode.UNKNOWN_KEY, f"SKU {uid!r} has history but is not in Items: it is forecast without "
                    "a family.", "Add the SKU to Items with its family.", sheet="DemandHistory",
                    cell=f"A{row}" if row else "", row_key=uid)
    if unknown:
        family_of = pd.concat([family_of, pd.Series(NO_FAMILY, index=unknown)])
    return family_of


# ---------------------------------------------------------------- tables

def _reconciled(base: pd.DataFrame, final: pd.DataFrame, how: str) -> dict[str, str]:
    """SKU -> note, for SKUs whose forecast the reconciliation moved by more than 0.5 % in total."""
    a = base.assign(unique_id=base["unique_id"].astype(str)).groupby("unique_id")["yhat"].sum()
    b = final.assign(unique_id=final["unique_id"].astype(str)).groupby("unique_id")["yhat"].sum()
    b = b.reindex(a.index)
    moved = (b - a).abs() > 0.005 * a.abs().clip(lower=1e-9)
    return {u: f"ADJUSTED: reconciliation ({how}) changed the horizon total from {a[u]:,.0f} to {b[u]:,.0f}"
            for u in a.index[moved.fillna(False).to_numpy()]}


def _forecast_sheet(sku_fc: pd.DataFrame, series: pd.DataFrame, family_of: pd.Series, pt: str,
                    reconciled: dict | None = None) -> pd.DataFrame:
    wide = to_wide(sku_fc.rename(columns={"unique_id": "sku"}), ["sku"], "yhat", period_type=pt)
    info = series.rename(columns={"unique_id": "sku"})[["sku", "method", "flags", "reason"]].copy()
    info["sku"] = info["sku"].astype(str)
    for sku, note in (reconciled or {}).items():
        row = info["sku"] == sku
        info.loc[row, "flags"] = [", ".join(x for x in (f, "reconciled") if x) for f in info.loc[row, "flags"]]
        info.loc[row, "reason"] = [f"{r}; {note}" if r else note for r in info.loc[row, "reason"]]
    out = info.merge(wide, on="sku", how="left")  # discontinued SKUs: a row with blank periods
    out.insert(1, "family", out["sku"].map(family_of).fillna(NO_FAMILY))
    labels = [c for c in wide.columns if c != "sku"]
    out[labels] = out[labels].astype(float)
    return out.sort_values(["family", "sku"], kind="stable").reset_index(drop=True)


def _intervals(sku_fc: pd.DataFrame, family_of: pd.Series, levels, errors: pd.DataFrame) -> pd.DataFrame:
    # error sizes count from the end of the history (the forecast origin), also when the first
    # period written lies later (lead periods)
    err = errors.assign(unique_id=errors["unique_id"].astype(str))
    keyed = sku_fc.assign(unique_id=sku_fc["unique_id"].astype(str)).merge(
        err[["unique_id", "ds", "error_std", "lead_error_std"]], on=["unique_id", "ds"], how="left")
    parts = []
    for lv in levels:
        parts.append(pd.DataFrame({
            "sku": keyed["unique_id"], "family": keyed["unique_id"].map(family_of).fillna(NO_FAMILY),
            "period": keyed["ds"], "level": int(lv), "lower": keyed[f"yhat_lo_{lv}"],
            "forecast": keyed["yhat"], "upper": keyed[f"yhat_hi_{lv}"], "error_std": keyed["error_std"],
            "lead_error_std": keyed["lead_error_std"]}))
    cols = [c.name for c in FORECAST_INTERVALS.columns]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts).sort_values(["family", "sku", "period", "level"], kind="stable")[cols].reset_index(
        drop=True)


def _chart_data(sku_hist: pd.DataFrame, fam_hist: pd.DataFrame, fam_fc: pd.DataFrame, levels, pt: str
                ) -> tuple[pd.DataFrame, list[ChartSpec]]:
    level = max(levels) if levels else None
    hist = pd.concat([fam_hist, sku_hist.assign(unique_id=TOTAL).groupby(["unique_id", "ds"], as_index=False)["y"].sum()])
    parts = []
    names = [f for f in sorted(fam_fc["unique_id"].unique()) if f != TOTAL] + [TOTAL]
    for name in names:
        h = hist[hist["unique_id"] == name].sort_values("ds").tail(CHART_HISTORY)
        f = fam_fc[fam_fc["unique_id"] == name].sort_values("ds")
        lo = f[f"yhat_lo_{level}"] if level else np.nan
        hi = f[f"yhat_hi_{level}"] if level else np.nan
        parts.append(pd.DataFrame({"family": name, "period": h["ds"], "history": h["y"], "forecast": np.nan,
                                   "lower": np.nan, "upper": np.nan, "level": np.nan}))
        # the forecast line starts at the last actual so the two lines join on the chart
        if len(h):
            parts[-1].iloc[-1, parts[-1].columns.get_loc("forecast")] = h["y"].iloc[-1]
        parts.append(pd.DataFrame({"family": name, "period": f["ds"], "history": np.nan, "forecast": f["yhat"],
                                   "lower": lo, "upper": hi, "level": level}))
    cols = [c.name for c in FORECAST_CHART.columns]
    data = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    data["level"] = data["level"].astype(float)
    charts = []
    width = len(FORECAST_CHART.columns) + 2
    for n, name in enumerate(names[:MAX_CHARTS]):
        rows = np.flatnonzero(data["family"].to_numpy() == name)
        if not len(rows):
            continue
        band = f" ({level}% interval)" if level else ""
        charts.append(ChartSpec(
            title=f"{name}: history and forecast{band}", data_sheet=FORECAST_CHART.name, categories="period",
            series=(Series("history", "History", "1F77B4"), Series("forecast", "Forecast", "FF7F0E"),
                    Series("lower", f"Lower {level}%", "7F7F7F", dashed=True),
                    Series("upper", f"Upper {level}%", "7F7F7F", dashed=True)),
            kind="line", rows=(int(rows[0]), int(rows[-1]) + 1), y_title="units",
            anchor=f"{get_column_letter(width)}{4 + n * 16}"))
    return data, charts


def _accuracy_table(res, family_of: pd.Series) -> pd.DataFrame:
    series = res.series.assign(unique_id=res.series["unique_id"].astype(str))
    series["family"] = series["unique_id"].map(family_of).fillna(NO_FAMILY)
    series["seasonal"] = np.where(series["seasonal"], "yes", "no")
    chosen = res.accuracy[res.accuracy["chosen"]].assign(unique_id=lambda d: d["unique_id"].astype(str))
    pct = ["mape", "wape", "smape", "bias", "fva"]
    sku = series.merge(chosen.drop(columns=["method", "chosen"]), on="unique_id", how="left")
    sku = sku.assign(level="SKU", item=sku["unique_id"])
    rows = [sku]
    bt = res.backtest.assign(unique_id=res.backtest["unique_id"].astype(str))
    if len(bt):
        bt["family"] = bt["unique_id"].map(family_of).fillna(NO_FAMILY)
        fam = kpi.summarise(bt, ["family"]).assign(level="Family")
        fam["item"] = fam["family"]
        total = kpi.summarise(bt.assign(all="Total"), ["all"]).assign(level="Total", item="Total", family="")
        rows = [total, fam, sku]
    methods = res.accuracy.groupby("method", as_index=False)[["mape", "wape", "smape", "mase", "bias", "fva"]].mean()
    counts = res.accuracy[res.accuracy["chosen"]].groupby("method").size()
    methods = methods.assign(level="Method", item=methods["method"], family="",
                             reason=[f"chosen for {int(counts.get(m, 0))} SKU(s); mean over every SKU backtested "
                                     f"with it" for m in methods["method"]])
    cov = res.coverage.assign(level="Coverage", item=res.coverage["pool"], family="",
                              interval_level=res.coverage["level"], coverage=res.coverage["coverage"] / 100.0)
    cov = cov.drop(columns=["pool"]).assign(reason=[f"{int(p)} backtest errors, cross-validated"
                                                   for p in res.coverage["points"]])
    cov = cov.drop(columns=["points"])
    cov["level"] = "Coverage"
    out = pd.concat([*rows, methods, cov], ignore_index=True)
    cols = [c.name for c in ACCURACY.columns]
    for c in cols:
        if c not in out.columns:
            out[c] = np.nan
    out[pct] = out[pct].astype(float) / 100.0
    for c in ("mase", "coverage", "interval_level"):
        out[c] = out[c].astype(float)
    for c in ("family", "demand_class", "seasonal", "method", "reason", "item"):
        out[c] = out[c].where(out[c].notna(), "").astype(str)
    return out[cols]


def _cleansing_log(log: pd.DataFrame, history: pd.DataFrame, family_of: pd.Series) -> pd.DataFrame:
    cols = [c.name for c in CLEANSING_LOG.columns]
    if log.empty:
        return pd.DataFrame(columns=cols)
    cells = history.assign(unique_id=history["unique_id"].astype(str)).set_index(["unique_id", "ds"])["cell"]
    cells = cells[~cells.index.duplicated()]
    out = log.rename(columns={"unique_id": "sku", "ds": "period"}).copy()
    out["sku"] = out["sku"].astype(str)
    out["family"] = out["sku"].map(family_of).fillna(NO_FAMILY)
    out["history_cell"] = [cells.get((s, p), "") for s, p in zip(out["sku"], out["period"])]
    return out[cols].reset_index(drop=True)


# ---------------------------------------------------------------- messages

def _report(res, log: IssueLog) -> None:
    for row in res.series.itertuples(index=False):
        flags = str(row.flags)
        if "discontinued" in flags:
            log.info(IssueCode.FORECAST_FALLBACK, f"SKU {row.unique_id} is discontinued: no forecast.",
                     "Set its Status in Items to active to forecast it again.", sheet=ITEMS.name,
                     row_key=str(row.unique_id))
        elif "fallback_method" in flags or "no_history" in flags:
            log.warning(IssueCode.FORECAST_FALLBACK,
                        f"SKU {row.unique_id}: {row.reason}.",
                        "Check its history in DemandHistory; more periods give a better forecast.",
                        sheet="DemandHistory", row_key=str(row.unique_id))


def _summary(res, acc: pd.DataFrame, settings, h: int, start, pt: str) -> list[str]:
    n = int((res.series["method"] != "").sum())
    lines = [f"forecast: {n} SKU(s), {h} periods from {periods.label(start, pt)}, "
             f"reconciliation {settings.reconciliation}"]
    total = acc[acc["level"] == "Total"]
    if len(total):
        t = total.iloc[0]
        lines.append(f"  backtest: WAPE {100 * t['wape']:.1f}%, MASE {t['mase']:.2f}, bias {100 * t['bias']:+.1f}%")
    cov = res.coverage.groupby("level")["coverage"].mean()
    if len(cov):
        lines.append("  interval coverage: " + ", ".join(f"{lv}% -> {c:.0f}%" for lv, c in cov.items()))
    top = res.series.loc[res.series["method"] != "", "method"].value_counts().head(4)
    if len(top):
        lines.append("  methods: " + ", ".join(f"{m} {c}" for m, c in top.items()))
    cleaned = len(res.cleansing)
    if cleaned:
        lines.append(f"  cleansing: {cleaned} history value(s) changed (see CleansingLog)")
    return lines


__all__ = ["run_forecast"]
