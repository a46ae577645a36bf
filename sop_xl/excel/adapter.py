"""`XlwingsWorkbook`: the workbook contract over an open `xlwings.Book`.

The same `WorkbookAdapter` as the file adapter, so a ribbon button runs exactly the
command the CLI runs. Transfers are whole blocks: `read_grid` is one 2-D read of a sheet
from A1 to the last used cell; `save` writes each staged table as one 2-D value transfer
(titles, header and rows), then one number-format call per column, then creates or
resizes the sheet's real Excel Table (ListObject) and, for Settings, the defined names.

Writes are staged (a stage that fails half way leaves the workbook as it was) and applied
by `save()`. `save()` does NOT save the file: in Excel the planner sees the results at once
and decides when to save (and can still close without saving to go back). The xlwings
objects used are listed in `tests/excel/fake_xlwings.py`, the stand-in the tests run on.

Text cells of text columns are formatted as Text ("@") before the values arrive, so Excel
keeps them verbatim; other text (titles, headers, text in a number column) gets a leading
apostrophe, Excel's "this is text" prefix, which is not part of the value. Otherwise Excel
would turn "2027-03" into a date, "=x" into a formula and "00123" into a number.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any, Sequence

import pandas as pd
from openpyxl.utils import get_column_letter, range_boundaries

from ..charts import ChartSpec
from ..contract import WORKBOOK, Layout, Role, Sheet
from ..io.layout import TableBlock, layout_table
from ..io.memory import MemoryWorkbook
from ..io.xlsx_writer import TABLE_STYLE
from ..issues import Issue, IssueCode, Severity, WorkbookAccessError


class XlwingsWorkbook:
    """An open workbook. `book` is an `xlwings.Book` (or the test stand-in)."""

    def __init__(self, book: Any):
        self.book = book
        self.name = book.name
        self.path, self.path_problem = book_path(book)
        self.touched = False  # True once save() has changed a cell of the open workbook
        self._overlay = MemoryWorkbook(name=self.name)
        self._staged: dict[str, tuple[TableBlock, tuple[ChartSpec, ...]]] = {}

    # ------------------------------------------------------------------ reading
    def sheet_names(self) -> list[str]:
        live = [s.name for s in self.book.sheets]
        lower = {n.lower() for n in live}
        return live + [n for n in self._overlay.grids if n.lower() not in lower]

    def read_grid(self, sheet_name: str) -> list[list[Any]]:
        if sheet_name in self._overlay.grids:
            return self._overlay.read_grid(sheet_name)
        return _read_live(self.book.sheets[sheet_name])

    # ------------------------------------------------------------------ writing
    def write_table(self, sheet: Sheet, frame: pd.DataFrame, *, charts: Sequence[ChartSpec] = (),
                    period_type: str = "month") -> None:
        block = layout_table(sheet, frame, period_type=period_type)  # fails now, not at save time
        if sheet.name not in self._overlay.grids:
            live = self._live_sheet(sheet.name)
            self._overlay.grids[sheet.name] = _read_live(live) if live is not None else []
        self._overlay.write_block(block, charts)
        self._staged[sheet.name] = (block, tuple(charts))

    def discard_staged(self, names=None) -> None:
        """Forget staged writes (all, or those of `names`)."""
        names = list(self._staged) if names is None else list(names)
        for name in names:
            self._staged.pop(name, None)
        self._overlay.forget(names)

    @property
    def staged(self) -> list[str]:
        return list(self._staged)

    def save(self) -> str:
        """Write every staged table into the open workbook (the file itself is not saved)."""
        app = getattr(self.book, "app", None)
        screen = _swap(app, "screen_updating", False)
        calculation = _swap(app, "calculation", "manual")
        for block, _ in self._staged.values():  # every check before the first write: all or nothing
            live = self._live_sheet(block.sheet.name)
            if live is not None:
                _check_table_place(live, block)
        try:
            written = []
            for block, charts in self._staged.values():
                self.touched = True
                ws = self._ensure_sheet(block.sheet)
                old_last = _write_block(self.book, ws, block)
                written.append((ws, block, charts, old_last))
            # charts after every table: a chart may draw from another table of the same save
            blocks = {block.sheet.name.lower(): (ws, block) for ws, block, _, _ in written}
            for ws, block, charts, old_last in written:
                _draw_charts(ws, block, [c for c in charts if isinstance(c, ChartSpec)], blocks)
                _highlight(ws, block, [c for c in charts if hasattr(c, "fills")], old_last)
        finally:
            _restore(app, "calculation", calculation)
            _restore(app, "screen_updating", screen)
        self.discard_staged()
        return self.path

    # ------------------------------------------------------------------ sheets
    def _live_sheet(self, name: str):
        for s in self.book.sheets:
            if s.name.lower() == name.lower():
                return s
        return None

    def _ensure_sheet(self, sheet: Sheet):
        live = self._live_sheet(sheet.name)
        if live is not None:
            return live
        ws = self._add_sheet(sheet)
        if sheet.hidden:
            _hide(ws)
        return ws

    def _add_sheet(self, sheet: Sheet):
        # place it after the last sheet that precedes it in the contract, so tabs follow the cycle
        order = [s.name.lower() for s in WORKBOOK.sheets]
        existing = list(self.book.sheets)
        key = sheet.name.lower()
        if key in order:
            before = set(order[: order.index(key)])
            after = set(order[order.index(key) + 1:])
            preceding = [s for s in existing if s.name.lower() in before]
            following = [s for s in existing if s.name.lower() in after]
            if preceding:
                return self.book.sheets.add(sheet.name, after=preceding[-1])
            if following:
                return self.book.sheets.add(sheet.name, before=following[0])
        return self.book.sheets.add(sheet.name, after=existing[-1]) if existing else self.book.sheets.add(sheet.name)


def book_path(book: Any) -> tuple[str, str | None]:
    """(full name, None), or (the book's name, why there is no local path).

    xlwings' `Book.fullname` maps an https FullName (AutoSave on OneDrive/SharePoint) to the
    synced local file and raises XlwingsError when it cannot (xlwings/_xlwindows.py:914-924,
    xlwings/utils.py:489-615); on some platforms the SharePoint branch even fails with
    UnboundLocalError. Any failure here means: no folder beside the workbook to use."""
    try:
        return str(book.fullname), None
    except Exception as exc:  # XlwingsError, or whatever the URL mapping raised
        return str(book.name), (
            f"Excel reports this workbook as a web address (OneDrive/SharePoint) and xlwings could not find its "
            f"synced local copy ({exc}). Open the workbook from the synced folder in File Explorer/Finder "
            f"(or File > Save As to a local folder), then press the button again.")


def _swap(app: Any, attr: str, value: Any) -> Any:
    if app is None:
        return None
    try:
        old = getattr(app, attr)
        setattr(app, attr, value)
        return old
    except Exception:  # not every engine exposes every switch; they only make it faster
        return None


def _restore(app: Any, attr: str, old: Any) -> None:
    if app is not None and old is not None:
        try:
            setattr(app, attr, old)
        except Exception:
            pass


def _read_live(sheet: Any) -> list[list[Any]]:
    """One transfer: A1 to the last used cell, as a list of rows; [] for an empty sheet."""
    last = sheet.used_range.last_cell
    grid = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value
    grid = [[_from_excel(v) for v in row] for row in grid]
    while grid and all(v is None for v in grid[-1]):
        grid.pop()
    return grid


def _from_excel(value: Any) -> Any:
    if isinstance(value, str) and value == "":
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _to_excel(value: Any) -> Any:
    return "'" + value if isinstance(value, str) else value


def _find_table(sheet: Any, table_name: str):
    for table in sheet.tables:
        if table.name.lower() == table_name.lower():
            return table
    return None


def _check_table_place(ws: Any, block: TableBlock):
    """The sheet's existing table (or None); raises when the user moved it off its place."""
    old = _find_table(ws, block.sheet.table)
    if old is not None:
        min_col, min_row, _, _ = range_boundaries(old.range.address.replace("$", ""))
        if min_row != block.header_row or min_col != 1:
            raise _moved_table(block.sheet, old.range.address.replace("$", ""), block)
    return old


def _write_block(book: Any, ws: Any, block: TableBlock) -> int:
    """Write one table; returns the last row of the table it replaced (0: none)."""
    sheet = block.sheet
    n = block.n_columns
    h = block.header_row
    old = _check_table_place(ws, block)
    old_last = 0
    if old is not None:
        min_col, min_row, max_col, max_row = range_boundaries(old.range.address.replace("$", ""))
        ws.range((1, 1), (max_row, max_col)).clear_contents()
        old_last = max_row
    else:
        ws.range((1, 1), (sheet.title_rows, 2)).clear_contents()
    last_row = block.last_row
    # formats first: a cell formatted as text keeps what is typed into it verbatim
    for c, fmt in enumerate(block.formats, start=1):
        ws.range((h + 1, c), (last_row, c)).number_format = fmt
    top = [[None] * n for _ in range(h - 1)]
    top[0][0] = block.title
    if h - 1 >= 2:
        top[1][0] = block.subtitle
    text_cols = [fmt == "@" for fmt in block.formats]
    head = [[_to_excel(v) for v in row] for row in top + [list(block.header)]]
    body = [[v if text else _to_excel(v) for v, text in zip(row, text_cols)] for row in block.rows]
    ws.range((1, 1)).value = head + body
    target = ws.range((h, 1), (last_row, n))
    if old is not None:
        old.resize(target)
    else:
        ws.tables.add(source=target, name=sheet.table, table_style_name=TABLE_STYLE)
        for c, width in enumerate(block.widths, start=1):
            ws.range((1, c)).column_width = width
    if sheet.layout is Layout.SETTINGS:
        _settings_names(book, ws, block)
    return old_last


CHART_PREFIX = "sop_"
CM = 28.3465  # points per centimetre
_CHART_TYPES = {("line", False): "line", ("line", True): "line", ("column", False): "column_clustered",
                ("column", True): "column_stacked", ("bar", False): "bar_clustered", ("bar", True): "bar_stacked",
                ("area", False): "area", ("area", True): "area_stacked"}


def _draw_charts(ws: Any, block: TableBlock, charts: Sequence[ChartSpec],
                 blocks: dict[str, tuple[Any, TableBlock]]) -> None:
    """Redraw the table's charts natively: the product's charts carry the table's name, so user
    charts on the sheet are never touched. A chart's data may sit in another table written in
    the same save (e.g. a dashboard drawn from its data sheet)."""
    prefix = f"{CHART_PREFIX}{block.sheet.table}_"
    for chart in list(ws.charts):
        if chart.name.startswith(prefix):
            chart.delete()
    for i, spec in enumerate(charts):
        data_ws, data = ws, block
        if spec.data_sheet and spec.data_sheet.lower() != block.sheet.name.lower():
            if spec.data_sheet.lower() not in blocks:
                continue  # its data table is not part of this run
            data_ws, data = blocks[spec.data_sheet.lower()]
        names = [c.name for c in data.sheet.columns] + data.header[len(data.sheet.columns):]
        start, stop = spec.rows if spec.rows else (0, data.n_rows)
        first, last = data.header_row + 1 + start, data.header_row + stop
        if last < first:
            continue
        cols = [names.index(s.column) + 1 for s in spec.series]
        if cols == list(range(cols[0], cols[0] + len(cols))):
            source = data_ws.range((first, cols[0]), (last, cols[-1]))
        else:  # Excel takes a multi-area range for series in columns that are not side by side
            source = data_ws.range(",".join(f"{get_column_letter(c)}{first}:{get_column_letter(c)}{last}"
                                            for c in cols))
        anchor = spec.anchor or f"{get_column_letter(block.n_columns + 2)}{block.header_row + i * 16}"
        chart = ws.charts.add(chart_type=_CHART_TYPES.get((spec.kind, spec.stacked), "line"), source=source,
                              plot_by="columns", name=f"{prefix}{i + 1}", anchor=ws.range(anchor),
                              width=spec.width_cm * CM, height=spec.height_cm * CM)
        cat = names.index(spec.categories) + 1
        chart.set_x_axis_values(data_ws.range((first, cat), (last, cat)))
        _style_chart(chart, spec, [data.header[c - 1] for c in cols])


def _highlight(ws: Any, block: TableBlock, highlights: Sequence[Any], old_last: int) -> None:
    """Conditional fills as data (`sop_xl.charts.Highlight`): the product's rules inside an output
    table are replaced every run, like the file adapter does."""
    h, n = block.header_row, block.n_columns
    body = ws.range((h + 1, 1), (max(block.last_row, old_last, h + 1), n))
    if block.sheet.role is Role.OUTPUT:
        body.conditional_formats.clear()
    names = [c.name for c in block.sheet.columns]
    for spec in highlights:
        col = names.index(spec.column) + 1
        letter = get_column_letter(col)
        target = ws.range((h + 1, 1 if spec.whole_row else col), (block.last_row, n if spec.whole_row else col))
        for text, color in spec.fills:
            value = str(text).replace('"', '""')
            target.conditional_formats.add_custom(f'=${letter}{h + 1}="{value}"', fill_color=f"#{color}")


def _style_chart(chart: Any, spec: ChartSpec, headers: list[str]) -> None:
    """Titles, series names and colours; cosmetic, so an engine that lacks one of them
    (older Excel for Mac) still gets the chart."""
    try:
        chart.title = spec.title
        if spec.y_title:
            chart.value_axis.title = spec.y_title
        if spec.x_title:
            chart.category_axis.title = spec.x_title
        for series, s, header in zip(chart.series, spec.series, headers):
            series.name = s.label or header
            if s.color:
                if spec.kind == "line":
                    series.line_color = f"#{s.color}"
                else:
                    series.fill_color = f"#{s.color}"
    except Exception:
        pass


def _settings_names(book: Any, ws: Any, block: TableBlock) -> None:
    sheet = block.sheet
    letter = get_column_letter(sheet.column_names().index("value") + 1)
    for r, row in enumerate(block.rows, start=block.header_row + 1):
        spec = next((s for s in sheet.settings if s.matches(row[0])), None)
        if spec is not None:
            book.names.add(spec.range_name, f"='{ws.name}'!${letter}${r}")


def _moved_table(sheet: Sheet, where: str, block: TableBlock) -> WorkbookAccessError:
    expected = block.ref.split(":")[0]
    message = (f"The table {sheet.table} on sheet {sheet.name} was moved to {where}; sop_xl keeps its header "
               f"on row {block.header_row} starting in column A.")
    hint = f"Move the table back so its header starts in {expected} (or delete the sheet to let sop_xl recreate it)."
    err = WorkbookAccessError(f"{message} {hint}")
    err.issues = [Issue(Severity.ERROR, IssueCode.MISSING_TABLE, message, hint, sheet=sheet.name,
                        cell=where.split(":")[0])]
    return err


def _hide(ws) -> None:
    """A sheet the contract marks hidden (the review-copy signing key) is made very hidden, so it is not
    even listed under Format > Hide & Unhide. On Windows Sheet.Visible takes XlSheetVisibility and
    xlSheetVeryHidden is 2; xlwings' own setter writes that same COM property (xlwings 0.37.8
    `_xlwindows.py`, `Sheet.visible`: `self.xl.Visible = value`). On a Mac xlwings sets AppleScript's
    `visible` (`_xlmac.py`, `Sheet.visible`), which hides the sheet (not very hidden)."""
    if sys.platform.startswith("win"):
        ws.api.Visible = 2
    else:
        ws.visible = False
