"""Issue 13, "Input cells": each case a careless user (or a broken formula) produced on a copy of the
demo workbook, checked where `sop-xl validate` and the stages read it. One test per observed case."""

from __future__ import annotations

import openpyxl
import pytest

from sop_xl.cli import EXIT_INPUT, EXIT_OK, main
from sop_xl.commands.validate import run_validate
from sop_xl.io.file import FileWorkbook
from sop_xl.issues import IssueCode, Severity

from .helpers import edit, issues_at, settings_cell


def validate(path):
    return run_validate(FileWorkbook(path)).issues


def errors(issues):
    return [i for i in issues if i.severity is Severity.ERROR]


# ------------------------------------------------------------------ error values and uncached formulas

def test_div0_in_items_price_is_an_error_at_its_cell(demo_copy):
    edit(demo_copy, {"Items": {"F4": "#DIV/0!"}})  # openpyxl stores it as an error cell (t="e")
    found = issues_at(validate(demo_copy), "Items", "F4")
    assert [i.code for i in found] == [IssueCode.FORMULA_ERROR]
    assert found[0].severity is Severity.ERROR and "#DIV/0!" in found[0].message


def test_uncached_formula_in_items_price_is_an_error_not_zero(demo_copy):
    edit(demo_copy, {"Items": {"F4": '=WEBSERVICE("https://prices.example/tn-100")'}})
    found = issues_at(validate(demo_copy), "Items", "F4")
    assert [i.code for i in found] == [IssueCode.FORMULA_ERROR]
    assert "no calculated value" in found[0].message and "WEBSERVICE" in str(found[0].value)


def test_uncached_formulas_in_required_capacity_cells_are_not_called_empty(demo_copy):
    edit(demo_copy, {"Resources": {"D4": "=1/0"}, "Workforce": {"C4": "=B4*8"}})
    issues = validate(demo_copy)
    for sheet, cell in (("Resources", "D4"), ("Workforce", "C4")):
        found = issues_at(issues, sheet, cell)
        assert [i.code for i in found] == [IssueCode.FORMULA_ERROR], found
        assert "empty" not in found[0].message


def test_na_in_demand_history_is_an_error_not_missing(demo_copy):
    edit(demo_copy, {"DemandHistory": {"E4": "#N/A"}})
    found = issues_at(validate(demo_copy), "DemandHistory", "E4")
    assert [(i.severity, i.code) for i in found] == [(Severity.ERROR, IssueCode.FORMULA_ERROR)]


def test_libreoffice_recalculated_error_values_are_read_as_errors(demo_copy, libreoffice_convert, tmp_path):
    edit(demo_copy, {"Items": {"F4": "=1/0", "G4": '=NOSUCHFUNCTION(1)'}})
    converted = libreoffice_convert(demo_copy, "xlsx", tmp_path / "lo")
    issues = validate(converted)
    assert "#DIV/0!" in issues_at(issues, "Items", "F4")[0].message
    assert "#NAME?" in issues_at(issues, "Items", "G4")[0].message


def test_a_formula_with_a_cached_value_is_read_as_its_value(demo_copy, libreoffice_convert, tmp_path):
    edit(demo_copy, {"Items": {"F4": "=400+58.9"}})
    converted = libreoffice_convert(demo_copy, "xlsx", tmp_path / "lo")
    assert issues_at(validate(converted), "Items", "F4") == []


# ------------------------------------------------------------------ negative demand

def test_negative_demand_is_a_validate_warning_at_its_cell(demo_copy):
    edit(demo_copy, {"DemandHistory": {"E4": -40}})
    found = issues_at(validate(demo_copy), "DemandHistory", "E4")
    assert [i.severity for i in found] == [Severity.WARNING]
    assert "Returns net demand" in found[0].hint


def test_negative_demand_is_expected_when_returns_net_demand(demo_copy):
    book = FileWorkbook(demo_copy)
    cell = settings_cell(book, "returns_net_demand")
    edit(demo_copy, {"DemandHistory": {"E4": -40}, "Settings": {cell: "yes"}})
    assert issues_at(validate(demo_copy), "DemandHistory", "E4") == []


# ------------------------------------------------------------------ magnitudes

def test_1e300_in_history_and_price_are_errors_at_their_cells(demo_copy):
    edit(demo_copy, {"DemandHistory": {"E4": 1e300}, "Items": {"F5": 1e300}})
    issues = validate(demo_copy)
    for sheet, cell in (("DemandHistory", "E4"), ("Items", "F5")):
        found = issues_at(issues, sheet, cell)
        assert [(i.severity, i.code) for i in found] == [(Severity.ERROR, IssueCode.OUT_OF_RANGE)], found
        assert "plausible" in found[0].message


def test_forecast_and_plan_refuse_1e300_before_computing(demo_copy, capsys):
    edit(demo_copy, {"DemandHistory": {"E4": 1e300}, "Items": {"F5": 1e300}})
    assert main(["forecast", str(demo_copy)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "DemandHistory!E4" in err and "Items!F5" in err
    assert main(["plan", str(demo_copy)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "Items!F5" in err and "HiGHS" not in err


# ------------------------------------------------------------------ periods in the wrong century

def test_wrong_century_history_header_is_one_error_at_its_cell(demo_copy):
    edit(demo_copy, {"DemandHistory": {"AK3": "1926-12"}})
    issues = validate(demo_copy)
    about = [i for i in issues if i.sheet == "DemandHistory" and i.code in (IssueCode.OUT_OF_RANGE,
                                                                           IssueCode.PERIOD_GAP)]
    assert [(i.severity, i.cell) for i in about] == [(Severity.ERROR, "AK3")], about
    assert "1926-12" in about[0].message


def test_first_forecast_period_in_the_next_century_is_refused(demo_copy):
    cell = settings_cell(FileWorkbook(demo_copy), "first_forecast_period")
    edit(demo_copy, {"Settings": {cell: "2127-01"}})
    found = issues_at(validate(demo_copy), "Settings", cell)
    assert [i.severity for i in found] == [Severity.ERROR] and "2127-01" in found[0].message
    assert main(["validate", str(demo_copy)]) == EXIT_INPUT


def test_budget_period_in_the_wrong_century_is_an_error_at_its_cell(demo_copy):
    edit(demo_copy, {"Budget": {"B4": "1927-01"}})
    found = issues_at(validate(demo_copy), "Budget", "B4")
    assert [i.severity for i in found] == [Severity.ERROR] and "1927-01" in found[0].message


# ------------------------------------------------------------------ capacity, settings, text

def test_zero_capacity_is_a_warning_at_the_capacity_cell(demo_copy):
    edit(demo_copy, {"Resources": {"D4": 0}})  # Cutting
    found = issues_at(validate(demo_copy), "Resources", "D4")
    assert [i.severity for i in found] == [Severity.WARNING] and "Cutting" in found[0].message


def test_unknown_solver_is_an_error_at_its_settings_cell_in_validate_and_plan(demo_copy, capsys):
    cell = settings_cell(FileWorkbook(demo_copy), "solver")
    edit(demo_copy, {"Settings": {cell: "gurobbi"}})
    found = issues_at(validate(demo_copy), "Settings", cell)
    assert [i.code for i in found] == [IssueCode.NOT_ALLOWED]
    assert main(["plan", str(demo_copy)]) == EXIT_INPUT
    assert f"Settings!{cell}" in capsys.readouterr().err


def test_known_but_uninstalled_solver_is_reported_by_validate(demo_copy):
    cell = settings_cell(FileWorkbook(demo_copy), "solver")
    edit(demo_copy, {"Settings": {cell: "CPLEX_CMD"}})
    found = issues_at(validate(demo_copy), "Settings", cell)
    assert [i.severity for i in found] == [Severity.ERROR] and "not installed" in found[0].message


@pytest.mark.parametrize("typed, ok", [(0.95, True), ("95%", True), (95, True), (1.5, False)])
def test_service_level_as_fraction_or_percent_and_1_5_refused_clearly(demo_copy, typed, ok):
    cell = settings_cell(FileWorkbook(demo_copy), "service_level")
    edit(demo_copy, {"Settings": {cell: typed}})
    found = issues_at(validate(demo_copy), "Settings", cell)
    if ok:
        assert found == []
    else:
        assert len(found) == 1 and "150%" in found[0].message and "0.015" not in found[0].message


def test_text_longer_than_an_excel_cell_is_refused_not_cut(demo_copy):
    # openpyxl cuts text to 32,767 characters when it saves, so the long cell is handed over as an
    # adapter would hand it (the Excel adapter, or a file another program wrote)
    from sop_xl.io.memory import MemoryWorkbook
    file = FileWorkbook(demo_copy)
    book = MemoryWorkbook.from_grids({n: file.read_grid(n) for n in file.sheet_names()})
    book.grids["Items"][3][0] = "X" * 50_000
    book.grids["Items"][4][1] = "D" * 32_767
    found = issues_at(run_validate(book).issues, "Items", "A4")
    assert [i.severity for i in found] == [Severity.ERROR] and "32,767" in found[0].message
    assert len(str(found[0].value)) < 200 and len(found[0].message) < 300
    assert issues_at(run_validate(book).issues, "Items", "A5") == []  # a text of exactly 32,767 fits


# ------------------------------------------------------------------ Budget and Scenarios

def test_bad_budget_and_scenario_cells_are_found_by_validate(demo_copy):
    edit(demo_copy, {"Budget": {"C4": "lots"}, "Scenarios": {"F4": "much more"}})
    issues = validate(demo_copy)
    assert [i.severity for i in issues_at(issues, "Budget", "C4")] == [Severity.ERROR]
    assert [i.severity for i in issues_at(issues, "Scenarios", "F4")] == [Severity.ERROR]


def test_a_1e300_scenario_multiplier_is_an_error(demo_copy):
    edit(demo_copy, {"Scenarios": {"F4": 1e300}})
    found = issues_at(validate(demo_copy), "Scenarios", "F4")
    assert [i.severity for i in found] == [Severity.ERROR]


# ------------------------------------------------------------------ missing sheets

@pytest.mark.parametrize("sheet", ["Items", "DemandHistory", "Resources", "Routing", "Settings"])
def test_a_renamed_sheet_gives_one_message(demo_copy, sheet):
    wb = openpyxl.load_workbook(demo_copy)
    wb[sheet].title = f"{sheet} (old)"
    wb.save(demo_copy)
    issues = [i for i in validate(demo_copy) if i.severity is not Severity.INFO]
    assert len(issues) == 1, [str(i) for i in issues]
    assert issues[0].code is IssueCode.MISSING_SHEET and f"{sheet} (old)" in issues[0].hint


def test_plan_only_workbook_without_history_passes_validate(demo_copy):
    wb = openpyxl.load_workbook(demo_copy)
    del wb["DemandHistory"]
    skus = [wb["Items"].cell(r, 1).value for r in range(4, wb["Items"].max_row + 1)]
    ws = wb.create_sheet("Demand")
    ws.append(["SKU", "2027-01", "2027-02", "2027-03"])
    for sku in skus:
        if sku:
            ws.append([sku, 100, 110, 120])
    wb.save(demo_copy)
    result = run_validate(FileWorkbook(demo_copy))
    assert errors(result.issues) == [], [str(i) for i in errors(result.issues)]
    assert "plan-only" in result.summary[0]
    assert main(["validate", str(demo_copy)]) == EXIT_OK


def test_a_workbook_without_history_or_demand_is_one_error(demo_copy):
    wb = openpyxl.load_workbook(demo_copy)
    del wb["DemandHistory"]
    wb.save(demo_copy)
    found = [i for i in validate(demo_copy) if i.severity is Severity.ERROR]
    assert [i.code for i in found] == [IssueCode.MISSING_SHEET]


# ------------------------------------------------------------------ issue 10.7: long history, blank quantity

def test_blank_long_format_quantity_is_missing_not_an_error(demo_copy):
    wb = openpyxl.load_workbook(demo_copy)
    del wb["DemandHistory"]
    ws = wb.create_sheet("DemandHistory")
    ws.append(["SKU", "Period", "Quantity"])
    skus = [wb["Items"].cell(r, 1).value for r in range(4, wb["Items"].max_row + 1)]
    for sku in filter(None, skus):
        for month in range(1, 13):
            ws.append([sku, f"2026-{month:02d}", None if month == 5 else 10 * month])
    wb.save(demo_copy)
    result = run_validate(FileWorkbook(demo_copy))
    assert errors(result.issues) == [], [str(i) for i in errors(result.issues)]
    from sop_xl.io.tables import read_history, read_settings
    from sop_xl.issues import IssueLog
    book = FileWorkbook(demo_copy)
    history = read_history(book, read_settings(book, IssueLog()), IssueLog())
    may = history[history["ds"] == "2026-05-01"]
    assert len(may) == len(list(filter(None, skus))) and may["y"].isna().all()
