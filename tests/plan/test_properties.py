"""Properties every solved plan keeps, on random small plans (hypothesis, derandomised so every run
checks the same cases): capacity is never exceeded, stock balances, costs add up to the objective."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sop_xl.plan import OPTIMAL

from .plan_cases import case, solved

plans = st.fixed_dictionaries({
    "n_items": st.integers(1, 3),
    "n_periods": st.integers(1, 5),
    "capacity": st.floats(50, 400),
    "overtime": st.floats(0, 100),
    "seed": st.integers(0, 10_000),
    "allow_backlog": st.booleans(),
    "objective": st.sampled_from(["min_cost", "max_margin"]),
    "safety": st.booleans(),
})


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(plans)
def test_solved_plans_respect_capacity_balance_and_costs(p):
    rng = np.random.default_rng(p["seed"])
    skus = [f"S{k}" for k in range(p["n_items"])]
    demand = {s: [float(x) for x in rng.integers(0, 150, p["n_periods"])] for s in skus}
    items = [dict(sku=s, family="F", price=float(rng.uniform(15, 40)), unit_cost=float(rng.uniform(5, 12)),
                  holding_cost=float(rng.uniform(0.1, 2)), backorder_cost=float(rng.uniform(1, 5)),
                  lost_sales_cost=float(rng.uniform(20, 50)),
                  safety_stock_rule="fixed" if p["safety"] else "none", safety_stock_value=20.0) for s in skus]
    routing = [dict(item=s, resource="M", hours_per_unit=float(rng.uniform(0.5, 2))) for s in skus]
    opening = {s: float(rng.integers(0, 50)) for s in skus}
    result = solved(**case(demand, items=items, routing=routing,
                           resources=[dict(resource="M", regular_capacity=p["capacity"],
                                           overtime_capacity=p["overtime"], overtime_cost=3.0)],
                           inventory=[dict(sku=s, opening_stock=q) for s, q in opening.items()],
                           allow_backlog=p["allow_backlog"], no_backlog_at_end=False, objective=p["objective"]))
    assert result.status == OPTIMAL  # backlog at the end or lost sales keep every such plan feasible
    cap = result.capacity
    assert (cap["used_hours"] <= cap["regular_capacity"] + cap["overtime_hours"] + 1e-6).all()
    assert (cap["overtime_hours"] <= cap["overtime_capacity"] + 1e-6).all()
    for sku, rows in result.supply_plan.groupby("item"):
        net = (rows["inventory"] - rows["backlog"]).to_numpy()
        flow = (rows["production"] + rows["subcontract"] + rows["lost_sales"] - rows["demand"]).to_numpy()
        before = np.concatenate([[opening[sku]], net[:-1]])
        assert np.allclose(net - before, flow, atol=1e-6)
        assert (rows["lost_sales"] <= rows["demand"] + 1e-6).all()
    cost = result.cost.pivot_table(index="cost_type", values="amount", aggfunc="sum")["amount"]
    total = cost["total_cost"]
    assert cost.drop([c for c in ("total_cost", "revenue", "margin") if c in cost.index]).sum() == pytest.approx(total)
    expected = cost["margin"] if p["objective"] == "max_margin" else total
    assert result.objective == pytest.approx(expected, rel=1e-7, abs=1e-5)
