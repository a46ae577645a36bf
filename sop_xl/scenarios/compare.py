"""Run the plan once per scenario and compare the outcomes side by side.

Every scenario goes through the ordinary plan core (`build_plan_data` + `solve_plan`) with
its modified inputs, so it obeys the same constraints and costs as the plan of record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ..finance.core import shipped
from ..issues import Issue
from .levers import BASE, PlanInputs, Scenario, apply_scenario

PENALTIES = ("backlog", "lost_sales", "safety_stock")  # cost types that are not cash
COMPARISON = ["scenario", "changes", "status", "service_level", "fill_rate", "revenue", "total_cost", "margin",
              "ending_inventory", "ending_inventory_value", "peak_utilisation", "overtime_hours", "hires",
              "layoffs", "cost_vs_base", "margin_vs_base", "plan_of_record"]


@dataclass
class Outcome:
    scenario: Scenario
    result: object | None          # PlanResult (None when the inputs were refused)
    data: object | None            # PlanData
    kpis: dict = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


def solve_scenario(inputs: PlanInputs, scenario: Scenario, *, solver: str | None = None) -> Outcome:
    from ..plan import build_plan_data, solve_plan

    changed = apply_scenario(inputs, scenario)
    data, issues = build_plan_data(**changed.frames, settings=changed.settings, demand_sheet=changed.demand_sheet)
    if data is None:
        return Outcome(scenario, None, None, _empty_kpis("invalid input"), issues)
    result = solve_plan(data, solver=solver)
    return Outcome(scenario, result, data, plan_kpis(result, data), issues + result.issues)


def run_scenarios(inputs: PlanInputs, scenarios: list[Scenario], *, solver: str | None = None,
                  on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """The base plan (no change) first, then each scenario."""
    outcomes = []
    for scenario in [Scenario(BASE), *scenarios]:
        outcome = solve_scenario(inputs, scenario, solver=solver)
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes


def _empty_kpis(status: str) -> dict:
    kpis = {k: np.nan for k in COMPARISON}
    kpis["status"] = status
    return kpis


def plan_kpis(result, data) -> dict:
    """Service and money of one solved plan (NaN where the plan has no solution)."""
    if result.supply_plan.empty:
        return _empty_kpis(result.status)
    plan = result.supply_plan.copy()
    plan["ds"] = plan["period"].map(dict(zip(data.labels, data.periods)))
    plan = shipped(plan, data.items["opening_backlog"].fillna(0.0))
    # first in, first out: a backlog at a period end is that period's newest demand
    on_time = (plan["demand"] - plan["backlog"] - plan["lost_sales"]).clip(lower=0.0)
    on_time = np.minimum(on_time, plan["demand"])
    with_demand = plan["demand"] > 1e-9
    price = plan["item"].map(data.items["price"]).fillna(0.0)
    unit_cost = plan["item"].map(data.items["unit_cost"]).fillna(0.0)
    revenue = float((plan["shipped"] * price).sum())
    cost = result.cost
    total = float(result.run.get("total_cost") or cost.loc[cost["cost_type"] == "total_cost", "amount"].sum())
    penalties = float(cost.loc[cost["cost_type"].isin(PENALTIES), "amount"].sum())
    last = plan[plan["ds"] == plan["ds"].max()]
    capacity = result.capacity
    workforce = result.workforce
    demand_total = float(plan["demand"].sum())
    return {
        "status": result.status,
        "service_level": float((on_time[with_demand] >= plan["demand"][with_demand] - 1e-6).mean())
        if with_demand.any() else np.nan,
        "fill_rate": float(on_time.sum() / demand_total) if demand_total > 0 else np.nan,
        "revenue": revenue,
        "total_cost": total,
        "margin": revenue - (total - penalties),
        "ending_inventory": float(last["inventory"].sum()),
        "ending_inventory_value": float((last["inventory"] * unit_cost[last.index]).sum()),
        "peak_utilisation": float(capacity["utilisation"].max()) if len(capacity) else np.nan,
        "overtime_hours": float(capacity["overtime_hours"].sum()) if len(capacity) else 0.0,
        "hires": float(workforce["hires"].sum()) if len(workforce) else 0.0,
        "layoffs": float(workforce["layoffs"].sum()) if len(workforce) else 0.0,
    }


def comparison_table(outcomes: list[Outcome], *, plan_of_record: str | None = None,
                     period_type: str = "month") -> pd.DataFrame:
    """One row per scenario (base first) with the differences to the base plan."""
    rows = []
    for o in outcomes:
        row = {k: np.nan for k in COMPARISON}
        row.update(o.kpis)
        row["scenario"] = o.scenario.name
        row["changes"] = (o.scenario.describe(period_type) if o.scenario.name != BASE
                          else "the plan's inputs as they are")
        rows.append(row)
    table = pd.DataFrame(rows, columns=COMPARISON)
    base = table.iloc[0]
    table["cost_vs_base"] = table["total_cost"] - base["total_cost"]
    table["margin_vs_base"] = table["margin"] - base["margin"]
    chosen = plan_of_record or BASE
    table["plan_of_record"] = table["scenario"].str.lower() == chosen.lower()
    return table
