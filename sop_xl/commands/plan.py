"""`sop-xl roughcut` and `sop-xl plan`: the supply review against a workbook.

Demand comes from the first of: the Consensus sheet (its Final column), the Forecast sheet
the forecast stage writes (wide: SKU, ..., one column per future period), the Demand input
sheet. Everything else is the contract's input sheets.
"""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pandas as pd
from openpyxl.utils import get_column_letter

from ..charts import ChartSpec, Series
from .. import periods
from ..contract import (CAPACITY_CALENDAR, INVENTORY, ISSUES, ITEMS, RESOURCES, ROUTING, RUN_LOG, WORKBOOK,
                        WORKFORCE)
from ..contract.plan import (CAPACITY, DEMAND, PLAN_COST, PLAN_EXPLAIN, PLAN_RUN, ROUGH_CUT, SCHEDULED_RECEIPTS,
                             SUPPLY_PLAN, WORKFORCE_PLAN)
from ..contract.schema import Sheet
from ..gc_pause import gc_paused
from ..io.protocol import WorkbookAdapter
from ..io.tables import read_settings, read_table, read_wide
from ..issues import InputError, Issue, IssueCode, IssueLog, Severity
from ..progress import SILENT, Progress
from .base import StageResult

MAX_CHARTS = 4

def _view(name: str, columns: tuple[str, ...]) -> Sheet:
    """How the plan reads a sheet another stage owns: that stage's own contract declaration (headers,
    aliases, table name), narrowed to the columns the plan needs, so a column the plan does not use
    can never make the read fail. Nothing about the sheet is declared twice."""
    declared = WORKBOOK.sheet(name)
    keep = tuple(declared.column(c) for c in columns)
    return replace(declared, columns=keep, key=tuple(k for k in declared.key if k in columns))


_CONSENSUS = _view("Consensus", ("sku", "period", "final", "statistical"))
_FORECAST = _view("Forecast", ("sku",))  # wide: the period columns come from its period_values
# the safety-stock sigma needs three columns of ForecastIntervals (level stays: it is part of the row key)
_INTERVALS = _view("ForecastIntervals", ("sku", "period", "level", "lead_error_std"))


def run_roughcut(book: WorkbookAdapter, *, progress: Progress = SILENT) -> StageResult:
    from ..plan import build_plan_data, rough_cut

    progress.start("Rough-cut capacity check", 3)
    log = IssueLog()
    inputs = _read_inputs(book, log)
    progress.advance()
    data, issues = build_plan_data(**inputs.frames, settings=inputs.settings, demand_sheet=inputs.source,
                                   check_costs=False)
    all_issues = _merge(log, issues)
    if data is None:
        raise InputError(all_issues)
    table = rough_cut(data)
    progress.advance()
    book.write_table(ROUGH_CUT, table, charts=_load_charts(ROUGH_CUT, table, "load_hours"))
    progress.finish()
    over = table[table["status"] == "overload"]
    overtime = table[table["status"] == "overtime"]
    summary = [f"roughcut: {table['resource'].nunique()} resources x {len(data.labels)} periods, demand from "
               f"{inputs.source}; {len(overtime)} need overtime, {len(over)} overloaded"]
    for row in over.sort_values("shortfall_hours", ascending=False).head(5).itertuples():
        summary.append(f"  {row.resource} overloaded in {row.period}: {row.shortfall_hours:,.0f} h beyond "
                       "regular + overtime")
    for row in over.itertuples():
        all_issues.append(Issue(Severity.WARNING, "plan_overload", f"{row.resource} is overloaded in {row.period}: "
                                f"load {row.load_hours:,.0f} h, regular + overtime "
                                f"{row.regular_capacity + row.overtime_capacity:,.0f} h.",
                                "Run the plan to level the load, or add capacity.", sheet=ROUGH_CUT.name,
                                row_key=f"{row.resource}, {row.period}"))
    return StageResult(stage="roughcut", summary=summary, issues=all_issues, sheets=[ROUGH_CUT.name],
                       data={"roughcut": table})


def run_plan(book: WorkbookAdapter, *, progress: Progress = SILENT, solver: str | None = None,
             time_limit: float | None = None) -> StageResult:
    with gc_paused():  # the model's objects all stay alive: collections would only slow the build
        return _run_plan(book, progress=progress, solver=solver, time_limit=time_limit)


def _run_plan(book: WorkbookAdapter, *, progress: Progress, solver: str | None,
              time_limit: float | None) -> StageResult:
    from ..plan import build_plan_data, solve_plan_within_limit

    progress.start("Supply plan", 4)
    log = IssueLog()
    inputs = _read_inputs(book, log)
    progress.advance()
    data, issues = build_plan_data(**inputs.frames, settings=inputs.settings, demand_sheet=inputs.source)
    all_issues = _merge(log, issues)
    if data is None:
        raise InputError(all_issues)
    progress.advance()
    result = _solve_while_preparing_save(book, data, solver=solver, time_limit=time_limit)
    progress.advance()
    result.run["demand_source"] = inputs.source
    result.run["issues"] = len(all_issues) + len(result.issues)
    pt = data.settings.period_type
    summary = _plan_summary(result, inputs.source)
    add_plan_notes(result, data, sized_from_forecast="error_std" in inputs.frames["demand"].columns)
    from .plan_tables import write_plan_tables  # the one writer of the plan sheets (also used by a promotion)
    written = write_plan_tables(book, result, period_type=pt)
    progress.finish()
    return StageResult(stage="plan", summary=summary, issues=all_issues + result.issues,
                       sheets=written, data={"result": result, "plan_data": data},
                       keep_on_failure=[PLAN_RUN.name, PLAN_EXPLAIN.name])


def add_plan_notes(result, data, *, sized_from_forecast: bool) -> None:
    """A feasible plan's PlanExplain also says how its rates were read (a yearly rate converted to the
    workbook's period) and, when the forecast's error sized them, how safety stocks were sized. The plan and
    a promoted scenario both call this, so PlanExplain reads the same whichever wrote it."""
    if result.supply_plan.empty:
        return
    notes = [pd.DataFrame(list(data.notes))] if data.notes else []
    if sized_from_forecast:
        notes.append(_safety_stock_note(data))
    parts = [f for f in (result.explanation, *notes) if f is not None and not f.empty]
    if parts:
        result.explanation = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


# what a feasible plan command stages: the plan sheets, then the Issues and RunLog sheets of every command
_PLAN_COMMAND_SHEETS = (SUPPLY_PLAN.name, CAPACITY.name, WORKFORCE_PLAN.name, PLAN_COST.name, PLAN_EXPLAIN.name,
                        PLAN_RUN.name, ISSUES.name, RUN_LOG.name)


def _solve_while_preparing_save(book: WorkbookAdapter, data, *, solver: str | None, time_limit: float | None):
    """`solve_plan_within_limit`, in a worker thread while this one opens the workbook for the save that
    follows. HiGHS releases the GIL while it runs, so once it has started (`SOLVER_STARTED`; not before:
    the model build would wait for the GIL) the second core opens the file meanwhile (0.1-0.2 s of a
    500-SKU plan command, bench/plan_bench.py). An adapter without `prepare_save`, or a save that ends up
    writing other sheets (an infeasible plan, several stages in one run), opens the file itself as before."""
    from ..plan import solve_plan_within_limit
    from ..plan.solve import SOLVER_STARTED

    prepare = getattr(book, "prepare_save", None)
    if prepare is None:
        return solve_plan_within_limit(data, solver=solver, time_limit=time_limit)
    started = threading.Event()
    token = SOLVER_STARTED.set(started)
    try:  # the worker runs in a copy of this context: the progress listener (sop_xl.progress) and the event
        context = contextvars.copy_context()
    finally:
        SOLVER_STARTED.reset(token)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sop-xl-plan") as pool:
        solving = pool.submit(context.run, solve_plan_within_limit, data, solver=solver, time_limit=time_limit)
        while not started.wait(0.01) and not solving.done():
            pass
        if not solving.done():
            try:
                prepare(_PLAN_COMMAND_SHEETS + tuple(getattr(book, "staged", ())))
            except Exception:  # only a head start: save() opens the file again and reports what is wrong
                pass
        return solving.result()


def _safety_stock_note(data) -> pd.DataFrame | None:
    """One PlanExplain row saying how service-level safety stocks were sized, with the formula and its
    source, so a planner can check a target against the ForecastIntervals sheet (no row without any)."""
    from statistics import NormalDist

    from ..forecast.intervals import SAFETY_STOCK_FORMULA
    if "safety_stock_rule" not in data.items.columns:
        return None
    rule = data.items["safety_stock_rule"].fillna("none").astype(str).str.lower()
    skus = rule.index[(rule == "service_level").to_numpy()]
    if len(skus) == 0:
        return None
    level = data.settings.service_level
    message = (f"Safety stock of {len(skus)} SKU(s) with rule service_level, at {level:.1%} service "
               f"(z = {NormalDist().inv_cdf(level):.3f}): {SAFETY_STOCK_FORMULA}.")
    return pd.DataFrame([dict(requirement="safety stock", key=f"{len(skus)} SKU(s)", unit="units", message=message,
                              hint="sigma_LT per SKU is ForecastIntervals' Error sigma to date at step 1 + lead "
                                   "time; change the Service level setting or an item's Safety stock rule.",
                              sheet=ITEMS.name, column="Safety stock rule")])


def _plan_summary(result, source: str) -> list[str]:
    run = result.run
    head = (f"plan: {run['status']} ({run['solver']}, {run['solve_seconds']:.2f} s solve, "
            f"{run['build_seconds']:.2f} s build) - {run['items']} items x {run['periods']} periods x "
            f"{run['resources']} resources, demand from {source}")
    lines = [head]
    if run.get("objective") is not None:
        label = "margin" if run["objective_type"] == "max_margin" else "total cost"
        lines.append(f"  {label} {run['objective']:,.2f}")  # the status already says the gap
    if run.get("message"):
        lines.append(f"  {run['message']}")
    if not result.explanation.empty:
        if result.supply_plan.empty:
            lines.append("  the plan is infeasible because:")
        lines.extend(f"  - {m}" for m in result.explanation["message"])
    return lines


def _load_charts(sheet: Sheet, table: pd.DataFrame, load_column: str) -> list[ChartSpec]:
    """Load vs capacity per resource, for the busiest resources (rows of one resource are contiguous)."""
    if table.empty:
        return []
    peak = (table[load_column] / table["regular_capacity"].where(table["regular_capacity"] > 0)).groupby(
        table["resource"], sort=False).max().fillna(0.0)
    charts = []
    positions = {r: i for i, r in enumerate(table["resource"].drop_duplicates())}
    per = int((table["resource"] == table["resource"].iloc[0]).sum())
    width = len(sheet.columns) + 2
    for n, resource in enumerate(peak.sort_values(ascending=False).index[:MAX_CHARTS]):
        start = positions[resource] * per
        charts.append(ChartSpec(
            title=f"{resource}: load vs capacity", data_sheet=sheet.name, categories="period",
            series=(Series(load_column, "Load", "C0504D"),
                    Series("regular_capacity", "Regular capacity", "1F77B4", dashed=True),
                    Series("overtime_capacity", "Overtime capacity", "7F7F7F", dashed=True)),
            kind="line", rows=(start, start + per), y_title="hours",
            anchor=f"{get_column_letter(width)}{4 + n * 16}"))
    return charts


def _merge(log: IssueLog, issues: list[Issue]) -> list[Issue]:
    """Reader issues first; a plan issue about a cell the reader already reported is dropped."""
    seen = {(i.sheet, i.cell) for i in log if i.cell}
    return list(log) + [i for i in issues if not (i.cell and (i.sheet, i.cell) in seen)]


# ---------------------------------------------------------------------------------- reading

class _Inputs:
    def __init__(self, frames: dict, settings, source: str):
        self.frames, self.settings, self.source = frames, settings, source


def _read_inputs(book: WorkbookAdapter, log: IssueLog) -> _Inputs:
    from ..plan import PlanSettings

    settings = read_settings(book, log)
    pt = settings.period_type
    frames = {
        "items": read_table(book, ITEMS, log),
        "resources": read_table(book, RESOURCES, log),
        "routing": read_table(book, ROUTING, log),
        "calendar": read_table(book, CAPACITY_CALENDAR, log, required=False, period_type=pt),
        "workforce": read_table(book, WORKFORCE, log, required=False),
        "inventory": read_table(book, INVENTORY, log, required=False),
    }
    if SCHEDULED_RECEIPTS.name in set(book.sheet_names()):
        frames["receipts"] = read_table(book, SCHEDULED_RECEIPTS, log, required=False, period_type=pt)
    demand, source = read_plan_demand(book, pt, log)
    if source != DEMAND.name:  # the statistical forecast's own error sizes safety stock
        sigma = forecast_error_std(book, pt, log, items=frames["items"])
        if sigma is not None:
            demand = demand.assign(error_std=demand["sku"].map(sigma))
    frames["demand"] = demand
    return _Inputs(frames, PlanSettings.from_settings(settings), source)


def read_plan_demand(book: WorkbookAdapter, period_type: str, log: IssueLog) -> tuple[pd.DataFrame, str]:
    """Long `sku, ds, demand, sheet, cell` from Consensus, else Forecast, else Demand."""
    names = set(book.sheet_names())
    if _CONSENSUS.name in names:
        private = IssueLog()
        frame = read_table(book, _CONSENSUS, private, required=False, period_type=period_type)
        _forward_errors(private, log)
        if not frame.empty:
            letters = frame.attrs.get("letters", {})
            out = pd.DataFrame({"sku": frame["sku"], "ds": frame["period"], "demand": frame["final"],
                                "sheet": _CONSENSUS.name,
                                "cell": [f"{letters.get('final', '')}{r}" for r in frame.index]})
            _warn_if_consensus_is_stale(book, frame, period_type, log)
            return out.dropna(subset=["sku", "ds"]).reset_index(drop=True), _CONSENSUS.name
    forecast_sheet = _FORECAST
    if forecast_sheet.name in names:
        private = IssueLog()
        long = read_wide(book, _FORECAST, private, period_type=period_type, required=False)
        _forward_errors(private, log)
        if not long.empty:
            out = long.rename(columns={"forecast": "demand"})[["sku", "ds", "demand", "cell"]].assign(
                sheet=forecast_sheet.name)
            return out.dropna(subset=["demand"]).reset_index(drop=True), forecast_sheet.name
    if DEMAND.name in names:
        long = read_wide(book, DEMAND, log, period_type=period_type, required=False)
        out = long[["sku", "ds", "demand", "cell"]].assign(sheet=DEMAND.name).dropna(subset=["demand"])
        if not out.empty or log.has_errors:
            return out.reset_index(drop=True), DEMAND.name
    log.error(IssueCode.MISSING_SHEET, "There is no demand to plan: no Consensus, Forecast or Demand sheet "
              "with numbers in it.",
              "Run the forecast (sop-xl forecast), or fill the Demand sheet with one row per SKU and one column "
              "per future period.", sheet=DEMAND.name)
    raise InputError(list(log))


def _warn_if_consensus_is_stale(book: WorkbookAdapter, consensus: pd.DataFrame, period_type: str,
                                log: IssueLog) -> None:
    """The consensus was merged on a statistical forecast; if the forecast was re-run since, the plan
    would follow numbers nobody reviewed against the new forecast. Say so (the plan still runs)."""
    if _FORECAST.name not in set(book.sheet_names()) or consensus["statistical"].isna().all():
        return
    forecast = read_wide(book, _FORECAST, IssueLog(), period_type=period_type, required=False)
    if forecast.empty:
        return
    both = consensus.merge(forecast.rename(columns={"ds": "period"}), on=["sku", "period"], how="inner")
    differ = both[(both["statistical"] - both["forecast"]).abs() > 0.5 + 1e-3 * both["forecast"].abs()]
    if differ.empty:
        return
    first = differ.iloc[0]
    log.warning("plan_consensus_stale",
                f"The consensus was merged on an older statistical forecast: {len(differ)} SKU-period(s) differ "
                f"from the Forecast sheet (e.g. {first['sku']} {periods.label(first['period'], period_type)}: "
                f"{first['statistical']:,.0f} in Consensus, {first['forecast']:,.0f} now). The plan follows the "
                "consensus.", "Send the reviews again (sop-xl send-review) and merge the returns, or clear the "
                "Consensus sheet to plan on the new forecast.", sheet=_CONSENSUS.name)


def forecast_error_std(book: WorkbookAdapter, period_type: str, log: IssueLog,
                       items: pd.DataFrame | None = None) -> pd.Series | None:
    """Per SKU, the per-period sigma that makes the plan's z x sigma x sqrt(1 + lead time) equal
    z x sigma_LT, sigma_LT being the RMS of the backtest forecast error summed over 1 + lead time
    periods (ForecastIntervals' lead_error_std; formula and source in
    `sop_xl.forecast.intervals.SAFETY_STOCK_FORMULA`). Not from the interval width: lower bounds
    stop at zero, which understated sigma for intermittent SKUs. None without that sheet/column.
    `items`: the Items frame when the caller read it already (else it is read here)."""
    import numpy as np

    from ..forecast.intervals import lead_time_sigma

    if _INTERVALS.name not in set(book.sheet_names()):
        return None
    private = IssueLog()
    frame = read_table(book, _INTERVALS, private, required=False, period_type=period_type)
    _forward_errors(private, log)
    frame = frame.dropna(subset=["sku", "period", "lead_error_std"])
    if frame.empty:
        return None
    frame = frame.assign(step=frame.groupby("sku")["period"].rank(method="dense").astype(int))
    if items is None:
        items = read_table(book, ITEMS, IssueLog(), required=False)
    lead = pd.to_numeric(items["lead_time"], errors="coerce").fillna(0.0)
    lead.index = items["sku"].astype(str)
    lead = lead[~lead.index.duplicated()]
    frame["sku"] = frame["sku"].astype(str)
    sigma_lt = lead_time_sigma(frame, lead)
    return sigma_lt / np.sqrt(1.0 + lead.reindex(sigma_lt.index).fillna(0.0).clip(lower=0.0))


def _forward_errors(private: IssueLog, log: IssueLog) -> None:
    # other stages' sheets carry columns the plan does not read: only real errors matter here
    log.extend(i for i in private if i.severity is Severity.ERROR)
