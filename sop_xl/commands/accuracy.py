"""`sop-xl accuracy` / the Accuracy button: how good are the forecasts, without changing them.

Two questions a demand review asks once new actuals are pasted:
- how accurate is the statistical method on the latest history? (a rolling-origin backtest
  of every SKU, the same Accuracy table the forecast stage writes; Forecast is left alone);
- how did the plans of record of closed cycles do against what then happened, and did the
  consensus add value over the statistical forecast and over seasonal naive? (from Versions)
"""

from __future__ import annotations

import pandas as pd

from .. import periods
from ..contract.consensus import FORECAST_VALUE_ADDED, VERSIONS
from ..contract.forecast import ACCURACY
from ..consensus.versions import forecast_value_added
from ..forecast import forecast_result
from ..io.protocol import WorkbookAdapter
from ..issues import IssueCode, IssueLog
from ..progress import SILENT, Progress
from .base import StageResult
from .forecast import _accuracy_table, _families, read_demand_inputs


def run_accuracy(book: WorkbookAdapter, *, progress: Progress = SILENT) -> StageResult:
    log = IssueLog()
    settings, items, history, options = read_demand_inputs(book, log, purpose="to measure accuracy on")
    pt = settings.period_type
    history["unique_id"] = history["unique_id"].astype(str)
    family_of = _families(items, history, log)
    discontinued = set(items.loc[items["status"] == "discontinued", "sku"].astype(str))
    res = forecast_result(history[["unique_id", "ds", "y"]], int(settings.horizon), method=options["method"],
                          metric=options["metric"], season_length=options["season_length"],
                          level=settings.interval_levels, n_windows=int(settings.backtest_windows), freq=pt,
                          outlier_threshold=settings.outlier_threshold, progress=progress,
                          discontinued=sorted(discontinued & set(history["unique_id"])))
    acc = _accuracy_table(res, family_of)
    book.write_table(ACCURACY, acc, period_type=pt)
    sheets = [ACCURACY.name]
    total = acc[acc["level"] == "Total"] if "level" in acc else acc.iloc[:0]
    lines = ["accuracy: backtest of the statistical forecast on the latest history"
             f" ({history['unique_id'].nunique()} SKUs, {int(settings.backtest_windows)} windows)"]
    for row in total.itertuples(index=False):
        lines.append(f"  WAPE {row.wape:.1%}, MASE {row.mase:.2f}, bias {row.bias:+.1%}")

    versions = _versions(book, pt, log)
    if versions is None or versions.empty:
        log.info(IssueCode.STAGE_MISSING, "No closed cycle yet: accuracy of past plans of record (and the value "
                 "the consensus added) appears once a cycle is closed and its actuals are pasted.",
                 "Run close-cycle at the end of each S&OP cycle.", sheet=VERSIONS.name)
    else:
        season = int(settings.season_length or periods.season_length(pt))  # a year: 12, 52 or 4 periods
        fva = forecast_value_added(versions, history.rename(columns={"unique_id": "sku"}),
                                   season_length=season, period_type=pt)
        book.write_table(FORECAST_VALUE_ADDED, fva, period_type=pt)
        sheets.append(FORECAST_VALUE_ADDED.name)
        for row in fva[fva["family"] == "All"].itertuples(index=False):
            lines.append(f"  cycle {row.cycle}: WAPE naive {row.wape_naive:.1%}, statistical "
                         f"{row.wape_statistical:.1%}, consensus {row.wape_consensus:.1%} "
                         f"over {row.points} SKU-periods with actuals")
        if fva.empty:
            lines.append("  closed cycles have no actuals yet")
    return StageResult(stage="accuracy", summary=lines, issues=list(log), sheets=sheets,
                       data={"accuracy": acc, "result": res})


def _versions(book: WorkbookAdapter, period_type: str, log: IssueLog) -> pd.DataFrame | None:
    from .consensus import read_versions
    if VERSIONS.name.lower() not in {n.lower() for n in book.sheet_names()}:
        return None
    return read_versions(book, period_type)
