"""Large tables take the fast row writer; the result must be the same workbook a slow
write gives: same values, styles, the user's cells beside the table, valid for openpyxl,
calamine and LibreOffice."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from sop_xl.contract import ISSUES, ITEMS
from sop_xl.io import FileWorkbook, read_table
from sop_xl.io import fast_rows
from sop_xl.issues import IssueLog


@pytest.fixture
def tiny_threshold(monkeypatch):
    monkeypatch.setattr(fast_rows, "FAST_CELLS", 10)
    monkeypatch.setattr(fast_rows, "ROWS_PER_PIECE", 3)   # the rows made into XML a few at a time


def test_fast_path_gives_the_same_cells_as_the_slow_path(demo_copy, tmp_path, tiny_threshold):
    wb = openpyxl.load_workbook(demo_copy)
    wb["Items"]["Z7"] = "user note in a table row"
    wb["Items"]["Z100"] = "user note below"
    wb.save(demo_copy)
    items = read_table(FileWorkbook(demo_copy), ITEMS, IssueLog())
    items.loc[items.index[3], "description"] = "=not a formula & <xml> \"quoted\""
    book = FileWorkbook(demo_copy)
    book.write_table(ITEMS, items)
    issues = pd.DataFrame([{c: f"{c} {i}" for c in ISSUES.column_names()} for i in range(5)])
    issues.loc[2, "message"] = "tab\tand control \x01 char"
    book.write_table(ISSUES, issues)
    book.save()

    wb = openpyxl.load_workbook(demo_copy)          # openpyxl can read it back
    ws = wb["Items"]
    assert ws["Z7"].value == "user note in a table row" and ws["Z100"].value == "user note below"
    assert ws["F10"].number_format == "#,##0.00" and ws["H40"].number_format == "0.0%"
    assert ws["B7"].value == "=not a formula & <xml> \"quoted\"" and ws["B7"].data_type == "s"
    back = read_table(FileWorkbook(demo_copy), ITEMS, IssueLog())
    pd.testing.assert_frame_equal(back.reset_index(drop=True), items.reset_index(drop=True), check_dtype=False)
    assert wb["Issues"]["H6"].value == "tab\tand control  char"
    assert wb["Items"].tables["tblItems"].ref == "A3:T43"


@pytest.mark.libreoffice
def test_libreoffice_reads_a_fast_written_table(demo_copy, tiny_threshold, libreoffice_convert, tmp_path):
    book = FileWorkbook(demo_copy)
    items = read_table(book, ITEMS, IssueLog())
    book.write_table(ITEMS, items)
    book.save()
    resaved = libreoffice_convert(demo_copy, "xlsx", tmp_path / "lo")
    back = read_table(FileWorkbook(resaved), ITEMS, IssueLog())
    assert back["sku"].tolist() == items["sku"].tolist()
    assert back["price"].tolist() == items["price"].tolist()


def test_rows_by_template_write_what_the_cell_by_cell_path_writes():
    # column E has a text with a trailing blank: only that column's cells say xml:space="preserve"
    rows = [["a&<b\x01", 1.5, None, 3, "x"], ["c", 2.0, None, 4, "x "], ["a&<b\x01", 1e-9, None, -1, "x"]]
    letters, styles, numbers = ["A", "B", "C", "D", "E"], [' s="1"', "", ' s="2"', "", ""], range(5, 8)
    by_column = [fast_rows._column_xml(letters[c], styles[c], numbers, col) for c, col in enumerate(zip(*rows))]
    expected = "".join(fast_rows._row_xml(r, {}, [x for x in cells if x is not None], 5)
                       for r, cells in zip(numbers, zip(*by_column)))
    columns = [list(c) for c in zip(*rows)]
    assert fast_rows._rows_by_template(letters, styles, numbers, columns) == expected
    assert expected.count('xml:space="preserve"') == 3 and '<c r="A5" s="1" t="inlineStr"><is><t>a&amp;' in expected
    # a column mixing blanks and values, or dates, is left to the cell-by-cell path
    assert fast_rows._rows_by_template(letters, styles, range(5, 7), [["a", "b"], [None, 1.0]]) is None
    assert fast_rows._rows_by_template(letters, styles, range(5, 6), [[dt.date(2027, 1, 1)]]) is None


def test_tables_above_along_cells_join_a_splice_that_happens_anyway():
    from sop_xl.contract import SETTINGS
    from sop_xl.io.layout import TableBlock

    def block(sheet, n_rows, n_cols=10):
        return TableBlock(sheet=sheet, title="", subtitle="", header=[f"h{c}" for c in range(n_cols)],
                          columns=[[1.0] * n_rows for _ in range(n_cols)], formats=[""] * n_cols, widths=[10.0] * n_cols)

    big, mid, small = (block(ITEMS, n) for n in (fast_rows.FAST_CELLS // 10 + 1, fast_rows.ALONG_CELLS // 10 + 1,
                                                  fast_rows.ALONG_CELLS // 10))
    settings = block(SETTINGS, fast_rows.ALONG_CELLS // 10 + 1)
    if not fast_rows.fast_paths_allowed():
        pytest.skip("openpyxl version without the fast paths")
    assert fast_rows.spliced([big, mid, small, settings]) == [True, True, False, False]
    assert fast_rows.spliced([mid, small]) == [False, False]   # no big table: openpyxl writes them all


def test_an_edit_failing_midway_raises_and_leaves_the_package(demo_copy):
    before = demo_copy.read_bytes()

    def edit(xml):
        yield xml[:100]
        yield xml[100:200]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fast_rows.rewrite_package(demo_copy, {"Items": edit})
    assert demo_copy.read_bytes() == before
