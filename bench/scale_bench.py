"""Scale benchmark: a generated 5,000-SKU company with 60 months of history, 4 resources (one labour pool),
5 scenarios and an 18-month horizon, timed stage by stage through the real command line.

The company is the demo company (sop_xl.demo) grown to --skus SKUs and --history months; resource
capacities, calendar exceptions and the sewing workforce grow with it, so the plan is as tight as the
demo's. Each command runs in its own process under /usr/bin/time (wall seconds and peak resident
memory): validate, forecast, plan, scenarios on one copy, then the whole `sop-xl run` on a fresh copy.

Targets (issue 14.6, 2 cores): whole run <= 5 min and <= 2 GB peak; plan <= 60 s.

Run: python bench/scale_bench.py [--skus 5000] [--history 60] [--keep DIR] [--skip-run | --run-only]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGETS = {"plan": (60.0, None), "run": (300.0, 2048.0)}


def generate(path: Path, n_skus: int, history: int, seed: int = 7) -> dict:
    """Write the grown demo company to `path`; returns its size."""
    import sop_xl.demo as demo
    from sop_xl.commands.demo import write_demo_inputs
    from sop_xl.io.file import FileWorkbook

    spares = 4
    per = n_skus - spares
    n_per_family = (per // 3 + per % 3, per // 3, per // 3)
    saved = demo.HISTORY_MONTHS
    demo.HISTORY_MONTHS = history
    try:
        company = demo.make_demo(seed, n_per_family=n_per_family)
    finally:
        demo.HISTORY_MONTHS = saved
    scale = n_skus / 40.0  # the demo's 40 SKUs fill its plant
    for frame in (company.resources, company.calendar):
        for col in ("regular_capacity", "overtime_capacity"):
            frame[col] = (frame[col] * scale).round()
    book = FileWorkbook(path, create=True, backup=False)
    write_demo_inputs(book, company)
    book.save()
    return {"skus": len(company.items), "history": history, "resources": len(company.resources),
            "sewers": float(company.workforce["initial_headcount"].iloc[0])}


def sop_xl(*args: str) -> list[str]:
    exe = Path(sys.executable).with_name("sop-xl")
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "sop_xl.cli", *args]


def timed_command(cmd: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS in MB, exit code and the last lines of output of one command."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    start = time.perf_counter()
    proc = subprocess.run([gnu_time, "-f", "__PEAK_KB__ %M", *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - start
    found = re.findall(r"__PEAK_KB__ (\d+)", proc.stderr)
    peak = int(found[-1]) / 1024 if found else float("nan")
    tail = "\n".join(line for line in (proc.stdout + proc.stderr).splitlines()
                     if "__PEAK_KB__" not in line)[-600:]
    return wall, peak, proc.returncode, tail


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skus", type=int, default=5000)
    parser.add_argument("--history", type=int, default=60)
    parser.add_argument("--keep", type=Path, default=None, help="keep the workbooks in this folder")
    parser.add_argument("--skip-run", action="store_true", help="stage by stage only, no whole `run`")
    parser.add_argument("--run-only", action="store_true", help="the whole `run` only, not stage by stage")
    args = parser.parse_args()
    if hasattr(os, "getloadavg"):
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (figures on a busy machine "
              "are slower than on an idle one)")
    folder = Path(tempfile.mkdtemp(prefix="sop_xl_scale_")) if args.keep is None else args.keep
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / "company.xlsx"
    start = time.perf_counter()
    size = generate(base, args.skus, args.history)
    print(f"generated {size['skus']:,} SKUs x {size['history']} months of history, {size['resources']} resources, "
          f"5 scenarios, 18-month horizon in {time.perf_counter() - start:.1f} s ({base.stat().st_size / 1e6:.1f} MB)")

    rows = []
    stages = folder / "stages.xlsx"
    shutil.copy(base, stages)
    for stage in () if args.run_only else ("validate", "forecast", "plan", "scenarios"):
        wall, peak, code, tail = timed_command(sop_xl(stage, str(stages), "-q"))
        rows.append((stage, wall, peak, code))
        print(f"{stage:10s} {wall:7.1f} s  peak {peak:7.0f} MB  exit {code}")
        if code not in (0, 2):
            print("  " + tail.replace("\n", "\n  "))
    if not args.skip_run:
        whole = folder / "run.xlsx"
        shutil.copy(base, whole)
        wall, peak, code, tail = timed_command(sop_xl("run", str(whole), "-q"))
        rows.append(("run", wall, peak, code))
        print(f"{'run':10s} {wall:7.1f} s  peak {peak:7.0f} MB  exit {code}  (validate -> dashboard, 5 scenarios)")
        if code not in (0, 2):
            print("  " + tail.replace("\n", "\n  "))
    print("\ntargets (issue 14.6, 2 cores):")
    for stage, wall, peak, code in rows:
        if stage in TARGETS:
            t_max, m_max = TARGETS[stage]
            ok = wall <= t_max and (m_max is None or peak <= m_max)
            memory = "" if m_max is None else f", peak {peak:,.0f} MB <= {m_max:,.0f} MB"
            print(f"  {stage:10s} {wall:6.1f} s <= {t_max:g} s{memory}: {'met' if ok else 'NOT met'}")
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        print(f"workbooks kept in {folder}")


if __name__ == "__main__":
    main()
