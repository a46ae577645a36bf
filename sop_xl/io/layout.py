"""Where and how a contract table sits on its sheet, decided once for every adapter.

A product sheet has a title row, a description row, then the Excel Table (header on
`sheet.header_row`). `layout_table` turns a frame into plain cell values plus the
formatting facts (number formats, widths, validation lists) an adapter applies natively.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from .. import periods
from ..contract.schema import Column, Kind, Layout, Sheet

PERIOD_WIDTH = 10.0


@dataclass(frozen=True)
class Validation:
    column: int           # 0-based column in the table
    choices: tuple[str, ...] = ()
    formula: str = ""     # list source formula, e.g. =INDIRECT("tblResources[Resource]")


@dataclass
class TableBlock:
    sheet: Sheet
    title: str
    subtitle: str
    header: list[str]
    columns: list[list[Any]]   # the data cells, a list per column (as laid out: a column at a time)
    formats: list[str]
    widths: list[float]
    validations: list[Validation] = field(default_factory=list)
    key_columns: int = 1

    @property
    def header_row(self) -> int:  # 1-based
        return self.sheet.header_row

    @property
    def n_columns(self) -> int:
        return len(self.header)

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    @functools.cached_property
    def rows(self) -> list[list[Any]]:
        """The data cells a row at a time (made when first asked for: the save's splice of a big table
        reads the columns and never needs them)."""
        return [list(r) for r in zip(*self.columns)]

    def head(self, n: int) -> list[list[Any]]:
        """The first `n` data rows."""
        return [list(r) for r in zip(*(c[:n] for c in self.columns))]

    @property
    def last_row(self) -> int:
        # an Excel Table needs at least one data row
        return self.header_row + max(self.n_rows, 1)

    @property
    def ref(self) -> str:
        return f"A{self.header_row}:{get_column_letter(self.n_columns)}{self.last_row}"

    def column_range(self, index: int) -> str:
        letter = get_column_letter(index + 1)
        return f"{letter}{self.header_row + 1}:{letter}{self.last_row}"


def title_of(sheet: Sheet) -> tuple[str, str]:
    role = {"input": "input", "output": "written by sop_xl", "both": "seeded by sop_xl, yours to edit"}
    return sheet.name, f"{sheet.description}  ·  Owner: {sheet.owner.value}  ·  {role[sheet.role.value]}"


def layout_table(sheet: Sheet, frame: pd.DataFrame, *, period_type: str = periods.MONTH) -> TableBlock:
    declared = list(sheet.columns)
    names = [c.name for c in declared]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ValueError(f"frame for {sheet.name} lacks columns {missing}")
    extra = [c for c in frame.columns if c not in names]
    if extra and sheet.layout is not Layout.WIDE:
        raise ValueError(f"frame for {sheet.name} has undeclared columns {extra}")
    value_col = sheet.period_values
    columns: list[Column] = declared + [
        Column(str(c), value_col.kind if value_col else Kind.NUMBER, header=str(c),
               number_format=value_col.excel_format if value_col else "", width=PERIOD_WIDTH)
        for c in extra
    ]
    order = names + extra
    header = [c.header for c in columns]
    if len(set(h.lower() for h in header)) != len(header):
        raise ValueError(f"duplicate headers in {sheet.name}: {header}")
    data = frame[order]
    by_column = [_column_values(data.iloc[:, i], col.kind, period_type) for i, col in enumerate(columns)]
    validations = []
    for i, col in enumerate(declared):
        if col.choices:
            validations.append(Validation(i, choices=col.choices))
        elif col.lookup:
            table_sheet, _, column = col.lookup.partition(".")
            validations.append(Validation(i, formula=f'=INDIRECT("tbl{table_sheet}[{_lookup_header(col)}]")'))
    title, subtitle = title_of(sheet)
    return TableBlock(
        sheet=sheet, title=title, subtitle=subtitle, header=header, columns=by_column,
        formats=[c.excel_format for c in columns],
        widths=[c.width or max(10.0, min(40.0, len(c.header) + 2)) for c in columns],
        validations=validations,
        key_columns=max(1, len(sheet.key)) if sheet.freeze_key_columns else 0,
    )


def _lookup_header(col: Column) -> str:
    # the lookup target is declared as "<Sheet>.<column name>"; resolve to that column's header
    from ..contract import WORKBOOK
    sheet_name, _, column = col.lookup.partition(".")
    return WORKBOOK.sheet(sheet_name).column(column).header


def _column_values(series: pd.Series, kind: Kind, period_type: str) -> list[Any]:
    """One column as plain Python cell values; numeric columns without a per-cell loop."""
    if pd.api.types.is_float_dtype(series.dtype) and kind is not Kind.BOOL:
        values = series.to_numpy(dtype=float)
        out = values.astype(object)
        out[np.isnan(values)] = None
        return out.tolist()
    if pd.api.types.is_integer_dtype(series.dtype) and series.dtype != object and not series.isna().any():
        return series.astype("int64").tolist()
    values = series.tolist()
    if {v.__class__ for v in values} <= {str, type(None)}:  # keys and labels: only "" becomes blank
        return [v if v else None for v in values]
    return [_excel_value(v, kind, period_type) for v in values]


def _excel_value(value: Any, kind: Kind, period_type: str) -> Any:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        ts = pd.Timestamp(value)
        if kind is Kind.PERIOD:
            return periods.label(ts, period_type)
        return ts.to_pydatetime()
    if kind is Kind.BOOL and isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return value
