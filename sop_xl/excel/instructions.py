"""The text of the template's Instructions sheet, for a planner (not a developer).

Kept as data (rows of (style, text)) so the template builder only lays it out and a test
can check that every button and every input sheet is explained.
"""

from __future__ import annotations

from ..contract import WORKBOOK, Role
from .dispatch import BUTTONS, GROUPS

ROLE_WORDS = {Role.INPUT: "you fill it in", Role.OUTPUT: "sop_xl writes it (edits are overwritten)",
              Role.BOTH: "sop_xl seeds it, your edits are kept"}


def instruction_rows() -> list[tuple[str, str, str]]:
    """(style, first column, second column); style is title | heading | text | item."""
    rows: list[tuple[str, str, str]] = [
        ("title", "S&OP workbook - how to use it", ""),
        ("text", "This workbook runs the monthly Sales & Operations Planning cycle without leaving Excel: "
                 "forecast demand, check and plan capacity, agree the numbers, and prepare the executive "
                 "review. It comes filled with a demo company (Alpenglow Outdoor) so you can press the "
                 "buttons straight away, then replace the demo data with your own.", ""),
        ("heading", "Before the first run", ""),
        ("item", "1. Python and sop_xl", "Install Python 3.11+ (python.org), then in a terminal, in the sop_xl "
                 "folder: pip install -e .  (or pip install the sop_xl wheel file you were given). This also "
                 "installs xlwings 0.37.8. Then run: xlwings config create  (tells Excel which Python to use; "
                 "on a Mac also run: xlwings runpython install)."),
        ("item", "2. Enable macros", "Windows: if a red bar says macros are blocked, close Excel, right-click the "
                 "file > Properties > tick 'Unblock' > OK; then click 'Enable Editing' and 'Enable Content'. "
                 "Mac: click 'Enable Macros' when opening."),
        ("item", "3. Check setup", "S&OP tab > Help > Check setup lists Python, sop_xl, xlwings, the worksheet "
                 "functions, the PDF export and the folder, each with what to fix. The guide docs/excel.md has "
                 "every step and every message with its fix."),
        ("heading", "The monthly cycle: the S&OP tab of the ribbon", ""),
        ("text", "Press the buttons from left to right. Each one reads the sheets it needs, writes its "
                 "results, and lists problems on the Issues sheet with the cell to fix. Results appear at "
                 "once; the file is saved only when you save it, so you can close without saving to undo.", ""),
    ]
    for group in GROUPS:
        for b in (b for b in BUTTONS if b.group == group):
            rows.append(("item", f"{group} > {b.label}", b.supertip))
    rows += [
        ("text", "A button whose step is not part of your sop_xl version says so and changes nothing.", ""),
        ("heading", "If something is wrong", ""),
        ("item", "Issues sheet", "Every problem with the sheet, the cell, what is wrong and how to fix it. "
                 "Fix the cells, press the button again."),
        ("item", "RunLog sheet", "When each step ran, how long it took and its outcome."),
        ("heading", "Worksheet functions (Windows)", ""),
        ("text", "These functions are already in this workbook and work in any cell like Excel's own "
                 "FORECAST.ETS; wrong arguments give Excel error values (#VALUE!, #NUM!, #N/A) that IFERROR "
                 "catches. In Excel 2016/2019 select the cells for the result first and press Ctrl+Shift+Enter.", ""),
        ("item", "=SOP_FORECAST(B5:AK5, 12)", "12 months of forecast from a row of history, spilled to the right."),
        ("item", "=SOP_FORECAST_ETS(date, values, timeline)", "Same arguments as FORECAST.ETS; also "
                 "SOP_FORECAST_ETS_CONFINT, _SEASONALITY and _STAT."),
        ("item", "=SOP_ACCURACY(actuals, forecasts, \"wape\")", "wape, mape, smape, mae, rmse, bias or mase."),
        ("item", "=SOP_SAFETY_STOCK(demand, lead_time, 0.95)", "Safety stock for a service level."),
        ("item", "=SOP_ROUGHCUT_LOAD(quantities, hours_per_unit, capacity, lead_time)",
                 "Load as a share of capacity, as on the RoughCut sheet."),
        ("heading", "The sheets", ""),
    ]
    for sheet in WORKBOOK:
        rows.append(("item", sheet.name, f"{sheet.description} Owner: {sheet.owner.value}; "
                                         f"{ROLE_WORDS[sheet.role]}."))
    rows.append(("text", "Keep each table where it is (header on row 3, starting in column A) and keep the "
                         "column headers; add rows and columns of your own to the right of a table freely.", ""))
    return rows
