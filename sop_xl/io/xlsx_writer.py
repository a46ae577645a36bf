"""openpyxl side of the file adapter: tables, styles, validation, names, charts.

Only the product's own region is touched: the old table's range (and its title rows)
is cleared and rewritten; everything else on the sheet, and every other sheet, stays.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Sequence

from openpyxl.cell import Cell
from openpyxl.chart import AreaChart, BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from ..charts import ChartSpec, Highlight
from ..contract import Layout, Role, Sheet, Workbook
from .fast_rows import spliced
from .layout import TableBlock

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
SUBTITLE_FONT = Font(italic=True, size=9, color="595959")
TAB_COLORS = {Role.INPUT: "2E75B6", Role.OUTPUT: "70AD47", Role.BOTH: "ED7D31"}
TABLE_STYLE = "TableStyleMedium2"


def apply_tables(wb, staged: Sequence[tuple[TableBlock, tuple[ChartSpec, ...]]], contract: Workbook
                 ) -> dict[str, TableBlock]:
    """Write the staged tables; returns the big ones whose rows after the first are left for
    `fast_rows.inject_rows` to add to the saved file."""
    deferred: dict[str, TableBlock] = {}
    for (block, charts), big in zip(staged, spliced([b for b, _ in staged])):
        sheet = block.sheet
        ws = _sheet(wb, sheet, contract)
        _clear_old(ws, sheet)
        _write_block(ws, block, first_row_only=big)
        if big:
            deferred[ws.title] = block
        _add_table(ws, block)
        _add_validation(ws, block)
        if sheet.layout is Layout.SETTINGS:
            _settings_names(wb, ws, block)
        _replace_charts(ws, block, charts, staged)
    return deferred


def _sheet(wb, sheet: Sheet, contract: Workbook):
    for name in wb.sheetnames:
        if name.lower() == sheet.name.lower():
            return wb[name]
    # insert after the last sheet that comes before it in the contract, so tabs follow the cycle
    order = [s.name for s in contract.sheets]
    position = len(wb.sheetnames)
    if sheet.name in order:
        before = order[: order.index(sheet.name)]
        present = [i for i, n in enumerate(wb.sheetnames) if n in before]
        after = [i for i, n in enumerate(wb.sheetnames) if n in order[order.index(sheet.name) + 1:]]
        if present:
            position = present[-1] + 1
        elif after:
            position = after[0]
    ws = wb.create_sheet(sheet.name, position)
    ws.sheet_properties.tabColor = TAB_COLORS[sheet.role]
    if sheet.hidden:
        ws.sheet_state = "veryHidden"
    return ws


def _clear_old(ws, sheet: Sheet) -> None:
    """Remove the previous table of this sheet and blank its cells (values and formats)."""
    old = None
    for name in list(ws.tables.keys()):
        if name.lower() == sheet.table.lower():
            old = ws.tables[name]
            del ws.tables[name]
    if old is not None:
        min_col, min_row, max_col, max_row = range_boundaries(old.ref)
        _blank(ws, 1, max_row, min_col, max_col)
        _drop_validations(ws, min_col, max_col, min_row, max_row)
    else:
        _blank(ws, 1, sheet.title_rows, 1, 2)


def _blank(ws, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
    cells = ws._cells
    for r in range(first_row, last_row + 1):
        for c in range(first_col, last_col + 1):
            if (r, c) in cells:
                del cells[(r, c)]


def _drop_validations(ws, min_col: int, max_col: int, min_row: int, max_row: int) -> None:
    kept = []
    for dv in ws.data_validations.dataValidation:
        inside = True
        for rng in dv.sqref.ranges:
            c1, r1, c2, r2 = rng.bounds
            if not (min_col <= c1 and c2 <= max_col and min_row <= r1):
                inside = False
        if not inside:
            kept.append(dv)
    ws.data_validations.dataValidation = kept


def _write_block(ws, block: TableBlock, *, first_row_only: bool = False) -> None:
    title = ws.cell(row=1, column=1, value=block.title)
    title.font = TITLE_FONT
    sub = ws.cell(row=2, column=1, value=block.subtitle)
    sub.font = SUBTITLE_FONT
    h = block.header_row
    style = None   # the header style made once, then copied: each font/fill/alignment set looks the style up
    for c, text in enumerate(block.header, start=1):
        cell = ws.cell(row=h, column=c, value=text)
        if style is None:
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            style = cell._style
        else:
            cell._style = StyleArray(style)  # a copy: styles are mutated in place by setters
    _write_rows(ws, block, first_row_only=first_row_only)
    for c, width in enumerate(block.widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.row_dimensions[h].height = 30
    freeze_col = block.key_columns + 1 if block.sheet.layout is Layout.WIDE else 1
    ws.freeze_panes = f"{get_column_letter(freeze_col)}{h + 1}"


def _write_rows(ws, block: TableBlock, *, first_row_only: bool = False) -> None:
    """Data cells, created directly: ws.cell() and per-cell number_format assignment cost
    more than the rest of a save for a 600,000-cell table."""
    styles = []
    for fmt in block.formats:
        proto = Cell(ws)
        proto.number_format = fmt
        styles.append(proto._style)
    cells = ws._cells
    first = block.header_row + 1
    for r, row in enumerate(block.head(1) if first_row_only else block.rows, start=first):
        for c, value in enumerate(row):
            if value is None and not first_row_only:
                continue  # (the first row of a big table keeps every cell: its styles are copied)
            cell = Cell(ws, row=r, column=c + 1, value=value)
            if value.__class__ is str and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            cell._style = StyleArray(styles[c])  # a copy: styles are mutated in place by setters
            cells[(r, c + 1)] = cell


def _add_table(ws, block: TableBlock) -> None:
    table = Table(displayName=block.sheet.table, ref=block.ref)
    # name the columns now: left to openpyxl, it reads them by materialising every cell of the range
    table._initialise_columns()
    for column, header in zip(table.tableColumns, block.header):
        column.name = header
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True, showColumnStripes=False,
                                          showFirstColumn=False, showLastColumn=False)
    ws.add_table(table)


def _add_validation(ws, block: TableBlock) -> None:
    for v in block.validations:
        header = block.header[v.column]
        if v.choices:
            source = '"' + ",".join(v.choices) + '"'
            prompt = f"Pick one of: {', '.join(v.choices)}"
        else:
            source = v.formula.lstrip("=")
            prompt = "Pick a value from the list."
        if len(source) > 255:
            continue  # Excel's limit for an inline list
        dv = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                            errorTitle=f"{header}: not allowed", error=prompt, promptTitle=header, prompt=prompt)
        dv.showInputMessage = True
        dv.add(block.column_range(v.column))
        ws.add_data_validation(dv)


def _settings_names(wb, ws, block: TableBlock) -> None:
    sheet = block.sheet
    value_col = sheet.column_names().index("value") + 1
    letter = get_column_letter(value_col)
    for r, row in enumerate(block.rows, start=block.header_row + 1):
        spec = next((s for s in sheet.settings if s.matches(row[0])), None)
        if spec is None:
            continue
        ref = f"{_quote(ws.title)}!${letter}${r}"
        if spec.range_name in wb.defined_names:
            del wb.defined_names[spec.range_name]
        wb.defined_names[spec.range_name] = DefinedName(spec.range_name, attr_text=ref)
        cell = ws.cell(row=r, column=value_col)
        if spec.kind.value == "percent":
            cell.number_format = "0.0%"
        elif spec.kind.value in ("integer",):
            cell.number_format = "0"
        if spec.choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(spec.choices) + '"', allow_blank=True,
                                showErrorMessage=True, errorTitle=spec.label,
                                error=f"Pick one of: {', '.join(spec.choices)}")
            dv.add(f"{letter}{r}")
            ws.add_data_validation(dv)


def _quote(title: str) -> str:
    return f"'{title}'" if re.search(r"[^A-Za-z0-9_]", title) else title


def _replace_charts(ws, block: TableBlock, charts: Sequence[ChartSpec], staged) -> None:
    if block.sheet.role is Role.OUTPUT:
        ws._charts = []  # charts on output sheets are the product's; they are redrawn every run
        _drop_highlights(ws, block)
    for i, spec in enumerate(charts):
        if isinstance(spec, Highlight):
            _highlight(ws, block, spec)
            continue
        data_ws, data_block = ws, block
        if spec.data_sheet and spec.data_sheet.lower() != block.sheet.name.lower():
            # a chart drawn from another table staged in the same save (e.g. Dashboard <- DashboardData)
            other = next((b for b, _ in staged if b.sheet.name.lower() == spec.data_sheet.lower()), None)
            if other is None or other.sheet.name not in ws.parent.sheetnames:
                continue
            data_ws, data_block = ws.parent[other.sheet.name], other
        chart = _chart(spec, data_ws, data_block)
        anchor = spec.anchor or f"{get_column_letter(block.n_columns + 2)}{block.header_row + i * 16}"
        ws.add_chart(chart, anchor)


def _highlight(ws, block: TableBlock, spec: Highlight) -> None:
    from openpyxl.formatting.rule import FormulaRule
    col = [c.name for c in block.sheet.columns].index(spec.column)
    letter = get_column_letter(col + 1)
    first, last = block.header_row + 1, block.last_row
    target = f"A{first}:{get_column_letter(block.n_columns)}{last}" if spec.whole_row else block.column_range(col)
    for text, color in spec.fills:
        value = str(text).replace('"', '""')
        ws.conditional_formatting.add(target, FormulaRule(formula=[f'${letter}{first}="{value}"'],
                                                          fill=PatternFill("solid", fgColor=color, bgColor=color)))


def _drop_highlights(ws, block: TableBlock) -> None:
    """Conditional formats inside the table's columns are the product's: redrawn every run."""
    from openpyxl.formatting.formatting import ConditionalFormattingList
    kept = ConditionalFormattingList()
    for cf in ws.conditional_formatting:
        inside = all(r.bounds[2] <= block.n_columns and r.bounds[1] > block.header_row for r in cf.sqref.ranges)
        if not inside:
            for rule in cf.rules:
                kept.add(str(cf.sqref), rule)
    ws.conditional_formatting = kept


def _chart(spec: ChartSpec, ws, block: TableBlock):
    kinds = {"line": LineChart, "column": BarChart, "bar": BarChart, "area": AreaChart}
    chart = kinds.get(spec.kind, LineChart)()
    if spec.kind == "bar":
        chart.type = "bar"
    elif spec.kind == "column":
        chart.type = "col"
    if spec.stacked and spec.kind in ("column", "bar", "area"):
        chart.grouping = "stacked"
        chart.overlap = 100
    chart.title = spec.title
    chart.y_axis.title = spec.y_title or None
    chart.x_axis.title = spec.x_title or None
    chart.width, chart.height = spec.width_cm, spec.height_cm
    names = [c.name for c in block.sheet.columns] + [h for h in block.header[len(block.sheet.columns):]]
    start, stop = spec.rows if spec.rows else (0, block.n_rows)
    first = block.header_row + 1 + start
    last = block.header_row + stop
    if last < first:
        return chart
    for series in spec.series:
        col = names.index(series.column) + 1
        ref = Reference(ws, min_col=col, min_row=first, max_row=last)
        chart.add_data(ref, titles_from_data=False)
        s = chart.series[-1]
        from openpyxl.chart.series import SeriesLabel
        s.tx = SeriesLabel(v=series.label or block.header[col - 1])
        if series.color:
            s.graphicalProperties.line.solidFill = series.color
            if spec.kind != "line":
                s.graphicalProperties.solidFill = series.color
        if series.dashed:
            s.graphicalProperties.line.dashStyle = "dash"
        if spec.kind == "line":
            s.smooth = False
    cat_col = names.index(spec.categories) + 1
    chart.set_categories(Reference(ws, min_col=cat_col, min_row=first, max_row=last))
    return chart


# ---------------------------------------------------------------------- parts openpyxl drops

_UI_REL_TYPES = ("http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",
                 "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility")


def restore_dropped_parts(original: Path, saved: Path) -> None:
    """Put back the ribbon (customUI parts and their root relationships) openpyxl drops."""
    with zipfile.ZipFile(original) as z:
        names = z.namelist()
        ui_parts = {n: z.read(n) for n in names if n.lower().startswith("customui/")}
        root_rels = z.read("_rels/.rels").decode("utf-8") if "_rels/.rels" in names else ""
    if not ui_parts:
        return
    rels = re.findall(r"<Relationship\b[^>]*/>", root_rels)
    ui_rels = [r for r in rels if any(t in r for t in _UI_REL_TYPES)]
    with zipfile.ZipFile(saved) as z:
        members = {n: z.read(n) for n in z.namelist()}
        infos = {i.filename: i for i in z.infolist()}
    saved_rels = members.get("_rels/.rels", b"").decode("utf-8")
    for rel in ui_rels:
        rel_id = re.search(r'Id="([^"]+)"', rel).group(1)
        if rel_id in saved_rels:
            rel = rel.replace(f'Id="{rel_id}"', f'Id="{rel_id}ui"')
        saved_rels = saved_rels.replace("</Relationships>", rel + "</Relationships>")
    members["_rels/.rels"] = saved_rels.encode("utf-8")
    members.update(ui_parts)
    tmp = saved.with_suffix(saved.suffix + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            info = infos.get(name)
            zinfo = zipfile.ZipInfo(name, date_time=info.date_time if info else (1980, 1, 1, 0, 0, 0))
            zinfo.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(zinfo, data)
    tmp.replace(saved)
