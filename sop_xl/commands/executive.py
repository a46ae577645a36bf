"""`sop-xl financials | scenarios | dashboard | export-pdf`: the reconciliation and executive review.

Each command works with whatever stages have run: a missing stage is reported as an Issue
(code stage_missing) naming the sheet and the command that makes it, and the rest is done.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..contract import INVENTORY, ITEMS, RESOURCES, WORKBOOK, WORKFORCE, Kind, Sheet
from ..contract.executive import (ACTION_PLAN, BUDGET, DASHBOARD, DASHBOARD_DATA, FINANCIALS, SCENARIO_COMPARISON,
                                  SCENARIOS)
from ..contract.plan import CAPACITY, PLAN_COST, PLAN_EXPLAIN, PLAN_RUN, ROUGH_CUT, SUPPLY_PLAN, WORKFORCE_PLAN
from ..io.protocol import WorkbookAdapter
from ..io.tables import read_history, read_settings, read_table
from ..issues import InputError, Issue, IssueCode, IssueLog, Severity
from ..progress import SILENT, Progress
from .base import StageResult

DEMAND_SHEETS = ("Consensus", "Forecast", "Demand")
_PROMOTED = re.compile(r"^Scenario (.+) promoted to plan of record", re.IGNORECASE)


# ---------------------------------------------------------------------------------- reading

def _reading(sheet: Sheet, *required: str) -> Sheet:
    """How another stage's output table is read back: `required` columns mark the table for the reader,
    and percentages are plain numbers (the input-friendly reading of 95 as 95 % would turn a 120 %
    utilisation sop_xl wrote as 1.2 into 1.2 %)."""
    columns = tuple(dataclasses.replace(c, required=c.name in required,
                                        kind=Kind.NUMBER if c.kind is Kind.PERCENT else c.kind,
                                        minimum=None if c.kind is Kind.PERCENT else c.minimum,
                                        maximum=None if c.kind is Kind.PERCENT else c.maximum)
                    for c in sheet.columns)
    return dataclasses.replace(sheet, columns=columns)


def _has(book: WorkbookAdapter, name: str) -> bool:
    return name.lower() in {n.lower() for n in book.sheet_names()}


def _optional(book: WorkbookAdapter, sheet: Sheet, log: IssueLog, period_type: str, *required: str
              ) -> pd.DataFrame | None:
    """Another stage's output table, or None when that stage has not run (or wrote no rows).
    Only real errors of those sheets are passed on: their extra columns are not ours to judge."""
    if not _has(book, sheet.name):
        return None
    private = IssueLog()
    frame = read_table(book, _reading(sheet, *required) if required else sheet, private, required=False,
                       period_type=period_type)
    log.extend(i for i in private if i.severity is Severity.ERROR)
    return None if frame.empty else frame


def _stage_missing(log: IssueLog, sheet: str, command: str, what: str, *, error: bool = False) -> None:
    add = log.error if error else log.warning
    add(IssueCode.STAGE_MISSING, f"There is no {sheet} sheet yet, so {what}.", f"Run `sop-xl {command}` first.",
        sheet=sheet)


def _ds(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if frame is None else frame.rename(columns={"period": "ds"}).reset_index(drop=True)


def _demand(book: WorkbookAdapter, period_type: str, log: IssueLog) -> tuple[pd.DataFrame, str]:
    """Consensus (final), else Forecast, else the Demand input, as the plan reads them."""
    from .plan import read_plan_demand
    if not any(_has(book, n) for n in DEMAND_SHEETS):
        log.error(IssueCode.STAGE_MISSING, "There is no demand yet: no Consensus, Forecast or Demand sheet.",
                  "Run `sop-xl forecast` (or merge the consensus), or fill the Demand sheet.", sheet="Forecast")
        raise InputError(list(log))
    return read_plan_demand(book, period_type, log)


def _currency(settings) -> str:
    return str(settings.get("currency") or "EUR")


# ---------------------------------------------------------------------------------- financials

def run_financials(book: WorkbookAdapter, *, progress: Progress = SILENT) -> StageResult:
    from ..finance import financials, horizon_totals

    progress.start("Financial plan", 3)
    log = IssueLog()
    settings = read_settings(book, log)
    pt = settings.period_type
    items = read_table(book, ITEMS, log)
    log.raise_if_errors()
    demand, source = _demand(book, pt, log)
    log.raise_if_errors()
    progress.advance()
    prices = None
    if source == "Consensus":
        consensus = _optional(book, WORKBOOK.sheet("Consensus"), log, pt, "sku", "period")
        if consensus is not None and "price" in consensus:
            prices = consensus.rename(columns={"period": "ds"})[["sku", "ds", "price"]]
    plan = _ds(_optional(book, SUPPLY_PLAN, log, pt, "item", "period"))
    if plan is None:
        _stage_missing(log, SUPPLY_PLAN.name, "plan", "only the unconstrained financials (all demand sold) are "
                       "shown")
    budget_table = _optional(book, BUDGET, log, pt, "family", "period")
    _check_budget_families(budget_table, items, log)
    budget = _ds(budget_table)
    if budget is None:
        log.warning(IssueCode.MISSING_SHEET, "No Budget to compare with: the gap-to-budget columns stay empty.",
                    "Paste finance's budget (family, period, volume, revenue) into the Budget sheet.",
                    sheet=BUDGET.name)
    opening = _opening_backlog(book, log, items, plan)
    record = _plan_of_record(book, pt) if plan is not None else None
    if record:
        # the plan of record is a promoted scenario: its demand, prices and costs are the plan's
        items, demand, applied = _with_promoted(book, settings, items, demand, record, log)
        if applied:
            source = f"{source} + {record}"
    table = financials(demand=demand, items=items, supply_plan=plan, budget=budget, opening_backlog=opening,
                       prices=prices, demand_source=source)
    progress.advance()
    book.write_table(FINANCIALS, table, period_type=pt)
    progress.finish()
    tot = horizon_totals(table)
    cur = _currency(settings)
    lines = [f"financials: {table['family'].nunique()} families x {table['period'].nunique()} periods, demand from "
             f"{source}; unconstrained revenue {tot['unconstrained_revenue']:,.0f} {cur}"]
    if plan is not None:
        lines.append(f"  plan: revenue {tot['revenue']:,.0f} {cur}, gross margin {tot['gross_margin']:,.0f} "
                     f"({tot['gross_margin_pct']:.1%}), revenue lost {tot['lost_revenue']:,.0f} {cur}")
    if budget is not None and not np.isnan(tot.get("budget_revenue", np.nan)):
        lines.append(f"  vs budget {tot['budget_revenue']:,.0f} {cur}: gap {tot['revenue_gap']:+,.0f} {cur} "
                     f"({tot['revenue_gap_pct']:+.1%})")
    return StageResult(stage="financials", summary=lines, issues=list(log), sheets=[FINANCIALS.name],
                       data={"financials": table, "demand_source": source})


def _with_promoted(book, settings, items: pd.DataFrame, demand: pd.DataFrame, name: str, log: IssueLog
                   ) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    from ..plan import PlanSettings
    from ..scenarios import PlanInputs, apply_scenario, parse_scenarios
    pt = settings.period_type
    frames = {"items": items, "demand": demand,
              "resources": read_table(book, RESOURCES, IssueLog(), required=False),
              "workforce": read_table(book, WORKFORCE, IssueLog(), required=False), "calendar": None}
    inputs = PlanInputs(frames, PlanSettings.from_settings(settings))
    table = read_table(book, SCENARIOS, IssueLog(), required=False, period_type=pt)
    scenario = next((s for s in parse_scenarios(table, inputs, IssueLog()) if s.name.lower() == name.lower()), None)
    if scenario is None:
        log.warning("scenario_gone", f"The plan of record comes from scenario {name}, which is no longer on the "
                    "Scenarios sheet: revenue and cost use the inputs as they are.",
                    "Run `sop-xl plan` to plan the inputs as they are, or put the scenario back.",
                    sheet=SCENARIOS.name, row_key=name)
        return items, demand, False
    changed = apply_scenario(inputs, scenario)
    return changed.frames["items"], changed.frames["demand"], True


def _check_budget_families(budget: pd.DataFrame | None, items: pd.DataFrame, log: IssueLog) -> None:
    """A budget family the Items sheet does not know is most likely a typo: its whole budget shows as a gap."""
    if budget is None:
        return
    known = set(items["family"].dropna().astype(str))
    letter = budget.attrs.get("letters", {}).get("family", "A")
    for family, rows in budget.groupby("family", sort=False):
        if str(family) not in known:
            log.warning(IssueCode.UNKNOWN_KEY, f"Budget family {family!r} is not a family on the Items sheet, so its "
                        "whole budget shows as a gap.", f"Use one of: {', '.join(sorted(known))}.",
                        sheet=BUDGET.name, cell=f"{letter}{rows.index[0]}", value=family)


def _opening_backlog(book, log, items: pd.DataFrame, plan: pd.DataFrame | None) -> pd.Series | None:
    if plan is None or not _has(book, INVENTORY.name):
        return None
    inventory = read_table(book, INVENTORY, IssueLog(), required=False)
    if inventory.empty:
        return None
    by_sku = inventory.groupby("sku")["opening_backlog"].sum()
    if set(plan["item"]) <= set(by_sku.index) | set(items["sku"]):
        return by_sku
    family = by_sku.index.map(dict(zip(items["sku"], items["family"])))
    return by_sku.groupby(family).sum()  # a family plan carries its SKUs' backlog


# ---------------------------------------------------------------------------------- scenarios

def run_scenarios(book: WorkbookAdapter, *, progress: Progress = SILENT, promote: str | None = None,
                  solver: str | None = None) -> StageResult:
    """Plan every scenario of the Scenarios sheet next to the base plan; `promote` makes one the plan
    of record (its plan replaces SupplyPlan, Capacity, WorkforcePlan, PlanCost and PlanRun)."""
    from ..scenarios import BASE, PlanInputs, comparison_table, parse_scenarios, run_scenarios as run_all
    from .plan import _read_inputs

    log = IssueLog()
    settings = read_settings(book, log)
    pt = settings.period_type
    if not any(_has(book, n) for n in DEMAND_SHEETS):
        _demand(book, pt, log)  # raises with the stage_missing error
    inputs = _read_inputs(book, log)
    log.raise_if_errors()
    base = PlanInputs(inputs.frames, inputs.settings, inputs.source)
    table = read_table(book, SCENARIOS, log, required=False, period_type=pt)
    scenarios = parse_scenarios(table, base, log)
    log.raise_if_errors()
    if not scenarios and not promote:
        # nothing to compare: not worth a second solve of the base plan
        log.info(IssueCode.MISSING_TABLE, "The Scenarios sheet has no what-ifs, so no scenario was planned.",
                 "Add rows to Scenarios: a name, a change (demand, capacity, price, cost, service_level, "
                 "whole_headcount), what it applies to, and a value.", sheet=SCENARIOS.name)
        return StageResult(stage="scenarios", summary=["scenarios: none on the Scenarios sheet"], issues=list(log))
    if promote and promote.lower() not in {s.name.lower() for s in scenarios} | {BASE.lower()}:
        names = ", ".join([BASE] + [s.name for s in scenarios])
        log.error(IssueCode.UNKNOWN_KEY, f"There is no scenario {promote!r} to promote.", f"Pick one of: {names}.",
                  sheet=SCENARIOS.name, value=promote)
        raise InputError(list(log))
    progress.start("Scenarios", len(scenarios) + 1)
    outcomes = run_all(base, scenarios, solver=solver, on_done=lambda _: progress.advance())
    progress.finish()
    issues = list(log)
    for o in outcomes:  # a scenario without a plan is a finding, not a reason to stop the cycle
        issues.extend(dataclasses.replace(i, severity=Severity.WARNING, message=f"[{o.scenario.name}] {i.message}")
                      for i in o.issues if i.severity is Severity.ERROR)
    record = _plan_of_record(book, pt) or BASE
    written = [SCENARIO_COMPARISON.name]
    if promote:
        chosen = next(o for o in outcomes if o.scenario.name.lower() == promote.lower())
        if chosen.result is None or chosen.result.supply_plan.empty:
            issues.append(Issue(Severity.ERROR, "scenario_no_plan", f"Scenario {chosen.scenario.name} has no "
                                f"feasible plan ({chosen.kpis.get('status')}), so it cannot be promoted.",
                                "Change the scenario, or promote another one.", sheet=SCENARIOS.name,
                                row_key=chosen.scenario.name))
            return StageResult(stage="scenarios", issues=issues, summary=["scenarios: promotion refused"])
        written += _write_plan(book, chosen, pt, inputs.source)
        record = chosen.scenario.name
    comparison = comparison_table(outcomes, plan_of_record=record, period_type=pt)
    book.write_table(SCENARIO_COMPARISON, comparison, period_type=pt, charts=_comparison_charts(comparison))
    cur = _currency(settings)
    lines = [f"scenarios: {len(outcomes) - 1} scenario(s) planned next to the base plan; plan of record: {record}"]
    for row in comparison.itertuples(index=False):
        if row.status not in ("optimal", "time_limit"):
            lines.append(f"  {row.scenario}: {row.status}")
            continue
        lines.append(f"  {row.scenario}: fill rate {row.fill_rate:.1%}, cost {row.total_cost:,.0f}, margin "
                     f"{row.margin:,.0f} {cur} ({row.margin_vs_base:+,.0f} vs base), peak utilisation "
                     f"{row.peak_utilisation:.0%}")
    return StageResult(stage="scenarios", summary=lines, issues=issues, sheets=written,
                       data={"comparison": comparison, "outcomes": outcomes})


def _plan_of_record(book: WorkbookAdapter, period_type: str) -> str | None:
    """The scenario a previous promotion made the plan of record, while its plan is still on the sheets."""
    run = _optional(book, PLAN_RUN, IssueLog(), period_type, "status")
    if run is None or "message" not in run:
        return None
    match = _PROMOTED.match(str(run["message"].iloc[-1] or ""))
    return match.group(1) if match else None


def _warn_if_last_plan_failed(book, period_type: str, log: IssueLog) -> None:
    """An infeasible plan run leaves the previous SupplyPlan on its sheet: the dashboard says so."""
    run = _optional(book, PLAN_RUN, IssueLog(), period_type, "status")
    status = str(run["status"].iloc[-1]) if run is not None else ""
    if status and status not in ("optimal", "time_limit"):
        log.warning("dashboard_stale_plan", f"The last plan run ended {status}, so the dashboard shows the plan "
                    "before it.", "See PlanExplain for why, fix the inputs, and run `sop-xl plan` again.",
                    sheet=PLAN_RUN.name)


def _write_plan(book: WorkbookAdapter, outcome, period_type: str, source: str) -> list[str]:
    """The promoted scenario's plan onto the plan sheets, as `sop-xl plan` writes them."""
    from .plan import _load_charts
    result = outcome.result
    run = dict(result.run)
    run["demand_source"] = source
    run["message"] = (f"Scenario {outcome.scenario.name} promoted to plan of record: "
                      f"{outcome.scenario.describe(period_type)}")
    book.write_table(SUPPLY_PLAN, result.supply_plan[SUPPLY_PLAN.column_names()], period_type=period_type)
    book.write_table(CAPACITY, result.capacity[CAPACITY.column_names()], period_type=period_type,
                     charts=_load_charts(CAPACITY, result.capacity, "used_hours"))
    book.write_table(WORKFORCE_PLAN, result.workforce[WORKFORCE_PLAN.column_names()], period_type=period_type)
    book.write_table(PLAN_COST, result.cost[PLAN_COST.column_names()], period_type=period_type)
    book.write_table(PLAN_EXPLAIN, result.explanation.reindex(columns=PLAN_EXPLAIN.column_names()),
                     period_type=period_type)
    book.write_table(PLAN_RUN, pd.DataFrame([run]).reindex(columns=PLAN_RUN.column_names()), period_type=period_type)
    return [SUPPLY_PLAN.name, CAPACITY.name, WORKFORCE_PLAN.name, PLAN_COST.name, PLAN_EXPLAIN.name, PLAN_RUN.name]


def _comparison_charts(comparison: pd.DataFrame) -> list:
    from ..charts import ChartSpec, Series
    if comparison.empty:
        return []
    return [ChartSpec("Scenarios: cost and margin", SCENARIO_COMPARISON.name, "scenario",
                      (Series("total_cost", "Total cost", "C0504D"), Series("margin", "Margin", "2CA02C")),
                      kind="column", anchor=f"A{SCENARIO_COMPARISON.header_row + len(comparison) + 3}",
                      y_title="money")]


# ---------------------------------------------------------------------------------- dashboard

def run_dashboard(book: WorkbookAdapter, *, progress: Progress = SILENT) -> StageResult:
    from ..charts import Highlight
    from ..executive import dashboard_charts, dashboard_data, dashboard_kpis, merge_actions, seed_actions
    from ..executive.charts import family_long

    progress.start("Dashboard", 3)
    log = IssueLog()
    settings = read_settings(book, log)
    pt = settings.period_type
    cur = _currency(settings)
    items = read_table(book, ITEMS, log, required=False)
    fin = _optional(book, FINANCIALS, log, pt, "family", "period")
    plan = _ds(_optional(book, SUPPLY_PLAN, log, pt, "item", "period"))
    capacity = _ds(_optional(book, CAPACITY, log, pt, "resource", "period"))
    workforce = _ds(_optional(book, WORKFORCE_PLAN, log, pt, "pool", "period"))
    roughcut = _ds(_optional(book, ROUGH_CUT, log, pt, "resource", "period"))
    comparison = _optional(book, SCENARIO_COMPARISON, log, pt, "scenario")
    if plan is None:
        _stage_missing(log, SUPPLY_PLAN.name, "plan", "fill rate, utilisation and the plan's actions are n/a")
    else:
        _warn_if_last_plan_failed(book, pt, log)
    if fin is None:
        _stage_missing(log, FINANCIALS.name, "financials", "revenue, margin, budget and inventory KPIs are n/a")
    if comparison is None:
        log.info(IssueCode.STAGE_MISSING, "No scenarios compared yet, so the scenario chart is left out.",
                 "Fill the Scenarios sheet and run `sop-xl scenarios`.", sheet=SCENARIO_COMPARISON.name)
    accuracy = _accuracy(book, settings, log)
    progress.advance()

    demand_fam = forecast_fam = None
    if any(_has(book, n) for n in DEMAND_SHEETS) and not items.empty:
        try:
            demand, source = _demand(book, pt, IssueLog())
            record = _plan_of_record(book, pt) if plan is not None else None
            if record:  # the demand line of the plan of record
                _, demand, _ = _with_promoted(book, settings, items, demand, record, IssueLog())
            demand_fam = family_long(demand, items, "demand")
        except InputError:
            source = ""
        forecast_fam = _statistical(book, pt, items, source)
    if plan is not None and not items.empty:
        plan = plan.merge(items[["sku", "unit_cost"]].rename(columns={"sku": "item"}), on="item", how="left")
    kpis = dashboard_kpis(financials=fin, supply_plan=plan, capacity=capacity, accuracy=accuracy,
                          comparison=comparison, has_budget=_has(book, BUDGET.name), period_type=pt, currency=cur)
    load = None
    if capacity is not None:
        load = capacity.rename(columns={"used_hours": "load"})
    elif roughcut is not None:
        load = roughcut.rename(columns={"load_hours": "load"})
    data = dashboard_data(demand=demand_fam, forecast=forecast_fam,
                          financials=fin,
                          supply_plan=plan, capacity=load, comparison=comparison, period_type=pt)
    progress.advance()
    seeds = seed_actions(capacity=capacity, workforce=workforce, roughcut=roughcut, supply_plan=plan,
                         financials=fin, overtime_cost=_overtime_costs(book), hire_cost=_hire_costs(book),
                         period_type=pt, currency=cur)
    existing = read_table(book, ACTION_PLAN, log, required=False) if _has(book, ACTION_PLAN.name) else None
    actions = merge_actions(seeds, existing)
    book.write_table(DASHBOARD_DATA, data, period_type=pt)
    charts = dashboard_charts(data)
    book.write_table(DASHBOARD, kpis, period_type=pt, charts=charts)
    book.write_table(ACTION_PLAN, actions, period_type=pt)
    progress.finish()
    counts = kpis["status"].value_counts()
    lines = [f"dashboard: {len(kpis)} KPIs ({counts.get('on track', 0)} on track, {counts.get('watch', 0)} watch, "
             f"{counts.get('off track', 0)} off track, {counts.get('n/a', 0)} n/a); "
             f"{sum(1 for c in charts if not isinstance(c, Highlight))} charts; "
             f"action plan: {len(actions)} action(s), {int(actions['status'].isin(['open']).sum())} open"]
    for row in kpis[kpis["status"] == "off track"].itertuples(index=False):
        lines.append(f"  off track: {row.kpi} {row.value:,.1f} {row.unit} (target {row.target:,.1f})")
    return StageResult(stage="dashboard", summary=lines, issues=list(log),
                       sheets=[DASHBOARD.name, ACTION_PLAN.name, DASHBOARD_DATA.name],
                       data={"kpis": kpis, "dashboard_data": data, "actions": actions})


def _statistical(book, pt: str, items: pd.DataFrame, source: str) -> pd.DataFrame | None:
    """The statistical forecast per family: the Consensus sheet's Statistical column, else the Forecast sheet."""
    from ..executive.charts import family_long
    if _has(book, "Consensus"):
        consensus = _optional(book, WORKBOOK.sheet("Consensus"), IssueLog(), pt, "sku", "period")
        if consensus is not None and consensus["statistical"].notna().any():
            return family_long(consensus.rename(columns={"period": "ds"}), items, "statistical")
    if source == "Forecast":
        return None  # the demand line already is the statistical forecast
    if _has(book, "Forecast"):
        from ..io.tables import read_wide
        from .plan import _FORECAST
        long = read_wide(book, _FORECAST, IssueLog(), period_type=pt, required=False)
        if not long.empty:
            return family_long(long.rename(columns={"forecast": "demand"}), items, "demand")
    return None


def _accuracy(book, settings, log: IssueLog) -> dict | None:
    """Forecast accuracy of closed cycles against actuals (Versions + DemandHistory), else the forecast
    stage's backtest (an Accuracy sheet with WAPE and bias)."""
    from ..executive import forecast_accuracy
    pt = settings.period_type
    if _has(book, "Versions") and _has(book, "DemandHistory"):
        versions = _optional(book, WORKBOOK.sheet("Versions"), IssueLog(), pt, "cycle", "period")
        if versions is not None:
            history = read_history(book, settings, IssueLog()).rename(columns={"unique_id": "sku"})
            found = forecast_accuracy(versions, history)
            if found:
                return found
    if _has(book, "Accuracy"):
        found = _backtest_accuracy(book.read_grid(next(n for n in book.sheet_names() if n.lower() == "accuracy")))
        if found:
            return found
    return None


def _backtest_accuracy(grid: list[list]) -> dict | None:
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
    if _has(book, RESOURCES.name):
        res = read_table(book, RESOURCES, IssueLog(), required=False)
        out.update(dict(zip(res["resource"], res["overtime_cost"].fillna(0.0))))
    if _has(book, WORKFORCE.name):
        wf = read_table(book, WORKFORCE, IssueLog(), required=False)
        out.update({k: v for k, v in zip(wf["resource"], wf["overtime_cost"].fillna(0.0)) if v > 0})
    return out


def _hire_costs(book) -> dict:
    if not _has(book, WORKFORCE.name):
        return {}
    wf = read_table(book, WORKFORCE, IssueLog(), required=False)
    return dict(zip(wf["resource"], wf["hire_cost"].fillna(0.0)))


# ---------------------------------------------------------------------------------- PDF

def run_export_pdf(book: WorkbookAdapter, *, progress: Progress = SILENT, out: str | Path | None = None
                   ) -> StageResult:
    """Dashboard and ActionPlan as a PDF for the meeting (LibreOffice headless). The workbook is not changed."""
    from ..executive.charts import dashboard_charts
    from ..executive.pdf import PdfExportError, convert_to_pdf, print_ready
    from ..io.file import FileWorkbook

    log = IssueLog()
    settings = read_settings(book, log)
    pt = settings.period_type
    kpis = _optional(book, DASHBOARD, log, pt, "kpi")
    data = _optional(book, DASHBOARD_DATA, log, pt, "chart")
    actions = _optional(book, ACTION_PLAN, log, pt, "key")
    if kpis is None:
        _stage_missing(log, DASHBOARD.name, "dashboard", "there is nothing to print", error=True)
        raise InputError(list(log))
    if out is None:
        path = getattr(book, "path", None)
        if path is None:
            log.error("export_no_target", "Where should the PDF go?", "Pass --pdf OUT.pdf.")
            raise InputError(list(log))
        out = Path(path).with_suffix(".pdf")
    out = Path(out)
    progress.start("PDF", 3)
    data = data if data is not None else pd.DataFrame(columns=DASHBOARD_DATA.column_names())
    cycle = settings.get("cycle") or (f"{settings.first_forecast_period:%Y-%m}" if settings.get("first_forecast_period")
                                      is not None else "")
    title = " ".join(str(x) for x in (settings.get("company"), "S&OP", cycle) if x).strip()
    with tempfile.TemporaryDirectory(prefix="sop_xl-meeting-") as tmp:
        pack = Path(tmp) / f"{out.stem}.xlsx"
        temp = FileWorkbook(pack, create=True, backup=False)
        temp.write_table(DASHBOARD_DATA, data.reset_index(drop=True), period_type=pt)
        below = DASHBOARD.header_row + len(kpis) + 3
        charts = dashboard_charts(data.reset_index(drop=True), below_row=below, width_cm=PRINT_CHART_CM)
        temp.write_table(DASHBOARD, kpis.reset_index(drop=True), period_type=pt, charts=charts)
        sheets = [DASHBOARD.name]
        if actions is not None:
            temp.write_table(PRINTED_ACTIONS, actions.reset_index(drop=True)[PRINTED_ACTIONS.column_names()],
                             period_type=pt)
            sheets.append(ACTION_PLAN.name)
        else:
            _stage_missing(log, ACTION_PLAN.name, "dashboard", "the PDF has no action plan")
        temp.save()
        progress.advance()
        wrap = tuple(PRINTED_ACTIONS.column(c).header for c in ("finding", "suggested_action", "comment"))
        # page 1: the KPIs and one row of charts; then two rows of charts a page, never a chart cut in two
        step = int(PRINT_CHART_CM * 0.5 / 0.53) + 2
        rows = len(charts) // 2  # (charts - 1 highlight + 1) // 2 rows of two
        breaks = tuple(below + k * step - 1 for k in range(1, rows, 2))
        subtitle = (f"Status against target: on track, watch, off track. Printed "
                    f"{pd.Timestamp.now():%Y-%m-%d %H:%M} from {getattr(book, 'name', 'the workbook')}.")
        print_ready(pack, sheets=sheets, hidden=(DASHBOARD_DATA.name,), title=title, wrap=wrap,
                    breaks={DASHBOARD.name: breaks}, subtitle=subtitle)
        progress.advance()
        try:
            convert_to_pdf(pack, out)
        except PdfExportError as exc:
            progress.finish()
            log.error("export_pdf_failed", str(exc), "Install LibreOffice (Debian/Ubuntu: apt-get install "
                      "libreoffice-calc), or print the Dashboard and ActionPlan sheets from Excel.",
                      sheet=DASHBOARD.name)
            return StageResult(stage="export-pdf", issues=list(log), summary=["export-pdf: no PDF made"])
    progress.finish()
    pages = count_pages(out)
    return StageResult(stage="export-pdf", summary=[f"export-pdf: {out} ({pages} page(s): {', '.join(sheets)})"],
                       issues=list(log), data={"pdf": out, "pages": pages})


PRINT_CHART_CM = 12.0

# the action plan as printed: without the bookkeeping columns, narrower text columns that wrap
_PRINT_WIDTHS = {"category": 16, "subject": 13, "period": 8, "finding": 46, "suggested_action": 30, "impact": 11,
                 "owner": 16, "due": 10, "status": 9, "comment": 22}
PRINTED_ACTIONS = dataclasses.replace(
    ACTION_PLAN, key=(), columns=tuple(dataclasses.replace(ACTION_PLAN.column(n), width=w, required=False)
                                       for n, w in _PRINT_WIDTHS.items()))


def count_pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", Path(pdf).read_bytes()))
