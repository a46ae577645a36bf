"""Infeasible plans come back with the requirements that must give, by how much, and where to change them."""

from __future__ import annotations

import pytest

from sop_xl.issues import IssueCode, Severity
from sop_xl.plan import INFEASIBLE

from .plan_cases import case, solved


def item(**changes) -> list[dict]:
    base = dict(sku="A-12", family="F", unit_cost=10.0, holding_cost=1.0, backorder_cost=1.0, safety_stock_rule="none")
    return [{**base, **changes}]


def test_missing_hours_are_named_by_resource_and_period():
    # 250 units with 100 h in each of two months and a 50-unit end target: Line2 lacks 100 h,
    # and only the last month can make up for it
    r = solved(**case({"A-12": [100, 150]}, items=item(), resources=[dict(resource="Line2", regular_capacity=100.0)],
                      routing=[dict(item="A-12", resource="Line2", hours_per_unit=1.0)],
                      inventory=[dict(sku="A-12", target_end_stock=50)]))
    assert r.status == INFEASIBLE
    assert r.supply_plan.empty
    (row,) = r.explanation.to_dict("records")
    assert (row["requirement"], row["key"], row["period"]) == ("capacity", "Line2", "2027-02")
    assert row["violation"] == pytest.approx(100)
    assert row["message"] == "Line2 lacks 100 h in 2027-02."
    assert (row["sheet"], row["cell"]) == ("Resources", "D4")
    (issue,) = r.issues
    assert issue.severity is Severity.ERROR and issue.code is IssueCode.PLAN_INFEASIBLE
    assert str(issue).startswith("ERROR Resources!D4: Line2 lacks 100 h in 2027-02.")


def test_end_target_against_storage_limit():
    # the end target of 80 cannot be held under a max stock of 60: the target is what gives
    r = solved(**case({"A-12": [10]}, items=item(), inventory=[dict(sku="A-12", target_end_stock=80, max_stock=60)]))
    assert r.status == INFEASIBLE
    (row,) = r.explanation.to_dict("records")
    assert row["requirement"] == "end_stock" and row["violation"] == pytest.approx(20)
    assert row["message"].startswith("End inventory target of SKU A-12 unreachable: 20 units short")
    assert (row["sheet"], row["cell"]) == ("Inventory", "D4")


def test_two_independent_problems_are_both_reported():
    items = item() + [dict(sku="B", family="F", unit_cost=1.0, backorder_cost=1.0, safety_stock_rule="none")]
    r = solved(**case({"A-12": [130], "B": [40]}, items=items,
                      resources=[dict(resource="L1", regular_capacity=100.0),
                                 dict(resource="L2", regular_capacity=30.0)],
                      routing=[dict(item="A-12", resource="L1", hours_per_unit=1.0),
                               dict(item="B", resource="L2", hours_per_unit=1.0)]))
    assert r.status == INFEASIBLE
    found = {(row["key"], round(row["violation"], 6)) for row in r.explanation.to_dict("records")}
    # each shortfall either as missing hours or as backorders left at the end - both name the item's line
    assert len(found) == 2
    messages = " ".join(r.explanation["message"])
    assert ("L1" in messages or "A-12" in messages) and ("L2" in messages or "B " in messages)


def test_labour_pool_shortage_points_at_the_workforce_sheet():
    pool = [dict(resource="Crew", initial_headcount=1, hours_per_worker=100, max_headcount=1)]
    r = solved(**case({"A-12": [100, 150]}, items=item(), resources=[dict(resource="Crew", kind="labour")],
                      routing=[dict(item="A-12", resource="Crew", hours_per_unit=1.0)], workforce=pool,
                      inventory=[dict(sku="A-12", target_end_stock=50)]))
    assert r.status == INFEASIBLE
    (row,) = r.explanation.to_dict("records")
    assert row["message"] == "Crew lacks 100 h in 2027-02."
    assert (row["sheet"], row["cell"]) == ("Workforce", "J4")


def test_a_feasible_plan_has_no_explanation():
    r = solved(**case({"A-12": [10]}, items=item()))
    assert r.status == "optimal" and r.explanation.empty


def test_layoffs_while_hours_are_scarce_are_explained_on_plan_explain():
    # issue 10.5: a plan laying off people while its hours have a positive shadow price says why
    from .plan_cases import case, solved
    # a worker costs 15 per hour, a subcontracted unit (1 h) 12: keep only the minimum 5, subcontract the rest
    pool = [dict(resource="Crew", initial_headcount=10, hours_per_worker=100, wage=1500, layoff_cost=100,
                 hire_cost=5000, overtime_hours_per_worker=0, min_headcount=5)]
    kw = dict(items=[dict(sku="A", family="F", unit_cost=0.0, holding_cost=0.0, backorder_cost=5.0, price=20.0,
                          subcontract_cost=12.0, safety_stock_rule="none")],
              resources=[dict(resource="Crew", kind="labour")],
              routing=[dict(item="A", resource="Crew", hours_per_unit=1.0)], workforce=pool)
    r = solved(**case([900, 900, 900], **kw))
    assert r.workforce["layoffs"].sum() > 0 and (r.capacity["shadow_price"] > 0).any()
    (row,) = r.explanation.to_dict("records")
    assert row["requirement"] == "layoffs" and row["key"] == "Crew"
    assert "laying off is cheaper" in row["message"] and "subcontracting" in row["message"]
    assert row["sheet"] == "Workforce" and row["cell"] == "H4"


def test_zero_capacity_is_named_at_its_cell_before_and_after_the_solve():
    # issue 13.2: zero capacity on a machine gave ~75 errors at Settings (end backlog), none at Resources!D4
    from sop_xl.plan import INFEASIBLE, build_plan_data, solve_plan
    from .plan_cases import case
    items = [dict(sku=s, family="F", unit_cost=10.0, holding_cost=0.0, backorder_cost=1.0,
                  safety_stock_rule="none") for s in ("A", "B", "C")]
    kw = case({"A": [50, 50], "B": [40, 40], "C": [30, 30]}, items=items,
              resources=[dict(resource="Cutting", regular_capacity=0.0)],
              routing=[dict(item="F", resource="Cutting", hours_per_unit=1.0)])
    data, issues = build_plan_data(**kw)
    (warn,) = [i for i in issues if i.code == "plan_zero_capacity"]
    assert (warn.sheet, warn.cell) == ("Resources", "D4")
    result = solve_plan(data)
    assert result.status == INFEASIBLE
    assert set(result.explanation["requirement"]) == {"capacity"}
    assert {(i.sheet, i.cell) for i in result.issues if i.severity.value == "error"} == {("Resources", "D4")}
