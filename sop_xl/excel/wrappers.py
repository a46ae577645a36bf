"""The VBA wrappers of the SOP_ worksheet functions, shipped inside the template.

xlwings' "Import Functions" writes one VBA function per Python UDF into a module named
`xlwings_udfs` at run time (xlwings/udfs.py:723-778), which needs "Trust access to the VBA
project object model", often locked by corporate policy. The template ships the same module,
written here at build time, so the functions work on first open; Import Functions stays the
refresh path (it replaces this module with xlwings' own, udfs.py:773-778).

The text is what xlwings' `generate_vba_wrapper` (udfs.py:591-720) writes for our functions,
with two deliberate changes so a cell shows Excel's own error values (ISERROR and IFERROR
see them) instead of text:
- the result goes through `SopValue`, which turns the strings "#VALUE!", "#N/A", ... that
  `sop_xl.excel.functions` returns into CVErr values (xlwings passes strings through,
  `prepare_xl_data_element`, _xlwindows.py:486-498; xlwings issue #776);
- the `failed:` label (argument conversion errors such as a 2-D block for a 1-D argument,
  conversion/standard.py:286-292, or Python not starting) gives #VALUE! instead of the
  Python error text.
A test renders xlwings' own generator output and checks that only these two lines differ.
"""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

MODULE_NAME = "xlwings_udfs"
UDF_MODULE = "sop_xl_udfs"
UDF_FILE = Path(__file__).resolve().parents[2] / "udfs" / f"{UDF_MODULE}.py"

# Excel's error values, as the strings sop_xl.excel.functions returns them, and their xlErr constant
ERRORS: dict[str, str] = {"#NULL!": "xlErrNull", "#DIV/0!": "xlErrDiv0", "#VALUE!": "xlErrValue",
                          "#REF!": "xlErrRef", "#NAME?": "xlErrName", "#NUM!": "xlErrNum", "#N/A": "xlErrNA"}

HEADER = [f'Attribute VB_Name = "{MODULE_NAME}"',
          "'Written by sop_xl (sop-xl build-template) as xlwings' Import Functions would, with Excel error values.",
          "'xlwings tab > Import Functions replaces it with xlwings' own wrappers (errors then show as text).",
          '#Const App = "Microsoft Excel" \'Adjust when using outside of Excel']


def udf_module() -> ModuleType:
    """udfs/sop_xl_udfs.py, loaded from the checkout (installed as a top-level module too)."""
    spec = importlib.util.spec_from_file_location(UDF_MODULE, UDF_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def udf_functions(module: ModuleType) -> list:
    """The worksheet functions in the order xlwings writes them (`dir(module)`, udfs.py:594)."""
    return [getattr(module, n) for n in dir(module) if n.startswith("SOP_") and callable(getattr(module, n))]


def render_function(fn) -> list[str]:
    name = fn.__name__
    params = []
    for p in inspect.signature(fn).parameters.values():
        params.append(("Optional " if p.default is not inspect.Parameter.empty else "") + p.name)
    array = "Array(" + ", ".join(inspect.signature(fn).parameters) + ")"
    call = f'XLPy.CallUDF("{UDF_MODULE}", "{name}", {array}'
    return [f"Function {name}({', '.join(params)})",
            '    #If App = "Microsoft Excel" Then',
            "        If TypeOf Application.Caller Is Range Then On Error GoTo failed",
            f"        {name} = SopValue({call}, ThisWorkbook, Application.Caller))",
            "        Exit Function",
            "    #Else",
            f"        {name} = {call})",
            "        Exit Function",
            "    #End If",
            "failed:",
            f"    {name} = CVErr(xlErrValue)",
            "End Function",
            ""]


def render_module(module: ModuleType | None = None) -> str:
    """The whole `xlwings_udfs` module, CRLF line ends (as the VBA project stores it)."""
    module = module or udf_module()
    lines = list(HEADER)
    for fn in udf_functions(module):
        lines += render_function(fn)
    lines += ["Private Function SopValue(ByVal v As Variant) As Variant",
              "    ' sop_xl returns Excel's errors as text; the cell gets the real error value",
              "    SopValue = v",
              "    If VarType(v) <> vbString Then Exit Function",
              "    Select Case v"]
    lines += [f'        Case "{text}": SopValue = CVErr({const})' for text, const in ERRORS.items()]
    lines += ["    End Select", "End Function", ""]
    return "\r\n".join(lines)
