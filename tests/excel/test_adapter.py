"""The live-workbook adapter: same contract, same cells as the file adapter, whole-block transfers."""

from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd
import pytest

from sop_xl.charts import ChartSpec
from sop_xl.commands.base import CYCLE, available_stages, execute
from sop_xl.commands.demo import write_demo_inputs
from sop_xl.contract import ITEMS, SETTINGS, WORKBOOK
from sop_xl.demo import make_demo
from sop_xl.excel.adapter import XlwingsWorkbook
from sop_xl.io import FileWorkbook, MemoryWorkbook, WorkbookAdapter, read_table
from sop_xl.io.layout import layout_table
from sop_xl.io.settings import settings_frame
from sop_xl.issues import IssueLog, WorkbookAccessError

from .fake_xlwings import FakeBook, Formula



def _volatile(header) -> bool:
    """Wall-clock columns (run time stamps, seconds taken) differ between any two runs."""
    text = str(header or "").lower()
    return text == "time" or text.endswith("seconds")


def _norm(value):
    if isinstance(value, str):
        value = re.sub(r"\d+(\.\d+)? s\b", "<t> s", value)  # durations quoted in summaries
        # the dashboard names the first of several periods at exactly 100 % utilisation; which one
        # comes first flips on 1e-16 differences (openpyxl writes 16 significant digits, Excel 17)
        return re.sub(r"^Peak: (.+) in \d{4}-(W)?\d{2}\.$", r"Peak: \1 in <tied period>.", value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _normalised(book: WorkbookAdapter, sheet_name: str) -> list[list]:
    grid = [[_norm(v) for v in row] for row in book.read_grid(sheet_name)]
    width = max((len(r) for r in grid), default=0)
    grid = [r + [None] * (width - len(r)) for r in grid]
    while grid and all(v is None for v in grid[-1]):
        grid.pop()
    while width and all(r[width - 1] is None for r in grid):
        width -= 1
        grid = [r[:width] for r in grid]
    h = WORKBOOK.sheet(sheet_name).header_row - 1
    if len(grid) > h:
        drop = [j for j, v in enumerate(grid[h]) if _volatile(v)]
        grid = [r if i <= h else [None if j in drop else v for j, v in enumerate(r)] for i, r in enumerate(grid)]
    return grid


def _seasonal_naive_demand(company) -> pd.DataFrame:
    """A Demand sheet (last year's months repeated) so the supply stages run without a forecast."""
    history = company.history_wide()
    last_year = list(history.columns[-12:])
    horizon = int(company.settings["horizon"])
    first = company.settings["first_forecast_period"]
    labels = [(first + pd.DateOffset(months=i)).strftime("%Y-%m") for i in range(horizon)]
    frame = pd.DataFrame({"sku": history["sku"]})
    for i, label in enumerate(labels):
        frame[label] = history[last_year[i % 12]].fillna(0).clip(lower=0)
    return frame


def _run_cycle(book) -> list[str]:
    """Demo inputs, then every available stage pressed one after the other (like the ribbon)."""
    company = make_demo(7)
    write_demo_inputs(book, company)
    if "Demand" in {s.name for s in WORKBOOK}:
        book.write_table(WORKBOOK.sheet("Demand"), _seasonal_naive_demand(company))
    book.save()
    statuses = []
    for stage in [s for s in CYCLE if s in available_stages()]:
        results = execute(book, [stage])
        statuses += [r.status for r in results]
    return statuses


class RecordingXlwings(XlwingsWorkbook):
    """The xlwings adapter, remembering the tables and charts each command staged."""

    def __init__(self, book):
        super().__init__(book)
        self.blocks, self.charts, self.frames = {}, {}, {}

    def write_table(self, sheet, frame, *, charts=(), period_type="month"):
        super().write_table(sheet, frame, charts=charts, period_type=period_type)
        self.blocks[sheet.name] = layout_table(sheet, frame, period_type=period_type)
        self.charts[sheet.name] = list(charts)
        self.frames[sheet.name] = (frame.copy(), period_type)


@pytest.fixture(scope="module")
def two_books(tmp_path_factory):
    path = tmp_path_factory.mktemp("eq") / "cycle.xlsx"
    file_book = FileWorkbook(path, create=True, backup=False)
    fake = FakeBook("cycle.xlsm")
    excel = RecordingXlwings(fake)
    statuses = [_run_cycle(file_book), _run_cycle(excel)]
    return FileWorkbook(path), excel, fake, statuses


def test_every_command_gives_the_same_sheets_through_excel_and_the_file_adapter(two_books):
    file_book, excel_book, fake, statuses = two_books
    assert statuses[0] == statuses[1]
    assert "failed" not in statuses[0]
    assert file_book.sheet_names() == excel_book.sheet_names()  # tabs in the same (contract) order
    for name in file_book.sheet_names():
        expected = _normalised(file_book, name)
        assert expected, name
        assert _same(_normalised(excel_book, name), expected), name


def _same(a: list[list], b: list[list]) -> bool:
    """Equal grids, numbers equal to 1e-6 relative: float noise of sums and of LP solutions
    (an interior-point solve is not bit-identical across inputs equal to the last digit)."""
    if len(a) != len(b):
        return False
    for row_a, row_b in zip(a, b):
        if len(row_a) != len(row_b):
            return False
        for x, y in zip(row_a, row_b):
            if isinstance(x, float) and isinstance(y, float):
                if not math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-6):
                    return False
            elif x != y:
                return False
    return True


def test_excel_tables_names_and_no_accidental_formulas(two_books):
    _, excel, fake, _ = two_books
    memory_names = MemoryWorkbook()
    for sheet in fake.sheets:
        contract = WORKBOOK.sheet(sheet.name)
        assert [t.name for t in sheet.tables] == [contract.table]
        assert sheet.tables[contract.table].range.address.replace("$", "") == excel.blocks[sheet.name].ref
        assert not [v for v in sheet.cells.values() if isinstance(v, Formula)]
    settings = SETTINGS
    memory_names.write_table(settings, read_table(excel, settings, IssueLog()).reset_index(drop=True))
    assert {n.name: n.refers_to.replace("'", "") for n in fake.names} == \
        {k: "=" + v for k, v in memory_names.names.items()}


def test_reads_and_writes_are_one_transfer_per_sheet():
    fake = FakeBook()
    book = XlwingsWorkbook(fake)
    write_demo_inputs(book, make_demo(7))
    book.save()
    history = fake.sheets["DemandHistory"]
    assert history.writes == 1
    before = history.reads
    log = IssueLog()
    frame = read_table(XlwingsWorkbook(fake), ITEMS, log)
    assert not log.has_errors and len(frame) > 10
    XlwingsWorkbook(fake).read_grid("DemandHistory")
    assert history.reads == before + 1


def test_text_that_looks_like_a_number_date_or_formula_stays_text():
    fake = FakeBook()
    book = XlwingsWorkbook(fake)
    demo = make_demo(7)
    items = demo.items.copy()
    items.loc[items.index[0], "description"] = "=1+2"
    items.loc[items.index[1], "description"] = "2027-03"
    items.loc[items.index[2], "description"] = "00123"
    book.write_table(ITEMS, items)
    book.save()
    log = IssueLog()
    back = read_table(XlwingsWorkbook(fake), ITEMS, log)
    assert back["description"].tolist()[:3] == ["=1+2", "2027-03", "00123"]
    assert not [v for v in fake.sheets["Items"].cells.values() if isinstance(v, Formula)]


def test_rewriting_a_shorter_table_resizes_it_and_clears_old_rows():
    fake = FakeBook()
    book = XlwingsWorkbook(fake)
    items = make_demo(7).items
    book.write_table(ITEMS, items)
    book.save()
    book.write_table(ITEMS, items.head(3))
    book.save()
    table = fake.sheets["Items"].tables["tblItems"]
    assert table.resizes == 1 and table.range.shape[0] == 4
    assert len(fake.sheets["Items"].grid()) == ITEMS.header_row + 3


def test_staged_writes_are_invisible_until_save_and_can_be_discarded():
    fake = FakeBook()
    book = XlwingsWorkbook(fake)
    book.write_table(ITEMS, make_demo(7).items)
    assert "Items" in book.sheet_names() and "Items" not in fake.sheets
    assert book.read_grid("Items")[ITEMS.header_row - 1][0] == "SKU"
    book.discard_staged()
    book.save()
    assert "Items" not in fake.sheets and "Items" not in book.sheet_names()


def test_save_leaves_the_file_unsaved_and_restores_app_switches():
    fake = FakeBook()
    book = XlwingsWorkbook(fake)
    write_demo_inputs(book, make_demo(7))
    book.save()
    assert fake.saves == 0
    assert fake.app.screen_updating is True and fake.app.calculation == "automatic"


def test_a_moved_table_is_reported_with_its_cell_not_overwritten():
    fake = FakeBook()
    ws = fake.sheets.add("Items")
    ws.range("C10").value = [["SKU", "Description"], ["A", "x"]]
    ws.tables.add(source=ws.range("C10:D11"), name="tblItems")
    book = XlwingsWorkbook(fake)
    book.write_table(ITEMS, make_demo(7).items)
    with pytest.raises(WorkbookAccessError) as err:
        book.save()
    assert err.value.issues[0].sheet == "Items" and err.value.issues[0].cell == "C10"
    assert "A3" in err.value.issues[0].hint


def test_settings_keep_their_named_ranges_after_edits_in_excel():
    fake = FakeBook()
    book = XlwingsWorkbook(fake)
    write_demo_inputs(book, make_demo(7))
    book.save()
    ref = fake.names["sop_horizon"].refers_to
    cell = ref.split("!")[1].replace("$", "")
    assert fake.sheets["Settings"].range(cell).value == pytest.approx(
        read_table(XlwingsWorkbook(fake), SETTINGS, IssueLog()).set_index("setting")
        .filter(like="orizon", axis=0)["value"].astype(float).iloc[0])


def test_charts_are_drawn_natively_and_replaced_on_rerun(two_books):
    _, excel, fake, _ = two_books
    drawn = {s.name: list(s.charts) for s in fake.sheets if len(s.charts)}
    expected = {name: [c for c in specs if isinstance(c, ChartSpec)] for name, specs in excel.charts.items()}
    expected = {name: specs for name, specs in expected.items() if specs}
    if not expected:
        pytest.skip("no stage of this version draws charts")
    assert set(drawn) == set(expected)
    for name, specs in expected.items():
        charts = drawn[name]
        assert [c.title for c in charts] == [s.title for s in specs]
        for chart, spec in zip(charts, specs):
            block = excel.blocks[spec.data_sheet or name]
            names = [c.name for c in block.sheet.columns] + block.header[len(block.sheet.columns):]
            assert [s.name for s in chart.series] == [x.label or block.header[names.index(x.column)]
                                                      for x in spec.series]
            start, stop = spec.rows or (0, len(block.rows))
            assert chart.x_values.sheet.name == block.sheet.name
            assert chart.x_values.row == block.header_row + 1 + start
            assert chart.x_values.last_cell.row == block.header_row + stop
            assert chart.series[0].values.shape[0] == stop - start
    # a second run replaces the product's charts instead of adding more, and leaves user charts alone
    if "RoughCut" in drawn:
        ws = fake.sheets["RoughCut"]
        ws.charts.add(source=ws.range("A4:A5"), name="my own chart", chart_type="line")
        before = len(ws.charts)
        execute(XlwingsWorkbook(fake), ["roughcut"])
        assert len(ws.charts) == before
        assert "my own chart" in [c.name for c in ws.charts]


def test_highlights_become_conditional_formats_replaced_on_rerun(two_books):
    _, excel, fake, _ = two_books
    wanted = {name: [c for c in specs if hasattr(c, "fills")] for name, specs in excel.charts.items()}
    wanted = {name: specs for name, specs in wanted.items() if specs}
    if not wanted:
        pytest.skip("no stage of this version highlights cells")
    for name, specs in wanted.items():
        rules = fake.sheets[name].rules
        block = excel.blocks[name]
        assert len(rules) == sum(len(s.fills) for s in specs), name
        for spec in specs:
            letter = chr(ord("A") + [c.name for c in block.sheet.columns].index(spec.column))
            for text, color in spec.fills:
                assert any(f'=${letter}{block.header_row + 1}="{text}"' == r[1] and r[2] == f"#{color}"
                           for r in rules), (name, text)
    name = next(iter(wanted))
    before = list(fake.sheets[name].rules)
    frame, period_type = excel.frames[name]
    book = XlwingsWorkbook(fake)  # the same table written again, as a rerun does
    book.write_table(excel.blocks[name].sheet, frame, charts=excel.charts[name], period_type=period_type)
    book.save()
    assert fake.sheets[name].rules == before


def test_discarding_the_staged_tables_of_one_stage_keeps_the_others():
    fake = FakeBook()
    book = XlwingsWorkbook(fake)
    company = make_demo(7)
    book.write_table(ITEMS, company.items)
    book.write_table(SETTINGS, settings_frame(company.settings))
    book.discard_staged(["Items"])
    assert book.staged == ["Settings"] and "Items" not in book.sheet_names()
    book.save()
    assert "Settings" in fake.sheets and "Items" not in fake.sheets


def test_a_sheet_the_contract_hides_is_hidden_in_excel_too():
    """The review-copy signing key (ReviewKey, `hidden=True` in the contract) must not show as a tab in
    the master. xlwings 0.37.8 `_xlmac.py` Sheet.visible setter hides it on a Mac; on Windows the
    adapter writes xlSheetVeryHidden (2) to the same COM property xlwings' `_xlwindows.py` setter uses."""
    from sop_xl.contract.consensus import REVIEW_KEY
    fake = FakeBook()
    book = XlwingsWorkbook(fake)
    book.write_table(ITEMS, make_demo(7).items)
    book.write_table(REVIEW_KEY, pd.DataFrame({"key": ["k" * 64], "created_at": ["2027-01-01"]}))
    book.save()
    assert fake.sheets["ReviewKey"].visible is False and fake.sheets["Items"].visible is True
