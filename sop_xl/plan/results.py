"""The solved model as the tables planners read: SupplyPlan, Capacity, WorkforcePlan, PlanCost, PlanRun."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .lp import ABSENT
from .model import COST_TYPES, CostTerms, PlanModel
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


def _values(m: PlanModel) -> np.ndarray:
    """The answer's column values, with solver noise below _TINY read as 0."""
    x = m.lp.x
    return np.where(np.abs(x) < _TINY, 0.0, x)


def _grid(x: np.ndarray, grid: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Values of a grid of columns (`fill` where the model has no such variable)."""
    return np.where(grid == ABSENT, fill, x[np.maximum(grid, 0)])


def _per_period(x: np.ndarray, terms: list[CostTerms], n_periods: int) -> np.ndarray:
    out = np.zeros(n_periods)
    for c in terms:
        out += np.bincount(c.t, weights=c.coefs * x[c.cols], minlength=n_periods)
    return out


def supply_plan_table(m: PlanModel) -> pd.DataFrame:
    d = m.data
    x = _values(m)
    n_items, n_periods = len(d.items), len(d.labels)
    frame = pd.DataFrame({
        "item": np.repeat(d.items.index.to_numpy(), n_periods),
        "family": np.repeat(d.items["family"].to_numpy(), n_periods),
        "period": np.tile(np.asarray(d.labels, dtype=object), n_items),
        "demand": m.demand.ravel(), "scheduled_receipts": m.receipts.ravel()})
    for column, grid in (("production", m.make), ("subcontract", m.sub), ("inventory", m.inv),
                         ("backlog", m.back), ("lost_sales", m.lost)):
        frame[column] = _grid(x, grid).ravel()
    frame["safety_stock"] = m.safety.ravel()
    frame["safety_stock_shortfall"] = _grid(x, m.short).ravel()
    frame["setups"] = _grid(x, m.setup, np.nan).ravel()
    return frame


def capacity_duals(m: PlanModel, lp=None) -> np.ndarray | None:
    """pi of each capacity row (resources x periods), read from the LP just solved (`lp`: another program
    with the same rows)."""
    lp = m.lp if lp is None else lp
    return lp.duals(m.capacity_rows)


def duals_with_integers_fixed(m: PlanModel) -> np.ndarray | None:
    """Shadow prices of a whole-number plan: the LP left when every integer variable is fixed at its value.

    They say what an hour is worth given the plan's setups and headcount. The plan's own values stay (the
    fixed LP, a copy sharing the rows, may pick another of several equally good continuous solutions).
    """
    from .solve import solve_model

    fixed = m.lp.with_integers_fixed()
    solved = solve_model(fixed, "highs-simplex", time_limit=60.0)
    return capacity_duals(m, fixed) if solved.status == OPTIMAL else None


def capacity_table(m: PlanModel, duals: np.ndarray | None) -> pd.DataFrame:
    """Hours per resource and period; shadow price from `duals` (None: left blank)."""
    d = m.data
    worth_sign = 1.0 if d.settings.objective == "max_margin" else -1.0  # one more hour lowers cost / raises margin
    x = _values(m)
    n_periods = len(d.labels)
    parts = []
    kinds = d.resources["kind"].to_numpy(object)
    labour = d.resources["is_labour"].astype(bool).to_numpy()
    calendar_regular, calendar_overtime = d.calendar_hours()
    for r, resource in enumerate(d.resources.index):
        cols, hours = m.load[resource]
        used = (_grid(x, cols) * hours).sum(axis=1)
        if labour[r]:
            pool = d.workforce.loc[resource]
            workers = x[m.workers[d.workforce.index.get_loc(resource)]]
            regular = workers * float(pool["hours_per_worker"])
            overtime_cap = workers * float(pool["overtime_hours_per_worker"])
        else:
            regular, overtime_cap = calendar_regular[r], calendar_overtime[r]
        price = np.full(n_periods, np.nan)
        if duals is not None:
            pi = duals[r]
            price = np.where(np.isnan(pi) | (np.abs(pi) < 1e-9), 0.0, worth_sign * pi)
        with np.errstate(divide="ignore", invalid="ignore"):  # no regular hours: blank utilisation
            utilisation = np.where(regular > 0, used / np.where(regular > 0, regular, 1.0), np.nan)
        parts.append((resource, kinds[r], regular, overtime_cap, used, x[m.ot[r]], utilisation, price))
    names = ["resource", "kind", "period", "regular_capacity", "overtime_capacity", "used_hours", "overtime_hours",
             "utilisation", "shadow_price"]
    if not parts:
        return pd.DataFrame(columns=names)
    return pd.DataFrame({
        "resource": np.repeat(np.array([p[0] for p in parts], dtype=object), n_periods),
        "kind": np.repeat(np.array([p[1] for p in parts], dtype=object), n_periods),
        "period": np.tile(np.asarray(d.labels, dtype=object), len(parts)),
        **{name: np.concatenate([np.asarray(p[k], float) for p in parts]) for k, name in enumerate(names[3:], 2)},
    })


def workforce_table(m: PlanModel) -> pd.DataFrame:
    d = m.data
    x = _values(m)
    rows = []
    for p, (pool, w) in enumerate(d.workforce.iterrows()):
        r = d.resources.index.get_loc(pool)
        for t, lab in enumerate(d.labels):
            k = (p, t)
            headcount = float(x[m.workers[k]])
            rows.append((pool, lab, headcount, float(x[m.hire[k]]), float(x[m.fire[k]]),
                         headcount * float(w["hours_per_worker"]), float(x[m.ot[r, t]])))
    return pd.DataFrame(rows, columns=["pool", "period", "headcount", "hires", "layoffs", "regular_hours",
                                       "overtime_hours"])


def cost_table(m: PlanModel) -> pd.DataFrame:
    """Long table cost_type x period (plus revenue and margin when maximising margin)."""
    d = m.data
    x = _values(m)
    rows = []
    for kind in COST_TYPES:
        amounts = _per_period(x, m.costs.get(kind, []), len(d.labels))
        rows.extend((kind, lab, float(amounts[t])) for t, lab in enumerate(d.labels))
    frame = pd.DataFrame(rows, columns=["cost_type", "period", "amount"])
    totals = frame.groupby("period", sort=False)["amount"].sum()
    extra = [("total_cost", lab, float(totals[lab])) for lab in d.labels]
    if d.settings.objective == "max_margin":
        revenues = m.revenue_constant + _per_period(x, m.revenue, len(d.labels))
        for t, lab in enumerate(d.labels):
            revenue = float(revenues[t])
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
        "warm_start": solved.warm_start,
        "variables": m.n_variables,
        "integer_variables": m.n_integer_variables,
        "constraints": m.lp.n_rows,
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
