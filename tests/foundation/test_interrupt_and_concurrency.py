"""Ctrl-C at any moment, and two runs on one workbook at once (issue 14 items 1 and 5).

Real processes, real signals: `sop-xl` is started, SIGINT arrives at a chosen moment, and the
workbook, its backup and the folder are compared byte for byte with what they were."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import openpyxl
import pytest

from sop_xl.io.file import backup_path

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")


def _program() -> list[str]:
    """The installed `sop-xl` program (what a user runs), else `python -m sop_xl.cli`."""
    script = Path(sys.executable).with_name("sop-xl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sop_xl.cli"]


def _start(*args, env=None, cwd=None) -> subprocess.Popen:
    return subprocess.Popen([*_program(), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env={**os.environ, "SOP_XL_LOCK_WAIT": "120", **(env or {})})


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _interrupt_when(proc: subprocess.Popen, marker: str | None, delay: float) -> tuple[str, float]:
    """Send SIGINT `delay` s after `marker` appears on stderr (or after start); returns (stderr, seconds
    from the signal to the exit)."""
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        for line in proc.stderr:
            lines.append(line)
            if marker is None or marker in line:
                seen.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if marker is None:
        seen.set()
    assert seen.wait(300), "".join(lines)
    time.sleep(delay)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(60)
    exited = time.monotonic() - sent
    reader.join(5)
    return "".join(lines), exited


def _interpreter_start_up() -> float:
    """Seconds this machine needs to start Python itself (with the venv's site-packages), before any
    line of sop_xl can run: Ctrl-C inside that window is Python's, not ours."""
    times = []
    for _ in range(3):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.monotonic() - start)
    return max(times)


@pytest.mark.slow
@pytest.mark.parametrize("offset", [0.05, 0.1, 0.2, 0.4, 0.8, 1.5, 3.0])
def test_ctrl_c_at_any_moment_of_a_run(demo_copy, offset):
    """From start-up (imports) to the stages: exit 130 within 2 s, no traceback, files as before."""
    before = _snapshot(demo_copy.parent)
    delay = _interpreter_start_up() + offset
    proc = _start("run", demo_copy)
    err, exited = _interrupt_when(proc, None, delay)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert exited < 2.0, exited
    after = _snapshot(demo_copy.parent)
    if "was saved before the interrupt" in err:   # only if the whole run had finished its one save
        pytest.fail(f"a {delay} s interrupt came after the save: choose earlier moments\n{err}")
    assert after == before, sorted(set(after) ^ set(before))
    assert "the workbook was not changed" in err


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["Supply plan", "Scenarios", "Dashboard"])
def test_ctrl_c_during_a_stage_leaves_workbook_and_backup_as_before(demo_copy, stage):
    # a first run leaves a backup, so the test sees that the backup is kept as well
    subprocess.run([sys.executable, "-m", "sop_xl.cli", "forecast", str(demo_copy), "-q"], check=True,
                   timeout=600)
    assert backup_path(demo_copy).exists()
    before = _snapshot(demo_copy.parent)
    proc = _start("run", demo_copy)
    err, exited = _interrupt_when(proc, stage, 0.2)
    assert proc.returncode == 130 and exited < 2.0, (exited, err)
    assert "Traceback" not in err
    assert _snapshot(demo_copy.parent) == before


@pytest.mark.slow
def test_two_writers_never_lose_each_others_output(demo_copy):
    """Two runs started together on one workbook: the second waits for the first, so the RunLog
    ends up with both runs' rows and the Issues sheet of the last one."""
    def run_log_rows() -> int:
        ws = openpyxl.load_workbook(demo_copy, read_only=True)["RunLog"] if "RunLog" in \
            openpyxl.load_workbook(demo_copy, read_only=True).sheetnames else None
        if ws is None:
            return 0
        return sum(1 for row in ws.iter_rows(min_row=4, values_only=True) if row and row[1])
    start_rows = run_log_rows()
    first = _start("forecast", demo_copy, "-q")
    second = _start("forecast", demo_copy, "-q")
    third = _start("validate", demo_copy, "--write", "-q")
    for proc in (first, second, third):
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    wb = openpyxl.load_workbook(demo_copy, read_only=True)
    stages = [row[1] for row in wb["RunLog"].iter_rows(min_row=4, values_only=True) if row and row[1]]
    assert len(stages) == start_rows + 3, stages
    assert sorted(stages[-3:]) == ["forecast", "forecast", "validate"]
    # forecast's output survived the runs after it
    assert "Forecast" in wb.sheetnames
    assert not [p for p in demo_copy.parent.iterdir() if p.name.startswith(".~sop_xl")]


def test_second_writer_gives_up_after_the_wait_naming_the_holder(demo_copy):
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from sop_xl.io.lock import workbook_lock\n"
                               "with workbook_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)",
                               str(demo_copy)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = demo_copy.read_bytes()
        start = time.monotonic()
        proc = _start("forecast", demo_copy, "--wait", "1")
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 3, err
        assert f"pid {holder.pid}" in err and "gave up after waiting 1 s" in err
        assert time.monotonic() - start < 60
        assert demo_copy.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()


def test_a_temporary_file_is_never_created_unregistered(tmp_path, monkeypatch):
    """The race behind a leftover `.~sop_xl-*.xlsx`: Ctrl-C's clean-up ran between the save creating its
    temporary file and registering it. Here the clean-up is started exactly in that gap: it must wait,
    then remove the file."""
    import tempfile

    from sop_xl import safety

    created, release = threading.Event(), threading.Event()
    real_mkstemp = tempfile.mkstemp

    def slow_mkstemp(*args, **kwargs):
        out = real_mkstemp(*args, **kwargs)
        created.set()
        release.wait(5)          # the gap, held open while the interrupt arrives
        return out
    monkeypatch.setattr(tempfile, "mkstemp", slow_mkstemp)
    worker = threading.Thread(target=safety.new_temp, args=(tmp_path, ".~sop_xl-book-", ".xlsx"), daemon=True)
    worker.start()
    assert created.wait(5)
    aborted = threading.Thread(target=safety.abort)
    aborted.start()
    time.sleep(0.2)
    assert aborted.is_alive(), "the clean-up ran inside the gap"
    release.set()
    aborted.join(5)
    worker.join(5)
    try:
        assert list(tmp_path.iterdir()) == []
    finally:
        safety.reset()
