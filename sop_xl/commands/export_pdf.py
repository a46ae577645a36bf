"""`sop-xl export-pdf`: the meeting's one page (the Dashboard's KPIs and the four charts that matter) as a
PDF, through LibreOffice. The workbook is not changed.

Without LibreOffice the stage ends with one warning (PDF_ENGINE_MISSING) saying how to get the page:
install LibreOffice, or use the ribbon's Export PDF in Excel (Excel's own export of the same layout).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from ..contract.executive import DASHBOARD, DASHBOARD_DATA
from ..io.pdf import ENGINE_HINT, MEETING_CHARTS, PdfEngineMissing, PdfExportError, meeting_pdf_layout
from ..io.protocol import WorkbookAdapter
from ..io.tables import read_settings
from ..issues import InputError, IssueLog
from ..progress import SILENT, Progress
from .base import StageResult
from .review_inputs import optional_table, stage_missing

PDF_ENGINE_MISSING = "pdf_engine_missing"


def run_export_pdf(book: WorkbookAdapter, *, progress: Progress = SILENT, out: str | Path | None = None
                   ) -> StageResult:
    """The meeting page as a PDF next to the workbook (or at `out`)."""
    from ..io.file import FileWorkbook
    from ..io.pdf import convert_to_pdf, count_pages, print_ready

    log = IssueLog()
    settings = read_settings(book, log)
    pt = settings.period_type
    kpis = optional_table(book, DASHBOARD, log, pt, "kpi")
    data = optional_table(book, DASHBOARD_DATA, log, pt, "chart")
    if kpis is None:
        stage_missing(log, DASHBOARD.name, "dashboard", "there is nothing to print", error=True)
        raise InputError(list(log))
    out = _target(book, out, log)
    progress.start("PDF", 3)
    layout = meeting_pdf_layout(len(kpis), dashboard=DASHBOARD.name, data_sheet=DASHBOARD_DATA.name,
                                header_row=DASHBOARD.header_row, title=_title(settings),
                                subtitle=f"Status against target: on track, watch, off track. Printed "
                                         f"{pd.Timestamp.now():%Y-%m-%d %H:%M} from "
                                         f"{getattr(book, 'name', 'the workbook')}.")
    data = meeting_charts_data(data if data is not None else pd.DataFrame(columns=DASHBOARD_DATA.column_names()))
    with tempfile.TemporaryDirectory(prefix="sop_xl-meeting-") as tmp:
        pack = Path(tmp) / f"{out.stem}.xlsx"
        _write_pack(FileWorkbook(pack, create=True, backup=False), kpis, data, layout, pt)
        progress.advance()
        print_ready(pack, layout)
        progress.advance()
        try:
            convert_to_pdf(pack, out)
        except PdfEngineMissing:
            progress.finish()
            log.warning(PDF_ENGINE_MISSING, "No PDF made: LibreOffice is not installed on this machine.",
                        f"To get the meeting PDF, {ENGINE_HINT}.", sheet=DASHBOARD.name)
            # said once, in one line (the console leaves this warning out of its table)
            return StageResult(stage="export-pdf", issues=list(log), data={"pdf_engine_missing": True},
                               summary=[_engine_missing_line(book)])
        except PdfExportError as exc:
            progress.finish()
            log.error("export_pdf_failed", str(exc), f"To get the meeting PDF, {ENGINE_HINT}.", sheet=DASHBOARD.name)
            raise InputError(list(log)) from None
    progress.finish()
    pages = count_pages(out)
    return StageResult(stage="export-pdf", summary=[f"export-pdf: {out} ({pages} page(s): {DASHBOARD.name})"],
                       issues=list(log), data={"pdf": out, "pages": pages})


def _target(book: WorkbookAdapter, out: str | Path | None, log: IssueLog) -> Path:
    if out is not None:
        return Path(out)
    path = getattr(book, "path", None)
    if path is None:
        log.error("export_no_target", "Where should the PDF go?", "Pass --pdf OUT.pdf.")
        raise InputError(list(log))
    return Path(path).with_suffix(".pdf")


def _title(settings) -> str:
    first = settings.get("first_forecast_period")
    cycle = settings.get("cycle") or (f"{first:%Y-%m}" if first is not None else "")
    return " ".join(str(x) for x in (settings.get("company"), "S&OP", cycle) if x).strip()


def meeting_charts_data(data: pd.DataFrame) -> pd.DataFrame:
    """The DashboardData blocks of the four charts that matter, in print order: demand of all families
    (actuals, statistical, consensus, plan), the busiest resource, inventory, scenarios. When a block is
    missing, the next demand or capacity block takes its place."""
    data = data.reset_index(drop=True)
    data["group"] = data["group"].fillna("").astype(str)  # a blank cell reads back as missing
    blocks = list(dict.fromkeys(zip(data["chart"], data["group"])))
    first = {}
    for chart, group in blocks:
        first.setdefault(chart, (chart, group))
    wanted = [first[c] for c in ("demand", "capacity", "inventory", "scenarios") if c in first]
    wanted += [b for b in blocks if b not in wanted][:MEETING_CHARTS - len(wanted)]
    order = sorted(wanted[:MEETING_CHARTS], key=lambda b: ["demand", "capacity", "inventory", "scenarios"].index(b[0]))
    parts = [data[(data["chart"] == c) & (data["group"] == g)] for c, g in order]
    return pd.concat(parts, ignore_index=True) if parts else data.iloc[0:0]


def _write_pack(temp, kpis: pd.DataFrame, data: pd.DataFrame, layout, pt: str) -> None:
    """The print copy: the KPI table with the four charts at the layout's anchors, their data hidden."""
    from ..executive.charts import dashboard_charts
    temp.write_table(DASHBOARD_DATA, data, period_type=pt)
    charts = dashboard_charts(data, anchors=layout.chart_anchors, width_cm=layout.chart_width_cm,
                              height_cm=layout.chart_height_cm)
    temp.write_table(DASHBOARD, kpis.reset_index(drop=True), period_type=pt, charts=charts)
    temp.save()


def _engine_missing_line(book: WorkbookAdapter) -> str:
    """The one console line when no PDF engine is installed: what to install, then what to run."""
    path = getattr(book, "path", None)
    again = f", then run `sop-xl export-pdf {path}`" if path else ""
    install, _, excel = ENGINE_HINT.partition(", or ")
    return f"export-pdf: meeting PDF not made, LibreOffice is not installed. To get it, {install}{again}, or {excel}."


__all__ = ["PDF_ENGINE_MISSING", "meeting_charts_data", "run_export_pdf"]
