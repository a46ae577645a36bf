"""sop_xl's own workbook lock (issue 14 item 1)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sop_xl.io.lock import WorkbookBusy, lock_path, workbook_lock


def test_lock_file_is_created_and_removed(tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"x")
    with workbook_lock(book, wait=0):
        holder = json.loads(lock_path(book).read_text())
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        assert holder["user"] and holder["since"]
    assert not lock_path(book).exists()


def test_reentrant_in_one_process(tmp_path):
    book = tmp_path / "book.xlsx"
    with workbook_lock(book, wait=0):
        with workbook_lock(book, wait=0):
            pass
        assert lock_path(book).exists()
    assert not lock_path(book).exists()


def test_second_holder_waits_then_refuses_naming_the_holder(tmp_path):
    book = tmp_path / "book.xlsx"
    code = ("import sys, time; from sop_xl.io.lock import workbook_lock\n"
            "with workbook_lock(sys.argv[1], wait=0):\n"
            "    print('held', flush=True); time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(book)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        start = time.monotonic()
        with pytest.raises(WorkbookBusy) as info:
            with workbook_lock(book, wait=0.5):
                pass
        waited = time.monotonic() - start
        assert 0.45 <= waited < 3
        message = str(info.value)
        assert f"pid {proc.pid}" in message and "since" in message and "0.5 s" in message
        assert info.value.exit_code == 3
    finally:
        proc.kill()
        proc.wait()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    book = tmp_path / "book.xlsx"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    lock_path(book).write_text(json.dumps({"pid": int(dead), "host": socket.gethostname(), "user": "x",
                                           "since": "2026-01-01T00:00:00"}))
    with workbook_lock(book, wait=0):
        assert json.loads(lock_path(book).read_text())["pid"] == os.getpid()
    assert not lock_path(book).exists()


def test_lock_of_another_host_is_not_taken_over(tmp_path):
    book = tmp_path / "book.xlsx"
    lock_path(book).write_text(json.dumps({"pid": 1, "host": "elsewhere.example", "user": "anna",
                                           "since": "2026-12-01T09:00:00+00:00"}))
    with pytest.raises(WorkbookBusy, match="anna on elsewhere.example"):
        with workbook_lock(book, wait=0.2):
            pass


def test_office_owner_files_are_honoured_on_request(tmp_path):
    book = tmp_path / "book.xlsx"
    owner = tmp_path / ".~lock.book.xlsx#"
    owner.write_text("Anna Planner,anna,pc1,01.12.2026 09:00,file:///home/anna/.config/libreoffice/4;")
    with workbook_lock(book, wait=0):   # the Excel front end: its own workbook is open in Excel
        pass
    with pytest.raises(WorkbookBusy, match="open in LibreOffice by Anna Planner"):
        with workbook_lock(book, wait=0.2, office=True):
            pass
    assert not lock_path(book).exists()


def test_lock_released_when_the_block_raises(tmp_path):
    book = tmp_path / "book.xlsx"
    with pytest.raises(RuntimeError):
        with workbook_lock(book, wait=0):
            raise RuntimeError("boom")
    assert not lock_path(book).exists()


def test_a_folder_that_cannot_hold_a_lock_does_not_stop_the_run(tmp_path):
    book = tmp_path / "not-yet" / "book.xlsx"     # --out into a folder the save will create
    with workbook_lock(book, wait=0):
        pass
    assert not (tmp_path / "not-yet").exists() or not lock_path(book).exists()
