"""Files that ship with sop_xl, found the same way in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
TEMPLATE_NAME = "workbook_template.xlsm"


def template_path() -> Path | None:
    """`workbook_template.xlsm`: inside the installed package (wheel), else at the top of the checkout."""
    for candidate in (PACKAGE / "data" / TEMPLATE_NAME, PACKAGE.parent / TEMPLATE_NAME):
        if candidate.is_file():
            return candidate
    return None
