"""Returns by e-mail are untrusted: a department is who its signed copy says it is, implausible
values need a confirmation, nothing is clipped or lost without a Rejected row, and the exit
code says when returns were refused (issue 13, items 3, 4 and 6; issue 10, item 7)."""

from __future__ import annotations

import shutil

import openpyxl
import pandas as pd
import pytest

from sop_xl.cli import EXIT_OK, EXIT_REFUSED, main
from sop_xl.consensus.manifest import Manifest
from sop_xl.contract.consensus import AUDIT, CONSENSUS, REJECTED, REVIEW_LOG

from .helpers import history_of, returned, run, sheet

JAN, FEB, MAR = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01"), pd.Timestamp("2027-03-01")


def consensus_at(path, sku, ds) -> pd.Series:
    frame = sheet(path, CONSENSUS)
    return frame[(frame["sku"] == sku) & (frame["period"] == ds)].iloc[0]


def refusals(result) -> list[str]:
    return [i.message for i in result.issues if i.code == "consensus_return_refused"]


def reference(master, sku: str) -> float:
    """The plausibility reference of a SKU: its largest statistical forecast or history."""
    stat = sheet(master, CONSENSUS)
    hist = history_of(master)
    return max(stat[stat["sku"] == sku]["statistical"].max(), hist[hist["unique_id"] == sku]["y"].max())


def test_a_finance_copy_renamed_salesinput_is_refused_not_merged_as_sales(sent, tmp_path, capsys):
    master, copies = sent
    ret = returned(copies["finance"], "Finance", [dict(item="BP-100", period="2027-01", price=424242),
                                                  dict(item="BP-110", period="2027-01", budget=10)], tmp_path / "b")
    wb = openpyxl.load_workbook(ret)
    wb["FinanceInput"].title = "SalesInput"  # column C of FinanceInput sits where Sales' Volume is
    wb.save(ret)
    twin = tmp_path / "twin.xlsx"
    shutil.copy(master, twin)
    assert main(["merge", str(twin), str(ret)]) == EXIT_REFUSED
    assert "2 value(s) in them lost to the refusal" in capsys.readouterr().out
    result = run(master, "merge", returns=[ret])
    assert any("input sheet 'FinanceInput' was renamed or removed; the copy now has 'SalesInput'" in m
               for m in refusals(result))
    row = consensus_at(master, "BP-100", JAN)
    assert row["source"] == "Statistical" and row["final"] == row["statistical"]
    rejected = sheet(master, REJECTED)
    assert len(rejected) == 2 and set(rejected["department"]) == {"Finance"}
    assert rejected["reason"].str.startswith("return refused: layout changed").all()
    assert sheet(master, AUDIT).empty
    assert (sheet(master, REVIEW_LOG)["status"] == "sent").all()


def test_a_manifest_relabelled_with_a_recomputed_digest_fails_the_signature(sent, tmp_path):
    master, copies = sent
    ret = returned(copies["finance"], "Finance", [dict(item="BP-100", period="2027-01", budget=5)], tmp_path / "b")
    wb = openpyxl.load_workbook(ret)
    ws = wb["Manifest"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    manifest, _, signature = Manifest.from_rows(rows)
    import dataclasses
    forged = dataclasses.replace(manifest, department="Sales")  # all a sender can see: recompute the digest
    for r in ws.iter_rows():
        if r[0].value == "department":
            r[1].value = "Sales"
        if r[0].value == "digest":
            r[1].value = forged.digest()
    wb.save(ret)
    result = run(master, "merge", returns=[ret])
    assert any("tampered: the signature does not match" in m for m in refusals(result))
    assert result.data["refused"] == 1 and result.data["lost"] == 1
    assert consensus_at(master, "BP-100", JAN)["source"] == "Statistical"


def test_the_review_key_stays_in_the_master_very_hidden_and_never_in_a_copy(sent):
    master, copies = sent
    wb = openpyxl.load_workbook(master)
    assert wb["ReviewKey"].sheet_state == "veryHidden"
    key = next(r[0] for r in wb["ReviewKey"].iter_rows(min_row=4, values_only=True) if r[0])
    assert len(key) == 64
    for copy in copies.values():
        with open(copy, "rb"):
            pass
        import zipfile
        with zipfile.ZipFile(copy) as z:
            assert not any(key.encode() in z.read(n) for n in z.namelist())


def test_a_renamed_volume_header_is_refused_not_marked_merged(sent, tmp_path):
    master, copies = sent
    ret = returned(copies["sales"], "Sales", [dict(item="BP-100", period="2027-01", override=500),
                                              dict(item="BP-110", period="2027-01", override=600),
                                              dict(item="BP-120", period="2027-02", override=700)], tmp_path / "b")
    wb = openpyxl.load_workbook(ret)
    wb["SalesInput"]["C3"] = "Vol"
    wb.save(ret)
    result = run(master, "merge", returns=[ret])
    assert any("layout changed: header SalesInput!C3 reads 'Vol', the copy was sent with 'Volume'" in m
               for m in refusals(result))
    assert result.data["lost"] == 3 and "3 value(s) in them lost" in result.summary[1]
    assert len(sheet(master, REJECTED)) == 3
    assert (sheet(master, REVIEW_LOG)["status"] == "sent").all()


def test_every_merge_with_refusals_exits_with_its_own_code(sent, tmp_path, capsys):
    master, copies = sent
    ok = returned(copies["sales"], "Sales", [dict(item="BP-100", period="2027-01", override=500)], tmp_path / "b")
    junk = tmp_path / "b" / "junk.xlsx"
    junk.write_text("not a workbook")
    twin = tmp_path / "twin.xlsx"
    shutil.copy(master, twin)
    assert main(["merge", str(master), str(ok)]) == EXIT_OK
    assert main(["merge", str(twin), str(ok), str(junk)]) == EXIT_REFUSED
    out = capsys.readouterr().out
    assert "1 of 2 return(s) merged" in out and "1 return(s) refused (junk.xlsx)" in out


def test_implausible_values_need_a_confirmation_and_hard_bounds_hold(sent, tmp_path):
    master, copies = sent
    big = 50 * reference(master, "BP-120") + 1000
    also_big = 50 * reference(master, "BP-130") + 1000
    ret = returned(copies["sales"], "Sales", [
        dict(item="BP-100", period="2027-01", override=1e12),
        dict(item="BP-110", period="2027-01", override=1e300),
        dict(item="BP-120", period="2027-01", override=big, reason="typo?"),
        dict(item="BP-130", period="2027-01", override=also_big, reason="new key account", confirm="yes"),
    ], tmp_path / "b")
    result = run(master, "merge", returns=[ret])
    assert result.status == "ok", [str(i) for i in result.issues]
    rejected = sheet(master, REJECTED).set_index("item")["reason"]
    assert "beyond the largest volume sop_xl accepts" in rejected["BP-100"]
    assert "beyond the largest volume sop_xl accepts" in rejected["BP-110"]
    assert "more than 5 times its largest statistical forecast or history" in rejected["BP-120"]
    assert "type yes in the row's Confirm column" in rejected["BP-120"]
    assert consensus_at(master, "BP-130", JAN)["final"] == pytest.approx(also_big)
    audit = sheet(master, AUDIT)
    assert list(audit["item"]) == ["BP-130"] and "confirmed" in audit["detail"].iloc[0]
    assert consensus_at(master, "BP-100", JAN)["source"] == "Statistical"


def test_nothing_is_clipped_without_a_rejected_row(sent, tmp_path):
    master, copies = sent
    stat = consensus_at(master, "BP-120", FEB)["statistical"]
    assert stat > 0
    ret = returned(copies["marketing"], "Marketing", [
        dict(item="BP-100", period="2027-01", uplift_units=-1e12, event="Clearance"),
        dict(item="BP-120", period="2027-02", uplift_units=-(stat + 10), event="Cannibalised"),
        dict(item="BP-130", period="2027-02", uplift_units=-1, event="Small"),
    ], tmp_path / "b")
    result = run(master, "merge", returns=[ret])
    rejected = sheet(master, REJECTED).set_index("item")["reason"]
    assert "beyond the smallest uplift units sop_xl accepts" in rejected["BP-100"]
    assert "negative" in rejected["BP-120"] and "does not clip" in rejected["BP-120"]
    assert consensus_at(master, "BP-120", FEB)["final"] == pytest.approx(stat)
    assert list(sheet(master, AUDIT)["item"]) == ["BP-130"]
    assert len(result.data["result"].merged) + len(result.data["result"].reasons) == 3


def test_a_merge_into_a_closed_cycle_is_refused_and_close_cycle_says_what_to_change(sent, tmp_path, capsys):
    master, copies = sent
    ret = returned(copies["sales"], "Sales", [dict(item="BP-100", period="2027-01", override=500)], tmp_path / "b")
    assert main(["close-cycle", str(master)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "set Settings cycle (Settings!" in out and "to 2027-02 before the next send-review" in out
    before = sheet(master, CONSENSUS)
    twin = tmp_path / "twin.xlsx"
    shutil.copy(master, twin)
    assert main(["merge", str(twin), str(ret)]) == EXIT_REFUSED
    result = run(master, "merge", returns=[ret])
    assert any("cycle closed: cycle 2027-01 was closed at" in m for m in refusals(result))
    pd.testing.assert_frame_equal(sheet(master, CONSENSUS), before)
    assert sheet(master, REJECTED)["reason"].str.contains("cycle closed").all()


def test_an_uplift_superseded_by_a_later_override_is_on_rejected(sent, tmp_path):
    master, copies = sent
    consensus = sheet(master, CONSENSUS)
    family = consensus.loc[consensus["sku"] == "BP-100", "family"].iloc[0]
    n = consensus[(consensus["family"] == family) & (consensus["period"] == MAR)].shape[0]
    up = returned(copies["marketing"], "Marketing", [dict(item=family, period="2027-03", uplift_pct=0.1,
                                                          event="Fair")], tmp_path / "m")
    assert run(master, "merge", returns=[up]).status == "ok"
    audit = sheet(master, AUDIT)
    assert f"applied to {n} SKU(s)" in audit["detail"].iloc[0]
    total = consensus[(consensus["family"] == family) & (consensus["period"] == MAR)]["statistical"].sum()
    sales = returned(copies["sales"], "Sales", [dict(item=family, period="2027-03", override=round(total * 1.2))],
                     tmp_path / "s")
    result = run(master, "merge", returns=[sales])
    assert result.status == "ok", [str(i) for i in result.issues]
    rejected = sheet(master, REJECTED)
    assert len(rejected) == 1
    row = rejected.iloc[0]
    assert (row["department"], row["item"], row["field"]) == ("Marketing", family, "uplift_pct")
    assert row["reason"].startswith(f"superseded: Sales ({sales.name}) now decide(s) {n} SKU-period(s)")
    assert any("no longer decide" in line for line in result.summary)
