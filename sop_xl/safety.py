"""What keeps a workbook safe when a run is interrupted, and where a bug's details go.

Standard library only: the command line imports this before anything else, so Ctrl-C during
start-up is handled too.

- Temporary files a save creates are created and registered here in one step (`new_temp`); whoever
  stops the run (the save's own `finally`, or the Ctrl-C handler of the command line) removes them.
- The few steps that change files the user owns (backup, then replace) run inside `commit()`;
  an interrupt waits for a commit in progress to finish, and no new commit starts after it.
  So an interrupted run either changed nothing, or finished its save completely; never half.
- `error_log()`: a new file per run in the user's own log folder, opened without following
  symbolic links, for the details of an internal error.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_guard = threading.RLock()
_temps: set[Path] = set()
_committed: list[Path] = []
_aborting = False

# suffixes the save's helpers add to its temporary file (fast_rows: ".rows", xlsx_writer: ".part")
TEMP_SUFFIXES = ("", ".rows", ".part")


def register_temp(path: Path) -> None:
    with _guard:
        if _aborting:
            _block_forever()
        _temps.add(Path(path))


def new_temp(directory: Path | None, prefix: str, suffix: str) -> Path:
    """Create an empty temporary file and register it in one step: an interrupt's clean-up (which
    takes the same lock) sees either no file or a registered one, never a file it does not know."""
    import tempfile
    with _guard:
        if _aborting:
            _block_forever()
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
        os.close(fd)
        path = Path(name)
        _temps.add(path)
        return path


def forget_temp(path: Path) -> None:
    """Remove the temporary file (and the helpers' siblings of it) and stop tracking it."""
    path = Path(path)
    with _guard:
        _temps.discard(path)
    _unlink_family(path)


def _unlink_family(path: Path) -> None:
    for suffix in TEMP_SUFFIXES:
        candidate = path.with_name(path.name + suffix)
        try:
            if os.path.lexists(candidate):
                os.unlink(candidate)
        except OSError:
            pass


@contextmanager
def commit(target: Path) -> Iterator[None]:
    """Run the steps that change the user's files; an interrupt cannot split them."""
    with _guard:
        if _aborting:
            _block_forever()
        yield
        _committed.append(Path(target))


def committed() -> list[Path]:
    with _guard:
        return list(_committed)


def reset() -> None:
    """Start a new run (tests call the command line many times in one process)."""
    global _aborting
    with _guard:
        _committed.clear()
        _aborting = False


def abort(timeout: float = 30.0) -> list[Path]:
    """Stop everything: wait for a commit in progress, refuse new ones, remove temporary files.
    Returns the files this run saved before the interrupt (usually none)."""
    global _aborting
    deadline = time.monotonic() + timeout
    got = False
    while not got and time.monotonic() < deadline:
        try:
            got = _guard.acquire(timeout=0.1)
        except KeyboardInterrupt:   # a second Ctrl-C while waiting: keep waiting, the commit is short
            continue
    try:
        _aborting = True
        for path in list(_temps):
            _unlink_family(path)
        _temps.clear()
        return list(_committed)
    finally:
        if got:
            _guard.release()


def _block_forever() -> None:
    """A worker thread reaching a commit after an interrupt: the process is about to exit."""
    while True:
        time.sleep(3600)


# ---------------------------------------------------------------------------------------------- error log
def log_dir() -> Path:
    """The user's own log folder: platformdirs' user_log_dir when installed, else the platform's
    convention (XDG_STATE_HOME or ~/.local/state on Linux, ~/Library/Logs, %LOCALAPPDATA%)."""
    try:
        from platformdirs import user_log_dir
        return Path(user_log_dir("sop_xl", appauthor=False))
    except ImportError:
        pass
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "sop_xl" / "Logs"
    if sys.platform == "darwin":
        return home / "Library" / "Logs" / "sop_xl"
    state = os.environ.get("XDG_STATE_HOME")
    base = Path(state) if state and os.path.isabs(state) else home / ".local" / "state"
    return base / "sop_xl" / "log"


def error_log(text: str) -> Path:
    """Write `text` to a new file of this run in the user's log folder; returns its path.

    The folder is created private (0700); the file is created new (O_EXCL, so an existing file or a
    planted symbolic link is never opened) and private (0600)."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.path.islink(folder):
        raise OSError(f"{folder} is a symbolic link; not writing a log through it")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for attempt in range(100):
        path = folder / f"error-{stamp}-{os.getpid()}{'' if attempt == 0 else f'-{attempt}'}.log"
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path
    raise OSError(f"could not create a new log file in {folder}")
