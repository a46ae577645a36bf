"""Fixtures shared by every test: a demo workbook (inputs only) made once per session, and
a helper to run LibreOffice headless with its own profile."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_inputs_path(tmp_path_factory) -> Path:
    from sop_xl.commands.demo import create_demo_workbook
    path = tmp_path_factory.mktemp("demo") / "demo_inputs.xlsx"
    create_demo_workbook(path, seed=7)
    return path


@pytest.fixture
def demo_copy(demo_inputs_path, tmp_path) -> Path:
    target = tmp_path / "book.xlsx"
    shutil.copy(demo_inputs_path, target)
    return target


def soffice_or_skip() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI: .ci/run installs libreoffice-calc")
        pytest.skip("LibreOffice is not installed")
    return exe


def convert(path: Path, to: str, outdir: Path, tmp_root: Path | None = None) -> Path:
    """Convert with LibreOffice headless; returns the output file. Raises on failure."""
    exe = soffice_or_skip()
    profile = (tmp_root or outdir) / f"lo-profile-{uuid.uuid4().hex[:8]}"
    outdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", to, "--outdir",
         str(outdir), str(path)], capture_output=True, text=True, timeout=180)
    out = outdir / (path.stem + "." + to.split(":")[0])
    if proc.returncode != 0 or not out.exists():
        raise AssertionError(f"LibreOffice failed ({proc.returncode}): {proc.stdout} {proc.stderr}")
    return out


@pytest.fixture
def libreoffice_convert(tmp_path):
    def run(path: Path, to: str, outdir: Path | None = None) -> Path:
        return convert(path, to, outdir or tmp_path / "lo-out", tmp_path)
    return run
