"""Every place sop_xl relies on openpyxl beyond its public API, the versions that was checked
against, and a probe that says which assumption broke.

The speed work of the file adapter leans on how openpyxl 3.1 writes and keeps things:

XML that openpyxl writes (spliced by `fast_rows` and `passthrough`)
  X1  a sheet's cells are `<sheetData>` of `<row r="N">` holding `<c r="A1" s="K">` (style index K)
  X2  a sheet without cells is written as `<sheetData/>` (or an empty `<sheetData></sheetData>`)
  X3  `<dimension ref="A1:Bn"/>` is written at the top of each sheet part
  X4  the worksheet root declares no x14ac namespace (set-aside cells drop such attributes)
  X5  styles (cellXfs) are loaded and written back in the same order, new ones appended
Private names used (xlsx_writer, file)
  P1  `Worksheet._cells` is the dict (row, column) -> Cell        (xlsx_writer: direct cells)
  P2  `Cell._style` is a `StyleArray` (openpyxl.styles.cell_style) (xlsx_writer: style copies)
  P3  `Table._initialise_columns()` names the table's columns     (xlsx_writer)
  P4  `Worksheet._charts` is the list of charts                    (xlsx_writer: redraw)
  P5  `openpyxl.writer.excel.ExcelWriter(wb, zipfile).save()`      (file: stored, not deflated)
  P6  `ExcelWriter.write_worksheet` as 3.1 writes it, and `WorksheetWriter(ws, out=BytesIO())`
      (file: sheets serialised in memory, not through temporary files)

`pyproject.toml` pins openpyxl >=3.1,<3.2. `tests/foundation/test_openpyxl_internals.py` runs
`broken_assumptions()` and fails, naming the assumption, on any other version or behaviour;
outside the checked range `fast_paths_allowed()` is False and the fast row writer and the
pass-through stand down, so an unchecked openpyxl is slower, never wrong.
"""

from __future__ import annotations

import io
import re
import zipfile

CHECKED_VERSIONS = ("3.1.5",)       # probed by hand and by the test on these
SUPPORTED = ((3, 1), (3, 2))        # [from, to): the pin in pyproject.toml


def openpyxl_version() -> tuple[int, ...]:
    import openpyxl
    return tuple(int(p) for p in re.findall(r"\d+", openpyxl.__version__)[:3])


def fast_paths_allowed() -> bool:
    """The XML-splicing fast paths only run on the openpyxl minor version they were written for."""
    low, high = SUPPORTED
    return low <= openpyxl_version()[:2] < high


def _sheet_xml(data: bytes, index: int = 1) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")


def _cell_xfs(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = z.read("xl/styles.xml").decode("utf-8")
    m = re.search(r"<cellXfs\b.*?</cellXfs>", styles, re.S)
    return m.group(0) if m else ""


def broken_assumptions() -> list[str]:
    """The assumptions above that do not hold for the installed openpyxl ([] when all hold)."""
    import openpyxl
    from openpyxl import Workbook, load_workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.worksheet.table import Table

    broken = []
    if openpyxl.__version__ not in CHECKED_VERSIONS:
        broken.append(f"openpyxl {openpyxl.__version__} was never checked (checked: {', '.join(CHECKED_VERSIONS)});"
                      " run this probe, read fast_rows/passthrough, then add the version to CHECKED_VERSIONS")
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "head"
    ws["A2"] = 1.5
    ws["A2"].font = Font(bold=True)
    ws["B3"] = "x"
    ws["B3"].fill = PatternFill("solid", fgColor="FFFF00")
    wb.create_sheet("Empty")
    buffer = io.BytesIO()
    try:
        from openpyxl.writer.excel import ExcelWriter
        ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED)).save()
    except Exception as exc:  # noqa: BLE001 - any failure of the private writer is the finding
        broken.append(f"P5 ExcelWriter(wb, zipfile).save() failed: {type(exc).__name__}: {exc}")
        buffer = io.BytesIO()
        wb.save(buffer)
    data = buffer.getvalue()
    sheet = _sheet_xml(data)
    if not re.search(r'<sheetData>\s*<row r="1"', sheet) or not re.search(r'<c r="A2" s="\d+"', sheet):
        broken.append("X1 cells are no longer <row r=..><c r=.. s=..> inside <sheetData>")
    if not re.search(r"<sheetData\s*/>|<sheetData>\s*</sheetData>", _sheet_xml(data, 2)):
        broken.append("X2 a sheet without cells is not written as an empty <sheetData/>")
    if not re.search(r'<dimension ref="A1:B3"\s*/>', sheet):
        broken.append("X3 <dimension ref=...> is not written as expected")
    if "xmlns:x14ac" in sheet[:1000]:
        broken.append("X4 the worksheet root now declares x14ac")
    again = io.BytesIO()
    load_workbook(io.BytesIO(data)).save(again)
    if _cell_xfs(again.getvalue()) != _cell_xfs(data):
        broken.append("X5 cellXfs are not written back in the order they were loaded")
    if not isinstance(getattr(ws, "_cells", None), dict) or (2, 1) not in ws._cells:
        broken.append("P1 Worksheet._cells is not the dict (row, column) -> Cell")
    if not isinstance(getattr(ws["A2"], "_style", None), StyleArray):
        broken.append("P2 Cell._style is not a StyleArray")
    if not callable(getattr(Table(displayName="t", ref="A1:A2"), "_initialise_columns", None)):
        broken.append("P3 Table._initialise_columns is gone")
    if not isinstance(getattr(ws, "_charts", None), list):
        broken.append("P4 Worksheet._charts is not a list")
    try:
        from .file import _writer_class
        memory = io.BytesIO()
        _writer_class()(wb, zipfile.ZipFile(memory, "w", zipfile.ZIP_STORED)).save()
        if [_sheet_xml(memory.getvalue(), i) for i in (1, 2)] != [sheet, _sheet_xml(data, 2)]:
            broken.append("P6 the in-memory sheet writer writes other sheet XML than ExcelWriter")
    except Exception as exc:  # noqa: BLE001 - any failure of the private writer is the finding
        broken.append(f"P6 the in-memory sheet writer failed: {type(exc).__name__}: {exc}")
    return broken
