"""`--jobs` and `--dask` (issue 14.6): the forecast and the scenarios fan out through joblib, to
processes of this machine or to a Dask cluster, from the command line; the answers are those of one
process."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from sop_xl.cli import EXIT_OK, EXIT_UNAVAILABLE
from sop_xl.io.file import FileWorkbook


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "sop_xl.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def grid(path, sheet):
    return FileWorkbook(path).read_grid(sheet)


def test_scenarios_in_two_processes_compare_as_in_one(demo_copy, tmp_path):
    code, _, err = run("forecast", demo_copy, "-q")
    assert code == EXIT_OK, err
    serial, fanned = tmp_path / "serial.xlsx", tmp_path / "fanned.xlsx"
    code, _, err = run("scenarios", demo_copy, "--out", serial, "-q")
    assert code == EXIT_OK, err
    code, _, err = run("scenarios", demo_copy, "--out", fanned, "--jobs", "2", "-q")
    assert code == EXIT_OK, err
    one, two = grid(serial, "ScenarioComparison"), grid(fanned, "ScenarioComparison")
    assert len(one) > 3 and one == two


def test_forecast_on_a_dask_cluster_equals_one_process(demo_copy, tmp_path):
    distributed = pytest.importorskip("distributed")
    here = tmp_path / "here.xlsx"
    shutil.copy(demo_copy, here)
    code, _, err = run("forecast", here, "-q")
    assert code == EXIT_OK, err
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                                  dashboard_address=None) as cluster:
        code, _, err = run("forecast", demo_copy, "--dask", cluster.scheduler_address, "-q")
    assert code == EXIT_OK, err
    assert grid(demo_copy, "Forecast") == grid(here, "Forecast")


def test_an_unreachable_dask_scheduler_is_a_clear_refusal(demo_copy):
    before = demo_copy.read_bytes()
    code, _, err = run("forecast", demo_copy, "--dask", "tcp://127.0.0.1:9", "-q")
    assert code == EXIT_UNAVAILABLE and "Traceback" not in err
    assert "no Dask scheduler could be reached at tcp://127.0.0.1:9" in err and "--dask" in err
    assert demo_copy.read_bytes() == before
