"""A new user's first run (issue 10 items 1-3): the demo's output folder, the package list, the
demo without LibreOffice, and a console that summarises warnings."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sop_xl.cli import print_issues
from sop_xl.issues import Issue, Severity

REPO = Path(__file__).resolve().parents[2]


def _cli(*args, cwd=None, env=None):
    proc = subprocess.run([sys.executable, "-m", "sop_xl.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=900, env={**os.environ, **(env or {})})
    return proc.returncode, proc.stdout, proc.stderr


def test_packages_are_listed_explicitly_and_completely():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "find" not in config.get("packages", []) and "packages" in config
    on_disk = sorted(".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "sop_xl").rglob("__init__.py"))
    assert sorted(config["packages"]) == on_disk
    assert config["py-modules"] == ["sop_xl_udfs"] and (REPO / "udfs" / "sop_xl_udfs.py").exists()
    assert "data/workbook_template.xlsm" in config["package-data"]["sop_xl"]


def test_template_is_found_in_a_checkout():
    from sop_xl.resources import template_path
    assert template_path() is not None and template_path().name == "workbook_template.xlsm"


def _hide_soffice(tmp_path: Path) -> str:
    """A PATH with every program of the current PATH but LibreOffice."""
    bin_dir = tmp_path / "bin-without-soffice"
    bin_dir.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            if entry.name in ("soffice", "libreoffice", "localc") or (bin_dir / entry.name).exists():
                continue
            (bin_dir / entry.name).symlink_to(entry.path)
    return str(bin_dir)


@pytest.mark.slow
def test_demo_goes_to_its_own_ignored_folder_and_runs_again_without_libreoffice(tmp_path):
    env = {"PATH": _hide_soffice(tmp_path)}
    code, out, err = _cli("demo", cwd=tmp_path, env=env)
    assert code == 0, err
    folder = tmp_path / "sop_xl_demo"
    assert (folder / "sop_xl_demo.xlsx").exists() and (folder / "sop_xl_demo-reviews").is_dir()
    assert (folder / ".gitignore").read_text().strip().endswith("*")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin-without-soffice", "sop_xl_demo"]
    hint = [line for line in (out + err).splitlines() if "meeting PDF" in line]
    assert len(hint) == 1 and "LibreOffice" in hint[0] and "sop-xl export-pdf" in hint[0], out + err
    assert "error" not in err.lower(), err
    assert not (folder / "sop_xl_demo.pdf").exists()
    # the README's command again: --force overwrites the demo, nothing else
    code, out, err = _cli("demo", "--force", "-q", cwd=tmp_path, env=env)
    assert code == 0, err
    assert out == "" and err == "", (out, err)   # -q: errors only, and there are none


def test_demo_output_is_ignored_by_git_in_a_checkout(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    code, _, err = _cli("demo", "--inputs-only", cwd=repo)
    assert code == 0, err
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo,
                            capture_output=True, text=True, check=True).stdout
    assert status == ""


def _warning(code, sheet, message, value=None):
    return Issue(Severity.WARNING, code, message, "look", sheet=sheet, value=value)


def test_warnings_are_one_line_per_kind_with_count_and_worst_examples():
    from rich.console import Console
    issues = [_warning("plan_overload", "RoughCut", f"Sewing is overloaded in 2027-{m:02d}: load {h:,} h.")
              for m, h in zip(range(1, 17), [100, 900, 50, 12000, 300, 7000] + [10] * 10)]
    issues.append(_warning("plan_below_safety_stock", "SupplyPlan", "33 items below safety stock"))
    console = Console(record=True, width=200)
    print_issues(console, issues)
    text = console.export_text()
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0].startswith("17 warning(s)")
    overload = [line for line in lines if "plan_overload" in line]
    assert len(overload) == 1 and "x16" in overload[0] and "+13 more" in overload[0]
    assert "12,000" in overload[0] and "7,000" in overload[0] and "900" in overload[0]   # the worst three
    assert len(lines) == 3                                                             # not a 16-row table
    quiet = Console(record=True, width=200)
    print_issues(quiet, issues, quiet=True)
    assert quiet.export_text().strip() == ""                                           # -q: errors only


def test_errors_are_listed_in_full_even_with_q():
    from rich.console import Console
    issues = [Issue(Severity.ERROR, "not_a_number", "Price is 'cheap'", "Type a number", sheet="Items", cell="F5"),
              _warning("plan_overload", "RoughCut", "overloaded")]
    console = Console(record=True, width=200)
    print_issues(console, issues, quiet=True)
    text = console.export_text()
    assert "Items!F5" in text and "Type a number" in text and "overloaded" not in text


def test_progress_is_one_line_per_stage_when_not_a_terminal(demo_copy):
    code, out, err = _cli("run", demo_copy)
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.endswith("...")]
    for stage in ("Validating inputs", "Forecasting", "Supply plan", "Scenarios", "Dashboard"):
        assert sum(line.startswith(stage) for line in lines) == 1, err
    assert "\r" not in err and "\x1b[" not in err   # no bars or escape codes in a log file
