"""`sop-xl doctor`: the same checks as the ribbon's Check setup, on the command line."""

from __future__ import annotations

import shutil

from openpyxl import load_workbook

from sop_xl.cli import main
from sop_xl.excel import doctor, template


def test_doctor_passes_on_the_committed_template(capsys):
    assert main(["doctor", str(template.DEFAULT_OUT)]) == 0
    out = capsys.readouterr().out
    for name in ("Python", "sop_xl", "xlwings", "Worksheet functions", "xlwings.conf sheet", "Meeting PDF"):
        assert name in out


def test_doctor_names_a_blank_interpreter_row_and_an_unwritable_folder(tmp_path):
    """A blank Interpreter_Win row on the sheet shadows ~/.xlwings/xlwings.conf (GetConfig,
    xlwings.bas:649-666); a folder sop_xl cannot write to breaks Send for review and Export PDF."""
    book = tmp_path / "plan.xlsm"
    shutil.copy(template.DEFAULT_OUT, book)
    wb = load_workbook(book, keep_vba=True)
    ws = wb["xlwings.conf"]
    ws.insert_rows(1)
    ws["A1"] = "Interpreter_Win"
    wb.save(book)
    checks = {c.name: c for c in doctor.run_checks(book)}
    assert checks["xlwings.conf sheet"].status == doctor.PROBLEM and "INTERPRETER_WIN" in checks["xlwings.conf sheet"].found
    assert main(["doctor", str(book)]) == 1
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where a folder should be")
    folder = {c.name: c for c in doctor.run_checks(blocked / "plan.xlsm")}["Workbook folder"]
    assert folder.status == doctor.PROBLEM and folder.fix


def test_doctor_names_an_xlwings_version_other_than_the_workbooks():
    check = {c.name: c for c in doctor.run_checks(vba_xlwings_version="0.30.0")}["xlwings"]
    assert check.status == doctor.PROBLEM and "pip install xlwings==0.30.0" in check.fix
    assert "xlwings64-0.30.0.dll" in check.fix
