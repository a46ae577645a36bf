"""The commands end to end: the CLI subcommands and the demo's whole consensus round."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from sop_xl.cli import main
from sop_xl.commands.consensus import run_consensus_demo
from sop_xl.contract.consensus import AUDIT, CONSENSUS, REJECTED, REVIEW_LOG
from sop_xl.io.file import FileWorkbook

from .helpers import sheet


def test_cli_send_merge_close(master, tmp_path, capsys):
    out = tmp_path / "reviews"
    assert main(["send-review", str(master), "--to", str(out), "-q"]) == 0
    copies = sorted(out.glob("*.xlsx"))
    assert len(copies) == 4
    from sop_xl.commands.consensus import simulate_returns
    returns = simulate_returns(copies, tmp_path / "returns")
    assert main(["merge", str(master), str(tmp_path / "returns")]) == 0
    printed = capsys.readouterr().out
    assert "4 of 4 return(s) merged" in printed
    assert main(["close-cycle", str(master)]) == 0
    assert "snapshot in Versions" in capsys.readouterr().out
    assert len(returns) == 4
    with pytest.raises(SystemExit):
        main(["merge", str(master)])  # RETURNS are required


def test_cli_explains_a_workbook_without_forecast(demo_copy, tmp_path, capsys):
    assert main(["send-review", str(demo_copy), "--to", str(tmp_path / "r")]) == 1
    assert "no Forecast sheet" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_demo_round_is_deterministic(master, tmp_path):
    twin = tmp_path / "twin.xlsx"
    shutil.copy(master, twin)
    frames = []
    for path, folder in ((master, tmp_path / "a"), (twin, tmp_path / "b")):
        results = run_consensus_demo(FileWorkbook(path), review_dir=folder, seed=3)
        assert [r.stage for r in results] == ["send-review", "merge"]
        assert all(r.status == "ok" for r in results), [str(i) for r in results for i in r.issues]
        frames.append((sheet(path, CONSENSUS), sheet(path, AUDIT), sheet(path, REJECTED)))
    (c1, a1, r1), (c2, a2, r2) = frames
    pd.testing.assert_frame_equal(c1, c2)
    columns = ["department", "item", "period", "field", "old", "new", "reason"]
    pd.testing.assert_frame_equal(a1[columns], a2[columns])
    assert set(a1["department"]) == {"Sales", "Marketing", "Finance", "Operations"}
    # the simulated collisions are decided by priority: Sales beats Marketing and Finance
    assert sorted(r1["department"]) == ["Finance", "Marketing"]
    assert r1["reason"].str.contains(r"higher-priority department \(Sales\)").all()
    assert (sheet(master, REVIEW_LOG)["status"] == "merged").all()
    assert (c1["final"] != c1["statistical"]).sum() > 10
    assert a1["reason"].str.startswith("=").any()  # kept as text all the way
