"""Sheets sop_xl does not write are carried through a save: every value, formula, style and
rich-text run must come out exactly as it went in, readable by openpyxl, calamine and LibreOffice."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile

import openpyxl
import pandas as pd
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Font, PatternFill

from sop_xl.contract import ISSUES
from sop_xl.io import FileWorkbook
from sop_xl.io import passthrough
from sop_xl.io.fast_rows import sheet_parts


@pytest.fixture
def carried(monkeypatch):
    monkeypatch.setattr(passthrough, "PASSTHROUGH_BYTES", 0)
    monkeypatch.setattr(passthrough, "_CHUNK", 50)   # carried back in pieces that cut rows and cells


def user_workbook(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "My data"
    for r in range(1, 60):
        ws.cell(row=r, column=1, value=f"item {r % 7}")          # repeated: shared strings
        ws.cell(row=r, column=2, value=r * 1.5).number_format = "#,##0.00"
        ws.cell(row=r, column=3, value=f"=B{r}*2")
    ws["D1"] = dt.datetime(2027, 3, 31)
    ws["D1"].number_format = "yyyy-mm-dd"
    ws["E1"] = "bold red"
    ws["E1"].font = Font(bold=True, color="FF0000")
    ws["E1"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["F1"] = CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold"), " & <escaped>"])
    ws["G1"] = True
    ws.row_dimensions[2].height = 30
    ws.column_dimensions["A"].width = 25
    merged = wb.create_sheet("Merged")
    merged["A1"] = "title"
    merged.merge_cells("A1:C1")
    merged["A3"] = 7
    wb.save(path)
    # as Excel writes it: rows carry x14ac:dyDescent, declared on the root
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
        part = sheet_parts(z)["My data"]
    xml = members[part].decode()
    xml = xml.replace("<worksheet ", '<worksheet xmlns:x14ac="http://schemas.microsoft.com/office/'
                      'spreadsheetml/2009/9/ac" ', 1).replace("<row ", '<row x14ac:dyDescent="0.25" ')
    members[part] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def snapshot(path, sheet):
    ws = openpyxl.load_workbook(path, rich_text=True)[sheet]
    return {c.coordinate: (str(c.value), c.number_format, c.font.b, c.font.color.rgb if c.font.color else None,
                           c.fill.fgColor.rgb) for row in ws.iter_rows() for c in row if c.value is not None}


def test_untouched_sheet_comes_through_exactly(tmp_path, carried, libreoffice_convert):
    path = user_workbook(tmp_path / "user.xlsx")
    before = snapshot(path, "My data")
    before_merged = snapshot(path, "Merged")
    grid_before = FileWorkbook(path).read_grid("My data")
    book = FileWorkbook(path)
    book.write_table(ISSUES, pd.DataFrame(columns=ISSUES.column_names()))
    book.save()
    assert snapshot(path, "My data") == before
    assert snapshot(path, "Merged") == before_merged
    assert FileWorkbook(path).read_grid("My data") == grid_before
    wb = openpyxl.load_workbook(path)
    assert wb["My data"].row_dimensions[2].height == 30 and wb["My data"].column_dimensions["A"].width == 25
    assert wb["My data"]["C5"].value == "=B5*2"
    with zipfile.ZipFile(path) as z:
        xml = z.read(sheet_parts(z)["My data"]).decode()
    assert 't="inlineStr"' in xml and 'x14ac' not in xml and 't="s"' not in xml
    # a real spreadsheet program reads it, formulas included
    resaved = libreoffice_convert(path, "xlsx", tmp_path / "lo")
    ws = openpyxl.load_workbook(resaved, data_only=True)["My data"]
    assert ws["A8"].value == "item 1" and ws["C4"].value == pytest.approx(12.0) and ws["F1"].value.startswith("plain")


def test_small_sheets_take_the_ordinary_route(tmp_path):
    path = user_workbook(tmp_path / "user.xlsx")
    assert passthrough.set_aside(path, {"My data", "Merged"}, tmp_path / "light.xlsx") == {}
    assert not (tmp_path / "light.xlsx").exists()


def test_sheets_with_merged_cells_are_not_set_aside(tmp_path, carried):
    path = user_workbook(tmp_path / "user.xlsx")
    held = passthrough.set_aside(path, {"My data", "Merged"}, tmp_path / "light.xlsx")
    assert set(held) == {"My data"}


def test_rewritten_sheet_skips_its_old_table_and_keeps_the_users_cells(demo_copy, monkeypatch):
    """Re-saving a big output sheet: the previous table's cells are left out before openpyxl reads the
    file (it blanked them anyway), the user's cells beside and below the table stay, and the sheet comes
    out as the ordinary route writes it."""
    from sop_xl.contract import ITEMS
    from sop_xl.io import FileWorkbook, read_table
    from sop_xl.issues import IssueLog

    wb = openpyxl.load_workbook(demo_copy)
    ws = wb["Items"]
    ws["Z7"], ws["Z100"], ws["A200"] = "beside the table", "below the table", 42
    wb.save(demo_copy)
    items = read_table(FileWorkbook(demo_copy), ITEMS, IssueLog()).iloc[:30]   # a shorter table than before
    shots, lightened = {}, []
    real = passthrough.lighten

    def spy(source, untouched, rewritten, light):
        held, used = real(source, untouched, rewritten, light)
        if used:
            with zipfile.ZipFile(light) as z:
                lightened.append(z.read(sheet_parts(z)["Items"]).decode())
        return held, used
    monkeypatch.setattr(passthrough, "lighten", spy)
    for route, limit in (("ordinary", 10 ** 12), ("lightened", 0)):
        monkeypatch.setattr(passthrough, "PASSTHROUGH_BYTES", limit)
        path = demo_copy.with_name(f"{route}.xlsx")
        shutil.copy(demo_copy, path)
        book = FileWorkbook(path)
        book.write_table(ITEMS, items)
        book.save()
        shots[route] = snapshot(path, "Items")
    assert shots["lightened"] == shots["ordinary"]
    assert shots["lightened"]["Z7"][0] == "beside the table" and shots["lightened"]["A200"][0] == "42"
    assert "B40" not in shots["lightened"]   # the old table's rows beyond the new one are gone
    assert len(lightened) == 1 and 'r="B10"' not in lightened[0] and 'r="Z7"' in lightened[0]
