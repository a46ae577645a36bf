"""Writing: real Excel Tables, formats, validation, names; user content survives; saves are
atomic with a backup; a locked or read-only workbook is refused without losing anything."""

from __future__ import annotations

import os
import shutil
import stat
import zipfile

import openpyxl
import pandas as pd
import pytest

from sop_xl.commands.demo import write_demo_inputs
from sop_xl.contract import (CAPACITY_CALENDAR, INVENTORY, ITEMS, RESOURCES, ROUTING, SETTINGS, WORKBOOK,
                             WORKFORCE, ISSUES)
from sop_xl.demo import make_demo
from sop_xl.io import FileWorkbook, MemoryWorkbook, backup_path, read_history, read_settings, read_table
from sop_xl.issues import IssueLog, Severity, WorkbookAccessError


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].where(out[c].notna(), None)
    return out


@pytest.mark.parametrize("sheet, attr", [(ITEMS, "items"), (RESOURCES, "resources"), (ROUTING, "routing"),
                                         (CAPACITY_CALENDAR, "calendar"), (WORKFORCE, "workforce"),
                                         (INVENTORY, "inventory")])
def test_round_trip_every_input_table(demo_inputs_path, sheet, attr):
    company = make_demo(7)
    log = IssueLog()
    back = read_table(FileWorkbook(demo_inputs_path), sheet, log)
    assert not log.has_errors, [str(i) for i in log]
    expected = getattr(company, attr)
    got = _comparable(back)[expected.columns]
    want = _comparable(expected)
    for c in want.columns:
        if pd.api.types.is_numeric_dtype(want[c]) or pd.api.types.is_numeric_dtype(got[c]):
            pd.testing.assert_series_equal(pd.to_numeric(got[c]).astype(float), pd.to_numeric(want[c]).astype(float),
                                           check_names=False)
        elif pd.api.types.is_datetime64_any_dtype(want[c]):
            assert (pd.to_datetime(got[c]) == want[c]).all()
        else:
            assert got[c].tolist() == want[c].tolist(), c


def test_round_trip_history_and_settings(demo_inputs_path):
    company = make_demo(7)
    book = FileWorkbook(demo_inputs_path)
    log = IssueLog()
    settings = read_settings(book, log)
    history = read_history(book, settings, log)
    assert not log.has_errors
    assert settings.company == company.settings["company"]
    assert settings.first_forecast_period == pd.Timestamp("2027-01-01")
    want = company.history.rename(columns={"sku": "unique_id", "quantity": "y"})
    merged = want.merge(history, on=["unique_id", "ds"], suffixes=("_want", "_got"), validate="1:1")
    assert len(merged) == len(want)
    assert ((merged.y_want == merged.y_got) | (merged.y_want.isna() & merged.y_got.isna())).all()


def test_real_excel_tables_formats_validation_names(demo_inputs_path):
    wb = openpyxl.load_workbook(demo_inputs_path)
    for sheet in [ITEMS, RESOURCES, ROUTING, SETTINGS]:
        ws = wb[sheet.name]
        assert sheet.table in ws.tables, sheet.name
        assert ws.tables[sheet.table].ref.startswith(f"A{sheet.header_row}:")
        assert ws.freeze_panes == f"A{sheet.header_row + 1}"
    ws = wb["Items"]
    assert ws["F4"].number_format == "#,##0.00"      # Price
    assert ws["H4"].number_format == "0.0%"          # Holding cost rate
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists["E4:E43"] == '"active,new,discontinued"'
    routing_lists = [dv.formula1 for dv in wb["Routing"].data_validations.dataValidation]
    assert 'INDIRECT("tblResources[Resource]")' in routing_lists
    assert wb["DemandHistory"].freeze_panes == "B4"
    assert wb.defined_names["sop_horizon"].attr_text == "Settings!$B$8"
    assert wb["Settings"]["B8"].value == 18


def test_user_content_survives_a_rewrite(demo_copy):
    wb = openpyxl.load_workbook(demo_copy)
    mine = wb.create_sheet("My analysis")
    mine["A1"] = "margin check"
    mine["B2"] = "=SUM(tblItems[Price])"
    mine["C3"].font = openpyxl.styles.Font(bold=True, color="FF0000")
    mine["C3"] = 42
    wb["Items"]["Z10"] = "note beside the table"
    wb["Items"]["Z11"] = "=Z10&\"!\""
    wb.save(demo_copy)

    book = FileWorkbook(demo_copy)
    items = read_table(book, ITEMS, IssueLog())
    items.loc[items.index[0], "price"] = 999.0
    book.write_table(ITEMS, items.iloc[:10])          # fewer rows than before
    book.save()

    wb = openpyxl.load_workbook(demo_copy)
    assert wb["My analysis"]["B2"].value == "=SUM(tblItems[Price])"
    assert wb["My analysis"]["C3"].value == 42 and wb["My analysis"]["C3"].font.bold
    assert wb["Items"]["Z10"].value == "note beside the table"
    assert wb["Items"]["Z11"].value == '=Z10&"!"'
    ws = wb["Items"]
    assert ws.tables["tblItems"].ref == "A3:T13"      # header on row 3 + 10 rows: shrunk
    assert ws["A14"].value is None and ws["A43"].value is None  # old rows cleared
    back = read_table(FileWorkbook(demo_copy), ITEMS, IssueLog())
    assert len(back) == 10 and back["price"].iloc[0] == 999.0
    assert wb.sheetnames.index("My analysis") == len(wb.sheetnames) - 1


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    book = FileWorkbook(tmp_path / "t.xlsx", create=True)
    frame = pd.DataFrame([{"severity": "error", "code": "x", "sheet": "S", "cell": "A1", "column": "",
                           "row_key": "", "value": "=HYPERLINK(\"http://evil\")", "message": "=1+1", "hint": ""}])
    book.write_table(ISSUES, frame)
    book.save()
    with zipfile.ZipFile(tmp_path / "t.xlsx") as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    grid = FileWorkbook(tmp_path / "t.xlsx").read_grid("Issues")
    assert grid[3][7] == "=1+1"


def test_save_is_atomic_and_keeps_a_backup(demo_copy):
    before = demo_copy.read_bytes()
    book = FileWorkbook(demo_copy)
    book.write_table(ISSUES, pd.DataFrame(columns=ISSUES.column_names()))
    book.save()
    assert backup_path(demo_copy).read_bytes() == before
    assert demo_copy.read_bytes() != before
    assert not [p for p in demo_copy.parent.iterdir() if p.name.startswith(".~sop_xl")]


def test_failed_save_leaves_the_file_alone(demo_copy, monkeypatch):
    before = demo_copy.read_bytes()
    book = FileWorkbook(demo_copy)
    book.write_table(ISSUES, pd.DataFrame(columns=ISSUES.column_names()))

    def boom(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr("openpyxl.workbook.workbook.Workbook.save", boom)
    with pytest.raises(WorkbookAccessError) as err:
        book.save()
    assert err.value.exit_code == 3 and "could not be saved: disk full" in str(err.value)
    assert demo_copy.read_bytes() == before
    assert not [p for p in demo_copy.parent.iterdir() if p.name.startswith(".~sop_xl")]


def test_open_workbook_is_refused_with_a_clear_message(demo_copy):
    lock = demo_copy.with_name("~$" + demo_copy.name)
    lock.write_text("owner")
    before = demo_copy.read_bytes()
    book = FileWorkbook(demo_copy)
    book.write_table(ISSUES, pd.DataFrame(columns=ISSUES.column_names()))
    with pytest.raises(WorkbookAccessError) as err:
        book.save()
    assert "open in Excel" in str(err.value) and "--out" in str(err.value)
    assert demo_copy.read_bytes() == before
    # writing elsewhere still works
    book.out = demo_copy.with_name("copy.xlsx")
    assert book.save().exists()


def test_read_only_check_even_as_root(demo_copy, monkeypatch):
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(demo_copy) else real_access(p, mode))
    book = FileWorkbook(demo_copy)
    book.write_table(ISSUES, pd.DataFrame(columns=ISSUES.column_names()))
    with pytest.raises(WorkbookAccessError, match="read-only"):
        book.save()


@pytest.mark.parametrize("content, name", [(b"hello", "x.xlsx"), (b"PK\x03\x04junk", "y.xlsx"), (b"a,b", "z.csv")])
def test_not_a_workbook(tmp_path, content, name):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(WorkbookAccessError) as err:
        FileWorkbook(path)
    assert path.name in str(err.value)


def test_memory_and_file_adapters_lay_out_the_same_cells(demo_inputs_path, tmp_path):
    company = make_demo(7)
    memory = MemoryWorkbook()
    write_demo_inputs(memory, company)
    file_book = FileWorkbook(demo_inputs_path)
    for sheet in ["Items", "Settings", "DemandHistory", "Routing"]:
        mem = memory.read_grid(sheet)
        disk = file_book.read_grid(sheet)
        width = max(len(r) for r in mem)
        norm = lambda g: [[(round(v, 9) if isinstance(v, float) else v) for v in (r + [None] * width)[:width]]
                          for r in g if any(x is not None for x in r)]
        a, b = norm(mem), norm(disk)
        # calamine reads whole numbers as floats and dates as datetimes
        fix = lambda g: [[(float(v) if isinstance(v, int) and not isinstance(v, bool) else v) for v in r] for r in g]
        assert fix(a) == fix(b), sheet


def test_contract_sheet_order_is_kept_for_new_sheets(tmp_path):
    book = FileWorkbook(tmp_path / "o.xlsx", create=True)
    write_demo_inputs(book, make_demo(7))
    book.write_table(ISSUES, pd.DataFrame(columns=ISSUES.column_names()))
    book.save()
    names = openpyxl.load_workbook(tmp_path / "o.xlsx").sheetnames
    order = [s.name for s in WORKBOOK]
    assert names == sorted(names, key=order.index)


def test_stray_far_away_cell_is_refused_before_reading(demo_copy):
    wb = openpyxl.load_workbook(demo_copy)
    wb["Items"]["XFD1048576"] = "oops"
    wb.save(demo_copy)
    book = FileWorkbook(demo_copy)
    with pytest.raises(WorkbookAccessError) as err:
        book.read_grid("Items")
    assert "XFD1048576" in str(err.value) and "Ctrl+End" in str(err.value)
