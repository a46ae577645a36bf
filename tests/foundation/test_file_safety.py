"""Saves keep the file's identity and fail cleanly; every opened workbook is checked for zip bombs;
the error log is per user and never follows a planted link (issue 14 items 2-4)."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from sop_xl.contract import ISSUES
from sop_xl.io.file import FileWorkbook, backup_path
from sop_xl.issues import WorkbookAccessError


def _stage_something(book: FileWorkbook) -> None:
    book.write_table(ISSUES, pd.DataFrame(columns=ISSUES.column_names()))


def _cli(*args, env=None, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "sop_xl.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=600, env={**os.environ, **(env or {})}, cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".~sop_xl"))


# ----------------------------------------------------------------------------------------------- identity
def test_symlink_is_written_through_to_its_target(demo_copy, tmp_path):
    real_dir = tmp_path / "share"
    real_dir.mkdir()
    real = real_dir / "real.xlsx"
    shutil.move(demo_copy, real)
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    before = real.read_bytes()
    book = FileWorkbook(link)
    _stage_something(book)
    book.save()
    assert link.is_symlink() and os.readlink(link) == str(real)   # the link is still a link
    assert real.read_bytes() != before                            # and its target was updated
    assert backup_path(real).read_bytes() == before


def test_mode_owner_and_group_are_kept(demo_copy):
    os.chmod(demo_copy, 0o664)
    if os.geteuid() == 0:
        os.chown(demo_copy, 1234, 4321)
    before = os.stat(demo_copy)
    book = FileWorkbook(demo_copy)
    _stage_something(book)
    book.save()
    after = os.stat(demo_copy)
    assert after.st_ino != before.st_ino                           # really replaced
    assert stat.S_IMODE(after.st_mode) == 0o664
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)


def test_read_only_file_is_refused_even_as_root(demo_copy):
    os.chmod(demo_copy, 0o444)
    before = demo_copy.read_bytes()
    book = FileWorkbook(demo_copy)
    _stage_something(book)
    with pytest.raises(WorkbookAccessError, match="read-only"):
        book.save()
    assert demo_copy.read_bytes() == before
    assert not _leftovers(demo_copy.parent)


def test_directory_and_special_files_get_a_clear_message(tmp_path):
    folder = tmp_path / "book.xlsx"
    folder.mkdir()
    code, _, err = _cli("forecast", folder)
    assert code == 3 and "is a folder, not a workbook" in err and "Traceback" not in err
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    start = time.monotonic()
    code, _, err = _cli("validate", fifo)
    assert code == 3 and "not a regular file" in err
    assert time.monotonic() - start < 30   # never blocks reading the pipe


def test_out_pointing_at_a_folder_is_refused(demo_copy, tmp_path):
    target = tmp_path / "out.xlsx"
    target.mkdir()
    book = FileWorkbook(demo_copy, out=target)
    _stage_something(book)
    with pytest.raises(WorkbookAccessError, match="is a folder"):
        book.save()


# --------------------------------------------------------------------------------------- failing saves
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EIO])
def test_injected_write_error_is_exit_3_and_leaves_everything_as_it_was(demo_copy, monkeypatch, code):
    # a first save makes a backup, so both the workbook and its backup can be checked
    book = FileWorkbook(demo_copy)
    _stage_something(book)
    book.save()
    before, backup_before = demo_copy.read_bytes(), backup_path(demo_copy).read_bytes()

    import sop_xl.io.fast_rows as fast_rows
    real = fast_rows.rewrite_package

    def failing(path, edits):   # the package is half written when the disk gives out
        Path(str(path) + ".rows").write_bytes(b"partial")
        raise OSError(code, os.strerror(code), str(path))
    monkeypatch.setattr(fast_rows, "rewrite_package", failing)
    book = FileWorkbook(demo_copy)
    _stage_something(book)
    with pytest.raises(WorkbookAccessError) as err:
        book.save()
    monkeypatch.setattr(fast_rows, "rewrite_package", real)
    assert err.value.exit_code == 3
    assert "could not be saved" in str(err.value) and os.strerror(code) in str(err.value)
    assert "Nothing was changed" in str(err.value)
    assert demo_copy.read_bytes() == before
    assert backup_path(demo_copy).read_bytes() == backup_before
    assert not _leftovers(demo_copy.parent), _leftovers(demo_copy.parent)


def test_failure_while_making_the_backup_keeps_the_old_backup(demo_copy, monkeypatch):
    book = FileWorkbook(demo_copy)
    _stage_something(book)
    book.save()
    before, backup_before = demo_copy.read_bytes(), backup_path(demo_copy).read_bytes()

    def full(src, dst, *a, **k):
        Path(dst).write_bytes(b"half a backup")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
    monkeypatch.setattr(shutil, "copy2", full)
    book = FileWorkbook(demo_copy)
    _stage_something(book)
    with pytest.raises(WorkbookAccessError, match="the disk is full"):
        book.save()
    assert demo_copy.read_bytes() == before
    assert backup_path(demo_copy).read_bytes() == backup_before
    assert not _leftovers(demo_copy.parent)


# ---------------------------------------------------------------------------------------------- zip bombs
def _bomb(path: Path, inflated_mb: int) -> Path:
    """A workbook whose one sheet inflates from a few MB to `inflated_mb` MB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1 << 20)
            for _ in range(inflated_mb):
                member.write(chunk)
    return path


def test_zip_bomb_is_refused_in_under_a_second_naming_the_limit(tmp_path):
    bomb = _bomb(tmp_path / "master.xlsx", 2048)
    assert bomb.stat().st_size < 5 * 2**20
    start = time.monotonic()
    code, _, err = _cli("forecast", bomb)
    elapsed_cli = time.monotonic() - start
    assert code == 3 and "Traceback" not in err
    assert "SOP_XL_MAX_PART_MB" in err and "1,024 MB" in err, err
    start = time.monotonic()
    with pytest.raises(WorkbookAccessError):
        FileWorkbook(bomb)
    assert time.monotonic() - start < 1.0
    assert elapsed_cli < 30


def test_high_compression_ratio_is_refused(tmp_path):
    bomb = _bomb(tmp_path / "ratio.xlsx", 300)   # under the size limit, but 1000x compression
    with pytest.raises(WorkbookAccessError, match="compression ratio limit of 200"):
        FileWorkbook(bomb)


def test_real_workbooks_pass_the_check(demo_copy):
    from sop_xl.io.archive import check_workbook_archive
    assert "xl/workbook.xml" in check_workbook_archive(demo_copy)


# ---------------------------------------------------------------------------------------------- error log
def test_error_log_is_per_user_new_per_run_and_never_follows_links(tmp_path, monkeypatch):
    from sop_xl import safety
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(sys, "platform", "linux")
    folder = safety.log_dir()
    assert folder == tmp_path / "state" / "sop_xl" / "log"
    first = safety.error_log("one")
    second = safety.error_log("two")
    assert first != second and first.read_text() == "one" and second.read_text() == "two"
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    # a link planted where the next log would go is neither followed nor overwritten
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    stamp = first.name.split("-")
    planted = folder / f"error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    if not planted.exists():
        planted.symlink_to(victim)
    third = safety.error_log("three")
    assert third != planted and victim.read_text() == "precious"
    assert stamp  # (names carry date, time and pid)


def test_internal_error_goes_to_a_new_log_of_this_run(demo_copy, tmp_path, monkeypatch, capsys):
    from sop_xl import cli
    from sop_xl.commands import base
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(sys, "platform", "linux")
    planted = Path("/tmp") / "sop_xl-error.log"    # the old fixed name must no longer be used

    def broken(book, **kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(base, "stage_function", lambda name: broken)
    before = demo_copy.read_bytes()
    planted_before = planted.read_bytes() if planted.exists() else None
    assert cli.main(["validate", str(demo_copy)]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "internal error" in err and "RuntimeError: a bug" in err and "Traceback" not in err
    logs = list((tmp_path / "state" / "sop_xl" / "log").glob("error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err.replace("\n", "")
    assert "RuntimeError: a bug" in logs[0].read_text()
    assert demo_copy.read_bytes() == before
    assert (planted.read_bytes() if planted.exists() else None) == planted_before
