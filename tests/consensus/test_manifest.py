"""The manifest: sheet form, digest, fingerprint, and every reason to refuse a return."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from sop_xl.consensus.manifest import Manifest, ManifestError, fingerprint, layout_problem, row_keys, verify

KEYS = row_keys(["A", "B"], ["F"], ["2027-01", "2027-02"], ["Line1"])
STAT = pd.DataFrame(dict(sku=["A", "A", "B", "B"], ds=pd.to_datetime(["2027-01-01", "2027-02-01"] * 2),
                         forecast=[1.0, 2.0, 3.0, 4.0]))
SETTINGS = dict(cycle="2027-01", period_type="month", horizon=2, first_forecast_period=None)
FP = fingerprint(STAT, KEYS, SETTINGS)
SHEETS = ("Instructions", "SalesInput", "History", "Statistical", "Lists", "Manifest")
HEADER = ("SKU or family", "Period", "Volume", "Reason", "Confirm")
M = Manifest(copy_id="abc123", cycle="2027-01", department="Sales", fingerprint=FP, issued_at="t",
             input_sheet="SalesInput", master="book.xlsx", keys=KEYS, sheets=SHEETS, header=HEADER)
KEY = "k" * 64
RECORD = dict(copy_id="abc123", digest=M.digest(), status="sent", department="Sales")


def check(manifest=M, written=None, record=RECORD, **kw):
    args = dict(cycle="2027-01", departments=("Sales", "Finance"), fingerprint_now=FP, keys_now=KEYS, seen={},
                key=KEY, signature=manifest.signature(KEY) if manifest else "",
                input_sheets={"sales": "SalesInput", "finance": "FinanceInput"})
    args.update(kw)
    return verify(manifest, manifest.digest() if written is None and manifest else (written or ""), record, **args)


def test_sheet_form_round_trips():
    rows = M.to_rows(KEY)
    back, written, signature = Manifest.from_rows(rows)
    assert back == M and written == M.digest() and signature == M.signature(KEY)
    assert not any(KEY in str(v) for r in rows for v in r)  # the key itself never goes into a copy
    with pytest.raises(ManifestError, match="lacks copy_id"):
        Manifest.from_rows([r for r in rows if r[0] != "copy_id"])
    old = [r if r[0] != "version" else ["version", "1"] for r in rows]
    with pytest.raises(ManifestError, match="older sop_xl"):
        Manifest.from_rows(old)
    with pytest.raises(ManifestError, match="title"):
        Manifest.from_rows([["something else"]])


def test_fingerprint_moves_with_keys_forecast_and_horizon_only():
    assert fingerprint(STAT.sample(frac=1, random_state=1), KEYS, SETTINGS) == FP  # row order does not matter
    changed = STAT.assign(forecast=STAT["forecast"] + 0.01)
    assert fingerprint(changed, KEYS, SETTINGS) != FP
    assert fingerprint(STAT, KEYS[:-1], SETTINGS) != FP
    assert fingerprint(STAT, KEYS, {**SETTINGS, "horizon": 3}) != FP
    assert fingerprint(STAT, KEYS, {**SETTINGS, "uplift_rule": "add"}) == FP  # merge rules may change


def test_verify_accepts_a_good_return_and_names_every_refusal():
    assert check() == ""
    assert check(manifest=None, manifest_problem="no manifest sheet").startswith("not a review copy")
    assert check(written="0" * 32).startswith("tampered: the hidden manifest was edited")
    assert check(record=None).startswith("unknown copy abc123")
    assert check(record={**RECORD, "digest": "x"}).startswith("tampered: the manifest does not match")
    assert check(departments=("Finance",)).startswith("unknown department 'Sales'")
    assert check(cycle="2027-02") == "stale: this copy is for cycle 2027-01, the workbook is at cycle 2027-02"
    moved = check(keys_now=row_keys(["A", "B", "C"], ["F"], ["2027-01", "2027-02"], ["Line1"]))
    assert moved == "stale: the SKUs, periods or resources changed since the copy was sent (sku added: C)"
    assert check(fingerprint_now="other").startswith("stale: the statistical forecast")
    assert check(record={**RECORD, "status": "merged", "merged_at": "x", "merged_file": "f.xlsx"}).startswith(
        "duplicate return: this copy was already merged at x from f.xlsx")
    assert check(seen={"abc123": "first.xlsx"}).endswith("also in first.xlsx in this merge")
    edited = dataclasses.replace(M, department="Finance")
    assert check(manifest=edited, written=M.digest()).startswith("tampered")
    assert check(closed={"2027-01": "2027-02-03 10:00:00 UTC"}).startswith(
        "cycle closed: cycle 2027-01 was closed at 2027-02-03")


def test_the_signature_binds_department_and_layout_to_the_master_key():
    # a department that re-labels its copy and recomputes the digest (all it can see) is caught
    forged = dataclasses.replace(M, department="Finance", input_sheet="SalesInput")
    record = {**RECORD, "digest": forged.digest(), "department": "Finance"}
    assert check(manifest=forged, record=record, signature=M.signature(KEY)).startswith(
        "tampered: the signature does not match")
    assert check(manifest=forged, record=record, signature=forged.signature("guess" * 8)).startswith(
        "tampered: the signature")
    # even signed (it cannot be, without the key), a Finance manifest naming SalesInput is refused
    assert check(manifest=forged, record=record, signature=forged.signature(KEY)).startswith(
        "tampered: a Finance copy's input sheet is FinanceInput")
    assert check(record={**RECORD, "department": "Finance"}).startswith("tampered: the copy says Sales")
    assert check(key="").startswith("unsigned: this workbook has no review key")


def test_layout_problem_names_what_moved():
    assert layout_problem(M, SHEETS, list(HEADER)) == ""
    renamed = ["Instructions", "FinanceInput", "History", "Statistical", "Lists", "Manifest"]
    assert layout_problem(M, renamed, None).startswith(
        "layout changed: its input sheet 'SalesInput' was renamed or removed; the copy now has 'FinanceInput'")
    assert layout_problem(M, [*SHEETS, "Extra"], list(HEADER)) == "layout changed: sheets added 'Extra'"
    header = ["SKU or family", "Period", "Vol", "Reason", "Confirm"]
    assert layout_problem(M, SHEETS, header) == ("layout changed: header SalesInput!C3 reads 'Vol', the copy was "
                                                 "sent with 'Volume'")
