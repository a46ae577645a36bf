"""Workbook I/O speed: read a 10,000 SKU x 60 month history, write an output of the same size.

    python bench/io_bench.py [--skus 10000] [--months 60] [--repeat 3] [--memory]

Targets on the 2-core reference machine: read <= 1.5 x python-calamine's own time for the same sheet
(both printed, best of --repeat), write <= 10 s; with --memory, reading, validating and writing the
history back into its workbook within 2 GB peak memory (measured in a fresh process).
"""

from __future__ import annotations

import argparse
import os
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


def round_trip(path: Path) -> int:
    """What `sop-xl validate` and a stage do with the history: read and validate it, then write a table
    of the same size back into the same workbook (atomic save)."""
    from sop_xl.commands.validate import run_validate
    book = FileWorkbook(path, backup=False)
    result = run_validate(book)
    history = read_history(book, defaults(), IssueLog())
    wide = history.pivot(index="unique_id", columns="ds", values="y")
    wide.columns = periods.labels(wide.columns, "month")
    del history
    book.write_table(OUTPUT, wide.reset_index().rename(columns={"unique_id": "sku"}))
    del wide
    book.save()
    del result  # a bench history has no Items sheet: validate reports that, the cost is what is measured
    return 0


def round_trip_peak_mb(path: Path) -> float:
    """Peak resident memory (MB) of `round_trip` run in a fresh Python process (Linux: ru_maxrss in KB)."""
    import resource
    import subprocess
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, __file__, "--round-trip", str(path)], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(after, before) / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the two read timings")
    parser.add_argument("--memory", action="store_true",
                        help="also measure the peak memory of reading, validating and writing back the history")
    parser.add_argument("--round-trip", type=Path, help=argparse.SUPPRESS)  # the child process of --memory
    args = parser.parse_args(argv)
    if args.round_trip:
        return round_trip(args.round_trip)
    cells = args.skus * args.months
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "history.xlsx"
        frame = history_frame(args.skus, args.months)
        t = time.perf_counter()
        book = FileWorkbook(source, create=True, backup=False)
        book.write_table(DEMAND_HISTORY, frame)
        book.save()
        setup = time.perf_counter() - t

        # best of `repeat`, alternating, so a busy machine slows both sides alike
        calamine_s, read_s = float("inf"), float("inf")
        for _ in range(args.repeat):
            calamine_s = min(calamine_s, calamine_seconds(source, DEMAND_HISTORY.name))
            t = time.perf_counter()
            log = IssueLog()
            history = read_history(FileWorkbook(source), defaults(), log)
            read_s = min(read_s, time.perf_counter() - t)
            assert len(history) == cells and not log.has_errors
            del history
        peak_mb = round_trip_peak_mb(source) if args.memory else None

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
    if hasattr(os, "getloadavg"):
        print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end")
    print(f"  python-calamine alone (same sheet)   : {calamine_s:6.2f} s")
    print(f"  read history (calamine + validation) : {read_s:6.2f} s   {read_s / calamine_s:.2f} x calamine alone, "
          f"target <= 1.5 x")
    print(f"  write same-size output (new file)    : {write_s:6.2f} s   target <= 10 s")
    print(f"  write it into the history workbook   : {update_s:6.2f} s   (load + write + atomic save)")
    print(f"  (setup: writing the input workbook     {setup:6.2f} s)")
    if peak_mb is not None:
        print(f"  peak memory, read + validate + write back in a fresh process: {peak_mb:,.0f} MB   target <= 2,048 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
