from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

from sop_xl.contract import SETTINGS
from sop_xl.io.tables import read_settings
from sop_xl.issues import IssueLog


def edit(path: Path, cells: dict[str, dict[str, Any]]) -> Path:
    """Type values into cells as a user would (openpyxl: a string starting with "=" is a formula
    saved without a calculated value; "#DIV/0!" is an error cell)."""
    wb = openpyxl.load_workbook(path)
    for sheet, values in cells.items():
        for ref, value in values.items():
            wb[sheet][ref] = value
    wb.save(path)
    return path


def issues_at(issues, sheet: str, cell: str) -> list:
    return [i for i in issues if i.sheet == sheet and i.cell == cell]


def settings_cell(book, key: str) -> str:
    """The Value cell of a setting in this workbook (appended below the table when the workbook has none)."""
    settings = read_settings(book, IssueLog())
    cell = settings.cell(key)
    if cell:
        return cell
    grid = book.read_grid("Settings")
    row = len(grid) + 1
    label = SETTINGS.setting(key).label
    edit(Path(book.path), {"Settings": {f"A{row}": label}})
    return f"B{row}"
