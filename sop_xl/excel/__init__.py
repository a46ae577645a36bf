"""The Excel front end: the live-workbook adapter over xlwings, the ribbon dispatcher,
the template builder and the pure functions behind the worksheet UDFs.

This package (and `udfs/`) is the only place that imports xlwings, and only inside the
functions that talk to a live Excel, so `import sop_xl.excel` works without Excel.
"""
