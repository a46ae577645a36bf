"""Status truth (issue 12.5, issue 14.6): the plan says what the solver found, never more."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_xl.commands.plan import run_plan
from sop_xl.contract.plan import PLAN_EXPLAIN, PLAN_RUN
from sop_xl.plan import OPTIMAL, TIME_LIMIT
from sop_xl.plan.solve import NO_SOLUTION, SolveResult

from .plan_cases import solved
from sop_xl.contract import INVENTORY, ITEMS, RESOURCES, ROUTING, WORKFORCE
from sop_xl.contract.plan import DEMAND
from sop_xl.plan.data import defaults_filled

from .test_commands import MONTHS, read_back, red_tomato_book
from .test_textbook import red_tomato


def test_whole_people_are_the_default():
    from sop_xl.plan import PlanSettings
    assert PlanSettings().whole_headcount and PlanSettings.from_settings({}).whole_headcount


def test_default_gap_reaches_the_whole_people_optimum_422660():
    # the old default 1 % stopped at 423,000 and said "optimal"
    result = solved(**red_tomato(whole_headcount=True))  # the default gap
    assert result.run["integer_variables"] == 18
    assert result.objective == pytest.approx(422_660, abs=0.5)


def test_a_plan_within_the_gap_says_so_not_optimal():
    result = solved(**red_tomato(whole_headcount=True, mip_gap=0.01))
    assert result.status == OPTIMAL  # the code: a plan exists and the solver met its gap
    assert result.run["status"].startswith("within gap ")  # what PlanRun and the console say
    assert result.run["status"] == f"within gap {result.run['gap'] * 100:.2g} %"
    assert result.objective > 422_660


def test_status_text_of_each_outcome():
    def text(status, gap):
        return SolveResult(status, "HiGHS", 1.0, gap, 1.0).status_text
    assert text(OPTIMAL, 0.0) == "optimal"
    assert text(OPTIMAL, 0.0017) == "within gap 0.17 %"
    assert text(TIME_LIMIT, 0.021) == "time limit, gap 2.1 %"
    assert text(TIME_LIMIT, None) == "time limit, gap unknown"  # an LP stopped early: never "gap 0"
    assert text(NO_SOLUTION, None) == "no_solution"


def test_no_plan_within_the_time_limit_is_written_with_its_status_not_a_crash():
    # issue 14.6: KeyError at commands/plan.py when no plan was found in time
    book = red_tomato_book()
    many = {f"S{k}": [float((k * 7 + t * 13) % 50 + 10) for t in range(6)] for k in range(150)}
    # one family per SKU: the family fallback (for models too big for the time limit) is no smaller
    items = pd.DataFrame([dict(sku=s, family=s, unit_cost=10.0, holding_cost=1.0, backorder_cost=3.0,
                               safety_stock_rule="none") for s in many])
    book.write_table(ITEMS, defaults_filled(items, ITEMS)[ITEMS.column_names()])
    book.write_table(RESOURCES, defaults_filled(pd.DataFrame([dict(resource="M", regular_capacity=3000.0)]),
                                                RESOURCES)[RESOURCES.column_names()])
    book.write_table(ROUTING, pd.DataFrame([dict(item=s, resource="M", hours_per_unit=1.0) for s in many]))
    book.write_table(WORKFORCE, defaults_filled(None, WORKFORCE)[WORKFORCE.column_names()])
    book.write_table(INVENTORY, defaults_filled(None, INVENTORY)[INVENTORY.column_names()])
    book.write_table(DEMAND, pd.DataFrame([[s, *v] for s, v in many.items()], columns=["sku", *MONTHS]))
    result = run_plan(book, time_limit=0.001)  # a time limit no solver meets on 150 SKUs
    assert result.status == "failed"
    run = read_back(book, PLAN_RUN).iloc[0]
    assert run["status"] == "no_solution" and "no plan found within the time limit" in run["message"]
    assert list(read_back(book, PLAN_EXPLAIN).columns) == [c.header for c in PLAN_EXPLAIN.columns] or \
        list(read_back(book, PLAN_EXPLAIN).columns) == PLAN_EXPLAIN.column_names()


def test_a_sku_model_too_big_for_the_time_limit_is_planned_by_family_and_disaggregated():
    # issue 14.6: plan at family level when the SKU model is too big for the time limit, and say so
    from sop_xl.plan import estimated_columns, solve_plan_within_limit
    from .plan_cases import case, data_of
    demand = {f"S{k}": [float(10 + k), float(20 + k), float(30 + k)] for k in range(40)}
    items = [dict(sku=s, family=f"F{k % 2}", unit_cost=10.0, holding_cost=1.0, backorder_cost=2.0,
                  safety_stock_rule="none") for k, s in enumerate(demand)]
    data = data_of(**case(demand, items=items, resources=[dict(resource="M", regular_capacity=1e5)]))
    limit = estimated_columns(data) / 2500 / 2  # half the time the SKU model would need
    result = solve_plan_within_limit(data, time_limit=limit)
    assert result.status == OPTIMAL and result.run["plan_level"] == "family (disaggregated)"
    assert "planned at family level" in result.run["message"]
    assert any(i.code == "plan_family_fallback" for i in result.issues)
    plan_ = result.supply_plan
    assert len(plan_) == 40 * 3 and set(plan_["item"]) == set(demand)
    assert plan_["demand"].sum() == pytest.approx(sum(map(sum, demand.values())))
    # ample capacity, no stock wanted: each SKU makes its own demand
    assert plan_["production"].to_numpy() == pytest.approx(plan_["demand"].to_numpy())
    sku = solve_plan_within_limit(data, time_limit=60)  # within the limit: the SKU plan itself
    assert "plan_level" not in sku.run and sku.objective == pytest.approx(result.objective)
