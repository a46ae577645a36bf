"""Scheduled receipts (issue 12.7): stock already in production or on order is supply the plan uses."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_xl.plan import OPTIMAL, build_plan_data, rough_cut, solve_plan

from .plan_cases import START, case, column, data_of

ITEM = [dict(sku="A", family="F", unit_cost=10.0, holding_cost=0.0, backorder_cost=1.0, lead_time=2, price=30.0,
             safety_stock_rule="none")]


def receipts(*rows):
    return pd.DataFrame([dict(sku="A", period=START + pd.DateOffset(months=t), quantity=q) for t, q in rows])


def test_receipts_serve_the_periods_a_lead_time_cannot_reach():
    # lead time 2: without receipts the first two months can only be backordered; with the open orders
    # (50 arriving in each of months 1 and 2) nothing is late
    kw = case([50, 50, 50, 50], items=ITEM, allow_backlog=False)
    without = solve_plan(data_of(**kw))
    assert sum(column(without, "supply_plan", "lost_sales")[:2]) == pytest.approx(100)
    data = data_of(**kw, receipts=receipts((0, 50), (1, 50)))
    result = solve_plan(data)
    assert result.status == OPTIMAL
    assert column(result, "supply_plan", "scheduled_receipts") == [50, 50, 0, 0]
    assert column(result, "supply_plan", "lost_sales") == [0, 0, 0, 0]
    # for months 3 and 4; holding costs nothing here, so when in months 1-2 it starts is a tie the solver breaks
    assert sum(column(result, "supply_plan", "production")[:2]) == pytest.approx(100)


def test_receipts_take_load_off_the_rough_cut():
    item = [{**ITEM[0], "lead_time": 0}]
    data = data_of(**case([80, 80], items=item), receipts=receipts((0, 30)))
    assert rough_cut(data)["load_hours"].tolist() == [50, 80]


def test_a_receipt_for_an_unknown_sku_is_an_error_at_its_cell():
    bad = pd.DataFrame([dict(sku="ZZ", period=START, quantity=5.0)])
    data, issues = build_plan_data(**case([10], items=ITEM), receipts=bad)
    assert data is None
    (err,) = [i for i in issues if i.sheet == "ScheduledReceipts"]
    assert err.cell == "A4" and "ZZ" in err.message


def test_family_plans_add_up_receipts():
    items = [dict(ITEM[0], sku=s) for s in ("A", "B")]
    rec = pd.concat([receipts((0, 50), (1, 50)), receipts((0, 20)).assign(sku="B")], ignore_index=True)
    kw = case({"A": [50, 50, 50], "B": [20, 20, 20]}, items=items, allow_backlog=False)
    sku = solve_plan(data_of(**kw, receipts=rec))
    fam = solve_plan(data_of(**{**kw, "settings": kw["settings"].with_(plan_level="family")}, receipts=rec))
    assert fam.supply_plan["scheduled_receipts"].tolist() == [70, 50, 0]
    assert fam.objective == pytest.approx(sku.objective)
