"""The Accuracy button: backtest accuracy without touching Forecast, and the accuracy of closed
cycles' plans of record once their actuals are pasted."""

from __future__ import annotations

import numpy as np
import openpyxl

from sop_xl.commands.base import execute
from sop_xl.io import FileWorkbook


def test_accuracy_writes_the_accuracy_table_only(demo_copy):
    results = execute(FileWorkbook(demo_copy), ["accuracy"])
    assert results[0].status != "failed", [str(i) for i in results[0].issues]
    wb = openpyxl.load_workbook(demo_copy)
    assert "Accuracy" in wb.sheetnames and "Forecast" not in wb.sheetnames
    acc = results[0].data["accuracy"]
    total = acc[acc["level"] == "Total"].iloc[0]
    assert 0 < total["wape"] < 1 and np.isfinite(total["mase"])
    assert any("No closed cycle yet" in i.message for i in results[0].issues)


def test_closed_cycle_is_scored_once_actuals_arrive(demo_copy):
    book = FileWorkbook(demo_copy)
    assert all(r.status != "failed" for r in execute(book, ["forecast", "close-cycle"]))
    # three months later: paste the actuals of 2027-01..03 as new history columns
    wb = openpyxl.load_workbook(demo_copy)
    ws = wb["DemandHistory"]
    table = ws.tables["tblDemandHistory"]
    del ws.tables["tblDemandHistory"]
    last_col = ws.max_column
    for k, label in enumerate(["2027-01", "2027-02", "2027-03"], start=1):
        ws.cell(row=3, column=last_col + k, value=label)
        for r in range(4, ws.max_row + 1):
            previous = ws.cell(row=r, column=last_col - 12 + k).value   # same month last year
            ws.cell(row=r, column=last_col + k, value=previous)
    wb.save(demo_copy)
    results = execute(FileWorkbook(demo_copy), ["accuracy"])
    assert results[0].status != "failed", [str(i) for i in results[0].issues]
    fva = openpyxl.load_workbook(demo_copy)["ForecastValueAdded"]
    header = [c.value for c in fva[3]]
    rows = [dict(zip(header, [c.value for c in row])) for row in fva.iter_rows(min_row=4)]
    total = [r for r in rows if r["Family"] == "All"]
    assert total and total[0]["Cycle"] == "2027-01" and total[0]["SKU-periods"] > 0
    assert any("cycle 2027-01" in line for line in results[0].summary)
