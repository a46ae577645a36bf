"""Check setup: everything the ribbon and the worksheet functions need, each with its fix.

    sop-xl doctor [WORKBOOK]          (command line)
    S&OP tab > Check setup            (ribbon; the same checks from inside Excel)

Each check is a `Check(name, status, found, fix)`; status is "ok", "warning" or
"problem". What each check rests on in xlwings 0.37.8 (the pinned version):
- the interpreter: RunPython reads `Interpreter_Win`/`Interpreter_Mac` through `GetConfig`,
  the workbook's xlwings.conf sheet first (xlwings.bas:649-676), then the user's
  `~/.xlwings/xlwings.conf`; a blank value falls back to plain `python` (xlwings.bas:80-88,
  274-277); Conda needs `Conda Path` and `Conda Env` (xlwings.bas:280-297);
- the VBA module's version names the DLL and the AppleScript file it calls
  (`xlwings64-0.37.8.dll`, xlwings.bas:44-66; `xlwings-<version>.applescript`, xlwings.bas:206),
  so the installed xlwings must be the same version;
- the worksheet functions load the DLL from the interpreter's folder or its parent
  (XLPyLoadDLL, xlwings.bas:473-505) and are Windows-only;
- the meeting PDF: inside Excel, Excel's own export (`Book.to_pdf`, xlwings/utils.py:641);
  on the command line, LibreOffice.
"""

from __future__ import annotations

import platform
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PINNED_XLWINGS = "0.37.8"
UDF_MODULE = "sop_xl_udfs"
OK, WARNING, PROBLEM = "ok", "warning", "problem"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    found: str
    fix: str = ""


def run_checks(workbook: str | Path | None = None, *, vba_xlwings_version: str | None = None,
               in_excel: bool = False, path_problem: str | None = None,
               conf: dict[str, Any] | None = None) -> list[Check]:
    """All checks. `workbook`: the workbook file (its folder, VBA project and xlwings.conf sheet
    are read when it is a file); from Excel the ribbon passes what it knows instead
    (`vba_xlwings_version` from the VBA module, `conf` from the sheet)."""
    path = Path(workbook) if workbook else None
    if conf is None and path is not None and path.is_file():
        conf = read_conf_sheet(path)
    if vba_xlwings_version is None and path is not None and path.suffix.lower() == ".xlsm" and path.is_file():
        vba_xlwings_version = vba_module_version(path)
    return [_python(conf or {}), _sop_xl(), _xlwings(vba_xlwings_version), _udfs(path),
            _conf_sheet(conf), _pdf(in_excel), _folder(path, path_problem)]


def has_problems(checks: list[Check]) -> bool:
    return any(c.status == PROBLEM for c in checks)


def report(checks: list[Check]) -> str:
    """Plain text for a message box: one paragraph per check, the fix under it."""
    marks = {OK: "OK", WARNING: "CHECK", PROBLEM: "FIX"}
    lines = []
    for c in checks:
        lines.append(f"[{marks[c.status]}] {c.name}: {c.found}")
        if c.fix and c.status != OK:
            lines.append(f"      -> {c.fix}")
    problems = sum(c.status == PROBLEM for c in checks)
    lines.append("Everything needed is in place." if not problems else
                 f"{problems} thing(s) to fix; the guide docs/excel.md explains each step.")
    return "\n".join(lines)


# ---------------------------------------------------------------------- the checks

def _python(conf: dict[str, Any]) -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    found = f"Python {version} at {sys.executable}"
    if sys.version_info < (3, 11):
        return Check("Python", PROBLEM, found, "sop_xl needs Python 3.11 or newer: install it from python.org and "
                                                "reinstall sop_xl with that Python.")
    key = "INTERPRETER_MAC" if sys.platform == "darwin" else "INTERPRETER_WIN"
    configured = conf.get(key)
    conda = (Path(sys.prefix) / "conda-meta").is_dir()
    if conda and not (conf.get("CONDA PATH") and conf.get("CONDA ENV")):
        return Check("Python", WARNING, found + " (a conda environment)",
                     "Excel must activate conda or numpy fails to load its DLLs: in ~/.xlwings/xlwings.conf "
                     f"(or the xlwings.conf sheet) set Conda Path = {Path(sys.base_prefix)} and "
                     f"Conda Env = {Path(sys.prefix).name}.")
    if configured and Path(str(configured)).resolve() != Path(sys.executable).resolve():
        return Check("Python", WARNING, f"{found}; the workbook names {configured}",
                     f"Excel runs {configured}: install sop_xl into it, or put {sys.executable} in {key}.")
    return Check("Python", OK, found, f"If Excel cannot find Python, set {key} = {sys.executable} "
                                      "(xlwings config create writes it for you).")


def _sop_xl() -> Check:
    from .. import __version__
    import sop_xl
    return Check("sop_xl", OK, f"{__version__} in {Path(sop_xl.__file__).parent}")


def _xlwings(vba_version: str | None) -> Check:
    try:
        import xlwings
        installed = xlwings.__version__
    except ImportError:
        return Check("xlwings", PROBLEM, "not installed", f"pip install xlwings=={PINNED_XLWINGS}")
    found = f"{installed} installed"
    if vba_version:
        found += f", {vba_version} in this workbook's VBA module"
    wanted = vba_version or PINNED_XLWINGS
    if installed != wanted:
        return Check("xlwings", PROBLEM, found,
                     f"The workbook's VBA calls xlwings64-{wanted}.dll (Windows) and xlwings-{wanted}.applescript "
                     f"(Mac): run pip install xlwings=={wanted}, then on a Mac 'xlwings runpython install'. "
                     "Or take a new workbook_template.xlsm built for your xlwings.")
    return Check("xlwings", OK, found)


def _udfs(path: Path | None) -> Check:
    try:
        import importlib
        module = importlib.import_module(UDF_MODULE)
    except Exception as exc:
        return Check("Worksheet functions", PROBLEM, f"Python cannot import {UDF_MODULE} ({exc})",
                     "Reinstall sop_xl (pip install -e . in the checkout, or the wheel): it installs sop_xl_udfs.")
    names = sorted(n for n in dir(module) if n.startswith("SOP_"))
    found = f"{len(names)} functions in {UDF_MODULE}"
    if path is not None and path.suffix.lower() == ".xlsm" and path.is_file():
        shipped = set(re.findall(r"^Function (SOP_\w+)\(", vba_sources(path).get("xlwings_udfs", ""), re.M))
        missing = sorted(set(names) - shipped)
        if missing:
            return Check("Worksheet functions", WARNING, f"{found}; the workbook lacks {', '.join(missing)}",
                         "Take the functions from a new workbook_template.xlsm, or xlwings tab > Import Functions "
                         "(needs Trust access to the VBA project object model).")
        found += ", all in the workbook"
    if sys.platform == "win32":
        dll = f"xlwings{64 if sys.maxsize > 2**32 else 32}-{PINNED_XLWINGS}.dll"
        places = [Path(sys.executable).parent, Path(sys.executable).parent.parent, Path(sys.prefix)]
        if not any((p / dll).is_file() for p in places):
            return Check("Worksheet functions", WARNING, f"{found}; {dll} not found beside Python",
                         f"pip install --force-reinstall xlwings=={PINNED_XLWINGS} (it puts {dll} beside python.exe).")
    elif sys.platform == "darwin":
        return Check("Worksheet functions", WARNING, found + "; Excel for Mac cannot call them",
                     "Use the ribbon buttons on a Mac; the SOP_ functions work in Excel for Windows only.")
    return Check("Worksheet functions", OK, found)


def _conf_sheet(conf: dict[str, Any] | None) -> Check:
    if conf is None:
        return Check("xlwings.conf sheet", OK, "not read (no workbook given)")
    blank = [k for k, v in conf.items() if v in (None, "")]
    if blank:
        return Check("xlwings.conf sheet", PROBLEM, f"blank rows {', '.join(blank)}",
                     "A blank row hides your ~/.xlwings/xlwings.conf setting (xlwings reads the sheet first): "
                     "delete those rows or fill in the value.")
    return Check("xlwings.conf sheet", OK, ", ".join(f"{k}={v}" for k, v in conf.items()))


def _pdf(in_excel: bool) -> Check:
    if in_excel:
        return Check("Meeting PDF", OK, "Excel's own PDF export (File > Export) is used from the ribbon")
    from ..io.pdf import soffice
    program = soffice()
    if program:
        return Check("Meeting PDF", OK, f"LibreOffice at {program}")
    hint = {"win32": "install LibreOffice from libreoffice.org", "darwin": "brew install --cask libreoffice"
            }.get(sys.platform, "apt-get install libreoffice-calc")
    return Check("Meeting PDF", WARNING, "LibreOffice not found (sop-xl export-pdf needs it)",
                 f"Use Export PDF on the S&OP ribbon in Excel, or {hint}.")


def _folder(path: Path | None, path_problem: str | None) -> Check:
    if path_problem:
        return Check("Workbook folder", PROBLEM, "no local folder", path_problem)
    if path is None:
        return Check("Workbook folder", OK, "not checked (no workbook given)")
    folder = path.parent if path.parent != Path("") else Path.cwd()
    if not path.is_absolute() and not path.exists():
        return Check("Workbook folder", WARNING, "the workbook was never saved",
                     "File > Save As first: review copies and the PDF go beside the workbook.")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".sop_xl-check-"):
            pass
    except OSError as exc:
        return Check("Workbook folder", PROBLEM, f"cannot write in {folder} ({exc.strerror or exc})",
                     "Save the workbook in a folder you may write to (not a read-only share or a zip file).")
    return Check("Workbook folder", OK, f"{folder} is writable")


# ---------------------------------------------------------------------- reading a workbook file

def read_conf_sheet(path: Path) -> dict[str, Any] | None:
    """The xlwings.conf sheet as xlwings.bas reads it: A1 down to the first blank key
    (GetConfigFromSheet, xlwings.bas:623-647), keys upper-cased; None without the sheet."""
    try:
        from openpyxl import load_workbook
        wb = load_workbook(path, read_only=True)
    except Exception:
        return None
    try:
        name = next((n for n in wb.sheetnames if n.lower() == "xlwings.conf"), None)
        if name is None:
            return None
        conf: dict[str, Any] = {}
        for key, value in wb[name].iter_rows(min_col=1, max_col=2, values_only=True):
            if key in (None, ""):
                break
            conf[str(key).upper()] = value
        return conf
    finally:
        wb.close()


def vba_sources(path: Path) -> dict[str, str]:
    from pyopenvba import ExcelFile
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "book.xlsm"
        shutil.copy(path, copy)
        try:
            with ExcelFile(copy) as wb:
                return dict(wb.vba_modules())
        except Exception:
            return {}


def vba_module_version(path: Path) -> str | None:
    m = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', vba_sources(path).get("xlwings", ""))
    return m.group(1) if m else None


def run_doctor(workbook: Path | None, *, out, err) -> int:
    """The `sop-xl doctor` command: a table of checks; exit 1 when something must be fixed."""
    from rich.table import Table
    checks = run_checks(workbook)
    table = Table(title=f"sop_xl setup on {platform.system()} {platform.release()}", show_lines=False)
    for col in ("check", "status", "found", "fix"):
        table.add_column(col, overflow="fold")
    colour = {OK: "green", WARNING: "yellow", PROBLEM: "bold red"}
    for c in checks:
        table.add_row(c.name, f"[{colour[c.status]}]{c.status}[/]", c.found, c.fix if c.status != OK else "")
    out.print(table)
    return 1 if has_problems(checks) else 0


__all__ = ["Check", "run_checks", "report", "has_problems", "run_doctor", "read_conf_sheet", "vba_module_version"]
