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

Settings ``solver``: ``highs`` (default: the model's arrays handed to HiGHS in one call; dual simplex for
planning LPs, interior point + crossover above 250,000 columns, branch-and-cut for MIPs),
``highs-simplex``, ``highs-ipm``, ``cbc``, or any name `pulp.listSolvers()` gives (the model is then
built as a pulp problem). A missing or crashing HiGHS falls back to CBC, and the run record says so.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from ..gc_pause import gc_paused
from ..issues import InputError, Issue, IssueCode, Severity
from .data import PlanData, build_plan_data, family_data
from .explain import explain_infeasible, explain_layoffs
from .model import COST_TYPES, PlanModel, build_plan_model
from .results import PlanResult, plan_tables
from .roughcut import rough_cut
from .settings import PlanSettings
from .solve import (HAS_PLAN, INFEASIBLE, NO_SOLUTION, OPTIMAL, TIME_LIMIT, UNBOUNDED, SolveResult, WarmHighs,
                    solve_model)

__all__ = [
    "PlanData", "PlanSettings", "PlanModel", "PlanResult", "SolveResult", "WarmHighs", "COST_TYPES",
    "build_plan_data", "build_plan_model", "solve_model", "solve_plan", "solve_plan_within_limit", "disaggregate",
    "family_data", "estimated_columns", "plan", "rough_cut", "roughcut",
    "explain_infeasible", "plan_tables",
    "OPTIMAL", "TIME_LIMIT", "NO_SOLUTION", "INFEASIBLE", "UNBOUNDED", "HAS_PLAN",
]


def solve_plan(data: PlanData, *, solver: str | None = None, time_limit: float | None = None,
               mip_gap: float | None = None, crossover: bool = True, fallback: bool = True,
               warm: WarmHighs | None = None) -> PlanResult:
    """Build, solve and tabulate; an infeasible plan comes back with its explanation. With `fallback`, an SKU
    model too big for the time limit is planned by family and disaggregated (`solve_plan_within_limit`).
    `warm` (scenarios): HiGHS re-solves from the basis of the previous plan when the model has the same shape."""
    if fallback and _too_big(data, time_limit):
        return solve_plan_within_limit(data, solver=solver, time_limit=time_limit, mip_gap=mip_gap, warm=warm)
    with gc_paused():  # the model's objects all stay alive: collections would only slow the build
        return _solve_plan(data, solver=solver, time_limit=time_limit, mip_gap=mip_gap, crossover=crossover,
                           warm=warm)


# An SKU model estimated above this many columns per second of Settings time_limit is planned at family
# level and disaggregated (measured on 2 cores: a 36k-column plan LP builds and solves in about 2 s, a
# 450k-column one needed 14 s to build and 118 s to solve).
COLUMNS_PER_SECOND = 2_500


def estimated_columns(data: PlanData) -> int:
    """Columns of the plan model, before building it: item x period variables dominate."""
    per_item = 3 + int(data.settings.backorders) + int(data.settings.lost_sales) + (1 if (data.safety_stock.to_numpy() > 0).any() else 0)
    return len(data.items) * len(data.labels) * per_item + 6 * len(data.resources) * len(data.labels)


def _too_big(data: PlanData, time_limit: float | None) -> bool:
    limit = data.settings.time_limit if time_limit is None else time_limit
    return data.settings.plan_level == "sku" and estimated_columns(data) > COLUMNS_PER_SECOND * limit


def solve_plan_within_limit(data: PlanData, *, solver: str | None = None, time_limit: float | None = None,
                            mip_gap: float | None = None, warm: WarmHighs | None = None) -> PlanResult:
    """`solve_plan`, or - when the SKU model is too big for the time limit - the family plan (S&OP's own
    level) disaggregated back to SKUs, saying so in PlanRun and as a warning."""
    limit = data.settings.time_limit if time_limit is None else time_limit
    columns = estimated_columns(data)
    if not _too_big(data, time_limit):
        return solve_plan(data, solver=solver, time_limit=time_limit, mip_gap=mip_gap, fallback=False, warm=warm)
    fam = family_data(data)
    result = solve_plan(fam, solver=solver, time_limit=time_limit, mip_gap=mip_gap, fallback=False, warm=warm)
    why = (f"planned at family level: {len(data.items):,} SKUs x {len(data.labels)} periods would need about "
           f"{columns:,} columns, too many for the time limit of {limit:g} s; SKU quantities are each family's "
           "split by the SKU's share of the family's demand in the period")
    result.run["message"] = "; ".join(m for m in (result.run.get("message"), why) if m)
    result.run["plan_level"] = "family (disaggregated)"
    if not result.supply_plan.empty:
        result.supply_plan = disaggregate(result.supply_plan, data)
    result.issues.append(Issue(Severity.WARNING, "plan_family_fallback", why[0].upper() + why[1:] + ".",
                               "Raise Settings time_limit for an SKU-level plan, or set plan_level to family.",
                               sheet="Settings", row_key="time_limit"))
    result.run["issues"] = len(result.issues)
    return result


def disaggregate(family_plan: pd.DataFrame, sku_data: PlanData) -> pd.DataFrame:
    """SupplyPlan rows per SKU from the family plan: production, subcontracting, stock, backlog, lost sales
    and shortfalls split by each SKU's share of its family's demand in the period (its share over the
    horizon in a period without demand, equal shares in a family without any); demand and safety stock
    are the SKU's own."""
    items = sku_data.items
    fam_of = items["family"]
    demand = sku_data.demand
    total = demand.sum(axis=1)
    fam_total = total.groupby(fam_of).transform("sum")
    count = total.groupby(fam_of).transform("size")
    horizon_share = (total / fam_total.where(fam_total > 0)).fillna(1.0 / count)
    per_period = demand.groupby(fam_of).transform("sum")
    share = demand.div(per_period.where(per_period > 0))  # the period's own mix, else the horizon's
    share = share.apply(lambda col: col.fillna(horizon_share))
    n_periods = len(sku_data.labels)
    fam = family_plan.set_index(["item", "period"])
    key = pd.MultiIndex.from_arrays([np.repeat(items["family"].to_numpy(), n_periods),
                                     np.tile(np.asarray(sku_data.labels, dtype=object), len(items))])
    rows = fam.reindex(key)
    out = pd.DataFrame({"item": np.repeat(items.index.to_numpy(), n_periods),
                        "family": np.repeat(items["family"].to_numpy(), n_periods),
                        "period": np.tile(np.asarray(sku_data.labels, dtype=object), len(items))})
    w = share.to_numpy(float).ravel()
    for col in ("production", "subcontract", "inventory", "backlog", "lost_sales", "safety_stock_shortfall"):
        out[col] = rows[col].to_numpy(float) * w
    out["demand"] = sku_data.demand.to_numpy(float).ravel()
    out["scheduled_receipts"] = (0.0 if sku_data.receipts is None
                                 else sku_data.receipts.reindex(index=items.index).to_numpy(float).ravel())
    out["safety_stock"] = sku_data.safety_stock.to_numpy(float).ravel()
    out["setups"] = np.nan
    return out[family_plan.columns]


def _solve_plan(data: PlanData, *, solver: str | None, time_limit: float | None, mip_gap: float | None,
                crossover: bool, warm: WarmHighs | None = None) -> PlanResult:
    s = data.settings
    solver = solver or s.solver
    time_limit = s.time_limit if time_limit is None else time_limit
    mip_gap = s.mip_gap if mip_gap is None else mip_gap
    start = time.perf_counter()
    model = build_plan_model(data)
    built = time.perf_counter() - start
    try:
        solve = solve_model if warm is None else warm.solve
        solved = solve(model.lp, solver, time_limit=time_limit, mip_gap=mip_gap, crossover=crossover)
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
         inventory: pd.DataFrame | None = None, receipts: pd.DataFrame | None = None,
         solver: str | None = None) -> PlanResult:
    """The whole supply plan from pandas frames; raises `InputError` with every problem of the input.
    `receipts`: the ScheduledReceipts sheet (sku, period, quantity), units already in production or on order."""
    data, issues = build_plan_data(items=items, resources=resources, routing=routing, demand=demand,
                                   settings=_settings(settings), calendar=calendar, workforce=workforce,
                                   inventory=inventory, receipts=receipts)
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
