"""Build `workbook_template.xlsm` reproducibly from the sources in the repository.

    sop-xl build-template [--out workbook_template.xlsm] [--check]

Steps: the contract sheets are written with the demo company (and the demo's stage
outputs for every stage this version has) by the file adapter, so tables, formats,
validation and frozen headers are exactly what the CLI writes; an Instructions sheet and
an `xlwings.conf` sheet are added; the VBA project is written with pyOpenVBA from
`macros/*.bas` plus the standalone `xlwings.bas` (and its `Dictionary` class for macOS) of
the installed, pinned xlwings; the workbook part gets the macro-enabled content type;
the ribbon (`macros/customUI14.xml`) goes in as a customUI14 part with its root
relationship. Finally every zip entry gets a fixed timestamp, entries are sorted, and
the document properties are fixed, so a rebuild gives the same bytes.

`describe()` reduces a template to comparable content (parts, VBA module sources, cell
numbers rounded) for the staleness check.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..commands.base import CYCLE, available_stages, execute, write_issues
from ..commands.demo import write_demo_inputs
from ..contract import RUN_LOG, Layout
from ..demo import make_demo
from ..io.file import FileWorkbook
from ..issues import SopError, Severity
from .instructions import instruction_rows

REPO = Path(__file__).resolve().parents[2]
MACROS = REPO / "macros"
DEFAULT_OUT = REPO / "workbook_template.xlsm"
UDF_MODULE = "sop_xl_udfs"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_ISO = "2026-01-01T00:00:00Z"

XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
UI_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
UI_PART = "customUI/customUI14.xml"

# key, value, note. Keys as xlwings.bas looks them up (case-insensitive); read from A1 down to the
# first blank key, so no header row (GetConfigFromSheet, xlwings.bas:623-647). A key found on this
# sheet wins over every config file (GetConfig, xlwings.bas:649-676), so there are NO Interpreter or
# Conda rows: a blank one would hide the user's ~/.xlwings/xlwings.conf (written by
# `xlwings config create`) and RunPython would fall back to plain "python" (xlwings.bas:80-88).
CONF_ROWS: tuple[tuple[str, Any, str], ...] = (
    ("UDF Modules", UDF_MODULE, "Python module with the SOP_ worksheet functions (Excel for Windows only)."),
    ("Use UDF Server", False, "TRUE runs the buttons (RunPython) inside the functions' background Python "
                              "process instead of a new python.exe per click (Windows). Leave FALSE."),
    ("Debug UDFs", False, "TRUE only when developing the functions."),
    ("Show Console", False, "TRUE shows the Python console window (Windows) for troubleshooting."),
    ("Add_Workbook_To_PythonPath", False, "FALSE: sop_xl is installed, nothing is needed beside the workbook "
                                          "(TRUE fails for OneDrive/SharePoint files without a synced copy)."),
)
# Python's location is per PC, so it lives in ~/.xlwings/xlwings.conf, not in the workbook; a
# planner who wants it in the workbook adds a row below these (the Instructions sheet says how).
class TemplateError(SopError):
    exit_code = 1


@dataclass(frozen=True)
class BuiltTemplate:
    path: Path
    skipped: list[str]   # demo stages left out, with the reason


def build_template(out: str | Path = DEFAULT_OUT, *, seed: int = 7, with_outputs: bool = True) -> BuiltTemplate:
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="sop_xl-template-") as tmp:
        tmp = Path(tmp)
        data = tmp / "data.xlsx"
        skipped = _write_contract_sheets(data, seed=seed, with_outputs=with_outputs)
        staged = tmp / "staged.xlsm"
        _add_front_sheets(data, staged)
        _add_vba_project(staged)
        payload = _finish_package(staged.read_bytes())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(payload)
    return BuiltTemplate(out, skipped)


# ---------------------------------------------------------------------- 1. contract sheets

def _write_contract_sheets(path: Path, *, seed: int, with_outputs: bool) -> list[str]:
    """Demo inputs plus the outputs of the longest run of cycle stages that succeeds on them.

    A stage can fail on the demo only because an earlier one is not built yet (the rough-cut
    needs a forecast); it and the stages after it are then left out and reported."""
    stages = [s for s in CYCLE if s in available_stages()] if with_outputs else ["validate"]
    skipped: list[str] = []
    while True:
        if path.exists():
            path.unlink()
        book = FileWorkbook(path, create=True, backup=False)
        write_demo_inputs(book, make_demo(seed))
        results = execute(book, stages, save=False)
        failed = [r for r in results if r.status == "failed"]
        if not failed:
            break
        if failed[0].stage == "validate":
            first = next(i for i in failed[0].issues if i.severity is Severity.ERROR)
            raise TemplateError(f"the demo data does not validate: {first}")
        cut = stages.index(failed[0].stage)
        skipped = [f"{s}: {_first_error(failed[0]) if s == failed[0].stage else 'after ' + failed[0].stage}"
                   for s in stages[cut:]]
        stages = stages[:cut]
    _blank_wall_clock(book)
    write_issues(book, [i for r in results for i in r.issues])
    # the run log starts empty: a template has not been run, and timestamps would break reproducibility
    book.write_table(RUN_LOG, pd.DataFrame({c.name: pd.Series(dtype=object) for c in RUN_LOG.columns}))
    book.save()
    return skipped


def volatile(column) -> bool:
    """Columns that record when and how long a run took: different on every build."""
    return column.name == "time" or column.name.endswith("seconds")


def _blank_wall_clock(book: FileWorkbook) -> None:
    """Rewrite the staged tables that hold run times with those cells blank, so the template
    is the same on every build (the stage outputs themselves are deterministic)."""
    from ..contract import WORKBOOK
    for sheet in WORKBOOK:
        if sheet.name not in book.staged or sheet.layout is not Layout.TABLE:
            continue
        if not any(volatile(c) for c in sheet.columns):
            continue
        grid = book.read_grid(sheet.name)
        h = sheet.header_row
        rows = [r[: len(sheet.columns)] + [None] * (len(sheet.columns) - len(r)) for r in grid[h:]]
        frame = pd.DataFrame(rows, columns=sheet.column_names())
        for c in sheet.columns:
            if volatile(c):
                frame[c.name] = None
        book.write_table(sheet, frame)


def _first_error(result) -> str:
    return next((i.message for i in result.issues if i.severity is Severity.ERROR), "failed")


# ---------------------------------------------------------------------- 2. instructions + conf

def _add_front_sheets(source: Path, target: Path) -> None:
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font

    wb = load_workbook(source)
    ws = wb.create_sheet("Instructions", 0)
    ws.sheet_properties.tabColor = "1F4E78"
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 110
    fonts = {"title": Font(bold=True, size=16, color="1F4E78"), "heading": Font(bold=True, size=12, color="1F4E78"),
             "item": Font(bold=True)}
    wrap = Alignment(wrap_text=True, vertical="top")
    r = 1
    for style, first, second in instruction_rows():
        if style == "heading":
            r += 1
        a = ws.cell(row=r, column=1, value=first)
        if first.startswith("="):
            a.data_type = "s"  # an example formula, shown as text
        a.alignment = wrap
        if style in fonts:
            a.font = fonts[style]
        if style in ("text", "title", "heading"):
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
            if style == "text":
                ws.row_dimensions[r].height = 15 * (len(first) // 140 + 1)
        elif second:
            b = ws.cell(row=r, column=2, value=second)
            b.alignment = wrap
            ws.row_dimensions[r].height = 15 * max(len(first) // 38 + 1, len(second) // 105 + 1)
        r += 1
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0

    conf = wb.create_sheet("xlwings.conf")
    conf.sheet_properties.tabColor = "808080"
    for i, (key, value, note) in enumerate(CONF_ROWS, start=1):
        conf.cell(row=i, column=1, value=key)
        conf.cell(row=i, column=2, value=value)
        conf.cell(row=i, column=4, value=note).font = Font(italic=True, color="595959")
    conf.column_dimensions["A"].width = 28
    conf.column_dimensions["B"].width = 30
    conf.column_dimensions["D"].width = 90

    wb.active = 0
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet.title == "Instructions"
    wb.properties.creator = "sop_xl"
    wb.properties.title = "S&OP workbook"
    wb.save(target)


# ---------------------------------------------------------------------- 3. VBA project

def xlwings_bas_path() -> Path:
    import xlwings
    return Path(xlwings.__file__).with_name("xlwings.bas")


def vba_modules() -> list[tuple[str, str, bool]]:
    """(name, source with CRLF line ends, is_class) in the order they go into the project."""
    import xlwings
    from pyopenvba import ExcelFile

    modules = []
    for bas in sorted(MACROS.glob("*.bas")):
        modules.append((_module_name(bas.read_text(encoding="utf-8"), bas.stem), _crlf(bas.read_text("utf-8")), False))
    modules.append(("xlwings", _crlf(xlwings_bas_path().read_text(encoding="utf-8")), False))
    # the worksheet functions' wrappers, so they work without Import Functions (sop_xl.excel.wrappers)
    from .wrappers import MODULE_NAME, render_module
    modules.append((MODULE_NAME, render_module(), False))
    # xlwings.bas needs its Dictionary class on macOS; it ships only inside the quickstart workbook
    quickstart = Path(xlwings.__file__).with_name("quickstart_standalone.xlsm")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / quickstart.name
        shutil.copy(quickstart, copy)
        with ExcelFile(copy) as qs:
            modules.append(("Dictionary", _crlf(qs.get_module("Dictionary")), True))
    return modules


def _module_name(source: str, default: str) -> str:
    m = re.search(r'^Attribute VB_Name = "([^"]+)"', source, re.M)
    return m.group(1) if m else default


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _add_vba_project(path: Path) -> None:
    from pyopenvba import ExcelFile
    from pyopenvba.vba import VBAModuleKind

    with ExcelFile(path) as wb:
        project = wb.add_vba_project()
        for name, source, is_class in vba_modules():
            project.add_module(name, source, kind=VBAModuleKind.other if is_class else VBAModuleKind.standard)
        wb.save()


# ---------------------------------------------------------------------- 4. package

def _finish_package(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    types = parts["[Content_Types].xml"].decode("utf-8")
    types = types.replace(f'PartName="/xl/workbook.xml" ContentType="{XLSX_MAIN}"',
                          f'PartName="/xl/workbook.xml" ContentType="{XLSM_MAIN}"')
    if XLSM_MAIN not in types:
        raise TemplateError("could not set the macro-enabled content type of xl/workbook.xml")
    parts["[Content_Types].xml"] = types.encode("utf-8")
    parts[UI_PART] = (MACROS / "customUI14.xml").read_bytes()
    rels = parts["_rels/.rels"].decode("utf-8")
    rels = re.sub(r'<Relationship [^>]*Type="[^"]*/ui/extensibility"[^>]*/>', "", rels)
    rels = rels.replace("</Relationships>",
                        f'<Relationship Id="rIdSopRibbon" Type="{UI_REL_TYPE}" Target="{UI_PART}"/></Relationships>')
    parts["_rels/.rels"] = rels.encode("utf-8")
    parts["docProps/core.xml"] = _core_properties()
    parts["xl/vbaProject.bin"] = spec_vba_project_stream(parts["xl/vbaProject.bin"])
    for name in parts:
        if name.startswith(FLOAT_PARTS):
            parts[name] = round_stored_floats(parts[name])
    names = ["[Content_Types].xml"] + sorted(n for n in parts if n != "[Content_Types].xml")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            out.writestr(info, parts[name], compresslevel=6)
    return buf.getvalue()


# [MS-OVBA] 2.3.4.1 _VBA_PROJECT as a writer must write it: Reserved1 0x61CC, Version 0xFFFF ("MUST be
# 0xFFFF on write"), Reserved2 0x00, Reserved3 (2 bytes), and no PerformanceCache ("MUST NOT be present on
# write"). pyOpenVBA keeps the host's version cookie (0x00B5) with a zeroed cache; 0xFFFF tells every
# Office build that there is no compiled state to trust, so it compiles the module sources on open.
VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x00\x00"


def spec_vba_project_stream(project: bytes) -> bytes:
    from pyopenvba.cfb import CFB
    cfb = CFB.from_bytes(project)
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_STREAM)
    return cfb.to_bytes()


def _core_properties() -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<dc:title>S&amp;OP workbook</dc:title><dc:creator>sop_xl</dc:creator>'
            '<cp:lastModifiedBy>sop_xl</cp:lastModifiedBy>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{FIXED_ISO}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{FIXED_ISO}</dcterms:modified>'
            '</cp:coreProperties>').encode("utf-8")


# ---------------------------------------------------------------------- floats

# Stage outputs differ across machines in the last digits of some floats (another BLAS, another
# summation order). The template stores every cell number with STORED_DIGITS significant digits,
# so builds on different machines agree (Excel shows at most 15 digits; the sheets format far fewer).
STORED_DIGITS = 12
FLOAT_PARTS = ("xl/worksheets/sheet", "xl/charts/chart")
_FLOAT_V = re.compile(rb"<(v|c:v)>(-?\d+\.\d+(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+)</\1>")


def round_stored_floats(xml: bytes, digits: int = STORED_DIGITS) -> bytes:
    def fix(m: re.Match) -> bytes:
        value = float(f"{float(m.group(2)):.{digits}g}")
        text = repr(value)
        if text.endswith(".0"):
            text = text[:-2]
        return b"<%s>%s</%s>" % (m.group(1), text.encode(), m.group(1))
    return _FLOAT_V.sub(fix, xml)


# ---------------------------------------------------------------------- staleness

_NUMBER_V = re.compile(rb"<v>(-?\d+\.\d+(?:[eE][-+]?\d+)?)</v>")


def describe(path: str | Path) -> dict[str, str]:
    """Content of a template, comparable across machines: each part's digest, with the VBA
    project as its module sources and worksheet numbers rounded to 9 significant digits
    (so float noise from a different BLAS is not "stale", a changed number is)."""
    from pyopenvba import ExcelFile

    out: dict[str, str] = {}
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            data = z.read(name)
            if name == "xl/vbaProject.bin":
                continue
            if name.startswith("xl/worksheets/sheet"):
                data = _NUMBER_V.sub(lambda m: b"<v>" + f"{float(m.group(1)):.9g}".encode() + b"</v>", data)
            out[name] = hashlib.sha256(data).hexdigest()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "t.xlsm"
        shutil.copy(path, copy)
        with ExcelFile(copy) as wb:
            for name, source in sorted(wb.vba_modules().items()):
                out[f"vba:{name}"] = hashlib.sha256(_crlf(source).encode("utf-8")).hexdigest()
    return out


def stale_parts(committed: str | Path, fresh: str | Path) -> list[str]:
    a, b = describe(committed), describe(fresh)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def run_build_template(path: Path | None, *, check: bool, out, err) -> int:
    """The `sop-xl build-template` command (consoles are rich Consoles)."""
    target = Path(path) if path else DEFAULT_OUT
    if not MACROS.is_dir():
        err.print(f"[bold red]error:[/] {MACROS} not found: build the template from a checkout of the sop_xl repository.")
        return 2
    if not check:
        built = build_template(target)
        for line in built.skipped:
            err.print(f"[yellow]left out of the template:[/] {line}")
        out.print(f"wrote {target}")
        return 0
    if not target.exists():
        err.print(f"{target} does not exist: run `sop-xl build-template`")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        fresh = build_template(Path(tmp) / target.name).path
        stale = stale_parts(target, fresh)
    if stale:
        err.print(f"{target} is stale ({', '.join(stale[:6])}{' ...' if len(stale) > 6 else ''}): "
                  "run `sop-xl build-template`")
        return 1
    out.print(f"{target} is up to date")
    return 0
