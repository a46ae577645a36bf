"""An in-memory workbook: the adapter tests and the ribbon stand-in run against.

It keeps sheets as grids of values and records tables, named ranges and charts the way
the file adapter lays them out, so a command gives the same cells through either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import pandas as pd

from ..charts import ChartSpec
from ..contract import Layout, Sheet
from .layout import TableBlock, layout_table


@dataclass
class MemoryWorkbook:
    name: str = "memory"
    grids: dict[str, list[list[Any]]] = field(default_factory=dict)
    tables: dict[str, TableBlock] = field(default_factory=dict)     # sheet name -> last table written
    charts: dict[str, list[ChartSpec]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)              # defined name -> "Sheet!$B$5"
    saves: int = 0

    @classmethod
    def from_grids(cls, grids: dict[str, list[list[Any]]], name: str = "memory") -> "MemoryWorkbook":
        return cls(name=name, grids={k: [list(r) for r in v] for k, v in grids.items()})

    def sheet_names(self) -> list[str]:
        return list(self.grids)

    def read_grid(self, sheet_name: str) -> list[list[Any]]:
        return [list(row) for row in self.grids[sheet_name]]

    def write_table(self, sheet: Sheet, frame: pd.DataFrame, *, charts: Sequence[ChartSpec] = (),
                    period_type: str = "month") -> None:
        self.write_block(layout_table(sheet, frame, period_type=period_type), charts)

    def write_block(self, block: TableBlock, charts: Sequence[ChartSpec] = ()) -> None:
        sheet = block.sheet
        grid = self.grids.setdefault(sheet.name, [])
        old = self.tables.get(sheet.name)
        if old is not None:
            _blank(grid, 0, old.last_row, old.n_columns)
        else:
            _blank(grid, 0, block.header_row - 1, block.n_columns)
        _put(grid, 0, 0, block.title)
        _put(grid, 1, 0, block.subtitle)
        for c, text in enumerate(block.header):
            _put(grid, block.header_row - 1, c, text)
        for r, row in enumerate(block.rows):
            for c, value in enumerate(row):
                _put(grid, block.header_row + r, c, value)
        self.tables[sheet.name] = block
        self.charts[sheet.name] = list(charts)
        if sheet.layout is Layout.SETTINGS:
            value_col = sheet.column_names().index("value")
            letter = chr(ord("A") + value_col)
            for r, row in enumerate(block.rows):
                spec = next((s for s in sheet.settings if s.matches(row[0])), None)
                if spec:
                    self.names[spec.range_name] = f"{sheet.name}!${letter}${block.header_row + 1 + r}"

    def forget(self, names) -> None:
        """Drop these sheets' grids and tables (an adapter's overlay forgetting staged writes)."""
        for name in names:
            self.grids.pop(name, None)
            self.tables.pop(name, None)
            self.charts.pop(name, None)

    def save(self) -> None:
        self.saves += 1


def _put(grid: list[list[Any]], r: int, c: int, value: Any) -> None:
    while len(grid) <= r:
        grid.append([])
    row = grid[r]
    while len(row) <= c:
        row.append(None)
    row[c] = value


def _blank(grid: list[list[Any]], first: int, last_row: int, n_columns: int) -> None:
    for r in range(first, min(last_row, len(grid))):
        row = grid[r]
        for c in range(min(n_columns, len(row))):
            row[c] = None
