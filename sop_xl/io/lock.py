"""sop_xl's own lock on a workbook, so two runs never write over each other's output.

A run takes the lock before it reads the workbook and keeps it until its save is done:

    with workbook_lock(path, wait=10.0):
        book = FileWorkbook(path)
        execute(book, stages)

The lock is a small file beside the workbook, ``.~sop_xl.<name>.lock``, created with
O_CREAT|O_EXCL (atomic on local disks and SMB/NFS shares) and holding who took it: pid, host,
user and time. A second run waits up to `wait` seconds, then raises `WorkbookBusy` naming the
holder. A lock left by a process that died on this host is taken over; a lock from another host
is only ever waited for (we cannot tell whether that process is alive).

With ``office=True`` (the command line) the lock also honours the owner files of Excel
(``~$Book.xlsx``) and LibreOffice (``.~lock.Book.xlsx#``): the run waits for the program to close
the workbook, then refuses. The Excel front end leaves it off: there the workbook is open in the
very Excel that runs us.

The lock is re-entrant within one process (a command holding it may call code that takes it again).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..issues import Issue, IssueCode, Severity, SopError

POLL_SECONDS = 0.1
DEFAULT_WAIT = 10.0
WAIT_ENV = "SOP_XL_LOCK_WAIT"   # seconds; overrides the default wait of the command line

_held: dict[str, int] = {}
_held_guard = threading.Lock()


class WorkbookBusy(SopError):
    """Another run (or Excel / LibreOffice) holds the workbook; the message says who and since when."""

    exit_code = 3

    def __init__(self, message: str, path: Path | None = None):
        super().__init__(message)
        self.issues = [Issue(Severity.ERROR, IssueCode.WORKBOOK_LOCKED, message,
                             "Wait for the other run to finish (or close the workbook), then run again. "
                             "Nothing was changed.", value=str(path) if path else None)]


def lock_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(f".~sop_xl.{path.name}.lock")


def office_lock_files(path: str | os.PathLike) -> list[Path]:
    """Owner files Excel (~$Book.xlsx) and LibreOffice (.~lock.Book.xlsx#) keep while a book is open."""
    path = Path(path)
    candidates = [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]
    if len(path.name) > 2:
        candidates.append(path.with_name("~$" + path.name[2:]))  # Excel shortens long names
    return [p for p in candidates if p.exists()]


def default_wait() -> float:
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, DEFAULT_WAIT)))
    except ValueError:
        return DEFAULT_WAIT


@contextmanager
def workbook_lock(path: str | os.PathLike, *, wait: float = DEFAULT_WAIT, office: bool = False) -> Iterator[None]:
    """Hold sop_xl's lock on the workbook at `path` for the duration of the block."""
    path = Path(path)
    key = _key(path)
    with _held_guard:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return

    lock = lock_path(path)
    deadline = time.monotonic() + max(0.0, wait)
    fd = None
    while True:
        if office:
            owners = office_lock_files(path)
        else:
            owners = []
        if not owners:
            fd = _try_create(lock)
            if fd is not None:
                break
            if _take_over_stale(lock):
                continue
        if time.monotonic() >= deadline:
            raise WorkbookBusy(_busy_message(path, lock, owners, wait), path)
        time.sleep(POLL_SECONDS)
    with _held_guard:
        _held[key] = 1
    try:
        yield
    finally:
        with _held_guard:
            _held.pop(key, None)
        if fd != UNLOCKABLE:
            try:
                os.close(fd)
            except OSError:
                pass
            _release(lock)


def _key(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path.absolute())


def _holder_info() -> dict:
    try:
        user = getpass.getuser()
    except Exception:  # no login name (containers); the uid is still useful
        user = str(os.getuid()) if hasattr(os, "getuid") else "?"
    return {"pid": os.getpid(), "host": socket.gethostname(), "user": user,
            "since": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv[:3]))}


def _try_create(lock: Path) -> int | None:
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(lock, flags, 0o644)
    except (FileExistsError, IsADirectoryError):
        return None
    except OSError:
        # a folder we cannot write to (or that does not exist yet): nothing can be saved there by anyone
        # either, and the save says why; the lock is not what should stop the run
        return UNLOCKABLE
    data = json.dumps(_holder_info()).encode("utf-8")
    os.write(fd, data)
    try:
        os.fsync(fd)
    except OSError:
        pass
    _mine[str(lock)] = _identity(fd)
    return fd


_mine: dict[str, tuple[int, int]] = {}
UNLOCKABLE = -1


def _identity(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _release(lock: Path) -> None:
    """Remove the lock file if it is still ours (never someone else's that replaced it)."""
    ident = _mine.pop(str(lock), None)
    try:
        st = os.lstat(lock)
    except OSError:
        return
    if ident is None or (st.st_dev, st.st_ino) == ident:
        try:
            os.unlink(lock)
        except OSError:
            pass


def read_holder(lock: Path) -> dict | None:
    try:
        with open(lock, "rb") as fh:
            return json.loads(fh.read(4096).decode("utf-8", "replace"))
    except (OSError, ValueError):
        return None


def _take_over_stale(lock: Path) -> bool:
    """Remove a lock whose process died on this host; True when it was removed."""
    try:
        before = os.lstat(lock)
    except FileNotFoundError:
        return True   # released meanwhile: try again at once
    except OSError:
        return False
    holder = read_holder(lock)
    if holder is None:
        # being written this instant, or garbage: garbage older than a minute is stale
        return _remove_if_same(lock, before) if time.time() - before.st_mtime > 60 else False
    if holder.get("host") != socket.gethostname():
        return False
    pid = holder.get("pid")
    if not isinstance(pid, int) or _pid_alive(pid):
        return False
    return _remove_if_same(lock, before)


def _remove_if_same(lock: Path, before: os.stat_result) -> bool:
    """Unlink `lock` only if it is still the file we judged stale (another run may have replaced it)."""
    aside = lock.with_name(f"{lock.name}.stale-{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.rename(lock, aside)
    except OSError:
        return False
    try:
        st = os.lstat(aside)
        if (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino):
            # a live lock was created between our look and the rename: put it back
            try:
                os.link(aside, lock)
            except OSError:
                pass
        os.unlink(aside)
    except OSError:
        pass
    return True


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True   # alive, another user's
    return True


def _busy_message(path: Path, lock: Path, owners: list[Path], wait: float) -> str:
    waited = f"after waiting {wait:g} s" if wait > 0 else "at once"
    if owners:
        who = _office_owner(owners[0])
        program = "Excel" if owners[0].name.startswith("~$") else "LibreOffice"
        return (f"{path.name} is open in {program}{who} (lock file {owners[0].name}); gave up {waited}. "
                f"Close the workbook there and run again, or write to another file with --out. If it is open "
                f"nowhere, {owners[0].name} was left behind by a crash: delete it.")
    holder = read_holder(lock) or {}
    who = holder.get("user", "another user")
    host = holder.get("host", "?")
    since = holder.get("since", "?")
    command = holder.get("command", "sop-xl")
    pid = holder.get("pid", "?")
    return (f"{path.name} is busy: another sop_xl run ({command}, pid {pid}) by {who} on {host} holds it "
            f"since {since}; gave up {waited}. Run again when it has finished, or raise the wait with "
            f"{WAIT_ENV}=SECONDS. If no such run exists, delete {lock.name}.")


def _office_owner(owner: Path) -> str:
    """The user name Excel / LibreOffice wrote into their owner file, as ' by NAME' (or '')."""
    try:
        raw = owner.read_bytes()[:512]
    except OSError:
        return ""
    if owner.name.startswith(".~lock."):
        # LibreOffice: "Full Name,login,host,date,profile;"
        parts = raw.decode("utf-8", "replace").split(",")
        name = parts[0].strip() or (parts[1].strip() if len(parts) > 1 else "")
        since = parts[3].strip() if len(parts) > 3 else ""
        return (f" by {name}" if name else "") + (f" since {since}" if since else "")
    # Excel: first byte is the length of the user name, which follows as ANSI text
    if raw:
        n = raw[0]
        name = raw[1:1 + n].decode("latin-1", "replace").strip()
        if name.isprintable() and name:
            return f" by {name}"
    return ""


def release_all() -> None:
    """Remove every lock this process holds (the Ctrl-C handler, just before the process exits)."""
    with _held_guard:
        _held.clear()
    for lock in list(_mine):
        _release(Path(lock))
