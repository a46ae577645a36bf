"""Review copies out, returns in: what is merged, what is refused and why, and what is never trusted."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from sop_xl.consensus.returns import read_return as read_returned
from sop_xl.io import review_copy as returns_module
from sop_xl.io.review_copy import ReturnedWorkbook, ReturnRefused, check_container


def read_return(path, **kw):
    return read_returned(ReturnedWorkbook(path), **kw)
from sop_xl.contract.consensus import AUDIT, CONSENSUS, REJECTED, REVIEW_LOG

from .helpers import change_settings, history_of, returned, run, seasonal_naive_forecast, send, sheet, write_forecast

JAN, FEB, MAR = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01"), pd.Timestamp("2027-03-01")


def consensus_at(path: Path, sku: str, ds: pd.Timestamp) -> pd.Series:
    frame = sheet(path, CONSENSUS)
    return frame[(frame["sku"] == sku) & (frame["period"] == ds)].iloc[0]


def refusals(result) -> list[str]:
    return [i.message for i in result.issues if i.code == "consensus_return_refused"]


def test_review_copy_is_protected_with_a_very_hidden_manifest(master, tmp_path):
    copies = send(master, tmp_path / "out")
    assert sorted(copies) == ["finance", "marketing", "operations", "sales"]
    wb = openpyxl.load_workbook(copies["sales"])
    assert wb.sheetnames[:2] == ["Instructions", "SalesInput"]
    assert {"History", "Statistical", "Lists", "Manifest"} <= set(wb.sheetnames)
    assert wb["Manifest"].sheet_state == "veryHidden" and wb["Lists"].sheet_state == "hidden"
    assert wb.security.lockStructure
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
    ws = wb["SalesInput"]
    assert [c.value for c in ws[3]] == ["SKU or family", "Period", "Volume", "Reason", "Confirm"]
    assert ws["C4"].protection.locked is False and ws["A3"].protection.locked is True
    assert wb["Statistical"]["C4"].protection.locked is True
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert rules["A4:A303"].formula1.startswith("Lists!$A$2") and rules["C4:C303"].type == "decimal"
    assert "Finance" in {r["department"] for r in sheet(master, REVIEW_LOG).to_dict("records")}
    fresh = sheet(master, CONSENSUS)  # the cycle's consensus starts as its statistical forecast
    assert len(fresh) == 40 * 18 and (fresh["final"] == fresh["statistical"]).all()
    assert set(fresh["cycle"]) == {"2027-01"} and set(fresh["source"]) == {"Statistical"}
    finance = openpyxl.load_workbook(copies["finance"])
    assert "Prices" in finance.sheetnames and "FinanceInput" in finance.sheetnames


def test_programmatic_round_trip_merges_and_attributes_every_value(sent, tmp_path):
    master, copies = sent
    sales = returned(copies["sales"], "Sales", [
        dict(item="BP-100", period="2027-01", override=999, reason="=SUM(A1:A9) is what the customer said"),
        dict(item="Tents", period="2027-02", override=5000, reason="Dealer pre-season orders"),
        dict(item="NOPE-1", period="2027-01", override=10),
        dict(item="BP-110", period="2031-01", override=10),
        dict(item="BP-110", period="2027-03", override="plenty"),
    ], tmp_path / "back")
    result = run(master, "merge", returns=[sales])
    assert result.status == "ok", [str(i) for i in result.issues]
    row = consensus_at(master, "BP-100", JAN)
    assert (row["final"], row["sales"], row["source"]) == (999, 999, "Sales")
    consensus = sheet(master, CONSENSUS)
    tents = consensus[(consensus["family"] == "Tents") & (consensus["period"] == FEB)]
    assert tents["final"].sum() == pytest.approx(5000) and set(tents["source"]) == {"Sales"}
    audit = sheet(master, AUDIT)
    assert list(audit["item"]) == ["BP-100", "Tents"]
    first = audit.iloc[0]
    assert (first["department"], first["file"], first["new"], first["cell"]) == ("Sales", sales.name, 999, "C4")
    assert first["old"] == pytest.approx(row["statistical"]) and first["time"]
    rejected = sheet(master, REJECTED)
    assert len(rejected) == 3 and len(audit) + len(rejected) == 5
    reasons = " | ".join(rejected["reason"])
    assert "unknown SKU or family 'NOPE-1'" in reasons and "outside the horizon" in reasons
    assert "not a number" in reasons
    # the reason that looks like a formula is text in the saved master, never a formula
    ws = openpyxl.load_workbook(master)["Audit"]
    cells = [c for r in ws.iter_rows() for c in r if isinstance(c.value, str) and c.value.startswith("=SUM")]
    assert cells and all(c.data_type == "s" for c in cells)
    raw = CalamineWorkbook.from_path(str(master)).get_sheet_by_name("Audit").to_python()
    assert any(v == "=SUM(A1:A9) is what the customer said" for r in raw for v in r)
    log = sheet(master, REVIEW_LOG).set_index("department")
    assert log.loc["Sales", "status"] == "merged" and log.loc["Finance", "status"] == "sent"


def test_every_department_lands_where_it_belongs(sent, tmp_path):
    master, copies = sent
    back = tmp_path / "back"
    files = [
        returned(copies["marketing"], "Marketing", [dict(item="BP-120", period="2027-03", uplift_pct=0.2,
                                                         event="Fair", reason="booth")], back),
        returned(copies["finance"], "Finance", [dict(item="BP-120", period="2027-03", price=99.5),
                                                dict(item="BP-130", period="2027-02", budget=321)], back),
        returned(copies["operations"], "Operations", [dict(resource="Packing", period="2027-02",
                                                           regular_capacity=1234, reason="Strike")], back),
    ]
    result = run(master, "merge", returns=[back])  # a folder works like the list of its files
    assert result.status == "ok", [str(i) for i in result.issues]
    assert len(result.data["merged_copies"]) == 3
    row = consensus_at(master, "BP-120", MAR)
    assert row["marketing_pct"] == pytest.approx(0.2) and row["final"] == pytest.approx(row["statistical"] * 1.2)
    assert row["price"] == 99.5 and row["note"] == "Fair: booth"
    assert consensus_at(master, "BP-130", FEB)["final"] == 321
    from sop_xl.contract import CAPACITY_CALENDAR
    cal = sheet(master, CAPACITY_CALENDAR)
    strike = cal[(cal["resource"] == "Packing") & (cal["period"] == FEB)].iloc[0]
    assert strike["regular_capacity"] == 1234 and "Strike" in strike["reason"]
    assert len(sheet(master, AUDIT)) == 4 and sheet(master, REJECTED).empty
    assert len(files) == 3


def test_stale_copy_is_refused_when_the_forecast_changed(sent, tmp_path):
    master, copies = sent
    ret = returned(copies["sales"], "Sales", [dict(item="BP-100", period="2027-01", override=1)], tmp_path / "b")
    forecast = seasonal_naive_forecast(history_of(master))
    forecast["forecast"] *= 1.01
    write_forecast(master, forecast)
    result = run(master, "merge", returns=[ret])
    assert any("stale: the statistical forecast or the horizon changed" in m for m in refusals(result))
    rejected = sheet(master, REJECTED)
    assert len(rejected) == 1 and rejected["reason"].iloc[0].startswith("return refused: stale")
    assert sheet(master, AUDIT).empty


def test_copy_of_another_cycle_is_refused(sent, tmp_path):
    master, copies = sent
    ret = returned(copies["sales"], "Sales", [dict(item="BP-100", period="2027-01", override=1)], tmp_path / "b")
    change_settings(master, cycle="2027-02")
    result = run(master, "merge", returns=[ret])
    assert any("this copy is for cycle 2027-01, the workbook is at cycle 2027-02" in m for m in refusals(result))


def test_tampered_manifest_is_refused(sent, tmp_path):
    master, copies = sent
    ret = returned(copies["finance"], "Finance", [dict(item="BP-100", period="2027-01", budget=1)], tmp_path / "b")
    wb = openpyxl.load_workbook(ret)
    ws = wb["Manifest"]
    for row in ws.iter_rows():
        if row[0].value == "department":
            row[1].value = "Sales"  # pretend to be the stronger department
    wb.save(ret)
    result = run(master, "merge", returns=[ret])
    assert any("tampered: the hidden manifest was edited" in m for m in refusals(result))
    assert sheet(master, AUDIT).empty and len(sheet(master, REJECTED)) == 1


def test_copy_from_another_workbook_is_refused(master, tmp_path):
    other = tmp_path / "other.xlsx"
    shutil.copy(master, other)
    copies = send(other, tmp_path / "other-out")
    ret = returned(copies["sales"], "Sales", [dict(item="BP-100", period="2027-01", override=1)], tmp_path / "b")
    result = run(master, "merge", returns=[ret])
    assert any("not sent from this workbook" in m for m in refusals(result))


def test_duplicate_returns_are_refused_and_listed(sent, tmp_path):
    master, copies = sent
    ret = returned(copies["sales"], "Sales", [dict(item="BP-100", period="2027-01", override=7),
                                              dict(item="BP-110", period="2027-01", override=8)], tmp_path / "b")
    twin = tmp_path / "b" / "sales-again.xlsx"
    shutil.copy(ret, twin)
    first = run(master, "merge", returns=[ret, twin])
    assert any("the same copy is also in" in m for m in refusals(first))
    second = run(master, "merge", returns=[ret])
    assert any("duplicate return: this copy was already merged" in m for m in refusals(second))
    rejected = sheet(master, REJECTED)
    assert len(rejected) == 4 and rejected["reason"].str.contains("duplicate return").all()
    assert len(sheet(master, AUDIT)) == 2  # merged once
    assert consensus_at(master, "BP-100", JAN)["final"] == 7


def test_department_no_longer_in_settings_is_refused(sent, tmp_path):
    master, copies = sent
    ret = returned(copies["finance"], "Finance", [dict(item="BP-100", period="2027-01", budget=1)], tmp_path / "b")
    change_settings(master, departments="Sales, Marketing")
    result = run(master, "merge", returns=[ret])
    assert any("unknown department 'Finance'" in m for m in refusals(result))


def test_formulas_are_not_evaluated_and_are_reported(sent, tmp_path):
    master, copies = sent
    ret = returned(copies["sales"], "Sales", [dict(item="BP-100", period="2027-01", reason="formula below"),
                                              dict(item="BP-110", period="2027-01", override=5)], tmp_path / "b")
    wb = openpyxl.load_workbook(ret)
    wb["SalesInput"]["C4"] = "=10*100"  # openpyxl writes no calculated value, like a script would
    wb.save(ret)
    result = run(master, "merge", returns=[ret])
    found = [i for i in result.issues if i.code == "consensus_formulas_found"]
    assert found and "SalesInput!C4 =10*100" in found[0].message and found[0].cell == "C4"
    assert "1 value(s) they touch were rejected (Settings return_formulas is no" in found[0].message
    rejected = sheet(master, REJECTED)
    assert len(rejected) == 1 and "formulas are not accepted in returns" in rejected["reason"].iloc[0]
    assert "=10*100" in rejected["value"].iloc[0]
    assert consensus_at(master, "BP-100", JAN)["source"] == "Statistical"
    assert consensus_at(master, "BP-110", JAN)["final"] == 5


def test_console_audit_and_rejected_tell_the_same_story_about_a_formula(sent, tmp_path):
    """Before: the console said the formula's calculated value was used while Rejected said it had none."""
    master, copies = sent
    change_settings(master, return_formulas=True)
    ret = returned(copies["sales"], "Sales", [dict(item="BP-110", period="2027-01", override=5)], tmp_path / "b")
    wb = openpyxl.load_workbook(ret)
    wb["SalesInput"]["C5"] = "=10*100"  # no calculated value
    wb["SalesInput"]["A5"] = "BP-100"
    wb["SalesInput"]["B5"] = "2027-01"
    wb.save(ret)
    result = run(master, "merge", returns=[ret])
    found = [i for i in result.issues if i.code == "consensus_formulas_found"][0]
    assert "0 value(s) counted with their last calculated value" in found.message
    assert "1 rejected (listed on Rejected)" in found.message
    rejected = sheet(master, REJECTED)
    assert len(rejected) == 1 and "no calculated value" in rejected["reason"].iloc[0]
    assert list(sheet(master, AUDIT)["item"]) == ["BP-110"]


def test_dde_and_external_link_formulas_are_rejected_by_default(sent, tmp_path):
    master, copies = sent
    ret = returned(copies["sales"], "Sales", [dict(item="BP-100", period="2027-01", override=7),
                                              dict(item="BP-110", period="2027-01", override=8)], tmp_path / "b")
    with zipfile.ZipFile(ret) as z:
        members = {n: z.read(n) for n in z.namelist()}
    parts = {}
    with zipfile.ZipFile(ret) as z:
        parts = returns_module.sheet_parts(z)
    part = parts["SalesInput"]
    xml = members[part].decode()
    # a cached value with a DDE formula (C4) and an external-link formula (C5), as Excel saves them
    import re
    xml = re.sub(r'<c r="C4"([^>]*)><v>7</v></c>', r'<c r="C4"\1><f>cmd|&apos;/c calc&apos;!A0</f><v>7</v></c>', xml)
    xml = re.sub(r'<c r="C5"([^>]*)><v>8</v></c>', r'<c r="C5"\1><f>[1]Sheet1!A1</f><v>8</v></c>', xml)
    assert "cmd|&apos;" in xml and "[1]Sheet1" in xml
    members[part] = xml.encode()
    members["xl/externalLinks/externalLink1.xml"] = b"<externalLink/>"
    ret.unlink()
    _zip(ret, members)
    result = run(master, "merge", returns=[ret])
    messages = " | ".join(i.message for i in result.issues)
    assert "links to other workbooks" in messages and "2 value(s) they touch were rejected" in messages
    rejected = sheet(master, REJECTED)
    assert len(rejected) == 2 and rejected["reason"].str.contains("formulas are not accepted").all()
    assert consensus_at(master, "BP-100", JAN)["source"] == "Statistical"


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_non_workbooks_and_zip_bombs_are_refused(master, tmp_path):
    text = tmp_path / "notes.xlsx"
    text.write_text("this is not a workbook")
    csv = tmp_path / "sales.csv"
    csv.write_text("SKU,Period,Volume\nBP-100,2027-01,5\n")
    plain_zip = _zip(tmp_path / "archive.xlsx", {"readme.txt": b"hello"})
    bomb = _zip(tmp_path / "bomb.xlsx", {"xl/workbook.xml": b"<workbook/>", "xl/media/a.bin": bytes(20_000_000)})
    result = run(master, "merge", returns=[text, csv, plain_zip, bomb, tmp_path / "missing.xlsx"])
    messages = refusals(result)
    assert len(messages) == 5
    assert "notes.xlsx refused: notes.xlsx is not a valid Excel workbook" in messages[0]
    assert "sales.csv is not an Excel workbook" in messages[1]
    assert "zip file but not an Excel workbook" in messages[2]
    assert "zip bomb" in messages[3]
    assert "missing.xlsx does not exist" in messages[4]
    assert result.data["result"].offered == 0


def test_size_limits_count_what_really_comes_out(tmp_path, monkeypatch):
    members = {"xl/workbook.xml": b"<workbook/>", "xl/a.xml": b"x" * 300_000, "xl/b.xml": b"y" * 300_000}
    path = _zip(tmp_path / "big.xlsx", members)
    check_container(path)  # fine with the real limits
    monkeypatch.setattr(returns_module, "MAX_UNCOMPRESSED_BYTES", 500_000)
    with pytest.raises(ReturnRefused, match="would expand to"):
        check_container(path)
    monkeypatch.setattr(returns_module, "MAX_FILE_BYTES", 100)
    with pytest.raises(ReturnRefused, match="more than a review copy can be"):
        check_container(path)


def test_macros_in_a_return_are_reported_and_never_run(sent, tmp_path):
    master, copies = sent
    ret = returned(copies["sales"], "Sales", [dict(item="BP-100", period="2027-01", override=42)], tmp_path / "b")
    with zipfile.ZipFile(ret) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["xl/vbaProject.bin"] = b"Attribute VB_Name = \"Evil\"\nSub Auto_Open()\nShell \"calc\"\nEnd Sub\n"
    xlsm = _zip(tmp_path / "b" / "with-macro.xlsm", members)
    ret.unlink()
    assert read_return(xlsm).macros
    result = run(master, "merge", returns=[xlsm])
    assert any("contains macros; they were not run" in i.message for i in result.issues)
    assert consensus_at(master, "BP-100", JAN)["final"] == 42


def test_a_cell_typed_far_away_is_refused_before_any_grid_is_read(sent, tmp_path):
    master, copies = sent
    ret = returned(copies["sales"], "Sales", [dict(item="BP-100", period="2027-01", override=42)], tmp_path / "b")
    wb = openpyxl.load_workbook(ret)
    wb["SalesInput"]["XFD1048576"] = "oops"  # a grid reader would try to allocate 17 billion cells
    wb.save(ret)
    result = run(master, "merge", returns=[ret])
    assert any("far beyond a review copy" in m and "1,048,576" in m for m in refusals(result))
    assert consensus_at(master, "BP-100", JAN)["source"] == "Statistical"
