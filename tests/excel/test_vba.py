"""The VBA inside the template: parsed by a real VBA grammar, the function wrappers xlwings' own
(plus Excel error values), and the _VBA_PROJECT stream as [MS-OVBA] says a writer writes it."""

from __future__ import annotations

import importlib.util
import io
import re
import sys
import types
import zipfile
from pathlib import Path

import pytest

from sop_xl.excel import functions as F
from sop_xl.excel import template, wrappers

from .fake_xlwings import ExcelErrorValue, udf_cell_values
from .vba_grammar import vba_syntax_problems

XLWINGS = Path(importlib.util.find_spec("xlwings").origin).parent


@pytest.fixture(scope="module")
def modules(tmp_path_factory) -> dict[str, str]:
    """Every VBA module of a freshly built template, as the VBA project stores it."""
    from pyopenvba import ExcelFile
    built = template.build_template(tmp_path_factory.mktemp("vba") / "t.xlsm", with_outputs=False).path
    with ExcelFile(built) as wb:
        return dict(wb.vba_modules())


def test_every_embedded_vba_module_parses_with_the_vba_grammar(modules):
    """antlr4-vba's [MS-VBAL] grammar, for Windows and Mac (see tests/excel/vba_grammar.py): our
    modules (SopRibbon, xlwings_udfs), xlwings' own (xlwings.bas, Dictionary) and the document
    modules. A syntax error in any of them cannot ship."""
    assert {"SopRibbon", "xlwings_udfs", "xlwings", "Dictionary", "ThisWorkbook"} <= set(modules)
    problems = {name: vba_syntax_problems(source) for name, source in modules.items()}
    assert not {k: v for k, v in problems.items() if v}


@pytest.mark.parametrize("broken", [
    'Public Sub OnAction(control As IRibbonControl)\r\n    RunPython "import x; x.f(\'" & control.Id & "\')\r\nEnd Sub',
    "Public Sub OnAction(control As IRibbonControl)\r\n    If control Then\r\nEnd Sub",
    '#If Mac Then\r\nPublic Sub A()\r\nEnd Sub',
])
def test_the_grammar_check_finds_a_broken_module(broken):
    assert vba_syntax_problems('Attribute VB_Name = "Broken"\r\nOption Explicit\r\n' + broken + "\r\n")


def _xlwings_generated_wrappers() -> str:
    """What xlwings' Import Functions writes for udfs/sop_xl_udfs.py: xlwings/udfs.py's own
    `generate_vba_wrapper` (udfs.py:591-720) with its real decorators (`xlfunc`/`xlarg`/`xlret`,
    udfs.py:156-270). udfs.py imports pywin32 at the top (udfs.py:34-36); empty stand-ins for those
    three modules let it load here. Nothing of them is called by the generator."""
    import xlwings
    stubs = {name: types.ModuleType(name) for name in ("pythoncom", "pywintypes", "win32com", "win32com.client")}
    stubs["pythoncom"].CoInitialize = lambda: None
    stubs["pywintypes"].com_error = type("com_error", (Exception,), {})
    stubs["win32com.client"].Dispatch = lambda *a: None
    saved_modules = {n: sys.modules.get(n) for n in stubs}
    saved_decorators = (xlwings.func, xlwings.arg, xlwings.ret)
    try:
        sys.modules.update(stubs)
        spec = importlib.util.spec_from_file_location("xlwings._udfs_for_test", XLWINGS / "udfs.py")
        udfs = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(udfs)
        xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
        module = wrappers.udf_module()
        out = io.StringIO()
        udfs.generate_vba_wrapper(wrappers.UDF_MODULE, module, out,
                                  types.SimpleNamespace(Name="workbook_template.xlsm"))
        return out.getvalue()
    finally:
        xlwings.func, xlwings.arg, xlwings.ret = saved_decorators
        for name, mod in saved_modules.items():
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod


def test_shipped_wrappers_are_xlwings_own_but_for_the_error_lines(modules):
    """The template's `xlwings_udfs` module is what xlwings' Import Functions would write
    (udfs.py:723-778: module name, `#Const App`, one wrapper per function) except the two lines per
    function that make errors real: SopValue(...) around the result and CVErr(xlErrValue) at the
    `failed:` label, where xlwings writes `= Err.Description` (udfs.py:716-717)."""
    ours = modules["xlwings_udfs"].replace("\r\n", "\n")
    assert ours == wrappers.render_module().replace("\r\n", "\n")
    theirs = _xlwings_generated_wrappers()
    changed = re.sub(r"= SopValue\((XLPy\.CallUDF\(.*\))\)\n", r"= \1\n", ours)
    changed = re.sub(r"(\w+) = CVErr\(xlErrValue\)\n", r"\1 = Err.Description\n", changed)
    body = changed[changed.index("Function SOP_"):changed.index("Private Function SopValue")]
    assert body.strip() == theirs.strip()
    assert ours.startswith('Attribute VB_Name = "xlwings_udfs"')
    functions = re.findall(r"^Function (SOP_\w+)\(", ours, re.M)
    assert functions == sorted(n for n in dir(wrappers.udf_module()) if n.startswith("SOP_"))


def _wrapper_error_table(source: str) -> dict[str, str]:
    return dict(re.findall(r'Case "([^"]+)": SopValue = CVErr\((xlErr\w+)\)', source))


@pytest.mark.parametrize("call", [
    lambda: F.sop_forecast([[1.0], ["x"]], 3),                     # text in the history
    lambda: F.sop_forecast([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], 2),  # a 2x3 block is not one series
    lambda: F.sop_forecast([[5.0]], 3),                             # one point
    lambda: F.sop_accuracy([1.0, 2.0], [1.0], "wape"),             # sizes differ
    lambda: F.sop_accuracy([0.0, 0.0], [0.0, 0.0], "mape"),        # undefined
    lambda: F.sop_safety_stock([1.0, 2.0, 3.0], 1, 1.5),           # service level out of range
])
def test_bad_arguments_reach_the_cell_as_excel_error_values(modules, call):
    """xlwings passes strings through to the cell (`prepare_xl_data_element`,
    xlwings/_xlwindows.py:486-498, compiled from the installed file by the stand-in), so with
    xlwings' own wrapper "#VALUE!" is text and ISERROR is FALSE (xlwings issue #776). The shipped
    wrapper's SopValue maps every error string the functions return to CVErr."""
    result = call()
    table = _wrapper_error_table(modules["xlwings_udfs"])
    assert result in table, result
    assert table == wrappers.ERRORS
    [[plain]] = udf_cell_values(result, wrapper_errors=None)
    assert type(plain) is str and not isinstance(plain, ExcelErrorValue)  # text, as xlwings alone gives it
    [[cell]] = udf_cell_values(result, wrapper_errors=table)
    assert isinstance(cell, ExcelErrorValue) and cell == result


def test_argument_conversion_errors_give_value_not_python_text(modules):
    """A 2-D block for a 1-D argument fails in xlwings' conversion (conversion/standard.py:286-292,
    "Range must be 1-by-n or n-by-1 when ndim=1."), which the wrapper's `On Error GoTo failed` meets;
    xlwings' wrapper would put that exception text in the cell, the shipped one puts #VALUE!."""
    from xlwings.conversion.standard import AdjustDimensionsStage
    ctx = types.SimpleNamespace(value=[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(Exception, match="1-by-n or n-by-1"):
        AdjustDimensionsStage({"ndim": 1})(ctx)
    source = modules["xlwings_udfs"]
    assert "Err.Description" not in source
    for name in re.findall(r"^Function (SOP_\w+)\(", source, re.M):
        block = source[source.index(f"Function {name}("):]
        block = block[:block.index("End Function")]
        assert "On Error GoTo failed" in block and f"failed:\r\n    {name} = CVErr(xlErrValue)" in block


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_vba_project_stream_is_what_ms_ovba_says_a_writer_writes(tmp_path):
    """[MS-OVBA] 2.3.4.1: Version "MUST be 0xFFFF on write", PerformanceCache "MUST NOT be present on
    write". pyOpenVBA writes the host cookie 0x00B5 and a zeroed cache; the build rewrites the stream
    and the modules still read back (pyOpenVBA, olevba)."""
    import olefile
    from oletools.olevba import VBA_Parser
    built = template.build_template(tmp_path / "t.xlsm", with_outputs=False).path
    with zipfile.ZipFile(built) as z:
        project = z.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(io.BytesIO(project))
    stream = ole.openstream("VBA/_VBA_PROJECT").read()
    assert stream == b"\xcc\x61\xff\xff\x00\x00\x00"
    parser = VBA_Parser(str(built))
    try:
        names = {f.rsplit(".", 1)[0] for _, _, f, _ in parser.extract_macros()}
    finally:
        parser.close()
    assert {"SopRibbon", "xlwings", "xlwings_udfs", "Dictionary"} <= names


def test_sop_ribbon_passes_the_vba_xlwings_version_to_python():
    """XLWINGS_VERSION is a Public Const of xlwings.bas (line 66) that also names the DLL and the Mac
    AppleScript (xlwings.bas:44-66, 206); OnAction hands it to the dispatcher with the button id."""
    source = (template.MACROS / "SopRibbon.bas").read_text(encoding="utf-8")
    assert "d.on_action('\" & control.Id & \"', '\" & XLWINGS_VERSION & \"')" in source
    assert re.search(r'^Public Const XLWINGS_VERSION As String = "0\.37\.8"',
                     (XLWINGS / "xlwings.bas").read_text(encoding="utf-8"), re.M)
