"""`sop-xl dashboard`: the meeting's KPIs and charts (Dashboard, DashboardData) and its ActionPlan."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import RESOURCES, WORKBOOK, WORKFORCE
from ..contract.executive import (ACTION_PLAN, BUDGET, DASHBOARD, DASHBOARD_DATA, FINANCIALS, SCENARIO_COMPARISON)
from ..contract.plan import CAPACITY, PLAN_RUN, ROUGH_CUT, SUPPLY_PLAN, WORKFORCE_PLAN
from ..io.protocol import WorkbookAdapter
from ..io.tables import read_history, read_settings, read_table
from ..issues import InputError, IssueCode, IssueLog
from ..progress import SILENT, Progress
from .base import StageResult
from .review_inputs import (DEMAND_SHEETS, currency, has_sheet, optional_table, plan_of_record, read_demand,
                            stage_missing, statistical_forecast, with_ds, with_promoted)


def run_dashboard(book: WorkbookAdapter, *, progress: Progress = SILENT) -> StageResult:
    from ..executive import dashboard_charts, dashboard_data, dashboard_kpis, merge_actions, seed_actions

    progress.start("Dashboard", 3)
    log = IssueLog()
    settings = read_settings(book, log)
    pt, cur = settings.period_type, currency(settings)
    items = read_table(book, WORKBOOK.sheet("Items"), log, required=False)
    t = _plan_tables(book, pt, log)
    accuracy = _accuracy(book, settings, log)
    existing = read_table(book, ACTION_PLAN, log, required=False) if has_sheet(book, ACTION_PLAN.name) else None
    log.raise_if_errors()  # nothing written, nothing printed, when an input is wrong
    progress.advance()
    demand_fam, forecast_fam, history_fam, source = _demand_lines(book, settings, items, t["plan"] is not None)
    plan = t["plan"]
    if plan is not None and not items.empty:
        plan = plan.merge(items[["sku", "unit_cost"]].rename(columns={"sku": "item"}), on="item", how="left")
    kpis = dashboard_kpis(financials=t["fin"], supply_plan=plan, capacity=t["capacity"], accuracy=accuracy,
                          comparison=t["comparison"], has_budget=has_sheet(book, BUDGET.name), period_type=pt,
                          currency=cur)
    load = (t["capacity"].rename(columns={"used_hours": "load"}) if t["capacity"] is not None else
            t["roughcut"].rename(columns={"load_hours": "load"}) if t["roughcut"] is not None else None)
    data = dashboard_data(demand=demand_fam, forecast=forecast_fam, history=history_fam, financials=t["fin"],
                          supply_plan=plan, capacity=load, comparison=t["comparison"], period_type=pt)
    progress.advance()
    seeds = seed_actions(capacity=t["capacity"], workforce=t["workforce"], roughcut=t["roughcut"], supply_plan=plan,
                         financials=t["fin"], overtime_cost=_overtime_costs(book), hire_cost=_hire_costs(book),
                         period_type=pt, currency=cur)
    actions = merge_actions(seeds, existing)
    charts = dashboard_charts(data, demand_label=_demand_label(source))
    book.write_table(DASHBOARD_DATA, data, period_type=pt)
    book.write_table(DASHBOARD, kpis, period_type=pt, charts=charts)
    book.write_table(ACTION_PLAN, actions, period_type=pt)
    progress.finish()
    return StageResult(stage="dashboard", summary=_summary(kpis, charts, actions), issues=list(log),
                       sheets=[DASHBOARD.name, ACTION_PLAN.name, DASHBOARD_DATA.name],
                       data={"kpis": kpis, "dashboard_data": data, "actions": actions})


def _summary(kpis: pd.DataFrame, charts: list, actions: pd.DataFrame) -> list[str]:
    from ..charts import Highlight
    counts = kpis["status"].value_counts()
    lines = [f"dashboard: {len(kpis)} KPIs ({counts.get('on track', 0)} on track, {counts.get('watch', 0)} watch, "
             f"{counts.get('off track', 0)} off track, {counts.get('n/a', 0)} n/a); "
             f"{sum(1 for c in charts if not isinstance(c, Highlight))} charts; "
             f"action plan: {len(actions)} action(s), {int(actions['status'].isin(['open']).sum())} open"]
    for row in kpis[kpis["status"] == "off track"].itertuples(index=False):
        lines.append(f"  off track: {row.kpi} {row.value:,.1f} {row.unit} (target {row.target:,.1f})")
    return lines


def _plan_tables(book: WorkbookAdapter, pt: str, log: IssueLog) -> dict:
    """The other stages' tables the dashboard shows (None where a stage has not run), with what is missing."""
    t = dict(fin=optional_table(book, FINANCIALS, log, pt, "family", "period"),
             plan=with_ds(optional_table(book, SUPPLY_PLAN, log, pt, "item", "period")),
             capacity=with_ds(optional_table(book, CAPACITY, log, pt, "resource", "period")),
             workforce=with_ds(optional_table(book, WORKFORCE_PLAN, log, pt, "pool", "period")),
             roughcut=with_ds(optional_table(book, ROUGH_CUT, log, pt, "resource", "period")),
             comparison=optional_table(book, SCENARIO_COMPARISON, log, pt, "scenario"))
    if t["plan"] is None:
        stage_missing(log, SUPPLY_PLAN.name, "plan", "fill rate, utilisation and the plan's actions are n/a")
    else:
        _warn_if_last_plan_failed(book, pt, log)
    if t["fin"] is None:
        stage_missing(log, FINANCIALS.name, "financials", "revenue, margin, budget and inventory KPIs are n/a")
    if t["comparison"] is None:
        log.info(IssueCode.STAGE_MISSING, "No scenarios compared yet, so the scenario chart is left out.",
                 "Fill the Scenarios sheet and run `sop-xl scenarios`.", sheet=SCENARIO_COMPARISON.name)
    return t


def _demand_lines(book: WorkbookAdapter, settings, items: pd.DataFrame, has_plan: bool):
    """Per family: the plan's demand line, the statistical forecast and the actuals before the horizon."""
    from ..executive.charts import family_long
    pt = settings.period_type
    if items.empty or not any(has_sheet(book, n) for n in DEMAND_SHEETS):
        return None, None, None, ""
    try:
        demand, source = read_demand(book, pt, IssueLog())
        record = plan_of_record(book, pt) if has_plan else None
        if record:  # the demand line of the plan of record
            _, demand, _, _ = with_promoted(book, settings, items, demand, record, IssueLog())
        demand_fam = family_long(demand, items, "demand")
    except InputError:
        demand_fam, source = None, ""
    history = None
    if has_sheet(book, "DemandHistory"):
        raw = read_history(book, settings, IssueLog())
        if not raw.empty:
            history = family_long(raw.rename(columns={"unique_id": "sku"}), items, "y")
    return demand_fam, _statistical(book, pt, items, source), history, source


def _demand_label(source: str) -> str:
    return {"Consensus": "Consensus", "Forecast": "Forecast", "Demand": "Demand"}.get(source.split(" ")[0],
                                                                                     "Consensus")


def _statistical(book, pt: str, items: pd.DataFrame, source: str) -> pd.DataFrame | None:
    """The statistical forecast per family: the Consensus sheet's Statistical column, else the Forecast sheet."""
    from ..executive.charts import family_long
    if has_sheet(book, "Consensus"):
        consensus = optional_table(book, WORKBOOK.sheet("Consensus"), IssueLog(), pt, "sku", "period")
        if consensus is not None and consensus["statistical"].notna().any():
            return family_long(consensus.rename(columns={"period": "ds"}), items, "statistical")
    if source == "Forecast":
        return None  # the demand line already is the statistical forecast
    long = statistical_forecast(book, pt)
    return None if long is None else family_long(long, items, "forecast")


def _warn_if_last_plan_failed(book, period_type: str, log: IssueLog) -> None:
    """An infeasible plan run leaves the previous SupplyPlan on its sheet: the dashboard says so."""
    run = optional_table(book, PLAN_RUN, IssueLog(), period_type, "status")
    status = str(run["status"].iloc[-1]) if run is not None else ""
    if status and status not in ("optimal", "time_limit"):
        log.warning("dashboard_stale_plan", f"The last plan run ended {status}, so the dashboard shows the plan "
                    "before it.", "See PlanExplain for why, fix the inputs, and run `sop-xl plan` again.",
                    sheet=PLAN_RUN.name)


def _accuracy(book, settings, log: IssueLog) -> dict | None:
    """Forecast accuracy of closed cycles against actuals (Versions + DemandHistory), else the forecast
    stage's backtest (an Accuracy sheet with WAPE and bias)."""
    from ..executive import forecast_accuracy
    pt = settings.period_type
    if has_sheet(book, "Versions") and has_sheet(book, "DemandHistory"):
        versions = optional_table(book, WORKBOOK.sheet("Versions"), IssueLog(), pt, "cycle", "period")
        if versions is not None:
            history = read_history(book, settings, IssueLog()).rename(columns={"unique_id": "sku"})
            found = forecast_accuracy(versions, history)
            if found:
                return found
    if has_sheet(book, "Accuracy"):
        found = backtest_accuracy(book.read_grid(next(n for n in book.sheet_names() if n.lower() == "accuracy")))
        if found:
            return found
    return None


def backtest_accuracy(grid: list[list]) -> dict | None:
    """WAPE and bias of the total (or the mean over rows) from a forecast Accuracy sheet: its header row is
    the first with a WAPE column; the total row is the one whose first cells say total or all."""
    from ..contract.schema import normalise_header
    for r, row in enumerate(grid[:30]):
        heads = [normalise_header(v) for v in row]
        if "wape" not in heads:
            continue
        w = heads.index("wape")
        b = heads.index("bias") if "bias" in heads else None
        body = [x for x in grid[r + 1:] if len(x) > w and isinstance(x[w], (int, float))]
        if not body:
            return None
        total = [x for x in body if any(str(v).strip().lower() in ("total", "all") for v in x[:3])]
        pick = total[0] if total else None
        wape = float(pick[w]) if pick else float(np.mean([x[w] for x in body]))
        bias = (float(pick[b]) if pick and b is not None and isinstance(pick[b], (int, float)) else
                float(np.mean([x[b] for x in body if isinstance(x[b], (int, float))])) if b is not None else np.nan)
        scale = 100.0 if wape <= 1.5 else 1.0  # a percent-formatted cell holds 0.12 for 12 %
        return dict(accuracy=100.0 - wape * scale, bias=bias * scale if not np.isnan(bias) else np.nan,
                    source="backtest of the statistical forecast (Accuracy sheet)")
    return None


def _overtime_costs(book) -> dict:
    out = {}
    if has_sheet(book, RESOURCES.name):
        res = read_table(book, RESOURCES, IssueLog(), required=False)
        out.update(dict(zip(res["resource"], res["overtime_cost"].fillna(0.0))))
    if has_sheet(book, WORKFORCE.name):
        wf = read_table(book, WORKFORCE, IssueLog(), required=False)
        out.update({k: v for k, v in zip(wf["resource"], wf["overtime_cost"].fillna(0.0)) if v > 0})
    return out


def _hire_costs(book) -> dict:
    if not has_sheet(book, WORKFORCE.name):
        return {}
    wf = read_table(book, WORKFORCE, IssueLog(), required=False)
    return dict(zip(wf["resource"], wf["hire_cost"].fillna(0.0)))


__all__ = ["backtest_accuracy", "run_dashboard"]
