"""Ribbon buttons -> one dispatcher -> the same `execute` the CLI uses, with message boxes."""

from __future__ import annotations

import re

import pytest

from sop_xl.commands.base import STAGES, available_stages
from sop_xl.commands.demo import write_demo_inputs
from sop_xl.demo import make_demo
from sop_xl.excel import dispatch
from sop_xl.excel.adapter import XlwingsWorkbook
from sop_xl.excel.dispatch import (BUTTONS, BY_ID, StatusBarProgress, on_action, review_folders, stage_name,
                                   stage_options)

from .fake_xlwings import FakeBook


class RecordingUI:
    def __init__(self):
        self.alerts, self.statuses = [], []

    def alert(self, message, *, title="sop_xl", critical=False):
        self.alerts.append((title, message, critical))

    def status(self, text):
        self.statuses.append(text)


@pytest.fixture
def demo_book():
    fake = FakeBook("plan.xlsm")
    book = XlwingsWorkbook(fake)
    write_demo_inputs(book, make_demo(7))
    book.save()
    return fake


def test_validate_button_runs_the_stage_on_the_open_workbook(demo_book):
    ui = RecordingUI()
    message = on_action("sop_validate", book=demo_book, ui=ui)
    assert "validate:" in message and "not saved yet" in message
    assert ui.alerts == [("sop_xl - Validate", message, False)]
    assert "Issues" in demo_book.sheets and "RunLog" in demo_book.sheets
    run_log = demo_book.sheets["RunLog"].grid()
    assert run_log[-1][1:3] == ["validate", "ok"]
    assert ui.statuses[-1] is None and demo_book.saves == 0


def test_every_cli_stage_has_a_button_and_ids_are_unique():
    assert {stage_name(b) for b in BUTTONS} >= set(STAGES)
    assert len({b.id for b in BUTTONS}) == len(BUTTONS)
    assert [b.stage for b in BUTTONS][:2] == ["validate", "forecast"]


def test_buttons_of_stages_not_built_yet_say_so_and_change_nothing(demo_book, monkeypatch):
    from sop_xl.commands import base
    button = next(b for b in BUTTONS if stage_name(b) == "accuracy")
    # as in a version of sop_xl whose accuracy stage is not built
    monkeypatch.setitem(base.STAGES, "accuracy", "sop_xl.commands.not_built_yet:run_accuracy")
    assert "accuracy" not in available_stages()
    before = {s.name: dict(s.cells) for s in demo_book.sheets}
    ui = RecordingUI()
    message = on_action(button.id, book=demo_book, ui=ui)
    assert "not available in this version" in message and button.label in message
    assert ui.alerts[0][2] is False
    assert {s.name: dict(s.cells) for s in demo_book.sheets} == before


def test_problems_in_the_inputs_give_one_message_with_cells_and_open_the_issues_sheet(demo_book):
    items = demo_book.sheets["Items"]
    header = items.grid()[2]
    col = header.index("Price") + 1 if "Price" in header else len(header)
    items.range((4, col)).value = "'not a number"
    ui = RecordingUI()
    message = on_action("sop_validate", book=demo_book, ui=ui)
    assert ui.alerts[0][2] is True
    assert "problem(s) to fix" in message and "Items!" in message
    assert demo_book.sheets["Issues"].activated == 1
    assert any(row[0] == "error" for row in demo_book.sheets["Issues"].grid()[3:])


def test_unknown_button_and_internal_errors_are_message_boxes_not_tracebacks(demo_book, tmp_path, monkeypatch):
    ui = RecordingUI()
    assert "not known" in on_action("sop_nonsense", book=demo_book, ui=ui)
    monkeypatch.setattr(dispatch, "ERROR_LOG", tmp_path / "err.log")

    def broken(book):
        raise RuntimeError("boom")

    message = on_action("sop_validate", book=demo_book, ui=ui, adapter_factory=broken)
    assert "internal error" in message and str(tmp_path / "err.log") in message
    assert "RuntimeError: boom" in (tmp_path / "err.log").read_text()
    assert ui.alerts[-1][2] is True


def test_excel_ui_uses_app_alert_and_gives_the_status_bar_back(demo_book):
    message = on_action("sop_validate", book=demo_book)  # default UI: the book's app
    app = demo_book.app
    assert app.alerts[-1]["prompt"] == message and app.alerts[-1]["mode"] == "info"
    assert app.status_bar is False
    assert any(isinstance(s, str) and s.startswith("sop_xl:") for s in app.status_history)


def test_status_bar_progress_updates_at_most_about_twenty_times():
    ui = RecordingUI()
    progress = StatusBarProgress(ui)
    progress.start("forecasting", 400)
    for _ in range(400):
        progress.advance()
    progress.finish()
    assert 20 <= len(ui.statuses) <= 23
    assert ui.statuses[-2] == "sop_xl: forecasting 400/400" and ui.statuses[-1] is None


def test_status_bar_shows_solver_notes_from_the_solving_thread_only():
    """A long solve in Excel: the bound and gap follow the stage's count on the status bar; the clock thread
    that times a linear plan never touches Excel (its COM objects belong to the thread running the stage)."""
    import time

    from sop_xl.plan.solver_progress import watch
    from sop_xl.progress import notes_to

    ui = RecordingUI()
    progress = StatusBarProgress(ui)
    progress.start("Supply plan", 4)
    progress.advance(2)
    progress.note("solver: 12 s, best plan 1,000, bound 990, gap 1.00 %")
    assert ui.statuses[-1] == "sop_xl: Supply plan 2/4 - solver: 12 s, best plan 1,000, bound 990, gap 1.00 %"
    shown = len(ui.statuses)
    progress.note_every = 0.05
    with notes_to(progress), watch(object()):   # no MIP callback: only the clock thread would speak
        time.sleep(0.3)
    assert len(ui.statuses) == shown


def test_review_buttons_use_folders_beside_the_saved_workbook(tmp_path):
    book_path = str(tmp_path / "plan.xlsm")
    out, returned = review_folders(book_path)
    assert stage_options(BY_ID["sop_send_review"], book_path) == {"to_dir": out}
    assert stage_options(BY_ID["sop_merge"], book_path) == {"returns": [returned]}
    assert out == tmp_path / "reviews" and returned == tmp_path / "reviews" / "returned"
    assert stage_options(BY_ID["sop_forecast"], book_path) == {}
    assert stage_options(BY_ID["sop_export_pdf"], book_path) == {}
    with pytest.raises(dispatch.NeedsSavedWorkbook):
        stage_options(BY_ID["sop_export_pdf"], "Book1")  # never saved: no folder to put the PDF in


@pytest.mark.skipif("send-review" not in available_stages(), reason="consensus stage not in this version")
def test_review_button_on_a_never_saved_workbook_asks_to_save_first(demo_book):
    demo_book.fullname = "Book1"  # what Excel reports before the first save
    ui = RecordingUI()
    message = on_action("sop_send_review", book=demo_book, ui=ui)
    assert "save the workbook first" in message and ui.alerts[0][2] is False


def test_the_excel_guide_explains_every_button_and_function():
    from pathlib import Path
    guide = (Path(__file__).resolve().parents[2] / "docs" / "excel.md").read_text(encoding="utf-8")
    for b in BUTTONS:
        assert f"**{b.label}**" in guide, b.label
    for name in ("SOP_FORECAST(", "SOP_FORECAST_ETS(", "SOP_FORECAST_ETS_CONFINT(", "SOP_FORECAST_ETS_SEASONALITY(",
                 "SOP_FORECAST_ETS_STAT(", "SOP_ACCURACY(", "SOP_SAFETY_STOCK(", "SOP_ROUGHCUT_LOAD("):
        assert name in guide, name


def test_pressing_every_available_button_in_cycle_order_runs_the_whole_cycle(demo_book, tmp_path):
    import shutil as _shutil
    demo_book.fullname = str(tmp_path / "plan.xlsm")  # a saved workbook: review files go beside it
    available = set(available_stages())
    if not _shutil.which("soffice"):
        available.discard("export-pdf")
    order = ["sop_validate", "sop_forecast", "sop_roughcut", "sop_plan", "sop_send_review", "sop_merge",
             "sop_close_cycle", "sop_scenarios", "sop_financials", "sop_dashboard", "sop_export_pdf"]
    pressed = []
    for button_id in order:
        button = BY_ID[button_id]
        if stage_name(button) not in available:
            continue
        if button_id == "sop_merge":  # reviewers send their copies back unchanged
            out, returned = review_folders(demo_book.fullname)
            returned.mkdir(parents=True, exist_ok=True)
            for copy in out.glob("*.xlsx"):
                _shutil.copy(copy, returned / copy.name)
        ui = RecordingUI()
        message = on_action(button_id, book=demo_book, ui=ui)
        assert ui.alerts[0][2] is False, (button_id, message)
        assert "not available" not in message
        if button_id in ("sop_plan", "sop_scenarios"):  # long runs count their steps in the status bar
            assert any(re.fullmatch(r"sop_xl: .+ \d+/\d+", s or "") for s in ui.statuses), ui.statuses
        assert ui.statuses[-1] is None  # the bar is given back to Excel
        pressed.append(button_id)
    assert pressed[:2] == ["sop_validate", "sop_forecast"]
    run_log = [row[1] for row in demo_book.sheets["RunLog"].grid()[3:]]
    assert run_log == [stage_name(BY_ID[b]) for b in pressed]
    assert demo_book.saves == 0


# ---------------------------------------------------------------- what a real Excel user hits (issue 15)

def test_a_onedrive_workbook_without_a_synced_copy_gets_a_message_not_an_internal_error(demo_book):
    """xlwings' Book.fullname maps an https FullName (AutoSave on OneDrive/SharePoint) to a local path
    and raises XlwingsError when there is none (_xlwindows.py:914-924, utils.py:489-615; the stand-in
    calls the real utils function). Stages that need no folder run; those that do say why."""
    import xlwings
    demo_book.full_name = "https://d.docs.live.net/0123456789abcdef/Planning/plan.xlsm"
    with pytest.raises(xlwings.XlwingsError):
        demo_book.fullname
    ui = RecordingUI()
    message = on_action("sop_validate", book=demo_book, ui=ui)
    assert "internal error" not in message and ui.alerts[0][2] is False
    message = on_action("sop_export_pdf", book=demo_book, ui=RecordingUI())
    assert "OneDrive" in message and "synced" in message and "internal error" not in message


def test_a_failed_save_leaves_no_new_sheet_behind(demo_book):
    """Issue 15 item 5: with tblRunLog moved one row, Forecast reported that it could not run yet the
    Forecast sheet had been created. Every staged table's place is checked before the first write."""
    on_action("sop_validate", book=demo_book, ui=RecordingUI())  # creates RunLog
    run_log = demo_book.sheets["RunLog"]
    table = run_log.tables["tblRunLog"]
    table.range = run_log.range((table.range.row + 1, 1), (table.range.last_cell.row + 1,
                                                           table.range.last_cell.column))
    before = [s.name for s in demo_book.sheets]
    ui = RecordingUI()
    message = on_action("sop_forecast", book=demo_book, ui=ui)
    assert "could not run" in message and "tblRunLog" in message and ui.alerts[0][2] is True
    assert [s.name for s in demo_book.sheets] == before  # no Forecast sheet


def test_an_error_after_tables_were_written_does_not_claim_the_workbook_is_unchanged(demo_book, tmp_path,
                                                                                     monkeypatch):
    from sop_xl.excel import adapter as adapter_module
    monkeypatch.setattr(dispatch, "ERROR_LOG", tmp_path / "err.log")

    def broken_charts(*args, **kwargs):
        raise RuntimeError("chart engine failed")

    monkeypatch.setattr(adapter_module, "_draw_charts", broken_charts)
    message = on_action("sop_validate", book=demo_book, ui=RecordingUI())
    assert "internal error" in message
    assert "was not changed" not in message and "close it without saving" in message


def test_a_second_click_while_a_run_holds_the_workbook_is_told_at_once(demo_book, tmp_path):
    """One run at a time per workbook: on a Mac RunPython returns at once and the run goes on in its
    own Python process in the background (xlwings.bas:147-149, AppleScriptTask), so a second click
    starts a second process. Here another process holds sop_xl's lock (sop_xl.io.lock)."""
    import subprocess
    import sys
    demo_book.fullname = str(tmp_path / "plan.xlsm")
    key = dispatch._lock_key(XlwingsWorkbook(demo_book))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from sop_xl.io.lock import workbook_lock\n"
                               f"with workbook_lock({key!r}, wait=0):\n"
                               "    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = {s.name: dict(s.cells) for s in demo_book.sheets}
        ui = RecordingUI()
        message = on_action("sop_validate", book=demo_book, ui=ui)
        assert "did not start" in message and "busy" in message and ui.alerts[0][2] is False
        assert {s.name: dict(s.cells) for s in demo_book.sheets} == before
    finally:
        holder.kill()
        holder.wait()
    assert "validate:" in on_action("sop_validate", book=demo_book, ui=RecordingUI())  # free again


def test_a_workbook_made_for_another_xlwings_is_named_in_the_message(demo_book):
    """The VBA names its DLL and AppleScript by version (xlwings.bas:44-66, 206): OnAction passes
    XLWINGS_VERSION along and a mismatch is explained with the fix."""
    import xlwings
    message = on_action("sop_validate", "0.30.0", book=demo_book, ui=RecordingUI())
    assert "xlwings 0.30.0" in message and f"xlwings {xlwings.__version__}" in message
    assert "pip install xlwings==0.30.0" in message
    assert "made for xlwings" not in on_action("sop_validate", xlwings.__version__, book=demo_book,
                                               ui=RecordingUI())


def test_export_pdf_in_excel_uses_excels_own_export_of_the_meeting_sheets(demo_book, tmp_path):
    """Inside Excel the PDF comes from Excel (Book.to_pdf, xlwings/utils.py:641-700, whose `include`
    matches sheet names exactly, line 680) with the sheets of the meeting layout the command line
    prints (sop_xl.io.pdf.meeting_pdf_layout): no LibreOffice on the planner's PC."""
    from sop_xl.io.pdf import meeting_pdf_layout
    demo_book.fullname = str(tmp_path / "plan.xlsm")
    message = on_action("sop_export_pdf", book=demo_book, ui=RecordingUI())
    assert "press Dashboard" in message and not demo_book.pdf_exports
    for name in ("Dashboard", "ActionPlan"):
        demo_book.sheets.add(name, after=list(demo_book.sheets)[-1])
    ui = RecordingUI()
    message = on_action("sop_export_pdf", book=demo_book, ui=ui)
    assert ui.alerts[0][2] is False, message
    [export] = demo_book.pdf_exports
    assert export["sheets"] == list(meeting_pdf_layout(0).sheets) and export["path"] == str(tmp_path / "plan.pdf")
    assert (tmp_path / "plan.pdf").read_bytes().startswith(b"%PDF")
    assert demo_book.sheets["RunLog"].grid()[-1][1:3] == ["export-pdf", "ok"]


def test_check_setup_button_reports_each_check_with_its_fix(demo_book, tmp_path):
    demo_book.fullname = str(tmp_path / "plan.xlsm")
    conf = demo_book.sheets.add("xlwings.conf", after=list(demo_book.sheets)[-1])
    conf.range("A1").value = [["Interpreter_Win", None], ["UDF Modules", "sop_xl_udfs"]]
    before = {s.name: dict(s.cells) for s in demo_book.sheets}
    ui = RecordingUI()
    message = on_action("sop_check_setup", "0.37.8", book=demo_book, ui=ui)
    for name in ("Python", "sop_xl", "xlwings", "Worksheet functions", "xlwings.conf sheet", "Meeting PDF",
                 "Workbook folder"):
        assert f"{name}:" in message, name
    assert "[FIX] xlwings.conf sheet: blank rows INTERPRETER_WIN" in message
    assert "Excel's own PDF export" in message and f"{tmp_path} is writable" in message
    assert {s.name: dict(s.cells) for s in demo_book.sheets} == before
