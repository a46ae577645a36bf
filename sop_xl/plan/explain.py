"""Why a plan is infeasible: the requirements that must give, and by how much.

The elastic model (`build_plan_model(..., elastic=True)`) gives every hard requirement a
slack and minimises the total *relative* violation (hours short / regular hours, units
short / target...), so a small line is not blamed just because its hours are cheap. A
slightly higher weight on earlier periods makes the violation land as late as possible:
"Line2 lacks 340 h in 2027-03" names the last period the hours can still help.
"""

from __future__ import annotations

import pandas as pd

from ..issues import Issue, IssueCode, Severity
from .data import PlanData
from .model import PlanModel, Slack, build_plan_model, has
from .solve import solve_model

_EPS = 1e-6


def explain_infeasible(data: PlanData, *, solver: str = "highs", time_limit: float = 60.0) -> tuple[pd.DataFrame,
                                                                                                    list[Issue]]:
    """The violated requirements of an infeasible plan as a table (PlanExplain) and as Issues."""
    model = build_plan_model(data, elastic=True)
    _weight(model)
    solved = solve_model(model.lp, solver, time_limit=time_limit, mip_gap=0.0)
    if not solved.has_plan:
        message = ("The plan is infeasible and even relaxing capacity, end targets, end backlog, demand and storage does "
                   f"not make it feasible (elastic model: {solved.status}).")
        issue = Issue(Severity.ERROR, IssueCode.PLAN_INFEASIBLE, message,
                      "Check Workforce min/max headcount and Items min/max lots.")
        return _frame([]), [issue]
    rows = []
    for slack in model.slacks:
        amount = model.lp.value(slack.var)
        if amount > _EPS * max(1.0, _scale(model, slack)):
            rows.append(_describe(data, slack, amount))
    issues = [Issue(Severity.ERROR, IssueCode.PLAN_INFEASIBLE, r["message"], r["hint"], sheet=r["sheet"],
                    cell=r["cell"], column=r["column"], row_key=r["key"], value=round(r["violation"], 6))
              for r in rows]
    return _frame(rows), issues


def _weight(m: PlanModel) -> None:
    periods = len(m.data.labels)
    index = {lab: t for t, lab in enumerate(m.data.labels)}
    terms = {}
    for slack in m.slacks:
        t = index.get(slack.key[-1], periods - 1)
        lateness = 1.0 + 1e-3 * (periods - 1 - t) / max(periods, 1)
        terms[slack.var] = lateness * _firmness(m, slack) / max(_scale(m, slack), 1e-9)
    m.lp.set_objective(list(terms), list(terms.values()))


def _firmness(m: PlanModel, slack: Slack) -> float:
    """Under demand_policy meet_all, demand is what the planner keeps: giving up demand (backorders left at the
    end, unmet demand) is relaxed only when no capacity, target or limit can make the plan feasible."""
    if m.data.settings.policy == "meet_all" and slack.family in _DEMAND_SLACKS:
        return 1e3
    return 1.0


_DEMAND_SLACKS = ("no_backlog_at_end", "unmet_demand")


def _scale(m: PlanModel, slack: Slack) -> float:
    """The size a violation is compared with: regular hours, the target, the item's demand, the limit."""
    d = m.data
    if slack.family == "capacity":
        resource = slack.key[0]
        if resource in d.workforce.index:
            w = d.workforce.loc[resource]
            return max(float(w["initial_headcount"]) * float(w["hours_per_worker"]), 1.0)
        # a resource typed with 0 h is compared with the hours its demand needs, not with 1 h: otherwise
        # any other requirement looks cheaper to relax and the zero capacity is never named
        return max(float(d.capacity.loc[resource, "regular"].mean()), _hours_needed(d, resource), 1.0)
    if slack.family == "end_stock":
        return max(float(d.items.at[slack.key[0], "target_end_stock"]), 1.0)
    if slack.family in _DEMAND_SLACKS:
        return max(float(d.demand.loc[slack.key[0]].sum()), 1.0)
    if slack.family == "max_stock":
        return max(float(d.items.at[slack.key[0], "max_stock"]), 1.0)
    return max(float(d.settings.storage_capacity or 0.0), 1.0)


def _hours_needed(d: PlanData, resource: str) -> float:
    """Average hours per period the demand needs on `resource`."""
    r = d.routing[d.routing["resource"] == resource]
    if r.empty:
        return 0.0
    per_item = d.demand.mean(axis=1).reindex(r["item"]).fillna(0.0).to_numpy()
    return float((per_item * r["hours_per_unit"].to_numpy(float)).sum())


def _describe(d: PlanData, slack: Slack, amount: float) -> dict:
    key, lab = slack.key[0], slack.key[-1]
    q = f"{amount:,.0f}" if amount >= 10 else f"{amount:,.2f}"
    if slack.family == "capacity":
        message = f"{key} lacks {q} h in {lab}."
        hint = "Add capacity or overtime (CapacityCalendar), hire (Workforce), subcontract, or allow backlog."
        source = d.sources.get(("capacity", key))
    elif slack.family == "end_stock":
        message = f"End inventory target of SKU {key} unreachable: {q} units short at the end of {lab}."
        hint = "Lower the target end stock, or add capacity."
        source = d.sources.get(("end_stock", key))
    elif slack.family == "no_backlog_at_end" and d.settings.policy == "meet_all":
        message = (f"{q} units of {key} demand cannot be met by the end of {lab} (Settings demand_policy "
                   "meet_all).")
        hint = "Add capacity, subcontract, or set Settings demand_policy to backlog or lost_sales."
        source = ("Settings", d.settings.demand_policy_cell, "demand_policy")
    elif slack.family == "no_backlog_at_end":
        message = f"{q} units of {key} backorders cannot be filled by the end of {lab}."
        hint = "Add capacity, subcontract, or set Settings no_backlog_at_end to no."
        source = d.sources.get(("no_backlog_at_end", ""))
    elif slack.family == "unmet_demand":
        message = f"{q} units of {key} demand cannot be met in {lab} (Settings demand_policy meet_all, no backlog)."
        hint = ("Add capacity, subcontract, set Settings allow_backlog to yes, or set demand_policy to backlog or "
                "lost_sales.")
        source = ("Settings", d.settings.demand_policy_cell, "demand_policy")
    elif slack.family == "max_stock":
        message = f"{key} needs {q} units above its max stock in {lab}."
        hint = "Raise Max stock, or add capacity in later periods."
        source = d.sources.get(("max_stock", key))
    else:
        message = f"The warehouse needs room for {q} units more than the storage capacity in {lab}."
        hint = "Raise Settings storage_capacity, or add capacity in later periods."
        source = d.sources.get(("storage", ""))
    sheet, cell, column = source or ("", "", "")
    return {"requirement": slack.family, "key": key, "period": lab, "violation": amount, "unit": slack.unit,
            "message": message, "hint": hint, "sheet": sheet, "cell": cell, "column": column}


def _frame(rows: list[dict]) -> pd.DataFrame:
    columns = ["requirement", "key", "period", "violation", "unit", "message", "hint", "sheet", "cell", "column"]
    return pd.DataFrame(rows, columns=columns)



# ------------------------------------------------------------------------------ decisions of a feasible plan

def explain_layoffs(m: PlanModel, capacity: pd.DataFrame, workforce: pd.DataFrame) -> pd.DataFrame:
    """Layoffs in a pool whose hours are scarce (positive shadow price) look wrong to a planner: say why
    the model still lays off. Keeping one worker from the layoff period to the end costs the wages of
    those periods less the layoff cost saved; it is worth the worker's hours at their shadow prices.
    When the hours are worth less, other means (overtime, stock built earlier, subcontracting,
    backorders) cover the load more cheaply."""
    d = m.data
    rows = []
    if workforce.empty or capacity.empty:
        return _frame([])
    labels = list(d.labels)
    for pool, w in d.workforce.iterrows():
        plan_ = workforce[workforce["pool"] == pool]
        cap = capacity[capacity["resource"] == pool]
        fired = plan_[plan_["layoffs"] > 1e-6]
        price = cap["shadow_price"].fillna(0.0).to_numpy(float)
        if fired.empty or not (price > 1e-9).any():
            continue
        first = fired.iloc[0]
        t0 = labels.index(first["period"])
        hours = float(w["hours_per_worker"])
        worth = hours * float(price[t0:].sum())
        keep_cost = float(w["wage"]) * (len(labels) - t0) - float(w["layoff_cost"])
        peak = float(price.max())
        total = float(fired["layoffs"].sum())
        others = []
        if has(m.sub):
            others.append("subcontracting")
        if has(m.back):
            others.append("backorders")
        others += ["stock built earlier", "overtime"]
        reason = (f"keeping one more worker from {first['period']} to the end of the horizon costs "
                  f"{keep_cost:,.0f} (wages less the layoff cost saved) while their {hours:,.0f} h per period are "
                  f"worth {worth:,.0f} at the shadow prices (up to {peak:,.2f} per hour)")
        verdict = ("so laying off is cheaper; the load is covered by " + ", ".join(others) + "."
                   if worth <= keep_cost + 1e-6 else
                   "; whole-people rounding or headcount limits make the layoff part of the cheapest plan.")
        message = (f"{pool}: {total:,.0f} layoff(s) although its hours are scarce: {reason}, {verdict}")
        rows.append({"requirement": "layoffs", "key": pool, "period": first["period"], "violation": total,
                     "unit": "people", "message": message,
                     "hint": "To keep the people, raise Workforce Layoff cost or Min headcount, or lower the "
                             "Wage if it overstates the cost of keeping a worker.",
                     "sheet": "Workforce", "cell": d.sources.get(("layoff_cost", pool), ("", "", ""))[1],
                     "column": "Layoff cost"})
    return _frame(rows)
