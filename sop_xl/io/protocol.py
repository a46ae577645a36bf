"""What every workbook adapter does: hand out raw cell grids, take whole tables.

Parsing (headers, types, issues) and formatting decisions are shared code in
`sop_xl.io.tables`; an adapter only moves values. Writes are staged and happen together
in `save()`, so a stage that fails half way leaves the workbook as it was.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence, runtime_checkable

import pandas as pd

from ..charts import ChartSpec
from ..contract import Sheet


@runtime_checkable
class WorkbookAdapter(Protocol):
    name: str  # for messages: a file name, or the open workbook's name

    def sheet_names(self) -> list[str]:
        """Names of the sheets as they are now (staged writes included)."""

    def read_grid(self, sheet_name: str) -> list[list[Any]]:
        """The used range of a sheet from A1, as rows of Python values (None for blank cells).

        Numbers are int/float, dates datetime, text str, booleans bool. Formulas give their
        cached value. Staged (not yet saved) writes are visible to later reads.
        """

    def write_table(self, sheet: Sheet, frame: pd.DataFrame, *, charts: Sequence[ChartSpec] = (),
                    period_type: str = "month") -> None:
        """Stage `frame` as the Excel Table of `sheet` (columns: the sheet's column names;
        for WIDE sheets, key columns followed by period-label columns). Timestamps in PERIOD
        columns are written as labels of `period_type`. Text is always written as text, never
        as a formula, even when it starts with "="."""

    def save(self) -> None:
        """Apply staged writes to the workbook in one go."""
