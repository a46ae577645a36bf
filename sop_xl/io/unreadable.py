"""Cells python-calamine hands over as blanks although they are not: error values and formulas
without a calculated value.

python-calamine (0.9) gives "" for an error cell (`t="e"`, e.g. #DIV/0!, #N/A) and for a formula
saved without a cached value (openpyxl writes `<f>..</f><v></v>`; Excel with manual calculation,
=WEBSERVICE() offline). Read as blanks, a price would become 0 and a required capacity "empty".
This module finds those cells in the sheet's XML so the grid carries the error text or an
`Uncalculated` marker instead, and the shared reader reports each at its cell.

Cost: the sheet part is inflated once more, in chunks, and searched for the two byte patterns a
formula or an error cell must contain (`<f` and `t="e"`). Only chunks with a hit are
parsed, so a sheet of plain values costs one inflate (no Python work per cell).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import unescape

from openpyxl.utils import column_index_from_string

from ..values import Uncalculated

CHUNK = 8 << 20
# `<f` starts every formula element (<f>, <f t="shared" .../>) and nothing else inside <sheetData>; a hit
# elsewhere (<formula1> of a validation) finds no formula cell and is ignored
_PATTERNS = (b"<f", b't="e"')
_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_TYPE = re.compile(rb'\bt="([a-zA-Z]+)"')
_V = re.compile(rb"<v>(.*?)</v>", re.S)
_F = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)


def unreadable_cells(path: Path, part: str) -> dict[tuple[int, int], Any]:
    """(row, column) 0-based -> the error text ("#DIV/0!") or an `Uncalculated` marker."""
    found: dict[tuple[int, int], Any] = {}
    with zipfile.ZipFile(path) as z, z.open(part) as stream:
        tail = b""
        while True:
            chunk = stream.read(CHUNK)
            data = tail + chunk
            if not chunk:
                _scan(data, found)
                break
            # cut after the last complete cell; the rest is carried into the next round
            cut = data.rfind(b"</c>")
            if cut == -1:
                tail = data
                continue
            cut += 4
            _scan(data[:cut], found)
            tail = data[cut:]
    return found


def _scan(data: bytes, found: dict[tuple[int, int], Any]) -> None:
    if not any(p in data for p in _PATTERNS):
        return
    hits = sorted({m.start() for p in _PATTERNS for m in re.finditer(re.escape(p), data)})
    done_until = -1
    for pos in hits:
        if pos < done_until:
            continue
        start = data.rfind(b"<c ", 0, pos)
        end = data.find(b"</c>", pos)
        if start == -1 or end == -1:
            continue
        done_until = end
        _cell(data[start:end + 4], found)


def _cell(xml: bytes, found: dict[tuple[int, int], Any]) -> None:
    head = xml[:xml.find(b">") + 1]
    ref = _REF.search(head)
    if ref is None:
        return
    key = (int(ref.group(2)) - 1, column_index_from_string(ref.group(1).decode()) - 1)
    kind = _TYPE.search(head)
    kind = kind.group(1) if kind else b"n"
    v = _V.search(xml)
    value = v.group(1) if v else b""
    if kind == b"e":
        found[key] = unescape(value.decode("utf-8", "replace")) or "#N/A"
        return
    f = _F.search(xml)
    if f is None:
        return
    if value or kind == b"str" and v is not None:
        return  # a cached value (a formula giving "" caches <v></v> with t="str")
    formula = unescape((f.group(1) or b"").decode("utf-8", "replace"))
    found[key] = Uncalculated(formula)


def mark_unreadable(grid: list[list[Any]], marks: dict[tuple[int, int], Any]) -> list[list[Any]]:
    """`grid` with each mark put in (rows extended when the cell lies beyond calamine's used range).
    A new grid: the rows it changes are copies, since an adapter may lend its own rows."""
    grid = list(grid)
    copied: set[int] = set()
    for (r, c), value in marks.items():
        if r < 0 or c < 0:
            continue
        while len(grid) <= r:
            grid.append([])
        if r not in copied:
            grid[r] = list(grid[r])
            copied.add(r)
        row = grid[r]
        if len(row) <= c:
            row.extend([None] * (c + 1 - len(row)))
        if row[c] is None:
            row[c] = value
    return grid
