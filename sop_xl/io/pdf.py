"""The meeting PDF: its layout (which sheets, page setup, where the charts go) and its making.

Two engines make the PDF from the same layout, chosen per front end:
- the command line: LibreOffice (`soffice --headless --convert-to pdf`) on a print-ready copy of
  the Dashboard (`print_ready` + `convert_to_pdf`);
- inside Excel: Excel's own export (xlwings `Book.to_pdf(path, include=layout.sheets)`), after
  applying `meeting_pdf_layout(...)`'s page setup to the open book.

`meeting_pdf_layout` is a pure function (numbers in, a frozen `PdfLayout` out), so both engines
print the same single page: the KPI table with four charts under it, landscape A4, fitted to one
page (a chart can never be cut by a page break).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..issues import SopError

ENGINE_HINT = ("install LibreOffice (Windows/macOS: libreoffice.org; Debian/Ubuntu: apt-get install "
               "libreoffice-calc; Fedora: dnf install libreoffice-calc; macOS Homebrew: brew install --cask "
               "libreoffice), or use the ribbon's Export PDF in Excel")


class PdfExportError(SopError):
    exit_code = 4


class PdfEngineMissing(PdfExportError):
    """No program on this machine can make the PDF (LibreOffice is not installed)."""


@dataclass(frozen=True)
class PdfLayout:
    """How the meeting page is printed: one sheet, one page."""

    sheets: tuple[str, ...]                 # printed, in order
    hidden: tuple[str, ...]                 # in the file but never printed (chart data)
    print_area: dict[str, str]              # sheet -> A1 range
    chart_anchors: tuple[str, ...]          # top-left cells of the charts, in order
    chart_width_cm: float
    chart_height_cm: float
    orientation: str = "landscape"
    paper: str = "A4"
    fit_pages_wide: int = 1
    fit_pages_tall: int = 1                 # 1: everything on one page, scaled to fit
    margins_cm: tuple[float, float, float, float] = (1.0, 1.0, 1.2, 1.2)  # left, right, top, bottom
    title: str = ""
    subtitle: str = ""
    footer: str = "&A - page &P of &N"
    wrap_headers: dict[str, tuple[str, ...]] = field(default_factory=dict)


MEETING_CHARTS = 4          # demand (all families), the busiest resource, inventory, scenarios
_ROW_CM = 0.53              # a row of the default height (15 pt)
_LAST_COLUMN = "G"          # the KPI table: Area .. Comment


def meeting_pdf_layout(kpi_rows: int, *, dashboard: str = "Dashboard", data_sheet: str = "DashboardData",
                       header_row: int = 3, charts: int = MEETING_CHARTS, title: str = "",
                       subtitle: str = "") -> PdfLayout:
    """The one-page meeting layout for a Dashboard whose KPI table has `kpi_rows` rows under its header on
    `header_row`: the charts two across under the table (columns A and E of the KPI table's widths),
    landscape A4 fitted to one page.

    The Excel front end applies it to the open book (orientation, paper, fit to 1 x 1 pages, margins,
    print area, chart positions and sizes) and calls `Book.to_pdf(path, include=list(layout.sheets))`;
    the command line applies it with `print_ready` and converts with LibreOffice."""
    first = header_row + kpi_rows + 2
    height = 5.6
    step = int(math.ceil(height / _ROW_CM)) + 1
    anchors = tuple(f"{'AE'[n % 2]}{first + (n // 2) * step}" for n in range(charts))
    last_row = first + ((charts + 1) // 2) * step
    return PdfLayout(sheets=(dashboard,), hidden=(data_sheet,), print_area={dashboard: f"A1:{_LAST_COLUMN}{last_row}"},
                     chart_anchors=anchors, chart_width_cm=11.0, chart_height_cm=height, title=title,
                     subtitle=subtitle, wrap_headers={dashboard: ("KPI", "Comment")})


def soffice() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def print_ready(path: Path, layout: PdfLayout) -> None:
    """Apply `layout` to the workbook file at `path` (openpyxl): page setup of the printed sheets, hidden
    data sheets, title rows, wrapped columns; the first printed sheet is made the active one."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment
    from openpyxl.worksheet.properties import PageSetupProperties

    wb = load_workbook(path)
    for ws in wb.worksheets:
        if ws.title in layout.hidden:
            ws.sheet_state = "hidden"
            continue
        if ws.title not in layout.sheets:
            continue
        ws.page_setup.orientation = layout.orientation
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = layout.fit_pages_wide
        ws.page_setup.fitToHeight = layout.fit_pages_tall
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.print_options.gridLines = False
        inch = 2.54
        left, right, top, bottom = layout.margins_cm
        ws.page_margins.left, ws.page_margins.right = left / inch, right / inch
        ws.page_margins.top, ws.page_margins.bottom = top / inch, bottom / inch
        if ws.title in layout.print_area:
            ws.print_area = layout.print_area[ws.title]
        footer = f"{layout.title} - {layout.footer}" if layout.title else layout.footer
        ws.oddFooter.center.text = footer
        ws.freeze_panes = None
        if layout.title:  # the printed copy says whose meeting it is
            ws["A1"].value = f"{layout.title}: {ws.title}"
            ws["A2"].value = layout.subtitle or ws["A2"].value
        _wrap(ws, layout.wrap_headers.get(ws.title, ()), Alignment)
    wb.active = wb.sheetnames.index(layout.sheets[0]) if layout.sheets and layout.sheets[0] in wb.sheetnames else 0
    wb.save(path)


def _wrap(ws, headers: tuple[str, ...], Alignment) -> None:
    """Wrap the text of the named columns and size each row for its longest text (spreadsheet
    programs keep the default row height of a file that does not say otherwise)."""
    from openpyxl.utils import get_column_letter
    found = {str(c.value): c.column for c in ws[3] if c.value}
    columns = [found[h] for h in headers if h in found]
    if not columns:
        return
    for r in range(4, ws.max_row + 1):
        lines = 1
        for c in columns:
            cell = ws.cell(row=r, column=c)
            if cell.value is None:
                continue
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            width = ws.column_dimensions[get_column_letter(c)].width or 10
            # a proportional font fits about one character per unit of column width (wide letters, word breaks)
            lines = max(lines, math.ceil(len(str(cell.value)) / max(width * 1.0, 1)))
        if lines > 1:
            ws.row_dimensions[r].height = 12.75 * lines + 2
            for cell in ws[r]:  # the row's short cells line up with the first line of the long ones
                if cell.column not in columns:
                    cell.alignment = Alignment(vertical="top")


def convert_to_pdf(source: Path, target: Path, *, timeout: float = 240.0) -> Path:
    """`soffice --headless --convert-to pdf` with a private profile (so it runs beside an open
    LibreOffice and in parallel test runs); returns `target`."""
    program = soffice()
    if program is None:
        raise PdfEngineMissing("LibreOffice (soffice) is not installed, so the meeting PDF cannot be made here.")
    with tempfile.TemporaryDirectory(prefix="sop_xl-pdf-") as tmp:
        profile = Path(tmp) / f"profile-{uuid.uuid4().hex}"
        outdir = Path(tmp) / "out"
        outdir.mkdir()
        cmd = [program, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(outdir), str(source)]
        env = dict(os.environ, HOME=tmp)  # LibreOffice writes caches under HOME
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            raise PdfExportError(f"LibreOffice did not finish the PDF within {timeout:.0f} s.") from None
        produced = outdir / (source.stem + ".pdf")
        if done.returncode != 0 or not produced.exists():
            detail = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or ["no output"]
            raise PdfExportError(f"LibreOffice could not convert {source.name} to PDF ({detail[0]}).")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(produced), target)
    return target


def count_pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", Path(pdf).read_bytes()))


# ---------------------------------------------------------------------------------- checking pages

def render_pages(pdf: Path, out_dir: Path, *, dpi: int = 40) -> list[np.ndarray]:
    """Every page as a grey-scale image array (pdftoppm from poppler-utils), for checks and previews."""
    program = shutil.which("pdftoppm")
    if program is None:
        raise PdfExportError("pdftoppm (poppler-utils) is not installed.")
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([program, "-gray", "-r", str(dpi), str(pdf), str(out_dir / "page")], check=True,
                   capture_output=True, timeout=120)
    return [read_pgm(p) for p in sorted(out_dir.glob("page*.pgm"))]


def read_pgm(path: Path) -> np.ndarray:
    """A binary PGM (P5) file as a 2-D uint8 array."""
    data = path.read_bytes()
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P5":
        raise ValueError(f"{path.name} is not a binary PGM file")
    width, height = int(fields[1]), int(fields[2])
    pixels = np.frombuffer(data, dtype=np.uint8, count=width * height, offset=pos + 1)
    return pixels.reshape(height, width)


def png_of_first_page(pdf: Path, png: Path, *, dpi: int = 80) -> Path:
    """The first page as a PNG (for the README's picture of the dashboard)."""
    program = shutil.which("pdftoppm")
    if program is None:
        raise PdfExportError("pdftoppm (poppler-utils) is not installed.")
    stem = png.with_suffix("")
    subprocess.run([program, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                   check=True, capture_output=True, timeout=120)
    return png
