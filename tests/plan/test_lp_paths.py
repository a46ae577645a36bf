"""One plan model, several ways to a solver (issue 12.8): the arrays HiGHS gets and the pulp problem CBC
gets are the same LP, and a warm HiGHS re-solve after changing numbers equals a fresh solve."""

from __future__ import annotations

import pytest

import sop_xl.plan.solve as solve_module
from sop_xl.plan import OPTIMAL, WarmHighs, build_plan_model, solve_model
from sop_xl.plan.lp import _PULP_TRANS

from .plan_cases import case, data_of
from .test_textbook import red_tomato

MACHINES = [dict(resource="M", regular_capacity=100.0, overtime_capacity=40.0, overtime_cost=5.0),
            dict(resource="N", regular_capacity=80.0, overtime_capacity=30.0, overtime_cost=9.0)]
ITEMS = [dict(sku="A", family="F", unit_cost=10.0, holding_cost=1.0, backorder_cost=4.0, price=30.0,
              safety_stock_rule="fixed", safety_stock_value=5.0, lead_time=1, subcontract_cost=18.0,
              subcontract_limit=20.0),
         dict(sku="B", family="F", unit_cost=12.0, holding_cost=1.5, backorder_cost=5.0, price=40.0,
              safety_stock_rule="none")]
INVENTORY = [dict(sku="A", opening_stock=10.0, max_stock=90.0), dict(sku="B", target_end_stock=10.0)]
ROUTING = [dict(item="A", resource="M", hours_per_unit=1.0), dict(item="B", resource="M", hours_per_unit=0.5),
           dict(item="B", resource="N", hours_per_unit=1.0)]


def two_machines(**settings) -> dict:
    return case({"A": [60, 90, 140, 80], "B": [40, 70, 90, 50]}, items=ITEMS, resources=MACHINES,
                routing=ROUTING, inventory=INVENTORY, **settings)


CASES = {"red tomato LP": lambda: red_tomato(whole_headcount=False),
         "red tomato whole people": lambda: red_tomato(whole_headcount=True, mip_gap=0.0),
         "two machines, min cost": two_machines,
         "two machines, max margin, lost sales": lambda: two_machines(objective="max_margin", allow_backlog=False),
         "two machines, storage limit": lambda: two_machines(storage_capacity=150.0)}


@pytest.mark.parametrize("name", list(CASES))
def test_the_highs_arrays_and_the_pulp_problem_are_the_same_lp(name):
    model = build_plan_model(data_of(**CASES[name]()))
    lp = model.lp
    problem, variables, constraints = lp.to_pulp()
    # same rows, named from business keys (pulp mangles "-[] " itself), same columns
    assert [c.name for c in constraints] == [n.translate(_PULP_TRANS) for n in lp.row_names]
    assert len(variables) == lp.n_cols and len(problem.variables()) <= lp.n_cols
    assert sum(v.cat == "Integer" for v in variables) == len(lp.integers)
    by_arrays = solve_model(lp, "highs", mip_gap=0.0)
    arrays_duals = None if lp.row_dual is None else lp.row_dual.copy()
    by_pulp_highs = solve_model(problem, "highs", mip_gap=0.0)      # the pulp problem through pulp's HiGHS
    assert by_arrays.status == by_pulp_highs.status == OPTIMAL
    assert by_arrays.objective == pytest.approx(by_pulp_highs.objective, rel=1e-9)
    if not lp.is_mip:  # duals of an LP: the same for every row, whichever way HiGHS got the model
        assert [c.pi for c in constraints] == pytest.approx(list(arrays_duals), abs=1e-6)
    by_cbc = solve_model(lp, "cbc", mip_gap=0.0)                     # CBC through lp.to_pulp()
    assert by_cbc.status == OPTIMAL and by_cbc.objective == pytest.approx(by_arrays.objective, rel=1e-6)


def test_rows_are_named_from_business_keys():
    lp = build_plan_model(data_of(**two_machines())).lp
    names = set(lp.row_names)
    assert {"capacity[M,2027-01]", "capacity[N,2027-04]", "balance[A,2027-02]", "end_stock[B]",
            "subcontract[A,2027-03]", "max_stock[A,2027-01]", "safety_stock[A,2027-01]"} <= names
    assert "capacity[M,2027-01]" in lp.row_names[lp.row_of("capacity[M,2027-01]")]


@pytest.mark.parametrize("change", [
    dict(demand=1.1), dict(capacity=0.9), dict(cost=1.25), dict(demand=0.7, capacity=1.2, cost=0.9),
    dict(demand=2.5)])  # the last one is infeasible: warm or fresh, HiGHS says so
@pytest.mark.parametrize("share", [1.0, 0.0])  # every change warm; every bound change cold on the updated model
def test_a_warm_re_solve_equals_a_fresh_solve(change, share, monkeypatch):
    monkeypatch.setattr(solve_module, "WARM_MAX_BOUND_SHARE", share)
    warm = WarmHighs()
    base = build_plan_model(data_of(**_changed(two_machines(), {})))
    assert warm.solve(base.lp).status == OPTIMAL and warm.warm_solves == 0
    scenario = _changed(two_machines(), change)
    again = build_plan_model(data_of(**scenario))
    warm_result = warm.solve(again.lp)
    # same shape: numbers changed in place, re-solved from the base's basis (a cost change moves no bound)
    assert warm_result.warm_start == (share == 1.0 or set(change) == {"cost"})
    fresh = build_plan_model(data_of(**scenario))
    fresh_result = solve_model(fresh.lp)
    assert warm_result.status == fresh_result.status
    if change.get("demand") == 2.5:
        assert fresh_result.status == "infeasible"
        return
    assert fresh_result.status == OPTIMAL
    assert warm_result.objective == pytest.approx(fresh_result.objective, rel=1e-9)
    assert again.lp.objective_value() == pytest.approx(fresh_result.objective, rel=1e-9)
    # (shadow prices are not compared: this LP is degenerate, several sets of duals are optimal)


def test_a_model_of_another_shape_is_solved_afresh():
    warm = WarmHighs()
    warm.solve(build_plan_model(data_of(**red_tomato(whole_headcount=False))).lp)
    whole = build_plan_model(data_of(**red_tomato(whole_headcount=True, mip_gap=0.0))).lp
    result = warm.solve(whole, mip_gap=0.0)
    assert warm.warm_solves == 0 and result.objective == pytest.approx(422_660, abs=0.5)


def _changed(kw: dict, change: dict) -> dict:
    kw = dict(kw)
    if "demand" in change:
        kw["demand"] = kw["demand"].assign(demand=kw["demand"]["demand"] * change["demand"])
    if "capacity" in change:
        kw["resources"] = kw["resources"].assign(regular_capacity=kw["resources"]["regular_capacity"]
                                                 * change["capacity"])
    if "cost" in change:
        kw["items"] = kw["items"].assign(unit_cost=kw["items"]["unit_cost"] * change["cost"])
    return kw
