"""Supply review: rough-cut capacity check and the optimised, capacity-constrained supply plan.

The only package of sop_xl that imports pulp. It takes the contract sheets as pandas
frames and returns the plan tables::

    from sop_xl.plan import plan
    result = plan(items=items, resources=resources, routing=routing, demand=demand,
                  workforce=workforce, inventory=inventory, settings={"horizon": 6})
    result.status, result.objective, result.supply_plan, result.capacity

Steps, each usable alone: `build_plan_data` (validate, freeze) -> `rough_cut` or
`build_plan_model` -> `solve_model` -> `plan_tables`; `solve_plan` runs the last three and
explains an infeasible plan with `explain_infeasible`.

Settings ``solver``: ``highs`` (default: interior point + crossover for LPs, branch-and-cut for
MIPs), ``highs-simplex``, ``highs-ipm``, ``cbc``, or any name `pulp.listSolvers()` gives. A missing
or crashing HiGHS falls back to CBC, and the run record says so.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from ..gc_pause import gc_paused
from ..issues import InputError, Issue, IssueCode, Severity
from .data import PlanData, build_plan_data
from .explain import explain_infeasible, explain_layoffs
from .model import COST_TYPES, PlanModel, build_plan_model
from .results import PlanResult, plan_tables
from .roughcut import rough_cut
from .settings import PlanSettings
from .solve import HAS_PLAN, INFEASIBLE, NO_SOLUTION, OPTIMAL, TIME_LIMIT, UNBOUNDED, SolveResult, solve_model

__all__ = [
    "PlanData", "PlanSettings", "PlanModel", "PlanResult", "SolveResult", "COST_TYPES",
    "build_plan_data", "build_plan_model", "solve_model", "solve_plan", "plan", "rough_cut", "roughcut",
    "explain_infeasible", "plan_tables",
    "OPTIMAL", "TIME_LIMIT", "NO_SOLUTION", "INFEASIBLE", "UNBOUNDED", "HAS_PLAN",
]


def solve_plan(data: PlanData, *, solver: str | None = None, time_limit: float | None = None,
               mip_gap: float | None = None, crossover: bool = True) -> PlanResult:
    """Build, solve and tabulate; an infeasible plan comes back with its explanation."""
    with gc_paused():  # the model's objects all stay alive: collections would only slow the build
        return _solve_plan(data, solver=solver, time_limit=time_limit, mip_gap=mip_gap, crossover=crossover)


def _solve_plan(data: PlanData, *, solver: str | None, time_limit: float | None, mip_gap: float | None,
                crossover: bool) -> PlanResult:
    s = data.settings
    solver = solver or s.solver
    time_limit = s.time_limit if time_limit is None else time_limit
    mip_gap = s.mip_gap if mip_gap is None else mip_gap
    start = time.perf_counter()
    model = build_plan_model(data)
    built = time.perf_counter() - start
    try:
        solved = solve_model(model.problem, solver, time_limit=time_limit, mip_gap=mip_gap, crossover=crossover)
    except ValueError as exc:  # unknown or missing solver named in Settings
        raise InputError([Issue(Severity.ERROR, IssueCode.NOT_ALLOWED, str(exc),
                                "Use highs, cbc, or a solver pulp lists as available.", sheet="Settings",
                                row_key="solver", value=solver)]) from None
    result = plan_tables(model, solved, built)
    if solved.has_plan:
        result.explanation = explain_layoffs(model, result.capacity, result.workforce)
    if solved.status == INFEASIBLE:
        result.explanation, result.issues = explain_infeasible(data, solver=solver, time_limit=time_limit)
    elif solved.status == UNBOUNDED:
        result.issues = [Issue(Severity.ERROR, "plan_unbounded", "The plan is unbounded: some activity earns "
                               "money without limit.", "Check for negative costs or a price with no demand limit.")]
    elif solved.status == NO_SOLUTION:
        result.issues = [Issue(Severity.ERROR, IssueCode.PLAN_LIMIT, f"No plan found: {solved.message}.",
                               "Raise Settings time_limit or mip_gap, or switch lot_sizing/whole_headcount off.",
                               sheet="Settings", row_key="time_limit")]
    elif solved.status == TIME_LIMIT:
        result.issues = [Issue(Severity.WARNING, IssueCode.PLAN_LIMIT, f"The plan is not proven optimal: "
                               f"{solved.message}.", "Raise Settings time_limit for a better plan.",
                               sheet="Settings", row_key="time_limit")]
    if solved.requested:
        result.issues.append(Issue(Severity.WARNING, "plan_solver_fallback", solved.message,
                                   "Install highspy for the default solver.", sheet="Settings", row_key="solver"))
    result.issues.extend(_safety_stock_warnings(result))
    result.run["issues"] = len(result.issues)
    return result


def _safety_stock_warnings(result: PlanResult) -> list[Issue]:
    """One warning for all items below safety stock (the SupplyPlan sheet has the detail)."""
    plan_ = result.supply_plan
    if plan_.empty:
        return []
    short = plan_[plan_["safety_stock_shortfall"] > 1e-6]
    if short.empty:
        return []
    worst = short.sort_values("safety_stock_shortfall", ascending=False).drop_duplicates("item").head(3)
    examples = "; ".join(f"{r.item} {r.safety_stock_shortfall:,.0f} units short in {r.period}"
                         for r in worst.itertuples())
    items = short["item"].nunique()
    return [Issue(Severity.WARNING, "plan_below_safety_stock",
                  f"{items} item(s) fall below safety stock in {len(short)} item-period(s) (worst: {examples}).",
                  "See column 'Below safety stock'; add capacity, or raise Settings safety_stock_penalty if stock "
                  "matters more than cost.", sheet="SupplyPlan", row_key=str(worst.iloc[0]["item"]))]


def plan(*, items: pd.DataFrame, resources: pd.DataFrame, routing: pd.DataFrame, demand: pd.DataFrame,
         settings: Any = None, calendar: pd.DataFrame | None = None, workforce: pd.DataFrame | None = None,
         inventory: pd.DataFrame | None = None, solver: str | None = None) -> PlanResult:
    """The whole supply plan from pandas frames; raises `InputError` with every problem of the input."""
    data, issues = build_plan_data(items=items, resources=resources, routing=routing, demand=demand,
                                   settings=_settings(settings), calendar=calendar, workforce=workforce,
                                   inventory=inventory)
    if data is None:
        raise InputError(issues)
    result = solve_plan(data, solver=solver)
    result.issues = issues + result.issues
    return result


def roughcut(*, items: pd.DataFrame, resources: pd.DataFrame, routing: pd.DataFrame, demand: pd.DataFrame,
             settings: Any = None, calendar: pd.DataFrame | None = None, workforce: pd.DataFrame | None = None
             ) -> tuple[pd.DataFrame, list[Issue]]:
    """The rough-cut capacity table from pandas frames (costs are not needed)."""
    data, issues = build_plan_data(items=items, resources=resources, routing=routing, demand=demand,
                                   settings=_settings(settings), calendar=calendar, workforce=workforce,
                                   check_costs=False)
    if data is None:
        raise InputError(issues)
    return rough_cut(data), issues


def _settings(settings: Any) -> PlanSettings:
    return settings if isinstance(settings, PlanSettings) else PlanSettings.from_settings(settings)
