"""Solver choice, fallback and the status read from the solver itself."""

from __future__ import annotations

import types

import pulp
import pytest

import sop_xl.plan.solve as solve_module
from sop_xl.issues import InputError
from sop_xl.plan import INFEASIBLE, NO_SOLUTION, OPTIMAL, TIME_LIMIT, UNBOUNDED, solve_model, solve_plan

from .plan_cases import case, data_of, solved


def overtime_case():
    return case([150], resources=[dict(resource="M", regular_capacity=100.0, overtime_capacity=100.0,
                                       overtime_cost=5.0)])


def test_highs_unavailable_falls_back_to_cbc(monkeypatch):
    monkeypatch.setattr(solve_module, "highs_available", lambda: False)
    result = solved("highs", **overtime_case())
    assert result.status == OPTIMAL and result.objective == pytest.approx(1750)
    assert result.run["solver"] == "CBC" and result.run["requested_solver"] == "highs"
    assert "not installed" in result.run["message"]
    assert any(i.code == "plan_solver_fallback" for i in result.issues)


def test_highs_failure_falls_back_to_cbc(monkeypatch):
    def broken(h, **_):
        raise RuntimeError("simulated crash")
    monkeypatch.setattr(solve_module, "run_highs", broken)  # every HiGHS run goes through it
    result = solved("highs", **overtime_case())
    assert result.run["solver"] == "CBC" and result.objective == pytest.approx(1750)
    assert "simulated crash" in result.run["message"]


@pytest.mark.parametrize("name", ["highs", "cbc", "PULP_CBC_CMD", "HiGHS"])
def test_any_pulp_solver_by_name_gives_the_same_plan(name):
    result = solved(name, **overtime_case())
    assert result.status == OPTIMAL and result.objective == pytest.approx(1750)
    assert result.capacity["shadow_price"].tolist() == pytest.approx([5.0])


def test_unknown_solver_is_an_input_error_naming_the_setting():
    with pytest.raises(InputError) as err:
        solve_plan(data_of(**overtime_case()), solver="NoSuchSolver")
    (issue,) = err.value.issues
    assert issue.sheet == "Settings" and issue.row_key == "solver" and "NoSuchSolver" in issue.message


def test_unbounded_and_infeasible_are_reported_as_such():
    for solver in ("highs", "cbc"):
        p = pulp.LpProblem("u", pulp.LpMaximize)
        x = p.add_variable("x", 0)
        p += x
        p += pulp.LpConstraint(pulp.LpAffineExpression({x: 1.0}), pulp.LpConstraintGE, "c", 1.0)
        assert solve_model(p, solver).status == UNBOUNDED, solver
        q = pulp.LpProblem("i", pulp.LpMinimize)
        y = q.add_variable("y", 0, 1)
        q += y
        q += pulp.LpConstraint(pulp.LpAffineExpression({y: 1.0}), pulp.LpConstraintGE, "c", 2.0)
        assert solve_model(q, solver).status == INFEASIBLE, solver


class _FakeHighs:
    """Stands in for highspy.Highs after a run, to check the status mapping pulp gets wrong."""

    def __init__(self, status, primal_status):
        self._status = status
        self._info = types.SimpleNamespace(primal_solution_status=primal_status, mip_gap=0.034)

    def getModelStatus(self):
        return self._status

    def getInfo(self):
        return self._info


def test_time_limit_is_not_reported_as_optimal():
    import highspy
    S = highspy.HighsModelStatus
    assert solve_module._highs_status(_FakeHighs(S.kTimeLimit, 2))[0] == TIME_LIMIT
    assert solve_module._highs_status(_FakeHighs(S.kTimeLimit, 0))[0] == NO_SOLUTION
    assert solve_module._highs_status(_FakeHighs(S.kInterrupt, 2))[0] == TIME_LIMIT
    assert solve_module._highs_status(_FakeHighs(S.kOptimal, 2))[0] == OPTIMAL
    # pulp 3.3.2 itself maps kTimeLimit to "Optimal"
    assert pulp.LpStatus[pulp.constants.LpStatusOptimal] == "Optimal"


def test_cbc_time_out_is_read_from_its_log():
    p = pulp.LpProblem("t", pulp.LpMinimize)
    p.status, p.sol_status = pulp.constants.LpStatusOptimal, pulp.constants.LpSolutionIntegerFeasible
    assert solve_module._pulp_status(p, timed_out=True) == TIME_LIMIT
    p.sol_status = pulp.constants.LpSolutionOptimal
    assert solve_module._pulp_status(p, timed_out=True) == TIME_LIMIT
    assert solve_module._pulp_status(p, timed_out=False) == OPTIMAL


def test_a_hard_lot_sizing_plan_stopped_by_the_time_limit_states_its_gap():
    """A real run: 40 SKUs sharing one machine with setup times, 0.3 s allowed."""
    import numpy as np
    rng = np.random.default_rng(3)
    skus = [f"S{k:02d}" for k in range(40)]
    demand = {s: list(rng.integers(20, 80, 12).astype(float)) for s in skus}
    items = [dict(sku=s, family="F", unit_cost=1.0, holding_cost=float(rng.uniform(0.5, 2)), backorder_cost=20.0,
                  setup_cost=float(rng.uniform(100, 400)), setup_hours=float(rng.uniform(5, 20)),
                  safety_stock_rule="none") for s in skus]
    kw = case(demand, items=items, resources=[dict(resource="M", regular_capacity=2600.0)], lot_sizing=True,
              mip_gap=0.0)
    result = solve_plan(data_of(**kw), time_limit=0.3, fallback=False)  # the SKU model itself
    assert result.status in (TIME_LIMIT, NO_SOLUTION)
    if result.status == TIME_LIMIT:
        assert result.run["gap"] > 0 and "time limit" in result.run["message"]
        assert any(i.code.value == "plan_limit" for i in result.issues if hasattr(i.code, "value"))


def test_default_highs_uses_the_dual_simplex_for_planning_lps_and_ipm_for_huge_ones():
    # issue 12.8: interior point (the old default) was 3.8x slower than the simplex on the bench LP
    from sop_xl.plan.solve import HIGHS_NAMES, IPM_ABOVE_COLUMNS, pick_lp_algorithm
    assert HIGHS_NAMES["highs"] == "auto"
    assert pick_lp_algorithm(36_000) == "simplex"
    assert pick_lp_algorithm(IPM_ABOVE_COLUMNS + 1) == "ipm"
    assert pick_lp_algorithm(10, "ipm") == "ipm"
