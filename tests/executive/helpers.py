"""Tiny companies for the executive-review tests: two SKUs in two families, one machine."""

from __future__ import annotations

import pandas as pd

from sop_xl.contract import INVENTORY, ITEMS, RESOURCES, ROUTING, SETTINGS, WORKBOOK
from sop_xl.io import MemoryWorkbook
from sop_xl.io.settings import settings_frame
from sop_xl.plan import PlanSettings
from sop_xl.scenarios import PlanInputs

START = pd.Timestamp("2027-01-01")
LABELS = ["2027-01", "2027-02", "2027-03"]


def items_frame() -> pd.DataFrame:
    return pd.DataFrame([
        dict(sku="A", family="FA", price=30.0, unit_cost=10.0, holding_cost=0.5, backorder_cost=2.0,
             safety_stock_rule="none"),
        dict(sku="B", family="FB", price=50.0, unit_cost=20.0, holding_cost=0.5, backorder_cost=2.0,
             safety_stock_rule="none"),
    ])


def resources_frame(capacity: float = 100.0) -> pd.DataFrame:
    return pd.DataFrame([dict(resource="M", regular_capacity=capacity, overtime_capacity=20.0, regular_cost=1.0,
                              overtime_cost=5.0)])


def routing_frame() -> pd.DataFrame:
    return pd.DataFrame([dict(item="A", resource="M", hours_per_unit=1.0),
                         dict(item="B", resource="M", hours_per_unit=1.0)])


def demand_long(a=(40.0, 50.0, 60.0), b=(30.0, 30.0, 30.0)) -> pd.DataFrame:
    ds = pd.date_range(START, periods=3, freq="MS")
    return pd.DataFrame({"sku": ["A"] * 3 + ["B"] * 3, "ds": list(ds) * 2, "demand": list(a) + list(b)})


def plan_inputs(capacity: float = 100.0, **settings) -> PlanInputs:
    frames = dict(items=items_frame(), resources=resources_frame(capacity), routing=routing_frame(),
                  demand=demand_long(), calendar=None, workforce=None, inventory=None)
    return PlanInputs(frames, PlanSettings(first_period=START, horizon=3).with_(**settings))


def memory_book(*, capacity: float = 100.0, demand: bool = True, budget: bool = True,
                scenarios: pd.DataFrame | None = None, book=None) -> MemoryWorkbook:
    """A workbook (in memory unless `book` is given) holding the tiny company's inputs, a Demand
    sheet, a Budget and Scenarios."""
    book = MemoryWorkbook() if book is None else book
    book.write_table(SETTINGS, settings_frame({"company": "Tiny Co", "first_forecast_period": START, "horizon": 3,
                                               "currency": "EUR"}))
    book.write_table(ITEMS, items_frame().reindex(columns=ITEMS.column_names()))
    book.write_table(RESOURCES, resources_frame(capacity).reindex(columns=RESOURCES.column_names()))
    book.write_table(ROUTING, routing_frame())
    book.write_table(INVENTORY, pd.DataFrame([dict(sku="A", opening_stock=0.0, opening_backlog=0.0)]).reindex(
        columns=INVENTORY.column_names()))
    if demand:
        wide = pd.DataFrame({"sku": ["A", "B"], **{lab: [a, b] for lab, a, b in
                                                   zip(LABELS, (40.0, 50.0, 60.0), (30.0, 30.0, 30.0))}})
        book.write_table(WORKBOOK.sheet("Demand"), wide)
    if budget:
        book.write_table(WORKBOOK.sheet("Budget"), pd.DataFrame({
            "family": ["FA"] * 3 + ["FB"] * 3, "period": LABELS * 2,
            "volume": [50.0] * 3 + [30.0] * 3, "revenue": [1500.0] * 3 + [1500.0] * 3,
            "margin": [1000.0] * 3 + [900.0] * 3}))
    if scenarios is not None:
        book.write_table(WORKBOOK.sheet("Scenarios"), scenarios.reindex(
            columns=WORKBOOK.sheet("Scenarios").column_names()))
    return book


def table(book: MemoryWorkbook, name: str) -> pd.DataFrame:
    """A sheet written by a command, read back through the contract (required columns relaxed)."""
    from sop_xl.commands.review_inputs import reading_view as _reading
    from sop_xl.io import read_table
    from sop_xl.issues import IssueLog
    sheet = WORKBOOK.sheet(name)
    first = sheet.key[0] if sheet.key else sheet.columns[0].name
    return read_table(book, _reading(sheet, first), IssueLog(), required=False).reset_index(drop=True)
