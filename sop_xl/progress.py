"""Progress reporting the core can call without knowing who listens.

The core takes an optional `Progress`; the CLI passes a rich progress bar (a terminal) or one line
per stage (a log file, CI), the ribbon a status-bar updater, tests nothing (the silent default).

Besides counting steps, a `Progress` may take free-text `note`s: what a long step is doing (the
solver's elapsed time, best bound and gap; which scenario finished). Long steps deep in a core, such
as a solve reached from the plan, the scenarios and the explanations alike, do not get the Progress
passed down: `notes_to(progress)` makes it the listener of everything inside the block, and the code
doing the work asks `current_listener()`.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol

NOTE_EVERY = 10.0   # seconds between two notes of one long step, unless the Progress says otherwise


class Progress(Protocol):
    def start(self, description: str, total: int) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def finish(self) -> None: ...
    # optional: def note(self, text: str) -> None, with attributes note_every (seconds) and
    # notes_from_threads (False when note must be called from the thread running the stage, as Excel's COM)


class SilentProgress:
    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass

    def note(self, text: str) -> None:
        pass


SILENT = SilentProgress()


@dataclass(frozen=True)
class Listener:
    note: Callable[[str], None]
    every: float        # seconds between two notes of one long step
    threads: bool       # may `note` be called from another thread than the stage's


_LISTENER: ContextVar[Listener | None] = ContextVar("sop_xl_progress_listener", default=None)


def current_listener() -> Listener | None:
    return _LISTENER.get()


@contextmanager
def notes_to(progress: Progress) -> Iterator[None]:
    """Inside this block, long steps send their notes to `progress` (nothing if it takes none)."""
    note = getattr(progress, "note", None)
    if note is None or progress is SILENT:
        yield
        return
    every = float(getattr(progress, "note_every", NOTE_EVERY))
    token = _LISTENER.set(Listener(note, max(every, 0.05), bool(getattr(progress, "notes_from_threads", True))))
    try:
        yield
    finally:
        _LISTENER.reset(token)


def note(progress: Progress, text: str) -> None:
    """`progress.note(text)` for a Progress that takes notes (older ones count steps only)."""
    say = getattr(progress, "note", None)
    if say is not None:
        say(text)
