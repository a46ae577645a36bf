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
    items = pd.DataFrame([dict(sku=s, family="F", unit_cost=10.0, holding_cost=1.0, backorder_cost=3.0,
                               safety_stock_rule="none") for s in many])
    book.write_table(ITEMS, defaults_filled(items, ITEMS)[ITEMS.column_names()])
    book.write_table(RESOURCES, defaults_filled(pd.DataFrame([dict(resource="M", regular_capacity=3000.0)]),
                                                RESOURCES)[RESOURCES.column_names()])
    book.write_table(ROUTING, pd.DataFrame([dict(item="F", resource="M", hours_per_unit=1.0)]))
    book.write_table(WORKFORCE, defaults_filled(None, WORKFORCE)[WORKFORCE.column_names()])
    book.write_table(INVENTORY, defaults_filled(None, INVENTORY)[INVENTORY.column_names()])
    book.write_table(DEMAND, pd.DataFrame([[s, *v] for s, v in many.items()], columns=["sku", *MONTHS]))
    result = run_plan(book, time_limit=0.001)  # a time limit no solver meets on 150 SKUs
    assert result.status == "failed"
    run = read_back(book, PLAN_RUN).iloc[0]
    assert run["status"] == "no_solution" and "time limit" in run["message"]
    assert list(read_back(book, PLAN_EXPLAIN).columns) == [c.header for c in PLAN_EXPLAIN.columns] or \
        list(read_back(book, PLAN_EXPLAIN).columns) == PLAN_EXPLAIN.column_names()
