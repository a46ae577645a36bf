"""`sop-xl validate` / the Validate button: read every input sheet and cross-check them.

Every value is read by the same shared reader the stages use (`sop_xl.io.tables`), so a cell a
stage would refuse is refused here first, at its cell. Only the sheets that exist are read, and
each is judged by what the stages that can run need: a plan-only workbook (a Demand sheet, no
DemandHistory) is valid. A sheet that is missing or unreadable is reported once; the checks that
would only repeat that problem (every SKU "not in Items" when Items is renamed) are skipped.
"""

from __future__ import annotations

import pandas as pd

from .. import periods
from ..contract import CAPACITY_CALENDAR, DEMAND_HISTORY, INVENTORY, ITEMS, RESOURCES, ROUTING, WORKFORCE
from ..contract.executive import BUDGET, SCENARIOS
from ..contract.plan import DEMAND, SCHEDULED_RECEIPTS
from ..io.protocol import WorkbookAdapter
from ..io.tables import cell_of, read_history, read_settings, read_table, read_wide
from ..issues import IssueCode, IssueLog, Severity
from ..progress import SILENT, Progress
from .base import StageResult

# sheets that give the plan its demand, in the order the plan takes them
PLAN_DEMAND_SHEETS = ("Consensus", "Forecast", DEMAND.name)
# problems that make a whole table unreadable: its knock-on checks are skipped
_TABLE_PROBLEMS = {IssueCode.MISSING_SHEET, IssueCode.MISSING_TABLE, IssueCode.MISSING_COLUMN}


def _present(book: WorkbookAdapter) -> set[str]:
    return {n.lower() for n in book.sheet_names()}


def read_inputs(book: WorkbookAdapter, log: IssueLog) -> dict[str, pd.DataFrame]:
    """Every input table that exists, cross-checked; problems go to `log`."""
    settings = read_settings(book, log)
    pt = settings.period_type
    present = _present(book)
    plan_only = DEMAND_HISTORY.name.lower() not in present and any(n.lower() in present for n in PLAN_DEMAND_SHEETS)
    tables = {
        "items": read_table(book, ITEMS, log),
        "history": _no_history() if plan_only else read_history(book, settings, log),
        # the plan needs both: one present makes the other required (a renamed one is reported once)
        "resources": read_table(book, RESOURCES, log, required=any(
            s.name.lower() in present for s in (ROUTING, WORKFORCE, CAPACITY_CALENDAR))),
        "routing": read_table(book, ROUTING, log, required=RESOURCES.name.lower() in present),
        "calendar": read_table(book, CAPACITY_CALENDAR, log, required=False, period_type=pt),
        "workforce": read_table(book, WORKFORCE, log, required=False),
        "inventory": read_table(book, INVENTORY, log, required=False),
    }
    if DEMAND.name.lower() in present:
        tables["demand"] = read_wide(book, DEMAND, log, period_type=pt, required=False)
    if SCHEDULED_RECEIPTS.name.lower() in present:
        tables["receipts"] = read_table(book, SCHEDULED_RECEIPTS, log, required=False, period_type=pt)
    if BUDGET.name.lower() in present:
        tables["budget"] = read_table(book, BUDGET, log, required=False, period_type=pt)
    if SCENARIOS.name.lower() in present:
        tables["scenarios"] = read_table(book, SCENARIOS, log, required=False, period_type=pt)
    broken = {i.sheet for i in log if i.severity is Severity.ERROR and i.code in _TABLE_PROBLEMS}
    cross_check(tables, log, broken=broken, plan_only=plan_only)
    if not plan_only and str(settings.forecast_method or "auto").strip().lower() != "auto":
        from .forecast import forecast_options  # the forecast's own check (imports the forecast core)
        forecast_options(settings, log)
    _check_scenarios(tables, settings, log, broken)
    if RESOURCES.name.lower() in present:  # only a workbook that can plan needs a solver
        _check_solver(settings, log)
    tables["settings"] = settings  # type: ignore[assignment]
    tables["plan_only"] = plan_only  # type: ignore[assignment]
    return tables


def _no_history() -> pd.DataFrame:
    return pd.DataFrame({"unique_id": pd.Series(dtype=object), "ds": pd.Series(dtype="datetime64[ns]"),
                         "y": pd.Series(dtype=float), "cell": pd.Series(dtype=object)})


def cross_check(t: dict[str, pd.DataFrame], log: IssueLog, *, broken: set[str] = frozenset(),
                plan_only: bool = False) -> None:
    """Checks across tables. A table in `broken` (missing or unreadable, already reported) is not
    used to judge the others: that would repeat its one problem once per row."""
    items, history = t["items"], t["history"]
    items_ok = ITEMS.name not in broken
    history_ok = DEMAND_HISTORY.name not in broken and not plan_only
    resources_ok = RESOURCES.name not in broken
    skus = set(items["sku"].dropna())
    families = set(items["family"].dropna())
    resources = t["resources"]
    names = set(resources["resource"].dropna())
    if items.empty and items_ok:
        log.error(IssueCode.MISSING_VALUE, "The Items table has no rows.",
                  "List every SKU with its family in Items.", sheet=ITEMS.name, cell=f"A{ITEMS.header_row + 1}")
    if items_ok:
        for uid, cell in history.drop_duplicates("unique_id")[["unique_id", "cell"]].itertuples(index=False):
            if uid not in skus:
                col = "".join(ch for ch in cell if ch.isalpha())
                row = "".join(ch for ch in cell if ch.isdigit())
                log.error(IssueCode.UNKNOWN_KEY, f"SKU {uid!r} has history but is not in Items.",
                          "Add the SKU to Items (with its family), or delete its history row.",
                          sheet="DemandHistory", cell=f"A{row}" if col else cell, row_key=str(uid))
    if history_ok:
        with_history = set(history.loc[history["y"].notna(), "unique_id"])
        for row, sku, status in items[["sku", "status"]].itertuples():
            if sku not in with_history and status == "active" and not pd.isna(sku):
                log.warning(IssueCode.MISSING_VALUE, f"SKU {sku!r} has no demand history; it gets no statistical "
                            "forecast.", "Paste its history in DemandHistory, or set Status to new.",
                            sheet=ITEMS.name, cell=cell_of(items, row, "sku"), row_key=str(sku))
    if items_ok:
        _lookup(t["routing"], "item", skus | families, ROUTING.name, "SKU or family", "Items (SKU or Family)", log)
        _lookup(t["inventory"], "sku", skus, INVENTORY.name, "SKU", "Items", log)
        if "demand" in t:
            _lookup_long(t["demand"], "sku", skus, DEMAND.name, "SKU", "Items", log)
        if "budget" in t:
            _lookup(t["budget"], "family", families, BUDGET.name, "Family", "Items (Family)", log)
        if "receipts" in t:
            _lookup(t["receipts"], "sku", skus, SCHEDULED_RECEIPTS.name, "SKU", "Items", log)
    if resources_ok:
        _lookup(t["routing"], "resource", names, ROUTING.name, "Resource", "Resources", log)
        _lookup(t["calendar"], "resource", names, CAPACITY_CALENDAR.name, "Resource", "Resources", log)
        _lookup(t["workforce"], "resource", names, WORKFORCE.name, "Labour pool", "Resources", log)
    if not resources_ok:
        return
    labour = set(resources.loc[resources["kind"] == "labour", "resource"])
    pools = set(t["workforce"]["resource"].dropna())
    if WORKFORCE.name not in broken:
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
    _zero_capacity(t, log)


def _zero_capacity(t: dict[str, pd.DataFrame], log: IssueLog) -> None:
    """A machine or line with no regular capacity that products are routed through: the plan can only
    use overtime (or subcontracting), and without either it is infeasible. Said at the capacity cell."""
    resources, routing, wf = t["resources"], t["routing"], t["workforce"]
    routed = set(routing["resource"].dropna()) if not routing.empty else set()
    for row, name, kind, regular, overtime in resources[
            ["resource", "kind", "regular_capacity", "overtime_capacity"]].itertuples():
        if name not in routed or kind == "labour" or pd.isna(regular) or regular > 0:
            continue
        spare = "" if pd.notna(overtime) and overtime > 0 else \
            " and no overtime, so every unit routed through it is unplannable (the plan is infeasible)"
        log.warning(IssueCode.OUT_OF_RANGE, f"{name!r} has zero regular capacity{spare}.",
                    "Enter its hours per period (a holiday or shutdown goes on CapacityCalendar for that period).",
                    sheet=RESOURCES.name, cell=cell_of(resources, row, "regular_capacity"), row_key=str(name),
                    column="Regular capacity", value=regular)
    for row, name, heads, hours in wf[["resource", "initial_headcount", "hours_per_worker"]].itertuples():
        if name in routed and pd.notna(hours) and hours == 0:
            log.warning(IssueCode.OUT_OF_RANGE, f"Labour pool {name!r} has zero hours per worker: it has no "
                        "capacity whatever its headcount.", "Enter the hours one worker works per period.",
                        sheet=WORKFORCE.name, cell=cell_of(wf, row, "hours_per_worker"), row_key=str(name),
                        column="Hours per worker", value=hours)


def _check_scenarios(t: dict, settings, log: IssueLog, broken: set[str]) -> None:
    """Scenario rows as the scenarios stage parses them (same function), so a row `run` would refuse
    is refused here, at its cell."""
    table = t.get("scenarios")
    if table is None or table.empty or SCENARIOS.name in broken or ITEMS.name in broken \
            or RESOURCES.name in broken:
        return
    from ..scenarios import PlanInputs, parse_scenarios
    frames = {k: t[k] for k in ("items", "resources", "routing", "calendar", "workforce", "inventory")}
    parse_scenarios(table, PlanInputs(frames=frames, settings=settings), log)


def _check_solver(settings, log: IssueLog) -> None:
    """The solver named in Settings must be installed here (the name itself is checked when read)."""
    name = str(settings.get("solver") or "highs").strip()
    key = name.lower().replace("-", "_")
    if key.startswith("highs") and key != "highs_cmd" or key in ("cbc", "pulp_cbc_cmd"):
        return  # HiGHS (highspy) and the CBC pulp bundles: the plan falls back between them
    import pulp
    available = {s.upper() for s in pulp.listSolvers(onlyAvailable=True)}
    if name.upper() not in available:
        log.error(IssueCode.NOT_ALLOWED, f"Setting Solver: {name} is not installed on this machine.",
                  f"Install it, or choose one that is: highs, highs-simplex, cbc"
                  f"{', ' + ', '.join(sorted(available)) if available else ''}.",
                  sheet="Settings", cell=settings.cell("solver"), value=name)


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


def _lookup_long(long: pd.DataFrame, column: str, known: set, sheet: str, header: str, where: str,
                 log: IssueLog) -> None:
    """As `_lookup`, for a wide sheet read as a long frame (one row per key and period)."""
    if long.empty:
        return
    first = long.drop_duplicates(column)
    for value, at in first[[column, "cell"]].itertuples(index=False):
        if value is not None and not pd.isna(value) and value not in known:
            row = "".join(ch for ch in str(at) if ch.isdigit())
            log.error(IssueCode.UNKNOWN_KEY, f"{header} {value!r} is not in {where}.",
                      f"Correct the spelling, or add {value!r} to {where}.", sheet=sheet, cell=f"A{row}",
                      column=header, row_key=str(value), value=value)


def run_validate(book: WorkbookAdapter, *, progress: Progress = SILENT) -> StageResult:
    log = IssueLog()
    progress.start("Validating inputs", 1)
    tables = read_inputs(book, log)
    progress.advance()
    progress.finish()
    settings = tables["settings"]
    history = tables["history"]
    if not history.empty:
        last = history["ds"].max()
        first = settings.first_forecast_period
        if first is not None and first <= last:
            log.warning(IssueCode.OUT_OF_RANGE, f"First forecast period {periods.label(first, settings.period_type)} "
                        f"is not after the last history period {periods.label(last, settings.period_type)}.",
                        "Clear the setting to forecast from the period after the last history.",
                        sheet="Settings", cell=settings.cell("first_forecast_period"))
    n_err, n_warn = len(log.errors), len([i for i in log if i.severity is Severity.WARNING])
    if tables["plan_only"]:
        demand = tables.get("demand")
        what = f"no DemandHistory (plan-only workbook, demand from {_demand_source(book)})"
        if demand is not None and not demand.empty:
            what += f": {demand['sku'].nunique()} SKUs over {demand['ds'].nunique()} {settings.period_type}s"
    else:
        what = (f"{history['unique_id'].nunique()} with history over {history['ds'].nunique()} "
                f"{settings.period_type}s")
    summary = [f"validate: {len(tables['items'])} SKUs, {what}; {n_err} error(s), {n_warn} warning(s)"]
    return StageResult(stage="validate", summary=summary, issues=list(log))


def _demand_source(book: WorkbookAdapter) -> str:
    present = _present(book)
    return next((n for n in PLAN_DEMAND_SHEETS if n.lower() in present), DEMAND.name)
