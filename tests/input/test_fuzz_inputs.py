"""Issue 13.5 (input tables): random values of every kind typed into every input table of the demo
workbook. Whatever is typed: no traceback, never exit 70, every problem names its cell, and every
cell the forecast's reader refuses was refused by validate first.

Bounded so the suite stays fast: a few dozen in-memory examples (the shared reader, every kind of
value) and a dozen through real files and the CLI (error cells and uncalculated formulas exist only
in files)."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pytest
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from hypothesis import HealthCheck, given, settings, strategies as st

from sop_xl.cli import EXIT_INPUT, EXIT_OK, main
from sop_xl.commands.forecast import read_demand_inputs
from sop_xl.commands.validate import run_validate
from sop_xl.io.file import FileWorkbook
from sop_xl.io.memory import MemoryWorkbook
from sop_xl.issues import InputError, IssueCode, IssueLog, Severity
from sop_xl.values import EXCEL_ERRORS

INPUT_SHEETS = ("Settings", "Items", "DemandHistory", "Resources", "Routing", "CapacityCalendar", "Workforce",
                "Inventory", "Budget", "Scenarios")
# a problem about a whole sheet that is not there has no cell to name
SHEET_LEVEL = {IssueCode.MISSING_SHEET}

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, -0.0, 1e300, -1e300, 1e-300, 5e-324, 1e15, 2**63, 1.5, 95, 0.95]),
    st.integers(min_value=-(10**20), max_value=10**20),
)
texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "1,234.5", "1.234,5", "(12)", "€ 9.99", "12%", "yes", "no", "labour", "machine",
                     "demand", "price", "1926-01", "2127-01", "2027-13", "2027-W60", "Cutting", "Sewing", "TN-100",
                     "x" * 40_000, "=1/0", "'=SUM(A1)"]),
)
formulas = st.sampled_from(["=1/0", '=WEBSERVICE("https://example.invalid")', "=A1", "=SUM(B4:B9)*1E+300",
                            "=NA()", '=INDIRECT("nowhere")'])
errors = st.sampled_from(EXCEL_ERRORS[:7])
dates = st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2200, 1, 1))
values = st.one_of(numbers, texts, errors, dates, st.booleans(), st.none())
file_values = st.one_of(values, formulas)


def _edits(value_strategy):
    return st.lists(st.tuples(st.sampled_from(INPUT_SHEETS), st.integers(3, 14), st.integers(1, 12), value_strategy),
                    min_size=1, max_size=6)


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    """The demo company with 3 SKUs per family: every input table, a fraction of the reading time."""
    from sop_xl.commands.demo import write_demo_inputs
    from sop_xl.demo import make_demo
    path = tmp_path_factory.mktemp("small") / "small_demo.xlsx"
    book = FileWorkbook(path, create=True, backup=False)
    write_demo_inputs(book, make_demo(7, n_per_family=(3, 3, 3)))
    book.save()
    assert not [i for i in run_validate(FileWorkbook(path)).issues if i.severity is Severity.ERROR]
    return path


@pytest.fixture(scope="module")
def demo_grids(small_demo):
    book = FileWorkbook(small_demo)
    return {name: book.read_grid(name) for name in book.sheet_names()}


def _check_issues(issues, what) -> None:
    for issue in issues:
        if issue.severity is Severity.INFO:
            continue
        assert issue.sheet, f"{what}: no sheet in {issue}"
        assert issue.cell or issue.code in SHEET_LEVEL, f"{what}: no cell in {issue}"


def _stage_errors(book) -> set[tuple[str, str]]:
    log = IssueLog()
    try:
        read_demand_inputs(book, log, purpose="to forecast from")
    except InputError:
        pass
    return {(i.sheet, i.cell) for i in log if i.severity is Severity.ERROR and i.cell}


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(edits=_edits(values))
def test_any_value_in_any_input_cell_is_reported_at_its_cell(demo_grids, edits):
    book = MemoryWorkbook.from_grids(demo_grids)
    for sheet, row, col, value in edits:
        grid = book.grids[sheet]
        while len(grid) < row:
            grid.append([])
        line = grid[row - 1]
        line.extend([None] * max(0, col - len(line)))
        line[col - 1] = value
    result = run_validate(book)  # a traceback fails the test
    _check_issues(result.issues, f"edits {edits!r}"[:400])
    refused = {(i.sheet, i.cell) for i in result.issues if i.severity is Severity.ERROR}
    missed = _stage_errors(book) - refused
    assert not missed, f"the forecast refuses {sorted(missed)} that validate passed; edits {edits!r}"[:600]


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(edits=_edits(file_values))
def test_any_value_in_a_real_file_never_ends_in_an_internal_error(small_demo, tmp_path_factory, edits):
    path = tmp_path_factory.mktemp("fuzz") / "book.xlsx"
    shutil.copy(small_demo, path)
    wb = openpyxl.load_workbook(path)
    for sheet, row, col, value in edits:
        if isinstance(value, str):
            # openpyxl's own limits (length, control characters); longer text is tested in memory
            value = ILLEGAL_CHARACTERS_RE.sub("", value[:32_767])
            if value.startswith("#") and value not in EXCEL_ERRORS:
                value = "'" + value
        wb[sheet].cell(row, col).value = value
    wb.save(path)
    code = main(["validate", str(path)])
    assert code in (EXIT_OK, EXIT_INPUT), f"exit {code} for edits {edits!r}"[:600]
    result = run_validate(FileWorkbook(path))
    _check_issues(result.issues, f"edits {edits!r}"[:400])
    assert (code == EXIT_INPUT) == any(i.severity is Severity.ERROR for i in result.issues)
