"""What the reconciliation and executive-review stages (financials, scenarios, dashboard, export-pdf) read
from other stages' sheets, through views derived from the contract's own declarations.

A missing stage is reported as an Issue (code stage_missing) naming the sheet and the command that
makes it; the stage then does what it can without it.
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd

from ..contract import ITEMS, RESOURCES, WORKBOOK, WORKFORCE, Kind, Sheet
from ..contract.executive import SCENARIOS
from ..contract.plan import PLAN_RUN
from ..io.protocol import WorkbookAdapter
from ..io.tables import read_table, read_wide
from ..issues import InputError, IssueCode, IssueLog, Severity

DEMAND_SHEETS = ("Consensus", "Forecast", "Demand")
_PROMOTED = re.compile(r"^Scenario (.+) promoted to plan of record", re.IGNORECASE)


def reading_view(sheet: Sheet, *required: str) -> Sheet:
    """How another stage's output table is read back, derived from its declaration: `required`
    columns mark the table for the reader, and percentages are plain numbers (the input-friendly
    reading of 95 as 95 % would turn a 120 % utilisation sop_xl wrote as 1.2 into 1.2 %)."""
    columns = tuple(dataclasses.replace(c, required=c.name in required,
                                        kind=Kind.NUMBER if c.kind is Kind.PERCENT else c.kind,
                                        minimum=None if c.kind is Kind.PERCENT else c.minimum,
                                        maximum=None if c.kind is Kind.PERCENT else c.maximum)
                    for c in sheet.columns)
    return dataclasses.replace(sheet, columns=columns)


def has_sheet(book: WorkbookAdapter, name: str) -> bool:
    return name.lower() in {n.lower() for n in book.sheet_names()}


def optional_table(book: WorkbookAdapter, sheet: Sheet, log: IssueLog, period_type: str, *required: str
                   ) -> pd.DataFrame | None:
    """Another stage's output table, or None when that stage has not run (or wrote no rows).
    Only real errors of those sheets are passed on: their extra columns are not ours to judge."""
    if not has_sheet(book, sheet.name):
        return None
    private = IssueLog()
    frame = read_table(book, reading_view(sheet, *required) if required else sheet, private, required=False,
                       period_type=period_type)
    log.extend(i for i in private if i.severity is Severity.ERROR)
    return None if frame.empty else frame


def stage_missing(log: IssueLog, sheet: str, command: str, what: str, *, error: bool = False) -> None:
    add = log.error if error else log.warning
    add(IssueCode.STAGE_MISSING, f"There is no {sheet} sheet yet, so {what}.", f"Run `sop-xl {command}` first.",
        sheet=sheet)


def with_ds(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if frame is None else frame.rename(columns={"period": "ds"}).reset_index(drop=True)


def read_demand(book: WorkbookAdapter, period_type: str, log: IssueLog) -> tuple[pd.DataFrame, str]:
    """Consensus (final), else Forecast, else the Demand input, as the plan reads them."""
    from .plan import read_plan_demand
    if not any(has_sheet(book, n) for n in DEMAND_SHEETS):
        log.error(IssueCode.STAGE_MISSING, "There is no demand yet: no Consensus, Forecast or Demand sheet.",
                  "Run `sop-xl forecast` (or merge the consensus), or fill the Demand sheet.", sheet="Forecast")
        raise InputError(list(log))
    return read_plan_demand(book, period_type, log)


def planned_prices(book: WorkbookAdapter, period_type: str, source: str, log: IssueLog) -> pd.DataFrame | None:
    """The Consensus sheet's planned prices (sku, ds, price) when the demand is the consensus."""
    if not source.startswith("Consensus"):
        return None
    consensus = optional_table(book, WORKBOOK.sheet("Consensus"), log, period_type, "sku", "period")
    if consensus is None or "price" not in consensus:
        return None
    return consensus.rename(columns={"period": "ds"})[["sku", "ds", "price"]]


def statistical_forecast(book: WorkbookAdapter, period_type: str) -> pd.DataFrame | None:
    """The Forecast sheet as long ``sku, ds, forecast`` (its contract declaration), or None."""
    if not has_sheet(book, "Forecast"):
        return None
    long = read_wide(book, WORKBOOK.sheet("Forecast"), IssueLog(), period_type=period_type, required=False)
    return None if long.empty else long


def currency(settings) -> str:
    return str(settings.get("currency") or "EUR")


def plan_of_record(book: WorkbookAdapter, period_type: str) -> str | None:
    """The scenario a previous promotion made the plan of record, while its plan is still on the sheets."""
    run = optional_table(book, PLAN_RUN, IssueLog(), period_type, "status")
    if run is None or "message" not in run:
        return None
    match = _PROMOTED.match(str(run["message"].iloc[-1] or ""))
    return match.group(1) if match else None


def with_promoted(book: WorkbookAdapter, settings, items: pd.DataFrame, demand: pd.DataFrame, name: str,
                  log: IssueLog, prices: pd.DataFrame | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, bool]:
    """Items, demand and planned prices of the promoted scenario `name` (the inputs unchanged when it is gone)."""
    from ..plan import PlanSettings
    from ..scenarios import PlanInputs, apply_scenario, parse_scenarios
    pt = settings.period_type
    frames = {"items": items, "demand": demand,
              "resources": read_table(book, RESOURCES, IssueLog(), required=False),
              "workforce": read_table(book, WORKFORCE, IssueLog(), required=False), "calendar": None}
    inputs = PlanInputs(frames, PlanSettings.from_settings(settings), extra={"prices": prices})
    table = read_table(book, SCENARIOS, IssueLog(), required=False, period_type=pt)
    scenario = next((s for s in parse_scenarios(table, inputs, IssueLog()) if s.name.lower() == name.lower()), None)
    if scenario is None:
        log.warning("scenario_gone", f"The plan of record comes from scenario {name}, which is no longer on the "
                    "Scenarios sheet: revenue and cost use the inputs as they are.",
                    "Run `sop-xl plan` to plan the inputs as they are, or put the scenario back.",
                    sheet=SCENARIOS.name, row_key=name)
        return items, demand, prices, False
    changed = apply_scenario(inputs, scenario)
    return changed.frames["items"], changed.frames["demand"], changed.extra.get("prices"), True


def opening_backlog(book: WorkbookAdapter, items: pd.DataFrame, plan: pd.DataFrame | None) -> pd.Series | None:
    """Opening backlog per plan item (SKU, or family for a family plan) from the Inventory sheet."""
    from ..contract import INVENTORY
    if not has_sheet(book, INVENTORY.name):
        return None
    inventory = read_table(book, INVENTORY, IssueLog(), required=False)
    if inventory.empty:
        return None
    by_sku = inventory.groupby("sku")["opening_backlog"].sum()
    if plan is None or set(plan["item"]) <= set(by_sku.index) | set(items["sku"]):
        return by_sku
    family = by_sku.index.map(dict(zip(items["sku"], items["family"])))
    return by_sku.groupby(family).sum()  # a family plan carries its SKUs' backlog


def read_items(book: WorkbookAdapter, log: IssueLog, *, required: bool = True) -> pd.DataFrame:
    return read_table(book, ITEMS, log, required=required)


__all__ = ["DEMAND_SHEETS", "currency", "has_sheet", "opening_backlog", "optional_table",
           "plan_of_record", "planned_prices", "read_demand", "read_items", "reading_view", "stage_missing",
           "statistical_forecast", "with_ds", "with_promoted"]
