from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .helpers import history_of, seasonal_naive_forecast, write_forecast


@pytest.fixture(scope="session")
def master_path(demo_inputs_path, tmp_path_factory) -> Path:
    """Demo inputs plus a Forecast sheet (seasonal naive), made once."""
    path = tmp_path_factory.mktemp("consensus") / "master.xlsx"
    shutil.copy(demo_inputs_path, path)
    write_forecast(path, seasonal_naive_forecast(history_of(path)))
    return path


@pytest.fixture
def master(master_path, tmp_path) -> Path:
    target = tmp_path / "master.xlsx"
    shutil.copy(master_path, target)
    return target


@pytest.fixture(scope="session")
def sent_path(master_path, tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """The master after send-review, and its review copies, made once."""
    from .helpers import send
    root = tmp_path_factory.mktemp("sent")
    path = root / "master.xlsx"
    shutil.copy(master_path, path)
    return path, send(path, root / "out")


@pytest.fixture
def sent(sent_path, tmp_path) -> tuple[Path, dict[str, Path]]:
    path, copies = sent_path
    target = tmp_path / "master.xlsx"
    shutil.copy(path, target)
    out = tmp_path / "out"
    out.mkdir()
    return target, {k: Path(shutil.copy(v, out / v.name)) for k, v in copies.items()}
