"""An in-memory stand-in for the part of the xlwings object model sop_xl uses.

It behaves like Excel where that matters for correctness, so tests catch what a live
Excel would do to our writes:
- numbers come back as floats (Excel stores doubles), dates as datetime;
- a string assigned to a cell is parsed the way Excel parses typed text: "=..." becomes a
  formula, "12" a number, "2027-03" a date, "TRUE" a boolean; unless it starts with an
  apostrophe (stripped, kept as text) or the cell's number format is "@" (Text: kept as given,
  an apostrophe too, so a writer must not prefix text it already formatted as Text);
- writing a 2-D list fills the block from the range's top-left cell, whatever its size;
- `used_range` spans from the first to the last non-empty cell (not necessarily A1);
- tables (ListObjects) may not overlap, names are workbook-unique and case-insensitive;
  a table's header cells are text.
Only the surface listed in `sop_xl.excel.adapter` is implemented; anything else raises
AttributeError, which is the point: the adapter must not rely on more than this.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.utils import column_index_from_string, get_column_letter

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE_PATTERNS = ("%Y-%m-%d", "%Y-%m", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d")


def _excel_parse(text: str) -> Any:
    """What Excel stores when this text is assigned to a General-formatted cell."""
    stripped = text.strip()
    if _NUMBER.match(stripped):
        return float(stripped)
    if stripped.upper() in ("TRUE", "FALSE"):
        return stripped.upper() == "TRUE"
    for pattern in _DATE_PATTERNS:
        try:
            return dt.datetime.strptime(stripped, pattern)
        except ValueError:
            pass
    return text


class Formula(str):
    """A cell holding a formula (tests assert none were created by accident)."""


def _parse_address(address: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)", address.strip())
    if not m:
        raise ValueError(f"bad cell address {address!r}")
    return int(m.group(2)), column_index_from_string(m.group(1).upper())


class FakeApp:
    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []
        self.status_history: list[Any] = []
        self._status: Any = False
        self.screen_updating = True
        self.calculation = "automatic"
        self.books: list[FakeBook] = []
        self.answer = "ok"

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: str | None = None) -> str:
        self.alerts.append(dict(prompt=prompt, title=title, buttons=buttons, mode=mode))
        return self.answer

    @property
    def status_bar(self) -> Any:
        return self._status

    @status_bar.setter
    def status_bar(self, value: Any) -> None:
        self._status = value
        self.status_history.append(value)


def _xlwings_function(module: str, name: str, **env: Any):
    """A function of the installed xlwings, compiled from its own source lines (the module
    itself imports Windows-only packages, so it cannot be imported here)."""
    import ast
    import importlib.util
    path = Path(importlib.util.find_spec("xlwings").origin).with_name(module)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name)
    node.decorator_list = []
    code = compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec")
    namespace: dict[str, Any] = dict(env)
    exec(code, namespace)
    return namespace[name]


def _com_time(x):
    return x  # what _datetime_to_com_time does is irrelevant to these tests


# What an xlwings UDF's return value becomes on its way into a Windows cell: this is
# xlwings/_xlwindows.py:486-498 (Engine.prepare_xl_data_element), compiled from the installed file.
# Strings pass through unchanged, so "#VALUE!" arrives as text (xlwings issue #776).
prepare_xl_data_element = _xlwings_function(
    "_xlwindows.py", "prepare_xl_data_element", pd=pd, np=np,
    time_types=(dt.date, dt.datetime, pd.Timestamp), _datetime_to_com_time=_com_time)


class ExcelErrorValue(str):
    """A real Excel error value in a cell (ISERROR is TRUE), unlike the text "#VALUE!"."""


def udf_cell_values(result: Any, wrapper_errors: dict[str, str] | None = None) -> list[list[Any]]:
    """What the cells of a UDF show: xlwings' prepare_xl_data_element on every element, then the
    VBA wrapper's mapping of error strings to CVErr (`wrapper_errors`, read from the shipped VBA;
    None: xlwings' own generated wrapper, which has no such mapping, udfs.py:591-720)."""
    rows = result if isinstance(result, list) and result and isinstance(result[0], list) else \
        [result] if isinstance(result, list) else [[result]]
    out = []
    for row in rows:
        cells = []
        for v in row:
            v = prepare_xl_data_element(v, None)
            if wrapper_errors and isinstance(v, str) and v in wrapper_errors and len(rows) * len(row) == 1:
                v = ExcelErrorValue(v)
            cells.append(v)
        out.append(cells)
    return out


class FakeBook:
    def __init__(self, name: str = "Book1.xlsm", app: FakeApp | None = None) -> None:
        self.name = name
        self.full_name = f"/fake/{name}"   # Excel's Workbook.FullName
        self.pdf_exports: list[dict[str, Any]] = []
        self.app = app or FakeApp()
        self.app.books.append(self)
        self.sheets = FakeSheets(self)
        self.names = FakeNames(self)
        self.saves = 0

    @property
    def fullname(self) -> str:
        """As xlwings/_xlwindows.py:914-924: an https FullName (AutoSave on OneDrive/SharePoint) goes
        through xlwings.utils.fullname_url_to_local_path (utils.py:489), which raises XlwingsError when
        no synced local copy is found; the real function is called here."""
        if "://" in self.full_name:
            from xlwings.utils import fullname_url_to_local_path
            return fullname_url_to_local_path(url=self.full_name)
        return self.full_name

    @fullname.setter
    def fullname(self, value: str) -> None:
        self.full_name = value

    def save(self, path: str | None = None) -> None:
        self.saves += 1

    def to_pdf(self, path: str | None = None, include: Any = None, exclude: Any = None, layout: Any = None,
               exclude_start_string: str = "#", show: bool = False, quality: str = "standard") -> str:
        """As xlwings/utils.py:641-700: `include` matches sheet names exactly (case-sensitive,
        `sheet.name in include`) or 1-based indices; the other sheets are hidden while Excel exports
        the visible ones and their visibility is restored afterwards. The stand-in writes a small PDF."""
        if include is not None and exclude is not None:
            raise ValueError("You can only use either 'include' or 'exclude'")
        include = [include] if isinstance(include, (str, int)) else include
        printed = [s.name for s in self.sheets
                   if s.visible and (not include or s.name in include or s.index in include)
                   and not s.name.startswith(exclude_start_string)]
        if not printed:
            raise RuntimeError("Excel: no visible sheet to export")  # ExportAsFixedFormat fails
        pages = b"".join(b"<< /Type /Page >>\n" for _ in printed)
        Path(path).write_bytes(b"%PDF-1.7\n" + pages + b"%%EOF\n")
        self.pdf_exports.append(dict(path=path, sheets=printed, quality=quality))
        return path

    def all_tables(self) -> list["FakeTable"]:
        return [t for s in self.sheets for t in s.tables]


class FakeSheets:
    def __init__(self, book: FakeBook) -> None:
        self.book = book
        self._sheets: list[FakeSheet] = []

    def __iter__(self):
        return iter(list(self._sheets))

    def __len__(self) -> int:
        return len(self._sheets)

    def __contains__(self, name: str) -> bool:
        return any(s.name.lower() == name.lower() for s in self._sheets)

    def __getitem__(self, key: int | str) -> "FakeSheet":
        if isinstance(key, int):
            return self._sheets[key]
        for s in self._sheets:
            if s.name.lower() == key.lower():  # Excel sheet names are case-insensitive
                return s
        raise KeyError(key)

    def add(self, name: str | None = None, before: "FakeSheet | None" = None,
            after: "FakeSheet | None" = None) -> "FakeSheet":
        name = name or f"Sheet{len(self._sheets) + 1}"
        if name in self:
            raise ValueError(f"a sheet named {name!r} exists")
        if len(name) > 31 or re.search(r"[\[\]:*?/\\]", name):
            raise ValueError(f"invalid sheet name {name!r}")
        sheet = FakeSheet(self.book, name)
        if before is not None:
            self._sheets.insert(self._sheets.index(before), sheet)
        elif after is not None:
            self._sheets.insert(self._sheets.index(after) + 1, sheet)
        else:
            # Excel's Sheets.Add without a position inserts before the active sheet; xlwings
            # documents the new sheet going first when nothing is given. Either way: not last.
            self._sheets.insert(0, sheet)
        return sheet


class FakeSheet:
    def __init__(self, book: FakeBook, name: str) -> None:
        self.book = book
        self.name = name
        self.cells: dict[tuple[int, int], Any] = {}      # (row, col) 1-based -> value
        self.formats: dict[tuple[int, int], str] = {}    # number formats
        self.widths: dict[int, float] = {}
        self.tables = FakeTables(self)
        self.charts = FakeCharts(self)
        self.rules: list[tuple] = []                     # conditional formats
        self.activated = 0
        self.visible = True
        self.reads = 0    # value transfers out of Excel
        self.writes = 0   # value transfers into Excel

    @property
    def index(self) -> int:
        return list(self.book.sheets).index(self) + 1

    def activate(self) -> None:
        self.activated += 1

    def range(self, cell1: Any, cell2: Any = None) -> "FakeRange":
        if isinstance(cell1, str) and cell2 is None and "," in cell1:
            areas = [self.range(part) for part in cell1.split(",")]
            first = (min(a.row for a in areas), min(a.column for a in areas))
            last = (max(a.last_cell.row for a in areas), max(a.last_cell.column for a in areas))
            multi = FakeRange(self, first, last)
            multi.areas = areas
            return multi
        if isinstance(cell1, str) and cell2 is None:
            if ":" in cell1:
                a, b = cell1.split(":")
                return FakeRange(self, _parse_address(a), _parse_address(b))
            cell1 = _parse_address(cell1)
        elif isinstance(cell1, str):
            cell1 = _parse_address(cell1)
        if isinstance(cell2, str):
            cell2 = _parse_address(cell2)
        if isinstance(cell1, FakeRange):
            cell1 = (cell1.row, cell1.column)
        if isinstance(cell2, FakeRange):
            cell2 = (cell2.last_cell.row, cell2.last_cell.column)
        return FakeRange(self, tuple(cell1), tuple(cell2 or cell1))

    def __getitem__(self, address: str) -> "FakeRange":
        return self.range(address)

    @property
    def used_range(self) -> "FakeRange":
        filled = [k for k, v in self.cells.items() if v is not None]
        if not filled:
            return FakeRange(self, (1, 1), (1, 1))
        rows = [r for r, _ in filled]
        cols = [c for _, c in filled]
        return FakeRange(self, (min(rows), min(cols)), (max(rows), max(cols)))

    def clear_contents(self) -> None:
        self.cells.clear()

    # what tests look at
    def grid(self) -> list[list[Any]]:
        filled = [k for k, v in self.cells.items() if v is not None]
        if not filled:
            return []
        n_rows = max(r for r, _ in filled)
        n_cols = max(c for _, c in filled)
        return [[self.cells.get((r, c)) for c in range(1, n_cols + 1)] for r in range(1, n_rows + 1)]


class FakeRange:
    def __init__(self, sheet: FakeSheet, first: tuple[int, int], last: tuple[int, int], ndim: int | None = None):
        (r1, c1), (r2, c2) = first, last
        if min(r1, c1, r2, c2) < 1:
            raise ValueError("Excel rows and columns start at 1")
        self.sheet = sheet
        self._first = (min(r1, r2), min(c1, c2))
        self._last = (max(r1, r2), max(c1, c2))
        self._ndim = ndim
        self.areas = [self]

    def __repr__(self) -> str:
        return f"<FakeRange {self.sheet.name}!{self.address}>"

    @property
    def left(self) -> float:
        return sum(self.sheet.widths.get(c, 8.43) * 7.0 for c in range(1, self.column)) * 0.75

    @property
    def top(self) -> float:
        return (self.row - 1) * 15.0

    @property
    def row(self) -> int:
        return self._first[0]

    @property
    def column(self) -> int:
        return self._first[1]

    @property
    def shape(self) -> tuple[int, int]:
        return self._last[0] - self._first[0] + 1, self._last[1] - self._first[1] + 1

    @property
    def last_cell(self) -> "FakeRange":
        return FakeRange(self.sheet, self._last, self._last)

    @property
    def address(self) -> str:
        a = f"${get_column_letter(self._first[1])}${self._first[0]}"
        b = f"${get_column_letter(self._last[1])}${self._last[0]}"
        return a if a == b else f"{a}:{b}"

    def options(self, convert: Any = None, **options: Any) -> "FakeRange":
        unknown = set(options) - {"ndim"}
        if convert is not None or unknown:
            raise NotImplementedError(f"fake supports only options(ndim=...), got {convert} {unknown}")
        return FakeRange(self.sheet, self._first, self._last, ndim=options.get("ndim"))

    def resize(self, row_size: int | None = None, column_size: int | None = None) -> "FakeRange":
        rows, cols = self.shape
        rows = row_size or rows
        cols = column_size or cols
        return FakeRange(self.sheet, self._first, (self._first[0] + rows - 1, self._first[1] + cols - 1))

    def expand(self, mode: str = "table") -> "FakeRange":
        r, c = self._first
        cells = self.sheet.cells
        last_r, last_c = r, c
        if mode in ("table", "down", "d"):
            while cells.get((last_r + 1, c)) is not None:
                last_r += 1
        if mode in ("table", "right", "r"):
            while cells.get((r, last_c + 1)) is not None:
                last_c += 1
        return FakeRange(self.sheet, (r, c), (last_r, last_c))

    def _cells(self):
        for r in range(self._first[0], self._last[0] + 1):
            for c in range(self._first[1], self._last[1] + 1):
                yield r, c

    # ------------------------------------------------------------------ values
    @property
    def value(self) -> Any:
        self.sheet.reads += 1
        rows, cols = self.shape
        data = [[self.sheet.cells.get((r, c)) for c in range(self._first[1], self._last[1] + 1)]
                for r in range(self._first[0], self._last[0] + 1)]
        if self._ndim == 2:
            return data
        if rows == 1 and cols == 1:
            return data[0][0]
        if rows == 1:
            return data[0]
        if cols == 1:
            return [row[0] for row in data]
        return data

    @value.setter
    def value(self, data: Any) -> None:
        self.sheet.writes += 1
        if not isinstance(data, (list, tuple)):
            data = [[data]]
        elif data and not isinstance(data[0], (list, tuple)):
            data = [list(data)]  # a flat list is one row, as in xlwings
        r0, c0 = self._first
        for i, row in enumerate(data):
            for j, v in enumerate(row):
                self._store(r0 + i, c0 + j, v)

    def _store(self, r: int, c: int, v: Any) -> None:
        for table in self.sheet.tables:
            if table.is_header_cell(r, c) and v is not None and not isinstance(v, str):
                v = str(v)  # ListObject headers are always text
        if v is None:
            self.sheet.cells.pop((r, c), None)
            return
        if isinstance(v, bool):
            stored: Any = v
        elif isinstance(v, (int, float)):
            stored = float(v)
        elif isinstance(v, dt.datetime):
            stored = v.replace(tzinfo=None)
        elif isinstance(v, dt.date):
            stored = dt.datetime(v.year, v.month, v.day)
        elif isinstance(v, str):
            if self.sheet.formats.get((r, c)) == "@":
                stored = v  # a Text cell keeps what it is given, apostrophe included (the cautious model)
            elif v.startswith("'"):
                stored = v[1:]
            elif v.startswith("="):
                stored = Formula(v)
            else:
                stored = _excel_parse(v)
        else:
            raise TypeError(f"xlwings cannot write a {type(v).__name__} ({v!r}) to {get_column_letter(c)}{r}")
        self.sheet.cells[(r, c)] = stored

    def clear_contents(self) -> None:
        for key in self._cells():
            self.sheet.cells.pop(key, None)

    @property
    def number_format(self) -> str | None:
        fmts = {self.sheet.formats.get(k, "General") for k in self._cells()}
        return fmts.pop() if len(fmts) == 1 else None

    @number_format.setter
    def number_format(self, fmt: str) -> None:
        for key in self._cells():
            self.sheet.formats[key] = fmt

    @property
    def conditional_formats(self) -> "FakeConditionalFormats":
        return FakeConditionalFormats(self)

    @property
    def column_width(self) -> float:
        return self.sheet.widths.get(self._first[1], 8.43)

    @column_width.setter
    def column_width(self, width: float) -> None:
        for c in range(self._first[1], self._last[1] + 1):
            self.sheet.widths[c] = width

    def overlaps(self, other: "FakeRange") -> bool:
        return not (self._last[0] < other._first[0] or other._last[0] < self._first[0]
                    or self._last[1] < other._first[1] or other._last[1] < self._first[1])


class FakeConditionalFormats:
    """Rules live on the sheet as (range, formula, fill); `clear` drops the rules inside the range."""

    def __init__(self, rng: FakeRange) -> None:
        self.range = rng

    def add_custom(self, formula: str, *, fill_color: Any = None, font_color: Any = None, font_bold: Any = None,
                   font_italic: Any = None, stop_if_true: bool = False) -> tuple:
        if not formula.startswith("="):
            raise ValueError("a custom rule's formula starts with '='")
        rule = (self.range.address, formula, fill_color)
        self.range.sheet.rules.append(rule)
        return rule

    def clear(self) -> None:
        sheet = self.range.sheet
        sheet.rules = [r for r in sheet.rules if not _inside(sheet.range(r[0].replace("$", "")), self.range)]


def _inside(inner: FakeRange, outer: FakeRange) -> bool:
    return (outer.row <= inner.row and inner.last_cell.row <= outer.last_cell.row
            and outer.column <= inner.column and inner.last_cell.column <= outer.last_cell.column)


class FakeTables:
    def __init__(self, sheet: FakeSheet) -> None:
        self.sheet = sheet
        self._tables: list[FakeTable] = []

    def __iter__(self):
        return iter(list(self._tables))

    def __len__(self) -> int:
        return len(self._tables)

    def __contains__(self, name: str) -> bool:
        return any(t.name.lower() == name.lower() for t in self._tables)

    def __getitem__(self, key: int | str) -> "FakeTable":
        if isinstance(key, int):
            return self._tables[key]
        for t in self._tables:
            if t.name.lower() == key.lower():
                return t
        raise KeyError(key)

    def add(self, source: FakeRange | None = None, name: str | None = None, source_type: str | None = None,
            link_source: bool | None = None, has_headers: bool = True, destination: Any = None,
            table_style_name: str = "TableStyleMedium2") -> "FakeTable":
        if not isinstance(source, FakeRange):
            raise TypeError("'source' must be a Range")
        if source.sheet is not self.sheet:
            raise ValueError("a table's range must be on its own sheet")
        for t in self._tables:
            if t.range.overlaps(source):
                raise ValueError(f"A table cannot overlap another table ({t.name})")
        existing = {t.name.lower() for t in self.sheet.book.all_tables()}
        name = name or f"Table{len(existing) + 1}"
        if name.lower() in existing or name.lower() in self.sheet.book.names:
            raise ValueError(f"the name {name!r} is already in use")
        table = FakeTable(self.sheet, name, source, table_style_name)
        self._tables.append(table)
        table.normalise_headers()
        return table


class FakeTable:
    def __init__(self, sheet: FakeSheet, name: str, rng: FakeRange, style: str) -> None:
        self.parent = sheet
        self.name = name
        self.range = rng
        self.table_style = style
        self.resizes = 0

    def __repr__(self) -> str:
        return f"<FakeTable {self.name!r} in {self.parent.name}>"

    def is_header_cell(self, r: int, c: int) -> bool:
        return r == self.range.row and self.range.column <= c <= self.range.last_cell.column

    @property
    def header_row_range(self) -> FakeRange:
        return FakeRange(self.parent, (self.range.row, self.range.column),
                         (self.range.row, self.range.last_cell.column))

    @property
    def data_body_range(self) -> FakeRange | None:
        if self.range.shape[0] < 2:
            return None
        return FakeRange(self.parent, (self.range.row + 1, self.range.column),
                         (self.range.last_cell.row, self.range.last_cell.column))

    def resize(self, rng: FakeRange) -> None:
        # Excel: "The headers must remain in the same row, and the resulting table must overlap
        # the original table."
        if rng.row != self.range.row or not rng.overlaps(self.range):
            raise ValueError("the headers must remain in the same row and overlap the original table")
        for t in self.parent.tables:
            if t is not self and t.range.overlaps(rng):
                raise ValueError(f"A table cannot overlap another table ({t.name})")
        self.range = rng
        self.resizes += 1
        self.normalise_headers()

    def normalise_headers(self) -> None:
        """Excel fills blank headers with ColumnN and makes duplicates unique."""
        seen: set[str] = set()
        r = self.range.row
        for i, c in enumerate(range(self.range.column, self.range.last_cell.column + 1), start=1):
            v = self.parent.cells.get((r, c))
            text = f"Column{i}" if v is None else str(v)
            base, n = text, 2
            while text.lower() in seen:
                text, n = f"{base}{n}", n + 1
            seen.add(text.lower())
            self.parent.cells[(r, c)] = text


class FakeName:
    def __init__(self, name: str, refers_to: str) -> None:
        self.name = name
        self.refers_to = refers_to if refers_to.startswith("=") else "=" + refers_to


class FakeNames:
    def __init__(self, book: FakeBook) -> None:
        self.book = book
        self._names: dict[str, FakeName] = {}

    def add(self, name: str, refers_to: str) -> FakeName:
        if " " in name or re.fullmatch(r"[A-Za-z]{1,3}\d+", name):
            raise ValueError(f"invalid name {name!r}")
        item = FakeName(name, refers_to)  # Names.Add replaces an existing name, as in Excel
        self._names[name.lower()] = item
        return item

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._names

    def __getitem__(self, name: str) -> FakeName:
        return self._names[name.lower()]

    def __iter__(self):
        return iter(list(self._names.values()))

    def __len__(self) -> int:
        return len(self._names)


CHART_TYPES = ("line", "line_markers", "column_clustered", "column_stacked", "bar_clustered", "bar_stacked",
               "area", "area_stacked")


class FakeAxis:
    def __init__(self) -> None:
        self.title: str | None = None


class FakeSeries:
    def __init__(self, values: FakeRange) -> None:
        self.values = values
        self.name = ""
        self.line_color: Any = None
        self.fill_color: Any = None


class FakeChart:
    def __init__(self, sheet: FakeSheet, name: str, chart_type: str, source: FakeRange, plot_by: str | None,
                 left: float, top: float, width: float, height: float) -> None:
        if chart_type not in CHART_TYPES:
            raise ValueError(f"unknown chart type {chart_type!r}")
        if plot_by not in (None, "columns", "rows"):
            raise ValueError(f"plot_by is 'rows' or 'columns', not {plot_by!r}")
        self.parent, self.name, self.chart_type = sheet, name, chart_type
        self.left, self.top, self.width, self.height = left, top, width, height
        self.title: str | None = None
        self.value_axis, self.category_axis = FakeAxis(), FakeAxis()
        self.x_values: FakeRange | None = None
        self.set_source_data(source, plot_by)

    def set_source_data(self, source: FakeRange, plot_by: str | None = None) -> None:
        if source.sheet.book is not self.parent.book:
            raise ValueError("chart data must be in the chart's workbook")
        self.series = [FakeSeries(FakeRange(source.sheet, (a.row, c), (a.last_cell.row, c)))
                       for a in source.areas for c in range(a.column, a.last_cell.column + 1)]

    def set_x_axis_values(self, source: FakeRange) -> None:
        if source.shape[1] != 1 and source.shape[0] != 1:
            raise ValueError("x-axis values are one row or one column")
        self.x_values = source

    def delete(self) -> None:
        self.parent.charts._charts.remove(self)


class FakeCharts:
    def __init__(self, sheet: FakeSheet) -> None:
        self.sheet = sheet
        self._charts: list[FakeChart] = []

    def __iter__(self):
        return iter(list(self._charts))

    def __len__(self) -> int:
        return len(self._charts)

    def add(self, left: float = 0, top: float = 0, width: float = 355, height: float = 211,
            chart_type: str | None = None, source: FakeRange | None = None, plot_by: str | None = None,
            name: str | None = None, anchor: FakeRange | None = None, style: int | None = 227) -> FakeChart:
        if anchor is not None:
            if left or top:
                raise ValueError("use either anchor or left/top")
            left, top = anchor.left, anchor.top
        if source is None:
            raise NotImplementedError("the stand-in needs source=")
        chart = FakeChart(self.sheet, name or f"Chart {len(self._charts) + 1}", chart_type or "column_clustered",
                          source, plot_by, left, top, width, height)
        self._charts.append(chart)
        return chart
