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


def test_building_again_gives_the_same_bytes(fresh):
    """The committed template was built in another process at another time: same content must
    mean the same bytes (fixed zip timestamps, sorted entries, fixed document properties)."""
    if template.stale_parts(COMMITTED, fresh):
        pytest.skip("the committed template is stale (reported by test_committed_template_is_up_to_date)")
    assert fresh.read_bytes() == COMMITTED.read_bytes()


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


def test_xlwings_conf_names_the_udf_module_and_is_readable_by_xlwings_bas(fresh):
    ws = load_workbook(fresh)["xlwings.conf"]
    keys = []
    for row in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if row[0] is None:
            break  # xlwings.bas reads A1 down to the first blank key
        keys.append(row)
    conf = {k.upper(): v for k, v in keys}
    assert conf["UDF MODULES"] == template.UDF_MODULE
    assert {"INTERPRETER_WIN", "INTERPRETER_MAC", "USE UDF SERVER"} <= set(conf)
    assert len(keys) == len(template.CONF_ROWS)
    assert not any("LICENSE" in k for k in conf)  # no xlwings PRO anything


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
    assert "sop_xl.excel.dispatch" in ribbon_bas and "d.on_action('\" & control.Id & \"')" in ribbon_bas
    groups = [g.get("label") for g in root.iter(f"{NS}group")]
    assert groups == ["Data", "Demand", "Consensus", "Supply", "Finance", "Executive"]
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
    assert {"SopRibbon", "xlwings", "Dictionary", "ThisWorkbook"} <= set(modules)
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
