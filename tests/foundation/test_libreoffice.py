"""A real spreadsheet program opens what sop_xl writes."""

from __future__ import annotations

import pytest

from sop_xl.contract import ITEMS
from sop_xl.io import FileWorkbook, read_table
from sop_xl.issues import IssueLog

pytestmark = pytest.mark.libreoffice


def test_libreoffice_opens_and_converts_the_demo_workbook(demo_inputs_path, libreoffice_convert, tmp_path):
    pdf = libreoffice_convert(demo_inputs_path, "pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
    xlsx = libreoffice_convert(demo_inputs_path, "xlsx", tmp_path / "resaved")
    log = IssueLog()
    original = read_table(FileWorkbook(demo_inputs_path), ITEMS, IssueLog())
    resaved = read_table(FileWorkbook(xlsx), ITEMS, log)
    assert not log.has_errors, [str(i) for i in log]
    assert resaved["sku"].tolist() == original["sku"].tolist()
    assert resaved["price"].tolist() == original["price"].tolist()
