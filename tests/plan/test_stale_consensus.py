"""A consensus merged on an older statistical forecast is flagged when the plan uses it."""

from __future__ import annotations

import pandas as pd

from sop_xl.commands.base import execute
from sop_xl.contract.consensus import CONSENSUS
from sop_xl.io import FileWorkbook, read_settings, read_wide
from sop_xl.commands.plan import _FORECAST
from sop_xl.issues import IssueLog


def _consensus_from_forecast(book, shift: float) -> pd.DataFrame:
    log = IssueLog()
    pt = read_settings(book, log).period_type
    fc = read_wide(book, _FORECAST, log, period_type=pt).dropna(subset=["forecast"]).reset_index(drop=True)
    frame = pd.DataFrame({"sku": fc["sku"], "period": fc["ds"], "statistical": fc["forecast"],
                          "final": fc["forecast"]})
    frame.loc[0, "statistical"] += shift
    frame["cycle"] = "2027-01"
    frame["source"] = "statistical"
    for col in CONSENSUS.columns:
        if col.name not in frame:
            frame[col.name] = None
    return frame[CONSENSUS.column_names()]


def test_plan_warns_when_the_consensus_is_older_than_the_forecast(demo_copy):
    assert execute(FileWorkbook(demo_copy), ["forecast"])[0].status != "failed"
    for shift, stale in ((0.0, False), (50.0, True)):
        book = FileWorkbook(demo_copy)
        book.write_table(CONSENSUS, _consensus_from_forecast(book, shift))
        book.save()
        result = execute(FileWorkbook(demo_copy), ["plan"])[0]
        codes = [i.code for i in result.issues]
        assert ("plan_consensus_stale" in codes) is stale
        assert result.status != "failed" and "demand from Consensus" in result.summary[0]
