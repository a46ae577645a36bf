"""The layers of the design card hold: checked by import-linter (contracts in .importlinter)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    proc = subprocess.run([exe, "--config", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout


def test_public_names_of_the_io_package():
    import sop_xl.io as io
    assert set(io.__all__) == {"FileWorkbook", "MemoryWorkbook", "WorkbookAdapter", "Settings", "read_settings",
                               "read_table", "read_wide", "read_history", "to_wide", "cell_of", "backup_path"}
