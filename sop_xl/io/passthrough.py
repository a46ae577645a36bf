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

import posixpath
import re
import shutil
import zipfile
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable, Iterator

from openpyxl.utils import column_index_from_string

from .fast_rows import rewrite_package, sheet_parts
from .openpyxl_internals import fast_paths_allowed

PASSTHROUGH_BYTES = 64 * 1024   # uncompressed sheet XML above which an untouched sheet is carried through

_EMPTY_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData>\s*</sheetData>")
_DIMENSION = re.compile(r"<dimension\b[^>]*/>")
_SHARED_CELL = re.compile(r'<c\b([^>]*?)\st="s"([^>]*)>\s*<v>(\d+)</v>\s*</c>')
_TAG = re.compile(r"<(?:row|c)\b[^>]*>")
_PREFIXED_ATTR = re.compile(r'\s(?!xml:)[A-Za-z_][\w.-]*:[\w.-]+="[^"]*"')
_SI = re.compile(r"<si\b[^>]*?(?:/>|>(.*?)</si>)", re.S)


@dataclass(frozen=True)
class Held:
    """Where a set-aside <sheetData> is: read again from the original file, a piece at a time, when
    the save puts it back (a 100,000-row history is never held in memory as one string)."""
    source: Path             # the original workbook (replaced only after the save is complete)
    part: str                # the sheet's part inside it
    start: int               # byte offsets of the <sheetData> element in the uncompressed part
    end: int
    dimension: str           # the original <dimension/> element ("" if none)
    shared: tuple[str, ...] = ()   # the shared strings, to write them back inline
    loaded: tuple[str, ...] | None = None   # the pieces, when read ahead (`preloaded`)

    @property
    def sheet_data(self) -> str:
        """The whole element as one string (small sheets and tests)."""
        return "".join(self.pieces())

    def pieces(self) -> Iterator[str]:
        """The <sheetData> element made portable (`_portable`), whole rows at a time."""
        if self.loaded is not None:
            yield from self.loaded
            return
        with zipfile.ZipFile(self.source) as z, z.open(self.part) as src:
            _skip(src, self.start)
            left, carry = self.end - self.start, b""
            while left > 0 or carry:
                chunk = src.read(min(_CHUNK, left)) if left > 0 else b""
                left -= len(chunk)
                data = carry + chunk
                cut = data.rfind(b"</row>") + len(b"</row>") if left > 0 else len(data)
                if cut < len(b"</row>"):   # no row ends in this chunk yet: read on
                    carry = data
                    continue
                carry = data[cut:]
                yield _portable(data[:cut].decode("utf-8"), self.shared)


_CHUNK = 4 << 20
# set-aside cells read ahead, while the plan solves, up to this many bytes of XML in all: their save
# then only compresses them (bigger sheets are read a piece at a time during the save, as before)
PRELOAD_BYTES = 32 << 20


def preloaded(held: dict[str, Held], limit: int = PRELOAD_BYTES) -> dict[str, Held]:
    """`held` with the cells of its sheets read and made portable now, as far as `limit` bytes go."""
    out = {}
    for title, h in held.items():
        size = h.end - h.start
        if h.loaded is None and size <= limit:
            h = replace(h, loaded=tuple(h.pieces()))
            limit -= size
        out[title] = h
    return out


def _skip(stream, n: int) -> None:
    while n > 0:
        got = stream.read(min(_CHUNK, n))
        if not got:
            raise RuntimeError("the set-aside sheet ended early")
        n -= len(got)


def _eligible(z: zipfile.ZipFile, part: str, names: set[str]) -> bool:
    if z.getinfo(part).file_size <= PASSTHROUGH_BYTES:
        return False
    rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    if rels in names:
        text = z.read(rels).decode("utf-8", "replace")
        if "/comments" in text or "/vmlDrawing" in text:
            return False
    return True


def _sheet_data_span(xml: bytes) -> tuple[int, int] | None:
    """Byte offsets of the <sheetData> element (either form), found without a regex over the whole part."""
    start = xml.find(b"<sheetData")
    if start == -1:
        return None
    close = xml.find(b">", start)
    if close == -1:
        return None
    if xml[close - 1:close] == b"/":
        return start, close + 1
    end = xml.find(b"</sheetData>", close)
    return (start, end + len(b"</sheetData>")) if end != -1 else None


def set_aside(source: Path, untouched: set[str], light: Path) -> dict[str, Held]:
    """Write `light`, a copy of `source` without the cells of big untouched sheets; returns where they are.

    Returns {} (and writes nothing) when no sheet qualifies."""
    held, _ = lighten(source, untouched, {}, light)
    return held


def lighten(source: Path, untouched: set[str], rewritten: dict[str, str], light: Path
            ) -> tuple[dict[str, Held], bool]:
    """(`set_aside`'s held sheets, whether `light` was written). Also drops, from big sheets about to be
    rewritten (`rewritten`: sheet title -> its table's name), the cells of their previous table that the
    writer blanks anyway (`xlsx_writer._clear_old`: rows 1 to the table's last, the table's columns), so
    openpyxl does not parse a million cells only to delete them (most of re-saving a 5,000-SKU plan)."""
    held: dict[str, Held] = {}
    if not fast_paths_allowed():
        return held, False
    with zipfile.ZipFile(source) as z:
        names = set(z.namelist())
        parts = sheet_parts(z)
        chosen = {title: parts[title] for title in untouched
                  if title in parts and parts[title] in names and _eligible(z, parts[title], names)}
        trimmed = {title: parts[title] for title in rewritten
                   if title in parts and parts[title] in names and z.getinfo(parts[title]).file_size
                   > PASSTHROUGH_BYTES}
        if not chosen and not trimmed:
            return {}, False
        shared = tuple(_shared_strings(z)) if chosen and "xl/sharedStrings.xml" in names else ()
        replaced: dict[str, bytes] = {}
        for title, part in chosen.items():
            xml = z.read(part)
            if b"<mergeCells" in xml or b"<hyperlinks" in xml:
                continue  # openpyxl would create cells for these
            span = _sheet_data_span(xml)
            if span is None:
                continue  # no sheetData, or the XML uses a prefixed namespace
            head = xml[:span[0]].decode("utf-8")
            dim = _DIMENSION.search(head)
            held[title] = Held(source, part, span[0], span[1], dim.group(0) if dim else "", shared)
            replaced[part] = xml[:span[0]] + b"<sheetData/>" + xml[span[1]:]
            del xml
        for title, part in trimmed.items():
            box = _table_box(z, part, rewritten[title], names)
            if box is not None:
                lighter = _without_box(z.read(part), *box)
                if lighter is not None:
                    replaced[part] = lighter
        if not replaced:
            return {}, False
        with zipfile.ZipFile(light, "w", zipfile.ZIP_STORED) as out:
            for info in z.infolist():
                if info.filename in replaced:
                    out.writestr(info.filename, replaced[info.filename])
                    continue
                with z.open(info) as src, out.open(info.filename, "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
    return held, True


_REL = re.compile(r"<Relationship\b[^>]*/>")
_TABLE_REF = re.compile(r'<table\b[^>]*?\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_TABLE_NAME = re.compile(r'<table\b[^>]*?\b(?:displayName|name)="([^"]*)"')
_ROW_B = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_CELL_B = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)\d+"[^>]*?(?:/>|>.*?</c>)', re.S)
_RNUM_B = re.compile(rb'\br="(\d+)"')
_ANY_CELL_B = re.compile(rb"<c[\s>/]")
_REF_AT = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)\d+"')


@lru_cache(maxsize=1024)
def _column(letters: bytes) -> int:
    return column_index_from_string(letters.decode())


def _table_box(z: zipfile.ZipFile, part: str, table: str, names: set[str]) -> tuple[int, int, int] | None:
    """(last row, first column, last column), 1-based, of the sheet's table named `table`, or None."""
    folder, _, file = part.rpartition("/")
    rels = f"{folder}/_rels/{file}.rels"
    if rels not in names:
        return None
    for rel in _REL.findall(z.read(rels).decode("utf-8", "replace")):
        if "/table" not in rel:
            continue
        target = re.search(r'\bTarget="([^"]+)"', rel)
        if target is None:
            continue
        path = target.group(1)
        path = path.lstrip("/") if path.startswith("/") else posixpath.normpath(f"{folder}/{path}")
        if path not in names:
            continue
        xml = z.read(path).decode("utf-8", "replace")
        name, ref = _TABLE_NAME.search(xml), _TABLE_REF.search(xml)
        if name and ref and name.group(1).lower() == table.lower():
            return (int(ref.group(4)), column_index_from_string(ref.group(1)),
                    column_index_from_string(ref.group(3)))
    return None


def _without_box(xml: bytes, last_row: int, first_col: int, last_col: int) -> bytes | None:
    """The sheet XML without the cells in rows 1..last_row, columns first_col..last_col (row elements and
    their attributes stay). None when the XML is not as expected (openpyxl then reads it all)."""
    span = _sheet_data_span(xml)
    if span is None:
        return None
    body = xml[span[0]:span[1]]
    open_end = body.find(b">") + 1
    if body[open_end - 2:open_end] == b"/>":
        return None

    def trim(m: re.Match) -> bytes:
        attrs, inner = m.group(1), m.group(2)
        number = _RNUM_B.search(attrs)
        if not inner or number is None or int(number.group(1)) > last_row:
            return m.group(0)
        # the usual row: its first and last cells (cells come in column order) lie in the table's columns
        first, last = _ANY_CELL_B.search(inner), inner.rfind(b"<c ")
        a = _REF_AT.match(inner, first.start()) if first else None
        b = _REF_AT.match(inner, last) if last >= 0 else None
        if a and b and first_col <= _column(a.group(1)) and _column(b.group(1)) <= last_col:
            return b"<row" + attrs + b"/>"
        cells = list(_CELL_B.finditer(inner))
        if len(cells) != len(_ANY_CELL_B.findall(inner)):
            return m.group(0)   # a cell without its address: leave the row to openpyxl
        kept = [c.group(0) for c in cells if not first_col <= _column(c.group(1)) <= last_col]
        return b"<row" + attrs + (b">" + b"".join(kept) + b"</row>" if kept else b"/>")

    rows = _ROW_B.sub(trim, body[open_end:-len(b"</sheetData>")])
    return xml[:span[0]] + body[:open_end] + rows + b"</sheetData>" + xml[span[1]:]


def put_back(saved: Path, held: dict[str, Held]) -> None:
    """Restore the set-aside cells into the workbook openpyxl saved."""
    rewrite_package(saved, cell_edits(held))


def cell_edits(held: dict[str, Held]) -> dict[str, Callable[[str], Iterator[str]]]:
    """Sheet title -> the edit of its saved XML that restores its set-aside cells."""
    return {title: partial(_restore, h=h) for title, h in held.items()}


def _restore(xml: str, h: Held) -> Iterator[str]:
    m = _EMPTY_SHEET_DATA.search(xml)
    if m is None:
        raise RuntimeError("could not put the set-aside cells back")
    head, tail = xml[:m.start()], xml[m.end():]
    if h.dimension:
        head = _DIMENSION.sub(lambda _: h.dimension, head, count=1)
    yield head
    yield from h.pieces()
    yield tail


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

    # each substitution only where it can apply: a sheet sop_xl wrote has neither (one regex call per
    # tag took most of a save that carried a 100,000-row history through)
    text = sheet_data
    if _PREFIXED_ATTR.search(text):
        text = _TAG.sub(lambda m: _PREFIXED_ATTR.sub("", m.group(0)), text)
    return _SHARED_CELL.sub(inline, text) if ' t="s"' in text else text
