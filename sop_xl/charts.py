"""Charts as data: a command says what to draw, each workbook adapter draws it natively.

A chart refers to columns of a table the same command writes, by column name and by a
slice of data rows, so it stays right wherever the adapter placed the table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Series:
    column: str            # pandas name of a column of the data table
    label: str = ""        # legend text; default: the column's header
    color: str = ""        # hex RGB, e.g. "1F77B4"; "" lets Excel choose
    dashed: bool = False


@dataclass(frozen=True)
class ChartSpec:
    title: str
    data_sheet: str                 # contract sheet name holding the data table
    categories: str                 # column with the x-axis labels (e.g. "period")
    series: tuple[Series, ...]
    kind: str = "line"              # line | column | bar | area
    rows: tuple[int, int] | None = None  # [start, stop) data rows; None = all rows
    anchor: str = ""                # top-left cell on the data sheet; "" = right of the table
    y_title: str = ""
    x_title: str = ""
    width_cm: float = 16.0
    height_cm: float = 7.5
    stacked: bool = False


@dataclass(frozen=True)
class Highlight:
    """Conditional formatting as data, passed with a table's charts: cells of `column` (or their
    whole table rows) whose text equals one of `fills`' values get that fill. Adapters that cannot
    draw it ignore it."""

    column: str                          # pandas name of a column of the table
    fills: tuple[tuple[str, str], ...]   # (cell text, hex RGB fill), e.g. (("off track", "FFC7CE"),)
    whole_row: bool = False
