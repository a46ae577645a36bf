"""`execute`: finished stages keep their output, a failed stage leaves only what it asks to
keep, and the Issues sheet and RunLog always describe the run."""

from __future__ import annotations

import sys
import types

import openpyxl
import pandas as pd
import pytest

from sop_xl.commands import base
from sop_xl.contract import ISSUES, RUN_LOG, Column, Kind, Owner, Role, Sheet
from sop_xl.io import FileWorkbook
from sop_xl.issues import Issue, IssueCode, Severity

A = Sheet("StageA", "tblStageA", Role.OUTPUT, Owner.SOP_XL, "a", columns=(Column("x", Kind.NUMBER),))
B = Sheet("StageB", "tblStageB", Role.OUTPUT, Owner.SOP_XL, "b", columns=(Column("x", Kind.NUMBER),))
WHY = Sheet("StageWhy", "tblStageWhy", Role.OUTPUT, Owner.SOP_XL, "why", columns=(Column("x", Kind.NUMBER),))


def good(book, progress=None):
    book.write_table(A, pd.DataFrame({"x": [1.0]}))
    return base.StageResult("good", summary=["good ran"])


def bad(book, progress=None):
    book.write_table(B, pd.DataFrame({"x": [2.0]}))
    book.write_table(WHY, pd.DataFrame({"x": [3.0]}))
    return base.StageResult("bad", issues=[Issue(Severity.ERROR, IssueCode.PLAN_INFEASIBLE, "no way",
                                                  sheet="Resources", cell="D5")], keep_on_failure=["StageWhy"])


@pytest.fixture
def fake_stages(monkeypatch):
    module = types.ModuleType("fake_stages")
    module.good, module.bad = good, bad
    monkeypatch.setitem(sys.modules, "fake_stages", module)
    monkeypatch.setitem(base.STAGES, "good", "fake_stages:good")
    monkeypatch.setitem(base.STAGES, "bad", "fake_stages:bad")


def test_failed_stage_keeps_earlier_results_and_its_explanation(demo_copy, fake_stages):
    results = base.execute(FileWorkbook(demo_copy), ["good", "bad", "good"])
    assert [r.stage for r in results] == ["good", "bad"]          # stops at the failure
    wb = openpyxl.load_workbook(demo_copy)
    assert "StageA" in wb.sheetnames and "StageWhy" in wb.sheetnames
    assert "StageB" not in wb.sheetnames
    issues = wb["Issues"]
    assert issues["D4"].value == "D5" and issues["C4"].value == "Resources"
    log = wb["RunLog"]
    assert [log.cell(row=r, column=2).value for r in (4, 5)] == ["good", "bad"]
    assert log["C5"].value == "failed"


def test_run_log_appends(demo_copy, fake_stages):
    base.execute(FileWorkbook(demo_copy), ["good"])
    base.execute(FileWorkbook(demo_copy), ["good"])
    ws = openpyxl.load_workbook(demo_copy)["RunLog"]
    assert ws.tables["tblRunLog"].ref == "A3:F5"


def test_unknown_or_missing_stage():
    with pytest.raises(base.StageUnavailable):
        base.stage_function("nonexistent")
