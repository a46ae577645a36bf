"""Print the meeting pack: page setup of a workbook file and its conversion to PDF by LibreOffice.

Works on files only (openpyxl and the `soffice` program); the command that calls it decides
which sheets go into the file.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import numpy as np

from ..issues import SopError


class PdfExportError(SopError):
    exit_code = 4


def soffice() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def print_ready(path: Path, *, sheets: list[str], hidden: tuple[str, ...] = (), title: str = "",
                one_page: tuple[str, ...] = (), wrap: tuple[str, ...] = (),
                breaks: dict[str, tuple[int, ...]] | None = None, subtitle: str = "") -> None:
    """Landscape A4, fit to one page wide (`one_page` sheets: to one page), header row repeated,
    footer with page numbers; cells under the `wrap` headers wrap; `hidden` sheets (chart data)
    are not printed; `breaks` are page breaks after the given rows of a sheet."""
    from openpyxl import load_workbook
    from openpyxl.worksheet.pagebreak import Break
    from openpyxl.styles import Alignment
    from openpyxl.worksheet.properties import PageSetupProperties

    breaks = breaks or {}
    wb = load_workbook(path)
    for ws in wb.worksheets:
        if ws.title in hidden:
            ws.sheet_state = "hidden"
            continue
        if ws.title not in sheets:
            continue
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1 if ws.title in one_page else 0   # 0: as many pages tall as needed
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.print_options.gridLines = False
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.5
        ws.print_title_rows = "3:3"
        ws.oddFooter.center.text = f"{title} - &A - page &P of &N" if title else "&A - page &P of &N"
        ws.freeze_panes = None
        if title:  # the printed copy says whose meeting it is
            ws["A1"].value = f"{title}: {ws.title}"
            ws["A2"].value = subtitle or ws["A2"].value
        _wrap(ws, wrap, Alignment)
        for row in breaks.get(ws.title, ()):
            ws.row_breaks.append(Break(id=row))
    # the first printed sheet is the one LibreOffice opens on
    wb.active = wb.sheetnames.index(sheets[0]) if sheets and sheets[0] in wb.sheetnames else 0
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
            # a proportional font fits about 1.2 characters per unit of column width
            lines = max(lines, math.ceil(len(str(cell.value)) / max(width * 1.2, 1)))
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
        raise PdfExportError("LibreOffice (soffice) is not installed, so the PDF cannot be made.")
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
