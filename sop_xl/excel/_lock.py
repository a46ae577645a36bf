"""One run at a time per workbook, for the ribbon.

`sop_xl.io.lock` (helper `firstrun`) owns the lock the CLI and the ribbon share:
`workbook_lock(path, *, wait=10.0)` (a context manager) and `WorkbookBusy` (an exception
whose message a planner can read). Until that module is on main, this file is the same API
in a few lines, so the dispatcher does not change when it arrives: a lock file in the
temporary folder named after the workbook, holding the process id; a lock whose process
is gone is taken over.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Iterator

try:  # the shared implementation, once it exists
    from ..io.lock import WorkbookBusy, workbook_lock  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - exercised while sop_xl.io.lock is not there
    class WorkbookBusy(Exception):  # type: ignore[no-redef]
        """Another sop_xl run holds this workbook."""

    def _lock_file(path: str | os.PathLike) -> Path:
        key = os.path.normcase(os.path.abspath(os.fspath(path)))
        return Path(tempfile.gettempdir()) / f"sop_xl-{hashlib.sha1(key.encode()).hexdigest()[:16]}.lock"

    def _alive(pid: int) -> bool:
        if pid == os.getpid():
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:  # exists but not ours (or Windows' answer for a live process)
            return True
        return True

    @contextlib.contextmanager  # type: ignore[no-redef]
    def workbook_lock(path: str | os.PathLike, *, wait: float = 10.0) -> Iterator[Path]:
        lock = _lock_file(path)
        deadline = time.monotonic() + wait
        while True:
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                break
            except FileExistsError:
                try:
                    pid = int(lock.read_text().strip() or 0)
                except (OSError, ValueError):
                    pid = 0
                if pid and not _alive(pid):
                    lock.unlink(missing_ok=True)  # left behind by a run that crashed
                    continue
                if time.monotonic() >= deadline:
                    raise WorkbookBusy(
                        f"{Path(path).name} is busy: another sop_xl run (process {pid or '?'}) is working on it. "
                        "Wait until it has finished (its message box appears), then press the button again.") from None
                time.sleep(0.2)
        try:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            yield lock
        finally:
            lock.unlink(missing_ok=True)
