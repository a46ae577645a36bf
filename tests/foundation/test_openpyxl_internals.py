"""sop_xl's speed work leans on openpyxl internals (listed in sop_xl/io/openpyxl_internals.py).
On an openpyxl they were not checked against, these tests fail naming the assumption, and the
fast paths stand down so a save is slower but still right."""

from __future__ import annotations

import openpyxl
import pandas as pd

from sop_xl.contract import ITEMS
from sop_xl.io import FileWorkbook, fast_rows, passthrough, read_table
from sop_xl.io.layout import layout_table
from sop_xl.io.openpyxl_internals import CHECKED_VERSIONS, broken_assumptions, fast_paths_allowed
from sop_xl.issues import IssueLog


def test_the_openpyxl_internals_sop_xl_relies_on_still_hold():
    broken = broken_assumptions()
    assert not broken, "openpyxl changed under sop_xl:\n- " + "\n- ".join(broken)
    assert openpyxl.__version__ in CHECKED_VERSIONS and fast_paths_allowed()


def test_an_unchecked_openpyxl_is_named_and_the_fast_paths_stand_down(monkeypatch, demo_copy, tmp_path):
    monkeypatch.setattr(openpyxl, "__version__", "3.2.0")
    assert any(b.startswith("openpyxl 3.2.0 was never checked") for b in broken_assumptions())
    assert not fast_paths_allowed()
    monkeypatch.setattr(fast_rows, "FAST_CELLS", 10)
    monkeypatch.setattr(passthrough, "PASSTHROUGH_BYTES", 10)
    items = read_table(FileWorkbook(demo_copy), ITEMS, IssueLog())
    assert not fast_rows.is_big(layout_table(ITEMS, items))  # 10 cells would be "big" on a checked version
    assert passthrough.set_aside(demo_copy, {"DemandHistory"}, tmp_path / "light.xlsx") == {}
    items.loc[items.index[0], "description"] = "changed"
    book = FileWorkbook(demo_copy)
    book.write_table(ITEMS, items)
    book.save()  # the ordinary openpyxl route
    again = read_table(FileWorkbook(demo_copy), ITEMS, IssueLog())
    pd.testing.assert_frame_equal(again.reset_index(drop=True), items.reset_index(drop=True))
