"""What the solver is doing during a long solve, as lines a planner can read: elapsed time, and for a
whole-number plan (lot sizing, whole headcount) the best plan found so far, the best bound and the gap.

Nothing is said unless a front end listens (`sop_xl.progress.notes_to`, set around every stage by
commands/base.py); `solve.run_highs(h)`, through which every HiGHS run of the plan goes, wraps `h.run()`
in `watch(h)`. The listener is found (a context variable: a worker thread is started in a copy of the
caller's context), not
passed down, so the plan, the scenarios, the infeasibility explanation and the dual re-solve all report
alike, and the core stays free of I/O (it calls whatever the front end gave).

What this relies on in highspy 1.16 (site-packages/highspy/highs.py and _core/cb.pyi):
- highs.py l. 1640: `Highs.cbMipInterrupt`, a `HighsCallback`; `subscribe(fn)` (l. 1713) starts the C++
  callback, `unsubscribe(fn)` (l. 1737) stops it when none is left; `fire` (l. 1788-1802) calls
  `fn(HighsCallbackEvent)`.
- _core/cb.pyi l. 44-53: the event's `data_out` (HighsCallbackOutput) carries `running_time`,
  `mip_primal_bound`, `mip_dual_bound` and `mip_gap`.
- Measured here: the MIP interrupt callback fires a few times a second (32 calls in a 5 s lot-sizing
  solve: free); `cbSimplexInterrupt` fires at every simplex iteration (55,000 calls, +30 % on a 1.2 s LP)
  with running_time -1, so an LP is reported by a clock thread instead; `cbMipLogging` fires only when
  HiGHS writes its own log (output_flag), which sop_xl turns off.
- `Highs.run()` releases the GIL (a Python thread kept ticking through a 3 s LP), so that thread runs.
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from ..progress import Listener, current_listener


@contextmanager
def watch(h, *, sign: float = 1.0) -> Iterator[None]:
    """Around `h.run()` of a `highspy.Highs`: progress lines to the current listener, if any.
    `sign` -1 when the model handed to HiGHS is the negated objective of a maximisation."""
    listener = current_listener()
    if listener is None:
        yield
        return
    state = _Progress(listener, sign)
    subscribed = _subscribe(h, state.on_mip)
    stop = threading.Event()
    clock = None
    if listener.threads:
        clock = threading.Thread(target=state.tick, args=(stop,), name="sop-xl-solver-progress", daemon=True)
        clock.start()
    try:
        yield
    finally:
        stop.set()
        if clock is not None:
            clock.join(1.0)
        if subscribed:
            try:
                h.cbMipInterrupt.unsubscribe(state.on_mip)
            except Exception:  # noqa: BLE001 - progress must never fail a solve
                pass


def _subscribe(h, callback) -> bool:
    try:
        h.cbMipInterrupt.subscribe(callback)
    except Exception:  # noqa: BLE001 - an older highspy without the callback API: elapsed time only
        return False
    return True


class _Progress:
    """The latest figures of one solve and when a line was last said."""

    def __init__(self, listener: Listener, sign: float):
        self.listener, self.sign = listener, sign
        self.start = time.monotonic()
        self.last = self.start
        self.mip_seen = False
        self.lock = threading.Lock()

    def on_mip(self, event) -> None:
        """Called by HiGHS during branch-and-cut: say the figures when a line is due."""
        self.mip_seen = True
        now = time.monotonic()
        if now - self.last < self.listener.every:
            return
        out = event.data_out
        line = mip_line(now - self.start, self.sign * out.mip_primal_bound, self.sign * out.mip_dual_bound,
                        out.mip_gap)
        self._say(now, line)

    def tick(self, stop: threading.Event) -> None:
        """Clock thread: elapsed time while no MIP figures come (an LP, or a MIP's presolve)."""
        while not stop.wait(self.listener.every / 4):
            now = time.monotonic()
            if not self.mip_seen and now - self.last >= self.listener.every:
                elapsed = now - self.start
                self._say(now, f"solver: {elapsed:.1f} s, solving" if elapsed < 10 else
                          f"solver: {elapsed:,.0f} s, solving")

    def _say(self, now: float, line: str) -> None:
        with self.lock:
            if now - self.last < self.listener.every:
                return
            self.last = now
        try:
            self.listener.note(line)
        except Exception:  # noqa: BLE001 - a status bar or closed stream must not stop the solver
            pass


def mip_line(elapsed: float, best: float, bound: float, gap: float) -> str:
    """'solver: 42 s, best plan 5,110,660, bound 5,083,675, gap 0.53 %' (no plan yet: bound only)."""
    text = f"solver: {elapsed:.1f} s, " if elapsed < 10 else f"solver: {elapsed:,.0f} s, "
    if not math.isfinite(best):
        text += "no plan yet"
    else:
        text += f"best plan {best:,.0f}"
    if math.isfinite(bound):
        text += f", bound {bound:,.0f}"
    if math.isfinite(best) and math.isfinite(gap) and gap >= 0:
        text += f", gap {gap * 100:.2f} %"
    return text
