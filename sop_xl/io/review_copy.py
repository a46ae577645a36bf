"""Review copies as files: draw a department's copy, read a returned one as untrusted input.

Review copies and returns are workbooks like any other, so their file I/O lives here in the
io layer and the consensus core only sees grids (`ReturnedWorkbook.read_grid`, like every
workbook adapter) and plain values.

Writing (openpyxl, no macros, plain Excel). Sheets: Instructions; the department's input
table (the only unlocked cells, with validation lists and number checks); read-only context
(History, Statistical, LastConsensus, ...); a hidden Lists sheet feeding the drop-downs; and
the manifest on a veryHidden sheet. Every sheet is protected and the workbook structure is
locked, so sheets cannot be renamed, moved or added by accident. Protection is a guard
against slips, not security: the signature the master checks (an HMAC whose key never
leaves the master) is what detects tampering.

Reading. Nothing in a return is executed: macros are never run (the file is read as a zip of
XML, never opened by a program that runs them), formulas are never evaluated (their last
calculated value is read with python-calamine, and every formula is reported by cell).
Before anything parses the file it must be a workbook of sane size whose real uncompressed
size and compression ratio stay within limits (zip bombs); a sheet whose cells reach far
beyond a review copy is refused before its grid is read.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Sequence
from xml.etree import ElementTree

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from ..contract.schema import Kind, Sheet
from .. import safety
from ..untrusted import safe_text
from ..values import is_blank
from .archive import ArchiveRefused, check_workbook_archive

LISTS_SHEET = "Lists"
INPUT_ROWS = 300
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")   # the cells a department may type in
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
NOTE_FONT = Font(italic=True, size=9, color="595959")


def put(ws, row: int, col: int, value: Any):
    """Write a value; text is always text (a leading "=" never becomes a formula)."""
    if isinstance(value, str):
        value = safe_text(value, limit=32_000)
    elif value is not None and not isinstance(value, (int, float, bool)) and pd.isna(value):
        value = None
    elif isinstance(value, float) and value != value:
        value = None
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        cell.data_type = "s"
    return cell


@dataclass(frozen=True)
class ReviewCopySpec:
    """What one department's copy shows, as plain values (the consensus core decides them)."""

    title: str                                # "Sales review · cycle 2027-01"
    note: str                                 # issued when, from where, copy id
    instructions: tuple[str, ...]
    input_sheet: Sheet                        # the table the department types in (header on its header_row)
    choices: tuple[str, ...]                  # what the key column accepts
    period_labels: tuple[str, ...]
    context: dict[str, pd.DataFrame]          # read-only sheets, in order
    manifest_sheet: str
    manifest_rows: tuple[tuple[Any, ...], ...]
    rows: int = INPUT_ROWS

    def sheet_names(self) -> tuple[str, ...]:
        """The copy's tabs, in the order `write_review_copy` draws them."""
        return ("Instructions", self.input_sheet.name, *self.context, LISTS_SHEET, self.manifest_sheet)


def _protect(ws) -> None:
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # allowed: widening a column does no harm
    ws.protection.autoFilter = False
    ws.protection.sort = True


def _instructions(wb: Workbook, spec: ReviewCopySpec) -> None:
    ws = wb.active
    ws.title = "Instructions"
    put(ws, 1, 1, spec.title).font = TITLE_FONT
    put(ws, 2, 1, spec.note).font = NOTE_FONT
    row = 4
    for line in spec.instructions:
        put(ws, row, 1, "• " + line).alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    row += 1
    put(ws, row, 1, f"Columns of {spec.input_sheet.name}").font = Font(bold=True)
    row += 1
    for col in spec.input_sheet.columns:
        unit = f" ({col.unit})" if col.unit else ""
        put(ws, row, 1, f"{col.header}{unit}: {col.description or col.kind.value}")
        row += 1
    row += 1
    put(ws, row, 1, "Context sheets (read-only): " + ", ".join(spec.context)).font = NOTE_FONT
    ws.column_dimensions["A"].width = 120
    _protect(ws)


def _list_refs(package: ReviewCopySpec) -> tuple[str, str]:
    last_a = max(2, len(package.choices) + 1)
    last_b = max(2, len(package.period_labels) + 1)
    return f"{LISTS_SHEET}!$A$2:$A${last_a}", f"{LISTS_SHEET}!$B$2:$B${last_b}"


def _lists(wb: Workbook, package: ReviewCopySpec) -> None:
    ws = wb.create_sheet(LISTS_SHEET)
    put(ws, 1, 1, "choices")
    put(ws, 1, 2, "periods")
    for r, text in enumerate(package.choices, start=2):
        put(ws, r, 1, text)
    for r, text in enumerate(package.period_labels, start=2):
        put(ws, r, 2, text)
    ws.sheet_state = "hidden"
    _protect(ws)


def _input_sheet(wb: Workbook, package: ReviewCopySpec, choices_ref: str, periods_ref: str, rows: int) -> None:
    sheet = package.input_sheet
    ws = wb.create_sheet(sheet.name)
    put(ws, 1, 1, sheet.name).font = TITLE_FONT
    put(ws, 2, 1, sheet.description + "  ·  Type only in the yellow cells.").font = NOTE_FONT
    header_row = sheet.header_row
    first, last = header_row + 1, header_row + rows
    for c, col in enumerate(sheet.columns, start=1):
        cell = put(ws, header_row, c, col.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = col.width or 14
        for r in range(first, last + 1):
            target = ws.cell(row=r, column=c)
            target.protection = Protection(locked=False)
            target.fill = INPUT_FILL
            target.number_format = col.excel_format
        letter = get_column_letter(c)
        area = f"{letter}{first}:{letter}{last}"
        dv = _validation(col, package, choices_ref, periods_ref)
        if dv is not None:
            dv.add(area)
            ws.add_data_validation(dv)
    ws.row_dimensions[header_row].height = 30
    table = Table(displayName=sheet.table, ref=f"A{header_row}:{get_column_letter(len(sheet.columns))}{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=False)
    ws.add_table(table)
    ws.freeze_panes = f"A{first}"
    _protect(ws)


def _validation(col, package: ReviewCopySpec, choices_ref: str, periods_ref: str) -> DataValidation | None:
    """Drop-downs from the Lists sheet, number ranges, text length (formulas without "=": OOXML form)."""
    name = col.name
    if name in ("item", "resource"):
        what = "resource" if name == "resource" else "SKU or family"
        return DataValidation(type="list", formula1=choices_ref, allow_blank=True, showErrorMessage=True,
                              errorTitle=f"Unknown {what}", error=f"Pick a {what} from the list.",
                              promptTitle=col.header, prompt=f"Pick a {what} from the list.")
    if name == "period":
        return DataValidation(type="list", formula1=periods_ref, allow_blank=True, showErrorMessage=True,
                              errorTitle="Period outside the horizon", error="Pick a period from the list.")
    if col.kind is Kind.BOOL:
        return DataValidation(type="list", formula1='"yes,no"', allow_blank=True, showErrorMessage=True,
                              errorTitle=f"{col.header}: yes or no", error="Type yes or no (or leave it blank).",
                              promptTitle=col.header, prompt=col.description[:255])
    if col.kind in (Kind.NUMBER, Kind.MONEY, Kind.PERCENT, Kind.INTEGER):
        low = -1e12 if col.minimum is None else col.minimum
        high = 1e12 if col.maximum is None else col.maximum
        shown = f"{low:g} to {high:g}" if col.kind is not Kind.PERCENT else f"{low:.0%} to {high:.0%}"
        return DataValidation(type="decimal", operator="between", formula1=str(low), formula2=str(high),
                              allow_blank=True, showErrorMessage=True, errorTitle=f"{col.header}: not allowed",
                              error=f"Enter a number from {shown}.")
    return DataValidation(type="textLength", operator="lessThanOrEqual", formula1="500", allow_blank=True,
                          showErrorMessage=True, errorTitle="Too long", error="At most 500 characters.")


def _context(wb: Workbook, name: str, frame: pd.DataFrame, header_row: int) -> None:
    ws = wb.create_sheet(name)
    put(ws, 1, 1, f"{name} (read-only)").font = TITLE_FONT
    header = [str(c) for c in frame.columns]
    for c, text in enumerate(header, start=1):
        cell = put(ws, header_row, c, text)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        ws.column_dimensions[get_column_letter(c)].width = 14 if c <= 2 else 10
    for r, record in enumerate(frame.itertuples(index=False, name=None), start=header_row + 1):
        for c, value in enumerate(record, start=1):
            cell = put(ws, r, c, value.item() if hasattr(value, "item") else value)
            if isinstance(cell.value, float):
                cell.number_format = "#,##0" if abs(cell.value) >= 100 else "#,##0.00"
    ws.freeze_panes = f"C{header_row + 1}" if header[:1] == ["SKU"] else f"A{header_row + 1}"
    _protect(ws)


def _manifest(wb: Workbook, spec: ReviewCopySpec) -> None:
    ws = wb.create_sheet(spec.manifest_sheet)
    for r, row in enumerate(spec.manifest_rows, start=1):
        for c, value in enumerate(row, start=1):
            put(ws, r, c, value)
    ws.sheet_state = "veryHidden"  # not even listed under Unhide in Excel
    _protect(ws)


def write_review_copy(spec: ReviewCopySpec, path: str | os.PathLike) -> Path:
    """Write the copy atomically (a temp file then rename) and return its path."""
    path = Path(path)
    wb = Workbook()
    _instructions(wb, spec)
    choices_ref, periods_ref = _list_refs(spec)
    _input_sheet(wb, spec, choices_ref, periods_ref, spec.rows)
    for name, frame in spec.context.items():
        _context(wb, name, frame, spec.input_sheet.header_row)
    _lists(wb, spec)
    _manifest(wb, spec)
    wb.active = 1  # the copy opens on the input table
    wb.security = WorkbookProtection(lockStructure=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = safety.new_temp(path.parent, ".~sop_xl-review-", ".xlsx")   # removed by Ctrl-C's clean-up too
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        safety.forget_temp(tmp)
    return path


def fill_input_table(path: str | os.PathLike, sheet_name: str, header_row: int, columns: Sequence[str],
                     rows: Sequence[dict[str, Any]]) -> None:
    """Type `rows` (column name -> value) under the header of a copy's input table, as a person
    would with Excel (demo and tests): `columns` are the column names left to right."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb[next(n for n in wb.sheetnames if n.lower() == sheet_name.lower())]
    position = {name: i + 1 for i, name in enumerate(columns)}
    for r, row in enumerate(rows, start=header_row + 1):
        for name, value in row.items():
            cell = ws.cell(row=r, column=position[name], value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # a person typing "=..." in a text cell gets text
    wb.save(path)


def copy_file(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    return target


# ====================================================================== reading a returned copy

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
MAX_FILE_BYTES = 25 * 1024 * 1024          # a review copy is a few hundred kB
MAX_UNCOMPRESSED_BYTES = 250 * 1024 * 1024
MAX_RATIO = 200                             # deflated XML rarely beats 1:100
RATIO_FLOOR = 1_000_000                     # smaller parts may compress any amount
MAX_MEMBERS = 5_000
MAX_ROWS = 100_000                          # per sheet: a review copy has a few thousand rows at most
MAX_COLUMNS = 1_000
_CHUNK = 1 << 16
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class ReturnRefused(Exception):
    """The file cannot be read as a review copy at all (not a workbook, too large, a zip bomb)."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Formula:
    sheet: str
    cell: str
    formula: str


def check_container(path: Path) -> list[str]:
    """Refuse what is not a sane workbook; return the zip's member names.

    The zip-bomb rule is io.archive's `check_workbook_archive` (one home), called with a review
    copy's stricter limits and reworded for a department; the file checks before it and the real
    inflated size after it are a returned copy's own."""
    if not path.exists():
        raise ReturnRefused(f"{path} does not exist.", "Give the returned .xlsx files or the folder holding them.")
    if not path.is_file():
        raise ReturnRefused(f"{path} is not a file.", "Give the returned .xlsx files or the folder holding them.")
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise ReturnRefused(f"{path.name} is not an Excel workbook (.xlsx or .xlsm).",
                            "Ask the department to save the review copy as an Excel Workbook (.xlsx).")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ReturnRefused(f"{path.name} is {size / 2**20:.0f} MB, more than a review copy can be "
                            f"({MAX_FILE_BYTES >> 20} MB).", "Ask for the review copy without pasted extras.")
    if not zipfile.is_zipfile(path):
        raise ReturnRefused(f"{path.name} is not a valid Excel workbook (damaged, password-protected, or another "
                            "file type renamed to .xlsx).", "Ask the department to save it again as .xlsx.")
    try:
        names = check_workbook_archive(path, name=path.name, max_member=MAX_UNCOMPRESSED_BYTES,
                                       max_total=MAX_UNCOMPRESSED_BYTES, max_ratio=MAX_RATIO,
                                       max_members=MAX_MEMBERS, ratio_floor=RATIO_FLOOR)
        if "xl/workbook.xml" not in names:
            raise ReturnRefused(f"{path.name} is a zip file but not an Excel workbook.",
                                "Ask the department to save it from Excel as .xlsx.")
        with zipfile.ZipFile(path) as z:
            _real_size(z, z.infolist(), path.name)  # headers can lie: count what really comes out
    except ArchiveRefused as exc:
        raise _refusal(exc, path.name) from None
    except zipfile.BadZipFile as exc:
        raise ReturnRefused(f"{path.name} is a damaged zip ({exc}).", "Ask for a fresh copy.") from None
    return names


def _refusal(exc: ArchiveRefused, name: str) -> ReturnRefused:
    """The archive check's refusal in a review copy's words (a department gets these)."""
    unsafe = "Refused as unsafe. Ask for a fresh copy."
    if exc.kind == "members":
        return ReturnRefused(f"{name} holds {exc.count} parts; a workbook has far fewer.", unsafe)
    if exc.kind == "encrypted":
        return ReturnRefused(f"{name} is encrypted.", "Ask for a copy saved without a password.")
    if exc.kind == "ratio" and exc.total <= MAX_UNCOMPRESSED_BYTES:
        part = exc.part
        return ReturnRefused(f"{name}: part {part.filename} expands {part.file_size // max(part.compress_size, 1)}"
                             f" times (a zip bomb).", unsafe)
    return ReturnRefused(f"{name} would expand to {exc.total / 2**20:.0f} MB (a zip bomb or a huge paste).", unsafe)


def _real_size(z: zipfile.ZipFile, infos, name: str) -> None:
    total = 0
    for info in infos:
        with z.open(info) as member:
            while True:
                chunk = member.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > MAX_UNCOMPRESSED_BYTES:
                    raise ReturnRefused(f"{name} expands to more than {MAX_UNCOMPRESSED_BYTES >> 20} MB "
                                        "(a zip bomb).", "Refused as unsafe. Ask for a fresh copy.")


def _no_entities(head: bytes, member: str) -> None:
    head = head.upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise ReturnRefused(f"part {member} declares XML entities, which Excel never writes.",
                            "Refused as unsafe. Ask for a fresh copy.")


def _xml(z: zipfile.ZipFile, member: str) -> Any:
    data = z.read(member)
    _no_entities(data[:4096], member)
    return ElementTree.fromstring(data)


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part inside the zip, in the workbook's tab order."""
    book = _xml(z, "xl/workbook.xml")
    rels_name = "xl/_rels/workbook.xml.rels"
    targets = {}
    if rels_name in z.namelist():
        for rel in _xml(z, rels_name).iter(f"{_NS_PKG_REL}Relationship"):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            targets[rel.get("Id")] = path.replace("xl/./", "xl/")
    parts = {}
    for sheet in book.iter(f"{_NS_MAIN}sheet"):
        rid = sheet.get(f"{_NS_REL}id")
        if rid in targets:
            parts[sheet.get("name", "")] = targets[rid]
    return parts


_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _scan(z: zipfile.ZipFile, name: str, member: str) -> tuple[list[Formula], tuple[int, int]]:
    """Every formula (<f> element) with its cell, and how far the sheet's cells reach, streamed
    from the sheet XML. Nothing is evaluated, nothing is loaded whole."""
    with z.open(member) as fh:
        _no_entities(fh.read(4096), member)
    formulas: list[Formula] = []
    last_row = last_col = 0
    ref = ""
    with z.open(member) as fh:
        for event, elem in ElementTree.iterparse(fh, events=("start", "end")):
            if elem.tag == f"{_NS_MAIN}c":
                if event == "start":
                    ref = elem.get("r", "")
                    m = _CELL_REF.fullmatch(ref)
                    if m:
                        last_row = max(last_row, int(m.group(2)))
                        last_col = max(last_col, _column_number(m.group(1)))
                else:
                    elem.clear()
            elif elem.tag == f"{_NS_MAIN}f" and event == "end":
                text = elem.text or ("(shared formula)" if elem.get("t") == "shared" else "(formula)")
                formulas.append(Formula(name, ref, "=" + text if text[0] != "(" else text))
            elif elem.tag == f"{_NS_MAIN}row" and event == "end":
                elem.clear()
    return formulas, (last_row, last_col)


def has_macros(names: list[str]) -> bool:
    return any(n.lower().endswith("vbaproject.bin") or n.lower().startswith("xl/macrosheets/") for n in names)


class ReturnedWorkbook:
    """A returned review copy, read-only: the `sheet_names` / `read_grid` half of the workbook
    adapter protocol plus what an untrusted file must disclose (formulas by cell, macros,
    external links). Opening checks the container; `read_grid` checks a sheet's extent first.
    Raises ReturnRefused for what cannot be read as a review copy at all."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.name = self.path.name
        members = check_container(self.path)
        self.macros = has_macros(members)
        self.external_links = sorted(m for m in members if m.lower().startswith("xl/externallinks/")
                                     and m.lower().endswith(".xml"))
        try:
            with zipfile.ZipFile(self.path) as z:
                self._parts = sheet_parts(z)
        except ElementTree.ParseError as exc:
            raise ReturnRefused(f"{self.name} holds malformed XML ({exc}).", "Ask for a fresh copy.") from None
        self._members = set(members)
        self._scans: dict[str, tuple[list[Formula], tuple[int, int]]] = {}
        self._reader = None

    def sheet_names(self) -> list[str]:
        return list(self._parts)

    def _scanned(self, sheet_name: str) -> tuple[list[Formula], tuple[int, int]]:
        if sheet_name not in self._scans:
            member = self._parts.get(sheet_name)
            if member is None or member not in self._members:
                self._scans[sheet_name] = ([], (0, 0))
            else:
                try:
                    with zipfile.ZipFile(self.path) as z:
                        self._scans[sheet_name] = _scan(z, sheet_name, member)
                except ElementTree.ParseError as exc:
                    raise ReturnRefused(f"{self.name}: sheet {sheet_name!r} holds malformed XML ({exc}).",
                                        "Ask for a fresh copy.") from None
            rows, cols = self._scans[sheet_name][1]
            if rows > MAX_ROWS or cols > MAX_COLUMNS:
                raise ReturnRefused(f"{self.name}: sheet {sheet_name!r} has cells out to row {rows:,}, column "
                                    f"{cols:,}, far beyond a review copy.", "Ask the department to delete what was "
                                    "typed outside the table (Ctrl+End shows it), or to send a fresh copy.")
        return self._scans[sheet_name]

    def formulas(self, sheet_name: str) -> list[Formula]:
        return list(self._scanned(sheet_name)[0])

    def read_grid(self, sheet_name: str) -> list[list[Any]]:
        """The sheet's cells from A1 (None for blanks; formulas give their last calculated value)."""
        self._scanned(sheet_name)  # refuses a sheet reaching far away before any grid is allocated
        if self._reader is None:
            from python_calamine import CalamineWorkbook
            try:
                self._reader = CalamineWorkbook.from_path(str(self.path))
            except Exception as exc:  # calamine's own error types for damaged parts
                raise ReturnRefused(f"{self.name} could not be read ({exc}).", "Ask for a fresh copy.") from None
        try:
            rows = self._reader.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise ReturnRefused(f"{self.name}: sheet {sheet_name!r} could not be read ({exc}).",
                                "Ask for a fresh copy.") from None
        return [[None if is_blank(v) else v for v in row] for row in rows]

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def expand(paths: list[str | Path]) -> list[Path]:
    """Files as given; folders contribute their workbook-like files (lock files skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.exists() and not p.suffix:
            continue  # a folder nobody has saved a return into yet
        if p.is_dir():
            for child in sorted(p.iterdir()):
                if child.is_file() and not re.match(r"^(~\$|\.~lock|\.~sop_xl)", child.name) and \
                        child.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv"):
                    out.append(child)
        else:
            out.append(p)
    return out
