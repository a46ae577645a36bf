"""Everything the supply plan needs, checked once and frozen.

`build_plan_data` takes the contract sheets as pandas frames (the names of
`sop_xl.contract.inputs`) and a demand frame ``sku, ds, demand`` (optional
``error_std``: the forecast error's standard deviation, used for safety stock). It never
raises on bad input: every problem becomes an `Issue` naming the sheet and cell, and the
data is None when any of them is an error.

After validation the model sees dense, aligned arrays: items x periods for demand and
safety stock, one row per item for costs, resources x periods for capacity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd

from ..contract import CAPACITY_CALENDAR, INVENTORY, ITEMS, RESOURCES, ROUTING, WORKFORCE, Kind, Sheet
from ..issues import Issue, IssueCode, IssueLog
from ..periods import example, label, period_range, period_start, periods_per_year
from .blanks import aggregate_families, apply_blanks, blank_rows, derive_item_costs, is_blank
from .cells import cell
from .settings import PlanSettings


@dataclass(frozen=True)
class PlanData:
    settings: PlanSettings
    periods: pd.DatetimeIndex
    labels: tuple[str, ...]
    items: pd.DataFrame        # index item: costs, lots, opening position, targets
    demand: pd.DataFrame       # index item, columns = periods
    safety_stock: pd.DataFrame  # index item, columns = periods (units wanted at period end)
    routing: pd.DataFrame      # item, resource, hours_per_unit (known items and resources only)
    resources: pd.DataFrame    # index resource: kind, regular_cost, overtime_cost, is_labour
    capacity: pd.DataFrame     # index (resource, period): regular, overtime hours (machines and lines)
    workforce: pd.DataFrame    # index pool: headcount parameters of each labour resource
    # units already in production or on order, arriving per item and period (ScheduledReceipts)
    receipts: pd.DataFrame | None = None
    # family plans: units per period the SKUs offering subcontracting could buy (NaN: no limit)
    subcontract_cap: pd.DataFrame | None = None
    # where a planner relaxes a requirement: ("capacity", "Line2") -> ("Resources", "D5", "Regular capacity")
    sources: dict = field(default_factory=dict)
    # PlanExplain rows that say how an input was read (a yearly rate converted to the workbook's period)
    notes: tuple[dict, ...] = ()

    @property
    def item_names(self) -> list[str]:
        return list(self.items.index)

    @property
    def resource_names(self) -> list[str]:
        return list(self.resources.index)

    def label_of(self, ds: pd.Timestamp) -> str:
        return label(ds, self.settings.period_type)

    def calendar_hours(self) -> tuple[np.ndarray, np.ndarray]:
        """(regular, overtime) hours per resource and period from the calendar, resources in `resources`
        order (NaN rows for labour pools: their hours come from their workers). One reindex for all."""
        grid = self.capacity.reindex(pd.MultiIndex.from_product([self.resources.index, self.periods]))
        shape = (len(self.resources), len(self.periods))
        return (np.array(grid["regular"], float).reshape(shape), np.array(grid["overtime"], float).reshape(shape))


def defaults_filled(frame: pd.DataFrame | None, sheet: Sheet) -> pd.DataFrame:
    """The frame with every contract column present, blanks read as the contract declares."""
    return apply_blanks(frame, sheet)


def build_plan_data(
    *,
    items: pd.DataFrame,
    resources: pd.DataFrame,
    routing: pd.DataFrame,
    demand: pd.DataFrame,
    settings: PlanSettings | None = None,
    calendar: pd.DataFrame | None = None,
    workforce: pd.DataFrame | None = None,
    inventory: pd.DataFrame | None = None,
    receipts: pd.DataFrame | None = None,
    demand_sheet: str = "Demand",
    check_costs: bool = True,
) -> tuple[PlanData | None, list[Issue]]:
    """The plan's inputs checked and shaped into matrices; (None, issues) when any input is wrong."""
    settings = settings or PlanSettings()
    log = IssueLog()
    raw = {"items": items, "resources": resources, "workforce": workforce}  # as read: which cells are blank
    items, resources, routing, calendar, workforce, inventory = _filled_and_checked(
        log, items=items, resources=resources, routing=routing, calendar=calendar, workforce=workforce,
        inventory=inventory)
    _check_blanks(items, resources, workforce, raw, log)

    demand_long = _demand_long(demand)
    periods = _horizon(settings, demand_long)
    labels = tuple(label(p, settings.period_type) for p in periods)

    sku_items = _check_items(items, settings, log)
    res = _check_resources(resources, workforce, log, routing["resource"].dropna())
    pools = _check_workforce(workforce, res, settings, log)
    _check_routing(routing, sku_items, res, log)
    capacity = _capacity(res, calendar, periods, settings, log)
    inv = _inventory(inventory, sku_items, log)
    sku_demand = _demand_matrix(demand_long, sku_items, periods, settings, demand_sheet, log)
    error_std = _error_std(demand_long, sku_items)

    known_resources = set(res.index)
    routing_ok = routing[routing["resource"].isin(known_resources) & routing["item"].notna()]
    sku_table = sku_items.join(inv)
    sku_routing = _sku_routing(routing_ok, sku_table)
    item_rows = dict(zip(items["sku"][::-1], items.index[::-1]))  # first row of each SKU
    _check_unroutable(sku_table, sku_routing, sku_demand, items, item_rows, log)
    if check_costs:  # the rough-cut check needs hours only
        _check_costs(sku_table, sku_demand, settings, items, item_rows, log)

    if log.has_errors:
        return None, list(log)

    ppy = periods_per_year(settings.period_type)  # months 12, weeks 52, quarters 4
    notes = holding_rate_notes(sku_table, settings.period_type, items, item_rows)
    if check_costs:  # the rough cut reads no costs: said once, by the plan
        for note in notes:
            log.info("plan_rate_converted", note["message"], note["hint"], sheet=note["sheet"],
                     cell=note["cell"], column=note["column"], row_key=note["first"])
    sku_table = derive_item_costs(sku_table, settings.objective, ppy)  # per SKU, before any aggregation
    safety = safety_stock_targets(sku_table, sku_demand, error_std, settings.service_level)
    sku_receipts = _receipts_matrix(receipts, sku_table, periods, settings, log)
    if log.has_errors:
        return None, list(log)
    data = PlanData(receipts=sku_receipts, settings=settings, periods=periods, labels=labels, items=sku_table,
                    demand=sku_demand, safety_stock=safety, routing=sku_routing.reset_index(drop=True), resources=res,
                    capacity=capacity, workforce=pools, sources=_sources(resources, workforce, inventory, items),
                    notes=tuple(notes))
    if settings.plan_level == "family":
        data = family_data(data)
    return data, list(log)


def _filled_and_checked(log: IssueLog, **frames: pd.DataFrame | None) -> tuple:
    """Each input sheet with its contract defaults filled in and its required cells and ranges checked,
    in the order items, resources, routing, calendar, workforce, inventory."""
    sheets = {"items": ITEMS, "resources": RESOURCES, "routing": ROUTING, "calendar": CAPACITY_CALENDAR,
              "workforce": WORKFORCE, "inventory": INVENTORY}
    filled = []
    for name, sheet in sheets.items():
        frame = defaults_filled(frames[name], sheet)
        _check_required_and_ranges(frame, sheet, log)
        filled.append(frame)
    return tuple(filled)


def holding_rate_notes(sku_table: pd.DataFrame, period_type: str, items: pd.DataFrame, item_rows: dict
                       ) -> list[dict]:
    """How a blank holding cost is derived from the yearly rate in the workbook's period, as a PlanExplain
    row (the Issues sheet gets the same words); none when no SKU's holding cost is derived."""
    derived = sku_table["holding_cost"].isna() & (sku_table["unit_cost"] * sku_table["holding_cost_rate"] > 0)
    if not derived.any():
        return []
    ppy = periods_per_year(period_type)
    first = sku_table.index[derived.to_numpy()][0]
    cost, rate = sku_table.at[first, "unit_cost"], sku_table.at[first, "holding_cost_rate"]
    at = item_rows.get(first)
    return [dict(requirement="rate conversion", key=f"{int(derived.sum())} SKU(s)", first=str(first),
                 violation=cost * rate / ppy,
                 unit=f"per unit per {period_type}",
                 message=f"Holding cost of {int(derived.sum())} SKU(s) is blank, so it is derived per {period_type}: "
                         f"unit cost x yearly holding cost rate / {ppy} {period_type}s a year (e.g. {first}: "
                         f"{cost:g} x {rate:.0%} / {ppy} = {cost * rate / ppy:.4g} per unit per {period_type}).",
                 hint=f"Nothing, or type a Holding cost per unit per {period_type} (every per-period figure of "
                      f"the workbook is per {period_type}, Settings period_type).",
                 sheet=ITEMS.name, cell=cell(items, ITEMS, "holding_cost", at) if at is not None else "",
                 column="Holding cost")]


def family_data(data: PlanData) -> PlanData:
    """The same plan at family level (S&OP's own level): quantities add up, each input aggregated by
    what its blank means (`blanks.aggregate_families`); the family keeps the stock its SKUs want
    (the sum of the SKU safety stocks, not a target computed on the family total)."""
    from dataclasses import replace
    table, dem, routing, _, sub_cap = aggregate_families(
        data.items, data.demand, data.routing, pd.Series(np.nan, index=data.items.index))
    safety = data.safety_stock.groupby(data.items["family"]).sum().reindex(table.index)
    receipts = None if data.receipts is None else data.receipts.groupby(data.items["family"]).sum().reindex(table.index)
    return replace(data, items=table, demand=dem, safety_stock=safety, receipts=receipts, routing=routing.reset_index(drop=True),
                   subcontract_cap=sub_cap, settings=data.settings.with_(plan_level="family"))


def _sources(resources, workforce, inventory, items) -> dict:
    """The cell a planner edits to relax each requirement, for messages about infeasible plans."""
    out = {}
    for idx, resource in zip(resources.index, resources["resource"].to_numpy()):
        if resource is not None and resource == resource:
            out.setdefault(("capacity", resource),
                           ("Resources", cell(resources, RESOURCES, "regular_capacity", idx), "Regular capacity"))
    for idx, pool in zip(workforce.index, workforce["resource"].to_numpy()):
        if pool is not None and pool == pool:
            out[("capacity", pool)] = ("Workforce", cell(workforce, WORKFORCE, "max_headcount", idx), "Max headcount")
            out[("layoff_cost", pool)] = ("Workforce", cell(workforce, WORKFORCE, "layoff_cost", idx), "Layoff cost")
    for idx, sku in zip(inventory.index, inventory["sku"].to_numpy()):
        if sku is not None and sku == sku:   # (NaN != NaN: a blank SKU cell)
            out[("end_stock", sku)] = ("Inventory", cell(inventory, INVENTORY, "target_end_stock", idx),
                                       "Target end stock")
            out[("max_stock", sku)] = ("Inventory", cell(inventory, INVENTORY, "max_stock", idx), "Max stock")
    out[("no_backlog_at_end", "")] = ("Settings", "", "no_backlog_at_end")
    out[("storage", "")] = ("Settings", "", "storage_capacity")
    return out


# ---------------------------------------------------------------------------------- generic checks

def _check_required_and_ranges(frame: pd.DataFrame, sheet: Sheet, log: IssueLog) -> None:
    index = frame.index
    for col in sheet.columns:
        values = frame[col.name]
        array = values.to_numpy()
        numeric = values.dtype.kind == "f"
        # a labour pool's capacity comes from Workforce, so _check_resources judges that cell
        if col.required and not (sheet is RESOURCES and col.name == "regular_capacity"):
            empty = np.isnan(array) if numeric else np.fromiter(map(is_blank, array), bool, len(array))
            for idx in index[empty]:
                log.error(IssueCode.MISSING_VALUE, f"{col.header} is empty.",
                          f"Fill in {col.header}.", sheet=sheet.name, cell=cell(frame, sheet, col.name, idx),
                          column=col.header, row_key=_key(frame, sheet, idx))
        if not numeric:
            continue
        bound = _bound(col)
        with np.errstate(invalid="ignore"):   # blanks (NaN) compare False: nothing to say about them here
            beyond = np.abs(array) > bound
            below = array < col.minimum if col.minimum is not None else None
        for idx in index[beyond]:
            log.error(IssueCode.OUT_OF_RANGE, f"{col.header} of {_key(frame, sheet, idx)} is {values[idx]:.6g}, "
                      f"beyond what a plan can use (at most {bound:.0e}).", "Enter the value in the column's "
                      f"unit{' (' + col.unit + ')' if col.unit else ''}; check for a typo or a pasted total.",
                      sheet=sheet.name, cell=cell(frame, sheet, col.name, idx), column=col.header,
                      row_key=_key(frame, sheet, idx), value=values[idx])
        if below is not None:
            for idx in index[below]:
                what = "capacity" if "capacity" in col.name else col.header.lower()
                log.error(IssueCode.OUT_OF_RANGE,
                          f"Negative {what} {values[idx]:g} for {_key(frame, sheet, idx)}.",
                          f"Enter a number >= {col.minimum:g}.", sheet=sheet.name,
                          cell=cell(frame, sheet, col.name, idx), column=col.header,
                          row_key=_key(frame, sheet, idx), value=values[idx])


def _check_blanks(items: pd.DataFrame, resources: pd.DataFrame, workforce: pd.DataFrame, raw: dict,
                  log: IssueLog) -> None:
    """A blank the model reads as zero next to a value that only makes sense with a number there
    (an overtime cost with no overtime hours, a safety stock rule with no value) changes the plan's
    meaning without a word: say what it was read as, at its cell."""

    def warn(frame, sheet, column, idx, why, fix):
        col = sheet.column(column)
        key = _key(frame, sheet, idx)
        log.warning("plan_blank_read_as_zero", f"{col.header} of {key} is blank and is read as 0 {col.unit}"
                    f"".rstrip() + f" ({why}).", fix, sheet=sheet.name, cell=cell(frame, sheet, column, idx),
                    column=col.header, row_key=key, value=0.0)

    labour = set(workforce["resource"].dropna()) | set(
        resources.loc[resources["kind"].astype(str).str.lower() == "labour", "resource"].dropna())
    for idx in blank_rows(raw["resources"], "overtime_capacity"):
        if resources.at[idx, "overtime_cost"] > 0 and resources.at[idx, "resource"] not in labour:
            warn(resources, RESOURCES, "overtime_capacity", idx, "an overtime cost is given, but no overtime hours",
                 "Enter the overtime hours available per period (0 if there is no overtime).")
    for idx in blank_rows(raw["workforce"], "overtime_hours_per_worker"):
        if workforce.at[idx, "overtime_cost"] > 0:
            warn(workforce, WORKFORCE, "overtime_hours_per_worker", idx,
                 "an overtime cost is given, but no overtime hours", "Enter the overtime hours per worker "
                 "(0 if there is no overtime).")
    rules = items["safety_stock_rule"].astype(str).str.lower()
    for idx in blank_rows(raw["items"], "safety_stock_value"):
        if rules.get(idx) in ("fixed", "periods_of_cover"):
            warn(items, ITEMS, "safety_stock_value", idx, f"the safety stock rule {rules[idx]} needs a value",
                 "Enter the units (fixed) or periods of cover, or choose another rule.")


# Numbers beyond this are refused before any solve: LP solvers work in double precision with tolerances
# around 1e-9 relative, so coefficients or bounds of 1e12 and more make their answers numerically
# meaningless (HiGHS fails, or "proves" a wrong infeasibility). A contract bound, where declared, wins.
PLAN_MAGNITUDE = 1e9


def _bound(col) -> float:
    """The smaller of the contract's sanity bound for the column and what a plan can use."""
    declared = getattr(col, "bound", None)
    return min(float(declared), PLAN_MAGNITUDE) if declared else PLAN_MAGNITUDE


def _key(frame: pd.DataFrame, sheet: Sheet, idx) -> str:
    return ", ".join(str(frame.at[idx, k]) for k in sheet.key if k in frame.columns)


# ---------------------------------------------------------------------------------- sheets

def _check_items(items: pd.DataFrame, settings: PlanSettings, log: IssueLog) -> pd.DataFrame:
    items = items[items["sku"].notna()]
    dup = items["sku"].duplicated()
    for idx in items.index[dup]:
        log.error(IssueCode.DUPLICATE_KEY, f"SKU {items.at[idx, 'sku']} is listed twice.",
                  "Keep one row per SKU.", sheet="Items", cell=cell(items, ITEMS, "sku", idx),
                  row_key=items.at[idx, "sku"])
    items = items[~dup]
    if settings.lot_sizing:
        bad = items["max_lot"].notna() & (items["max_lot"] < items["min_lot"])
        for idx in items.index[bad]:
            log.error(IssueCode.OUT_OF_RANGE, f"Max lot of {items.at[idx, 'sku']} is below its min lot.",
                      "Make Max lot >= Min lot or leave it blank.", sheet="Items",
                      cell=cell(items, ITEMS, "max_lot", idx), row_key=items.at[idx, "sku"])
    table = items.set_index("sku")
    table.index.name = "item"
    return table


def _check_resources(resources: pd.DataFrame, workforce: pd.DataFrame, log: IssueLog,
                     routing_resources=None) -> pd.DataFrame:
    resources = resources[resources["resource"].notna()]
    pools = set(workforce["resource"].dropna())
    for idx in resources.index[resources["resource"].duplicated()]:
        log.error(IssueCode.DUPLICATE_KEY, f"{resources.at[idx, 'resource']} is listed twice.",
                  "Keep one row per resource.", sheet="Resources", cell=cell(resources, RESOURCES, "resource", idx))
    resources = resources[~resources["resource"].duplicated()]
    is_labour = (resources["kind"].astype(str).str.lower() == "labour") | resources["resource"].isin(pools)
    for idx in resources.index[(resources["kind"].astype(str).str.lower() == "labour")
                               & ~resources["resource"].isin(pools)]:
        log.error(IssueCode.MISSING_VALUE,
                  f"Labour pool {resources.at[idx, 'resource']} has no row on the Workforce sheet.",
                  "Add its headcount and hours to Workforce, or change Kind to machine.",
                  sheet="Resources", cell=cell(resources, RESOURCES, "kind", idx),
                  row_key=resources.at[idx, "resource"])
    routed = set(routing_resources) if routing_resources is not None else set()
    zero = ~is_labour & (resources["regular_capacity"] == 0) & (resources["overtime_capacity"].fillna(0) == 0)
    for idx in resources.index[zero & resources["resource"].isin(routed)]:
        log.warning("plan_zero_capacity", f"{resources.at[idx, 'resource']} has 0 h of regular and overtime "
                    "capacity, but the routing needs it: nothing routed through it can be made (except in "
                    "periods the CapacityCalendar opens).", "Enter the hours available per period, or route "
                    "the items elsewhere.", sheet="Resources",
                    cell=cell(resources, RESOURCES, "regular_capacity", idx), row_key=resources.at[idx, "resource"],
                    column="Regular capacity", value=0.0)
    for idx in resources.index[~is_labour & resources["regular_capacity"].isna()]:
        log.error(IssueCode.MISSING_VALUE, f"Regular capacity of {resources.at[idx, 'resource']} "
                  "is empty.", "Enter the hours available per period.", sheet="Resources",
                  cell=cell(resources, RESOURCES, "regular_capacity", idx), row_key=resources.at[idx, "resource"])
    table = resources.set_index("resource")[["kind", "regular_capacity", "overtime_capacity", "regular_cost",
                                             "overtime_cost"]].copy()
    table["is_labour"] = is_labour.to_numpy()
    return table


def _check_workforce(workforce: pd.DataFrame, res: pd.DataFrame, settings: PlanSettings,
                     log: IssueLog) -> pd.DataFrame:
    workforce = workforce[workforce["resource"].notna()]
    for idx in workforce.index:
        pool = workforce.at[idx, "resource"]
        where = dict(sheet="Workforce", row_key=pool)
        if pool not in res.index:
            log.error(IssueCode.UNKNOWN_KEY, f"Labour pool {pool} is not on the Resources sheet.",
                      "Add it to Resources with Kind = labour, or fix the name.",
                      cell=cell(workforce, WORKFORCE, "resource", idx), **where)
        lo, hi = workforce.at[idx, "min_headcount"], workforce.at[idx, "max_headcount"]
        if not math.isnan(hi) and hi < lo:
            log.error(IssueCode.OUT_OF_RANGE, f"Max headcount of {pool} is below its min headcount.",
                      "Make Max headcount >= Min headcount.", cell=cell(workforce, WORKFORCE, "max_headcount", idx),
                      **where)
        initial = workforce.at[idx, "initial_headcount"]
        if settings.whole_headcount and not math.isnan(initial) and initial != round(initial):
            log.error(IssueCode.NOT_AN_INTEGER, f"Initial headcount {initial:g} of {pool} is not a "
                      "whole number, but Settings whole_headcount is yes.", "Enter whole people.",
                      cell=cell(workforce, WORKFORCE, "initial_headcount", idx), **where)
    pools = workforce.drop_duplicates("resource").set_index("resource")
    pools.index.name = "pool"
    # a pool's overtime cost falls back to the resource's when the Workforce cell is 0 or blank
    res_ot = res["overtime_cost"].reindex(pools.index).fillna(0.0)
    pools["overtime_cost"] = pools["overtime_cost"].where(pools["overtime_cost"] > 0, res_ot)
    return pools[pools.index.isin(res.index)]


def _check_routing(routing: pd.DataFrame, items: pd.DataFrame, res: pd.DataFrame, log: IssueLog) -> None:
    families = set(items["family"].dropna())
    # the columns as lists: a .at lookup per row was most of this check's time on a 1,000-row routing
    for idx, item, resource in zip(routing.index, routing["item"].tolist(), routing["resource"].tolist()):
        if resource is not None and resource not in res.index:
            log.error(IssueCode.UNKNOWN_KEY, f"{item} is routed to resource {resource}, which is not on "
                      "the Resources sheet.", "Add the resource to Resources or fix the name.", sheet="Routing",
                      cell=cell(routing, ROUTING, "resource", idx), row_key=f"{item}, {resource}", value=resource)
        if item is not None and item not in items.index and item not in families:
            log.warning(IssueCode.UNKNOWN_KEY, f"{item} is neither a SKU nor a family on Items; "
                        "the row is ignored.", "Fix the name or delete the row.", sheet="Routing",
                        cell=cell(routing, ROUTING, "item", idx), row_key=item, value=item)


def _capacity(res: pd.DataFrame, calendar: pd.DataFrame, periods: pd.DatetimeIndex, settings: PlanSettings,
              log: IssueLog) -> pd.DataFrame:
    machines = res.index[~res["is_labour"]]
    index = pd.MultiIndex.from_product([machines, periods], names=["resource", "period"])
    cap = pd.DataFrame({
        "regular": np.repeat(res.loc[machines, "regular_capacity"].to_numpy(float), len(periods)),
        "overtime": np.repeat(res.loc[machines, "overtime_capacity"].fillna(0).to_numpy(float), len(periods)),
    }, index=index)
    first, last = periods[0], periods[-1]
    for idx in calendar.index[calendar["resource"].notna()]:
        resource = calendar.at[idx, "resource"]
        where = dict(sheet="CapacityCalendar", row_key=resource)
        if resource not in res.index:
            log.error(IssueCode.UNKNOWN_KEY, f"Resource {resource} is not on the Resources sheet.",
                      "Add it to Resources or fix the name.", cell=cell(calendar, CAPACITY_CALENDAR, "resource", idx),
                      **where)
            continue
        ds = _period(calendar.at[idx, "period"], settings.period_type)
        if ds is None:
            log.error(IssueCode.NOT_A_PERIOD, f"{calendar.at[idx, 'period']!r} is not a period.",
                      f"Enter a period like {example(settings.period_type)}.",
                      cell=cell(calendar, CAPACITY_CALENDAR, "period", idx), **where)
            continue
        if ds < first or ds > last:
            # calendars are kept for next year too: not a problem, just not used in this plan
            log.info(IssueCode.OUT_OF_RANGE, f"Period {label(ds, settings.period_type)} of "
                     f"{resource} is outside the plan horizon {label(first, settings.period_type)}.."
                     f"{label(last, settings.period_type)}; the row is not used in this plan.",
                     "Nothing, unless the period is a typo.",
                     cell=cell(calendar, CAPACITY_CALENDAR, "period", idx), **where)
            continue
        if bool(res.at[resource, "is_labour"]):
            log.warning(IssueCode.IGNORED_COLUMN, f"{resource} is a labour pool; its capacity "
                        "comes from headcount on the Workforce sheet, so this row is ignored.",
                        "Change hours or headcount limits on Workforce instead.",
                        cell=cell(calendar, CAPACITY_CALENDAR, "resource", idx), **where)
            continue
        cap.at[(resource, ds), "regular"] = calendar.at[idx, "regular_capacity"]
        ot = calendar.at[idx, "overtime_capacity"]
        if not math.isnan(ot):
            cap.at[(resource, ds), "overtime"] = ot
    return cap


def _period(value, period_type: str) -> pd.Timestamp | None:
    from ..periods import parse_period
    if isinstance(value, pd.Timestamp):
        return period_start(value, period_type)
    return parse_period(value, period_type)


def _inventory(inventory: pd.DataFrame, items: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    inventory = inventory[inventory["sku"].notna()]
    for idx in inventory.index[~inventory["sku"].isin(items.index)]:
        log.warning(IssueCode.UNKNOWN_KEY, f"SKU {inventory.at[idx, 'sku']} is not on Items; "
                    "the row is ignored.", "Add the SKU to Items or delete the row.", sheet="Inventory",
                    cell=cell(inventory, INVENTORY, "sku", idx), row_key=inventory.at[idx, "sku"])
    table = inventory.drop_duplicates("sku").set_index("sku").reindex(items.index)
    table["opening_stock"] = table["opening_stock"].fillna(0.0)
    table["opening_backlog"] = table["opening_backlog"].fillna(0.0)
    return table[["opening_stock", "opening_backlog", "target_end_stock", "max_stock"]]


# ---------------------------------------------------------------------------------- demand

def _demand_long(demand: pd.DataFrame | None) -> pd.DataFrame:
    if demand is None or len(demand) == 0:
        return pd.DataFrame({"sku": pd.Series(dtype=object), "ds": pd.Series(dtype="datetime64[ns]"),
                             "demand": pd.Series(dtype=float)})
    frame = demand.rename(columns={"unique_id": "sku", "y": "demand", "period": "ds"}).copy()
    frame["sku"] = frame["sku"].astype(str).str.strip()
    frame["ds"] = pd.to_datetime(frame["ds"], cache=False)  # the cache only pays for repeated text dates
    frame["demand"] = pd.to_numeric(frame["demand"], errors="coerce")
    return frame


def _horizon(settings: PlanSettings, demand: pd.DataFrame) -> pd.DatetimeIndex:
    first = settings.first_period
    if first is None:
        first = demand["ds"].min() if len(demand) else pd.Timestamp.today()
    return period_range(period_start(first, settings.period_type), settings.horizon, settings.period_type)


def _demand_matrix(demand: pd.DataFrame, items: pd.DataFrame, periods: pd.DatetimeIndex, settings: PlanSettings,
                   sheet: str, log: IssueLog) -> pd.DataFrame:
    matrix = pd.DataFrame(0.0, index=items.index, columns=periods)
    if len(demand) == 0:
        return matrix
    demand = demand.assign(ds=_period_starts(demand["ds"], settings.period_type))

    def where(row) -> dict:
        return dict(sheet=str(row.get("sheet", sheet) or sheet), cell=str(row.get("cell", "") or ""),
                    row_key=row["sku"])

    bad = demand["demand"].isna() | (demand["demand"] < 0) | (demand["demand"] > PLAN_MAGNITUDE)
    for _, row in demand[bad].iterrows():
        log.error(IssueCode.OUT_OF_RANGE, f"Demand of {row['sku']} in "
                  f"{label(row['ds'], settings.period_type)} is {row['demand']!r}.",
                  f"Enter a number from 0 to {PLAN_MAGNITUDE:.0e}.", value=row["demand"], **where(row))
    unknown = ~demand["sku"].isin(items.index)
    for sku, rows in demand[unknown & ~bad].groupby("sku"):
        log.error(IssueCode.UNKNOWN_KEY, f"Demand for SKU {sku}, which is not on the Items sheet.",
                  "Add the SKU to Items (family, costs) or remove its demand.", **where(rows.iloc[0]))
    outside = ~demand["ds"].isin(periods)
    if (outside & ~unknown & ~bad & (demand["demand"] > 0)).any():
        rows = demand[outside & ~unknown & ~bad & (demand["demand"] > 0)]
        first = rows.iloc[0]
        log.warning(IssueCode.OUT_OF_RANGE, f"{len(rows)} demand value(s) fall outside the plan horizon "
                    f"{label(periods[0], settings.period_type)}..{label(periods[-1], settings.period_type)} (first: "
                    f"{first['sku']} {label(first['ds'], settings.period_type)}); they are not planned.",
                    "Check Settings first_forecast_period and horizon.", **where(first))
    ok = demand[~unknown & ~bad & ~outside]
    values = np.zeros(matrix.shape)   # the same SKU and period twice (two rows, finer periods) add up
    np.add.at(values, (matrix.index.get_indexer(ok["sku"]), matrix.columns.get_indexer(ok["ds"])),
              ok["demand"].to_numpy(float))
    return pd.DataFrame(values, index=matrix.index, columns=matrix.columns)


def _receipts_matrix(receipts: pd.DataFrame | None, items: pd.DataFrame, periods: pd.DatetimeIndex,
                     settings: PlanSettings, log: IssueLog) -> pd.DataFrame | None:
    """Items x periods of units already in production or on order (None when there are none)."""
    from ..contract.plan import SCHEDULED_RECEIPTS
    if receipts is None or len(receipts) == 0:
        return None
    frame = apply_blanks(receipts, SCHEDULED_RECEIPTS)
    frame = frame[frame["sku"].notna()]
    matrix = pd.DataFrame(0.0, index=items.index, columns=periods)
    for idx in frame.index:
        sku, qty = frame.at[idx, "sku"], frame.at[idx, "quantity"]
        where = dict(sheet=SCHEDULED_RECEIPTS.name, row_key=str(sku))
        ds = _period(frame.at[idx, "period"], settings.period_type)
        if sku not in items.index:
            log.error(IssueCode.UNKNOWN_KEY, f"Scheduled receipt for SKU {sku}, which is not on Items.",
                      "Fix the SKU or add it to Items.", cell=cell(frame, SCHEDULED_RECEIPTS, "sku", idx), **where)
        elif ds is None:
            log.error(IssueCode.NOT_A_PERIOD, f"{frame.at[idx, 'period']!r} is not a period.",
                      f"Enter the period the units arrive, like {example(settings.period_type)}.",
                      cell=cell(frame, SCHEDULED_RECEIPTS, "period", idx), **where)
        elif not (qty >= 0) or qty > PLAN_MAGNITUDE:
            log.error(IssueCode.OUT_OF_RANGE, f"Scheduled receipt of {sku} is {qty!r} units.",
                      f"Enter a quantity from 0 to {PLAN_MAGNITUDE:.0e}.",
                      cell=cell(frame, SCHEDULED_RECEIPTS, "quantity", idx), **where)
        elif ds < periods[0]:  # overdue: expected now
            log.warning(IssueCode.OUT_OF_RANGE, f"Scheduled receipt of {qty:g} {sku} was due in "
                        f"{label(ds, settings.period_type)}, before the horizon; it is counted in the first period.",
                        "Update the due period, or delete the row if it has arrived (then it is in Opening stock).",
                        cell=cell(frame, SCHEDULED_RECEIPTS, "period", idx), **where)
            matrix.at[sku, periods[0]] += qty
        elif ds > periods[-1]:
            log.info(IssueCode.OUT_OF_RANGE, f"Scheduled receipt of {sku} arrives after the horizon; not planned.",
                     "Nothing.", cell=cell(frame, SCHEDULED_RECEIPTS, "period", idx), **where)
        else:
            matrix.at[sku, ds] += qty
    return matrix


def _period_starts(ds: pd.Series, period_type: str) -> pd.Series:
    """periods.period_start for a whole column at once."""
    ds = pd.to_datetime(ds, cache=False).dt.normalize()
    if period_type == "week":
        return ds - pd.to_timedelta(ds.dt.weekday, unit="D")
    month_start = ds - pd.to_timedelta(ds.dt.day - 1, unit="D")
    if period_type == "quarter":
        return pd.to_datetime(pd.DataFrame({"year": ds.dt.year, "month": 3 * ((ds.dt.month - 1) // 3) + 1, "day": 1}))
    return month_start


def _error_std(demand: pd.DataFrame, items: pd.DataFrame) -> pd.Series:
    if "error_std" not in demand.columns or len(demand) == 0:
        return pd.Series(np.nan, index=items.index)
    return pd.to_numeric(demand["error_std"], errors="coerce").groupby(demand["sku"]).mean().reindex(items.index)


# ---------------------------------------------------------------------------------- routing, costs

def _sku_routing(routing: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Routing per SKU and resource. A family row serves every SKU of the family; an SKU's own row
    for a resource replaces its family's row for that resource (other resources still come from
    the family), as planners write an exception for one SKU without repeating the rest."""
    cols = ["item", "resource", "hours_per_unit"]
    own = routing.loc[routing["item"].isin(items.index), cols]
    fam = routing[~routing["item"].isin(items.index)]
    inherited = (items[["family"]].reset_index()
                 .merge(fam, left_on="family", right_on="item", suffixes=("", "_fam")))[cols]
    overridden = pd.MultiIndex.from_frame(own[["item", "resource"]])
    keep = ~pd.MultiIndex.from_frame(inherited[["item", "resource"]]).isin(overridden)
    out = pd.concat([own, inherited[keep]], ignore_index=True)
    return out.groupby(["item", "resource"], as_index=False)["hours_per_unit"].sum()


def _check_unroutable(table: pd.DataFrame, routing: pd.DataFrame, demand: pd.DataFrame, items: pd.DataFrame,
                      rows: dict, log: IssueLog) -> None:
    routed = set(routing["item"])
    for sku in table.index:
        if sku in routed or demand.loc[sku].sum() <= 0:
            continue
        where = dict(sheet="Items", row_key=sku, cell=cell(items, ITEMS, "sku", rows[sku]) if sku in rows else "")
        if pd.notna(table.at[sku, "subcontract_cost"]):
            log.warning("plan_no_routing", f"SKU {sku} has no routing; it can only be subcontracted.",
                        "Add Routing rows for the SKU or its family.", **where)
        else:
            log.error("plan_no_routing", f"SKU {sku} has demand but no routing (no Routing row for the SKU "
                      f"or its family {table.at[sku, 'family']}), so it cannot be made.",
                      "Add Routing rows (resource and hours per unit), or a subcontract cost.", **where)


def _check_costs(table: pd.DataFrame, demand: pd.DataFrame, settings: PlanSettings, items: pd.DataFrame,
                 rows: dict, log: IssueLog) -> None:
    has_demand = demand.sum(axis=1) > 0

    def where(sku, column):
        return dict(sheet="Items", row_key=sku, column=ITEMS.column(column).header,
                    cell=cell(items, ITEMS, column, rows[sku]) if sku in rows else "")

    demanded = has_demand.reindex(table.index).fillna(False).to_numpy(bool)
    # the checks on whole columns first: only the SKUs that fail one are visited (5,000 .loc reads are slow)
    lost_cost = table["lost_sales_cost"].where(table["lost_sales_cost"].notna(), table["price"])
    no_lost_cost = ~(lost_cost > 0).to_numpy() if settings.objective == "min_cost" and settings.lost_sales \
        else np.zeros(len(table), bool)
    free_backorders = ~(table["backorder_cost"] > 0).to_numpy() \
        if settings.objective == "min_cost" and settings.backorders else np.zeros(len(table), bool)
    no_price = ~(table["price"] > 0).to_numpy() if settings.objective == "max_margin" else np.zeros(len(table), bool)
    for k in np.flatnonzero(demanded & (no_lost_cost | free_backorders | no_price)):
        sku = table.index[k]
        if no_lost_cost[k]:
            log.error("plan_missing_cost", f"Lost-sales cost of {sku} is missing and there is no price to "
                      "derive it from, so the plan would rather lose all its sales.",
                      "Enter a Lost sales cost (per unit), or the Price.", **where(sku, "lost_sales_cost"))
        if free_backorders[k]:
            log.warning("plan_missing_cost", f"Backorder cost of {sku} is 0, so backorders are free and "
                        "the plan may delay its demand to the end of the horizon.",
                        "Enter a Backorder cost per unit per period.", **where(sku, "backorder_cost"))
        if no_price[k]:
            log.warning("plan_missing_cost", f"Price of {sku} is 0; maximising margin will leave its "
                        "demand unmet.", "Enter the Price.", **where(sku, "price"))


# ---------------------------------------------------------------------------------- safety stock

def safety_stock_targets(table: pd.DataFrame, demand: pd.DataFrame, error_std: pd.Series,
                         service_level: float) -> pd.DataFrame:
    """Units wanted in stock at each period end, per Items.safety_stock_rule.

    - fixed: the value in units;
    - periods_of_cover: value x average demand per period over the horizon;
    - service_level: z(service level) x sigma x sqrt(1 + lead time), sigma being the forecast error's
      standard deviation when the demand frame gives it (``error_std``; the plan command derives it from
      the ForecastIntervals sheet), else the standard deviation of the planned demand itself (a
      conservative stand-in when no error is known);
    - none: 0.
    """
    z = NormalDist().inv_cdf(service_level)
    rule = table["safety_stock_rule"].fillna("none").astype(str).str.lower()
    value = table["safety_stock_value"].fillna(0.0) if "safety_stock_value" in table else 0.0
    sigma = error_std.reindex(table.index)
    sigma = sigma.where(sigma.notna(), demand.std(axis=1, ddof=0))
    lead = table["lead_time"].fillna(0.0)
    units = pd.Series(0.0, index=table.index)
    units[rule == "fixed"] = value[rule == "fixed"]
    units[rule == "periods_of_cover"] = (value * demand.mean(axis=1))[rule == "periods_of_cover"]
    units[rule == "service_level"] = (z * sigma * np.sqrt(1 + lead))[rule == "service_level"]
    units = units.clip(lower=0.0).fillna(0.0)
    return pd.DataFrame(np.repeat(units.to_numpy()[:, None], demand.shape[1], axis=1), index=table.index,
                        columns=demand.columns)
