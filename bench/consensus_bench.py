"""Consensus speed: the merge core on a large portfolio, and a whole review round on files.

    python bench/consensus_bench.py            # 2,000 SKUs x 24 periods core; 300-SKU file round
    python bench/consensus_bench.py --quick    # smaller
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from sop_xl import periods  # noqa: E402
from sop_xl.consensus.audit import offers_frame  # noqa: E402
from sop_xl.consensus.merge import MergeRules, merge  # noqa: E402


def core(n_skus: int, h: int, n_offers: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    ds = periods.period_range(pd.Timestamp("2027-01-01"), h, "month")
    skus = [f"S{i:05d}" for i in range(n_skus)]
    families = [f"F{i % 50:02d}" for i in range(n_skus)]
    stat = pd.DataFrame({"sku": np.repeat(skus, h), "ds": np.tile(ds, n_skus),
                         "forecast": rng.gamma(2.0, 50.0, n_skus * h)})
    items = pd.DataFrame({"sku": skus, "family": families, "price": rng.uniform(5, 500, n_skus)})
    kinds = [("Sales", "override"), ("Finance", "budget"), ("Marketing", "uplift_pct"), ("Finance", "price")]
    records = []
    for k in range(n_offers):
        dept, field = kinds[k % len(kinds)]
        family_level = rng.random() < 0.05
        item = families[rng.integers(n_skus)] if family_level else skus[rng.integers(n_skus)]
        value = float(rng.uniform(0.05, 0.3)) if field == "uplift_pct" else float(rng.uniform(10, 900))
        records.append(dict(department=dept, field=field, item=item, period=ds[rng.integers(h)], value=value,
                            file=f"{dept}.xlsx", cell=f"C{4 + k}"))
    offers = offers_frame(records)
    t = time.perf_counter()
    first = merge(offers, statistical=stat, items=items, rules=MergeRules(), cycle="2027-01")
    t1 = time.perf_counter() - t
    t = time.perf_counter()
    merge(offers, statistical=stat, items=items, rules=MergeRules(), cycle="2027-01", previous=first.consensus)
    t2 = time.perf_counter() - t
    print(f"merge core: {n_skus} SKUs x {h} periods ({n_skus * h:,} cells), {n_offers:,} offers: "
          f"{t1:.2f} s first merge, {t2:.2f} s on top of an earlier merge; "
          f"{len(first.merged):,} merged, {len(first.reasons):,} rejected")


def file_round(n_per_family: tuple[int, int, int]) -> None:
    from sop_xl.commands.base import execute
    from sop_xl.commands.consensus import FORECAST_READ
    from sop_xl.commands.demo import write_demo_inputs
    from sop_xl.commands.consensus import simulate_returns
    from sop_xl.demo import make_demo
    from sop_xl.io.file import FileWorkbook
    from sop_xl.io.tables import to_wide

    root = Path(tempfile.mkdtemp(prefix="sop_xl-consensus-bench-"))
    try:
        path = root / "master.xlsx"
        company = make_demo(7, n_per_family=n_per_family)
        book = FileWorkbook(path, create=True, backup=False)
        write_demo_inputs(book, company)
        hist = company.history
        last = hist["ds"].max()
        fc = hist[hist["ds"] > periods.shift(last, -18, "month")].copy()
        fc["ds"] = [periods.shift(d, 18, "month") for d in fc["ds"]]
        fc = fc.rename(columns={"quantity": "forecast"}).fillna({"forecast": 0.0})
        book.write_table(FORECAST_READ, to_wide(fc, ["sku"], "forecast", period_type="month"))
        book.save()
        n = len(company.items)
        timings = {}
        t = time.perf_counter()
        sent = execute(FileWorkbook(path), ["send-review"], options={"send-review": {"to_dir": root / "out"}})[-1]
        timings["send-review (4 copies)"] = time.perf_counter() - t
        t = time.perf_counter()
        returns = simulate_returns(sent.data["files"], root / "back")
        timings["departments edit (openpyxl)"] = time.perf_counter() - t
        t = time.perf_counter()
        merged = execute(FileWorkbook(path), ["merge"], options={"merge": {"returns": returns}})[-1]
        timings["merge (4 returns)"] = time.perf_counter() - t
        t = time.perf_counter()
        execute(FileWorkbook(path), ["close-cycle"])
        timings["close-cycle"] = time.perf_counter() - t
        size = sum(f.stat().st_size for f in sent.data["files"]) / len(sent.data["files"]) / 1024
        print(f"file round, {n} SKUs x 18 periods, review copy {size:.0f} kB each "
              f"({merged.summary[0].split(': ', 1)[1]}):")
        for name, seconds in timings.items():
            print(f"  {name:<30} {seconds:6.2f} s (includes saving the master)" if "copies" not in name
                  and "edit" not in name else f"  {name:<30} {seconds:6.2f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        core(400, 18, 1_000)
        file_round((12, 14, 10))
    else:
        core(2_000, 24, 5_000)
        file_round((100, 100, 100))
