"""Quarterly periods (issue 12.2), checked on Winston's Sailco case worked by hand.

Sailco (W. L. Winston, "Operations Research: Applications and Algorithms", the sailboat production
LP): demand 40, 60, 75, 25 boats in the four quarters; 10 boats in stock at the start; up to 40 boats a
quarter on regular time at $400, more on overtime at $450; $20 per boat held at a quarter end.
By hand: Q1 make 40 (10 left over), Q2 40 + 10 overtime, Q3 40 + 35 overtime, Q4 25:
400 x 145 + 450 x 45 + 20 x 10 = 78,450, the published optimum.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sop_xl import periods
from sop_xl.plan import OPTIMAL, build_plan_data, solve_plan
from sop_xl.plan.settings import PlanSettings

QUARTERS = pd.to_datetime(["2027-01-01", "2027-04-01", "2027-07-01", "2027-10-01"])


def sailco(**item):
    items = pd.DataFrame([dict(sku="Boat", family="Boats", unit_cost=400.0, lost_sales_cost=10_000.0,
                               safety_stock_rule="none", **item)])
    # one boat = one hour: 40 regular hours a quarter, overtime at 450 - 400 = 50 extra per boat
    resources = pd.DataFrame([dict(resource="Yard", regular_capacity=40.0, overtime_capacity=1000.0,
                                   overtime_cost=50.0)])
    routing = pd.DataFrame([dict(item="Boat", resource="Yard", hours_per_unit=1.0)])
    demand = pd.DataFrame({"sku": "Boat", "ds": QUARTERS, "demand": [40.0, 60.0, 75.0, 25.0]})
    inventory = pd.DataFrame([dict(sku="Boat", opening_stock=10.0)])
    settings = PlanSettings(period_type="quarter", first_period=QUARTERS[0], horizon=4, allow_backlog=False)
    data, issues = build_plan_data(items=items, resources=resources, routing=routing, demand=demand,
                                   inventory=inventory, settings=settings)
    assert data is not None, [str(i) for i in issues]
    return data, issues


def test_quarter_labels_and_parsing():
    assert periods.label(pd.Timestamp("2027-08-15"), "quarter") == "2027-Q3"
    assert periods.parse_period("2027-Q3", "quarter") == pd.Timestamp("2027-07-01")
    assert periods.parse_period("Q4 2027", "quarter") == pd.Timestamp("2027-10-01")
    assert periods.parse_period("2027-05", "quarter") == pd.Timestamp("2027-04-01")  # a month inside Q2
    assert list(periods.period_range(pd.Timestamp("2027-02-10"), 3, "quarter")) == list(QUARTERS[:3])
    assert periods.shift(QUARTERS[0], 2, "quarter") == QUARTERS[2]
    assert periods.periods_between(QUARTERS[0], QUARTERS[3], "quarter") == 3
    assert periods.season_length("quarter") == 4 and periods.periods_per_year("quarter") == 4


def test_sailco_quarterly_optimum_is_78450():
    data, _ = sailco(holding_cost=20.0)
    assert data.labels == ("2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4")
    result = solve_plan(data)
    assert result.status == OPTIMAL
    assert result.objective == pytest.approx(78_450)
    assert result.supply_plan["production"].tolist() == pytest.approx([40, 50, 75, 25])
    assert result.capacity["overtime_hours"].tolist() == pytest.approx([0, 10, 35, 0])
    assert result.supply_plan["inventory"].tolist() == pytest.approx([10, 0, 0, 0])


def test_a_yearly_holding_rate_is_converted_per_quarter_and_said_so():
    # 400 x 20 % a year / 4 quarters = 20 per boat and quarter: the same optimum
    data, issues = sailco(holding_cost=None, holding_cost_rate=0.20)
    assert data.items.at["Boat", "holding_cost"] == pytest.approx(20.0)
    assert solve_plan(data).objective == pytest.approx(78_450)
    (note,) = [i for i in issues if i.code == "plan_rate_converted"]
    assert "/ 4" in note.message and "quarter" in note.message


def test_period_helpers_know_quarters():
    assert periods.example("quarter") == "2027-Q1" and periods.example("week") == "2027-W05"
    assert [periods.type_of_label(t) for t in ("2027-Q2", "2027-W05", "2027-03")] == ["quarter", "week", "month"]
    assert periods.days_per_period("quarter") == pytest.approx(365 / 4)
    from sop_xl.values import Kind, coerce
    problem = coerce("2027-13", Kind.PERIOD, period_type="quarter").problem
    assert "write it like 2027-Q1" in problem


def test_days_of_supply_and_turns_count_a_quarter_as_a_quarter():
    from sop_xl.finance.measures import money_measures
    fin = pd.DataFrame({"family": "F", "period": QUARTERS, "revenue": 1.0, "cogs": 20_000.0,
                        "inventory_units": 10.0, "inventory_value": 1_000.0})
    m = money_measures(fin, "quarter")
    assert m["days_of_supply"] == pytest.approx(1_000 / (20_000 / (365 / 4)))
    assert m["turns"] == pytest.approx(80.0)
    monthly = money_measures(fin.assign(period=pd.date_range("2027-01-01", periods=4, freq="MS")), "month")
    assert monthly["turns"] == pytest.approx(240.0)


def test_forecast_values_in_quarters_keeps_one_value_per_quarter():
    from sop_xl.forecast import forecast_values
    out = forecast_values([40, 60, 75, 25] * 3, 4, period_type="quarter", method="seasonal_naive", level=())
    assert out["mean"] == pytest.approx([40, 60, 75, 25]) and out["season_length"] == 4


def test_two_years_of_quarters_are_seasonal_when_the_season_is_typed():
    # the test of seasonality needs three cycles; with two the Settings season_length says it
    from sop_xl.forecast import forecast_result
    history = pd.DataFrame({"unique_id": "Boat", "ds": pd.date_range("2025-01-01", periods=8, freq="QS"),
                            "y": [40.0, 60.0, 75.0, 25.0] * 2})
    typed = forecast_result(history, 4, freq="quarter", n_windows=2, season_length=4)
    assert int(typed.series["season_length"].iloc[0]) == 4
    assert typed.forecasts["yhat"].tolist() == pytest.approx([40, 60, 75, 25], rel=0.05)
