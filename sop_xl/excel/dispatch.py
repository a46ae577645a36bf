"""The one Python entry point of the ribbon: `on_action(control_id)`.

Every S&OP button calls the same VBA callback, which runs
`import sop_xl.excel.dispatch as d; d.on_action('<button id>')` through xlwings' RunPython.
Here the button id becomes a stage name, and the stage runs through `execute`, exactly as
`sop-xl <stage> workbook.xlsx` runs it, but against the open workbook. Adding a stage to
`sop_xl.commands.base.STAGES` makes its button work; until then the button says the stage
is not available yet. Nothing here raises into Excel: every outcome is a message box.
"""

from __future__ import annotations

import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from ..issues import InputError, Severity, SopError


@dataclass(frozen=True)
class Button:
    id: str          # the customUI control id (what VBA passes on)
    stage: str       # the stage name in sop_xl.commands.base.STAGES
    label: str
    group: str
    image: str       # Office's built-in imageMso icon
    screentip: str
    supertip: str


# The ribbon, declared once: macros/customUI14.xml is generated from this list
# (`sop_xl.excel.ribbon`), and tests cross-check both against the VBA callback.
BUTTONS: tuple[Button, ...] = (
    Button("sop_validate", "validate", "Validate", "Data", "DataValidation",
           "Check every input sheet",
           "Reads all input sheets and lists each problem with its cell on the Issues sheet. Changes nothing else."),
    Button("sop_forecast", "forecast", "Forecast", "Demand", "ChartTrendline",
           "Statistical demand forecast",
           "Picks a method per SKU by back-testing, writes forecasts with intervals to the forecast sheets."),
    Button("sop_accuracy", "accuracy", "Accuracy", "Demand", "ErrorChecking",
           "Forecast accuracy",
           "Compares past forecasts with actual sales (WAPE, bias, MASE) per SKU and family."),
    Button("sop_send_review", "send-review", "Send for review", "Consensus", "FileSendAsAttachment",
           "Send the forecast for review",
           "Writes one review workbook per department into the folder 'reviews' beside this workbook, "
           "with the numbers each may change."),
    Button("sop_merge", "merge", "Merge returns", "Consensus", "ReviewCompareTwoVersions",
           "Merge returned reviews",
           "Reads the review workbooks saved back into 'reviews\\returned' beside this workbook, merges accepted "
           "overrides into the consensus forecast, and lists rejected ones with the reason."),
    Button("sop_roughcut", "roughcut", "Rough-cut", "Supply", "ChartTypeColumnInsertGallery",
           "Rough-cut capacity check",
           "Load versus capacity per resource and period from the forecast and the routings; flags overloads."),
    Button("sop_plan", "plan", "Plan", "Supply", "CalculateNow",
           "Capacity-constrained supply plan",
           "Solves the production and inventory plan within capacity, workforce and inventory limits."),
    Button("sop_close_cycle", "close-cycle", "Close cycle", "Consensus", "Lock",
           "Close the month's cycle",
           "Keeps a snapshot of the agreed plan on the Versions sheet and reports what changed since last month "
           "and how much each override added to accuracy."),
    Button("sop_financials", "financials", "Financials", "Finance", "DollarSign",
           "Financial view of the plan",
           "Revenue, cost and margin of the plan per month, against the budget."),
    Button("sop_scenarios", "scenarios", "Scenarios", "Executive", "PivotChart",
           "Compare scenarios",
           "Runs the plan for each scenario row and compares service, cost and inventory side by side."),
    Button("sop_dashboard", "dashboard", "Dashboard", "Executive", "ChartInsert",
           "Executive dashboard",
           "One page with the key figures and charts for the executive S&OP meeting."),
    Button("sop_export_pdf", "export-pdf", "Export PDF", "Executive", "FileSaveAsPdfOrXps",
           "Export the meeting pack as PDF",
           "Saves the meeting page (the Dashboard's KPIs and charts) as a PDF beside the workbook, with Excel's "
           "own PDF export."),
    Button("sop_check_setup", "check-setup", "Check setup", "Help", "Help",
           "Check the setup",
           "Checks Python, sop_xl and xlwings versions, the worksheet functions, the PDF export and write access "
           "to this workbook's folder, and says what to fix for each. Changes nothing."),
)

GROUPS: tuple[str, ...] = ("Data", "Demand", "Consensus", "Supply", "Finance", "Executive", "Help")
# buttons the dispatcher answers itself instead of running a CLI stage
LOCAL_ACTIONS: tuple[str, ...] = ("check-setup", "export-pdf")
BY_ID: dict[str, Button] = {b.id: b for b in BUTTONS}
TITLE = "sop_xl"
ERROR_LOG = Path(tempfile.gettempdir()) / "sop_xl-error.log"


class UI(Protocol):
    def alert(self, message: str, *, title: str = TITLE, critical: bool = False) -> None: ...
    def status(self, text: str | None) -> None: ...


class ExcelUI:
    """Message boxes and the status bar of the Excel application running the workbook."""

    def __init__(self, app: Any):
        self.app = app

    def alert(self, message: str, *, title: str = TITLE, critical: bool = False) -> None:
        self.app.alert(message, title=title, mode="critical" if critical else "info")

    def status(self, text: str | None) -> None:
        try:
            self.app.status_bar = text if text else False  # False gives the bar back to Excel
        except Exception:  # a status bar is a nicety; never fail a run over it
            pass


class StatusBarProgress:
    """The `Progress` protocol on Excel's status bar ("sop_xl: forecasting 12/40")."""

    def __init__(self, ui: UI, prefix: str = "sop_xl"):
        self.ui, self.prefix = ui, prefix
        self._description, self._total, self._done, self._shown = "", 0, 0, -1

    def start(self, description: str, total: int) -> None:
        self._description, self._total, self._done, self._shown = description, max(total, 1), 0, -1
        self._show()

    def advance(self, n: int = 1) -> None:
        self._done = min(self._total, self._done + n)
        self._show()

    def finish(self) -> None:
        self.ui.status(None)

    note_every = 2.0
    notes_from_threads = False   # Excel's COM objects belong to the thread running the stage

    def note(self, text: str) -> None:
        """What a long step is doing, after its count ("sop_xl: Supply plan 2/4 - solver: 12 s, gap 1.20 %")."""
        self.ui.status(f"{self.prefix}: {self._description} {self._done}/{self._total} - {text}")

    def _show(self) -> None:
        percent = int(100 * self._done / self._total) if self._total else 0
        if percent // 5 != self._shown // 5 or self._done == self._total:  # at most ~20 updates per task
            self._shown = percent
            self.ui.status(f"{self.prefix}: {self._description} {self._done}/{self._total}")


def on_action(control_id: str, vba_xlwings_version: str | None = None, *, book: Any = None, ui: UI | None = None,
              adapter_factory: Callable[[Any], Any] | None = None) -> str:
    """Run the button's stage on the workbook that called; returns the message shown.

    `vba_xlwings_version` is the XLWINGS_VERSION constant of the workbook's xlwings VBA module
    (macros/SopRibbon.bas passes it), so a workbook built for another xlwings is named at once.
    `book`, `ui` and `adapter_factory` are for tests; from Excel only the id (and the version)
    are given and the calling workbook comes from `xlwings.Book.caller()`.
    """
    if book is None:
        import xlwings as xw
        book = xw.Book.caller()
    ui = ui or ExcelUI(book.app)
    button = BY_ID.get(control_id)
    if button is None:
        message = (f"The button '{control_id}' is not known to this version of sop_xl. Rebuild the workbook "
                   "from the current template (sop-xl build-template), or update sop_xl.")
        ui.alert(message, critical=True)
        return message
    if adapter_factory is None:
        from .adapter import XlwingsWorkbook
        adapter_factory = XlwingsWorkbook
    adapter = None
    try:
        adapter = adapter_factory(book)
        if button.stage == "check-setup":
            message, critical = check_setup(book, adapter, vba_xlwings_version), False
        else:
            from ..io.lock import WorkbookBusy, workbook_lock
            try:
                with workbook_lock(_lock_key(adapter), wait=LOCK_WAIT):
                    message, critical = run_button(button, adapter, ui, book=book)
            except WorkbookBusy as busy:
                message, critical = f"{button.label} did not start. {busy}", False
            note = version_note(vba_xlwings_version)
            if note:
                message = f"{message}\n\n{note}"
    except Exception:  # a bug: one message box, details in a file, never a traceback in Excel
        ERROR_LOG.write_text(traceback.format_exc(), encoding="utf-8")
        if adapter is not None and getattr(adapter, "touched", False):
            state = ("Some results were already written to the open workbook: close it without saving to go back "
                     "to the last saved version.")
        else:
            state = "The workbook was not changed."
        message = (f"{button.label} stopped because of an internal error in sop_xl. {state} "
                   f"Details for a bug report are in {ERROR_LOG}.")
        critical = True
    finally:
        ui.status(None)
    ui.alert(message, title=f"{TITLE} - {button.label}", critical=critical)
    if critical:
        _show_issues(book)
    return message


# a second click while a run holds the workbook is told at once (the Mac runs RunPython in the background)
LOCK_WAIT = 0.0


def _lock_key(adapter: Any) -> str:
    """The path sop_xl.io.lock locks (its lock file goes beside it): the workbook itself when its
    folder exists and is writable; else (never saved, OneDrive URL, read-only share) a name in
    the temporary folder, unique per workbook."""
    import hashlib
    import os
    path = str(getattr(adapter, "path", "") or getattr(adapter, "name", "workbook"))
    folder = Path(path).parent
    if Path(path).is_absolute() and folder.is_dir() and os.access(folder, os.W_OK):
        return path
    digest = hashlib.sha1(path.encode("utf-8")).hexdigest()[:12]
    return str(Path(tempfile.gettempdir()) / f"{digest}-{Path(path).name}")


def version_note(vba_xlwings_version: str | None) -> str:
    """A line when the workbook's xlwings VBA module and the installed xlwings differ (the VBA
    names its DLL and AppleScript by version, xlwings.bas:44-66 and 206)."""
    if not vba_xlwings_version:
        return ""
    import xlwings
    if xlwings.__version__ == vba_xlwings_version:
        return ""
    return (f"Note: this workbook's macros were made for xlwings {vba_xlwings_version}, but Python has xlwings "
            f"{xlwings.__version__}. The worksheet functions (and on a Mac the buttons) need the same version: "
            f"pip install xlwings=={vba_xlwings_version}, or take a new workbook_template.xlsm.")


def check_setup(book: Any, adapter: Any, vba_xlwings_version: str | None) -> str:
    """The Check setup button: sop_xl.excel.doctor's checks as seen from inside Excel."""
    from . import doctor
    conf = None
    try:
        conf = next(({str(k).upper(): v for k, v in _conf_rows(s)} for s in book.sheets
                     if s.name.lower() == "xlwings.conf"), None)
    except Exception:
        pass
    path = getattr(adapter, "path", None)
    checks = doctor.run_checks(path if path and Path(path).is_absolute() else None,
                               vba_xlwings_version=vba_xlwings_version, in_excel=True,
                               path_problem=getattr(adapter, "path_problem", None), conf=conf)
    if not path or not Path(path).is_absolute():
        checks = [c if c.name != "Workbook folder" else doctor.Check(
            c.name, doctor.WARNING, "the workbook was never saved",
            "File > Save As first: review copies and the PDF go beside the workbook.") for c in checks]
    return doctor.report(checks)


def _conf_rows(sheet: Any) -> list[tuple[Any, Any]]:
    rows = []
    for key, value in sheet.range((1, 1), (max(sheet.used_range.last_cell.row, 1), 2)).options(ndim=2).value:
        if key in (None, ""):
            break  # xlwings.bas reads A1 down to the first blank key (GetConfigFromSheet)
        rows.append((key, value))
    return rows


def stage_name(button: Button) -> str:
    """The STAGES key of a button ("send-review" and "send_review" are the same stage)."""
    from ..commands.base import STAGES
    wanted = button.stage.replace("_", "-")
    return next((name for name in STAGES if name.replace("_", "-") == wanted), button.stage)


def review_folders(book_path: str) -> tuple[Path, Path]:
    """Where Send for review writes the copies, and where Merge returns finds them back."""
    out = Path(book_path).parent / "reviews"
    return out, out / "returned"


def stage_options(button: Button, book_path: str) -> dict[str, Any]:
    """Arguments a button's stage needs that the CLI takes from its command line."""
    stage = stage_name(button).replace("_", "-")
    if stage not in FILES_BESIDE_THE_WORKBOOK:
        return {}
    if not Path(book_path).parent.is_dir() or not Path(book_path).is_absolute():
        raise NeedsSavedWorkbook()
    out, returned = review_folders(book_path)
    return {"send-review": {"to_dir": out}, "merge": {"returns": [returned]}}.get(stage, {})


# stages that write or read files next to the workbook (the PDF goes beside it as <name>.pdf)
FILES_BESIDE_THE_WORKBOOK = ("send-review", "merge", "export-pdf")


class NeedsSavedWorkbook(Exception):
    pass


def run_button(button: Button, adapter: Any, ui: UI, *, book: Any = None) -> tuple[str, bool]:
    """(message, critical) for a button press; the stage runs through `execute` like the CLI."""
    from ..commands.base import StageUnavailable, execute, stage_function
    stage = stage_name(button)
    if button.stage not in LOCAL_ACTIONS:
        try:
            stage_function(stage)
        except StageUnavailable:
            return (f"{button.label} is not available in this version of sop_xl yet. "
                    "Nothing was changed. Other buttons work as usual."), False
    if button.stage.replace("_", "-") in FILES_BESIDE_THE_WORKBOOK and getattr(adapter, "path_problem", None):
        return f"{button.label} needs the workbook's folder. {adapter.path_problem}", False
    try:
        options = stage_options(button, str(getattr(adapter, "path", "")))
    except NeedsSavedWorkbook:
        return (f"{button.label} works with files beside this workbook: save the workbook first "
                "(File > Save As), then press the button again."), False
    ui.status(f"sop_xl: {button.label.lower()}...")
    if button.stage == "export-pdf":
        return export_pdf_with_excel(book, adapter)
    try:
        results = execute(adapter, [stage], progress=StatusBarProgress(ui), options={stage: options})
    except InputError as err:
        return _problems_message(button, err.issues), True
    except SopError as err:
        return f"{button.label} could not run: {err}", True
    issues = [i for r in results for i in r.issues]
    if any(r.status == "failed" for r in results):
        return _problems_message(button, issues), True
    lines = [line for r in results for line in r.summary]
    warnings = sum(1 for i in issues if i.severity is Severity.WARNING)
    if warnings:
        lines.append(f"{warnings} warning(s): see the Issues sheet.")
    lines.append("The workbook is not saved yet: save it when you are happy with the results.")
    return "\n".join(lines), False


def meeting_layout(book: Any, adapter: Any):
    """The meeting page's layout (`sop_xl.io.pdf.meeting_pdf_layout`, the one the command line
    prints), for the Dashboard as it is in the open workbook; None without a Dashboard."""
    from ..contract.executive import DASHBOARD, DASHBOARD_DATA
    from ..io.pdf import meeting_pdf_layout
    names = {s.name.lower(): s.name for s in book.sheets}
    if DASHBOARD.name.lower() not in names:
        return None
    grid = adapter.read_grid(names[DASHBOARD.name.lower()])
    kpi_rows = max(0, len(grid) - DASHBOARD.header_row)
    return meeting_pdf_layout(kpi_rows, dashboard=names[DASHBOARD.name.lower()], data_sheet=DASHBOARD_DATA.name,
                              header_row=DASHBOARD.header_row)


def _page_setup(sheet: Any, layout: Any) -> None:
    """Landscape, fitted to one page, as the layout says. xlwings has no cross-platform API for these
    (only `page_setup.print_area`), so this goes through the Windows COM object `sheet.api.PageSetup`;
    on a Mac (or a stand-in without `api`) Excel's own page setup of the sheet is used."""
    try:
        setup = sheet.api.PageSetup
        setup.Orientation = 2 if layout.orientation == "landscape" else 1  # xlLandscape / xlPortrait
        setup.Zoom = False
        setup.FitToPagesWide = layout.fit_pages_wide
        setup.FitToPagesTall = layout.fit_pages_tall
    except Exception:
        pass


def export_pdf_with_excel(book: Any, adapter: Any) -> tuple[str, bool]:
    """Export PDF inside Excel: Excel's own PDF export (`Book.to_pdf(path, include=[...])`,
    xlwings/utils.py:641-700, Windows and macOS) of the meeting layout's sheets, beside the workbook
    as <name>.pdf. No LibreOffice needed."""
    from ..commands.base import StageResult, append_run_log
    layout = meeting_layout(book, adapter)
    if layout is None:
        return ("Export PDF needs the Dashboard sheet: press Dashboard (Executive group) first, "
                "then Export PDF."), False
    sheets = list(layout.sheets)
    for name in sheets:
        _page_setup(book.sheets[name], layout)
    target = Path(adapter.path).with_suffix(".pdf")
    try:
        book.to_pdf(str(target), include=sheets)
    except Exception as exc:  # Excel's export failed: most often the PDF is open in a viewer
        return (f"Excel could not save {target.name} ({exc}). If that PDF is open in a viewer, close it; "
                f"check that you may write to {target.parent}; then press Export PDF again."), True
    append_run_log(adapter, [StageResult(stage="export-pdf", summary=[f"export-pdf: {target} ({', '.join(sheets)})"])])
    adapter.save()
    return (f"Saved {target} ({' and '.join(sheets)}) with Excel's PDF export.\n"
            "The workbook is not saved yet: save it when you are happy with the results."), False


def _problems_message(button: Button, issues: list) -> str:
    errors = [i for i in issues if i.severity is Severity.ERROR]
    lines = [f"{button.label} found {len(errors)} problem(s) to fix; no results were written."]
    for issue in errors[:5]:
        lines.append(f"- {issue.location()}: {issue.message}")
    if len(errors) > 5:
        lines.append(f"... and {len(errors) - 5} more.")
    lines.append("The Issues sheet lists every problem with the cell to change and how to fix it.")
    return "\n".join(lines)


def _show_issues(book: Any) -> None:
    try:
        for sheet in book.sheets:
            if sheet.name.lower() == "issues":
                sheet.activate()
    except Exception:
        pass
