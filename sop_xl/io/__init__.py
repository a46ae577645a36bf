"""Workbook adapters: move contract tables between pandas and a workbook.

`FileWorkbook` (a file on disk: calamine to read, openpyxl to write), `MemoryWorkbook`
(tests), and in Excel the xlwings adapter. Parsing is shared, in `tables`.
"""

from .file import FileWorkbook, backup_path
from .memory import MemoryWorkbook
from .protocol import WorkbookAdapter
from .settings import Settings
from .tables import cell_of, read_history, read_settings, read_table, read_wide, to_wide

__all__ = ["FileWorkbook", "MemoryWorkbook", "WorkbookAdapter", "Settings", "read_settings", "read_table",
           "read_wide", "read_history", "to_wide", "cell_of", "backup_path"]
