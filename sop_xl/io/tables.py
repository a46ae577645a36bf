"""Raw cell grids to contract tables, reporting every rejected value by cell.

Shared by every adapter: an adapter hands over `read_grid(sheet)` (values from A1) and
this module finds the header (title rows above it are fine), matches columns by loose
spelling, coerces each value to its declared kind and reports what it could not read.
Frames come back with snake_case columns and the Excel row number as index, so a later
stage can still name the cell of any value (`cell_of`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd
from openpyxl.utils import column_index_from_string, get_column_letter

from .. import periods
from ..contract import DEMAND_HISTORY, SETTINGS
from ..gc_pause import gc_paused
from ..contract.schema import Column, Kind, Layout, Role, Sheet, normalise_header
from ..issues import IssueCode, IssueLog
from ..values import EXCEL_MAX_TEXT, _short, coerce, period_window
from .protocol import WorkbookAdapter
from .settings import Settings, parse_settings

HEADER_SEARCH_ROWS = 30
_PLAIN = {float, int, type(None)}


@dataclass(frozen=True)
class Header:
    row: int                       # 0-based row index in the grid
    columns: dict[str, int]        # contract column name -> 0-based grid column
    extra: dict[int, str]          # grid column -> header text not in the contract
    periods: dict[int, pd.Timestamp]  # WIDE: grid column -> period
    # WIDE: grid column -> (header text, why) for period headers outside the sane window (e.g. 1926-01)
    bad_periods: dict[int, tuple[Any, str]] = field(default_factory=dict)


def cell(row: int, col: int) -> str:
    """A1 address from 0-based grid indices."""
    return f"{get_column_letter(col + 1)}{row + 1}"


def cell_of(frame: pd.DataFrame, row_label: Any, column: str) -> str:
    """The A1 address a value of a read frame came from ("" when unknown)."""
    letters = frame.attrs.get("letters", {})
    if column in letters and isinstance(row_label, (int, np.integer)):
        return f"{letters[column]}{int(row_label)}"
    return ""


def _clean(grid: list[list[Any]]) -> list[list[Any]]:
    # only text can be blank-but-not-None ("  "); a row without text passes untouched (the type test
    # runs in C: a 600,000-cell history is mostly numbers)
    return [[None if (v.__class__ is str and not v.strip()) else v for v in row] if str in set(map(type, row))
            else row for row in grid]


def _blank_row(row: list[Any]) -> bool:
    return all(v is None for v in row)


def find_header(grid: list[list[Any]], columns: tuple[Column, ...], *, period_type: str | None = None
                ) -> Header | None:
    """The row that names the most contract columns (ties: the upper one)."""
    best: Header | None = None
    best_score = 0
    spellings: dict[str, list[str]] = {}   # normalised header -> the columns it names, in contract order
    for col in columns:
        for spelling in col.spellings:
            spellings.setdefault(spelling, []).append(col.name)
    for r, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        extra: dict[int, str] = {}
        pers: dict[int, pd.Timestamp] = {}
        bad: dict[int, tuple[Any, str]] = {}
        for c, value in enumerate(row):
            if value is None:
                continue
            match = next((n for n in spellings.get(normalise_header(value), ()) if n not in found), None)
            if match:
                found[match] = c
                continue
            if period_type:
                ts = periods.parse_period(value, period_type)
                if ts is not None:
                    outside = period_window(ts)
                    if outside:
                        bad[c] = (value, outside)
                    else:
                        pers[c] = ts
                    continue
            extra[c] = str(value)
        required = [col.name for col in columns if col.required]
        score = len(found) * 10 + (5 if pers else 0) + sum(10 for n in required if n in found)
        if period_type and not pers:
            score -= 1
        if found and score > best_score:
            best, best_score = Header(r, found, extra, pers, bad), score
    return best


def read_grid(book: WorkbookAdapter, sheet: Sheet, log: IssueLog, *, required: bool, clean: bool = True
              ) -> list[list[Any]] | None:
    """The sheet's cells, or None when it is missing (reported when `required`). Error values and
    formulas without a calculated value are put in the cells the adapter left blank (`mark_errors`).
    `clean=False` (a 600,000-cell history) leaves spaces-only text below the header search rows, and
    the error cells, to the caller: it looks for them only when the table has blank cells."""
    names = {n.lower(): n for n in book.sheet_names()}
    actual = names.get(sheet.name.lower())
    if actual is None:
        if required:
            near = renamed_from(sheet.name, book.sheet_names())
            hint = (f"Rename the sheet {near!r} back to {sheet.name}." if near else
                    f"Add a sheet named {sheet.name} with the table described in docs/workbook.md "
                    f"(or start from workbook_template.xlsm).")
            log.error(IssueCode.MISSING_SHEET, f"The workbook has no sheet {sheet.name!r}"
                      + (f" (is {near!r} it, renamed?)." if near else "."), hint, sheet=sheet.name)
        return None
    # an adapter that keeps its rows may lend them (`read_rows`): nothing here changes a row in place
    grid = getattr(book, "read_rows", book.read_grid)(actual)
    if clean:
        return mark_errors(book, actual, _clean(grid))
    return _clean(grid[:HEADER_SEARCH_ROWS]) + grid[HEADER_SEARCH_ROWS:]


def mark_errors(book: WorkbookAdapter, sheet_name: str, grid: list[list[Any]]) -> list[list[Any]]:
    """`grid` with the error values and uncalculated formulas an adapter read as blanks put back
    (adapters that can tell, like the file adapter, offer `unreadable_cells`)."""
    find = getattr(book, "unreadable_cells", None)
    marks = find(sheet_name) if find is not None else {}
    if not marks:
        return grid
    from .unreadable import mark_unreadable
    return mark_unreadable(grid, marks)


def renamed_from(name: str, names: list[str]) -> str:
    """A sheet of the workbook that looks like `name` renamed ("Items (2)", "Item", "items_old"), or ""."""
    import difflib
    from ..contract import WORKBOOK
    declared = {s.name.lower() for s in WORKBOOK}
    others = [n for n in names if n.lower() not in declared]
    for other in others:
        if normalise_header(name) and normalise_header(name) in normalise_header(other):
            return other
    close = difflib.get_close_matches(name.lower(), [n.lower() for n in others], n=1, cutoff=0.75)
    return next((n for n in others if close and n.lower() == close[0]), "")


def read_table(book: WorkbookAdapter, sheet: Sheet, log: IssueLog, *, required: bool = True,
               period_type: str = periods.MONTH) -> pd.DataFrame:
    """Read a TABLE-layout sheet into a frame of the contract's columns (empty if missing)."""
    grid = read_grid(book, sheet, log, required=required)
    if grid is None:
        return empty_frame(sheet.columns)
    return parse_table(sheet, grid, log, period_type=period_type, required=required)


def empty_frame(columns: Iterable[Column]) -> pd.DataFrame:
    frame = pd.DataFrame({c.name: pd.Series(dtype=_dtype(c.kind)) for c in columns})
    frame.index.name = "row"
    return frame


def _dtype(kind: Kind) -> str:
    return {Kind.INTEGER: "Int64", Kind.NUMBER: "float64", Kind.MONEY: "float64", Kind.PERCENT: "float64",
            Kind.PERIOD: "datetime64[ns]", Kind.DATE: "datetime64[ns]", Kind.BOOL: "boolean"}.get(kind, "object")


def parse_table(sheet: Sheet, grid: list[list[Any]], log: IssueLog, *, columns: tuple[Column, ...] | None = None,
                period_type: str = periods.MONTH, required: bool = True,
                key: tuple[str, ...] | None = None) -> pd.DataFrame:
    columns = columns or sheet.columns
    header = find_header(grid, columns)
    required_names = [c.name for c in columns if c.required]
    if header is None or (required_names and not any(n in header.columns for n in required_names)):
        if required or any(not _blank_row(r) for r in grid):
            wanted = ", ".join(c.header for c in columns if c.required)
            log.error(IssueCode.MISSING_TABLE, f"Could not find the header row of the {sheet.name} table.",
                      f"Put a header row with at least these columns: {wanted} (sop_xl's sheets have it in row "
                      f"{sheet.header_row}).", sheet=sheet.name, cell=f"A{sheet.header_row}")
        return empty_frame(columns)
    _report_header(sheet, header, columns, log)
    if any(c.required and c.name not in header.columns for c in columns):
        return empty_frame(columns)

    fast = _fast_columns(sheet, columns, header, grid, period_type)
    if fast is not None:
        rows, data = fast
        frame = pd.DataFrame(data, columns=[c.name for c in columns]) if rows else empty_frame(columns)
        return _finish_frame(sheet, columns, header, frame, rows, log, key, typed=bool(rows))

    records: list[dict[str, Any]] = []
    rows: list[int] = []
    for r in range(header.row + 1, len(grid)):
        raw = grid[r]
        picked = {name: (raw[c] if c < len(raw) else None) for name, c in header.columns.items()}
        if all(v is None for v in picked.values()):
            continue  # blank row (or a row of notes outside the table's columns)
        record = {}
        for col in columns:
            c = header.columns.get(col.name)
            record[col.name] = _value(sheet, col, picked.get(col.name), r, c, log, period_type)
        records.append(record)
        rows.append(r + 1)
    frame = pd.DataFrame.from_records(records, columns=[c.name for c in columns]) if records \
        else empty_frame(columns)
    return _finish_frame(sheet, columns, header, frame, rows, log, key, typed=bool(records))


def _finish_frame(sheet: Sheet, columns: tuple[Column, ...], header: Header, frame: pd.DataFrame, rows: list[int],
                  log: IssueLog, key: tuple[str, ...] | None, *, typed: bool) -> pd.DataFrame:
    if typed:
        frame.index = pd.Index(rows, name="row")
        for col in columns:
            frame[col.name] = _typed(frame[col.name], col.kind)
    frame.attrs["letters"] = {name: get_column_letter(c + 1) for name, c in header.columns.items()}
    frame.attrs["sheet"] = sheet.name
    _check_keys(sheet, frame, log, sheet.key if key is None else key)
    return frame


# ------------------------------------------------------------- the column-at-a-time fast path

_NUMERIC = (Kind.NUMBER, Kind.MONEY, Kind.PERCENT, Kind.INTEGER)


def _fast_columns(sheet: Sheet, columns: tuple[Column, ...], header: Header, grid: list[list[Any]],
                  period_type: str) -> tuple[list[int], dict[str, Any]] | None:
    """(Excel rows, column -> values) of a table whose every cell reads cleanly, a column at a time:
    plain numbers and text checked in bulk, anything else coerced once per distinct value. None as
    soon as one cell would need an Issue: `parse_table`'s cell-by-cell loop then reports them all, in
    its order. (A 5,000-SKU ForecastIntervals is ~400,000 cells: cell by cell took most of a plan.)"""
    body = grid[header.row + 1:]
    raw: dict[str, list[Any]] = {}
    for name, c in header.columns.items():
        raw[name] = [r[c] if c < len(r) else None for r in body]
    picked = list(raw.values())
    keep = [i for i, values in enumerate(zip(*picked)) if values.count(None) < len(values)]
    if len(keep) < len(body):
        raw = {name: [values[i] for i in keep] for name, values in raw.items()}
    n = len(keep)
    out: dict[str, Any] = {}
    for col in columns:
        values = raw.get(col.name)
        if values is None:  # a column the table does not have (not required): its default
            out[col.name] = [col.default] * n
            continue
        converted = _fast_column(sheet, col, values, period_type)
        if converted is None:
            return None
        out[col.name] = converted
    first = header.row + 2
    return [first + i for i in keep], out


def _fast_column(sheet: Sheet, col: Column, values: list[Any], period_type: str) -> Any:
    """One column's values as `_value` gives them, or None when a cell needs an Issue (or a note)."""
    kinds = set(map(type, values))
    if type(None) in kinds:
        if col.required:
            return None
        kinds.discard(type(None))
    if col.kind in _NUMERIC and kinds <= {float, int}:
        return _fast_numbers(col, values)
    if col.kind is Kind.TEXT and not col.allowed and kinds <= {str}:
        default, out = col.default, []
        for v in values:
            if v is None:
                out.append(default)
                continue
            text = v.strip()
            if not text or text[0] == "#" or len(v) > EXCEL_MAX_TEXT:
                return None
            out.append(text)
        return out
    # periods, dates, yes/no, choices: few distinct values, each coerced once (keyed by type too: 1 == True)
    quiet = IssueLog()
    memo: dict[tuple[type, Any], Any] = {}
    out = []
    for v in values:
        if v is None:
            out.append(col.default)
            continue
        k = (v.__class__, v)
        if k not in memo:
            try:
                memo[k] = _value(sheet, col, v, 0, 0, quiet, period_type)
            except TypeError:  # unhashable: leave it to the cell-by-cell loop
                return None
            if len(quiet):
                return None
        out.append(memo[k])
    return out


def _fast_numbers(col: Column, values: list[Any]) -> np.ndarray | None:
    """Plain numbers within the column's bounds, as float64 (a blank is the default; NaN if none)."""
    default = col.default
    if default is not None and default.__class__ not in (float, int):
        return None
    try:
        numbers = np.array([np.nan if v is None else v for v in values], dtype=float)
    except OverflowError:  # an integer beyond any float: refused, cell by cell
        return None
    blank = np.fromiter((v is None for v in values), bool, len(values))
    typed = numbers[~blank]
    if not np.isfinite(typed).all():
        return None
    if col.kind is Kind.INTEGER:
        if (np.abs(typed - np.round(typed)) > 1e-9).any():
            return None
        typed = np.round(typed)
    limit = col.magnitude_limit
    if limit is not None and (np.abs(typed) > limit).any():
        return None
    if col.minimum is not None and (typed < col.minimum).any():
        return None
    if col.maximum is not None and (typed > col.maximum).any():
        return None  # a percentage may yet be read as percent points, with a note: cell by cell
    numbers[~blank] = typed
    numbers[blank] = np.nan if default is None else float(default)
    return numbers


def _report_header(sheet: Sheet, header: Header, columns: tuple[Column, ...], log: IssueLog) -> None:
    for col in columns:
        if col.required and col.name not in header.columns:
            log.error(IssueCode.MISSING_COLUMN, f"The {sheet.name} table has no {col.header!r} column.",
                      f"Add a column headed {col.header!r} to the header row (row {header.row + 1}).",
                      sheet=sheet.name, cell=cell(header.row, 0), column=col.header)
    for c, text in header.extra.items():
        log.info(IssueCode.IGNORED_COLUMN, f"Column {text!r} is not used by sop_xl and was left as it is.",
                 sheet=sheet.name, cell=cell(header.row, c), column=text)


def _value(sheet: Sheet, col: Column, raw: Any, r: int, c: int | None, log: IssueLog, period_type: str) -> Any:
    if raw.__class__ is str:
        text = raw.strip()
        if not text:
            raw = None  # spaces only: blank
        elif col.kind is Kind.TEXT and not col.allowed and len(raw) <= EXCEL_MAX_TEXT and text[0] != "#":
            return text  # plain text (an SKU): nothing to coerce, no Excel error value
    where = dict(sheet=sheet.name, cell=cell(r, c) if c is not None else "", column=col.header, value=shown(raw))
    if raw is None:
        if col.required:
            log.error(IssueCode.MISSING_VALUE, f"{col.header} is empty.",
                      f"Type a {col.kind.value} in {where['cell']}.", **where)
        return col.default
    got = coerce(raw, col.kind, allowed=col.allowed, period_type=period_type, maximum=col.maximum,
                 minimum=col.minimum)
    if got.problem:
        code = {Kind.PERIOD: IssueCode.NOT_A_PERIOD, Kind.DATE: IssueCode.NOT_A_DATE,
                Kind.BOOL: IssueCode.NOT_YES_NO, Kind.INTEGER: IssueCode.NOT_AN_INTEGER}.get(
            col.kind, IssueCode.NOT_A_NUMBER if col.kind in (Kind.NUMBER, Kind.MONEY, Kind.PERCENT)
            else IssueCode.NOT_ALLOWED)
        if got.formula_problem:
            code = IssueCode.FORMULA_ERROR
        elif col.kind is Kind.PERIOD and "years" in got.problem:
            code = IssueCode.OUT_OF_RANGE
        log.error(code, f"{col.header}: {got.problem}.", _hint(col, period_type, formula=got.formula_problem), **where)
        return col.default
    value = got.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        limit = col.magnitude_limit
        if limit is not None and abs(value) > limit:
            log.error(IssueCode.OUT_OF_RANGE, f"{col.header} is {value:.6g}, beyond the plausible {limit:,.0f} for "
                      "this column (a typo, a unit mix-up or a broken formula?).", _hint(col, period_type), **where)
            return col.default
        if col.minimum is not None and value < col.minimum:
            log.error(IssueCode.OUT_OF_RANGE, f"{col.header} is {value:g}, below the minimum {col.minimum:g}.",
                      _hint(col, period_type), **where)
            return col.default
        if col.maximum is not None and value > col.maximum:
            log.error(IssueCode.OUT_OF_RANGE, f"{col.header} is {value:g}, above the maximum {col.maximum:g}.",
                      _hint(col, period_type), **where)
            return col.default
    return value


def shown(raw: Any) -> Any:
    """A raw value as an Issue carries it: long text shortened (the Issues sheet is text too)."""
    if isinstance(raw, str) and len(raw) > 200:
        return _short(raw, 80)
    return raw


def _hint(col: Column, period_type: str = periods.MONTH, *, formula: bool = False) -> str:
    if formula:
        return (f"Fix the formula so it shows a {col.kind.value} (or paste its value), then save the workbook "
                "in Excel so the value is stored" + (", or clear the cell." if not col.required else "."))
    if col.choices:
        return f"Pick one of: {', '.join(col.choices)}."
    parts = {Kind.INTEGER: "a whole number", Kind.NUMBER: "a number", Kind.MONEY: "an amount",
             Kind.PERCENT: "a percentage such as 95%", Kind.DATE: "a date such as 2027-03-31",
             Kind.PERIOD: f"a period such as {periods.example(period_type)}", Kind.BOOL: "yes or no", Kind.TEXT: "text"}
    text = f"Enter {parts[col.kind]}"
    if col.minimum is not None and col.maximum is not None:
        text += f" between {col.minimum:g} and {col.maximum:g}"
    elif col.minimum is not None:
        text += f" of at least {col.minimum:g}"
    if col.unit:
        text += f" ({col.unit})"
    return text + ", or clear the cell to use the default." if not col.required else text + "."


def _typed(series: pd.Series, kind: Kind) -> pd.Series:
    if kind in (Kind.NUMBER, Kind.MONEY, Kind.PERCENT):
        if series.dtype == "float64":   # the fast reader's numbers arrive as floats already
            return series
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if kind is Kind.INTEGER:
        return pd.to_numeric(series, errors="coerce").astype("Int64")
    if kind in (Kind.PERIOD, Kind.DATE):
        return pd.to_datetime(series, errors="coerce")
    if kind is Kind.BOOL:
        return series.astype("boolean")
    return series if series.dtype == object else series.astype(object)


def _check_keys(sheet: Sheet, frame: pd.DataFrame, log: IssueLog, key: tuple[str, ...]) -> None:
    if not key or frame.empty:
        return
    keys = frame[list(key)]
    dup = keys.duplicated(keep="first")
    if not dup.any():
        return
    first_row = {}
    for row, values in zip(frame.index, keys.itertuples(index=False)):
        first_row.setdefault(tuple(values), row)
    letter = frame.attrs["letters"].get(key[0], "A")
    for row, values in zip(frame.index[dup], keys[dup].itertuples(index=False)):
        shown = ", ".join(_show(v) for v in values)
        log.error(IssueCode.DUPLICATE_KEY,
                  f"{shown} appears twice (rows {first_row[tuple(values)]} and {row}).",
                  "Keep one row per key: merge the two rows or delete one.",
                  sheet=sheet.name, cell=f"{letter}{row}", row_key=shown)


def _show(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m")
    return str(value)


# ---------------------------------------------------------------- wide sheets

def read_wide(book: WorkbookAdapter, sheet: Sheet, log: IssueLog, *, period_type: str = periods.MONTH,
              required: bool = True, sum_finer: bool = False) -> pd.DataFrame:
    """A WIDE sheet (keys + one column per period) or its LONG form, as a long frame:
    key columns, `ds` (period start), the value column, and `cell` (its A1 address).
    `sum_finer` (quantities that add up, like history): periods finer than the workbook's (months in a
    quarterly workbook) are summed into its periods (`_sum_finer`); without it they are duplicates."""
    assert sheet.layout is Layout.WIDE and sheet.period_values is not None
    # a 100,000-row sheet makes hundreds of thousands of row lists that all stay alive while it is
    # read: the cyclic collector's passes over them free nothing (about a tenth of the read)
    with gc_paused():
        return _read_wide(book, sheet, log, period_type=period_type, required=required, sum_finer=sum_finer)


def _read_wide(book: WorkbookAdapter, sheet: Sheet, log: IssueLog, *, period_type: str, required: bool,
               sum_finer: bool) -> pd.DataFrame:
    keys = [c.name for c in sheet.columns]
    value_name = sheet.period_values.name
    out_columns = [*keys, "ds", value_name, "cell"]
    grid = read_grid(book, sheet, log, required=required, clean=False)
    if grid is None:
        return pd.DataFrame(columns=out_columns)
    if sheet.long_columns:
        long_header = find_header(grid, sheet.long_columns)
        if long_header and all(c.name in long_header.columns for c in sheet.long_columns if c.required):
            grid = mark_errors(book, _actual_name(book, sheet), _clean(grid))  # read as a table
            # the quantity column must be there, but a blank quantity is missing, not an error
            columns = tuple(dataclasses.replace(c, required=False) if c.name == value_name else c
                            for c in sheet.long_columns)
            key = tuple(c.name for c in sheet.long_columns if c.kind is not Kind.NUMBER)
            frame = parse_table(sheet, grid, log, columns=columns, period_type=period_type, key=())
            letters = frame.attrs.get("letters", {})
            grain = _finer_rows(frame, grid, letters.get("period"), period_type) if sum_finer else None
            _check_keys(sheet, frame, log, key)  # at the grain the rows were typed in
            frame = frame.rename(columns={"period": "ds"})
            frame["cell"] = [f"{letters.get(value_name, 'C')}{r}" for r in frame.index]
            frame = frame.reset_index(drop=True)[out_columns]
            if grain:
                where: dict[pd.Timestamp, str] = {}
                for ds, at in zip(frame["ds"], frame["cell"]):
                    where.setdefault(ds, at)  # a period's first row
                frame = _sum_finer(sheet, frame, keys, value_name, grain, period_type, where, log, rows=True)
            return frame
    header = find_header(grid, sheet.columns, period_type=period_type)
    if header is not None:
        for c, (text, why) in sorted(header.bad_periods.items()):
            log.error(IssueCode.OUT_OF_RANGE, f"Period header {text!r}: {why}; its column is not read.",
                      f"Correct the year in this header cell (e.g. {periods.example(period_type, 2026)}, not "
                      f"{periods.example(period_type, 1926)}).",
                      sheet=sheet.name, cell=cell(header.row, c), value=shown(text))
    if header is None or not header.periods:
        first_two = periods.labels(periods.period_range(pd.Timestamp("2025-01-01"), 2, period_type), period_type)
        log.error(IssueCode.MISSING_TABLE, f"Could not find the header row of {sheet.name}.",
                  f"Put a header row with {', '.join(c.header for c in sheet.columns if c.required)} "
                  f"followed by one column per period (e.g. {', '.join(first_two)}, ...), or use the long layout "
                  f"{', '.join(c.header for c in sheet.long_columns)}.", sheet=sheet.name,
                  cell=cell(header.row, 0) if header is not None else f"A{sheet.header_row}")
        return pd.DataFrame(columns=out_columns)
    _report_header(sheet, header, sheet.columns, log)
    if any(c.required and c.name not in header.columns for c in sheet.columns):
        return pd.DataFrame(columns=out_columns)
    fine = _finer_columns(grid, header, period_type) if sum_finer else None
    if fine is None:
        period_cols = _check_period_header(sheet, header, log, period_type)
    else:  # read at the history's own grain, then summed (gaps show as partial periods there)
        header = dataclasses.replace(header, periods=fine[1])
        period_cols = _check_period_header(sheet, header, log, fine[0], gaps=False)
    if _has_blanks(grid, header, period_cols):  # only then can an error cell hide among the blanks
        grid = mark_errors(book, _actual_name(book, sheet), grid)
    frame = _wide_values(sheet, grid, header, period_cols, log, fine[0] if fine else period_type, out_columns)
    if fine is None:
        return frame
    where = {ts: cell(header.row, c) for c, ts in period_cols}
    return _sum_finer(sheet, frame, keys, value_name, fine[0], period_type, where, log, rows=False)


# ---------------------------------------------------------------- history finer than the workbook's period

def _finer_columns(grid, header: Header, period_type: str) -> tuple[str, dict[int, pd.Timestamp]] | None:
    """(grain, grid column -> period at that grain) when the period headers are finer than the
    workbook's period (several of them fall in one period); None when each header is one period."""
    fine = {c: periods.fine_stamp(grid[header.row][c]) for c in header.periods}
    grain = _finer_grain(list(fine.values()), len(set(header.periods.values())), period_type)
    if grain is None:
        return None
    return grain, {c: periods.period_start(ts, grain) for c, ts in fine.items()}


def _finer_rows(frame: pd.DataFrame, grid, letter: str | None, period_type: str) -> str | None:
    """The grain of a long table's Period cells when finer than the workbook's period (its `period`
    is then set to the period at that grain); None when each row is one period."""
    if letter is None or frame.empty:
        return None
    c = column_index_from_string(letter) - 1
    raw = [grid[r - 1][c] if c < len(grid[r - 1]) else None for r in frame.index]
    # a long history repeats each period once per SKU: each distinct cell value is parsed once
    fine = {v: periods.fine_stamp(v) for v in set(raw)}
    grain = _finer_grain([f for f in fine.values() if f is not None], frame["period"].nunique(), period_type)
    if grain is not None:
        at_grain = {v: None if f is None else periods.period_start(f, grain) for v, f in fine.items()}
        frame["period"] = pd.to_datetime([at_grain[v] for v in raw])
    return grain


def _finer_grain(fine: list[pd.Timestamp], n_periods: int, period_type: str) -> str | None:
    """The history's grain when distinct finer periods share the `n_periods` workbook periods, else None."""
    distinct = set(fine)
    if len(distinct) <= n_periods:
        return None
    grain = periods.grain_of(list(distinct))
    return grain if periods.finer(grain, period_type) else None


def _sum_finer(sheet: Sheet, long: pd.DataFrame, keys: list[str], value: str, grain: str, period_type: str,
               where: dict[pd.Timestamp, str], log: IssueLog, *, rows: bool) -> pd.DataFrame:
    """Finer history (`ds` at `grain`) summed into the workbook's periods. A period is summed only when
    it is whole: every one of its finer periods is in the sheet (else it is left out, with a warning:
    a quarter of two months would understate demand) and has a number (a blank month keeps its
    quarter blank: blank history is never zero)."""
    adjective, plural = periods.GRAIN_NAMES[grain]
    unit = periods.GRAIN_NAMES[period_type][1][:-1]
    starts = {ts: periods.period_start(ts, period_type) for ts in long["ds"].dropna().unique()}
    long = long.assign(bucket=long["ds"].map(starts))
    present: dict[pd.Timestamp, list[pd.Timestamp]] = {}  # the finer periods the sheet has, per period
    for ts in sorted(starts):
        present.setdefault(starts[ts], []).append(ts)
    partial = []
    for bucket, fine in present.items():
        need = periods.grains_in(bucket, grain, period_type)
        if len(fine) < need:
            partial.append(bucket)
            shown = ", ".join(periods.label(f, grain) for f in fine)
            cells = ", ".join(where[f] for f in fine if f in where)
            log.warning(IssueCode.PERIOD_GAP,
                        f"Only {len(fine)} of the {need} {plural} of {periods.label(bucket, period_type)} are in "
                        f"{sheet.name} ({shown}, at {cells}): {periods.label(bucket, period_type)} is left out of "
                        f"the history rather than understated.",
                        f"Add the missing {plural} of {periods.label(bucket, period_type)}, or delete its "
                        f"{'rows' if rows else 'columns'} to silence this.",
                        sheet=sheet.name, cell=where.get(fine[0], ""), value=periods.label(bucket, period_type))
    whole = long[~long["bucket"].isin(partial)]
    grouped = whole.groupby([*keys, "bucket"], sort=True, dropna=False)
    out = grouped.agg(total=(value, "sum"), n=(value, "count"), cell=("cell", "first")).reset_index()
    need = out["bucket"].map({b: periods.grains_in(b, grain, period_type) for b in out["bucket"].unique()})
    blank = out["n"] < need
    out[value] = out["total"].where(~blank)
    out = out.rename(columns={"bucket": "ds"})[[*keys, "ds", value, "cell"]]
    n_fine, n_periods = whole["ds"].nunique(), out["ds"].nunique()
    message = (f"{len(whole) if rows else n_fine} {adjective} {'rows' if rows else 'columns'} summed into "
               f"{n_periods} {unit}s" + (f" ({len(out)} values)" if rows else "") + ".")
    if grain == periods.WEEK:
        message += f" A week counts in the {unit} of its Monday."
    if blank.any():
        message += (f" {int(blank.sum())} {unit}(s) with a blank {grain} stay blank: blank history is not zero.")
    log.info(IssueCode.SUMMED_PERIODS, message,
             f"Nothing to do if that is what you meant; to plan in {plural}, set Period type to {grain} in Settings."
             if grain != periods.DAY else "Nothing to do if that is what you meant.",
             sheet=sheet.name, cell=where.get(min(where), "") if where else "")
    out.attrs["sorted"] = True
    return out


def _actual_name(book: WorkbookAdapter, sheet: Sheet) -> str:
    return {n.lower(): n for n in book.sheet_names()}.get(sheet.name.lower(), sheet.name)


def _has_blanks(grid: list[list[Any]], header: Header, period_cols) -> bool:
    """Does a row below the header leave a key or period cell blank? (C-level `in` per row)"""
    columns = sorted({*(c for c in header.columns.values()), *(c for c, _ in period_cols)})
    if not columns:
        return False
    first, last = columns[0], columns[-1] + 1
    for row in grid[header.row + 1:]:
        if len(row) < last or None in row[first:last]:
            return True
    return False


def _check_period_header(sheet: Sheet, header: Header, log: IssueLog, period_type: str, *, gaps: bool = True
                         ) -> list[tuple[int, pd.Timestamp]]:
    seen: dict[pd.Timestamp, int] = {}
    kept: list[tuple[int, pd.Timestamp]] = []
    for c, ts in sorted(header.periods.items()):
        if ts in seen:
            log.error(IssueCode.DUPLICATE_KEY,
                      f"Period {periods.label(ts, period_type)} has two columns "
                      f"({cell(header.row, seen[ts])} and {cell(header.row, c)}).",
                      "Keep one column per period: add the two columns together into one.",
                      sheet=sheet.name, cell=cell(header.row, c), value=periods.label(ts, period_type))
            continue
        seen[ts] = c
        kept.append((c, ts))
    stamps = sorted(seen) if gaps else []
    for a, b in zip(stamps, stamps[1:]):
        gap = periods.periods_between(a, b, period_type)
        if gap > 1:
            log.warning(IssueCode.PERIOD_GAP,
                        f"No column for {gap - 1} period(s) between {periods.label(a, period_type)} and "
                        f"{periods.label(b, period_type)}; they are treated as missing history.",
                        "Insert the missing period columns (blank cells are fine) if you have the numbers.",
                        sheet=sheet.name, cell=cell(header.row, seen[b]))
    return kept


def _wide_values(sheet: Sheet, grid, header: Header, period_cols, log: IssueLog, period_type: str,
                 out_columns: list[str]) -> pd.DataFrame:
    """The period cells of a wide sheet as a long frame. Plain numbers take a fast path (a
    history of 10,000 SKUs x 60 months is 600,000 cells); anything else goes through `coerce`.
    Longer than 60 lines on purpose: the per-row loop is the hot path of every read and keeps its
    fast cases inline (no call per row); the slow path and the frame assembly are helpers."""
    values_col = sheet.period_values
    keys = [c.name for c in sheet.columns]
    key_cols = [(c, header.columns.get(c.name)) for c in sheet.columns]
    p_idx = [c for c, _ in period_cols]
    stamps = [ts for _, ts in period_cols]
    letters = [get_column_letter(c + 1) for c in p_idx]
    key_rows: list[tuple] = []
    excel_rows: list[int] = []
    blocks: list[np.ndarray] = []
    first_seen: dict[tuple, int] = {}
    width = max(p_idx) + 1 if p_idx else 0
    limit = values_col.magnitude_limit
    # what people type is checked against the column's bounds; sop_xl's own output sheets are not
    minimum = values_col.minimum if sheet.role is not Role.OUTPUT else None
    check_limits = limit is not None or minimum is not None
    contiguous = bool(p_idx) and p_idx == list(range(p_idx[0], p_idx[-1] + 1))
    single_key = (key_cols[0][0], key_cols[0][1]) if len(key_cols) == 1 and key_cols[0][1] is not None \
        and key_cols[0][1] < width else None
    first_p, last_p = (p_idx[0], p_idx[-1] + 1) if p_idx else (0, 0)
    if single_key and contiguous:
        whole = _whole_block(sheet, grid, header, single_key, first_p, last_p, minimum, limit)
        if whole is not None:
            key_rows, excel_rows, values = whole
            return _long_frame(keys, key_rows, excel_rows, values, stamps, letters, values_col.name, out_columns)
    for r in range(header.row + 1, len(grid)):
        raw = grid[r]
        if len(raw) < width:
            raw = raw + [None] * (width - len(raw))
        cells = raw[first_p:last_p] if contiguous else [raw[c] for c in p_idx]
        if single_key:  # one key column (an SKU): no per-row lists and generators
            k_raw = raw[single_key[1]]
            if _blankish(k_raw) and all(_blankish(v) for v in cells):
                continue
            k = _value(sheet, single_key[0], k_raw, r, single_key[1], log, period_type)
            if k is None:
                continue  # reported as missing; its numbers cannot be attributed to an SKU
            key = (k,)
        else:
            key_raw = [raw[c] if c is not None and c < len(raw) else None for _, c in key_cols]
            if all(_blankish(v) for v in key_raw) and all(_blankish(v) for v in cells):
                continue
            key_values = [_value(sheet, col, v, r, c, log, period_type)
                          for (col, c), v in zip(key_cols, key_raw)]
            if any(v is None for v, (col, _) in zip(key_values, key_cols) if col.required):
                continue  # reported as missing; its numbers cannot be attributed to an SKU
            key = tuple(key_values)
        if key in first_seen:
            log.error(IssueCode.DUPLICATE_KEY, f"{', '.join(map(str, key))} appears twice "
                      f"(rows {first_seen[key]} and {r + 1}).",
                      "Keep one row per SKU: add the two rows together into one.",
                      sheet=sheet.name, cell=cell(r, key_cols[0][1] or 0), row_key=", ".join(map(str, key)))
            continue
        first_seen[key] = r + 1
        if set(map(type, cells)) <= _PLAIN:  # numbers and blanks (None -> NaN): converted in C at the end
            key_rows.append(key)
            excel_rows.append(r + 1)
            blocks.append(cells)
            continue
        key_rows.append(key)
        excel_rows.append(r + 1)
        blocks.append(_coerced_cells(sheet, cells, r, key, stamps, letters, log, period_type))
    n, p = len(key_rows), len(p_idx)
    try:
        values = np.array(blocks, dtype=float) if blocks else np.empty((0, p))
    except OverflowError:  # an integer beyond any float (10**400): infinite, refused by the bound check
        values = np.array([[_float(v) for v in b] for b in blocks], dtype=float)
    if check_limits and n:
        _check_numbers(sheet, values_col, values, letters, stamps, excel_rows, key_rows, log, period_type,
                       minimum=minimum)
    return _long_frame(keys, key_rows, excel_rows, values, stamps, letters, values_col.name, out_columns)


def _whole_block(sheet: Sheet, grid, header: Header, single_key: tuple[Column, int], first_p: int, last_p: int,
                 minimum: float | None, limit: float | None) -> tuple[list[tuple], list[int], np.ndarray] | None:
    """(keys, Excel rows, values) of a wide sheet whose every row has a plain, distinct text key and only
    numbers or blanks in its period cells, converted in one go; None for anything else (a blank or
    numeric key, a duplicate, text in a period cell, a value out of bounds), which `_wide_values` reads
    row by row and reports. Checks run in C over the whole sheet: the row loop cost about as much as
    calamine's own parse."""
    from itertools import chain

    body = grid[header.row + 1:]
    if not body:
        return None
    k = single_key[1]
    width = last_p
    if min(map(len, body)) < width:
        return None
    raw_keys = [row[k] for row in body]
    if set(map(type, raw_keys)) != {str}:
        return None
    key_text = [v.strip() for v in raw_keys]
    if (not all(key_text) or any(t[0] == "#" for t in key_text)
            or max(map(len, raw_keys)) > EXCEL_MAX_TEXT or len(set(key_text)) < len(key_text)):
        return None
    cells = [row[first_p:last_p] for row in body]
    if not set(map(type, chain.from_iterable(cells))) <= _PLAIN:
        return None
    try:
        values = np.array(cells, dtype=float)
    except (OverflowError, ValueError):
        return None
    with np.errstate(invalid="ignore"):
        if limit is not None and (np.abs(values) > limit).any():
            return None
        if minimum is not None and (values < minimum).any():
            return None
    first = header.row + 2
    return [(t,) for t in key_text], list(range(first, first + len(body))), values


def _coerced_cells(sheet: Sheet, cells: list, r: int, key: tuple, stamps, letters, log: IssueLog,
                   period_type: str) -> np.ndarray:
    """One row's period cells that are not all plain numbers: each coerced, or reported by cell."""
    values_col = sheet.period_values
    numbers = np.full(len(cells), np.nan)
    for j, v in enumerate(cells):
        if _blankish(v):
            continue
        if v.__class__ is float or v.__class__ is int:
            numbers[j] = v
            continue
        got = coerce(v, values_col.kind, period_type=period_type)
        if got.problem:
            code = IssueCode.FORMULA_ERROR if got.formula_problem else IssueCode.NOT_A_NUMBER
            log.error(code, f"{values_col.header} for {periods.label(stamps[j], period_type)}: {got.problem}.",
                      "Type a number, or clear the cell if the quantity is unknown.",
                      sheet=sheet.name, cell=f"{letters[j]}{r + 1}", row_key=", ".join(map(str, key)), value=v)
        else:
            numbers[j] = float(got.value)
    return numbers


def _long_frame(keys: list[str], key_rows: list[tuple], excel_rows: list[int], values: np.ndarray, stamps,
                letters: list[str], values_name: str, out_columns: list[str]) -> pd.DataFrame:
    """The long frame of a wide sheet's values: keys, ds, the value and its cell address."""
    n, p = len(key_rows), len(stamps)
    data: dict[str, Any] = {}
    for i, name in enumerate(keys):
        data[name] = np.repeat(np.array([k[i] for k in key_rows], dtype=object), p)
    data["ds"] = np.tile(np.array(stamps, dtype="datetime64[ns]"), n)
    data[values_name] = values.ravel().astype("float64", copy=False)
    numbers = [str(r) for r in excel_rows]
    data["cell"] = np.array([letter + row for row in numbers for letter in letters], dtype=object) \
        if n else np.array([], dtype=object)
    frame = pd.DataFrame(data, columns=out_columns, copy=False)
    frame.attrs["sorted"] = _keys_sorted(key_rows) and stamps == sorted(stamps)
    return frame


def _keys_sorted(keys: list[tuple]) -> bool:
    try:
        return all(a < b for a, b in zip(keys, keys[1:]))
    except TypeError:
        return False


def _float(v: Any) -> float:
    if v is None:
        return np.nan
    try:
        return float(v)
    except OverflowError:
        return np.inf if v > 0 else -np.inf


def _blankish(v: Any) -> bool:
    return v is None or (v.__class__ is str and not v.strip())


def _check_numbers(sheet: Sheet, col: Column, numbers: np.ndarray, letters: list[str], stamps: list,
                   excel_rows: list[int], key_rows: list[tuple], log: IssueLog, period_type: str, *,
                   minimum: float | None) -> None:
    """Period values (rows x periods) beyond the column's plausible bound, or below its minimum: an
    error at each cell, and the value is not used (NaN). One vectorised test; cells only when one fails."""
    limit = col.magnitude_limit
    with np.errstate(invalid="ignore"):
        bad = np.zeros(numbers.shape, dtype=bool)
        if limit is not None:
            bad |= np.abs(numbers) > limit
        if minimum is not None:
            bad |= numbers < minimum
    if not bad.any():
        return
    for i, j in zip(*np.nonzero(bad)):
        value = float(numbers[i, j])
        r, key = excel_rows[i] - 1, key_rows[i]
        if limit is not None and abs(value) > limit:
            message = (f"{col.header} for {periods.label(stamps[j], period_type)} is {value:.6g}, beyond the "
                       f"plausible {limit:,.0f} (a typo, a unit mix-up or a broken formula?).")
        else:
            message = (f"{col.header} for {periods.label(stamps[j], period_type)} is {value:g}, below the "
                       f"minimum {minimum:g}.")
        log.error(IssueCode.OUT_OF_RANGE, message, "Correct the number, or clear the cell if it is unknown.",
                  sheet=sheet.name, cell=f"{letters[j]}{r + 1}", column=col.header,
                  row_key=", ".join(map(str, key)), value=value)
        numbers[i, j] = np.nan


def read_history(book: WorkbookAdapter, settings: Settings, log: IssueLog, *, required: bool = True
                 ) -> pd.DataFrame:
    """DemandHistory as the forecasting long frame `unique_id, ds, y` (plus `cell`).

    Blank cells stay NaN (missing, not zero): the forecast's cleansing decides what they mean. A
    negative quantity (returns above shipments) is read as it is and reported as a warning at its cell,
    unless the setting Returns net demand says such history is expected.
    """
    long = read_wide(book, _HISTORY_READ, log, period_type=settings.period_type,
                     required=required, sum_finer=True)
    if not settings.get("returns_net_demand", False):
        _warn_negative(long, settings.period_type, log)
    frame = long.rename(columns={"sku": "unique_id", "quantity": "y"}, copy=False)
    if list(frame.columns) != ["unique_id", "ds", "y", "cell"]:
        frame = frame[["unique_id", "ds", "y", "cell"]]
    if long.attrs.get("sorted") and isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0:
        return frame  # already in (SKU, period) order: no 600,000-row sort and copy
    frame = frame.sort_values(["unique_id", "ds"], kind="stable")
    return frame.reset_index(drop=True)


# DemandHistory as read: a negative quantity is a warning (read_history), not a refusal
_HISTORY_READ = dataclasses.replace(
    DEMAND_HISTORY,
    period_values=dataclasses.replace(DEMAND_HISTORY.period_values, minimum=None),
    long_columns=tuple(dataclasses.replace(c, minimum=None) if c.name == "quantity" else c
                       for c in DEMAND_HISTORY.long_columns))

NEGATIVE_HISTORY_SHOWN = 20  # one warning per cell up to this many, then one summary line


def _warn_negative(long: pd.DataFrame, period_type: str, log: IssueLog) -> None:
    if long.empty:
        return
    negative = long[long["quantity"] < 0]
    for sku, ds, y, where in negative[["sku", "ds", "quantity", "cell"]].head(NEGATIVE_HISTORY_SHOWN).itertuples(
            index=False):
        log.warning(IssueCode.OUT_OF_RANGE,
                    f"Negative demand {y:g} for {sku} in {periods.label(ds, period_type)} (returns above "
                    "shipments?); the forecast reads it as 0 and lists it on CleansingLog.",
                    "Correct the quantity, or set Returns net demand to yes in Settings if your history is net "
                    "of returns.", sheet=DEMAND_HISTORY.name, cell=where, column="Quantity", row_key=str(sku),
                    value=y)
    if len(negative) > NEGATIVE_HISTORY_SHOWN:
        first = negative.iloc[NEGATIVE_HISTORY_SHOWN]
        log.warning(IssueCode.OUT_OF_RANGE, f"{len(negative) - NEGATIVE_HISTORY_SHOWN} more negative demand "
                    "cell(s) in DemandHistory (the first of them here).",
                    "Correct them, or set Returns net demand to yes in Settings.",
                    sheet=DEMAND_HISTORY.name, cell=first["cell"], column="Quantity")


def read_settings(book: WorkbookAdapter, log: IssueLog) -> Settings:
    grid = read_grid(book, SETTINGS, log, required=False)
    if grid is None:
        near = renamed_from(SETTINGS.name, book.sheet_names())
        if near:  # the planner's settings are there under another name: defaults would silently replace them
            log.error(IssueCode.MISSING_SHEET, f"The workbook has no sheet 'Settings' (is {near!r} it, renamed?).",
                      f"Rename the sheet {near!r} back to Settings.", sheet=SETTINGS.name)
        else:
            log.warning(IssueCode.MISSING_SHEET, "No Settings sheet: every setting takes its default.",
                        "Add a Settings sheet (sop-xl build-template writes one) to change them.", sheet="Settings")
        return parse_settings([], log)
    frame = parse_table(SETTINGS, grid, log, required=False)
    letters = frame.attrs.get("letters", {})
    entries = [(row, frame.at[row, "setting"], _raw_value(grid, row, letters.get("value")))
               for row in frame.index]
    return parse_settings(entries, log, value_letter=letters.get("value", "B"))


def _raw_value(grid, row: int, letter: str | None) -> Any:
    """The Value column is read raw: each setting has its own kind."""
    if letter is None:
        return None
    c = column_index_from_string(letter) - 1
    line = grid[row - 1]
    return line[c] if c < len(line) else None


# ---------------------------------------------------------------- writing helpers

def to_wide(long: pd.DataFrame, keys: list[str], value: str, *, period_type: str,
            ds: str = "ds") -> pd.DataFrame:
    """Long `keys, ds, value` to the planner's layout: keys then one column per period label."""
    if long.empty:
        return pd.DataFrame(columns=keys)
    table = long.pivot_table(index=keys, columns=ds, values=value, aggfunc="sum", sort=True, dropna=False)
    table = table.reindex(columns=sorted(table.columns))
    table.columns = periods.labels(table.columns, period_type)
    return table.reset_index()


def period_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of a wide frame whose names are period labels."""
    return [c for c in frame.columns if isinstance(c, str) and periods.parse_period(c) is not None
            and (len(c) == 7 or "-W" in c)]
