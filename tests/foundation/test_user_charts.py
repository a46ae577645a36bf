"""A planner's own chart on their own sheet survives a run (openpyxl reads charts back)."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
from openpyxl.chart import BarChart, Reference

from sop_xl.contract import ISSUES
from sop_xl.io import FileWorkbook


def test_users_chart_survives(demo_copy):
    wb = openpyxl.load_workbook(demo_copy)
    ws = wb.create_sheet("My chart")
    for r, (label, value) in enumerate([("a", 3), ("b", 5), ("c", 2)], start=1):
        ws.cell(row=r, column=1, value=label)
        ws.cell(row=r, column=2, value=value)
    chart = BarChart()
    chart.title = "Mine"
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3))
    chart.set_categories(Reference(ws, min_col=1, min_row=1, max_row=3))
    ws.add_chart(chart, "D2")
    wb.save(demo_copy)
    book = FileWorkbook(demo_copy)
    book.write_table(ISSUES, pd.DataFrame(columns=ISSUES.column_names()))
    book.save()
    wb = openpyxl.load_workbook(demo_copy)
    charts = wb["My chart"]._charts
    assert len(charts) == 1
    with zipfile.ZipFile(demo_copy) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())
        assert any("Mine" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart"))
