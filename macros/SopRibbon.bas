Attribute VB_Name = "SopRibbon"
Option Explicit

' The S&OP ribbon tab (customUI14.xml) calls OnAction for every button. The button id goes
' to one Python dispatcher (sop_xl.excel.dispatch.on_action), which runs the same command
' as the sop-xl command line on this open workbook. All logic lives in Python, so this module
' does not change when a stage is added. RunPython and XLWINGS_VERSION come from the xlwings
' module beside it; the version goes along so Python can name a mismatch with its own xlwings.

Public Sub OnAction(control As IRibbonControl)
    RunPython "import sop_xl.excel.dispatch as d; d.on_action('" & control.Id & "', '" & XLWINGS_VERSION & "')"
End Sub
