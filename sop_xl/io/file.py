"""The workbook file adapter used by the CLI and tests.

Reads with python-calamine (fast, values only, cached formula results); writes with
openpyxl into real Excel Tables. Writes are staged and applied together by `save()`:
the workbook is loaded once, every staged table is written, the result goes to a
temporary file beside the target and replaces it atomically after a backup copy of the
previous file was made. Cells outside the product's tables are never touched.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd
from openpyxl.utils import column_index_from_string

from ..charts import ChartSpec
from ..contract import WORKBOOK, Sheet
from ..gc_pause import gc_paused
from ..issues import Issue, IssueCode, Severity, WorkbookAccessError
from .. import safety
from .archive import ArchiveRefused, check_workbook_archive
from .memory import MemoryWorkbook
from .layout import layout_table

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
MAX_BYTES = 200 * 1024 * 1024
MAX_CELLS = 20_000_000   # used range of one sheet; 10,000 SKUs x 260 weeks is 2.6 million


def backup_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.bak{path.suffix}")


def lock_files(path: Path) -> list[Path]:
    """Owner files Excel (~$Book.xlsx) and LibreOffice (.~lock.Book.xlsx#) keep while a book is open."""
    from .lock import office_lock_files
    return office_lock_files(path)


def _access_error(code: IssueCode, message: str, hint: str, path: Path) -> WorkbookAccessError:
    err = WorkbookAccessError(f"{message} {hint}")
    err.issues = [Issue(Severity.ERROR, code, message, hint, sheet="", cell="", value=str(path))]
    return err


def check_is_workbook(path: Path) -> None:
    """Refuse, with a message a planner can act on, anything that is not a safe workbook file."""
    try:
        st = path.stat()   # follows a symbolic link: the workbook is what it points to
    except FileNotFoundError:
        if path.is_symlink():
            raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{path} is a link to {os.readlink(path)}, which does "
                                "not exist.", "Fix or remove the link.", path) from None
        raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{path} does not exist.",
                            "Check the path, or run `sop-xl demo` to create a workbook.", path) from None
    except OSError as exc:
        raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{path} cannot be read ({exc.strerror or exc}).",
                            "Check the path and your permissions.", path) from None
    if stat.S_ISDIR(st.st_mode):
        raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{path} is a folder, not a workbook.",
                            "Give the path of the .xlsx or .xlsm file inside it.", path)
    if not stat.S_ISREG(st.st_mode):
        raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{path} is not a regular file (a device, pipe or socket).",
                            "Give the path of an .xlsx or .xlsm workbook file.", path)
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{path.name} is not an .xlsx or .xlsm workbook.",
                            "Save it from Excel as an Excel Workbook (.xlsx) or macro-enabled workbook (.xlsm).",
                            path)
    if st.st_size > MAX_BYTES:
        raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{path.name} is larger than {MAX_BYTES >> 20} MB.",
                            "Remove data sop_xl does not need, or split the workbook.", path)
    try:
        names = set(check_workbook_archive(path))
    except ArchiveRefused as exc:
        raise _access_error(IssueCode.NOT_A_WORKBOOK, exc.message, exc.hint, path) from None
    except zipfile.BadZipFile:
        raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{path.name} is not a valid Excel workbook (damaged, "
                            "encrypted, or an old .xls saved with a new name).",
                            "Open it in Excel and save it again as .xlsx or .xlsm.", path) from None
    except OSError as exc:
        raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{path.name} cannot be read ({exc.strerror or exc}).",
                            "Check your permissions on the file.", path) from None
    if "xl/workbook.xml" not in names:
        raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{path.name} is a zip file but not an Excel workbook.",
                            "Save it from Excel as .xlsx or .xlsm.", path)


def real_target(path: Path) -> Path:
    """The file a save must replace: a symbolic link is written through to what it points to."""
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def save_error(exc: OSError, target: Path) -> WorkbookAccessError:
    """Any failure of the file system during a save, said plainly (exit 3)."""
    why = {errno.ENOSPC: "the disk is full", getattr(errno, "EDQUOT", -1): "your disk quota is used up",
           errno.EACCES: "permission denied", errno.EPERM: "the operation is not permitted",
           errno.EROFS: "the disk is read-only", errno.EISDIR: "a folder is in the way",
           errno.ENOTDIR: "a part of the path is not a folder", errno.ENAMETOOLONG: "the name is too long",
           errno.EIO: "the disk reported an input/output error"}.get(exc.errno)
    detail = exc.strerror or str(exc) or type(exc).__name__
    if getattr(exc, "filename", None) and exc.filename != str(target):
        detail += f": {Path(exc.filename).name}"
    return _access_error(IssueCode.WORKBOOK_READ_ONLY if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
                         else IssueCode.NOT_A_WORKBOOK,
                         f"{target.name} could not be saved: " + (f"{why} ({detail})." if why else f"{detail}."),
                         f"Nothing was changed: {target.name} and its backup are as they were. Free space or fix "
                         f"the permissions and run again, or write elsewhere with --out.", target)


class FileWorkbook:
    """A workbook file. `out` saves elsewhere and leaves the original untouched."""

    def __init__(self, path: str | os.PathLike, *, out: str | os.PathLike | None = None, create: bool = False,
                 backup: bool = True):
        self.path = Path(path)
        self.out = Path(out) if out else self.path
        self.name = self.path.name
        self.backup = backup
        self._new = create and not self.path.exists()
        if not self._new:
            check_is_workbook(self.path)
        self._grids: dict[str, list[list[Any]]] = {}
        self._calamine = None
        self._overlay = MemoryWorkbook(name=self.name)
        self._staged: dict[str, tuple[Sheet, pd.DataFrame, tuple[ChartSpec, ...], str]] = {}
        self._heads: dict[str, str] | None = None  # _sheet_heads, per version of the file
        self._parts: dict[str, str] = {}           # _sheet_parts, read with the heads
        self._prepared: tuple | None = None  # prepare_save: (sheet names, light file, workbook, held sheets)
        self._sheet_names: list[str] = [] if self._new else self._read_sheet_names()

    # ------------------------------------------------------------------ reading
    def _reader(self):
        """One calamine reader per file: opening parses the workbook part and shared strings."""
        if self._calamine is None:
            from python_calamine import CalamineWorkbook
            try:
                self._calamine = CalamineWorkbook.from_path(str(self.path))
            except Exception as exc:  # calamine raises its own types for damaged files
                raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{self.name} could not be read ({exc}).",
                                    "Open it in Excel and save it again.", self.path) from None
        return self._calamine

    def _close_reader(self) -> None:
        if self._calamine is not None:
            self._calamine.close()  # the file is about to be replaced (Windows refuses open files)
            self._calamine = None

    def _read_sheet_names(self) -> list[str]:
        return list(self._reader().sheet_names)

    def sheet_names(self) -> list[str]:
        return self._sheet_names + [n for n in self._staged if n not in self._sheet_names]

    def read_grid(self, sheet_name: str) -> list[list[Any]]:
        if sheet_name in self._staged and sheet_name not in self._overlay.grids:
            # a later stage reads what an earlier one staged: lay it over the file's cells
            block, charts = self._staged[sheet_name]
            self._overlay.grids[sheet_name] = ([list(r) for r in self._file_grid(sheet_name)]
                                              if sheet_name in self._sheet_names else [])
            self._overlay.write_block(block, charts)
        if sheet_name in self._overlay.grids:
            return self._overlay.read_grid(sheet_name)
        return [list(r) for r in self._file_grid(sheet_name)]

    def read_rows(self, sheet_name: str) -> list[list[Any]]:
        """`read_grid` without the copy: the rows this adapter keeps, which the caller must not change.
        The shared reader (io/tables.py) only looks at them; copying a 100,000-row history cost
        time and a second set of row lists at every read."""
        if sheet_name in self._staged or sheet_name in self._overlay.grids or sheet_name not in self._sheet_names:
            return self.read_grid(sheet_name)
        return self._file_grid(sheet_name)

    def _file_grid(self, sheet_name: str) -> list[list[Any]]:
        if sheet_name not in self._grids:
            self._grids[sheet_name] = self._load_grid(sheet_name)
        return self._grids[sheet_name]

    def _load_grid(self, sheet_name: str) -> list[list[Any]]:
        if self._new:
            return []
        self._check_extent(sheet_name)
        rows = self._reader().get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        # calamine gives "" for blank cells; the contract layer wants None
        return [[None if v == "" else v for v in row] if "" in row else row for row in rows]

    def unreadable_cells(self, sheet_name: str) -> dict[tuple[int, int], Any]:
        """Cells calamine read as blank that hold an Excel error value or a formula without a calculated
        value: (row, column) 0-based -> the error text or an `Uncalculated` marker (io/unreadable.py).
        The shared reader asks only when a table it reads has blank cells."""
        if self._new or sheet_name in self._staged or sheet_name not in self._sheet_names:
            return {}
        from .unreadable import unreadable_cells
        part = self._sheet_parts().get(sheet_name)
        try:
            return unreadable_cells(self.path, part) if part else {}
        except (KeyError, zipfile.BadZipFile, AttributeError, OSError):
            return {}

    def _check_extent(self, sheet_name: str) -> None:
        """A stray cell typed far away (e.g. XFD1048576) would make the reader allocate the whole
        sheet; Excel records the used range in <dimension> at the top of the sheet part."""
        head = self._sheet_heads().get(sheet_name, "")
        m = re.search(r'<dimension ref="(?:[A-Z]+\d+:)?([A-Z]+)(\d+)"', head)
        if not m:
            return
        cols, rows = column_index_from_string(m.group(1)), int(m.group(2))
        if rows * cols > MAX_CELLS:
            raise _access_error(
                IssueCode.NOT_A_WORKBOOK,
                f"Sheet {sheet_name!r} of {self.name} uses cells out to {m.group(1)}{rows} "
                f"({rows:,} rows x {cols:,} columns), far more than a planning table.",
                "Press Ctrl+End on that sheet to find the stray cell, delete the empty rows and columns "
                "beyond your data, save, and run again.", self.path)

    def _sheet_parts(self) -> dict[str, str]:
        """Sheet title -> its part in the package, read with the heads (one opening of the package)."""
        self._sheet_heads()
        return self._parts

    def _sheet_heads(self) -> dict[str, str]:
        """Sheet name -> the first 4 KB of its XML, every sheet's read in one opening of the package (each
        opening parses the zip directory again; a plan reads nine sheets)."""
        if self._heads is None:
            from .fast_rows import sheet_parts
            heads: dict[str, str] = {}
            parts: dict[str, str] = {}
            try:
                with zipfile.ZipFile(self.path) as z:
                    parts = sheet_parts(z)
                    for name, part in parts.items():
                        try:
                            heads[name] = z.open(part).read(4096).decode("utf-8", "replace")
                        except KeyError:
                            continue
            except (KeyError, zipfile.BadZipFile, AttributeError):
                pass
            self._parts = parts
            self._heads = heads
        return self._heads

    # ------------------------------------------------------------------ writing
    def write_table(self, sheet: Sheet, frame: pd.DataFrame, *, charts: Sequence[ChartSpec] = (),
                    period_type: str = "month") -> None:
        block = layout_table(sheet, frame, period_type=period_type)  # fails now, not at save time
        self._staged[sheet.name] = (block, tuple(charts))
        self._overlay.grids.pop(sheet.name, None)  # rebuilt when read again

    def discard_staged(self, names: Iterable[str] | None = None) -> None:
        """Forget staged writes (all, or those of `names`): the file keeps its previous tables."""
        names = list(self._staged) if names is None else list(names)
        for name in names:
            self._staged.pop(name, None)
        self._overlay.forget(names)

    @property
    def staged(self) -> list[str]:
        return list(self._staged)

    def prepare_save(self, names: Iterable[str]) -> None:
        """Open the file for writing ahead of `save()`, as if exactly the sheets `names` were staged (the
        plan command does it while HiGHS solves on the other core). `save()` uses it when the staged
        sheets are those, and otherwise opens the file itself; either way the file it writes is the same."""
        self._forget_prepared()
        if self._new:
            return
        target = real_target(self.out)
        light = safety.new_temp(target.parent, f".~sop_xl-{target.stem}-", f"-light{target.suffix}")
        written = {n.lower() for n in names}
        from .passthrough import preloaded
        try:
            with gc_paused():
                wb, held = self._open_for_writing(light, self.path.suffix.lower() == ".xlsm", written)
                held = preloaded(held)   # the untouched sheets' cells read now too, not after the solve
        except BaseException:
            safety.forget_temp(light)
            raise
        self._prepared = (written, light, wb, held)

    def _forget_prepared(self) -> None:
        if self._prepared is not None:
            safety.forget_temp(self._prepared[1])
            self._prepared = None

    def save(self) -> Path:
        """Apply every staged table and replace the file atomically; returns the path written."""
        with gc_paused():  # openpyxl's cells all stay alive until the end: collections free nothing
            return self._save()

    def _save(self) -> Path:
        from .fast_rows import rewrite_package, row_edits
        from .passthrough import cell_edits
        from .xlsx_writer import apply_tables, restore_dropped_parts

        target = real_target(self.out)     # a symbolic link is written through to its target
        original = self._check_writable(target)
        keep_vba = self.path.suffix.lower() == ".xlsm"
        tmp = light = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = safety.new_temp(target.parent, f".~sop_xl-{target.stem}-", target.suffix)
            prepared, self._prepared = self._prepared, None
            if prepared is not None and prepared[0] == {name.lower() for name in self._staged}:
                _, light, wb, held = prepared
            else:
                if prepared is not None:
                    safety.forget_temp(prepared[1])
                light = tmp.with_name(f"{tmp.stem}-light{tmp.suffix}")
                safety.register_temp(light)
                wb, held = self._open_for_writing(light, keep_vba)
            deferred = apply_tables(wb, list(self._staged.values()), WORKBOOK)
            if not wb.sheetnames:
                wb.create_sheet("Sheet1")
            edits = {**row_edits(deferred), **cell_edits(held)}  # different sheets: written vs untouched
            # the edits rewrite the package, compressed, in one pass: openpyxl need not compress it first
            _save_openpyxl(wb, tmp, compress=not edits)
            if getattr(wb, "vba_archive", None) is not None:
                # openpyxl leaves this in-memory zip open; closed by a later garbage collection, it can
                # find its buffer already closed and print "Exception ignored in ZipFile.__del__"
                wb.vba_archive.close()
            rewrite_package(tmp, edits)
            if not self._new:
                restore_dropped_parts(self.path, tmp)
            if original is not None:
                _keep_identity(tmp, original)
            else:
                os.chmod(tmp, 0o666 & ~_umask())   # a new workbook gets the usual permissions, not mkstemp's 0600
            self._commit(tmp, target, backup=self.backup and original is not None)
        except OSError as exc:
            raise save_error(exc, target) from None
        finally:
            for leftover in (tmp, light, tmp and tmp.with_name(f"{tmp.stem}-bak{tmp.suffix}")):
                if leftover is not None:
                    safety.forget_temp(leftover)
        self._staged.clear()
        self._grids.clear()
        self._heads = None
        self._overlay = MemoryWorkbook(name=self.name)
        self.path, self._new = self.out, False
        self._close_reader()
        self._sheet_names = self._read_sheet_names()
        return target

    def _open_for_writing(self, light: Path, keep_vba: bool, written: set[str] | None = None):
        """(the openpyxl workbook to write into, the untouched sheets set aside): a new workbook, or
        the file with the sheets no stage wrote (`written`, lower case; default: the staged ones) set
        aside into `light` (kept byte for byte) and the previous tables of the staged sheets being rewritten
        left out (the writer blanks them anyway)."""
        from .passthrough import lighten
        from openpyxl import Workbook, load_workbook

        if self._new:
            wb = Workbook()
            wb.remove(wb.active)
            return wb, {}
        if written is None:
            written = {name.lower() for name in self._staged}
        untouched = {n for n in self._sheet_names if n.lower() not in written}
        actual = {n.lower(): n for n in self._sheet_names}
        rewritten = {actual[n.lower()]: block.sheet.table for n, (block, _) in self._staged.items()
                     if n.lower() in actual and n.lower() in written}
        held, lightened = lighten(self.path, untouched, rewritten, light)
        try:
            wb = load_workbook(light if lightened else self.path, keep_vba=keep_vba, keep_links=True)
        except OSError:
            raise
        except Exception as exc:
            raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{self.name} could not be opened for "
                                f"writing ({type(exc).__name__}: {exc}).",
                                "Open it in Excel and save it again.", self.path) from None
        return wb, held

    def _commit(self, tmp: Path, target: Path, *, backup: bool) -> None:
        """Replace `target` by the finished `tmp` (and the backup by the old target): renames only."""
        backup_tmp = None
        if backup:
            # the backup is made complete beside the target first, so the commit below only renames
            backup_tmp = tmp.with_name(f"{tmp.stem}-bak{tmp.suffix}")
            safety.register_temp(backup_tmp)
            shutil.copy2(target, backup_tmp)
        self._close_reader()
        with safety.commit(target):   # an interrupt waits for these two renames: both happen, or none
            if backup_tmp is not None:
                os.replace(backup_tmp, backup_path(target))
            try:
                os.replace(tmp, target)
            except PermissionError:
                raise _access_error(IssueCode.WORKBOOK_LOCKED, f"{target.name} is open in another program.",
                                    "Close it in Excel, or write to another file with --out. "
                                    "Nothing was changed.", target) from None

    def _check_writable(self, target: Path) -> os.stat_result | None:
        """Refuse a save that cannot work before doing any of it; returns the target's stat (None if new)."""
        locks = lock_files(target)
        if locks:
            raise _access_error(IssueCode.WORKBOOK_LOCKED,
                                f"{target.name} is open in Excel or LibreOffice (lock file {locks[0].name}).",
                                "Close the workbook and run again, or write to another file with --out. "
                                "Nothing was changed.", target)
        try:
            st = os.stat(target)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise save_error(exc, target) from None
        if st is not None:
            if stat.S_ISDIR(st.st_mode):
                raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{target} is a folder, not a workbook.",
                                    "Give a file name ending in .xlsx or .xlsm. Nothing was changed.", target)
            if not stat.S_ISREG(st.st_mode):
                raise _access_error(IssueCode.NOT_A_WORKBOOK, f"{target} is not a regular file (a device, pipe or "
                                    "socket).", "Write to a normal .xlsx/.xlsm file. Nothing was changed.", target)
            # the file's own permission bits, not os.access: root may write anything, but a file its
            # owner made read-only stays read-only for sop_xl
            if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
                raise _access_error(IssueCode.WORKBOOK_READ_ONLY, f"{target.name} is read-only.",
                                    "Remove the read-only attribute (chmod u+w, or uncheck Read-only in its "
                                    "Properties), or write to another file with --out. Nothing was changed.", target)
        folder = target.parent if target.parent.exists() else target.parent.parent
        if not os.access(folder, os.W_OK):
            raise _access_error(IssueCode.WORKBOOK_READ_ONLY, f"The folder {folder} is read-only.",
                                "Write to another folder with --out. Nothing was changed.", target)
        return st


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _keep_identity(tmp: Path, original: os.stat_result) -> None:
    """Give the new file the old one's permission bits, owner and group (as far as we are allowed)."""
    os.chmod(tmp, stat.S_IMODE(original.st_mode))
    if hasattr(os, "chown"):
        for uid, gid in ((original.st_uid, original.st_gid), (-1, original.st_gid)):
            try:
                os.chown(tmp, uid, gid)
                break
            except PermissionError:
                continue   # not root: keep at least the group when we belong to it


def _save_openpyxl(wb, path: Path, *, compress: bool) -> None:
    """`wb.save(path)`, with the members stored uncompressed when the package is rewritten anyway (and then
    each sheet serialised in memory where the openpyxl version is checked: P6 in openpyxl_internals)."""
    if compress:
        wb.save(path)
        return
    import datetime
    import zipfile

    # what openpyxl's save_workbook does, with ZIP_STORED instead of ZIP_DEFLATED
    wb.properties.modified = datetime.datetime.now(tz=datetime.timezone.utc).replace(tzinfo=None)
    _writer_class()(wb, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True)).save()


def _writer_class():
    """openpyxl's ExcelWriter; on a checked version, one that writes each sheet's XML into memory instead of
    a temporary file it copies into the package and deletes (a plan save has 16 sheets: 16 files made and
    removed, slow where a virus scanner watches the temp folder)."""
    from io import BytesIO

    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
    from openpyxl.worksheet._writer import WorksheetWriter
    from openpyxl.writer.excel import ExcelWriter

    from .openpyxl_internals import fast_paths_allowed

    if not fast_paths_allowed():
        return ExcelWriter

    class InMemoryWriter(ExcelWriter):
        def write_worksheet(self, ws):
            if self.workbook.write_only:
                return super().write_worksheet(ws)
            # ExcelWriter.write_worksheet of openpyxl 3.1, with the sheet written to a BytesIO
            ws._drawing = SpreadsheetDrawing()
            ws._drawing.charts = ws._charts
            ws._drawing.images = ws._images
            writer = WorksheetWriter(ws, out=BytesIO())
            writer.write()
            ws._rels = writer._rels
            self._archive.writestr(ws.path[1:], writer.read())
            self.manifest.append(ws)

    return InMemoryWriter
