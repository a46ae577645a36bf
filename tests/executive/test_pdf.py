"""The meeting's PDF through LibreOffice, checked by rendering its pages; the dashboard's native
charts and conditional formatting in the saved workbook."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from sop_xl.cli import main
from sop_xl.commands.base import execute
from sop_xl.io.pdf import render_pages
from sop_xl.io import FileWorkbook

from .helpers import memory_book

pytestmark = pytest.mark.libreoffice

A4_LANDSCAPE = 297 / 210


def _tools_or_skip() -> None:
    missing = [t for t in ("soffice", "pdftoppm", "pdftotext") if shutil.which(t) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(missing)} required in CI: .ci/run installs libreoffice-calc and poppler-utils")
        pytest.skip(f"{', '.join(missing)} not installed")


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """A saved workbook after plan, scenarios, financials and dashboard."""
    path = tmp_path_factory.mktemp("meeting") / "tiny.xlsx"
    scenarios = pd.DataFrame({"scenario": ["Double"], "lever": ["demand"], "value": ["2"]})
    book = FileWorkbook(path, create=True, backup=False)
    memory_book(capacity=75.0, scenarios=scenarios, book=book)
    book.save()
    book = FileWorkbook(path, backup=False)
    results = execute(book, ["plan", "scenarios", "financials", "dashboard"])
    assert "failed" not in [r.status for r in results], [str(i) for r in results for i in r.issues]
    return path


def test_pdf_pages_render_non_blank_and_landscape(reviewed, tmp_path):
    _tools_or_skip()
    out = tmp_path / "meeting.pdf"
    book = FileWorkbook(reviewed)
    result = execute(book, ["export-pdf"], save=False, options={"export-pdf": {"out": out}})[-1]
    assert result.status == "ok", [str(i) for i in result.issues]
    assert result.data["pdf"] == out and result.data["pages"] == 1  # the one page the README promises
    pages = render_pages(out, tmp_path / "pages", dpi=30)
    assert len(pages) == result.data["pages"]
    for image in pages:
        height, width = image.shape
        assert width / height == pytest.approx(A4_LANDSCAPE, rel=0.02)
        ink = (image < 200).mean()
        assert ink > 0.005, f"blank page ({ink:.4f} of the pixels are dark)"
    # the first page carries the KPI table with its colours, and charts below it
    first = pages[0]
    assert (first < 250).mean() > 0.03
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True).stdout
    for expected in ("Dashboard", "Fill rate", "Peak utilisation", "All families", "load, capacity", "Inventory",
                     "Scenarios", "Actuals" if "Actuals" in text else "Consensus"):
        assert expected in text, expected
    assert "DashboardData" not in text  # the chart data sheet is hidden, not printed


def test_cli_export_pdf_next_to_the_workbook(reviewed, tmp_path):
    _tools_or_skip()
    copy = tmp_path / "copy.xlsx"
    shutil.copy(reviewed, copy)
    before = copy.read_bytes()
    assert main(["export-pdf", str(copy), "-q"]) == 0
    assert (tmp_path / "copy.pdf").stat().st_size > 10_000
    assert copy.read_bytes() == before  # exporting does not change the workbook


def test_dashboard_charts_and_status_colours_are_native(reviewed):
    wb = load_workbook(reviewed)
    ws = wb["Dashboard"]
    charts = ws._charts
    assert len(charts) >= 4
    refs = {s.val.numRef.f.split("!")[0].strip("'") for c in charts for s in c.series}
    assert refs == {"DashboardData"}
    rules = [(str(cf.sqref), r.formula[0]) for cf in ws.conditional_formatting for r in cf.rules]
    assert ('F4:F15', '$F4="off track"') in rules and len(rules) == 3
    # a second run redraws them instead of adding more
    book = FileWorkbook(reviewed, backup=False)
    execute(book, ["dashboard"])
    ws = load_workbook(reviewed)["Dashboard"]
    assert len([r for cf in ws.conditional_formatting for r in cf.rules]) == 3
    assert len(ws._charts) == len(charts)
    comparison = load_workbook(reviewed)["ScenarioComparison"]
    assert len(comparison._charts) == 1


def test_pgm_reader(tmp_path):
    from sop_xl.io.pdf import read_pgm
    pgm = tmp_path / "x.pgm"
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    pgm.write_bytes(b"P5\n# made by a test\n4 3\n255\n" + pixels.tobytes())
    assert (read_pgm(pgm) == pixels).all()


def test_without_libreoffice_the_export_is_an_issue(reviewed, tmp_path, monkeypatch):
    import sop_xl.io.pdf as pdf
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    result = execute(FileWorkbook(reviewed), ["export-pdf"], save=False,
                     options={"export-pdf": {"out": tmp_path / "x.pdf"}})[-1]
    # not an error: the workbook is complete; one warning says in one line how to get the page
    assert result.status == "warnings" and len(result.summary) == 1 and "Export PDF in Excel" in result.summary[0]
    (issue,) = result.issues
    assert issue.code == "pdf_engine_missing" and "not installed" in issue.message
    assert "libreoffice" in issue.hint.lower() and "Export PDF in Excel" in issue.hint and "\n" not in issue.hint
    assert not (tmp_path / "x.pdf").exists()


def test_meeting_layout_is_one_page_with_four_charts_under_the_kpis():
    """The layout both engines print (LibreOffice here, Excel's Book.to_pdf in Excel): pure numbers."""
    from sop_xl.io.pdf import meeting_pdf_layout
    layout = meeting_pdf_layout(12, title="Co S&OP")
    assert layout.sheets == ("Dashboard",) and layout.hidden == ("DashboardData",)
    assert (layout.fit_pages_wide, layout.fit_pages_tall, layout.orientation) == (1, 1, "landscape")
    assert len(layout.chart_anchors) == 4
    rows = [int("".join(ch for ch in a if ch.isdigit())) for a in layout.chart_anchors]
    assert min(rows) > 3 + 12  # under the KPI table
    last = int(layout.print_area["Dashboard"].split(":")[1].lstrip("ABCDEFG"))
    assert max(rows) + layout.chart_height_cm / 0.53 <= last  # every chart inside the printed area
