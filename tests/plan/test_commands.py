"""The plan stage against a workbook: demand source, written tables, charts, issues."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop_xl.commands.base import execute
from sop_xl.commands.plan import run_plan, run_roughcut
from sop_xl.contract import (CAPACITY_CALENDAR, INVENTORY, ITEMS, RESOURCES, ROUTING, SETTINGS, WORKFORCE)
from sop_xl.contract.plan import CAPACITY, DEMAND, PLAN_RUN, ROUGH_CUT, SUPPLY_PLAN
from sop_xl.contract.schema import Column, Kind, Owner, Role, Sheet
from sop_xl.io.memory import MemoryWorkbook
from sop_xl.io.settings import settings_frame
from sop_xl.issues import InputError, Severity
from sop_xl.plan.data import defaults_filled

MONTHS = [f"2027-{m:02d}" for m in range(1, 7)]
RED_TOMATO = [1600, 3000, 3200, 3800, 2200, 2200]


def red_tomato_book(book=None, **settings) -> MemoryWorkbook:
    """Chopra & Meindl's Red Tomato Tools (see test_textbook.py) typed into the workbook contract (into
    `book`, by default a new MemoryWorkbook)."""
    book = MemoryWorkbook() if book is None else book
    settings.setdefault("whole_headcount", "no")  # the published LP optimum
    book.write_table(SETTINGS, settings_frame({"first_forecast_period": pd.Timestamp("2027-01-01"), "horizon": 6,
                                               **settings}))
    tables = {
        ITEMS: [dict(sku="Tools", family="Tools", unit_cost=10, holding_cost=2, backorder_cost=5,
                     subcontract_cost=30, safety_stock_rule="none")],
        RESOURCES: [dict(resource="Labour", kind="labour", regular_capacity=0)],
        ROUTING: [dict(item="Tools", resource="Labour", hours_per_unit=4)],
        WORKFORCE: [dict(resource="Labour", initial_headcount=80, hours_per_worker=160, wage=640,
                         overtime_hours_per_worker=10, overtime_cost=6, hire_cost=300, layoff_cost=500)],
        INVENTORY: [dict(sku="Tools", opening_stock=1000, target_end_stock=500)],
        CAPACITY_CALENDAR: [],
    }
    for sheet, rows in tables.items():
        book.write_table(sheet, defaults_filled(pd.DataFrame(rows), sheet)[sheet.column_names()])
    book.write_table(DEMAND, pd.DataFrame([["Tools", *RED_TOMATO]], columns=["sku", *MONTHS]))
    return book


def read_back(book: MemoryWorkbook, sheet) -> pd.DataFrame:
    """The table as laid out in the workbook's cells (headers mapped back to column names)."""
    block = book.tables[sheet.name]
    names = {c.header: c.name for c in sheet.columns}
    return pd.DataFrame(block.rows, columns=[names.get(h, h) for h in block.header])


def test_run_plan_writes_the_red_tomato_optimum():
    book = red_tomato_book()
    result = run_plan(book)
    assert result.status == "ok", [str(i) for i in result.issues]
    assert set(result.sheets) >= {"SupplyPlan", "Capacity", "WorkforcePlan", "PlanCost", "PlanRun", "PlanExplain"}
    run = read_back(book, PLAN_RUN).iloc[0]
    assert run["status"] == "optimal" and run["objective"] == pytest.approx(422_275, abs=0.5)
    assert run["demand_source"] == "Demand"
    plan_ = read_back(book, SUPPLY_PLAN)
    assert plan_["demand"].tolist() == RED_TOMATO
    assert plan_["period"].tolist() == MONTHS
    capacity = read_back(book, CAPACITY)
    assert capacity["shadow_price"].gt(0).all()  # labour is the bottleneck every month
    (chart,) = book.charts["Capacity"]
    assert chart.title == "Labour: load vs capacity" and chart.rows == (0, 6)
    assert "optimal" in result.summary[0]


def test_consensus_wins_over_forecast_and_demand():
    book = red_tomato_book()
    consensus = Sheet(name="Consensus", table="tblConsensus", role=Role.OUTPUT, owner=Owner.DEMAND_PLANNING,
                      description="test", columns=(Column("sku", Kind.TEXT, "SKU"), Column("period", Kind.PERIOD),
                                                   Column("statistical", Kind.NUMBER), Column("final", Kind.NUMBER)))
    book.write_table(consensus, pd.DataFrame({"sku": "Tools", "period": MONTHS, "statistical": 1.0,
                                              "final": [100.0] * 6}))
    result = run_plan(book)
    assert result.data["result"].run["demand_source"] == "Consensus"
    assert result.data["result"].supply_plan["demand"].tolist() == [100.0] * 6


def test_forecast_sheet_is_used_when_there_is_no_consensus():
    book = red_tomato_book()
    forecast = Sheet(name="Forecast", table="tblForecast", role=Role.OUTPUT, owner=Owner.DEMAND_PLANNING,
                     description="test", layout=DEMAND.layout, key=("sku",),
                     columns=(Column("sku", Kind.TEXT, "SKU"), Column("family", Kind.TEXT),
                              Column("method", Kind.TEXT)),
                     period_values=Column("forecast", Kind.NUMBER))
    book.write_table(forecast, pd.DataFrame([["Tools", "Tools", "ets", *[200.0] * 6]],
                                            columns=["sku", "family", "method", *MONTHS]))
    result = run_plan(book)
    assert result.data["result"].run["demand_source"] == "Forecast"
    assert result.data["result"].supply_plan["demand"].tolist() == [200.0] * 6
    assert not [i for i in result.issues if i.severity is Severity.INFO and i.sheet == "Forecast"]


def test_no_demand_anywhere_is_one_clear_error():
    book = red_tomato_book()
    del book.grids["Demand"]
    with pytest.raises(InputError) as err:
        run_plan(book)
    assert "no Consensus, Forecast or Demand sheet" in str(err.value)


def test_run_roughcut_flags_overloads():
    book = red_tomato_book()
    result = run_roughcut(book)
    table = read_back(book, ROUGH_CUT)
    # 80 workers x 160 h = 12,800 h regular + 800 h overtime; month 4 needs 15,200 h
    assert table["load_hours"].tolist() == [4 * d for d in RED_TOMATO]
    assert table["status"].tolist() == ["ok", "ok", "ok", "overload", "ok", "ok"]
    assert table["shortfall_hours"].tolist()[3] == pytest.approx(15_200 - 13_600)
    assert any(i.code == "plan_overload" for i in result.issues) and "1 overloaded" in result.summary[0]
    assert book.charts["RoughCut"][0].series[0].column == "load_hours"


def test_bad_cell_in_the_workbook_is_reported_once_with_its_address():
    book = red_tomato_book()
    grid = book.grids["Routing"]
    grid[3][2] = -4  # Routing!C4: hours per unit
    with pytest.raises(InputError) as err:
        run_plan(book)
    cells = [(i.sheet, i.cell) for i in err.value.issues if i.severity is Severity.ERROR]
    assert ("Routing", "C4") in cells and len(cells) == len(set(cells))


def test_infeasible_plan_through_execute_reports_the_explanation():
    book = red_tomato_book()
    book.grids["Workforce"][3][9] = 60  # Workforce!J4: max headcount 60
    grid = book.grids["Items"]
    header = grid[2]
    grid[3][header.index("Subcontract cost")] = None  # no subcontracting either
    (result,) = execute(book, ["plan"])
    assert result.status == "failed"
    messages = [i.message for i in result.issues if i.severity is Severity.ERROR]
    assert any("Labour lacks" in m for m in messages) or any("backorders" in m for m in messages)
    from sop_xl.contract import ISSUES
    issues = read_back(book, ISSUES)
    assert any("lacks" in m or "backorders" in m for m in issues["message"])


def test_an_empty_demand_sheet_is_no_demand():
    book = red_tomato_book()
    book.write_table(DEMAND, pd.DataFrame(columns=["sku", *MONTHS]))
    with pytest.raises(InputError) as err:
        run_plan(book)
    assert "no Consensus, Forecast or Demand sheet with numbers" in str(err.value)


def test_public_names_are_pinned():
    import sop_xl.plan as plan_api
    assert {"plan", "roughcut", "solve_plan", "build_plan_data", "build_plan_model", "solve_model", "rough_cut",
            "explain_infeasible", "PlanSettings", "PlanResult"} <= set(plan_api.__all__)
    assert all(hasattr(plan_api, name) for name in plan_api.__all__)


def test_safety_stock_uses_the_backtest_error_not_the_interval_width():
    """sigma comes from ForecastIntervals' backtest error (lead_error_std at step 1 + lead time), not
    from the interval width, whose lower bound stops at zero (issue 16.3)."""
    from statistics import NormalDist

    from sop_xl.contract.forecast import FORECAST_INTERVALS
    book = red_tomato_book(service_level=0.95)
    grid = book.grids["Items"]
    grid[3][grid[2].index("Safety stock rule")] = "service_level"
    forecast = Sheet(name="Forecast", table="tblForecast", role=Role.OUTPUT, owner=Owner.DEMAND_PLANNING,
                     description="test", layout=DEMAND.layout, key=("sku",), columns=(Column("sku", Kind.TEXT, "SKU"),),
                     period_values=Column("forecast", Kind.NUMBER))
    book.write_table(forecast, pd.DataFrame([["Tools", *RED_TOMATO]], columns=["sku", *MONTHS]))
    # a clipped lower bound (0) would give a smaller sigma from the width: the error column decides
    intervals = pd.DataFrame({"sku": "Tools", "period": ["2027-01", "2027-02"], "level": [80, 80],
                              "lower": [0.0, 0.0], "upper": [1700.0, 1800.0],
                              "error_std": [100.0, 120.0], "lead_error_std": [100.0, 160.0]})
    book.write_table(FORECAST_INTERVALS, intervals.reindex(columns=FORECAST_INTERVALS.column_names()))
    result = run_plan(book)
    expected = NormalDist().inv_cdf(0.95) * 100.0  # sigma_LT at step 1 (lead time 0) is 100
    assert result.data["plan_data"].safety_stock.iat[0, 0] == pytest.approx(expected)
    explain = result.data["result"].explanation  # the formula and its source on PlanExplain (issue 16.3)
    note = explain[explain["requirement"] == "safety stock"]
    assert len(note) == 1 and "Silver, Pyke & Thomas" in note["message"].iat[0] and "1 SKU(s)" in note["key"].iat[0]
    assert book.grids["PlanExplain"] and any("safety stock" in str(v) for row in book.grids["PlanExplain"] for v in row)


def test_plan_reads_only_the_forecast_interval_columns_it_uses():
    """The safety-stock sigma needs SKU, Period, Level and Error sigma to date; a bad cell in another column
    of ForecastIntervals (here Lower) is the forecast's business, not a reason to refuse the plan (the plan
    used to parse the whole sheet cell by cell: most of a 5,000-SKU plan's time)."""
    from sop_xl.commands.plan import forecast_error_std
    from sop_xl.issues import IssueLog

    book = MemoryWorkbook.from_grids({
        "Items": [["SKU", "Family", "Lead time"], ["A", "F", 1], ["B", "F", 0]],
        "ForecastIntervals": [["SKU", "Family", "Period", "Level", "Lower", "Forecast", "Upper", "Error sigma",
                               "Error sigma to date"],
                              ["A", "F", "2027-01", 80, "n/a", 10, 12, 2.0, 2.0],
                              ["A", "F", "2027-02", 80, 8, 10, 12, 2.0, 3.0],
                              ["B", "F", "2027-01", 80, 8, 10, 12, 4.0, 4.0],
                              ["A", "F", "2027-01", 95, 7, 10, 13, 2.0, 2.0]]})
    log = IssueLog()
    sigma = forecast_error_std(book, "month", log)
    assert not log.has_errors, [str(i) for i in log]
    assert sigma["A"] == pytest.approx(3.0 / np.sqrt(2)) and sigma["B"] == pytest.approx(4.0)


def test_the_plan_command_opens_the_file_for_saving_while_it_solves(tmp_path, monkeypatch):
    # issue 12.8: the second core opens the workbook for writing while HiGHS runs; the file written is the
    # one a plain save writes
    from sop_xl.io.file import FileWorkbook

    path = tmp_path / "red_tomato.xlsx"
    red_tomato_book(FileWorkbook(path, create=True, backup=False)).save()
    opened = []
    real = FileWorkbook._open_for_writing
    monkeypatch.setattr(FileWorkbook, "_open_for_writing",
                        lambda self, *args: opened.append(args) or real(self, *args))
    execute(FileWorkbook(path, backup=False, out=tmp_path / "overlapped.xlsx"), ["plan"])
    assert len(opened) == 1 and len(opened[0]) == 3  # once, by prepare_save; save() used what it opened
    monkeypatch.setattr(FileWorkbook, "prepare_save", None)  # an adapter without it: solve, then open
    execute(FileWorkbook(path, backup=False, out=tmp_path / "serial.xlsx"), ["plan"])
    assert len(opened) == 2 and len(opened[1]) == 2
    overlapped, serial = FileWorkbook(tmp_path / "overlapped.xlsx"), FileWorkbook(tmp_path / "serial.xlsx")
    assert overlapped.sheet_names() == serial.sheet_names()
    for name in ("SupplyPlan", "Capacity", "WorkforcePlan", "PlanCost", "Issues", "Items", "Demand"):
        assert overlapped.read_grid(name) == serial.read_grid(name), name
    assert read_table_value(overlapped, "PlanRun") == read_table_value(serial, "PlanRun") == 422_275


def read_table_value(book, sheet: str) -> float:
    """The objective on PlanRun (its other cells hold times)."""
    from sop_xl.issues import IssueLog
    from sop_xl.io.tables import read_table
    return round(float(read_table(book, PLAN_RUN, IssueLog())["objective"].iloc[0]))
