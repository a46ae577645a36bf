"""The scan for cells python-calamine reads as blanks: which XML cells are error values or formulas
without a calculated value, and which are not."""

from __future__ import annotations

from sop_xl.io.unreadable import _scan, mark_unreadable
from sop_xl.values import Uncalculated


def scan(xml: str) -> dict:
    found: dict = {}
    _scan(xml.encode(), found)
    return found


def test_error_cells_and_uncalculated_formulas_are_found():
    found = scan('<sheetData><row r="4"><c r="F4" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
                 '<c r="G4"><f>WEBSERVICE("x")</f><v></v></c><c r="H4" t="e"><v>#N/A</v></c>'
                 '<c r="I4" s="1"><f t="shared" si="0"/></c></row></sheetData>')
    assert found[(3, 5)] == "#DIV/0!" and found[(3, 7)] == "#N/A"
    assert found[(3, 6)] == Uncalculated('WEBSERVICE("x")') and str(found[(3, 6)]) == '=WEBSERVICE("x")'
    assert isinstance(found[(3, 8)], Uncalculated)


def test_cached_values_are_not_marked():
    found = scan('<sheetData><row r="2"><c r="A2"><f>1+1</f><v>2</v></c>'
                 '<c r="B2" t="str"><f>IF(A1="","",A1)</f><v></v></c>'   # a formula giving "" is a value
                 '<c r="C2" t="inlineStr"><is><t>&lt;f&gt; t="e"</t></is></c><c r="D2"><v>5</v></c></row>'
                 '</sheetData><dataValidations><dataValidation><formula1>"a,b"</formula1></dataValidation>'
                 '</dataValidations>')
    assert found == {}


def test_marks_fill_blank_cells_only_and_extend_short_rows():
    grid = [[None, 1.0], [None]]
    marked = mark_unreadable(grid, {(0, 0): "#REF!", (0, 1): "#N/A", (1, 3): Uncalculated("A1")})
    assert marked[0] == ["#REF!", 1.0] and marked[1] == [None, None, None, Uncalculated("A1")]
    assert grid == [[None, 1.0], [None]]   # the adapter's own rows (lent by read_rows) are left alone
