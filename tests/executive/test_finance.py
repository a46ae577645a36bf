"""Financials by hand on two SKUs and two periods, the gap to budget, and the command's sources."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as h_settings, strategies as st

from sop_xl.commands.base import execute
from sop_xl.finance import financials, horizon_totals
from sop_xl.issues import IssueCode

from .helpers import memory_book, table

DS = pd.to_datetime(["2027-01-01", "2027-02-01"])


def _items():
    return pd.DataFrame({"sku": ["A", "B"], "family": ["F", "F"], "price": [10.0, 20.0], "unit_cost": [4.0, 5.0]})


def _demand():
    return pd.DataFrame({"sku": ["A", "A", "B", "B"], "ds": list(DS) * 2, "demand": [10.0, 10.0, 5.0, 5.0]})


def _plan():
    # A: 2 backordered at the end of January, caught up in February; B: 1 unit lost in January
    return pd.DataFrame({"item": ["A", "A", "B", "B"], "family": "F", "ds": list(DS) * 2,
                         "demand": [10.0, 10.0, 5.0, 5.0], "inventory": [0.0, 3.0, 0.0, 0.0],
                         "backlog": [2.0, 0.0, 0.0, 0.0], "lost_sales": [0.0, 0.0, 1.0, 0.0]})


def _budget():
    return pd.DataFrame({"family": ["F", "F"], "ds": DS, "volume": [20.0, 20.0], "revenue": [250.0, 250.0],
                         "margin": [100.0, np.nan]})


def test_financials_by_hand():
    fin = financials(demand=_demand(), items=_items(), supply_plan=_plan(), budget=_budget(),
                     opening_backlog=pd.Series({"A": 1.0}), demand_source="Consensus").set_index("period")
    jan, feb = fin.loc[DS[0]], fin.loc[DS[1]]
    # unconstrained: (10 + 1 opening backlog) x 10 + 5 x 20 = 210 revenue, cost 11 x 4 + 5 x 5 = 69:
    # orders already taken are demand of the horizon
    assert jan["demand_units"] == 16.0
    assert jan["unconstrained_revenue"] == 210.0 and jan["unconstrained_margin"] == 141.0
    # shipped = demand + backlog in - backlog out - lost: A 10 + 1 - 2 = 9, B 5 - 1 = 4
    assert jan["shipped_units"] == 13.0 and feb["shipped_units"] == 10 + 2 + 5
    assert jan["revenue"] == 9 * 10 + 4 * 20 and jan["cogs"] == 9 * 4 + 4 * 5
    assert jan["gross_margin"] == 170.0 - 56.0
    assert math.isclose(jan["gross_margin_pct"], 114.0 / 170.0)
    assert jan["lost_units"] == 1.0 and jan["lost_revenue"] == 20.0          # B's lost unit x its price
    assert jan["backlog_units"] == 2.0 and jan["delayed_revenue"] == 20.0    # A's backlog x its price
    assert feb["inventory_value"] == 3 * 4.0
    # working capital = inventory value + one period of revenue - one period of cost of goods
    assert feb["working_capital"] == 12.0 + 220.0 - 73.0
    # gap to budget on the constrained plan
    assert jan["revenue_gap"] == 170.0 - 250.0 and math.isclose(jan["revenue_gap_pct"], -80.0 / 250.0)
    assert jan["volume_gap"] == 13.0 - 20.0
    assert jan["margin_gap"] == 114.0 - 100.0 and math.isnan(feb["margin_gap"])  # no budget margin in Feb
    assert set(fin["demand_source"]) == {"Consensus"}


def test_planned_prices_override_the_list_price():
    prices = pd.DataFrame({"sku": ["A"], "ds": [DS[1]], "price": [12.0]})
    fin = financials(demand=_demand(), items=_items(), supply_plan=_plan(), prices=prices).set_index("period")
    assert fin.loc[DS[0], "unconstrained_revenue"] == 200.0
    assert fin.loc[DS[1], "unconstrained_revenue"] == 10 * 12.0 + 5 * 20.0
    assert fin.loc[DS[1], "revenue"] == 12 * 12.0 + 5 * 20.0


def test_family_plan_is_priced_at_the_demand_weighted_average():
    plan = pd.DataFrame({"item": ["F", "F"], "family": "F", "ds": DS, "demand": [15.0, 15.0],
                         "inventory": [0.0, 0.0], "backlog": [3.0, 0.0], "lost_sales": [0.0, 0.0]})
    fin = financials(demand=_demand(), items=_items(), supply_plan=plan).set_index("period")
    avg_price = (10 * 10 + 5 * 20) / 15
    assert math.isclose(fin.loc[DS[0], "revenue"], 12 * avg_price)
    assert math.isclose(fin.loc[DS[1], "revenue"], 18 * avg_price)
    assert math.isclose(fin.loc[DS[0], "cogs"], 12 * (10 * 4 + 5 * 5) / 15)


def test_without_a_supply_plan_the_gap_uses_unconstrained_revenue():
    fin = financials(demand=_demand(), items=_items(), budget=_budget()).set_index("period")
    assert fin["revenue"].isna().all() and fin["working_capital"].isna().all()
    assert fin.loc[DS[0], "revenue_gap"] == 200.0 - 250.0
    assert fin.loc[DS[0], "volume_gap"] == 15.0 - 20.0


def test_budget_gap_per_family_and_period():
    demand = pd.DataFrame({"sku": ["A", "B"], "ds": [DS[0], DS[0]], "demand": [10.0, 5.0]})
    items = _items().assign(family=["F", "G"])
    budget = pd.DataFrame({"family": ["F", "G", "G", "H"], "ds": [DS[0], DS[0], pd.Timestamp("2030-01-01"), DS[0]],
                           "volume": [10.0, 10.0, 99.0, 7.0], "revenue": [80.0, 120.0, 999.0, 70.0]})
    fin = financials(demand=demand, items=items, budget=budget).set_index("family")
    assert fin.loc["F", "revenue_gap"] == 100.0 - 80.0
    assert fin.loc["G", "revenue_gap"] == 100.0 - 120.0 and fin.loc["G", "volume_gap"] == -5.0
    # a budget for a family without demand shows the whole budget as the gap; other years are ignored
    assert fin.loc["H", "revenue_gap"] == -70.0 and len(fin) == 3
    totals = horizon_totals(fin.reset_index())
    assert totals["budget_revenue"] == 270.0 and totals["revenue_gap"] == 20.0 - 20.0 - 70.0


def test_command_says_where_demand_came_from_and_what_is_missing():
    book = memory_book()
    result = execute(book, ["financials"], save=False)[-1]
    assert result.status == "warnings"
    missing = [i for i in result.issues if i.code == IssueCode.STAGE_MISSING]
    assert [i.sheet for i in missing] == ["SupplyPlan"] and "sop-xl plan" in missing[0].hint
    fin = table(book, "Financials")
    assert set(fin["demand_source"]) == {"Demand"} and fin["revenue"].isna().all()
    assert fin["unconstrained_revenue"].sum() == (40 + 50 + 60) * 30.0 + 90 * 50.0

    execute(book, ["plan", "financials"], save=False)
    fin = table(book, "Financials")
    assert fin["revenue"].sum() == pytest.approx(fin["unconstrained_revenue"].sum())  # capacity suffices
    assert fin.loc[fin["family"] == "FA", "revenue_gap"].tolist() == pytest.approx([1200 - 1500.0, 0.0, 300.0])


def test_command_without_any_demand_names_the_stage_to_run():
    book = memory_book(demand=False)
    result = execute(book, ["financials"], save=False)[-1]
    assert result.status == "failed"
    (issue,) = [i for i in result.issues if i.code == IssueCode.STAGE_MISSING]
    assert issue.sheet == "Forecast" and "sop-xl forecast" in issue.hint


def test_budget_problems_are_reported_by_cell():
    from sop_xl.contract import WORKBOOK
    book = memory_book()
    book.write_table(WORKBOOK.sheet("Budget"), pd.DataFrame({
        "family": ["FA", "Tnets"], "period": ["2027-01", "2027-01"], "volume": [50.0, 10.0],
        "revenue": ["lots", 100.0], "margin": [None, None]}))
    result = execute(book, ["financials"], save=False)[-1]
    assert result.status == "failed"
    by_cell = {i.cell: i for i in result.issues if i.sheet == "Budget"}
    assert by_cell["D4"].code == IssueCode.NOT_A_NUMBER
    assert by_cell["A5"].code == IssueCode.UNKNOWN_KEY and "Tnets" in by_cell["A5"].message


@h_settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=6),
       st.floats(0, 50))
def test_every_unit_of_demand_ships_is_lost_or_is_still_backordered(steps, opening):
    """Sum of revenue + revenue lost + end backlog value = demand + opening backlog, at the price."""
    ds = pd.date_range("2027-01-01", periods=len(steps), freq="MS")
    backlog, rows = opening, []
    for (demand, lost_share, ship_share), d in zip(steps, ds):
        lost = demand * lost_share
        open_ = backlog + demand - lost
        backlog = open_ - open_ * ship_share
        rows.append(dict(item="A", family="F", ds=d, demand=demand, inventory=0.0, backlog=backlog, lost_sales=lost))
    plan = pd.DataFrame(rows)
    demand = plan[["ds", "demand"]].assign(sku="A")
    items = pd.DataFrame({"sku": ["A"], "family": ["F"], "price": [7.0], "unit_cost": [3.0]})
    fin = financials(demand=demand, items=items, supply_plan=plan, opening_backlog=pd.Series({"A": opening}))
    total = fin["unconstrained_revenue"].sum()  # the opening backlog is demand of the horizon
    assert total == pytest.approx(7.0 * (demand["demand"].sum() + opening), rel=1e-9, abs=1e-6)
    assert fin["revenue"].sum() + fin["lost_revenue"].sum() + fin["delayed_revenue"].iloc[-1] == \
        pytest.approx(total, rel=1e-9, abs=1e-6)
    assert fin["revenue"].sum() <= total + 1e-6  # the plan never ships more than the unconstrained view sells
    assert (fin["shipped_units"] >= -1e-9).all()
    assert fin["gross_margin"].sum() == pytest.approx(fin["revenue"].sum() * 4 / 7, abs=1e-6)


def test_a_failing_financials_prints_no_success_and_keeps_the_old_figures(tmp_path):
    """Before: financials printed its success summary, then exited 1 (a Budget cell error surfaced after
    the table was computed) and left the old figures."""
    from sop_xl.cli import main
    from sop_xl.contract import WORKBOOK
    from sop_xl.io import FileWorkbook
    path = tmp_path / "tiny.xlsx"
    book = FileWorkbook(path, create=True, backup=False)
    memory_book(book=book)
    book.save()
    assert main(["financials", str(path), "-q"]) == 0
    before = table(FileWorkbook(path), "Financials")
    book = FileWorkbook(path, backup=False)
    book.write_table(WORKBOOK.sheet("Budget"), pd.DataFrame({
        "family": ["FA"], "period": ["2027-01"], "volume": [50.0], "revenue": ["lots"], "margin": [None]}))
    book.write_table(WORKBOOK.sheet("Demand"), pd.DataFrame({"sku": ["A", "B"], "2027-01": [99.0, 9.0],
                                                             "2027-02": [1.0, 1.0], "2027-03": [1.0, 1.0]}))
    book.save()
    result = execute(FileWorkbook(path, backup=False), ["financials"])[-1]
    assert result.status == "failed" and result.summary == [line for line in result.summary if "stopped" in line]
    assert not any("revenue" in line for line in result.summary)
    after = table(FileWorkbook(path), "Financials")
    pd.testing.assert_frame_equal(after, before)  # the sheet is not half-updated


def test_budget_pasted_wide_families_by_months():
    book = memory_book(budget=False)
    book.grids["Budget"] = [["Budget 2027"], [None], ["Family", "2027-01", "2027-02", "2027-03"],
                            ["FA", 1500.0, 1500.0, 1500.0], ["FB", 1400.0, 1400.0, 1400.0]]
    result = execute(book, ["financials"], save=False)[-1]
    assert result.status == "warnings", [str(i) for i in result.issues]
    fin = table(book, "Financials").set_index(["family", "period"])
    assert fin["budget_revenue"].tolist() == [1500.0] * 3 + [1400.0] * 3
    assert fin["budget_volume"].isna().all()


def test_budget_pasted_wide_with_a_measure_column():
    book = memory_book(budget=False)
    book.grids["Budget"] = [["Budget"], [None], ["Family", "Measure", "2027-01", "2027-02", "2027-03"],
                             ["FA", "Volume", 50, 50, 50], ["FA", "Revenue", 1500, 1500, 1500],
                             ["FA", "Gross margin", 900, 900, 900], ["FB", "revenue", 1400, 1400, 1400],
                             ["FB", "headcount", 3, 3, 3]]
    result = execute(book, ["financials"], save=False)[-1]
    assert result.status == "failed"  # an unknown measure is named by its cell, nothing is written
    (bad,) = [i for i in result.issues if i.sheet == "Budget"]
    assert bad.cell == "B8" and "headcount" in bad.message
    book.grids["Budget"] = book.grids["Budget"][:-1]
    result = execute(book, ["financials"], save=False)[-1]
    assert result.status == "warnings", [str(i) for i in result.issues]
    fin = table(book, "Financials").set_index(["family", "period"])
    assert fin.loc["FA", "budget_volume"].tolist() == [50.0] * 3
    assert fin.loc["FA", "budget_revenue"].tolist() == [1500.0] * 3
    assert fin.loc["FB", "budget_revenue"].tolist() == [1400.0] * 3


def test_scheduled_receipts_are_committed_spend_and_in_material_spend():
    # A: 4 units arrive in January (on order), 6 made in February; B none. Unit costs 4 and 5.
    plan = _plan().assign(scheduled_receipts=[4.0, 0.0, 0.0, 0.0], production=[8.0, 6.0, 4.0, 5.0])
    fin = financials(demand=_demand(), items=_items(), supply_plan=plan).set_index("period")
    assert fin["receipts_units"].tolist() == [4.0, 0.0]
    assert fin["committed_spend"].tolist() == [16.0, 0.0]
    # (receipts + production) x unit cost: January 4 x 4 + 8 x 4 + 4 x 5, February 6 x 4 + 5 x 5
    assert fin["material_spend"].tolist() == [68.0, 49.0]
    # cost of goods stays shipped x unit cost: a received unit is costed when it ships, never twice
    base = financials(demand=_demand(), items=_items(), supply_plan=_plan()).set_index("period")
    assert fin["cogs"].tolist() == base["cogs"].tolist()
    assert base["receipts_units"].tolist() == [0.0, 0.0]  # a SupplyPlan without the column


def test_stock_and_receipts_in_a_period_without_demand_are_valued_at_unit_cost():
    # B has no demand row in February (a blank Demand cell) but holds 2 units and receives 3
    demand = _demand().iloc[:3]
    plan = _plan().assign(scheduled_receipts=[0.0, 0.0, 0.0, 3.0], production=0.0)
    plan.loc[3, ["demand", "inventory"]] = [0.0, 2.0]
    fin = financials(demand=demand, items=_items(), supply_plan=plan).set_index("period")
    feb = fin.loc[DS[1]]
    assert feb["inventory_value"] == pytest.approx(3.0 * 4.0 + 2.0 * 5.0)  # A's 3 at 4, B's 2 at 5
    assert feb["committed_spend"] == pytest.approx(3.0 * 5.0)
