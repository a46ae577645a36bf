"""Each constraint family switched on and off on plans small enough to check by hand.

Default case (plan_cases.case): SKU A, machine M with 100 regular hours per month, 1 hour per
unit, unit cost 10, no holding cost, backorder cost 1 per unit and month, no safety stock.
"""

from __future__ import annotations

import pytest

from sop_xl.plan import INFEASIBLE, OPTIMAL

from .plan_cases import case, column, data_of, solved


def item(**changes) -> list[dict]:
    base = dict(sku="A", family="F", unit_cost=10.0, holding_cost=0.0, backorder_cost=1.0, safety_stock_rule="none")
    return [{**base, **changes}]


def test_demand_within_capacity_is_made_when_needed():
    r = solved(**case([100, 100]))
    assert r.status == OPTIMAL
    assert column(r, "supply_plan", "production") == [100, 100]
    assert r.objective == pytest.approx(2000)


def test_capacity_binds_and_holding_cost_prices_the_prebuild():
    # 150 in month 2 with 100 h per month: build 50 ahead in month 1, held one month at 1
    r = solved(**case([50, 150], items=item(holding_cost=1.0)))
    assert column(r, "supply_plan", "production") == [100, 100]
    assert column(r, "supply_plan", "inventory") == [50, 0]
    assert r.objective == pytest.approx(2000 + 50)
    # the month-1 hour is worth nothing (spare after the prebuild? no: it is fully used) -
    # one more hour in month 2 saves holding one unit: 1; in month 1 it saves nothing
    assert column(r, "capacity", "shadow_price") == [0, 1]


def test_capacity_off_means_no_prebuild():
    r = solved(**case([50, 150], items=item(holding_cost=1.0), resources=[dict(resource="M", regular_capacity=1e6)]))
    assert column(r, "supply_plan", "production") == [50, 150]
    assert r.objective == pytest.approx(2000)


def test_overtime_costs_per_hour_and_shadow_price_is_what_an_hour_saves():
    res = [dict(resource="M", regular_capacity=100.0, overtime_capacity=100.0, overtime_cost=5.0)]
    r = solved(**case([150], resources=res))
    assert column(r, "capacity", "overtime_hours") == [50]
    assert r.objective == pytest.approx(1500 + 250)
    assert column(r, "capacity", "shadow_price") == [5]
    # check the dual by re-solving with one more regular hour
    res_plus = [dict(resource="M", regular_capacity=101.0, overtime_capacity=100.0, overtime_cost=5.0)]
    assert solved(**case([150], resources=res_plus)).objective == pytest.approx(r.objective - 5)
    cost = r.cost.set_index("cost_type")["amount"]
    assert cost["overtime"] == pytest.approx(250) and cost["material"] == pytest.approx(1500)


def test_overtime_off_backorders_instead():
    r = solved(**case([150, 0]))  # no overtime capacity: 50 backordered one month at 1
    assert column(r, "supply_plan", "backlog") == [50, 0]
    assert r.objective == pytest.approx(1500 + 50)


def test_calendar_override_replaces_capacity_in_its_period():
    cal = [dict(resource="M", period="2027-02", regular_capacity=60.0)]
    r = solved(**case([100, 100, 0], calendar=cal))
    assert column(r, "capacity", "regular_capacity") == [100, 60, 100]
    assert column(r, "supply_plan", "backlog") == [0, 40, 0]


def test_lost_sales_when_backlog_is_not_allowed():
    r = solved(**case([150, 50], items=item(lost_sales_cost=25.0), allow_backlog=False))
    assert column(r, "supply_plan", "lost_sales") == [50, 0]
    assert column(r, "supply_plan", "production") == [100, 50]
    assert r.objective == pytest.approx(1500 + 50 * 25)
    # a blank lost-sales cost is the price (the revenue lost)
    priced = solved(**case([150, 50], items=item(price=30.0), allow_backlog=False))
    assert priced.objective == pytest.approx(1500 + 50 * 30)


def test_subcontract_up_to_its_limit_then_backlog():
    # subcontract 12 < make later (10 + backorder 3): buy the limit of 30, backorder the other 20
    r = solved(**case([150, 0], items=item(backorder_cost=3.0, subcontract_cost=12.0, subcontract_limit=30.0)))
    assert column(r, "supply_plan", "subcontract") == [30, 0]
    assert column(r, "supply_plan", "backlog") == [20, 0]
    assert r.objective == pytest.approx(1200 + 360 + 60)
    unlimited = solved(**case([150, 0], items=item(backorder_cost=3.0, subcontract_cost=12.0)))
    assert column(unlimited, "supply_plan", "subcontract") == [50, 0]
    assert unlimited.objective == pytest.approx(1000 + 600)


def test_no_backlog_at_end_switch():
    demand = [100, 150]
    on = solved(**case(demand))
    assert on.status == INFEASIBLE
    # without the rule a backorder left at the end costs only its backorder cost (20 here)
    off = solved(**case(demand, items=item(backorder_cost=20.0), no_backlog_at_end=False))
    assert off.status == OPTIMAL
    assert column(off, "supply_plan", "backlog") == [0, 50]
    assert off.objective == pytest.approx(2000 + 50 * 20)


def test_end_inventory_target():
    r = solved(**case([100], resources=[dict(resource="M", regular_capacity=200.0)], items=item(holding_cost=1.0),
                      inventory=[dict(sku="A", target_end_stock=50)]))
    assert column(r, "supply_plan", "inventory") == [50]
    assert r.objective == pytest.approx(1500 + 50)


def test_opening_stock_and_backlog_enter_the_balance():
    r = solved(**case([100, 100], items=item(holding_cost=1.0),
                      inventory=[dict(sku="A", opening_stock=30, opening_backlog=10)]))
    assert column(r, "supply_plan", "production") == [80, 100]


def test_soft_safety_stock_is_kept_when_cheaper_than_its_penalty():
    # fixed safety stock 30, penalty 4, holding 1, no material cost, 120 h: month 1 can reach 20
    # (10 short), month 2 makes 110 to end at 30
    r = solved(**case([100, 100], items=item(unit_cost=0.0, holding_cost=1.0, safety_stock_rule="fixed",
                                             safety_stock_value=30.0),
                      resources=[dict(resource="M", regular_capacity=120.0)], safety_stock_penalty=4.0))
    assert column(r, "supply_plan", "safety_stock") == [30, 30]
    assert column(r, "supply_plan", "inventory") == [20, 30]
    assert column(r, "supply_plan", "safety_stock_shortfall") == [10, 0]
    assert r.objective == pytest.approx(50 + 40)
    assert any(i.code == "plan_below_safety_stock" for i in r.issues)
    off = solved(**case([100, 100], items=item(holding_cost=1.0),
                        resources=[dict(resource="M", regular_capacity=120.0)]))
    assert off.objective == pytest.approx(2000)


def test_storage_limits_cap_the_prebuild():
    # 200 wanted in month 2 with 100 h per month; the warehouse holds 60, so 40 are lost at 20
    common = dict(items=item(holding_cost=1.0, lost_sales_cost=20.0), allow_backlog=False)
    free = solved(**case([0, 200], **common))
    assert free.objective == pytest.approx(2000 + 100)
    total = solved(**case([0, 200], storage_capacity=60.0, **common))
    assert column(total, "supply_plan", "inventory") == [60, 0]
    assert total.objective == pytest.approx(1600 + 60 + 800)
    per_item = solved(**case([0, 200], inventory=[dict(sku="A", max_stock=60)], **common))
    assert per_item.objective == pytest.approx(total.objective)


def test_lead_time_shifts_receipts():
    r = solved(**case([0, 100, 100], items=item(lead_time=1, holding_cost=1.0), no_backlog_at_end=True))
    # the last month starts what the month after the horizon needs (its demand repeated), no collapse
    assert column(r, "supply_plan", "production") == [100, 100, 100]


def test_workforce_hires_when_demand_rises():
    pool = [dict(resource="Crew", initial_headcount=1, hours_per_worker=160, wage=100, hire_cost=50,
                 layoff_cost=80)]
    r = solved(**case([160, 320], items=item(unit_cost=0.0, holding_cost=1.0),
                      resources=[dict(resource="Crew", kind="labour")],
                      routing=[dict(item="A", resource="Crew", hours_per_unit=1.0)], workforce=pool))
    assert column(r, "workforce", "headcount") == [1, 2]
    assert column(r, "workforce", "hires") == [0, 1]
    assert r.objective == pytest.approx(100 + 200 + 50)


def test_labour_overtime_is_limited_per_worker():
    pool = [dict(resource="Crew", initial_headcount=2, hours_per_worker=100, wage=0, overtime_hours_per_worker=10,
                 overtime_cost=3, hire_cost=1e4, min_headcount=2, max_headcount=2)]
    kw = dict(items=item(unit_cost=0.0, backorder_cost=50.0), resources=[dict(resource="Crew", kind="labour")],
              routing=[dict(item="A", resource="Crew", hours_per_unit=1.0)], workforce=pool, no_backlog_at_end=False)
    r = solved(**case([230], **kw))
    assert column(r, "workforce", "overtime_hours") == [20]  # 2 workers x 10 h
    assert column(r, "supply_plan", "backlog") == [10]
    assert r.objective == pytest.approx(60 + 500)


def test_whole_headcount_vs_continuous():
    pool = [dict(resource="Crew", initial_headcount=1, hours_per_worker=160, wage=100, hire_cost=10,
                 layoff_cost=1000)]
    kw = dict(items=item(unit_cost=0.0, backorder_cost=1000.0), resources=[dict(resource="Crew", kind="labour")],
              routing=[dict(item="A", resource="Crew", hours_per_unit=1.0)], workforce=pool)
    # degenerate LP: several duals are right; interior point + crossover gives the one checked below
    continuous = solved("highs-ipm", **case([200, 200], whole_headcount=False, **kw))
    assert column(continuous, "workforce", "headcount") == [1.25, 1.25]
    assert continuous.objective == pytest.approx(250 + 2.5)
    whole = solved(**case([200, 200], whole_headcount=True, **kw))
    assert column(whole, "workforce", "headcount") == [2, 2]
    assert whole.objective == pytest.approx(400 + 10)
    assert whole.run["integer_variables"] > 0 == continuous.run["integer_variables"]
    # a whole-number plan's shadow prices are those of the LP with the headcount fixed: 2 workers
    # give 320 h for 200 needed, so an hour is worth nothing
    assert column(whole, "capacity", "shadow_price") == [0, 0]
    # continuous: an hour more in month 1 lets 1/160 worker go in both months (the unit made early
    # is stock for month 2): wages 2 x 100/160 + hire 10/160; in month 2 a layoff costs more than it saves
    assert column(continuous, "capacity", "shadow_price") == [pytest.approx(210 / 160), 0]


def test_lot_sizing_setup_cost_batches_production():
    # Wagner-Whitin by hand: one setup for 4 x 10 units costs 100 + holding 10+20+30 = 160;
    # two setups 200 + 20; four setups 400
    kw = dict(items=item(unit_cost=0.0, holding_cost=1.0, setup_cost=100.0))
    on = solved(**case([10, 10, 10, 10], lot_sizing=True, **kw))
    assert column(on, "supply_plan", "production") == [40, 0, 0, 0]
    assert on.objective == pytest.approx(160)
    off = solved(**case([10, 10, 10, 10], **kw))
    assert off.objective == pytest.approx(0)


def test_lot_sizing_minimum_lot_and_setup_hours():
    kw = dict(items=item(unit_cost=1.0, holding_cost=0.5, min_lot=25.0, setup_hours=10.0), mip_gap=0.0)
    r = solved(**case([10, 10, 10, 10], lot_sizing=True, **kw))
    made = column(r, "supply_plan", "production")
    assert all(q == 0 or q >= 25 - 1e-6 for q in made) and sum(made) == pytest.approx(40)
    used = column(r, "capacity", "used_hours")
    assert used == pytest.approx([q + (10 if q > 0 else 0) for q in made])


def test_family_level_plans_families():
    items = [dict(sku="A", family="F", unit_cost=10.0, backorder_cost=1.0, safety_stock_rule="none"),
             dict(sku="B", family="F", unit_cost=20.0, backorder_cost=1.0, safety_stock_rule="none")]
    routing = [dict(item="F", resource="M", hours_per_unit=1.0)]
    r = solved(**case({"A": [30, 30], "B": [10, 30]}, items=items, routing=routing, plan_level="family"))
    assert list(r.supply_plan["item"].unique()) == ["F"]
    assert column(r, "supply_plan", "demand") == [40, 60]
    # family unit cost = demand-weighted: (10 x 60 + 20 x 40) / 100 = 14
    assert r.objective == pytest.approx(14 * 100)


def test_margin_objective_leaves_unprofitable_demand_unmet():
    items = [dict(sku="A", family="F", price=20.0, unit_cost=10.0, safety_stock_rule="none"),
             dict(sku="B", family="F", price=5.0, unit_cost=10.0, safety_stock_rule="none")]
    r = solved(**case({"A": [100], "B": [50]}, items=items, objective="max_margin",
                      resources=[dict(resource="M", regular_capacity=1000.0)]))
    plan_ = r.supply_plan.set_index("item")
    assert plan_.at["A", "production"] == pytest.approx(100)
    assert plan_.at["B", "production"] == pytest.approx(0) and plan_.at["B", "lost_sales"] == pytest.approx(50)
    assert r.objective == pytest.approx(1000)
    cost = r.cost.set_index("cost_type")["amount"]
    assert cost["revenue"] == pytest.approx(2000) and cost["margin"] == pytest.approx(1000)
    # min cost with the same data serves B at a loss
    cost_plan = solved(**case({"A": [100], "B": [50]}, items=[{**i, "backorder_cost": 1.0} for i in items],
                              resources=[dict(resource="M", regular_capacity=1000.0)]))
    assert cost_plan.supply_plan.set_index("item").at["B", "production"] == pytest.approx(50)


def test_margin_objective_shadow_price_is_margin_per_hour():
    items = [dict(sku="A", family="F", price=20.0, unit_cost=10.0, safety_stock_rule="none")]
    r = solved(**case([150], items=items, objective="max_margin", no_backlog_at_end=False))
    assert column(r, "capacity", "shadow_price") == [10]  # one more hour sells one more unit at margin 10


def test_service_level_safety_stock_from_forecast_error():
    data = data_of(**case([100, 100], items=item(safety_stock_rule="service_level", lead_time=3),
                          service_level=0.95))
    # no error given: sigma is the spread of the demand plan, 0 here
    assert data.safety_stock.to_numpy().max() == 0
    kw = case([100, 100], items=item(safety_stock_rule="service_level", lead_time=3), service_level=0.95)
    kw["demand"]["error_std"] = 10.0
    data = data_of(**kw)
    assert data.safety_stock.iat[0, 0] == pytest.approx(1.6448536 * 10 * 2, rel=1e-6)  # z x sigma x sqrt(1 + 3)


def test_rough_cut_loads_the_period_production_starts():
    from sop_xl.plan import rough_cut
    data = data_of(**case([10, 20, 30], items=item(lead_time=1)))
    table = rough_cut(data)
    assert table["load_hours"].tolist() == [20, 30, 30]  # the last month loads the month after the horizon
    assert table["status"].tolist() == ["ok", "ok", "ok"]
    busy = rough_cut(data_of(**case([90, 130, 260], resources=[dict(resource="M", regular_capacity=100.0,
                                                                          overtime_capacity=50.0)])))
    assert busy["status"].tolist() == ["ok", "overtime", "overload"]
    assert busy["overtime_needed"].tolist() == [0, 30, 160]
    assert busy["shortfall_hours"].tolist() == [0, 0, 110]
    assert busy["utilisation"].tolist() == pytest.approx([0.9, 1.3, 2.6])


def test_weekly_buckets_and_weekly_holding_cost():
    import pandas as pd
    from sop_xl.plan import PlanSettings, build_plan_data, solve_plan
    monday = pd.Timestamp("2027-02-01")
    demand = pd.DataFrame({"sku": "A", "ds": [monday + pd.Timedelta(weeks=k) for k in range(3)],
                           "demand": [50.0, 150.0, 100.0]})
    data, issues = build_plan_data(
        items=pd.DataFrame([dict(sku="A", family="F", unit_cost=52.0, holding_cost_rate=0.5, backorder_cost=9.0,
                                    safety_stock_rule="none")]),
        resources=pd.DataFrame([dict(resource="M", regular_capacity=100.0)]),
        routing=pd.DataFrame([dict(item="A", resource="M", hours_per_unit=1.0)]), demand=demand,
        settings=PlanSettings(period_type="week", first_period=monday, horizon=3))
    result = solve_plan(data)
    assert data.labels == ("2027-W05", "2027-W06", "2027-W07")
    # holding 52 x 50% / 52 weeks = 0.5 per unit-week: prebuild 50 in week 5 rather than backorder at 9
    assert column(result, "supply_plan", "inventory") == [50, 0, 0]
    assert result.objective == pytest.approx(52 * 300 + 0.5 * 50)


def test_sku_routing_row_replaces_only_its_resource_of_the_family_routing():
    # family F: 1 h on M and 2 h on N per unit; SKU B has its own 3 h on N (exception), A has none
    resources = [dict(resource="M", regular_capacity=1000.0), dict(resource="N", regular_capacity=1000.0)]
    routing = [dict(item="F", resource="M", hours_per_unit=1.0), dict(item="F", resource="N", hours_per_unit=2.0),
               dict(item="B", resource="N", hours_per_unit=3.0)]
    r = solved(**case({"A": [10], "B": [10]}, resources=resources, routing=routing))
    used = r.capacity.set_index("resource")["used_hours"]
    assert used["M"] == pytest.approx(10 * 1 + 10 * 1)      # B still uses the family's M hours
    assert used["N"] == pytest.approx(10 * 2 + 10 * 3)      # B's own N hours replace the family's


def test_no_collapse_in_the_last_period_with_a_lead_time():
    # issue 10.5: with lead time 1 the last month's production and load dropped to 0 (it arrives after the
    # horizon); it now starts what the month after the horizon needs (the last month's demand repeated)
    from sop_xl.plan import rough_cut
    kw = dict(items=item(lead_time=1, price=20.0), inventory=[dict(sku="A", opening_stock=100)])
    r = solved(**case([100, 100, 100], **kw))
    assert column(r, "supply_plan", "production") == [100, 100, 100]
    assert column(r, "capacity", "used_hours") == [100, 100, 100]
    load = rough_cut(data_of(**case([100, 100, 100], **kw)))["load_hours"].tolist()
    assert load == [100, 100, 100]
