"""Published aggregate-planning optimum: Chopra & Meindl, Red Tomato Tools.

Source: S. Chopra, P. Meindl, "Supply Chain Management: Strategy, Planning, and Operation",
chapter "Aggregate Planning in a Supply Chain" (Red Tomato Tools case). Six months of demand
1,600 / 3,000 / 3,200 / 3,800 / 2,200 / 2,200 units; opening stock 1,000 units and 80 workers;
at least 500 units in stock and no backorders at the end of month 6. Material $10/unit,
holding $2/unit/month, backorder (stockout) $5/unit/month, hiring $300, layoff $500,
4 labour hours per unit, 20 days x 8 h = 160 regular hours per worker at $4/h ($640 per worker
and month), at most 10 overtime hours per worker at $6/h, subcontracting $30/unit.
Published LP optimum: total cost $422,275 (65 - 15.4 workers after laying off ~15.4 in month 1).
With whole workers the book's integer plan costs $422,660; we check that figure with both
HiGHS and CBC at a zero MIP gap.
"""

from __future__ import annotations

import pytest

from sop_xl.plan import OPTIMAL

from .plan_cases import case, column, solved

DEMAND = [1600, 3000, 3200, 3800, 2200, 2200]


def red_tomato(**settings) -> dict:
    settings.setdefault("whole_headcount", False)  # the published LP; whole people are asked for by name
    return case(
        {"Tools": DEMAND},
        items=[dict(sku="Tools", family="Tools", unit_cost=10, holding_cost=2, backorder_cost=5,
                    subcontract_cost=30, safety_stock_rule="none")],
        resources=[dict(resource="Labour", kind="labour")],
        routing=[dict(item="Tools", resource="Labour", hours_per_unit=4)],
        workforce=[dict(resource="Labour", initial_headcount=80, hours_per_worker=160, wage=640,
                        overtime_hours_per_worker=10, overtime_cost=6, hire_cost=300, layoff_cost=500)],
        inventory=[dict(sku="Tools", opening_stock=1000, target_end_stock=500)],
        **settings)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_red_tomato_lp_optimum_is_the_published_422275(solver):
    result = solved(solver, **red_tomato())
    assert result.status == OPTIMAL
    assert result.objective == pytest.approx(422_275, abs=0.5)
    assert result.run["total_cost"] == pytest.approx(422_275, abs=0.5)
    headcount = column(result, "workforce", "headcount")
    assert headcount == pytest.approx([64.583333] * 6, abs=1e-4)  # 15.42 laid off in month 1, then level
    assert column(result, "supply_plan", "inventory")[-1] == pytest.approx(500)
    assert column(result, "supply_plan", "backlog")[-1] == pytest.approx(0)
    assert sum(column(result, "supply_plan", "subcontract")) == pytest.approx(0)
    # make, inventory, backlog, subcontract, overtime, workers, hires, layoffs x 6 months
    assert result.run["variables"] == 48
    # balance, capacity, workforce, overtime x 6 months + end stock + no backlog at the end
    assert result.run["constraints"] == 26


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_red_tomato_whole_workers_optimum_is_422660(solver):
    result = solved(solver, **red_tomato(whole_headcount=True, mip_gap=0.0))
    assert result.status == OPTIMAL
    assert result.objective == pytest.approx(422_660, abs=0.5)
    headcount = column(result, "workforce", "headcount")
    assert all(h == round(h) for h in headcount)
    assert result.run["integer_variables"] == 18  # workers, hires, layoffs x 6 months


def test_red_tomato_cost_breakdown_adds_up():
    result = solved(**red_tomato())
    cost = result.cost.pivot_table(index="cost_type", values="amount", aggfunc="sum")["amount"]
    assert cost["wages"] == pytest.approx(640 * 64.583333 * 6, abs=1)
    assert cost["layoffs"] == pytest.approx(500 * 15.416667, abs=1)
    assert cost["material"] == pytest.approx(10 * (sum(DEMAND) + 500 - 1000), abs=1e-6)
    parts = cost.drop("total_cost").sum()
    assert parts == pytest.approx(cost["total_cost"]) and parts == pytest.approx(422_275, abs=0.5)
