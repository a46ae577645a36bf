"""Where a value of an input frame sits in Excel, so a message can name the cell.

Frames read from a workbook carry the Excel row number as index. Frames built in Python
(the API, tests) have a 0-based RangeIndex: we then name the cell the row would have if
the frame were pasted into the contract's table, which is what a planner would do.
The column letter comes from the frame's ``attrs["letters"]`` (set by `sop_xl.io.tables`
from the header it found), else from the column's position in the contract.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..contract import Sheet
from ..issues import column_letter


def excel_row(frame: pd.DataFrame, sheet: Sheet, index_value: Any) -> int:
    if _has_excel_rows(frame, sheet):
        return int(index_value)
    return sheet.header_row + 1 + int(frame.index.get_loc(index_value))


def cell(frame: pd.DataFrame, sheet: Sheet, column: str, index_value: Any) -> str:
    letters = frame.attrs.get("letters", {})
    letter = letters.get(column)
    if not letter and letters:
        return ""  # read from a workbook whose table has no such column: there is no cell to name
    if not letter:
        names = sheet.column_names()
        letter = column_letter(names.index(column) + 1) if column in names else ""
    return f"{letter}{excel_row(frame, sheet, index_value)}"


def _has_excel_rows(frame: pd.DataFrame, sheet: Sheet) -> bool:
    if "letters" in frame.attrs:  # read from a workbook: the index is the Excel row
        return True
    if isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0:
        return False
    try:
        return bool(len(frame) == 0 or (frame.index.astype(int) > sheet.header_row).all())
    except (TypeError, ValueError):
        return False
