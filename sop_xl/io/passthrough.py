"""Big sheets sop_xl does not write are carried through a save untouched, not re-parsed.

openpyxl loads every cell of every sheet and writes every cell back: saving a forecast
into a workbook whose DemandHistory holds 600,000 cells spends most of its time on a sheet
that did not change. Before openpyxl loads the workbook, the cell data (`<sheetData>`) of
such sheets is set aside and the rest of the sheet (columns, views, validation, tables,
drawings) goes through openpyxl as usual; after the save the original cells are put back.

Two things make that exact. Cell styles are indices into the workbook's style list, which
openpyxl loads and writes in the same order, new styles appended. Shared-string indices
are not kept (openpyxl rebuilds that table), so shared strings are written back inline.
Sheets whose other parts point into cells (merged cells, hyperlinks, comments) take the
ordinary route: openpyxl would create cells for them.

It relies on how openpyxl writes and keeps things (X1-X5 in `openpyxl_internals`, checked
against the versions named there); on another openpyxl minor version it stands down.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from .fast_rows import rewrite_package, sheet_parts
from .openpyxl_internals import fast_paths_allowed

PASSTHROUGH_BYTES = 64 * 1024   # uncompressed sheet XML above which an untouched sheet is carried through

_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData\b[^>]*>.*?</sheetData>", re.S)
_EMPTY_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData>\s*</sheetData>")
_DIMENSION = re.compile(r"<dimension\b[^>]*/>")
_SHARED_CELL = re.compile(r'<c\b([^>]*?)\st="s"([^>]*)>\s*<v>(\d+)</v>\s*</c>')
_TAG = re.compile(r"<(?:row|c)\b[^>]*>")
_PREFIXED_ATTR = re.compile(r'\s(?!xml:)[A-Za-z_][\w.-]*:[\w.-]+="[^"]*"')
_SI = re.compile(r"<si\b[^>]*?(?:/>|>(.*?)</si>)", re.S)


@dataclass(frozen=True)
class Held:
    sheet_data: str          # the original <sheetData> element, shared strings inlined
    dimension: str           # the original <dimension/> element ("" if none)


def _eligible(z: zipfile.ZipFile, part: str, names: set[str]) -> bool:
    if z.getinfo(part).file_size <= PASSTHROUGH_BYTES:
        return False
    rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    if rels in names:
        text = z.read(rels).decode("utf-8", "replace")
        if "/comments" in text or "/vmlDrawing" in text:
            return False
    return True


def set_aside(source: Path, untouched: set[str], light: Path) -> dict[str, Held]:
    """Write `light`, a copy of `source` without the cells of big untouched sheets; returns them.

    Returns {} (and writes nothing) when no sheet qualifies."""
    held: dict[str, Held] = {}
    if not fast_paths_allowed():
        return held
    with zipfile.ZipFile(source) as z:
        names = set(z.namelist())
        parts = sheet_parts(z)
        chosen = {title: parts[title] for title in untouched
                  if title in parts and parts[title] in names and _eligible(z, parts[title], names)}
        if not chosen:
            return {}
        shared = _shared_strings(z) if "xl/sharedStrings.xml" in names else []
        replaced: dict[str, bytes] = {}
        for title, part in chosen.items():
            xml = z.read(part).decode("utf-8")
            if "<mergeCells" in xml or "<hyperlinks" in xml or "<sheetData" not in xml:
                continue  # openpyxl would create cells for these, or the XML uses a prefixed namespace
            m = _SHEET_DATA.search(xml)
            if m is None:
                continue
            dim = _DIMENSION.search(xml)
            held[title] = Held(_portable(m.group(0), shared), dim.group(0) if dim else "")
            replaced[part] = (xml[:m.start()] + "<sheetData/>" + xml[m.end():]).encode("utf-8")
        if not held:
            return {}
        with zipfile.ZipFile(light, "w", zipfile.ZIP_STORED) as out:
            for info in z.infolist():
                out.writestr(info.filename, replaced.get(info.filename) or z.read(info.filename))
    return held


def put_back(saved: Path, held: dict[str, Held]) -> None:
    """Restore the set-aside cells into the workbook openpyxl saved."""
    rewrite_package(saved, cell_edits(held))


def cell_edits(held: dict[str, Held]) -> dict[str, Callable[[str], str]]:
    """Sheet title -> the edit of its saved XML that restores its set-aside cells."""
    return {title: partial(_restore, h=h) for title, h in held.items()}


def _restore(xml: str, h: Held) -> str:
    xml, n = _EMPTY_SHEET_DATA.subn(lambda _: h.sheet_data, xml, count=1)
    if n != 1:
        raise RuntimeError("could not put the set-aside cells back")
    if h.dimension:
        xml = _DIMENSION.sub(lambda _: h.dimension, xml, count=1)
    return xml


def _shared_strings(z: zipfile.ZipFile) -> list[str]:
    """The inner XML of every <si> (plain <t> or rich-text runs), in index order."""
    xml = z.read("xl/sharedStrings.xml").decode("utf-8")
    return [m.group(1) or "" for m in _SI.finditer(xml)]


def _portable(sheet_data: str, shared: list[str]) -> str:
    """sheetData that stands on its own in openpyxl's sheet XML: inline strings, and no
    attributes in namespaces (x14ac:dyDescent, ...) that openpyxl's root does not declare."""
    def inline(m: re.Match) -> str:
        index = int(m.group(3))
        if index >= len(shared):
            raise ValueError(f"shared string {index} missing")
        return f'<c{m.group(1)} t="inlineStr"{m.group(2)}><is>{shared[index]}</is></c>'

    text = _TAG.sub(lambda m: _PREFIXED_ATTR.sub("", m.group(0)), sheet_data)
    return _SHARED_CELL.sub(inline, text)
