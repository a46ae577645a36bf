"""workbook_template.xlsm: reproducible, up to date, well-formed, macro-safe, opens in LibreOffice."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sop_xl.cli import main
from sop_xl.commands.base import execute
from sop_xl.contract import INPUT_SHEETS, ISSUES, RUN_LOG, SETTINGS, WORKBOOK
from sop_xl.excel import template
from sop_xl.excel.dispatch import BUTTONS
from sop_xl.excel.ribbon import render_customui
from sop_xl.io import FileWorkbook

COMMITTED = template.DEFAULT_OUT
NS = "{http://schemas.microsoft.com/office/2009/07/customui}"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    return template.build_template(tmp_path_factory.mktemp("tpl") / "workbook_template.xlsm").path


def test_committed_template_is_up_to_date(fresh):
    assert COMMITTED.exists(), "run `sop-xl build-template` and commit workbook_template.xlsm"
    stale = template.stale_parts(COMMITTED, fresh)
    assert not stale, f"workbook_template.xlsm is stale in {stale}: run `sop-xl build-template` and commit it"


def _normalised_parts(path: Path) -> list[tuple]:
    """Each zip entry's name, timestamp, compression and bytes, with cell numbers rounded to 9
    significant digits (the staleness check's rounding)."""
    out = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            data = z.read(info)
            if info.filename.startswith(template.FLOAT_PARTS):
                data = template.round_stored_floats(data, digits=9)
            out.append((info.filename, info.date_time, info.compress_type, data))
    return out


def test_building_again_gives_the_same_package(fresh):
    """The committed template was built on another machine at another time: the same package (entries,
    order, timestamps, every part's bytes) once float noise is rounded away, and `build-template --check`
    agrees (it compares the same rounding). Float-bearing parts are never compared byte for byte: the
    last digits of some stage outputs differ across machines (another BLAS), issue 10 item 2."""
    stale = template.stale_parts(COMMITTED, fresh)
    assert not stale, f"workbook_template.xlsm is stale in {stale}: run `sop-xl build-template` and commit it"
    assert _normalised_parts(fresh) == _normalised_parts(COMMITTED)


def test_cell_numbers_are_stored_with_fixed_significant_digits(fresh):
    """Two machines that differ in the 16th digit store the same number (the reported pair), and no
    cell of the template holds more than STORED_DIGITS significant digits."""
    a = template.round_stored_floats(b"<c><v>0.001531582034747536</v></c>")
    b = template.round_stored_floats(b"<c><v>0.001531582034747534</v></c>")
    assert a == b == b"<c><v>0.00153158203475</v></c>"
    assert template.round_stored_floats(b"<v>12</v><v>2.50</v><c:v>1e-07</c:v>") == b"<v>12</v><v>2.5</v><c:v>1e-07</c:v>"
    with zipfile.ZipFile(fresh) as z:
        numbers = [m.group(1) for n in z.namelist() if n.startswith(template.FLOAT_PARTS)
                   for m in re.finditer(rb"<v>(-?\d+\.\d+(?:[eE][-+]?\d+)?)</v>", z.read(n))]
    assert numbers
    digits = [len(re.sub(rb"[^0-9]", b"", n.split(b"e")[0].split(b"E")[0]).lstrip(b"0")) for n in numbers]
    assert max(digits) <= template.STORED_DIGITS


def test_two_builds_in_a_row_give_the_same_bytes(tmp_path):
    """Reproducibility on its own (inputs only, so it does not wait for every stage twice)."""
    first = template.build_template(tmp_path / "a.xlsm", with_outputs=False).path
    second = template.build_template(tmp_path / "b.xlsm", with_outputs=False).path
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as z:
        assert {i.date_time for i in z.infolist()} == {template.FIXED_TIME}
        assert z.namelist()[0] == "[Content_Types].xml" and z.namelist()[1:] == sorted(z.namelist()[1:])


def test_check_flag_reports_up_to_date_and_stale_templates(fresh, tmp_path, monkeypatch):
    def rebuild(out, **_):  # the fixture's build stands in for a rebuild, which takes seconds
        shutil.copy(fresh, out)
        return template.BuiltTemplate(Path(out), [])

    monkeypatch.setattr(template, "build_template", rebuild)
    assert main(["build-template", "--check", "--out", str(fresh)]) == 0
    stale = tmp_path / "stale.xlsm"
    with zipfile.ZipFile(fresh) as src, zipfile.ZipFile(stale, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == template.UI_PART:
                data = data.replace(b'label="Plan"', b'label="Plan it"')
            dst.writestr(info, data)
    assert main(["build-template", "--check", "--out", str(stale)]) == 1
    assert main(["build-template", "--check", "--out", str(tmp_path / "missing.xlsm")]) == 1


def test_sheets_tables_names_validation_and_frozen_headers(fresh):
    wb = load_workbook(fresh, keep_vba=True)
    names = wb.sheetnames
    assert names[0] == "Instructions" and names[-1] == "xlwings.conf"
    for sheet in (*INPUT_SHEETS, ISSUES, RUN_LOG):
        assert sheet.name in names
    contract = [n for n in names if n not in ("Instructions", "xlwings.conf")]
    assert contract == [s.name for s in WORKBOOK if s.name in contract]  # tabs follow the cycle
    for name in contract:
        ws = wb[name]
        spec = WORKBOOK.sheet(name)
        assert list(ws.tables) == [spec.table], name
        assert ws.tables[spec.table].ref.startswith(f"A{spec.header_row}:"), name
        assert ws.freeze_panes and ws.freeze_panes.endswith(str(spec.header_row + 1)), name
    for setting in SETTINGS.settings:
        assert setting.range_name in wb.defined_names, setting.key
    with_choices = [s for s in INPUT_SHEETS for c in s.columns if c.choices]
    assert with_choices
    for sheet in with_choices:
        assert wb[sheet.name].data_validations.dataValidation, sheet.name
    assert wb["Items"].max_row > 20  # demo data shipped


def test_instructions_explain_every_button_and_input_sheet(fresh):
    ws = load_workbook(fresh)["Instructions"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    for b in BUTTONS:
        assert b.label in text
    for sheet in INPUT_SHEETS:
        assert sheet.name in text
    examples = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=SOP_")]
    assert examples and all(c.data_type == "s" for c in examples)  # shown as text, not evaluated


def _conf(fresh) -> dict:
    ws = load_workbook(fresh)["xlwings.conf"]
    keys = []
    for row in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if row[0] is None:
            break  # xlwings.bas reads A1 down to the first blank key (GetConfigFromSheet, xlwings.bas:623-647)
        keys.append(row)
    assert len(keys) == len(template.CONF_ROWS)
    return {k.upper(): v for k, v in keys}


def test_xlwings_conf_names_the_udf_module_and_is_readable_by_xlwings_bas(fresh):
    conf = _conf(fresh)
    assert conf["UDF MODULES"] == template.UDF_MODULE
    assert conf["USE UDF SERVER"] is False
    assert not any("LICENSE" in k for k in conf)  # no xlwings PRO anything


def test_xlwings_conf_sheet_does_not_hide_the_users_interpreter(fresh):
    """GetConfig returns the first key it finds, the workbook's xlwings.conf sheet first
    (xlwings.bas:649-666), even with a blank value; RunPython then falls back to the legacy
    "INTERPRETER" key and plain "python" (xlwings.bas:80-88) instead of the INTERPRETER_WIN that
    `xlwings config create` wrote into ~/.xlwings/xlwings.conf. So no Interpreter or Conda row ships,
    and no key ships blank."""
    conf = _conf(fresh)
    bas = template.xlwings_bas_path().read_text(encoding="utf-8")
    assert 'interpreter = GetConfig("INTERPRETER_WIN", "")' in bas and 'GetConfig("INTERPRETER", "python")' in bas
    assert not {"INTERPRETER_WIN", "INTERPRETER_MAC", "INTERPRETER", "CONDA PATH", "CONDA ENV"} & set(conf)
    assert all(v not in (None, "") for v in conf.values())


def test_a_onedrive_workbook_does_not_fail_before_sop_xl_loads(fresh):
    """RunPython passes ADD_WORKBOOK_TO_PYTHONPATH (default "true", xlwings.bas:110) and the https
    FullName to xlwings.utils.prepare_sys_path (utils.py:450-485), which calls
    fullname_url_to_local_path and raises XlwingsError without a synced copy. The template says FALSE
    (sop_xl is installed), so the same call with the template's value does not look the URL up."""
    import sys as _sys
    from xlwings.utils import prepare_sys_path
    url = "https://d.docs.live.net/0123456789abcdef/Planning/plan.xlsm"
    flag = str(_conf(fresh)["ADD_WORKBOOK_TO_PYTHONPATH"])
    saved = list(_sys.path)
    try:
        prepare_sys_path(f"{flag};{url};{url};;;;")
        with pytest.raises(Exception, match="OneDrive"):
            prepare_sys_path(f"true;{url};{url};;;;")
    finally:
        _sys.path[:] = saved


def test_macro_enabled_package_with_ribbon_part_and_relationship(fresh):
    with zipfile.ZipFile(fresh) as z:
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("_rels/.rels").decode()
        ui = z.read(template.UI_PART).decode()
        assert "xl/vbaProject.bin" in z.namelist()
    assert f'PartName="/xl/workbook.xml" ContentType="{template.XLSM_MAIN}"' in types
    assert template.XLSX_MAIN not in types
    assert re.search(r'Type="http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"'
                     r' Target="customUI/customUI14.xml"', rels)
    assert ui == (template.MACROS / "customUI14.xml").read_text(encoding="utf-8")


def test_committed_customui_is_rendered_from_the_button_list():
    assert (template.MACROS / "customUI14.xml").read_text(encoding="utf-8") == render_customui()


def _vba_procedures(source: str) -> set[str]:
    return set(re.findall(r"^\s*(?:Public\s+|Private\s+)?(?:Sub|Function)\s+(\w+)", source, re.M | re.I))


def test_every_ribbon_action_has_its_vba_procedure_and_every_button_its_command():
    import xml.etree.ElementTree as ET
    from sop_xl.commands.base import STAGES
    from sop_xl.excel.dispatch import BY_ID, stage_name
    root = ET.parse(template.MACROS / "customUI14.xml").getroot()
    buttons = root.iter(f"{NS}button")
    procedures = set()
    for bas in template.MACROS.glob("*.bas"):
        procedures |= _vba_procedures(bas.read_text(encoding="utf-8"))
    seen = []
    for b in buttons:
        assert b.get("onAction") in procedures, b.get("id")
        assert b.get("id") in BY_ID, b.get("id")
        assert b.get("imageMso") and b.get("screentip") and b.get("label")
        seen.append(b.get("id"))
    assert sorted(seen) == sorted(BY_ID)
    # the callback hands the id to the dispatcher by name
    ribbon_bas = (template.MACROS / "SopRibbon.bas").read_text(encoding="utf-8")
    assert "sop_xl.excel.dispatch" in ribbon_bas and "d.on_action('\" & control.Id & \"', " in ribbon_bas
    groups = [g.get("label") for g in root.iter(f"{NS}group")]
    assert groups == ["Data", "Demand", "Consensus", "Supply", "Finance", "Executive", "Help"]
    assert set(STAGES) <= {stage_name(BY_ID[i]) for i in seen}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_olevba_lists_the_modules_and_mraptor_finds_no_auto_executing_macro(fresh):
    from oletools import mraptor
    from oletools.olevba import VBA_Parser
    parser = VBA_Parser(str(fresh))
    try:
        assert parser.detect_vba_macros()
        modules = {}
        for _, _, vba_filename, code in parser.extract_macros():
            modules[vba_filename.rsplit(".", 1)[0]] = code
    finally:
        parser.close()
    assert {"SopRibbon", "xlwings", "xlwings_udfs", "Dictionary", "ThisWorkbook"} <= set(modules)
    assert "Sub OnAction(control As IRibbonControl)" in modules["SopRibbon"]
    raptor = mraptor.MacroRaptor("\n".join(modules.values()))
    raptor.scan()
    assert not raptor.autoexec, raptor.autoexec_keywords
    assert not raptor.suspicious


def test_vba_xlwings_module_is_the_pinned_packages_own(fresh, tmp_path):
    import xlwings
    from pyopenvba import ExcelFile
    copy = tmp_path / "t.xlsm"
    shutil.copy(fresh, copy)
    with ExcelFile(copy) as wb:
        source = wb.get_module("xlwings")
    installed = template.xlwings_bas_path().read_text(encoding="utf-8")
    assert source.replace("\r\n", "\n").strip() == installed.replace("\r\n", "\n").strip()
    assert f"Version: {xlwings.__version__}" in source and xlwings.__version__ == "0.37.8"


def test_cli_runs_on_the_template_and_keeps_ribbon_and_macros(fresh, tmp_path):
    book_path = tmp_path / "mine.xlsm"
    shutil.copy(fresh, book_path)
    results = execute(FileWorkbook(book_path, backup=False), ["validate"])
    assert results[0].status != "failed"
    with zipfile.ZipFile(book_path) as z:
        assert template.UI_PART in z.namelist() and "xl/vbaProject.bin" in z.namelist()
        assert template.XLSM_MAIN in z.read("[Content_Types].xml").decode()
        assert "ui/extensibility" in z.read("_rels/.rels").decode()
    assert "Instructions" in load_workbook(book_path).sheetnames


@pytest.mark.libreoffice
def test_libreoffice_opens_and_converts_the_template(fresh, libreoffice_convert):
    pdf = libreoffice_convert(fresh, "pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
