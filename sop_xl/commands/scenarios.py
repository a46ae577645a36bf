"""`sop-xl scenarios [--promote NAME]`: every what-if of the Scenarios sheet planned next to the base plan
(ScenarioComparison sheet); `--promote` makes one the plan of record."""

from __future__ import annotations

import dataclasses

import pandas as pd

from ..contract.executive import SCENARIO_COMPARISON, SCENARIOS
from ..io.protocol import WorkbookAdapter
from ..io.tables import read_settings, read_table
from ..issues import InputError, Issue, IssueCode, IssueLog, Severity
from ..progress import SILENT, Progress, note
from .base import StageResult
from .plan_tables import write_plan_tables
from .review_inputs import (DEMAND_SHEETS, currency, has_sheet, plan_of_record, planned_prices, read_demand)


def run_scenarios(book: WorkbookAdapter, *, progress: Progress = SILENT, promote: str | None = None,
                  solver: str | None = None, n_jobs: int | None = 1, backend: str | None = None) -> StageResult:
    """Plan every scenario of the Scenarios sheet next to the base plan; `promote` makes one the plan
    of record (its plan replaces SupplyPlan, Capacity, WorkforcePlan, PlanCost and PlanRun). `n_jobs` or a
    joblib `backend` fans the scenarios out (off by default: see `sop_xl.scenarios.run_scenarios`)."""
    from ..scenarios import BASE, PlanInputs, comparison_table, parse_scenarios, run_scenarios as run_all
    from .plan import _read_inputs

    log = IssueLog()
    settings = read_settings(book, log)
    pt = settings.period_type
    if not any(has_sheet(book, n) for n in DEMAND_SHEETS):
        read_demand(book, pt, log)  # raises with the stage_missing error
    inputs = _read_inputs(book, log)
    log.raise_if_errors()
    # the planned prices the financials use, so the base row's revenue is the Financials sheet's
    prices = planned_prices(book, pt, inputs.source, IssueLog())
    base = PlanInputs(inputs.frames, inputs.settings, inputs.source, extra={"prices": prices})
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
    outcomes = run_all(base, scenarios, solver=solver, on_done=lambda o: _done(progress, o), n_jobs=n_jobs,
                       backend=backend)
    progress.finish()
    issues = list(log)
    for o in outcomes:  # a scenario without a plan is a finding, not a reason to stop the cycle
        issues.extend(dataclasses.replace(i, severity=Severity.WARNING, message=f"[{o.scenario.name}] {i.message}")
                      for i in o.issues if i.severity is Severity.ERROR)
    record = plan_of_record(book, pt) or BASE
    written = [SCENARIO_COMPARISON.name]
    if promote:
        chosen = next(o for o in outcomes if o.scenario.name.lower() == promote.lower())
        if chosen.result is None or chosen.result.supply_plan.empty:
            issues.append(Issue(Severity.ERROR, "scenario_no_plan", f"Scenario {chosen.scenario.name} has no "
                                f"feasible plan ({chosen.kpis.get('status')}), so it cannot be promoted.",
                                "Change the scenario, or promote another one.", sheet=SCENARIOS.name,
                                row_key=chosen.scenario.name))
            raise InputError(issues)
        written += _write_promoted(book, chosen, pt, inputs.source,
                                   sized_from_forecast="error_std" in inputs.frames["demand"].columns)
        record = chosen.scenario.name
    comparison = comparison_table(outcomes, plan_of_record=record, period_type=pt)
    book.write_table(SCENARIO_COMPARISON, comparison, period_type=pt, charts=comparison_charts(comparison))
    return StageResult(stage="scenarios", summary=_summary(comparison, record, currency(settings)), issues=issues,
                       sheets=written, data={"comparison": comparison, "outcomes": outcomes, "inputs": base})


def _done(progress: Progress, outcome) -> None:
    """Per scenario, as it finishes: a line (or the status bar) names it and its status."""
    note(progress, f"{outcome.scenario.name} planned ({outcome.kpis.get('status', 'no plan')})")
    progress.advance()


def _summary(comparison: pd.DataFrame, record: str, cur: str) -> list[str]:
    lines = [f"scenarios: {len(comparison) - 1} scenario(s) planned next to the base plan; plan of record: {record}"]
    for row in comparison.itertuples(index=False):
        if row.status not in ("optimal", "time_limit"):
            lines.append(f"  {row.scenario}: {row.status}")
            continue
        lines.append(f"  {row.scenario} ({row.kind}): fill rate {row.fill_rate:.1%}, revenue {row.revenue:,.0f}, "
                     f"gross margin {row.gross_margin:,.0f}, contribution after plan costs {row.contribution:,.0f} "
                     f"{cur} ({row.contribution_vs_base:+,.0f} vs base), peak utilisation {row.peak_utilisation:.0%}")
    return lines


def _write_promoted(book: WorkbookAdapter, outcome, period_type: str, source: str, *,
                    sized_from_forecast: bool) -> list[str]:
    """The promoted scenario's plan onto the plan sheets, as `sop-xl plan` writes them."""
    from .plan import add_plan_notes
    add_plan_notes(outcome.result, outcome.data, sized_from_forecast=sized_from_forecast)
    run = dict(outcome.result.run)
    run["demand_source"] = source
    run["message"] = (f"Scenario {outcome.scenario.name} promoted to plan of record: "
                      f"{outcome.scenario.describe(period_type)}")
    return write_plan_tables(book, outcome.result, period_type=period_type, run=run)


def comparison_charts(comparison: pd.DataFrame) -> list:
    from ..charts import ChartSpec, Series
    if comparison.empty:
        return []
    return [ChartSpec("Scenarios: plan cost and contribution", SCENARIO_COMPARISON.name, "scenario",
                      (Series("total_cost", SCENARIO_COMPARISON.column("total_cost").header, "C0504D"),
                       Series("contribution", SCENARIO_COMPARISON.column("contribution").header, "2CA02C")),
                      kind="column", anchor=f"A{SCENARIO_COMPARISON.header_row + len(comparison) + 3}",
                      y_title="money")]


__all__ = ["comparison_charts", "run_scenarios"]
