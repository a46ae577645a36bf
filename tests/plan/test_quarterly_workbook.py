"""A quarterly workbook end to end (issue 12.2, 12.6, 12.7): typed into the contract, run through the CLI
stages, read back from the file.

The case is Winston's Sailco (see test_quarterly.py) with a price, a scheduled receipt and a budget, so the
plan, the financials and a scenario can all be worked by hand:
- demand 40, 60, 75, 25 boats; 10 in stock; 40 boats a quarter on regular time, more on overtime at 50
  above the 400 unit cost; holding 400 x 20 % a year / 4 = 20 per boat and quarter; 10 boats already on
  order arrive in Q3 (ScheduledReceipts).
- Plan: Q1 make 40 (10 carried to Q2 at 20 beats Q2 overtime at 50), Q2 40 + 10 overtime, Q3 needs
  75 - 10 received = 65: 40 + 25 overtime, Q4 25. Cost 400 x 180 + 50 x 35 + 20 x 10 = 73,950.
  (Without the receipt it is Sailco's 78,450: the 10 boats save 10 x 450.)
- Financials at price 1,000: shipped = demand, revenue 40,000 / 60,000 / 75,000 / 25,000, cost of goods
  400 x shipped, inventory 10 boats (4,000) after Q1 only; committed spend 10 x 400 = 4,000 in Q3; material
  spend (receipts + production) x 400 = 16,000 / 20,000 / 30,000 / 10,000; working capital = inventory
  value + a month (a third of the quarter) of revenue - cost of goods: 4,000 + 24,000 / 3 = 12,000, then
  12,000 / 15,000 / 5,000.
- Days of supply: average inventory value 1,000 over cost of goods 20,000 a quarter of 365 / 4 days =
  4.5625 days; turns 20,000 x 4 quarters / 1,000 = 80 a year.
- Scenario "Q3 surge", demand x1.2 in 2027-Q3 only: 15 more boats, all on Q3 overtime (Q1 regular is
  full, Q2 overtime + holding costs more): 73,950 + 15 x 450 = 80,700.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sop_xl import periods
from sop_xl.cli import main
from sop_xl.contract import INVENTORY, ITEMS, RESOURCES, ROUTING, SETTINGS, WORKBOOK, WORKFORCE
from sop_xl.io import FileWorkbook
from sop_xl.io.settings import settings_frame

QUARTERS = ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
DEMAND = [40.0, 60.0, 75.0, 25.0]


def _write(sheet_name: str, book, rows: list[dict] | pd.DataFrame) -> None:
    sheet = WORKBOOK.sheet(sheet_name)
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    book.write_table(sheet, frame if sheet.period_values is not None else frame.reindex(
        columns=sheet.column_names()))


def sailco_book(path, *, history: bool = False, plan: bool = True, labour: bool = False, receipts: bool = True):
    book = FileWorkbook(path, create=True, backup=False)
    book.write_table(SETTINGS, settings_frame({"company": "Sailco", "period_type": "quarter", "horizon": 4,
                                               "first_forecast_period": None if history else "2027-Q1",
                                               "backtest_windows": 2, "demand_policy": "meet_all",
                                               "allow_backlog": "no"}))
    _write(ITEMS.name, book, [dict(sku="Boat", family="Boats", price=1000.0, unit_cost=400.0, holding_cost_rate=0.2,
                                   lost_sales_cost=10_000.0, safety_stock_rule="none")])
    if plan:
        resources = [dict(resource="Yard", regular_capacity=40.0, overtime_capacity=1000.0, overtime_cost=50.0)]
        routing = [dict(item="Boat", resource="Yard", hours_per_unit=1.0)]
        if labour:  # a labour pool without a Regular capacity: its hours come from Workforce
            resources.append(dict(resource="Crew", kind="labour", regular_capacity=None))
            routing.append(dict(item="Boat", resource="Crew", hours_per_unit=1.0))
            _write(WORKFORCE.name, book, [dict(resource="Crew", initial_headcount=1, hours_per_worker=100.0)])
        _write(RESOURCES.name, book, resources)
        _write(ROUTING.name, book, routing)
        _write(INVENTORY.name, book, [dict(sku="Boat", opening_stock=10.0)])
        if receipts:
            _write("ScheduledReceipts", book, [dict(sku="Boat", period="2027-Q3", quantity=10.0,
                                                    source="purchase")])
        _write("Budget", book, [dict(family="Boats", period=q, volume=50.0, revenue=50_000.0) for q in QUARTERS])
        _write("Scenarios", book, [dict(scenario="Q3 surge", lever="demand", from_period="2027-Q3",
                                        to_period="2027-Q3", value="1.2")])
    if history:  # 12 quarters of a clear yearly pattern: Q2 and Q3 high
        labels = [f"{y}-Q{q}" for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)]
        values = [40.0, 60.0, 75.0, 25.0] * 3
        _write("DemandHistory", book, pd.DataFrame({"sku": ["Boat"], **{lab: [v] for lab, v in zip(labels, values)}}))
    else:
        _write("Demand", book, pd.DataFrame({"sku": ["Boat"], **{q: [d] for q, d in zip(QUARTERS, DEMAND)}}))
    book.save()
    return path


def sheet(path, name: str) -> pd.DataFrame:
    """A written sheet read back as its headers and rows (title and description rows skipped)."""
    declared = WORKBOOK.sheet(name)
    frame = pd.read_excel(path, sheet_name=name, header=declared.header_row - 1)
    return frame.rename(columns={c.header: c.name for c in declared.columns})


def test_a_quarterly_plan_only_workbook_runs_the_whole_cycle_and_is_right_by_hand(tmp_path, capsys):
    path = sailco_book(tmp_path / "sailco.xlsx")
    assert main(["validate", str(path), "-q"]) == 0  # a Demand sheet and no DemandHistory is valid
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "forecast: skipped, the workbook has no DemandHistory sheet" in out

    plan = sheet(path, "SupplyPlan")
    assert plan["period"].tolist() == QUARTERS
    assert plan["scheduled_receipts"].tolist() == [0, 0, 10, 0]
    assert plan["production"].tolist() == pytest.approx([40, 50, 65, 25])
    assert plan["inventory"].tolist() == pytest.approx([10, 0, 0, 0])
    run = sheet(path, "PlanRun").iloc[0]
    assert run["status"] == "optimal" and run["total_cost"] == pytest.approx(73_950)
    assert run["demand_policy"] == "meet_all"
    assert sheet(path, "Capacity")["overtime_hours"].tolist() == pytest.approx([0, 10, 25, 0])

    # the yearly holding rate converted per quarter is said on PlanExplain, with its cell
    explain = sheet(path, "PlanExplain")
    (note,) = explain[explain["requirement"] == "rate conversion"].itertuples()
    assert "/ 4" in note.message and "quarter" in note.message and note.violation == pytest.approx(20)
    assert (note.sheet, note.column) == ("Items", "Holding cost") and note.cell.endswith("4")

    issues = sheet(path, "Issues")
    assert (issues["code"] == "plan_rate_converted").sum() == 1  # said once (the rough cut reads no costs)

    fin = sheet(path, "Financials")
    assert fin["period"].tolist() == QUARTERS
    assert fin["revenue"].tolist() == pytest.approx([40_000, 60_000, 75_000, 25_000])
    assert fin["cogs"].tolist() == pytest.approx([16_000, 24_000, 30_000, 10_000])
    assert fin["inventory_value"].tolist() == pytest.approx([4_000, 0, 0, 0])
    assert fin["receipts_units"].tolist() == pytest.approx([0, 0, 10, 0])
    assert fin["committed_spend"].tolist() == pytest.approx([0, 0, 4_000, 0])
    assert fin["material_spend"].tolist() == pytest.approx([16_000, 20_000, 30_000, 10_000])
    # a month of revenue outstanding and of cost of goods unpaid: a third of the quarter's
    assert fin["working_capital"].tolist() == pytest.approx([12_000, 12_000, 15_000, 5_000])
    assert fin["budget_revenue"].tolist() == pytest.approx([50_000] * 4)  # the Budget typed in quarters
    assert fin["revenue_gap"].tolist() == pytest.approx([-10_000, 10_000, 25_000, -25_000])

    kpis = sheet(path, "Dashboard").set_index("kpi")["value"]
    assert kpis["Days of supply"] == pytest.approx(1_000 / (20_000 / (365 / 4)))
    assert kpis["Inventory turns"] == pytest.approx(80)

    comparison = sheet(path, "ScenarioComparison").set_index("scenario")
    assert comparison.loc["Base", "total_cost"] == pytest.approx(73_950)  # the plan, receipts included
    assert comparison.loc["Q3 surge", "total_cost"] == pytest.approx(80_700)
    assert comparison.loc["Q3 surge", "changes"] == "demand 2027-Q3 x1.2"
    assert comparison.loc["Q3 surge", "revenue"] - comparison.loc["Base", "revenue"] == pytest.approx(15_000)


def test_the_base_scenario_plans_the_scheduled_receipts_like_the_plan(tmp_path):
    from sop_xl.commands.base import execute
    path = sailco_book(tmp_path / "sailco.xlsx")
    plan, scenarios = execute(FileWorkbook(path, backup=False), ["plan", "scenarios"], save=False)
    base = scenarios.data["outcomes"][0]
    pd.testing.assert_frame_equal(base.result.supply_plan, plan.data["result"].supply_plan)
    assert base.result.objective == pytest.approx(plan.data["result"].objective) == pytest.approx(73_950)
    without = execute(FileWorkbook(sailco_book(tmp_path / "none.xlsx", receipts=False), backup=False),
                      ["plan"], save=False)[-1]
    assert without.data["result"].objective == pytest.approx(78_450)  # Sailco's own optimum


def test_quarterly_history_forecasts_a_four_quarter_season(tmp_path):
    path = sailco_book(tmp_path / "history.xlsx", history=True, plan=False)
    assert main(["run", str(path), "-q"]) == 0  # forecast-only: no Resources asked for, no plan stages
    forecast = pd.read_excel(path, sheet_name="Forecast", header=WORKBOOK.sheet("Forecast").header_row - 1)
    assert [c for c in forecast.columns if str(c).startswith("2027")] == QUARTERS
    # a repeated yearly pattern of 4 quarters is forecast as that pattern
    assert forecast[QUARTERS].iloc[0].tolist() == pytest.approx(DEMAND, rel=0.05)
    accuracy = sheet(tmp_path / "history.xlsx", "Accuracy")
    assert accuracy.loc[accuracy["level"] == "SKU", "seasonal"].tolist() == ["yes"]
    names = set(pd.ExcelFile(path).sheet_names)
    assert "SupplyPlan" not in names and "Financials" in names


def test_a_labour_pool_with_a_blank_regular_capacity_plans_and_writes(tmp_path):
    # issue 12.6: the Crew's hours come from Workforce (1 person x 100 h), nothing is thrown away
    path = sailco_book(tmp_path / "crew.xlsx", labour=True)
    assert main(["validate", str(path), "-q"]) == 0
    assert main(["plan", str(path), "-q"]) == 0
    capacity = sheet(path, "Capacity")
    crew = capacity[capacity["resource"] == "Crew"]
    assert crew["regular_capacity"].tolist() == pytest.approx([100] * 4)
    assert sheet(path, "PlanRun").iloc[0]["status"] == "optimal"


def test_a_budget_pasted_wide_in_quarters():
    from sop_xl.commands.base import execute
    from sop_xl.io import MemoryWorkbook
    book = MemoryWorkbook()
    book.write_table(SETTINGS, settings_frame({"period_type": "quarter", "horizon": 4,
                                               "first_forecast_period": "2027-Q1"}))
    _write(ITEMS.name, book, [dict(sku="Boat", family="Boats", price=1000.0, unit_cost=400.0)])
    _write("Demand", book, pd.DataFrame({"sku": ["Boat"], **{q: [d] for q, d in zip(QUARTERS, DEMAND)}}))
    book.grids["Budget"] = [["Budget 2027"], [None], ["Family", "Measure", *QUARTERS],
                            ["Boats", "volume", 50.0, 50.0, 50.0, 50.0],
                            ["Boats", "revenue", 50_000.0, 50_000.0, 50_000.0, 50_000.0]]
    result = execute(book, ["financials"], save=False)[-1]
    assert result.status != "failed", [str(i) for i in result.issues]
    fin = result.data["financials"]
    assert periods.labels(fin["period"], "quarter") == QUARTERS
    assert fin["budget_volume"].tolist() == [50.0] * 4
    # no plan: the gap is to the unconstrained revenue
    assert fin["revenue_gap"].tolist() == pytest.approx([-10_000, 10_000, 25_000, -25_000])


def test_validate_reads_scheduled_receipts_as_the_plan_does(tmp_path):
    path = sailco_book(tmp_path / "bad.xlsx")
    book = FileWorkbook(path, backup=False)
    _write("ScheduledReceipts", book, [dict(sku="Yacht", period="2027-Q3", quantity=10.0),
                                       dict(sku="Boat", period="2027-13", quantity=5.0)])
    book.save()
    from sop_xl.commands.base import execute
    result = execute(FileWorkbook(path, backup=False), ["validate"], save=False)[-1]
    errors = {(i.sheet, i.cell) for i in result.issues if i.severity.value == "error"}
    assert ("ScheduledReceipts", "A4") in errors  # Yacht is not on Items
    assert ("ScheduledReceipts", "B5") in errors  # not a quarter


def test_forecast_value_added_compares_with_the_same_quarter_a_year_before():
    # seasonal naive at the 2027-Q1 cycle says 2026-Q1 / 2026-Q2 (40, 60); actuals 44 and 66:
    # WAPE naive (4 + 6) / 110, consensus (42, 63) (2 + 3) / 110
    from sop_xl.commands.base import execute
    from sop_xl.contract.consensus import VERSIONS
    from sop_xl.io import MemoryWorkbook
    book = MemoryWorkbook()
    book.write_table(SETTINGS, settings_frame({"period_type": "quarter", "horizon": 2, "backtest_windows": 1}))
    _write(ITEMS.name, book, [dict(sku="Boat", family="Boats", price=1000.0, unit_cost=400.0)])
    labels = [f"{y}-Q{q}" for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)] + ["2027-Q1", "2027-Q2"]
    values = DEMAND * 3 + [44.0, 66.0]
    _write("DemandHistory", book, pd.DataFrame({"sku": ["Boat"], **{lab: [v] for lab, v in zip(labels, values)}}))
    rows = [dict(cycle="2027-Q1", closed_at="2027-01-05", plan=plan, sku="Boat", family="Boats", period=q, value=v)
            for plan, vs in (("consensus", (42.0, 63.0)), ("statistical", (40.0, 60.0)))
            for q, v in zip(QUARTERS[:2], vs)]
    book.write_table(VERSIONS, pd.DataFrame(rows), period_type="quarter")
    result = execute(book, ["accuracy"], save=False)[-1]
    assert result.status != "failed", [str(i) for i in result.issues]
    fva = book.tables["ForecastValueAdded"]
    row = dict(zip(fva.header, fva.rows[0]))
    assert row["WAPE seasonal naive"] == pytest.approx(10 / 110)
    assert row["WAPE consensus"] == pytest.approx(5 / 110)


def test_a_forecast_only_workbook_is_not_asked_for_a_solver_or_resources(tmp_path):
    path = sailco_book(tmp_path / "history.xlsx", history=True, plan=False)
    book = FileWorkbook(path, backup=False)
    book.write_table(SETTINGS, settings_frame({"period_type": "quarter", "horizon": 4, "solver": "GUROBI"}))
    book.save()
    from sop_xl.commands.base import execute
    result = execute(FileWorkbook(path, backup=False), ["validate"], save=False)[-1]
    assert result.status == "ok", [str(i) for i in result.issues]


def test_a_promoted_quarterly_scenario_writes_the_plan_sheets_as_the_plan_does(tmp_path):
    path = sailco_book(tmp_path / "sailco.xlsx")
    assert main(["plan", str(path), "-q"]) == 0
    planned = sheet(path, "PlanExplain")
    assert main(["scenarios", str(path), "--promote", "Q3 surge", "-q"]) == 0
    promoted = sheet(path, "PlanExplain")
    pd.testing.assert_frame_equal(promoted, planned)  # the rate note stays, worded the same
    assert sheet(path, "PlanRun").iloc[0]["total_cost"] == pytest.approx(80_700)
    assert sheet(path, "SupplyPlan")["scheduled_receipts"].tolist() == [0, 0, 10, 0]


def test_quarterly_history_to_dashboard_in_one_run(tmp_path):
    path = sailco_book(tmp_path / "cycle.xlsx", history=True)
    assert main(["run", str(path), "-q"]) == 0
    runlog = pd.read_excel(path, sheet_name="RunLog", header=WORKBOOK.sheet("RunLog").header_row - 1)
    assert runlog.iloc[:, 1].tolist()[-7:] == ["validate", "forecast", "roughcut", "plan", "scenarios",
                                               "financials", "dashboard"]
    plan = sheet(path, "SupplyPlan")
    assert plan["period"].tolist() == QUARTERS
    assert plan["demand"].tolist() == pytest.approx(DEMAND, rel=0.05)  # the forecast of the yearly pattern
    assert sheet(path, "PlanRun").iloc[0]["demand_source"] == "Forecast"
    assert sheet(path, "Financials")["period"].tolist() == QUARTERS
    kpis = sheet(path, "Dashboard").set_index("kpi")
    assert kpis.loc["Forecast accuracy", "value"] > 90
    assert "2027-Q" in kpis.loc["Peak utilisation", "comment"]
