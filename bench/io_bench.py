"""Workbook I/O speed: read a 10,000 SKU x 60 month history, write an output of the same size.

    python bench/io_bench.py [--skus 10000] [--months 60]

Targets on the 2-core reference machine: read <= 2 s, write <= 10 s. Prints seconds per step.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sop_xl import periods
from sop_xl.contract import DEMAND_HISTORY, Column, Kind, Layout, Owner, Role, Sheet
from sop_xl.io import FileWorkbook, read_history
from sop_xl.io.settings import defaults
from sop_xl.issues import IssueLog

# an output sheet of the same size as the history (SKU x periods), declared like any contract sheet
OUTPUT = Sheet(name="BenchOutput", table="tblBenchOutput", role=Role.OUTPUT, owner=Owner.SOP_XL,
               description="benchmark output", layout=Layout.WIDE, key=("sku",),
               columns=(Column("sku", Kind.TEXT, "SKU"),),
               period_values=Column("quantity", Kind.NUMBER, "Quantity", number_format="#,##0"))


def history_frame(n_skus: int, n_months: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = periods.labels(periods.period_range(pd.Timestamp("2022-01-01"), n_months, "month"), "month")
    values = np.round(rng.gamma(2.0, 50.0, size=(n_skus, n_months)))
    frame = pd.DataFrame(values, columns=labels)
    frame.insert(0, "sku", [f"SKU-{i:05d}" for i in range(n_skus)])
    return frame


def calamine_seconds(path: Path, sheet: str) -> float:
    """What python-calamine alone takes to turn the sheet into Python lists (the library's limit)."""
    from python_calamine import CalamineWorkbook
    t = time.perf_counter()
    with CalamineWorkbook.from_path(str(path)) as wb:
        rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    seconds = time.perf_counter() - t
    del rows
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=60)
    args = parser.parse_args(argv)
    cells = args.skus * args.months
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "history.xlsx"
        frame = history_frame(args.skus, args.months)
        t = time.perf_counter()
        book = FileWorkbook(source, create=True, backup=False)
        book.write_table(DEMAND_HISTORY, frame)
        book.save()
        setup = time.perf_counter() - t

        calamine_s = calamine_seconds(source, DEMAND_HISTORY.name)
        t = time.perf_counter()
        log = IssueLog()
        history = read_history(FileWorkbook(source), defaults(), log)
        read_s = time.perf_counter() - t
        assert len(history) == cells and not log.has_errors
        del history

        out = Path(tmp) / "output.xlsx"
        t = time.perf_counter()
        book = FileWorkbook(out, create=True, backup=False)
        book.write_table(OUTPUT, frame)
        book.save()
        write_s = time.perf_counter() - t

        t = time.perf_counter()
        book = FileWorkbook(source, backup=True)
        book.write_table(OUTPUT, frame)
        book.save()
        update_s = time.perf_counter() - t
    print(f"io_bench: {args.skus:,} SKUs x {args.months} months = {cells:,} cells")
    print(f"  python-calamine alone (same sheet)   : {calamine_s:6.2f} s")
    print(f"  read history (calamine + validation) : {read_s:6.2f} s   {read_s / calamine_s:.2f} x calamine alone, "
          f"target <= 1.5 x")
    print(f"  write same-size output (new file)    : {write_s:6.2f} s   target <= 10 s")
    print(f"  write it into the history workbook   : {update_s:6.2f} s   (load + write + atomic save)")
    print(f"  (setup: writing the input workbook     {setup:6.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
