"""The CLI: help, exit codes, no tracebacks for user errors."""

from __future__ import annotations

import shutil
import subprocess
import sys

import openpyxl
import pytest

from sop_xl.cli import EXIT_ACCESS, EXIT_INPUT, EXIT_OK, EXIT_USAGE, main


def run(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "sop_xl.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def test_help_lists_commands():
    code, out, _ = run("--help")
    assert code == 0
    for command in ("demo", "validate", "forecast", "plan", "roughcut", "docs"):
        assert command in out


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == EXIT_USAGE


def test_unknown_option_is_a_usage_error():
    code, _, err = run("validate", "--bogus")
    assert code == EXIT_USAGE and "Traceback" not in err


def test_validate_demo_is_clean(demo_copy):
    code, out, err = run("validate", demo_copy)
    assert code == EXIT_OK, err
    assert "0 error(s)" in out


def test_validate_broken_workbook_exits_1_and_names_cells(demo_copy):
    wb = openpyxl.load_workbook(demo_copy)
    wb["Items"]["F5"] = "cheap"          # Price
    wb["Routing"]["B6"] = "Sewin"        # unknown resource
    wb.save(demo_copy)
    before = demo_copy.read_bytes()
    code, out, err = run("validate", demo_copy)
    assert code == EXIT_INPUT
    assert "Items!F5" in err and "Routing!B6" in err and "Traceback" not in err
    assert demo_copy.read_bytes() == before             # validate without --write changes nothing


def test_validate_write_puts_issues_in_the_workbook(demo_copy):
    wb = openpyxl.load_workbook(demo_copy)
    wb["Items"]["F5"] = "cheap"
    wb.save(demo_copy)
    code, _, _ = run("validate", demo_copy, "--write", "-q")
    assert code == EXIT_INPUT
    ws = openpyxl.load_workbook(demo_copy)["Issues"]
    cells = [ws.cell(row=r, column=4).value for r in range(4, ws.max_row + 1)]
    assert "F5" in cells


def test_missing_and_invalid_workbooks_exit_3(tmp_path):
    code, _, err = run("validate", tmp_path / "nope.xlsx")
    assert code == EXIT_ACCESS and "does not exist" in err and "Traceback" not in err
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    code, _, err = run("forecast", bad)
    assert code == EXIT_ACCESS and "not a valid Excel workbook" in err


def test_locked_workbook_exit_3_and_unchanged(demo_copy):
    (demo_copy.parent / f".~lock.{demo_copy.name}#").write_text("x")
    before = demo_copy.read_bytes()
    code, _, err = run("validate", demo_copy, "--write", "--wait", "0.3")
    assert code == EXIT_ACCESS and "open in LibreOffice" in err and "0.3 s" in err
    assert demo_copy.read_bytes() == before


def test_demo_refuses_to_overwrite_without_force(tmp_path):
    target = tmp_path / "d.xlsx"
    target.write_text("precious")
    code, _, err = run("demo", "--out", target, "--inputs-only")
    assert code == EXIT_USAGE and target.read_text() == "precious"


def test_demo_inputs_only(tmp_path):
    target = tmp_path / "d.xlsx"
    code, out, err = run("demo", "--out", target, "--inputs-only", "-q")
    assert code == EXIT_OK, err
    assert out == ""                                     # quiet
    assert "Items" in openpyxl.load_workbook(target, read_only=True).sheetnames


def test_docs_check(tmp_path):
    code, _, _ = run("docs", "--check")
    assert code == EXIT_OK
    stale = tmp_path / "w.md"
    stale.write_text("old")
    code, _, err = run("docs", "--check", "--out", stale)
    assert code == EXIT_INPUT and "stale" in err
