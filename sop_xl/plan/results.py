"""The solved model as the tables planners read: SupplyPlan, Capacity, WorkforcePlan, PlanCost, PlanRun."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from .model import COST_TYPES, PlanModel
from .pulp_internals import n_constraints
from .solve import OPTIMAL, SolveResult

_TINY = 1e-7


@dataclass
class PlanResult:
    """Everything one plan run produces; tables are empty when no plan was found."""

    run: dict
    supply_plan: pd.DataFrame = field(default_factory=pd.DataFrame)
    capacity: pd.DataFrame = field(default_factory=pd.DataFrame)
    workforce: pd.DataFrame = field(default_factory=pd.DataFrame)
    cost: pd.DataFrame = field(default_factory=pd.DataFrame)
    explanation: pd.DataFrame = field(default_factory=pd.DataFrame)
    issues: list = field(default_factory=list)

    @property
    def status(self) -> str:
        """The status code (solve.OPTIMAL, TIME_LIMIT, ...); run["status"] is the text planners read."""
        return self.run.get("status_code", self.run["status"])

    @property
    def objective(self) -> float | None:
        return self.run["objective"]


def _v(var: pulp.LpVariable | None) -> float:
    if var is None or var.varValue is None:
        return 0.0
    x = float(var.varValue)
    return 0.0 if abs(x) < _TINY else x


def _terms_value(terms: dict) -> float:
    return float(sum(c * _v(v) for v, c in terms.items()))


def supply_plan_table(m: PlanModel) -> pd.DataFrame:
    d = m.data
    rows = []
    families = d.items["family"].tolist()
    for i, item in enumerate(d.items.index):
        family = families[i]
        for t, lab in enumerate(d.labels):
            k = (item, t)
            rows.append((item, family, lab, float(m.demand[i, t]), float(m.receipts[i, t]), _v(m.make.get(k)),
                         _v(m.sub.get(k)),
                         _v(m.inv[k]), _v(m.back.get(k)), _v(m.lost.get(k)), float(m.safety[i, t]),
                         _v(m.short.get(k)), _v(m.setup.get(k)) if k in m.setup else np.nan))
    return pd.DataFrame(rows, columns=["item", "family", "period", "demand", "scheduled_receipts", "production",
                                       "subcontract", "inventory",
                                       "backlog", "lost_sales", "safety_stock", "safety_stock_shortfall", "setups"])


def capacity_duals(m: PlanModel) -> dict:
    """pi of each capacity row, read from the LP just solved."""
    return {key: m.rows[name].pi for key, name in m.capacity_rows.items()}


def duals_with_integers_fixed(m: PlanModel) -> dict | None:
    """Shadow prices of a whole-number plan: the LP left when every integer variable is fixed at its value.

    They say what an hour is worth given the plan's setups and headcount. The plan's own values are put
    back afterwards (the LP may pick another of several equally good continuous solutions).
    """
    from .solve import solve_model

    variables = m.problem.variables()
    kept = [(v, v.lowBound, v.upBound, v.cat, v.varValue) for v in variables]
    try:
        for v in variables:
            if v.cat == pulp.LpInteger:
                x = float(round(v.varValue or 0.0))
                v.lowBound, v.upBound, v.cat = x, x, pulp.LpContinuous
        solved = solve_model(m.problem, "highs-simplex", time_limit=60.0)
        return capacity_duals(m) if solved.status == OPTIMAL else None
    finally:
        for v, lo, up, cat, value in kept:
            v.lowBound, v.upBound, v.cat, v.varValue = lo, up, cat, value


def capacity_table(m: PlanModel, duals: dict | None) -> pd.DataFrame:
    """Hours per resource and period; shadow price from `duals` (None: left blank)."""
    d = m.data
    worth_sign = 1.0 if d.settings.objective == "max_margin" else -1.0  # one more hour lowers cost / raises margin
    rows = []
    for resource, res in d.resources.iterrows():
        labour = bool(res["is_labour"])
        if labour:
            pool = d.workforce.loc[resource]
        else:
            cap = d.capacity.loc[resource].reindex(d.periods)
            regular_cap, overtime_caps = cap["regular"].to_numpy(float), cap["overtime"].to_numpy(float)
        for t, lab in enumerate(d.labels):
            if labour:
                workers = _v(m.workers[(resource, t)])
                regular = workers * float(pool["hours_per_worker"])
                overtime_cap = workers * float(pool["overtime_hours_per_worker"])
            else:
                regular, overtime_cap = float(regular_cap[t]), float(overtime_caps[t])
            used = _terms_value(m.load[(resource, t)])
            ot = _v(m.ot[(resource, t)])
            price = np.nan
            if duals is not None:
                pi = duals.get((resource, t))
                price = 0.0 if pi is None or abs(pi) < 1e-9 else worth_sign * float(pi)
            rows.append((resource, res["kind"], lab, regular, overtime_cap, used, ot,
                         used / regular if regular > 0 else (np.nan if used == 0 else np.inf), price))
    frame = pd.DataFrame(rows, columns=["resource", "kind", "period", "regular_capacity", "overtime_capacity",
                                        "used_hours", "overtime_hours", "utilisation", "shadow_price"])
    frame["utilisation"] = frame["utilisation"].replace(np.inf, np.nan)
    return frame


def workforce_table(m: PlanModel) -> pd.DataFrame:
    d = m.data
    rows = []
    for pool, w in d.workforce.iterrows():
        for t, lab in enumerate(d.labels):
            k = (pool, t)
            headcount = _v(m.workers[k])
            rows.append((pool, lab, headcount, _v(m.hire[k]), _v(m.fire[k]), headcount * float(w["hours_per_worker"]),
                         _v(m.ot[k])))
    return pd.DataFrame(rows, columns=["pool", "period", "headcount", "hires", "layoffs", "regular_hours",
                                       "overtime_hours"])


def cost_table(m: PlanModel) -> pd.DataFrame:
    """Long table cost_type x period (plus revenue and margin when maximising margin)."""
    d = m.data
    rows = []
    for kind in COST_TYPES:
        per_period = m.costs.get(kind, {})
        for t, lab in enumerate(d.labels):
            rows.append((kind, lab, _terms_value(per_period.get(t, {}))))
    frame = pd.DataFrame(rows, columns=["cost_type", "period", "amount"])
    totals = frame.groupby("period", sort=False)["amount"].sum()
    extra = [("total_cost", lab, float(totals[lab])) for lab in d.labels]
    if d.settings.objective == "max_margin":
        for t, lab in enumerate(d.labels):
            revenue = m.revenue_constant.get(t, 0.0) + _terms_value(m.revenue.get(t, {}))
            extra.append(("revenue", lab, revenue))
            extra.append(("margin", lab, revenue - float(totals[lab])))
    frame = pd.concat([frame, pd.DataFrame(extra, columns=frame.columns)], ignore_index=True)
    frame["amount"] = frame["amount"].where(frame["amount"].abs() > 1e-9, 0.0)
    return frame


def demand_policy_text(settings) -> str:
    """The demand policy in force as PlanRun shows it; a blank setting says which allow_backlog it follows."""
    if settings.demand_policy in ("meet_all", "backlog", "lost_sales"):
        return settings.policy
    return f"{settings.policy} (allow_backlog {'yes' if settings.allow_backlog else 'no'})"


def run_record(m: PlanModel, solved: SolveResult, build_seconds: float, issues: int = 0) -> dict:
    problem = m.problem
    return {
        "time": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M:%S UTC"),
        "objective_type": m.data.settings.objective,
        "demand_policy": demand_policy_text(m.data.settings),
        "status": solved.status_text,
        "status_code": solved.status,
        "solver": solved.solver,
        "requested_solver": solved.requested or solved.solver,
        "objective": solved.objective,
        "gap": solved.gap,
        "build_seconds": round(build_seconds, 3),
        "solve_seconds": round(solved.seconds, 3),
        "solver_seconds": None if solved.solver_seconds is None else round(solved.solver_seconds, 3),
        "variables": m.n_variables,
        "integer_variables": m.n_integer_variables,
        "constraints": n_constraints(problem),
        "items": len(m.data.items),
        "periods": len(m.data.labels),
        "resources": len(m.data.resources),
        "issues": issues,
        "demand_source": "",
        "message": solved.message,
    }


def plan_tables(m: PlanModel, solved: SolveResult, build_seconds: float) -> PlanResult:
    result = PlanResult(run=run_record(m, solved, build_seconds))
    if not solved.has_plan:
        return result
    result.supply_plan = supply_plan_table(m)
    duals = None
    if solved.status == OPTIMAL:
        duals = duals_with_integers_fixed(m) if m.is_mip else capacity_duals(m)
    result.capacity = capacity_table(m, duals)
    result.workforce = workforce_table(m)
    result.cost = cost_table(m)
    total = result.cost.loc[result.cost["cost_type"] == "total_cost", "amount"].sum()
    result.run["total_cost"] = float(total)
    return result
