"""Progress reporting the core can call without knowing who listens.

The core takes an optional `Progress`; the CLI passes a rich progress bar, the ribbon a
status-bar updater, tests nothing (the silent default).
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, description: str, total: int) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def finish(self) -> None: ...


class SilentProgress:
    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


SILENT = SilentProgress()
