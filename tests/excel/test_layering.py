"""Only the Excel front end imports xlwings, and importing it does not load xlwings."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPORT = re.compile(r"^\s*(import xlwings|from xlwings)", re.M)


def test_only_the_excel_package_and_udfs_import_xlwings():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "sop_xl").rglob("*.py")
                 if IMPORT.search(p.read_text(encoding="utf-8")) and "excel" not in p.relative_to(ROOT).parts]
    assert offenders == []
    assert IMPORT.search((ROOT / "udfs" / "sop_xl_udfs.py").read_text(encoding="utf-8"))


def test_importing_the_front_end_modules_does_not_load_xlwings():
    code = ("import sys; import sop_xl.excel.adapter, sop_xl.excel.dispatch, sop_xl.excel.template, "
            "sop_xl.excel.functions, sop_xl.excel.ribbon, sop_xl.cli; print('xlwings' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
