"""Reading is tolerant of what Excel users do, and strict where it matters: every rejected
value is reported with its sheet and cell."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sop_xl.contract import DEMAND_HISTORY, ITEMS, RESOURCES, ROUTING
from sop_xl.io import FileWorkbook, MemoryWorkbook, read_history, read_settings, read_table
from sop_xl.io.settings import defaults
from sop_xl.issues import IssueCode, IssueLog, Severity

from .helpers import write_raw


def errors(log: IssueLog):
    return [i for i in log if i.severity is Severity.ERROR]


def one_error(log: IssueLog, code: IssueCode):
    found = [i for i in errors(log) if i.code == code]
    assert len(found) == 1, [str(i) for i in log]
    return found[0]


# ---------------------------------------------------------------- tolerance

def test_messy_but_valid_items_sheet_reads_cleanly(tmp_path):
    path = write_raw(tmp_path / "messy.xlsx", {"Items": [
        ["Product master — exported 2026-11-02"],            # merged title row
        [],
        ["  sku ", "DESCRIPTION", "Product Family", "Price (EUR)", "unit_cost", "My notes"],
        ["A-1", "Tent", "Tents", "1,234.50", 600, "keep"],   # thousands separator, text number
        [None, None, None, None, None, None],                 # blank row
        [1001, "Bag", "Bags", "€ 99,90", "45", None],         # SKU typed as number, decimal comma
        ["C-3", "Kit", "Tents", 12, "1.234,5", "x"],
    ]}, merge={"Items": "A1:F1"})
    log = IssueLog()
    items = read_table(FileWorkbook(path), ITEMS, log)
    assert not errors(log), [str(i) for i in log]
    assert list(items["sku"]) == ["A-1", "1001", "C-3"]
    assert items["price"].tolist() == [1234.5, 99.9, 12.0]
    assert items["unit_cost"].tolist() == [600.0, 45.0, 1234.5]
    assert list(items.index) == [4, 6, 7]                     # Excel row numbers
    assert items["uom"].tolist() == ["EA"] * 3                # defaults filled
    # the extra column is reported, not silently dropped
    assert any(i.code == IssueCode.IGNORED_COLUMN and i.cell == "F3" for i in log)


def test_history_wide_with_date_headers_serials_and_text(tmp_path):
    path = write_raw(tmp_path / "hist.xlsx", {"DemandHistory": [
        ["Item", dt.datetime(2025, 1, 1), "Feb-25", 45717, "2025-04", "May 2025"],
        ["A", 10, "20", None, "1 000", 5],
        ["B", 0, 0, 3, 4, 5],
    ]})
    log = IssueLog()
    history = read_history(FileWorkbook(path), defaults(), log)
    assert not errors(log), [str(i) for i in log]
    a = history[history["unique_id"] == "A"].set_index("ds")["y"]
    assert a.index.tolist() == list(pd.date_range("2025-01-01", periods=5, freq="MS"))
    assert a.iloc[0] == 10 and a.iloc[1] == 20 and pd.isna(a.iloc[2]) and a.iloc[3] == 1000
    assert history.loc[(history.unique_id == "A") & (history.ds == "2025-04-01"), "cell"].item() == "E2"


def test_history_long_layout_is_accepted():
    book = MemoryWorkbook.from_grids({"DemandHistory": [
        ["SKU", "Period", "Qty"], ["A", "2025-01", 3], ["A", "2025-02", 4], ["B", "2025-01", 1]]})
    log = IssueLog()
    history = read_history(book, defaults(), log)
    assert not errors(log)
    assert history[["unique_id", "y"]].values.tolist() == [["A", 3.0], ["A", 4.0], ["B", 1.0]]


def test_weekly_history():
    book = MemoryWorkbook.from_grids({"DemandHistory": [["SKU", "2025-W01", "2025-W02", "2025-W03"],
                                                        ["A", 1, 2, 3]]})
    log = IssueLog()
    history = read_history(book, defaults().replace(period_type="week"), log)
    assert not errors(log)
    assert history["ds"].tolist() == [pd.Timestamp("2024-12-30"), pd.Timestamp("2025-01-06"),
                                      pd.Timestamp("2025-01-13")]


# ---------------------------------------------------------------- one test per kind of bad input

ITEMS_OK = ["SKU", "Family", "Price", "Status", "Lead time"]


def items_book(*rows):
    return MemoryWorkbook.from_grids({"Items": [["Items"], [], ITEMS_OK, *rows]})


def test_missing_sheet_names_the_sheet():
    log = IssueLog()
    read_table(MemoryWorkbook.from_grids({"Other": [[1]]}), ITEMS, log)
    issue = one_error(log, IssueCode.MISSING_SHEET)
    assert issue.sheet == "Items" and "Add a sheet named Items" in issue.hint


def test_missing_required_column():
    log = IssueLog()
    read_table(MemoryWorkbook.from_grids({"Items": [["SKU", "Price"], ["A", 1]]}), ITEMS, log)
    issue = one_error(log, IssueCode.MISSING_COLUMN)
    assert issue.column == "Family" and issue.cell == "A1"


def test_missing_required_value():
    log = IssueLog()
    read_table(items_book(["A", None, 1, "active", 1]), ITEMS, log)
    issue = one_error(log, IssueCode.MISSING_VALUE)
    assert (issue.sheet, issue.cell, issue.column) == ("Items", "B4", "Family")


def test_text_that_is_not_a_number():
    log = IssueLog()
    read_table(items_book(["A", "F", "twelve", "active", 1]), ITEMS, log)
    issue = one_error(log, IssueCode.NOT_A_NUMBER)
    assert issue.cell == "C4" and "'twelve' is not a number" in issue.message and issue.hint


def test_value_not_in_allowed_list():
    log = IssueLog()
    read_table(items_book(["A", "F", 1, "retired", 1]), ITEMS, log)
    issue = one_error(log, IssueCode.NOT_ALLOWED)
    assert issue.cell == "D4" and "active, new, discontinued" in issue.hint


def test_negative_where_minimum_is_zero():
    log = IssueLog()
    read_table(items_book(["A", "F", -5, "active", 1]), ITEMS, log)
    issue = one_error(log, IssueCode.OUT_OF_RANGE)
    assert issue.cell == "C4" and "below the minimum 0" in issue.message


def test_fraction_where_integer_needed():
    log = IssueLog()
    read_table(items_book(["A", "F", 1, "active", 1.5]), ITEMS, log)
    assert one_error(log, IssueCode.NOT_AN_INTEGER).cell == "E4"


def test_excel_error_value():
    log = IssueLog()
    read_table(items_book(["A", "F", "#N/A", "active", 1]), ITEMS, log)
    issue = one_error(log, IssueCode.FORMULA_ERROR)
    assert issue.cell == "C4" and "#N/A" in issue.message


def test_duplicate_key_names_both_rows():
    log = IssueLog()
    read_table(items_book(["A", "F", 1, "active", 1], ["B", "F", 1, "active", 1], ["A", "G", 2, "new", 0]),
               ITEMS, log)
    issue = one_error(log, IssueCode.DUPLICATE_KEY)
    assert issue.cell == "A6" and "rows 4 and 6" in issue.message


def test_not_yes_no_setting():
    log = IssueLog()
    read_settings(MemoryWorkbook.from_grids({"Settings": [["Setting", "Value"], ["Allow backlog", "maybe"]]}), log)
    issue = one_error(log, IssueCode.NOT_YES_NO)
    assert (issue.sheet, issue.cell) == ("Settings", "B2")


def test_unknown_setting_is_a_warning_with_its_cell():
    log = IssueLog()
    s = read_settings(MemoryWorkbook.from_grids({"Settings": [["Setting", "Value"], ["Horizont", 12],
                                                             ["horizon", "24"], ["Service level", 97]]}), log)
    assert not errors(log)
    warn = [i for i in log if i.code == IssueCode.UNKNOWN_SETTING]
    assert len(warn) == 1 and warn[0].cell == "B2"
    assert s.horizon == 24 and s.service_level == pytest.approx(0.97)
    assert s.cell("horizon") == "B3"


def test_setting_out_of_range():
    log = IssueLog()
    read_settings(MemoryWorkbook.from_grids({"Settings": [["Setting", "Value"], ["Horizon", 500]]}), log)
    assert one_error(log, IssueCode.OUT_OF_RANGE).cell == "B2"


def test_bad_history_cell_and_duplicate_period_column():
    book = MemoryWorkbook.from_grids({"DemandHistory": [
        ["SKU", "2025-01", "2025-02", "Feb-25", "2025-05"],
        ["A", 1, "n/a", 3, 4]]})
    log = IssueLog()
    history = read_history(book, defaults(), log)
    codes = {(i.code, i.cell) for i in errors(log)}
    assert (IssueCode.NOT_A_NUMBER, "C2") in codes
    assert (IssueCode.DUPLICATE_KEY, "D1") in codes
    gap = [i for i in log if i.code == IssueCode.PERIOD_GAP]
    assert gap and gap[0].cell == "E1"
    assert len(history) == 3  # the unreadable cell is missing, never zero


def test_history_row_without_sku():
    book = MemoryWorkbook.from_grids({"DemandHistory": [["SKU", "2025-01"], [None, 5]]})
    log = IssueLog()
    read_history(book, defaults(), log)
    assert one_error(log, IssueCode.MISSING_VALUE).cell == "A2"


def test_no_header_found():
    log = IssueLog()
    read_table(MemoryWorkbook.from_grids({"Resources": [["hello", "world"], [1, 2]]}), RESOURCES, log)
    issue = one_error(log, IssueCode.MISSING_TABLE)
    assert issue.sheet == "Resources" and "Resource" in issue.hint


def test_every_problem_is_reported_at_once():
    log = IssueLog()
    read_table(items_book(["A", None, "x", "bad", 0.5], ["A", "F", -1, "new", 1]), ITEMS, log)
    cells = sorted(i.cell for i in errors(log))
    assert cells == ["A5", "B4", "C4", "C5", "D4", "E4"]


def test_unknown_routing_resource_is_reported_by_validate():
    from sop_xl.commands.validate import run_validate
    book = MemoryWorkbook.from_grids({
        "Items": [["SKU", "Family"], ["A", "F"]],
        "DemandHistory": [["SKU", "2025-01"], ["A", 1], ["Z", 2]],
        "Resources": [["Resource", "Regular capacity"], ["Line1", 100]],
        "Routing": [["SKU or family", "Resource", "Hours per unit"], ["A", "Line 1", 0.5], ["Q", "Line1", 1]],
    })
    result = run_validate(book)
    found = {(i.sheet, i.cell, i.code) for i in result.issues if i.severity is Severity.ERROR}
    assert ("Routing", "B2", IssueCode.UNKNOWN_KEY) in found
    assert ("Routing", "A3", IssueCode.UNKNOWN_KEY) in found
    assert ("DemandHistory", "A3", IssueCode.UNKNOWN_KEY) in found
    assert result.status == "failed"


def test_percent_points_only_where_the_fraction_would_be_out_of_range():
    from sop_xl.contract import Column, Kind, Owner, Role, Sheet
    util = Sheet("Util", "tblUtil", Role.OUTPUT, Owner.SOP_XL, "u",
                 columns=(Column("utilisation", Kind.PERCENT), Column("rate", Kind.PERCENT, maximum=5)))
    book = MemoryWorkbook.from_grids({"Util": [["Utilisation", "Rate"], [1.2, 25], [0.8, "30%"]]})
    log = IssueLog()
    frame = read_table(book, util, log)
    assert frame["utilisation"].tolist() == [1.2, 0.8]       # 120% stays 120%
    assert frame["rate"].tolist() == [0.25, 0.30]             # 25 typed for 25% (max 500%)


# ---------------------------------------------------------------- the column-at-a-time fast path

def _both_paths(monkeypatch, sheet, grid):
    """(frame, issues) from parse_table as it runs, and with the fast path switched off."""
    from sop_xl.io import tables
    fast_log, slow_log = IssueLog(), IssueLog()
    fast = tables.parse_table(sheet, [list(r) for r in grid], fast_log)
    with monkeypatch.context() as m:
        m.setattr(tables, "_fast_columns", lambda *a, **k: None)
        slow = tables.parse_table(sheet, [list(r) for r in grid], slow_log)
    return (fast, [str(i) for i in fast_log]), (slow, [str(i) for i in slow_log])


ITEM_HEADER = ["SKU", "Family", "Status", "Price", "Unit cost", "Lead time", "Holding cost rate", "Max lot",
               "Safety stock rule"]


def test_clean_table_reads_the_same_column_at_a_time(monkeypatch):
    """Defaults for blanks, integers, percent, choices written loosely, numbers typed as text, a blank row,
    a numeric SKU and an extra column: the fast path gives the frame the cell-by-cell loop gives."""
    grid = [ITEM_HEADER + ["Notes"],
            ["A-1", "Tents", "Active", 10, 6.5, 2, 0.2, None, "service level", "x"],
            [None] * 10,
            [1001.0, "Bags", None, "1,234.5", 3, 0.0, None, 50, None, None],
            ["C-3", " Kits ", "new", 7.25, 0, 52, 0.3, 1e6, "none", None]]
    from sop_xl.io.tables import _fast_columns, find_header
    assert _fast_columns(ITEMS, ITEMS.columns, find_header(grid, ITEMS.columns), grid, "month") is not None
    (fast, fast_issues), (slow, slow_issues) = _both_paths(monkeypatch, ITEMS, grid)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.attrs == slow.attrs and fast_issues == slow_issues
    assert list(fast.index) == [2, 4, 5]
    assert fast["lead_time"].dtype == "Int64" and fast["price"].tolist() == [10.0, 1234.5, 7.25]


@pytest.mark.parametrize("row", [
    ["A-1", "Tents", "active", -1, 1, 0, 0.2, None, None],        # below the minimum
    ["A-1", "Tents", "active", 1, 1, 1.5, 0.2, None, None],       # not a whole number
    ["A-1", "Tents", "sold", 1, 1, 0, 0.2, None, None],           # not an allowed status
    ["A-1", None, "active", 1, 1, 0, 0.2, None, None],            # a required cell blank
    ["#N/A", "Tents", "active", 1, 1, 0, 0.2, None, None],        # an Excel error
    ["A-1", "Tents", "active", float("nan"), 1, 0, 0.2, None, None],
    ["A-1", "Tents", "active", 10 ** 400, 1, 0, 0.2, None, None],  # beyond any float
    ["A-1", "Tents", "active", 1, 1, 0, 95, None, None],           # percent points, read with a note
])
def test_a_cell_that_needs_an_issue_is_reported_as_before(monkeypatch, row):
    grid = [ITEM_HEADER, ["B-2", "Bags", "active", 5, 2, 1, 0.25, None, None], row]
    (fast, fast_issues), (slow, slow_issues) = _both_paths(monkeypatch, ITEMS, grid)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast_issues == slow_issues


@pytest.mark.parametrize("odd", [None, ("B5", "12"), ("A5", 1001.0), ("A6", "SKU-1"), ("C5", True), ("A7", None)])
def test_wide_sheet_in_one_go_reads_as_row_by_row(monkeypatch, odd):
    """A clean history is converted in one go; anything odd (text in a period cell, a numeric or
    duplicate SKU, a yes/no, a blank key) is read row by row: the frame and the issues are the same."""
    from sop_xl.io import tables
    grid = [["DemandHistory"], [], ["SKU", "2026-01", "2026-02", "2026-03"],
            [" SKU-1 ", 10.0, None, 3], ["SKU-2", 0.0, 5.5, 7], ["SKU-3", 1.0, 2.0, 3.0], ["SKU-4", 4.0, None, 1.0]]
    if odd is not None:
        (col, row), value = (ord(odd[0][0]) - 65, int(odd[0][1:]) - 1), odd[1]
        grid[row][col] = value
    if odd is None:
        header = tables.find_header(grid, DEMAND_HISTORY.columns, period_type="month")
        assert tables._whole_block(DEMAND_HISTORY, grid, header, (DEMAND_HISTORY.columns[0], 0), 1, 4, None, 1e10)
    runs = []
    for whole in (True, False):
        with monkeypatch.context() as m:
            if not whole:
                m.setattr(tables, "_whole_block", lambda *a, **k: None)
            log = IssueLog()
            frame = read_history(MemoryWorkbook.from_grids({"DemandHistory": grid}), defaults(), log)
            runs.append((frame, [str(i) for i in log]))
    pd.testing.assert_frame_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
