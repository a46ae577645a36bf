"""A fuzzer over returns: random cells of every kind typed into a department's input table never
give a traceback, every offered value is merged or rejected, and every rejection names its cell."""

from __future__ import annotations

import datetime as dt
import math
import shutil

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sop_xl.commands.consensus import run_merge
from sop_xl.io.file import FileWorkbook

ERRORS = ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]

anything = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e300, -1e300, 1e-300, 5e-324, 1e12, -1e12, 2**63, 0.15]),
    st.integers(min_value=-10**15, max_value=10**15),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),  # what a cell can hold
    st.sampled_from(["15%", "1,000", "yes", "=SUM(A1:A3)", "=cmd|'/c calc'!A0", "=[1]Sheet1!A1", "  ", "BP-100",
                     "2027-01", "Backpacks", "Tents"]),
    st.sampled_from(ERRORS).map(lambda e: ("error", e)),
    st.sampled_from(["=1/0", "=10*100", "=NOW()", "=WEBSERVICE(\"http://x\")"]).map(lambda f: ("formula", f)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2200, 1, 1)),
    st.none(),
)
items = st.one_of(st.sampled_from(["BP-100", "BP-110", "Backpacks", "Tents", "bp-120", "NOPE", ""]), anything)
period_cells = st.one_of(st.sampled_from(["2027-01", "2027-02", "2027-12", "2099-01", "Jan 2027"]), anything)
rows = st.lists(st.tuples(items, period_cells, anything, anything, anything), min_size=1, max_size=6)
departments = st.sampled_from(["sales", "marketing", "finance", "operations"])


def _put(ws, row: int, col: int, value) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, tuple) and value[0] == "error":
        cell.value = value[1]
        cell.data_type = "e"
    elif isinstance(value, tuple) and value[0] == "formula":
        cell.value = value[1]  # openpyxl writes the formula without a calculated value
    elif isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        cell.value = str(value)
    elif isinstance(value, str) and value.startswith("=") and value != "=SUM(A1:A3)":
        cell.value = value  # a formula typed as such
    else:
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(departments, rows)
def test_random_returns_never_break_the_merge(sent_path, tmp_path_factory, dept, typed):
    master, copies = sent_path
    folder = tmp_path_factory.mktemp("fuzz")
    ret = shutil.copy(copies[dept], folder / copies[dept].name.replace("-review-", "-return-"))
    wb = openpyxl.load_workbook(ret)
    ws = wb[next(n for n in wb.sheetnames if n.lower() == f"{dept}input")]
    for r, cells in enumerate(typed, start=4):
        for c, value in enumerate(cells, start=1):
            _put(ws, r, c, value)
    wb.save(ret)
    result = run_merge(FileWorkbook(master), returns=[ret])  # no save: every example starts from the same master
    merge = result.data["result"]
    assert len(merge.merged) + len(merge.reasons) == merge.offered == len(result.data["offers"])
    assert len(merge.audit) + len(merge.rejected) == merge.offered
    assert (merge.rejected["cell"].str.len() > 0).all(), merge.rejected
    assert merge.rejected["reason"].str.len().gt(0).all()
    assert (merge.consensus["final"] >= 0).all() and merge.consensus["final"].map(math.isfinite).all()
    assert merge.consensus["final"].max() <= 1e9 * 50
    for issue in result.issues:
        assert issue.message and (issue.cell or issue.value), issue
