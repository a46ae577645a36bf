"""Shared helpers of the consensus tests: a master workbook with a statistical forecast, and
ways to send, fill in and return review copies."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sop_xl import periods
from sop_xl.commands.base import execute
from sop_xl.commands.consensus import FORECAST_READ
from sop_xl.commands.consensus import fill_copy
from sop_xl.io.file import FileWorkbook
from sop_xl.io.tables import read_history, read_settings, read_table, to_wide
from sop_xl.issues import IssueLog


def seasonal_naive_forecast(history: pd.DataFrame, h: int = 18, season: int = 12) -> pd.DataFrame:
    """A stand-in statistical forecast (sku, ds, forecast): the forecast stage is not under test."""
    last = history["ds"].max()
    rows = []
    for sku, g in history.groupby("unique_id"):
        y = g.set_index("ds")["y"]
        for k in range(h):
            ds = periods.shift(last, k + 1, "month")
            value = y.get(periods.shift(ds, -season * (k // season + 1), "month"), np.nan)
            rows.append((sku, ds, 0.0 if pd.isna(value) else float(value)))
    return pd.DataFrame(rows, columns=["sku", "ds", "forecast"])


def write_forecast(path: Path, forecast: pd.DataFrame) -> None:
    book = FileWorkbook(path)
    book.write_table(FORECAST_READ, to_wide(forecast, ["sku"], "forecast", period_type="month"))
    book.save()


def history_of(path: Path) -> pd.DataFrame:
    book = FileWorkbook(path)
    log = IssueLog()
    return read_history(book, read_settings(book, log), log)


def run(path: Path, stage: str, **options) -> Any:
    """Run one stage through the shell (saves); returns its StageResult."""
    results = execute(FileWorkbook(path), [stage], options={stage: options} if options else None)
    return results[-1]


def send(path: Path, to: Path) -> dict[str, Path]:
    result = run(path, "send-review", to_dir=to)
    assert result.status == "ok", [str(i) for i in result.issues]
    return {f.name.rsplit("-", 1)[-1][:-5]: f for f in result.data["files"]}


def returned(copy: Path, department: str, rows: list[dict[str, Any]], folder: Path) -> Path:
    """A filled-in return (openpyxl, as any program would)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / copy.name.replace("-review-", "-return-")
    shutil.copy(copy, target)
    fill_copy(target, department, rows)
    return target


def sheet(path: Path, sheet_def, **kw) -> pd.DataFrame:
    return read_table(FileWorkbook(path), sheet_def, IssueLog(), required=False, **kw).reset_index(drop=True)


def change_settings(path: Path, **changes) -> None:
    from sop_xl.contract import SETTINGS
    from sop_xl.io.settings import settings_frame
    book = FileWorkbook(path)
    values = read_settings(book, IssueLog()).as_dict()
    values.update(changes)
    book.write_table(SETTINGS, settings_frame(values))
    book.save()
