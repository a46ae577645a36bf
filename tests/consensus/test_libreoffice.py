"""Round trip through a real spreadsheet program: a return re-saved by LibreOffice merges exactly like
the same return saved by openpyxl, and the formula in it is reported, its calculated value used when
Settings return_formulas allows it."""

from __future__ import annotations

import shutil

import openpyxl
import pandas as pd
import pytest

from sop_xl.contract.consensus import AUDIT, CONSENSUS, REJECTED

from .helpers import change_settings, returned, run, sheet

pytestmark = pytest.mark.libreoffice

ROWS = [dict(item="BP-100", period="2027-01", override=1500, reason="=Key account: +30%"),
        dict(item="Backpacks", period="2027-02", override=12000, reason="Family volume"),
        dict(item="BP-120", period="2027-03", reason="computed"),
        dict(item="BP-130", period="2099-01", override=5, reason="too far out")]


def test_libreoffice_resaved_return_merges_like_the_original(sent, tmp_path, libreoffice_convert):
    master, copies = sent
    change_settings(master, return_formulas=True)
    ret = returned(copies["sales"], "Sales", ROWS, tmp_path / "back")
    wb = openpyxl.load_workbook(ret)
    wb["SalesInput"]["C6"] = "=400+100"  # a formula LibreOffice will calculate and cache
    wb.save(ret)
    resaved = libreoffice_convert(ret, "xlsx", tmp_path / "lo")
    assert resaved.read_bytes() != ret.read_bytes()

    twin = tmp_path / "twin.xlsx"
    shutil.copy(master, twin)
    plain = run(master, "merge", returns=[ret])
    via_lo = run(twin, "merge", returns=[resaved])
    assert [i.code for i in via_lo.issues] == ["consensus_formulas_found"], [str(i) for i in via_lo.issues]
    assert via_lo.data["merged_copies"] == plain.data["merged_copies"]

    formulas = [i for i in via_lo.issues if i.code == "consensus_formulas_found"]
    assert formulas and "SalesInput!C6 =400+100" in formulas[0].message
    assert "1 value(s) counted with their last calculated value" in formulas[0].message
    audit = sheet(twin, AUDIT)
    assert list(audit["item"]) == ["BP-100", "Backpacks", "BP-120"]
    assert list(audit["new"]) == [1500, 12000, 500]  # LibreOffice's calculated value, not ours
    assert "formula =400+100" in audit["detail"].iloc[2]
    assert audit["reason"].iloc[0] == "=Key account: +30%"
    rejected = sheet(twin, REJECTED)
    assert list(rejected["item"]) == ["BP-130"] and "outside the horizon" in rejected["reason"].iloc[0]

    # openpyxl's copy has no calculated value for the formula: refused there, everything else identical
    plain_rejected = sheet(master, REJECTED)
    assert sorted(plain_rejected["item"]) == ["BP-120", "BP-130"]
    a = sheet(master, CONSENSUS).set_index(["sku", "period"])["final"]
    b = sheet(twin, CONSENSUS).set_index(["sku", "period"])["final"]
    differs = (a - b).abs() > 1e-9
    assert list(differs[differs].index) == [("BP-120", pd.Timestamp("2027-03-01"))]
    assert b.loc[("BP-120", pd.Timestamp("2027-03-01"))] == 500
    assert b.loc[("BP-100", pd.Timestamp("2027-01-01"))] == 1500
