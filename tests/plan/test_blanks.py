"""Blank cells mean what the contract declares, for SKUs and families alike (issue 12 items 1, 4)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from sop_xl.contract import ITEMS, RESOURCES
from sop_xl.contract.schema import Blank
from sop_xl.plan import OPTIMAL, build_plan_data

from .plan_cases import case, solved

BASE = dict(family="F", unit_cost=10.0, holding_cost=0.0, backorder_cost=1.0, safety_stock_rule="none",
            lost_sales_cost=100.0)


def test_every_input_column_declares_what_blank_means():
    assert ITEMS.column("subcontract_cost").blank_means is Blank.NOT_OFFERED
    assert ITEMS.column("subcontract_limit").blank_means is Blank.UNLIMITED
    assert ITEMS.column("holding_cost").blank_means is Blank.DERIVED
    assert ITEMS.column("backorder_cost").blank_means is Blank.ZERO
    assert RESOURCES.column("regular_capacity").blank_means is Blank.UNKNOWN
    assert not RESOURCES.column("regular_capacity").required  # labour pools take theirs from Workforce


def test_family_plan_does_not_subcontract_a_sku_that_cannot_be_subcontracted():
    # issue 12.1: A can be subcontracted at 12, B cannot; demand 100 each, 100 h: SKU plan 2,200
    items = [dict(sku="A", subcontract_cost=12.0, **BASE), dict(sku="B", **BASE)]
    sku = solved(**case({"A": [100], "B": [100]}, items=items, allow_backlog=False))
    fam = solved(**case({"A": [100], "B": [100]}, items=items, allow_backlog=False, plan_level="family"))
    assert sku.objective == pytest.approx(2200)
    assert fam.objective == pytest.approx(2200)  # was 1,200: all 200 subcontracted at a cost averaged to 6


def test_family_max_stock_is_unlimited_when_one_sku_has_no_limit():
    # issue 12.1: max stock A = 10, B blank capped the whole family at 10
    items = [dict(sku="A", **BASE), dict(sku="B", **BASE)]
    kw = dict(items=items, inventory=[dict(sku="A", max_stock=10)], allow_backlog=False)
    sku = solved(**case({"A": [0, 100], "B": [0, 100]}, **kw))
    fam = solved(**case({"A": [0, 100], "B": [0, 100]}, plan_level="family", **kw))
    assert sku.objective == pytest.approx(2000)
    assert fam.objective == pytest.approx(2000)
    assert fam.supply_plan["inventory"].iloc[0] == pytest.approx(100)


def test_family_holding_cost_blank_is_derived_per_sku_not_averaged_as_zero():
    # A: holding typed 1; B: blank -> 12 x 100 % / 12 = 1 per month. The family holds at 1, not 0.5
    items = [dict(sku="A", **{**BASE, "holding_cost": 1.0}),
             dict(sku="B", **{**BASE, "holding_cost": None, "unit_cost": 12.0}, holding_cost_rate=1.0)]
    items[0]["unit_cost"] = 12.0
    kw = dict(items=items, allow_backlog=False)
    sku = solved(**case({"A": [0, 150], "B": [0, 150]}, **kw))
    fam = solved(**case({"A": [0, 150], "B": [0, 150]}, plan_level="family", **kw))
    assert sku.objective == pytest.approx(fam.objective)


_sub = st.one_of(st.none(), st.just(12.0))
_limit = st.one_of(st.none(), st.sampled_from([0.0, 20.0, 80.0]))
_hold = st.one_of(st.none(), st.just(1.0))  # blank: derived = 12 x 100 % / 12 = 1
_lost = st.one_of(st.none(), st.just(30.0))  # blank: the price, 30


@hsettings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_sub, _limit, _hold, _lost, st.integers(0, 150)), min_size=2, max_size=4),
       st.sampled_from([50.0, 150.0, 400.0]))
def test_family_plan_equals_sku_plan_over_random_blanks(skus, capacity):
    """SKUs alike except for blank cells (each blank means what a typed value would): the family plan
    costs what the SKU plan costs."""
    items, demand = [], {}
    for n, (sub, limit, hold, lost, q) in enumerate(skus):
        name = f"S{n}"
        items.append(dict(sku=name, family="F", unit_cost=12.0, price=30.0, holding_cost_rate=1.0,
                          holding_cost=hold, lost_sales_cost=lost, subcontract_cost=sub, subcontract_limit=limit,
                          backorder_cost=1.0, safety_stock_rule="none"))
        demand[name] = [float(q)]
    kw = dict(items=items, resources=[dict(resource="M", regular_capacity=capacity)], allow_backlog=False)
    sku = solved(**case(demand, **kw))
    fam = solved(**case(demand, plan_level="family", **kw))
    assert sku.status == fam.status == OPTIMAL
    assert fam.objective == pytest.approx(sku.objective, rel=1e-9, abs=1e-6)


def test_blank_overtime_capacity_next_to_an_overtime_cost_is_a_warning_at_the_cell():
    # issue 12.4: overtime cost typed, capacity blank: read as 0 hours, said so
    res = [dict(resource="M", regular_capacity=100.0, overtime_capacity=None, overtime_cost=5.0)]
    data, issues = build_plan_data(**case([150], resources=res))
    assert data is not None
    warn = [i for i in issues if i.code == "plan_blank_read_as_zero"]
    assert len(warn) == 1 and warn[0].sheet == "Resources" and warn[0].cell == "E4"
    assert "0" in warn[0].message and "Overtime capacity" in warn[0].message


def test_blank_overtime_hours_per_worker_next_to_an_overtime_cost_is_a_warning():
    wf = [dict(resource="L", initial_headcount=1, hours_per_worker=100, overtime_cost=6.0)]
    data, issues = build_plan_data(**case([100], resources=[dict(resource="L", kind="labour")],
                                          routing=[dict(item="A", resource="L", hours_per_unit=1.0)], workforce=wf))
    assert data is not None
    warn = [i for i in issues if i.code == "plan_blank_read_as_zero"]
    assert [w.sheet for w in warn] == ["Workforce"] and warn[0].cell == "E4"


def test_typed_zero_overtime_capacity_is_not_warned_about():
    res = [dict(resource="M", regular_capacity=100.0, overtime_capacity=0.0, overtime_cost=5.0)]
    _, issues = build_plan_data(**case([150], resources=res))
    assert not [i for i in issues if i.code == "plan_blank_read_as_zero"]


def test_blank_safety_stock_value_for_a_rule_that_needs_it_is_a_warning():
    items = [dict(sku="A", **{**BASE, "safety_stock_rule": "fixed"})]
    _, issues = build_plan_data(**case([100], items=items))
    warn = [i for i in issues if i.code == "plan_blank_read_as_zero"]
    assert len(warn) == 1 and warn[0].sheet == "Items" and "Safety stock value" in warn[0].message


def test_labour_pool_needs_no_regular_capacity():
    # issue 12.6: the value is ignored, so it is not asked for
    wf = [dict(resource="L", initial_headcount=1, hours_per_worker=100)]
    kw = dict(resources=[dict(resource="L", kind="labour", regular_capacity=None)],
              routing=[dict(item="A", resource="L", hours_per_unit=1.0)], workforce=wf)
    data, issues = build_plan_data(**case([100], **kw))
    assert data is not None and not [i for i in issues if i.severity.value == "error"]
