"""`sop-xl demo`: write the demo company's inputs into a new workbook."""

from __future__ import annotations

from pathlib import Path

from ..contract import (CAPACITY_CALENDAR, DEMAND_HISTORY, INVENTORY, ITEMS, RESOURCES, ROUTING, SETTINGS,
                        WORKFORCE)
from ..demo import DemoCompany, make_demo
from ..io.file import FileWorkbook
from ..io.protocol import WorkbookAdapter
from ..io.settings import settings_frame


def write_demo_inputs(book: WorkbookAdapter, company: DemoCompany) -> None:
    book.write_table(SETTINGS, settings_frame(company.settings))
    book.write_table(ITEMS, company.items)
    book.write_table(DEMAND_HISTORY, company.history_wide())
    book.write_table(RESOURCES, company.resources)
    book.write_table(ROUTING, company.routing)
    book.write_table(CAPACITY_CALENDAR, company.calendar)
    book.write_table(WORKFORCE, company.workforce)
    book.write_table(INVENTORY, company.inventory)
    _write_optional(book, company)


def _write_optional(book: WorkbookAdapter, company: DemoCompany) -> None:
    """Input sheets later stages declare (e.g. Budget) get demo data once they exist."""
    from ..contract import WORKBOOK
    names = {s.name for s in WORKBOOK}
    if "Budget" in names:
        from ..finance.budget import budget_frame
        book.write_table(WORKBOOK.sheet("Budget"), budget_frame(company))
    if "Scenarios" in names:
        from ..scenarios.demo import demo_scenarios
        book.write_table(WORKBOOK.sheet("Scenarios"), demo_scenarios(company))


def create_demo_workbook(path: str | Path, *, seed: int = 7) -> FileWorkbook:
    """A new workbook at `path` holding the demo inputs (saved), ready for the cycle."""
    path = Path(path)
    if path.exists():
        path.unlink()  # the demo always starts from scratch; the CLI asks before overwriting
    book = FileWorkbook(path, create=True, backup=False)
    write_demo_inputs(book, make_demo(seed))
    book.save()
    return FileWorkbook(path)
