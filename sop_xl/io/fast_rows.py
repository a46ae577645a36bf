"""Big tables bypass openpyxl's per-cell serialiser.

openpyxl spends ~10 µs per cell saving a sheet; a 10,000 SKU x 60 period table is 600,000
cells. For tables that large the writer lets openpyxl write everything except the data
rows after the first (so styles, the table part, validation and the user's own cells
are all openpyxl's), then splices the remaining rows into the saved sheet XML, reusing
the style ids openpyxl gave the first data row's cells. Cells of the user's beside the
table, in the same rows, are kept.

It relies on how openpyxl writes sheet XML (X1-X3 in `openpyxl_internals`, checked against
the versions named there); on another openpyxl minor version it stands down.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor, wait
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence
from xml.sax.saxutils import escape

from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel

from ..contract.schema import Layout
from .layout import TableBlock
from .openpyxl_internals import fast_paths_allowed

FAST_CELLS = 20_000   # below this, openpyxl writes every cell itself
# zlib level of a rewritten package: level 1 deflates 3x faster than the default 6 for a file about
# a third bigger (Excel recompresses it on its next save anyway)
REWRITE_LEVEL = 1

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ROW = re.compile(r'<row\b([^>]*?)(?:/>|>(.*?)</row>)', re.S)
_CELL = re.compile(r'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?(?:/>|>.*?</c>)', re.S)
_STYLE = re.compile(r'\ss="(\d+)"')
_RNUM = re.compile(r'\br="(\d+)"')


# once a save splices one big table it rewrites the package anyway: tables above this many cells join
# the splice, which writes a cell several times faster than openpyxl (a 500-SKU plan's Capacity, WorkforcePlan
# and PlanCost sheets: 0.03 s of its save)
ALONG_CELLS = 250


def is_big(block: TableBlock) -> bool:
    return block.n_rows * block.n_columns > FAST_CELLS and fast_paths_allowed()


def spliced(blocks: Sequence[TableBlock]) -> list[bool]:
    """Per block, whether its rows after the first are spliced into the saved XML: the big ones, and
    when there is one, the others above `ALONG_CELLS` (not a Settings sheet: its value cells get their
    own formats after the rows are written, which a splice copying the first row's styles would lose)."""
    big = [is_big(b) for b in blocks]
    if not any(big):
        return big
    return [b or (block.n_rows * block.n_columns > ALONG_CELLS and block.sheet.layout is not Layout.SETTINGS)
            for b, block in zip(big, blocks)]


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> part name of its XML inside the package."""
    workbook = z.read("xl/workbook.xml").decode("utf-8")
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for rel in re.findall(r"<Relationship\b[^>]*/>", rels):
        rid = re.search(r'\bId="([^"]+)"', rel).group(1)
        target = re.search(r'\bTarget="([^"]+)"', rel).group(1)
        targets[rid] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    out = {}
    for sheet in re.findall(r"<sheet\b[^>]*/>", workbook):
        name = re.search(r'\bname="([^"]*)"', sheet).group(1)
        rid = re.search(r'\br:id="([^"]+)"|\bid="([^"]+)"', sheet)
        rid = rid.group(1) or rid.group(2)
        out[_unescape(name)] = targets[rid]
    return out


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'") \
        .replace("&amp;", "&")


def inject_rows(path: Path, deferred: dict[str, TableBlock]) -> None:
    """Write rows 2.. of each deferred block into the saved workbook at `path`."""
    rewrite_package(path, row_edits(deferred))


def row_edits(deferred: dict[str, TableBlock]) -> dict[str, Callable[[str], Iterator[str]]]:
    """Sheet title -> the edit of its XML that writes rows 2.. of its deferred block."""
    return {title: partial(_splice, block=block) for title, block in deferred.items()}


def rewrite_package(path: Path, edits: dict[str, Callable[[str], str | Iterable[str]]]) -> None:
    """Rewrite the package at `path` once, each named sheet's XML passed through its edit.

    Every rewrite recompresses every member, so a save gathers all its edits into one. Members are
    read, edited and written one at a time, and an edit may give its XML as pieces: a 100,000-row
    sheet is never one string (nor the whole package in memory) at once."""
    if not edits:
        return
    tmp = path.with_suffix(path.suffix + ".rows")
    # an edited sheet's pieces are deflated in a second thread while this one makes the next piece (zlib
    # lets go of the GIL): one piece in flight, so memory stays at two pieces
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sop-xl-deflate") as deflater:
        parts = sheet_parts(z)
        by_part = {parts[title]: edit for title, edit in edits.items() if title in parts}
        for info in z.infolist():
            zinfo = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            zinfo._compresslevel = REWRITE_LEVEL  # what writestr(compresslevel=) sets; open() reads it
            edit = by_part.get(info.filename)
            with out.open(zinfo, "w", force_zip64=True) as dst:
                if edit is None:
                    with z.open(info) as src:
                        shutil.copyfileobj(src, dst, _CHUNK)
                    continue
                edited = edit(z.read(info.filename).decode("utf-8"))
                pending = None
                try:
                    for piece in ([edited] if isinstance(edited, str) else edited):
                        data = piece.encode("utf-8")
                        if pending is not None:
                            pending.result()
                        pending = deflater.submit(dst.write, data)
                    if pending is not None:
                        pending.result()
                finally:  # the member is closed only once its last write is done
                    if pending is not None:
                        wait([pending])
    tmp.replace(path)


_CHUNK = 1 << 20
ROWS_PER_PIECE = 2_000   # rows of a spliced table made into XML at a time


def _splice(xml: str, block: TableBlock) -> Iterator[str]:
    """`xml` with rows 2.. of `block` written in (cells of the user's beside the table kept), in pieces."""
    start = xml.find("<sheetData")
    end_tag = xml.find("</sheetData>", start)
    if end_tag == -1:  # <sheetData/>
        close = xml.find("/>", start) + 2
        body, after = "", xml[close:]
    else:
        body, after = xml[xml.find(">", start) + 1:end_tag], xml[end_tag + len("</sheetData>"):]
    before = xml[:start]
    existing: dict[int, tuple[str, list[tuple[int, str]]]] = {}
    for m in _ROW.finditer(body):
        attrs, inner = m.group(1), m.group(2) or ""
        r = int(_RNUM.search(attrs).group(1))
        cells = [(column_index_from_string(c.group(1)), c.group(0)) for c in _CELL.finditer(inner)]
        existing[r] = (attrs, cells)
    del xml, body
    first = block.header_row + 1
    styles = {}
    for col, cell_xml in existing.get(first, ("", []))[1]:
        s = _STYLE.search(cell_xml)
        if s:
            styles[col] = s.group(1)
    n = block.n_columns
    letters = [get_column_letter(c + 1) for c in range(n)]
    style_attr = [f' s="{styles[c + 1]}"' if (c + 1) in styles else "" for c in range(n)]
    last = max([block.last_row, *existing.keys()]) if existing else block.last_row
    max_col = max([n] + [c for _, cells in existing.values() for c, _ in cells])
    yield re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:{get_column_letter(max_col)}{last}"/>',
                 before, count=1) + "<sheetData>"
    ours_first, ours_last = first + 1, first + block.n_rows - 1   # the rows written here
    theirs_rows = sorted(existing)
    i = 0   # next of the user's rows to write
    for lo in range(ours_first, ours_last + 1, ROWS_PER_PIECE):
        hi = min(lo + ROWS_PER_PIECE - 1, ours_last)
        pieces = []
        while i < len(theirs_rows) and theirs_rows[i] < lo:
            pieces.append(_row_xml(theirs_rows[i], existing, None, n))
            i += 1
        # cell XML is made a column at a time: one type test per column, not per cell
        chunk = [column[lo - first:hi - first + 1] for column in block.columns]
        numbers = range(lo, hi + 1)
        if i == len(theirs_rows) or theirs_rows[i] > hi:  # none of the user's rows among these
            rows = _rows_by_template(letters, style_attr, numbers, chunk)
            if rows is not None:
                pieces.append(rows)
                yield "".join(pieces)
                continue
        by_column = [_column_xml(letters[c], style_attr[c], numbers, column) for c, column in enumerate(chunk)]
        for r, cells in zip(numbers, zip(*by_column)):
            while i < len(theirs_rows) and theirs_rows[i] < r:
                pieces.append(_row_xml(theirs_rows[i], existing, None, n))
                i += 1
            if i < len(theirs_rows) and theirs_rows[i] == r:
                i += 1
            pieces.append(_row_xml(r, existing, [x for x in cells if x is not None], n))
        yield "".join(pieces)
    yield "".join(_row_xml(r, existing, None, n) for r in theirs_rows[i:]) + "</sheetData>" + after


def _rows_by_template(letters: list[str], style_attr: list[str], numbers: range, chunk: list[list]) -> str | None:
    """The rows of `chunk` (a list per column) as `_column_xml` and `_row_xml` write them, one compiled row
    function call per row, when every column is all numbers, all text or all blank; None otherwise (the
    caller goes cell by cell)."""
    parts, columns = [], []
    for c, column in enumerate(chunk):
        kinds = {v.__class__ for v in column}
        if kinds == {type(None)}:
            continue  # a blank column writes no cells
        if kinds <= {float, int}:
            parts.append((letters[c], style_attr[c], None))
            columns.append(column)
        elif kinds == {str}:
            texts = {v: _text(v) for v in set(column)}
            parts.append((letters[c], style_attr[c], any(_needs_preserve(v) for v in texts.values())))
            columns.append([texts[v] for v in column])
        else:
            return None
    if not parts:
        return None  # rows without cells are written `<row r="n"/>`
    return "".join(map(_row_function(tuple(parts)), map(str, numbers), *columns))  # each row number made text once


@lru_cache(maxsize=64)
def _row_function(parts: tuple[tuple[str, str, bool | None], ...]) -> Callable[..., str]:
    """A function (row number, one value per column) -> the row's XML, compiled once per layout: an
    f-string runs about a third faster than `str.format` of the same template (12,000 SupplyPlan rows of
    a 500-SKU plan are most of its save). Only column letters and style ids (ours, never the user's
    text) are in the code; the values are arguments."""
    cells = []
    for k, (letter, style, preserve) in enumerate(parts):
        head = f'<c r="{letter}{{r}}"{style}'
        if preserve is None:
            cells.append(head + f"><v>{{v{k}!r}}</v></c>")
        else:
            cells.append(head + f' t="inlineStr"><is><t{_PRESERVE if preserve else ""}>{{v{k}}}</t></is></c>')
    code = "".join(cells)
    assert all(ch.isalnum() or ch in '<>="/{}! _:' for ch in code), code   # nothing that could escape the string
    args = ", ".join(f"v{k}" for k in range(len(parts)))
    return eval(f"lambda r, {args}: f'<row r=\"{{r}}\">{code}</row>'")  # noqa: S307 - code made above


_PRESERVE = ' xml:space="preserve"'


def _text(value: str) -> str:
    return escape(_ILLEGAL.sub("", value))


def _needs_preserve(text: str) -> bool:
    """Excel drops a text's leading and trailing blanks unless the cell says to keep them."""
    return text != text.strip()


def _row_xml(r: int, existing: dict, ours: list[str] | None, n: int) -> str:
    """One row: the table's cells (`ours`, the first n columns) then the user's cells to their right;
    a row of only the user's cells as it was."""
    attrs, theirs = existing.get(r, (f' r="{r}"', []))
    if ours is not None:
        theirs = sorted(((c, x) for c, x in theirs if c > n), key=lambda t: t[0])
        cells = ours + [x for _, x in theirs]
    else:
        cells = [x for _, x in theirs]
    return f"<row{attrs}>" + "".join(cells) + "</row>" if cells else f"<row{attrs}/>"


def _column_xml(letter: str, style: str, numbers: range, values) -> list[str | None]:
    """The XML of one column's cells (None where the value is None), as `_cell_xml` writes them."""
    kinds = {v.__class__ for v in values}
    if kinds <= {float, int}:
        return [f'<c r="{letter}{r}"{style}><v>{v!r}</v></c>' for r, v in zip(numbers, values)]
    if kinds <= {float, int, type(None)}:
        return [None if v is None else f'<c r="{letter}{r}"{style}><v>{v!r}</v></c>'
                for r, v in zip(numbers, values)]
    if kinds == {str}:  # keys repeat (an item per period): each distinct text escaped once
        texts = {v: _text(v) for v in set(values)}
        keep = _PRESERVE if any(_needs_preserve(t) for t in texts.values()) else ""
        return [f'<c r="{letter}{r}"{style} t="inlineStr"><is><t{keep}>{texts[v]}</t></is></c>'
                for r, v in zip(numbers, values)]
    return [None if v is None else _cell_xml(f"{letter}{r}", style, v) for r, v in zip(numbers, values)]


def _cell_xml(ref: str, style: str, value) -> str:
    cls = value.__class__
    if cls is float or cls is int:
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    if cls is bool:
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (dt.datetime, dt.date)):
        return f'<c r="{ref}"{style}><v>{to_excel(value)!r}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{style}><v>{float(value)!r}</v></c>'
    text = _text(str(value))
    keep = _PRESERVE if _needs_preserve(text) else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{keep}>{text}</t></is></c>'
