"""`docs/dashboard.png`, the README's picture of the meeting page, made from the demo like the template.

    python -m sop_xl.docs_dashboard            # run the demo cycle, print the page, write docs/dashboard.png
    python -m sop_xl.docs_dashboard --check    # exit 1 when docs/dashboard.png no longer shows what the demo makes

The PNG carries a fingerprint of what it shows (a tEXt chunk): the Dashboard's KPIs and the printed
charts' numbers at four significant digits, and the page layout. `--check` (and the test that calls it)
compares fingerprints, not pixels: fonts and the last digits of solver floats differ between machines,
the figures a reader sees do not.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import struct
import sys
import tempfile
import zlib
from pathlib import Path


KEY = b"sop_xl-fingerprint"
DEFAULT_PNG = Path(__file__).resolve().parents[1] / "docs" / "dashboard.png"


def _sig(value, digits: int = 4) -> str:
    """A number at `digits` significant digits (blank for a missing value)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return ""
    return f"{x:.{digits - 1}e}" if x else "0"


def fingerprint(workbook: Path) -> str:
    """What the meeting page of `workbook` shows, as a short hash."""
    from .commands.export_pdf import meeting_charts_data
    from .commands.review_inputs import reading_view
    from .contract.executive import DASHBOARD, DASHBOARD_DATA
    from .io import FileWorkbook, read_table
    from .io.pdf import meeting_pdf_layout
    from .issues import IssueLog

    book = FileWorkbook(workbook)
    kpis = read_table(book, reading_view(DASHBOARD, "kpi"), IssueLog(), required=False)
    data = meeting_charts_data(read_table(book, reading_view(DASHBOARD_DATA, "chart"), IssueLog(), required=False))
    lines = [repr(meeting_pdf_layout(len(kpis)))]
    lines += [f"{r.kpi}|{_sig(r.value)}|{_sig(r.target)}|{r.status}" for r in kpis.itertuples()]
    numbers = [c for c in data.columns if c not in ("chart", "group", "label")]
    for row in data.itertuples(index=False):
        d = row._asdict()
        lines.append("|".join([str(d["chart"]), str(d["group"]), str(d["label"])] + [_sig(d[c]) for c in numbers]))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def read_fingerprint(png: Path) -> str | None:
    """The fingerprint stored in a PNG by `write_png` (None when there is none)."""
    if not png.exists():
        return None
    data = png.read_bytes()
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"tEXt" and body.startswith(KEY + b"\0"):
            return body[len(KEY) + 1:].decode("latin-1")
        pos += 12 + length
    return None


def _with_text(png: bytes, text: str) -> bytes:
    """`png` with a tEXt chunk KEY=text inserted before IEND."""
    body = KEY + b"\0" + text.encode("latin-1")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def demo_page(folder: Path) -> tuple[Path, Path]:
    """The demo company's workbook after its cycle and its meeting PDF, in `folder`."""
    from .commands.demo import create_demo_workbook, run_demo_cycle
    path = folder / "demo.xlsx"
    create_demo_workbook(path, seed=7)
    run_demo_cycle(path, seed=7)
    return path, path.with_suffix(".pdf")


def write_png(png: Path = DEFAULT_PNG, *, dpi: int = 80) -> str:
    """Run the demo, print its meeting page and write it to `png` with its fingerprint."""
    from .io.pdf import png_of_first_page
    with tempfile.TemporaryDirectory(prefix="sop_xl-dashboard-") as tmp:
        workbook, pdf = demo_page(Path(tmp))
        if not pdf.exists():
            raise SystemExit("no meeting PDF was made: install LibreOffice (see README)")
        made = png_of_first_page(pdf, Path(tmp) / "page.png", dpi=dpi)
        stamp = fingerprint(workbook)
        png.parent.mkdir(parents=True, exist_ok=True)
        png.write_bytes(_with_text(made.read_bytes(), stamp))
    return stamp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sop_xl.docs_dashboard", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_PNG)
    parser.add_argument("--check", action="store_true", help="exit 1 if --out is stale instead of writing it")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory(prefix="sop_xl-dashboard-") as tmp:
            workbook, _ = demo_page(Path(tmp))
            current = fingerprint(workbook)
        stored = read_fingerprint(args.out)
        if stored != current:
            print(f"{args.out} is stale (shows {stored}, the demo makes {current}): run "
                  "`python -m sop_xl.docs_dashboard`", file=sys.stderr)
            return 1
        return 0
    stamp = write_png(args.out)
    print(f"wrote {args.out} ({stamp})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["fingerprint", "read_fingerprint", "write_png"]
