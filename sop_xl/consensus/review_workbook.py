"""Draw one department's review copy as an .xlsx (openpyxl): no macros, plain Excel.

Sheets: Instructions; the department's input table (the only unlocked cells, with
validation lists and number checks); read-only context (History, Statistical,
LastConsensus, ...); a hidden Lists sheet feeding the drop-downs; and the manifest on a
veryHidden sheet. Every sheet is protected and the workbook structure is locked, so sheets
cannot be renamed, moved or added by accident. Protection is a guard against slips, not
security: the manifest digest kept in the master is what detects tampering.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from ..contract.schema import Kind
from .audit import safe_text
from .manifest import Manifest
from .review import ReviewPackage

MANIFEST_SHEET = "Manifest"
LISTS_SHEET = "Lists"
INPUT_ROWS = 300
HEADER_ROW = 3
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")   # the cells a department may type in
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
NOTE_FONT = Font(italic=True, size=9, color="595959")


def put(ws, row: int, col: int, value: Any):
    """Write a value; text is always text (a leading "=" never becomes a formula)."""
    if isinstance(value, str):
        value = safe_text(value, limit=32_000)
    elif value is not None and not isinstance(value, (int, float, bool)) and pd.isna(value):
        value = None
    elif isinstance(value, float) and value != value:
        value = None
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        cell.data_type = "s"
    return cell


def _protect(ws) -> None:
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # allowed: widening a column does no harm
    ws.protection.autoFilter = False
    ws.protection.sort = True


def _instructions(wb: Workbook, package: ReviewPackage, manifest: Manifest) -> None:
    ws = wb.active
    ws.title = "Instructions"
    put(ws, 1, 1, f"{package.department.name} review · cycle {package.cycle}").font = TITLE_FONT
    put(ws, 2, 1, f"Issued {manifest.issued_at} from {manifest.master} · copy {manifest.copy_id}").font = NOTE_FONT
    row = 4
    for line in package.instructions:
        put(ws, row, 1, "• " + line).alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    row += 1
    put(ws, row, 1, f"Columns of {package.department.sheet.name}").font = Font(bold=True)
    row += 1
    for col in package.department.sheet.columns:
        unit = f" ({col.unit})" if col.unit else ""
        put(ws, row, 1, f"{col.header}{unit}: {col.description or col.kind.value}")
        row += 1
    row += 1
    put(ws, row, 1, "Context sheets (read-only): " + ", ".join(package.context)).font = NOTE_FONT
    ws.column_dimensions["A"].width = 120
    _protect(ws)


def _list_refs(package: ReviewPackage) -> tuple[str, str]:
    last_a = max(2, len(package.choices) + 1)
    last_b = max(2, len(package.period_labels) + 1)
    return f"{LISTS_SHEET}!$A$2:$A${last_a}", f"{LISTS_SHEET}!$B$2:$B${last_b}"


def _lists(wb: Workbook, package: ReviewPackage) -> None:
    ws = wb.create_sheet(LISTS_SHEET)
    put(ws, 1, 1, "choices")
    put(ws, 1, 2, "periods")
    for r, text in enumerate(package.choices, start=2):
        put(ws, r, 1, text)
    for r, text in enumerate(package.period_labels, start=2):
        put(ws, r, 2, text)
    ws.sheet_state = "hidden"
    _protect(ws)


def _input_sheet(wb: Workbook, package: ReviewPackage, choices_ref: str, periods_ref: str, rows: int) -> None:
    sheet = package.department.sheet
    ws = wb.create_sheet(sheet.name)
    put(ws, 1, 1, sheet.name).font = TITLE_FONT
    put(ws, 2, 1, sheet.description + "  ·  Type only in the yellow cells.").font = NOTE_FONT
    first, last = HEADER_ROW + 1, HEADER_ROW + rows
    for c, col in enumerate(sheet.columns, start=1):
        cell = put(ws, HEADER_ROW, c, col.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = col.width or 14
        for r in range(first, last + 1):
            target = ws.cell(row=r, column=c)
            target.protection = Protection(locked=False)
            target.fill = INPUT_FILL
            target.number_format = col.excel_format
        letter = get_column_letter(c)
        area = f"{letter}{first}:{letter}{last}"
        dv = _validation(col, package, choices_ref, periods_ref)
        if dv is not None:
            dv.add(area)
            ws.add_data_validation(dv)
    ws.row_dimensions[HEADER_ROW].height = 30
    table = Table(displayName=sheet.table, ref=f"A{HEADER_ROW}:{get_column_letter(len(sheet.columns))}{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=False)
    ws.add_table(table)
    ws.freeze_panes = f"A{first}"
    _protect(ws)


def _validation(col, package: ReviewPackage, choices_ref: str, periods_ref: str) -> DataValidation | None:
    """Drop-downs from the Lists sheet, number ranges, text length (formulas without "=": OOXML form)."""
    name = col.name
    if name in ("item", "resource"):
        what = "resource" if name == "resource" else "SKU or family"
        return DataValidation(type="list", formula1=choices_ref, allow_blank=True, showErrorMessage=True,
                              errorTitle=f"Unknown {what}", error=f"Pick a {what} from the list.",
                              promptTitle=col.header, prompt=f"Pick a {what} from the list.")
    if name == "period":
        return DataValidation(type="list", formula1=periods_ref, allow_blank=True, showErrorMessage=True,
                              errorTitle="Period outside the horizon", error="Pick a period from the list.")
    if col.kind in (Kind.NUMBER, Kind.MONEY, Kind.PERCENT, Kind.INTEGER):
        low = -1e12 if col.minimum is None else col.minimum
        high = 1e12 if col.maximum is None else col.maximum
        shown = f"{low:g} to {high:g}" if col.kind is not Kind.PERCENT else f"{low:.0%} to {high:.0%}"
        return DataValidation(type="decimal", operator="between", formula1=str(low), formula2=str(high),
                              allow_blank=True, showErrorMessage=True, errorTitle=f"{col.header}: not allowed",
                              error=f"Enter a number from {shown}.")
    return DataValidation(type="textLength", operator="lessThanOrEqual", formula1="500", allow_blank=True,
                          showErrorMessage=True, errorTitle="Too long", error="At most 500 characters.")


def _context(wb: Workbook, name: str, frame: pd.DataFrame) -> None:
    ws = wb.create_sheet(name)
    put(ws, 1, 1, f"{name} (read-only)").font = TITLE_FONT
    header = [str(c) for c in frame.columns]
    for c, text in enumerate(header, start=1):
        cell = put(ws, HEADER_ROW, c, text)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        ws.column_dimensions[get_column_letter(c)].width = 14 if c <= 2 else 10
    for r, record in enumerate(frame.itertuples(index=False, name=None), start=HEADER_ROW + 1):
        for c, value in enumerate(record, start=1):
            cell = put(ws, r, c, value.item() if hasattr(value, "item") else value)
            if isinstance(cell.value, float):
                cell.number_format = "#,##0" if abs(cell.value) >= 100 else "#,##0.00"
    ws.freeze_panes = f"C{HEADER_ROW + 1}" if header[:1] == ["SKU"] else f"A{HEADER_ROW + 1}"
    _protect(ws)


def _manifest(wb: Workbook, manifest: Manifest) -> None:
    ws = wb.create_sheet(MANIFEST_SHEET)
    for r, row in enumerate(manifest.to_rows(), start=1):
        for c, value in enumerate(row, start=1):
            put(ws, r, c, value)
    ws.sheet_state = "veryHidden"  # not even listed under Unhide in Excel
    _protect(ws)


def write_review_copy(package: ReviewPackage, manifest: Manifest, path: str | os.PathLike, *,
                      rows: int = INPUT_ROWS) -> Path:
    """Write the copy atomically (a temp file then rename) and return its path."""
    path = Path(path)
    wb = Workbook()
    _instructions(wb, package, manifest)
    choices_ref, periods_ref = _list_refs(package)
    _input_sheet(wb, package, choices_ref, periods_ref, rows)
    for name, frame in package.context.items():
        _context(wb, name, frame)
    _lists(wb, package)
    _manifest(wb, manifest)
    wb.active = 1  # the copy opens on the input table
    wb.security = WorkbookProtection(lockStructure=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~sop_xl-review-", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
