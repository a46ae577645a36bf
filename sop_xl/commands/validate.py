"""`sop-xl validate` / the Validate button: read every input sheet and cross-check them."""

from __future__ import annotations

import pandas as pd

from .. import periods
from ..contract import CAPACITY_CALENDAR, INVENTORY, ITEMS, RESOURCES, ROUTING, WORKFORCE
from ..io.protocol import WorkbookAdapter
from ..io.tables import cell_of, read_history, read_settings, read_table
from ..issues import IssueCode, IssueLog
from ..progress import SILENT, Progress
from .base import StageResult


def read_inputs(book: WorkbookAdapter, log: IssueLog) -> dict[str, pd.DataFrame]:
    """Every input table, cross-checked; problems go to `log`."""
    settings = read_settings(book, log)
    pt = settings.period_type
    tables = {
        "items": read_table(book, ITEMS, log),
        "history": read_history(book, settings, log),
        "resources": read_table(book, RESOURCES, log, required=False),
        "routing": read_table(book, ROUTING, log, required=False),
        "calendar": read_table(book, CAPACITY_CALENDAR, log, required=False, period_type=pt),
        "workforce": read_table(book, WORKFORCE, log, required=False),
        "inventory": read_table(book, INVENTORY, log, required=False),
    }
    cross_check(tables, log)
    tables["settings"] = settings  # type: ignore[assignment]
    return tables


def cross_check(t: dict[str, pd.DataFrame], log: IssueLog) -> None:
    items, history = t["items"], t["history"]
    skus = set(items["sku"].dropna())
    families = set(items["family"].dropna())
    resources = t["resources"]
    names = set(resources["resource"].dropna())
    if items.empty:
        log.error(IssueCode.MISSING_VALUE, "The Items table has no rows.",
                  "List every SKU with its family in Items.", sheet=ITEMS.name)
    for uid, cell in history.drop_duplicates("unique_id")[["unique_id", "cell"]].itertuples(index=False):
        if uid not in skus:
            col = "".join(ch for ch in cell if ch.isalpha())
            row = "".join(ch for ch in cell if ch.isdigit())
            log.error(IssueCode.UNKNOWN_KEY, f"SKU {uid!r} has history but is not in Items.",
                      "Add the SKU to Items (with its family), or delete its history row.",
                      sheet="DemandHistory", cell=f"A{row}" if col else cell, row_key=str(uid))
    with_history = set(history.loc[history["y"].notna(), "unique_id"])
    for row, sku, status in items[["sku", "status"]].itertuples():
        if sku not in with_history and status == "active":
            log.warning(IssueCode.MISSING_VALUE, f"SKU {sku!r} has no demand history; it gets no statistical "
                        "forecast.", "Paste its history in DemandHistory, or set Status to new.",
                        sheet=ITEMS.name, cell=cell_of(items, row, "sku"), row_key=str(sku))
    _lookup(t["routing"], "item", skus | families, ROUTING.name, "SKU or family", "Items (SKU or Family)", log)
    _lookup(t["routing"], "resource", names, ROUTING.name, "Resource", "Resources", log)
    _lookup(t["calendar"], "resource", names, CAPACITY_CALENDAR.name, "Resource", "Resources", log)
    _lookup(t["workforce"], "resource", names, WORKFORCE.name, "Labour pool", "Resources", log)
    _lookup(t["inventory"], "sku", skus, INVENTORY.name, "SKU", "Items", log)
    labour = set(resources.loc[resources["kind"] == "labour", "resource"])
    pools = set(t["workforce"]["resource"].dropna())
    for row, name in resources.loc[resources["kind"] == "labour", "resource"].items():
        if name not in pools:
            log.error(IssueCode.MISSING_VALUE, f"Labour pool {name!r} has no row in Workforce.",
                      "Add a Workforce row with its headcount and hours per worker, or change Kind.",
                      sheet=RESOURCES.name, cell=cell_of(resources, row, "resource"), row_key=name)
    wf = t["workforce"]
    for row, name in wf["resource"].items():
        if name in names and name not in labour:
            log.error(IssueCode.NOT_ALLOWED, f"{name!r} is in Workforce but its Kind in Resources is not labour.",
                      "Set Kind to labour in Resources, or delete the Workforce row.",
                      sheet=WORKFORCE.name, cell=cell_of(wf, row, "resource"), row_key=name)


def _lookup(frame: pd.DataFrame, column: str, known: set, sheet: str, header: str, where: str,
            log: IssueLog) -> None:
    if frame.empty:
        return
    for row, value in frame[column].items():
        if value is not None and not pd.isna(value) and value not in known:
            log.error(IssueCode.UNKNOWN_KEY, f"{header} {value!r} is not in {where}.",
                      f"Correct the spelling, or add {value!r} to {where}.",
                      sheet=sheet, cell=cell_of(frame, row, column), column=header, row_key=str(value),
                      value=value)


def run_validate(book: WorkbookAdapter, *, progress: Progress = SILENT) -> StageResult:
    log = IssueLog()
    progress.start("Validating inputs", 1)
    tables = read_inputs(book, log)
    progress.advance()
    progress.finish()
    settings = tables["settings"]
    history = tables["history"]
    n_err, n_warn = len(log.errors), len([i for i in log if i.severity.value == "warning"])
    summary = [f"validate: {len(tables['items'])} SKUs, {history['unique_id'].nunique()} with history over "
               f"{history['ds'].nunique()} {settings.period_type}s; {n_err} error(s), {n_warn} warning(s)"]
    if not history.empty:
        last = history["ds"].max()
        first = settings.first_forecast_period
        if first is not None and first <= last:
            log.warning(IssueCode.OUT_OF_RANGE, f"First forecast period {periods.label(first, settings.period_type)} "
                        f"is not after the last history period {periods.label(last, settings.period_type)}.",
                        "Clear the setting to forecast from the period after the last history.",
                        sheet="Settings", cell=settings.cell("first_forecast_period"))
    return StageResult(stage="validate", summary=summary, issues=list(log))
