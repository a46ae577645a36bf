"""Read returned review copies as untrusted input.

Nothing in a return is executed: macros are never run (the file is read as a zip of XML,
never opened by a program that runs them), formulas are never evaluated (their last
calculated value is read with python-calamine, and every formula found is reported by
cell). Before anything parses the file it must be a workbook of sane size whose real
uncompressed size and compression ratio stay within limits (zip bombs). Values come out
as *offers* for the merge; text is made safe to write back by `audit.safe_text`.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

import pandas as pd

from .. import periods
from ..contract.schema import Kind
from ..values import coerce, is_blank
from ..io.tables import find_header
from .audit import safe_text
from .manifest import Manifest, ManifestError
from .review import DEPARTMENTS, Department, department
from .review_workbook import MANIFEST_SHEET

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
MAX_FILE_BYTES = 25 * 1024 * 1024          # a review copy is a few hundred kB
MAX_UNCOMPRESSED_BYTES = 250 * 1024 * 1024
MAX_RATIO = 200                             # deflated XML rarely beats 1:100
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


@dataclass
class ReturnFile:
    path: Path
    manifest: Manifest | None = None
    written_digest: str = ""
    manifest_problem: str = ""
    department: Department | None = None
    records: list[dict[str, Any]] = field(default_factory=list)   # offers, see audit.OFFER_COLUMNS
    formulas: list[Formula] = field(default_factory=list)
    macros: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


# ------------------------------------------------------------------ the container

def check_container(path: Path) -> list[str]:
    """Refuse what is not a sane workbook; return the zip's member names."""
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
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            names = [i.filename for i in infos]
            if len(infos) > MAX_MEMBERS:
                raise ReturnRefused(f"{path.name} holds {len(infos)} parts; a workbook has far fewer.",
                                    "Refused as unsafe. Ask for a fresh copy.")
            if any(i.flag_bits & 0x1 for i in infos):
                raise ReturnRefused(f"{path.name} is encrypted.", "Ask for a copy saved without a password.")
            declared = sum(i.file_size for i in infos)
            if declared > MAX_UNCOMPRESSED_BYTES:
                raise ReturnRefused(f"{path.name} would expand to {declared / 2**20:.0f} MB (a zip bomb or a "
                                    "huge paste).", "Refused as unsafe. Ask for a fresh copy.")
            for i in infos:
                if i.compress_size and i.file_size > 1_000_000 and i.file_size / i.compress_size > MAX_RATIO:
                    raise ReturnRefused(f"{path.name}: part {i.filename} expands {i.file_size // i.compress_size}"
                                        f" times (a zip bomb).", "Refused as unsafe. Ask for a fresh copy.")
            if "xl/workbook.xml" not in names:
                raise ReturnRefused(f"{path.name} is a zip file but not an Excel workbook.",
                                    "Ask the department to save it from Excel as .xlsx.")
            _real_size(z, infos, path.name)  # headers can lie: count what really comes out
    except zipfile.BadZipFile as exc:
        raise ReturnRefused(f"{path.name} is a damaged zip ({exc}).", "Ask for a fresh copy.") from None
    return names


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


# ------------------------------------------------------------------ XML facts (formulas, sheet parts)

def _xml(z: zipfile.ZipFile, member: str) -> Any:
    data = z.read(member)
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise ReturnRefused(f"part {member} declares XML entities, which Excel never writes.",
                            "Refused as unsafe. Ask for a fresh copy.")
    return ElementTree.fromstring(data)


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part inside the zip."""
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


@dataclass
class SheetScan:
    formulas: list[Formula] = field(default_factory=list)
    extents: dict[str, tuple[int, int]] = field(default_factory=dict)  # sheet -> (last row, last column)


_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def scan_sheets(path: Path, only: set[str] | None = None) -> SheetScan:
    """Every formula (<f> element) with its cell, and how far each sheet's cells reach, streamed
    from the sheet XML (of the sheets named in `only`, lower case, when given). Nothing is
    evaluated, nothing is loaded whole."""
    scan = SheetScan()
    with zipfile.ZipFile(path) as z:
        members = set(z.namelist())
        for name, member in sheet_parts(z).items():
            if member not in members or (only is not None and name.lower() not in only):
                continue
            with z.open(member) as fh:
                head = fh.read(4096).upper()
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise ReturnRefused(f"part {member} declares XML entities, which Excel never writes.",
                                    "Refused as unsafe. Ask for a fresh copy.")
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
                        text = elem.text or ("(shared formula)" if elem.get("t") == "shared" else "")
                        scan.formulas.append(Formula(name, ref, "=" + text if text and text[0] != "(" else text))
                    elif elem.tag == f"{_NS_MAIN}row" and event == "end":
                        elem.clear()
            scan.extents[name] = (last_row, last_col)
    return scan


def find_formulas(path: Path) -> list[Formula]:
    return scan_sheets(path).formulas


def check_extents(scan: SheetScan, name: str) -> None:
    """A cell typed far away (XFD1048576) would make any grid reader allocate the whole sheet."""
    for sheet, (rows, cols) in scan.extents.items():
        if rows > MAX_ROWS or cols > MAX_COLUMNS:
            raise ReturnRefused(f"{name}: sheet {sheet!r} has cells out to row {rows:,}, column {cols:,}, far "
                                "beyond a review copy.", "Ask the department to delete what was typed outside the "
                                "table (Ctrl+End shows it), or to send a fresh copy.")


def has_macros(names: list[str]) -> bool:
    return any(n.lower().endswith("vbaproject.bin") or n.lower().startswith("xl/macrosheets/") for n in names)


# ------------------------------------------------------------------ reading the copy

def read_return(path: str | Path, *, period_type: str = periods.MONTH) -> ReturnFile:
    """Read a returned copy. Raises ReturnRefused when it cannot be read at all."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    names = check_container(path)
    result = ReturnFile(path=path, macros=has_macros(names))
    try:
        # only the sheets sop_xl reads (before any grid is read); context sheets are never read back
        scan = scan_sheets(path, {MANIFEST_SHEET.lower(), *(d.sheet.name.lower() for d in DEPARTMENTS.values())})
    except ElementTree.ParseError as exc:
        raise ReturnRefused(f"{path.name} holds malformed XML ({exc}).", "Ask for a fresh copy.") from None
    check_extents(scan, path.name)
    result.formulas = scan.formulas
    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheet_names = list(wb.sheet_names)
    except Exception as exc:  # calamine's own error types for damaged parts
        raise ReturnRefused(f"{path.name} could not be read ({exc}).", "Ask for a fresh copy.") from None
    by_lower = {n.lower(): n for n in sheet_names}
    if MANIFEST_SHEET.lower() in by_lower:
        try:
            rows = wb.get_sheet_by_name(by_lower[MANIFEST_SHEET.lower()]).to_python(skip_empty_area=False)
            result.manifest, result.written_digest = Manifest.from_rows(rows[:10_000])
        except ManifestError as exc:
            result.manifest_problem = str(exc)
    else:
        result.manifest_problem = "it has no manifest sheet (it is not a review copy sent by sop_xl)"
    dept = department(result.manifest.department) if result.manifest else None
    if dept is None or dept.sheet.name.lower() not in by_lower:
        dept = next((d for d in DEPARTMENTS.values() if d.sheet.name.lower() in by_lower), None)
    result.department = dept
    if dept is not None:
        grid = wb.get_sheet_by_name(by_lower[dept.sheet.name.lower()]).to_python(skip_empty_area=False)
        formulas = {f.cell: f.formula for f in result.formulas if f.sheet.lower() == dept.sheet.name.lower()}
        result.records = _offers(dept, grid, formulas, result, by_lower[dept.sheet.name.lower()], period_type)
    return result


def _offers(dept: Department, grid: list[list[Any]], formulas: dict[str, str], result: ReturnFile,
            sheet_name: str, period_type: str) -> list[dict[str, Any]]:
    from openpyxl.utils import get_column_letter

    grid = [[None if is_blank(v) else v for v in row] for row in grid]
    header = find_header(grid, dept.sheet.columns)
    key = dept.key
    if header is None or key not in header.columns or "period" not in header.columns:
        result.notes.append(f"the {dept.sheet.name} table has lost its header row")
        return []
    cols = header.columns
    copy_id = result.manifest.copy_id if result.manifest else ""
    records = []
    for r in range(header.row + 1, len(grid)):
        raw_row = grid[r]

        def at(name: str) -> tuple[Any, str]:
            c = cols.get(name)
            if c is None:
                return None, ""
            address = f"{get_column_letter(c + 1)}{r + 1}"
            return (raw_row[c] if c < len(raw_row) else None), address

        item_raw, item_cell = at(key)
        period_raw, period_cell = at("period")
        reason_raw, _ = at("reason")
        event_raw, _ = at("event")
        period, period_problem = _period(period_raw, period_type)
        for name in dept.fields:
            value_raw, cell = at(name)
            formula = formulas.get(cell, "")
            if value_raw is None and not formula:
                continue
            kind = dept.sheet.column(name).kind
            value, problem = _number(value_raw, kind, formula)
            item = _text(item_raw)
            records.append(dict(copy_id=copy_id, department=dept.name, file=result.name, sheet=sheet_name,
                                cell=cell, item=item, period=period, field=name, value=value,
                                raw=_raw_text(value_raw, formula), problem=problem or period_problem,
                                reason=safe_text(reason_raw), event=safe_text(event_raw)))
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
    example = "2027-03" if period_type == periods.MONTH else "2027-W05"
    return None, f"{safe_text(raw, 40)!r} is not a period (write it like {example})"


def _number(raw: Any, kind: Kind, formula: str) -> tuple[float | None, str]:
    if raw is None and formula:
        return None, (f"the cell holds the formula {formula} and no calculated value; sop_xl never evaluates "
                      "formulas: type the number")
    got = coerce(raw, kind)
    if got.problem:
        return None, f"not a number: {got.problem}"
    return float(got.value), ""


def formula_summary(formulas: list[Formula], limit: int = 5) -> str:
    shown = ", ".join(f"{f.sheet}!{f.cell} {f.formula}" for f in formulas[:limit])
    return shown + (f" and {len(formulas) - limit} more" if len(formulas) > limit else "")


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
