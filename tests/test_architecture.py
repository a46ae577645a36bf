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


CORES = {"forecast", "plan", "consensus", "finance", "scenarios", "executive"}
LAYERS = {"contract": "contract", "io": "io", "commands": "commands", "excel": "front end", **{c: "core" for c in CORES}}


def _contracts() -> dict[str, dict[str, list[str]]]:
    import configparser
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    out = {}
    for section in parser.sections():
        if section.startswith("importlinter:contract:"):
            out[section.split(":")[-1]] = {k: [v.strip() for v in parser[section][k].splitlines() if v.strip()]
                                           for k in parser[section]}
    return out


def test_the_pure_core_contract_covers_every_core_package():
    pure = _contracts()["pure-cores"]
    assert {m.removeprefix("sop_xl.") for m in pure["source_modules"]} == CORES
    assert {"sop_xl.io", "sop_xl.commands", "sop_xl.excel", "openpyxl", "python_calamine"} <= set(
        pure["forbidden_modules"])
    assert not pure.get("ignore_imports"), "a core may not be excused from the layering"


def test_every_package_has_a_layer():
    packages = {p.name for p in (ROOT / "sop_xl").iterdir() if (p / "__init__.py").exists()}
    assert packages <= set(LAYERS), f"place {sorted(packages - set(LAYERS))} in a layer (.importlinter, " \
                                    "docs/architecture.md, this test)"


def test_consensus_core_opens_no_file():
    """Review copies and returns are read and drawn by io.review_copy; the core only sees grids."""
    import ast
    for path in (ROOT / "sop_xl" / "consensus").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {"zipfile", "shutil", "openpyxl", "python_calamine"} & (names | modules), path.name
        assert "open(" not in path.read_text(encoding="utf-8").replace("from_rows", ""), path.name
