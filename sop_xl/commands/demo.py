"""`sop-xl demo`: write the demo company's inputs into a new workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..contract import (CAPACITY_CALENDAR, DEMAND_HISTORY, INVENTORY, ITEMS, RESOURCES, ROUTING, SETTINGS,
                        WORKFORCE)
from ..demo import DemoCompany, make_demo
from ..io.file import FileWorkbook
from ..io.protocol import WorkbookAdapter
from ..io.settings import settings_frame
from .base import StageResult


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


def run_demo_cycle(path: str | Path, *, seed: int = 7, progress=None,
                   on_result: Callable[[StageResult], None] | None = None) -> list[StageResult]:
    """The whole monthly cycle on a demo workbook, stage by stage, saving after each step:
    demand review, a consensus round by (simulated) email, supply review, finance and the
    executive dashboard, ending with the meeting's PDF beside the workbook."""
    from ..progress import SILENT
    from .base import CYCLE, available_stages, execute

    path = Path(path)
    progress = progress or SILENT
    available = set(available_stages())
    results: list[StageResult] = []

    def run(stages: list[str], **kwargs) -> bool:
        stages = [s for s in stages if s in available]
        if not stages:
            return True
        new = execute(FileWorkbook(path, backup=False), stages, progress=progress, on_result=on_result, **kwargs)
        results.extend(new)
        return all(r.status != "failed" for r in new)

    demand_review = ["validate", "forecast"]
    if not run(demand_review):
        return results
    if {"send-review", "merge"} <= available:
        from .consensus import run_consensus_demo
        new = run_consensus_demo(FileWorkbook(path, backup=False), review_dir=path.parent / f"{path.stem}-reviews", seed=seed,
                                 progress=progress)
        for result in new:
            if on_result:
                on_result(result)
        results.extend(new)
        if any(r.status == "failed" for r in new):
            return results
    if not run([s for s in CYCLE if s not in demand_review]):
        return results
    # without LibreOffice the export stage ends with one PDF_ENGINE_MISSING warning; the CLI turns it into
    # a single line saying how to get the PDF
    run(["export-pdf"], save=False, options={"export-pdf": {"out": path.with_suffix(".pdf")}})
    return results


DEFAULT_DIR = Path("sop_xl_demo")
DEFAULT_OUT = DEFAULT_DIR / "sop_xl_demo.xlsx"


def prepare_output_folder(out: Path) -> None:
    """The demo writes into its own folder, which ignores itself in git (`*` in its .gitignore): a demo
    run inside a checkout never shows up in `git status` and packaging never sees it."""
    folder = out.parent
    fresh = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if (fresh or folder.resolve() == DEFAULT_DIR.resolve()) and not ignore.exists():
        ignore.write_text("# written by `sop-xl demo`: everything here is demo output\n*\n", encoding="utf-8")
