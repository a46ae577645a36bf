"""Scenarios re-run the real plan with modified inputs: known outcomes on a tiny plan, the
Scenarios sheet's problems by cell, and promotion to plan of record."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_xl.commands.base import execute
from sop_xl.issues import IssueCode, IssueLog
from sop_xl.scenarios import BASE, Lever, Scenario, apply_scenario, comparison_table, parse_scenarios, run_scenarios

from .helpers import START, memory_book, plan_inputs, table

FEB = pd.Timestamp("2027-02-01")


def _by_name(outcomes):
    return comparison_table(outcomes).set_index("scenario")


def test_doubling_demand_raises_cost_and_lowers_fill_rate():
    # capacity 100 regular + 20 overtime hours per period, 1 h per unit; lost sales cost = price
    inputs = plan_inputs(allow_backlog=False)
    table_ = _by_name(run_scenarios(inputs, [Scenario("Double", (Lever("demand", value=2.0),))]))
    base, double = table_.loc[BASE], table_.loc["Double"]
    assert base["status"] == double["status"] == "optimal"
    assert base["fill_rate"] == pytest.approx(1.0) and base["service_level"] == pytest.approx(1.0)
    # demand 280 + 200 = 480 units against 3 x 120 hours: 360 ship, 120 are lost
    assert double["fill_rate"] == pytest.approx(360 / 480)
    # losing the cheaper A (price 30) costs less than losing B (price 50): B is served in full
    assert double["service_level"] == pytest.approx(3 / 6)
    assert double["total_cost"] > base["total_cost"] and double["cost_vs_base"] > 0
    assert double["peak_utilisation"] == pytest.approx(1.2) and double["overtime_hours"] == pytest.approx(60.0)
    assert base["overtime_hours"] == pytest.approx(0.0)
    assert bool(base["plan_of_record"]) and not bool(double["plan_of_record"])


def test_a_capacity_cut_in_one_period_builds_ahead():
    inputs = plan_inputs()
    outcomes = run_scenarios(inputs, [Scenario("Cut", (Lever("capacity", "M", FEB, FEB, 0.5),))])
    cut = outcomes[1]
    cap = cut.result.capacity.set_index("period")
    assert cap.loc["2027-02", "regular_capacity"] == 50.0 and cap.loc["2027-03", "regular_capacity"] == 100.0
    assert cap.loc["2027-02", "overtime_capacity"] == 10.0
    kpis = _by_name(outcomes)
    assert kpis.loc["Cut", "fill_rate"] == pytest.approx(1.0)
    assert kpis.loc["Cut", "total_cost"] > kpis.loc[BASE, "total_cost"]  # carried stock costs holding
    plan = cut.result.supply_plan.set_index(["item", "period"])
    # February needs 80 hours and has 50 regular: January builds the 30 (holding 0.5 < overtime 5 per unit)
    assert plan["inventory"].xs("2027-01", level="period").sum() == pytest.approx(30.0)
    assert kpis.loc["Cut", "overtime_hours"] == pytest.approx(0.0)


def test_price_changes_revenue_not_the_plan_and_cost_changes_cost():
    inputs = plan_inputs()
    kpis = _by_name(run_scenarios(inputs, [Scenario("Price", (Lever("price", "FA", value=1.1),)),
                                           Scenario("Costly M", (Lever("cost", "M", value=2.0),))]))
    base = kpis.loc[BASE]
    assert kpis.loc["Price", "total_cost"] == pytest.approx(base["total_cost"])
    assert kpis.loc["Price", "revenue"] - base["revenue"] == pytest.approx(0.1 * 30 * 150)  # only family FA
    assert kpis.loc["Price", "contribution_vs_base"] == pytest.approx(0.1 * 30 * 150)
    assert kpis.loc["Price", "gross_margin"] - base["gross_margin"] == pytest.approx(0.1 * 30 * 150)
    assert kpis.loc["Price", "kind"] == "decision" and kpis.loc["Costly M", "kind"] == "risk"
    # regular hours cost 1 per hour; 240 units of 1 hour each are made
    assert kpis.loc["Costly M", "cost_vs_base"] == pytest.approx(240.0)


def test_service_level_and_whole_headcount_levers_change_the_settings():
    inputs = plan_inputs(whole_headcount=False)  # whole people is the default; the lever must switch it on
    inputs.frames["items"].loc[0, "safety_stock_rule"] = "service_level"
    flipped = not inputs.settings.whole_headcount  # whole people is the default: the lever turns it off
    changed = apply_scenario(inputs, Scenario("x", (Lever("service_level", value=0.99),
                                                    Lever("whole_headcount", value=float(flipped)))))
    assert changed.settings.service_level == 0.99 and changed.settings.whole_headcount == flipped
    assert inputs.settings.service_level == 0.95 and inputs.settings.whole_headcount != flipped  # inputs untouched
    outcomes = run_scenarios(inputs, [Scenario("Safer", (Lever("service_level", value=0.99),))])
    kpis = _by_name(outcomes)
    assert kpis.loc["Safer", "total_cost"] > kpis.loc[BASE, "total_cost"]
    base_plan, safer_plan = (o.result.supply_plan for o in outcomes)
    assert safer_plan["safety_stock"].max() > base_plan["safety_stock"].max() > 0
    assert safer_plan["inventory"].sum() > base_plan["inventory"].sum()


def test_levers_apply_to_the_named_family_and_periods_only():
    inputs = plan_inputs()
    changed = apply_scenario(inputs, Scenario("x", (Lever("demand", "FB", FEB, None, 3.0),)))
    d = changed.frames["demand"].set_index(["sku", "ds"])["demand"]
    assert d[("A", FEB)] == 50.0 and d[("B", START)] == 30.0 and d[("B", FEB)] == 90.0
    assert inputs.frames["demand"]["demand"].sum() == 240.0


def _sheet(rows):
    columns = ["scenario", "lever", "applies_to", "from_period", "to_period", "value", "note"]
    return pd.DataFrame([dict(zip(columns, r)) for r in rows], columns=columns)


def test_bad_scenario_rows_are_reported_by_cell():
    rows = [("Boom", "demand", "Nowhere", None, None, "1.2", ""),          # row 4: unknown family
            ("Typo", "demand", None, None, None, "lots", ""),             # row 5: not a number
            ("Base", "demand", None, None, None, "1.1", ""),              # row 6: reserved name
            ("Later", "price", None, "2027-02", None, "1.1", ""),         # row 7: price for a period
            ("Back", "capacity", "M", "2027-03", "2027-02", "0.5", ""),   # row 8: to before from
            ("Fine", "demand", "FA", None, None, "120%", "ok")]
    book = memory_book(scenarios=_sheet(rows))
    result = execute(book, ["scenarios"], save=False)[-1]
    assert result.status == "failed"
    cells = {(i.cell, i.code) for i in result.issues if i.sheet == "Scenarios"}
    assert {("C4", IssueCode.UNKNOWN_KEY), ("F5", IssueCode.NOT_A_NUMBER), ("A6", IssueCode.NOT_ALLOWED),
            ("D7", IssueCode.NOT_ALLOWED), ("E8", IssueCode.OUT_OF_RANGE)} <= cells
    assert "ScenarioComparison" not in book.sheet_names()


def test_parsing_reads_multipliers_levels_and_switches():
    from sop_xl.io import read_table
    from sop_xl.contract import WORKBOOK
    rows = [("Mix", "demand", "A", "2027-02", "2027-03", "120%", "note"), ("Mix", "service_level", None, None, None,
                                                                          "98", ""),
            ("Mix", "whole_headcount", None, None, None, "yes", ""), ("Other", "cost", None, None, None, 0.9, "")]
    book = memory_book(scenarios=_sheet(rows))
    log = IssueLog()
    frame = read_table(book, WORKBOOK.sheet("Scenarios"), log)
    scenarios = parse_scenarios(frame, plan_inputs(), log)
    assert not log.has_errors
    mix, other = scenarios
    assert [lv.lever for lv in mix.levers] == ["demand", "service_level", "whole_headcount"]
    assert mix.levers[0].value == pytest.approx(1.2) and mix.levers[0].first == FEB
    assert mix.levers[1].value == pytest.approx(0.98) and mix.levers[2].value == 1.0
    assert other.levers[0].value == pytest.approx(0.9) and mix.note == "note"
    assert "demand A 2027-02..2027-03 x1.2" in mix.describe()


def _promotable_book():
    rows = [("Double", "demand", None, None, None, "2", "upside"), ("Half", "demand", None, None, None, "0.5", "")]
    book = memory_book(scenarios=_sheet(rows))
    assert execute(book, ["plan"], save=False)[-1].status != "failed"
    return book


def test_promotion_makes_a_scenario_the_plan_of_record():
    book = _promotable_book()
    result = execute(book, ["scenarios"], save=False, options={"scenarios": {"promote": "half"}})[-1]
    assert result.status != "failed", [str(i) for i in result.issues]
    assert {"SupplyPlan", "Capacity", "PlanRun", "ScenarioComparison"} <= set(result.sheets)
    plan = table(book, "SupplyPlan")
    assert plan["demand"].sum() == pytest.approx(240.0 / 2)
    run = table(book, "PlanRun")
    assert run["message"].iloc[0].startswith("Scenario Half promoted to plan of record")
    comparison = table(book, "ScenarioComparison").set_index("scenario")
    assert comparison["plan_of_record"].to_dict() == {"Base": False, "Double": False, "Half": True}
    # the comparison keeps naming it while its plan is on the sheets ...
    execute(book, ["scenarios"], save=False)
    assert table(book, "ScenarioComparison").set_index("scenario")["plan_of_record"]["Half"]
    # ... and the base plan is the plan of record again after the next ordinary plan run
    execute(book, ["plan", "scenarios"], save=False)
    assert table(book, "ScenarioComparison").set_index("scenario")["plan_of_record"]["Base"]


def test_promoting_an_unknown_scenario_lists_the_names():
    book = _promotable_book()
    result = execute(book, ["scenarios"], save=False, options={"scenarios": {"promote": "Triple"}})[-1]
    assert result.status == "failed"
    (issue,) = [i for i in result.issues if i.code == IssueCode.UNKNOWN_KEY]
    assert "Base, Double, Half" in issue.hint
    assert table(book, "SupplyPlan")["demand"].sum() == pytest.approx(240.0)  # the plan is untouched


def test_no_scenarios_means_no_second_solve():
    book = memory_book()
    result = execute(book, ["scenarios"], save=False)[-1]
    assert result.status == "ok" and result.sheets == []
    assert any(i.sheet == "Scenarios" for i in result.issues)


def test_scenarios_without_demand_name_the_stage_to_run():
    book = memory_book(demand=False, scenarios=_sheet([("Double", "demand", None, None, None, "2", "")]))
    result = execute(book, ["scenarios"], save=False)[-1]
    assert result.status == "failed"
    assert [i.code for i in result.issues if i.severity.value == "error"] == [IssueCode.STAGE_MISSING]


def test_a_labour_pool_changes_capacity_for_the_whole_horizon_only():
    inputs = plan_inputs()
    inputs.frames["workforce"] = pd.DataFrame([dict(resource="Crew", initial_headcount=2.0, hours_per_worker=50.0,
                                                    overtime_hours_per_worker=5.0)])
    inputs.frames["resources"] = pd.concat([inputs.frames["resources"],
                                            pd.DataFrame([dict(resource="Crew", kind="labour")])], ignore_index=True)
    log = IssueLog()
    frame = _sheet([("Ranged", "capacity", "Crew", "2027-02", None, "0.8", ""),
                    ("Whole", "capacity", "Crew", None, None, "0.8", "")])
    frame["from_period"] = pd.to_datetime(frame["from_period"])
    scenarios = parse_scenarios(frame, inputs, log)
    assert [s.name for s in scenarios] == ["Whole"]
    (issue,) = log.errors
    assert "comes from headcount" in issue.message and issue.row_key == "Ranged"
    changed = apply_scenario(inputs, scenarios[0])
    assert changed.frames["workforce"].loc[0, "hours_per_worker"] == pytest.approx(40.0)
    assert inputs.frames["workforce"].loc[0, "hours_per_worker"] == 50.0


def test_the_demo_company_has_a_budget_and_scenarios(tmp_path):
    from sop_xl.commands.demo import create_demo_workbook
    from sop_xl.contract import WORKBOOK
    from sop_xl.io import read_table
    book = create_demo_workbook(tmp_path / "demo.xlsx")
    log = IssueLog()
    budget = read_table(book, WORKBOOK.sheet("Budget"), log)
    assert not log.has_errors and len(budget) == 3 * 18
    assert (budget["margin"] < budget["revenue"]).all() and (budget["margin"] > 0).all()
    scenarios = parse_scenarios(read_table(book, WORKBOOK.sheet("Scenarios"), log),
                                plan_inputs().__class__(
                                    {"items": read_table(book, WORKBOOK.sheet("Items"), log),
                                     "resources": read_table(book, WORKBOOK.sheet("Resources"), log),
                                     "workforce": read_table(book, WORKBOOK.sheet("Workforce"), log),
                                     "demand": pd.DataFrame(columns=["sku", "ds", "demand"])}, None), log)
    assert not log.has_errors and len(scenarios) == 5


def test_an_infeasible_scenario_is_a_finding_not_a_stop():
    # backorders must be filled by the end of the horizon: ten times the demand cannot be
    book = memory_book(scenarios=_sheet([("Tenfold", "demand", None, None, None, "10", "")]))
    execute(book, ["plan"], save=False)
    result = execute(book, ["scenarios"], save=False)[-1]
    assert result.status == "warnings"
    assert any(i.message.startswith("[Tenfold]") for i in result.issues)
    comparison = table(book, "ScenarioComparison").set_index("scenario")
    assert comparison.at["Tenfold", "status"] == "infeasible" and pd.isna(comparison.at["Tenfold", "fill_rate"])
    refused = execute(book, ["scenarios"], save=False, options={"scenarios": {"promote": "Tenfold"}})[-1]
    assert refused.status == "failed" and any(i.code == "scenario_no_plan" for i in refused.issues)


def test_financials_of_a_promoted_scenario_use_its_demand_and_prices():
    rows = [("Dear", "price", None, None, None, "1.1", ""), ("Dear", "demand", "FA", None, None, "0.5", "")]
    book = memory_book(scenarios=_sheet(rows))
    execute(book, ["plan"], save=False)
    execute(book, ["scenarios", "financials"], save=False, options={"scenarios": {"promote": "Dear"}})
    fin = table(book, "Financials")
    assert set(fin["demand_source"]) == {"Demand + Dear"}
    fa = fin[fin["family"] == "FA"]
    assert fa["demand_units"].sum() == pytest.approx(75.0)  # half of 40 + 50 + 60
    assert fa["unconstrained_revenue"].sum() == pytest.approx(75 * 33.0)
    assert fa["shipped_units"].sum() == pytest.approx(fa["demand_units"].sum())  # plan and demand agree


def test_warm_scenarios_plan_what_fresh_ones_do():
    # issue 12.8: HiGHS keeps the model across scenarios and re-solves from the previous basis; the
    # comparison must be the one fresh solves give
    scenarios = [Scenario("Double", (Lever("demand", value=2.0),)),
                 Scenario("Cut", (Lever("capacity", "M", FEB, FEB, 0.5),)),
                 Scenario("Dear", (Lever("cost", value=1.3),)), Scenario("Price", (Lever("price", "FA", value=1.1),))]
    columns = ["scenario", "status", "total_cost", "revenue", "contribution", "fill_rate"]
    warm = comparison_table(run_scenarios(plan_inputs(allow_backlog=False), scenarios))[columns]
    fresh = comparison_table(run_scenarios(plan_inputs(allow_backlog=False), scenarios, warm=False))[columns]
    pd.testing.assert_frame_equal(warm, fresh, rtol=1e-9)


def test_scenarios_fanned_out_plan_what_one_process_does():
    # issue 14.6: the scenarios can go to joblib workers like forecasting; same comparison, same order
    scenarios = [Scenario("Double", (Lever("demand", value=2.0),)), Scenario("Dear", (Lever("cost", value=1.3),)),
                 Scenario("Price", (Lever("price", "FA", value=1.1),))]
    columns = ["scenario", "status", "total_cost", "revenue", "contribution"]
    one = comparison_table(run_scenarios(plan_inputs(), scenarios))[columns]
    two = comparison_table(run_scenarios(plan_inputs(), scenarios, n_jobs=2))[columns]
    pd.testing.assert_frame_equal(one, two, rtol=1e-9)
