from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl


def write_raw(path: Path, sheets: dict[str, list[list[Any]]], *, merge: dict[str, str] | None = None) -> Path:
    """A workbook as a user would make it by hand: plain cells, no product tables."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if merge and name in merge:
            ws.merge_cells(merge[name])
    wb.save(path)
    return path


ITEMS_HEADER = ["SKU", "Description", "Family", "Price", "Unit cost"]
