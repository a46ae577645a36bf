"""Run the plan once per scenario and compare the outcomes side by side.

Every scenario goes through the ordinary plan core (`build_plan_data` + `solve_plan`) with
its modified inputs, so it obeys the same constraints and costs as the plan of record. HiGHS keeps
one model across the scenarios (`WarmHighs`): a scenario that changes only numbers (demand, capacity,
costs, prices) is a few coefficient changes and a re-solve from the previous optimal basis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ..fanout import fan_out, workers
from ..finance.core import financials
from ..finance.measures import plan_measures
from ..issues import Issue
from .levers import BASE, PlanInputs, Scenario, apply_scenario

PENALTIES = ("backlog", "lost_sales", "safety_stock")  # cost types that are not cash
COMPARISON = ["scenario", "kind", "changes", "status", "service_level", "fill_rate", "revenue", "gross_margin",
              "total_cost", "contribution", "average_inventory_value", "ending_inventory", "ending_inventory_value",
              "utilisation", "peak_utilisation", "overtime_hours", "hires", "layoffs", "cost_vs_base",
              "contribution_vs_base", "plan_of_record"]


@dataclass
class Outcome:
    scenario: Scenario
    result: object | None          # PlanResult (None when the inputs were refused)
    data: object | None            # PlanData
    kpis: dict = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    financials: pd.DataFrame | None = None   # the scenario's Financials table


def solve_scenario(inputs: PlanInputs, scenario: Scenario, *, solver: str | None = None, warm=None) -> Outcome:
    """One scenario through the plan core. `warm` (a `WarmHighs`): HiGHS keeps the previous scenario's model
    and basis, and only the numbers this scenario changes are changed before it re-solves (same plan as a
    fresh solve; a scenario that changes the model's shape is solved afresh)."""
    from ..plan import build_plan_data, solve_plan

    changed = apply_scenario(inputs, scenario)
    data, issues = build_plan_data(**changed.frames, settings=changed.settings, demand_sheet=changed.demand_sheet)
    if data is None:
        return Outcome(scenario, None, None, _empty_kpis("invalid input"), issues)
    result = solve_plan(data, solver=solver, warm=warm)
    fin = scenario_financials(result, data, changed)
    return Outcome(scenario, result, data, plan_kpis(result, data, fin), issues + result.issues, fin)


def run_scenarios(inputs: PlanInputs, scenarios: list[Scenario], *, solver: str | None = None,
                  on_done: Callable[[Outcome], None] | None = None, warm: bool = True, n_jobs: int | None = 1,
                  backend: str | None = None) -> list[Outcome]:
    """The base plan (no change) first, then each scenario; with `warm`, each re-solved from the base's basis
    where the model's shape allows. `n_jobs` (or a joblib `backend` such as "dask", as for forecasting) fans
    the scenarios out in contiguous chunks, each chunk warm from its own first plan. Off by default: on 2 cores
    the warm sequence was faster (bench/plan_bench.py prints both)."""
    everything = [Scenario(BASE), *scenarios]
    n = workers(n_jobs, backend, len(everything))
    if n == 1:
        return _run_chunk(inputs, everything, solver, warm, on_done)
    size = -(-len(everything) // n)
    chunks = [(inputs, everything[k:k + size], solver, warm) for k in range(0, len(everything), size)]
    outcomes = []
    for part in fan_out(_run_chunk, chunks, n, backend):
        for outcome in part:
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
    return outcomes


def _run_chunk(inputs: PlanInputs, scenarios: list[Scenario], solver: str | None, warm: bool,
               on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    from ..plan import WarmHighs

    session = WarmHighs() if warm else None
    outcomes = []
    for scenario in scenarios:
        outcome = solve_scenario(inputs, scenario, solver=solver, warm=session)
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes


def _empty_kpis(status: str) -> dict:
    kpis = {k: np.nan for k in COMPARISON}
    kpis["status"] = status
    return kpis


def scenario_financials(result, data, inputs: PlanInputs) -> pd.DataFrame | None:
    """The Financials table of one solved scenario: the same `financials` core as the financials stage,
    with the scenario's demand, items and planned prices, so its revenue and gross margin are the
    figures the Financials sheet shows when the scenario is the plan of record."""
    if result.supply_plan.empty:
        return None
    plan = result.supply_plan.copy()
    plan["ds"] = plan["period"].map(dict(zip(data.labels, data.periods)))
    opening = data.items["opening_backlog"].fillna(0.0) if "opening_backlog" in data.items else None
    return financials(demand=inputs.frames["demand"], items=inputs.frames["items"], supply_plan=plan,
                      opening_backlog=opening, prices=inputs.extra.get("prices"),
                      period_type=data.settings.period_type)


def plan_kpis(result, data, fin: pd.DataFrame | None) -> dict:
    """Service and money of one solved plan (NaN where the plan has no solution), from `plan_measures`;
    `fin` is its Financials table (`scenario_financials`)."""
    if result.supply_plan.empty:
        return _empty_kpis(result.status)
    pt = getattr(data.settings, "period_type", "month")
    m = plan_measures(financials=fin, supply_plan=result.supply_plan, capacity=result.capacity, period_type=pt)
    cost = result.cost
    total = float(result.run.get("total_cost") or cost.loc[cost["cost_type"] == "total_cost", "amount"].sum())
    penalties = float(cost.loc[cost["cost_type"].isin(PENALTIES), "amount"].sum())
    workforce = result.workforce
    out = {k: m[k] for k in ("service_level", "fill_rate", "revenue", "gross_margin", "average_inventory_value",
                             "ending_inventory", "ending_inventory_value", "utilisation", "peak_utilisation",
                             "overtime_hours")}
    out.update(status=result.status, total_cost=total, contribution=m["revenue"] - (total - penalties),
               hires=float(workforce["hires"].sum()) if len(workforce) else 0.0,
               layoffs=float(workforce["layoffs"].sum()) if len(workforce) else 0.0)
    return out


def comparison_table(outcomes: list[Outcome], *, plan_of_record: str | None = None,
                     period_type: str = "month") -> pd.DataFrame:
    """One row per scenario (base first) with the differences to the base plan."""
    rows = []
    for o in outcomes:
        row = {k: np.nan for k in COMPARISON}
        row.update(o.kpis)
        row["scenario"] = o.scenario.name
        row["kind"] = o.scenario.kind
        row["changes"] = (o.scenario.describe(period_type) if o.scenario.name != BASE
                          else "the plan's inputs as they are")
        rows.append(row)
    table = pd.DataFrame(rows, columns=COMPARISON)
    base = table.iloc[0]
    table["cost_vs_base"] = table["total_cost"] - base["total_cost"]
    table["contribution_vs_base"] = table["contribution"] - base["contribution"]
    chosen = plan_of_record or BASE
    table["plan_of_record"] = table["scenario"].str.lower() == chosen.lower()
    return table
