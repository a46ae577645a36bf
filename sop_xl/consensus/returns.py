"""Turn a returned review copy into offers: untrusted input, checked cell by cell.

Pure: the copy comes in through a read-only workbook (`sheet_names`, `read_grid`, `formulas`;
`sop_xl.io.review_copy.ReturnedWorkbook` reads the file) and leaves as a `ReturnFile`: the
manifest as written, whether the copy's layout is the one sent, and one *offer* per value
typed in its input table. The department is the one the (signed) manifest names; its values
are read from that department's input sheet only, found by the header it was sent with.
When the layout changed, the values are still read by their position as sent so that each
one is listed on Rejected instead of being lost unseen.

Formulas are never evaluated. With `formulas_allowed` False (the default setting) a value
typed as a formula, or a row whose key cells hold formulas, is rejected with the formula
named; with True the last calculated value counts and the formula is carried into Audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from .. import periods
from ..contract.schema import Kind
from ..issues import column_letter
from ..values import coerce
from .audit import safe_text
from .manifest import MANIFEST_SHEET, Manifest, ManifestError, layout_problem
from .review import DEPARTMENTS, Department, department, department_for_sheet

MAX_MANIFEST_ROWS = 10_000


class ReturnedCopy(Protocol):
    """What the consensus core needs of a returned copy (see io.review_copy.ReturnedWorkbook)."""

    path: Path
    name: str
    macros: bool
    external_links: list[str]

    def sheet_names(self) -> list[str]: ...

    def read_grid(self, sheet_name: str) -> list[list[Any]]: ...

    def formulas(self, sheet_name: str) -> list[Any]: ...  # objects with sheet, cell, formula


@dataclass
class ReturnFile:
    path: Path
    manifest: Manifest | None = None
    written_digest: str = ""
    signature: str = ""
    manifest_problem: str = ""
    layout_problem: str = ""
    department: Department | None = None
    records: list[dict[str, Any]] = field(default_factory=list)   # offers, see audit.OFFER_COLUMNS
    formulas: list[Any] = field(default_factory=list)             # in the sheets read (manifest, input)
    macros: bool = False
    external_links: list[str] = field(default_factory=list)
    sheet_names: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


def read_return(book: ReturnedCopy, *, period_type: str = periods.MONTH, formulas_allowed: bool = False
                ) -> ReturnFile:
    """Read a returned copy (the reader raises its own refusal when the file is unreadable)."""
    names = book.sheet_names()
    result = ReturnFile(path=Path(book.path), macros=book.macros, external_links=list(book.external_links),
                        sheet_names=list(names))
    by_lower = {n.lower(): n for n in names}
    manifest_sheet = by_lower.get(MANIFEST_SHEET.lower())
    if manifest_sheet is None:
        result.manifest_problem = "it has no manifest sheet (it is not a review copy sent by sop_xl)"
    else:
        in_manifest = book.formulas(manifest_sheet)
        result.formulas.extend(in_manifest)
        try:
            if in_manifest:
                raise ManifestError(f"its manifest holds formulas ({in_manifest[0].cell} {in_manifest[0].formula})")
            rows = book.read_grid(manifest_sheet)[:MAX_MANIFEST_ROWS]
            result.manifest, result.written_digest, result.signature = Manifest.from_rows(rows)
        except ManifestError as exc:
            result.manifest_problem = str(exc)
    manifest = result.manifest
    # the columns are read as the manifest's input sheet was drawn; whether that sheet belongs to
    # the department the manifest names is `manifest.verify`'s question
    dept = (department_for_sheet(manifest.input_sheet) or department(manifest.department)) if manifest else None
    result.department = dept
    if manifest is not None and dept is not None:
        sheet = manifest.input_sheet if manifest.input_sheet in names else None
        grid = book.read_grid(sheet) if sheet else None
        header = grid[manifest.header_row - 1] if grid and len(grid) >= manifest.header_row else []
        result.layout_problem = layout_problem(manifest, names, header if sheet else None)
        if sheet:
            candidates = [sheet]
        else:  # the input sheet was renamed: list what the renamed sheets hold
            candidates = [n for n in names if n not in manifest.sheets]
        for name in candidates:
            grid = grid if name == sheet and grid is not None else book.read_grid(name)
            formulas = book.formulas(name)
            result.formulas.extend(formulas)
            result.records += _offers(dept, grid, {f.cell: f.formula for f in formulas}, result, name,
                                      period_type, manifest.header_row, formulas_allowed)
    elif manifest is None:
        # no trustworthy department: list what any department table in the file holds, all refused later
        for d in DEPARTMENTS.values():
            name = by_lower.get(d.sheet.name.lower())
            if name is None:
                continue
            formulas = book.formulas(name)
            result.formulas.extend(formulas)
            result.records += _offers(d, book.read_grid(name), {f.cell: f.formula for f in formulas}, result,
                                      name, period_type, d.sheet.header_row, formulas_allowed)
    return result



def _offers(dept: Department, grid: list[list[Any]], formulas: dict[str, str], result: ReturnFile,
            sheet_name: str, period_type: str, header_row: int, formulas_allowed: bool) -> list[dict[str, Any]]:
    """One offer per value cell below the header, the columns taken by their position as sent
    (the layout check says whether the header still matches)."""
    position = {c.name: i for i, c in enumerate(dept.sheet.columns)}
    copy_id = result.manifest.copy_id if result.manifest else ""
    records = []
    for r in range(header_row, len(grid)):
        raw_row = grid[r]

        def at(name: str) -> tuple[Any, str]:
            c = position.get(name)
            if c is None:
                return None, ""
            return (raw_row[c] if c < len(raw_row) else None), f"{column_letter(c + 1)}{r + 1}"

        item_raw, item_cell = at(dept.key)
        period_raw, period_cell = at("period")
        reason_raw, reason_cell = at("reason")
        event_raw, event_cell = at("event")
        confirm_raw, confirm_cell = at("confirm")
        period, period_problem = _period(period_raw, period_type)
        key_formulas = [f"{cell} {formulas[cell]}" for cell in (item_cell, period_cell, confirm_cell)
                        if cell in formulas]
        confirmed = coerce(confirm_raw, Kind.BOOL).value is True if confirm_raw is not None else False
        for name in dept.fields:
            value_raw, cell = at(name)
            formula = formulas.get(cell, "")
            if value_raw is None and not formula:
                continue
            kind = dept.sheet.column(name).kind
            value, problem = _number(value_raw, kind, formula, formulas_allowed)
            if not problem and key_formulas and not formulas_allowed:
                problem = (f"the row's key cells hold formulas ({', '.join(key_formulas)}); formulas are not "
                           "accepted in returns (Settings return_formulas is no): type the values")
            records.append(dict(copy_id=copy_id, department=dept.name, file=result.name, sheet=sheet_name,
                                cell=cell, item=_text(item_raw), period=period, field=name, value=value,
                                raw=_raw_text(value_raw, formula), problem=problem or period_problem,
                                reason=safe_text(reason_raw), event=safe_text(event_raw), confirmed=confirmed,
                                formula=safe_text(formula, limit=200)))
    return records


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return safe_text(value, limit=100)


def _raw_text(value: Any, formula: str) -> str:
    shown = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
    return safe_text(f"{formula} -> {shown}" if formula else shown, limit=120)


def _period(raw: Any, period_type: str) -> tuple[pd.Timestamp | None, str]:
    if raw is None:
        return None, ""
    ts = periods.parse_period(raw, period_type)
    if ts is not None:
        return ts, ""
    return None, f"{safe_text(raw, 40)!r} is not a period (write it like {periods.example(period_type)})"


def _number(raw: Any, kind: Kind, formula: str, formulas_allowed: bool) -> tuple[float | None, str]:
    if formula and not formulas_allowed:
        return None, (f"the cell holds the formula {safe_text(formula, 80)}; formulas are not accepted in returns "
                      "(Settings return_formulas is no): type the number")
    if raw is None and formula:
        return None, (f"the cell holds the formula {safe_text(formula, 80)} and no calculated value; sop_xl never "
                      "evaluates formulas: type the number")
    got = coerce(raw, kind)
    if got.problem:
        return None, f"not a number: {got.problem}"
    return float(got.value), ""


def formula_summary(formulas: list[Any], limit: int = 5) -> str:
    shown = ", ".join(f"{f.sheet}!{f.cell} {f.formula}" for f in formulas[:limit])
    return shown + (f" and {len(formulas) - limit} more" if len(formulas) > limit else "")
