"""Progress a planner can read during long solves (issue 14.8): elapsed time, best plan, bound and gap
from HiGHS; one line per stage when the output is a file; nothing at all when no one listens."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from sop_xl.plan import build_plan_data, build_plan_model, solve_model
from sop_xl.plan.solver_progress import mip_line, watch
from sop_xl.progress import notes_to

BENCH = Path(__file__).resolve().parents[2] / "bench"


def lot_sizing_case(n_skus: int = 30):
    """A small lot-sizing MIP from the plan bench's generator (setup costs and times, minimum lots):
    a few seconds of branch-and-cut on 3 resources."""
    sys.path.insert(0, str(BENCH))
    try:
        from plan_bench import generate
    finally:
        sys.path.remove(str(BENCH))
    return generate(n_skus, 12, 3, lot_sizing=True, seed=5, n_labour=0)


class Notes:
    note_every = 0.1

    def __init__(self):
        self.lines: list[str] = []

    def note(self, text: str) -> None:
        self.lines.append(text)


def test_a_long_mip_reports_best_plan_bound_and_gap():
    data, issues = build_plan_data(**lot_sizing_case())
    assert data is not None, [str(i) for i in issues]
    model = build_plan_model(data)
    notes = Notes()
    with notes_to(notes):
        solved = solve_model(model.lp, "highs", time_limit=8.0, mip_gap=0.01)
    assert solved.has_plan
    assert solved.seconds > 0.5, "the case is too easy to show progress on this machine"
    mip = [line for line in notes.lines if "gap" in line]
    assert mip, notes.lines
    found = re.match(r"solver: [\d,.]+ s, best plan ([\d,]+), bound ([\d,]+), gap ([\d.]+) %", mip[-1])
    assert found, mip[-1]
    best, bound = (float(found.group(i).replace(",", "")) for i in (1, 2))
    assert bound <= best * (1 + 1e-9)   # a cost plan: the bound is below the best plan found


class FakeHighs:
    """A Highs stand-in without the callback API (an older highspy): the clock thread still reports."""

    def __init__(self):
        self.subscribed = 0

    @property
    def cbMipInterrupt(self):
        self.subscribed += 1
        raise AttributeError("cbMipInterrupt")


def test_a_long_lp_reports_elapsed_time_from_a_clock_thread():
    notes = Notes()
    with notes_to(notes), watch(FakeHighs()):
        time.sleep(0.6)
    assert notes.lines and all(re.fullmatch(r"solver: [\d,.]+ s, solving", line) for line in notes.lines)


def test_nothing_is_attached_when_no_one_listens():
    h = FakeHighs()
    with watch(h):
        time.sleep(0.2)
    assert h.subscribed == 0


def test_excel_gets_notes_only_from_the_solving_thread():
    class StatusBar(Notes):
        notes_from_threads = False
    notes = StatusBar()
    with notes_to(notes), watch(FakeHighs()):
        time.sleep(0.4)
    assert notes.lines == []


def test_mip_line_without_a_plan_yet():
    inf = float("inf")
    assert mip_line(3.2, inf, 1234.4, inf) == "solver: 3.2 s, no plan yet, bound 1,234"
    assert mip_line(75, 1000, 990, 0.01) == "solver: 75 s, best plan 1,000, bound 990, gap 1.00 %"


def test_redirected_output_is_one_line_per_stage_and_solver_lines(tmp_path):
    """`sop-xl plan` with stderr to a file: the stage's line once, then solver lines with bound and gap,
    no terminal control codes."""
    sys.path.insert(0, str(BENCH))
    try:
        from plan_bench import write_workbook
    finally:
        sys.path.remove(str(BENCH))
    from sop_xl.contract import SETTINGS
    from sop_xl.io.file import FileWorkbook
    from sop_xl.io.settings import settings_frame

    path = tmp_path / "lots.xlsx"
    case = lot_sizing_case()
    write_workbook(path, case)
    book = FileWorkbook(path, backup=False)  # a few seconds of branch-and-cut, not the default 60
    book.write_table(SETTINGS, settings_frame({"first_forecast_period": case["settings"].first_period,
                                               "horizon": 12, "lot_sizing": True, "whole_headcount": "no",
                                               "time_limit": 8, "mip_gap": 0.01}))
    book.save()
    err = tmp_path / "stderr.txt"
    env = {**os.environ, "SOP_XL_PROGRESS_EVERY": "0.2"}
    with open(err, "w") as stream:
        proc = subprocess.run([sys.executable, "-m", "sop_xl.cli", "plan", str(path)], stdout=subprocess.PIPE,
                              stderr=stream, text=True, env=env, timeout=300)
    assert proc.returncode in (0, 2), proc.stdout + err.read_text()
    lines = err.read_text().splitlines()
    assert "\x1b" not in err.read_text()
    assert lines.count("Supply plan ...") == 1
    solver = [line for line in lines if line.startswith("Supply plan: solver:")]
    assert any(", bound " in line and ", gap " in line for line in solver), lines
