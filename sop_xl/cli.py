"""`sop-xl`: the command line. Thin: parse arguments, open the workbook, call `execute`.

Exit codes: 0 done, 1 the workbook has problems to fix (listed), 2 wrong command line,
3 the workbook cannot be opened or saved, 4 stage not available, 5 merge done but some returned
review copies were refused (listed, their values on Rejected), 70 internal error.
"""

from __future__ import annotations

# Only the standard library up here: Ctrl-C during start-up is handled from the first line of main().
import signal
import sys

if __name__ == "__main__":   # `python -m sop_xl.cli`: from here on, Ctrl-C during start-up is handled
    from sop_xl import _interrupted_during_start_up
    signal.signal(signal.SIGINT, _interrupted_during_start_up)

import argparse
import os
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Sequence

from . import __version__, safety

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_ACCESS, EXIT_UNAVAILABLE, EXIT_INTERNAL = 0, 1, 2, 3, 4, 70
EXIT_REFUSED = 5  # a stage finished and saved, but refused some of its inputs (merge: returns refused)

STAGE_HELP = {
    "validate": "check every input sheet and print all problems with their cells",
    "forecast": "statistical demand forecast with intervals and accuracy",
    "accuracy": "accuracy of the statistical forecast (backtest) and of closed cycles' plans against actuals",
    "roughcut": "rough-cut capacity check: load vs capacity per resource and period",
    "plan": "optimised, capacity-constrained supply plan",
    "financials": "revenue, cost of goods, margin, inventory and working capital vs budget (Financials sheet)",
    "dashboard": "executive KPIs with charts (Dashboard sheet) and the ActionPlan seeded from the plan",
}


class RichProgress:
    """Progress bars on stderr; silent when quiet or not a terminal-friendly run."""

    def __init__(self, console, enabled: bool):
        self.console, self.enabled = console, enabled
        self._desc = ""
        self._progress = None
        self._task = None

    def start(self, description: str, total: int) -> None:
        if not self.enabled:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        self.finish()
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=self.console, transient=True)
        self._progress.start()
        self._desc = description
        self._task = self._progress.add_task(description, total=max(total, 1))

    def advance(self, n: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    note_every = 2.0   # a bar redraws in place: a note may come often

    def note(self, text: str) -> None:
        """What the current step is doing, shown after its description on the bar."""
        if self._progress is not None:
            self._progress.update(self._task, description=f"{self._desc} - {text}")


class LineProgress:
    """Progress when the output is not a terminal (a log file, CI, Excel's console): one line when a
    stage (or a long step such as the scenarios) starts, and a line with the count at most every
    `every` seconds while it runs, so a long solve still shows it is alive."""

    def __init__(self, stream, every: float = 10.0):
        self.stream, self.every = stream, every
        self._desc, self._total, self._done = "", 0, 0
        self._t0 = self._last = 0.0

    def _line(self, text: str) -> None:
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass

    def start(self, description: str, total: int) -> None:
        self._desc, self._total, self._done = description, max(total, 1), 0
        self._t0 = self._last = time.monotonic()
        self._line(f"{description} ...")

    def advance(self, n: int = 1) -> None:
        self._done += n
        now = time.monotonic()
        if now - self._last >= self.every and self._done < self._total:
            self._last = now
            self._line(f"{self._desc} {self._done}/{self._total} ({now - self._t0:.0f} s)")

    def finish(self) -> None:
        pass

    @property
    def note_every(self) -> float:
        return self.every

    def note(self, text: str) -> None:
        """A line of what a long step is doing (a solve's elapsed time, bound and gap; a scenario done)."""
        self._last = time.monotonic()
        self._line(f"{self._desc}: {text}")


def build_parser() -> argparse.ArgumentParser:
    """The command line. Kept as one table on purpose: every command and option in the order
    `sop-xl --help` lists them, so one read shows the whole interface."""
    parser = argparse.ArgumentParser(
        prog="sop-xl", description="Sales & Operations Planning inside Excel: forecast, plan and reconcile "
        "the numbers in your workbook.")
    parser.add_argument("--version", action="version", version=f"sop-xl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser, *, workbook: bool = True) -> None:
        if workbook:
            p.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
            p.add_argument("--out", type=Path, help="write to this file instead of changing WORKBOOK")
        p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
        if workbook:
            p.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                           help="how long to wait for another run (or Excel) to release the workbook "
                                "(default: $SOP_XL_LOCK_WAIT or 10)")

    p = sub.add_parser("demo", help="write the demo company into a new workbook and run the whole S&OP cycle")
    p.add_argument("--out", type=Path, default=None,
                   help="where (default: sop_xl_demo/sop_xl_demo.xlsx under the current folder)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the demo data (default: %(default)s)")
    p.add_argument("--inputs-only", action="store_true", help="write the inputs without running any stage")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    common(p, workbook=False)

    p = sub.add_parser("validate", help=STAGE_HELP["validate"])
    p.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
    p.add_argument("--write", action="store_true", help="also write the Issues sheet into the workbook")
    common(p, workbook=False)
    p.add_argument("--wait", type=float, default=None, metavar="SECONDS", help="with --write: see `run --help`")

    def fan_out(p: argparse.ArgumentParser) -> None:
        # forecasting and scenarios fan out through joblib: processes here, or a Dask cluster
        p.add_argument("--jobs", type=int, default=None, metavar="N",
                       help="worker processes for the forecast and the scenarios (-1: every core; default: one "
                            "process, the fastest on 2 cores)")
        p.add_argument("--dask", default=None, metavar="ADDRESS",
                       help="fan the forecast and the scenarios out to the dask.distributed scheduler at ADDRESS "
                            "(e.g. tcp://10.0.0.5:8786), or 'local' for a cluster of this machine's cores")

    for name in ("forecast", "accuracy", "roughcut", "plan"):
        p = sub.add_parser(name, help=STAGE_HELP[name])
        common(p)
        if name == "forecast":
            fan_out(p)

    p = sub.add_parser("run", help="run the whole cycle (every stage available) on a workbook")
    common(p)
    fan_out(p)

    p = sub.add_parser("send-review", help="write one review copy per department (Settings departments)")
    common(p)
    p.add_argument("--to", type=Path, required=True, metavar="DIR", help="folder for the review copies")
    p = sub.add_parser("merge", help="merge returned review copies into the Consensus sheet")
    common(p)
    p.add_argument("returns", type=Path, nargs="+", metavar="RETURNS", help="returned copies, or folders of them")
    p = sub.add_parser("close-cycle", help="snapshot the plan of record into Versions; change report and FVA")
    common(p)

    for name in ("financials", "dashboard"):
        common(sub.add_parser(name, help=STAGE_HELP[name]))
    p = sub.add_parser("scenarios", help="plan every what-if of the Scenarios sheet and compare them with the base plan")
    common(p)
    p.add_argument("--promote", metavar="NAME", help="make this scenario's plan the plan of record")
    fan_out(p)
    p = sub.add_parser("export-pdf", help="the Dashboard and ActionPlan as a PDF for the meeting (LibreOffice)")
    p.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
    p.add_argument("--pdf", type=Path, default=None, help="where (default: WORKBOOK with .pdf)")
    common(p, workbook=False)

    p = sub.add_parser("docs", help="regenerate docs/workbook.md from the workbook contract")
    p.add_argument("--out", type=Path, default=Path("docs/workbook.md"))
    p.add_argument("--check", action="store_true", help="exit 1 if the file is stale instead of writing it")

    p = sub.add_parser("build-template", help="build workbook_template.xlsm (demo data, ribbon, VBA, xlwings.conf)")
    p.add_argument("--out", type=Path, default=None, help="where (default: workbook_template.xlsm in the repository)")
    p.add_argument("--check", action="store_true", help="exit 1 if --out is stale instead of writing it")

    p = sub.add_parser("doctor", help="check the setup for Excel: Python, xlwings, functions, PDF, folder")
    p.add_argument("workbook", type=Path, nargs="?", default=None, help="also check this workbook (optional)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run it. The work runs in a worker thread; the main thread only
    waits, so Ctrl-C is answered at once (even during a solve in native code): temporary files are
    removed, a save in progress is finished (never half done), and the process exits 130."""
    previous = _catch_interrupts()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return EXIT_USAGE
        safety.reset()
        return _in_worker(lambda: _main(args))
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _catch_interrupts():
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, _on_interrupt)


def _on_interrupt(signum, frame) -> None:
    """Ctrl-C: finish a save in progress, start none, remove temporary files, release the locks, exit 130."""
    saved = safety.abort()
    lock = sys.modules.get("sop_xl.io.lock")
    if lock is not None:
        lock.release_all()
    if saved:
        names = ", ".join(sorted({p.name for p in saved}))
        text = (f"interrupted; {names} was saved before the interrupt and holds the stages that finished "
                f"(the version before is its .bak file); nothing else was changed")
    else:
        text = "interrupted; the workbook was not changed"
    try:
        if sys.stderr.isatty():
            sys.stderr.write("\x1b[?25h\r\x1b[2K")   # the progress bar hid the cursor
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(130)


def _in_worker(work) -> int:
    box: dict = {}

    def run() -> None:
        try:
            box["code"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread below
            box["error"] = exc

    worker = threading.Thread(target=run, name="sop-xl-worker", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)
    if "error" in box:
        raise box["error"]
    return box["code"]


def _main(args) -> int:
    from rich.console import Console

    from .issues import InputError, SopError

    quiet = getattr(args, "quiet", False)
    out = Console(stderr=False, quiet=quiet, highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if quiet:
        progress = RichProgress(err, enabled=False)
    elif err.is_terminal:
        progress = RichProgress(err, enabled=True)
    else:
        try:
            every = float(os.environ.get("SOP_XL_PROGRESS_EVERY", "10"))
        except ValueError:
            every = 10.0
        progress = LineProgress(sys.stderr, every=every)
    try:
        return _dispatch(args, out, err, progress, quiet=quiet)
    except InputError as exc:
        progress.finish()
        print_issues(err, exc.issues, quiet=quiet)
        return EXIT_INPUT
    except SopError as exc:
        progress.finish()
        err.print(f"[bold red]error:[/] {exc}", markup=True)
        return exc.exit_code
    except Exception as exc:  # a bug: say so briefly, keep the details in a file of this run
        import traceback
        progress.finish()
        details = traceback.format_exc()
        try:
            where = f"Details for a bug report: {safety.error_log(details)}"
        except OSError as log_exc:
            where = f"(the details could not be written to a log: {log_exc})"
        err.print(f"[bold red]internal error[/] ({type(exc).__name__}: {exc}). The workbook was not changed. "
                  f"{where}")
        return EXIT_INTERNAL


def _lock(path: Path, args):
    """sop_xl's lock on the workbook, waiting for other runs and for Excel / LibreOffice to close it."""
    from .io.lock import default_wait, workbook_lock
    wait = args.wait if getattr(args, "wait", None) is not None else default_wait()
    return workbook_lock(path, wait=wait, office=True)


def _dispatch(args, out, err, progress, *, quiet: bool = False) -> int:
    from .io.file import FileWorkbook

    if args.command == "docs":
        return _docs(args, out, err)

    if args.command == "doctor":
        from .excel.doctor import run_doctor
        return run_doctor(args.workbook, out=out, err=err)

    if args.command == "build-template":
        from .excel.template import run_build_template
        return run_build_template(args.out, check=args.check, out=out, err=err)

    if args.command == "demo":
        return _demo(args, out, err, progress, quiet=quiet)

    if args.command == "validate":
        if not args.write:
            return _run(FileWorkbook(args.workbook), ["validate"], out, err, progress, save=False, quiet=quiet)
        with _lock(args.workbook, args):
            return _run(FileWorkbook(args.workbook), ["validate"], out, err, progress, quiet=quiet)

    if args.command == "export-pdf":
        book = FileWorkbook(args.workbook)
        return _run(book, ["export-pdf"], out, err, progress, save=False, quiet=quiet,
                    options={"export-pdf": {"out": args.pdf}})

    return _stages(args, out, err, progress, quiet=quiet)


def _docs(args, out, err) -> int:
    from .docs import render_workbook_doc
    text = render_workbook_doc()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            err.print(f"{args.out} is stale: run `sop-xl docs`")
            return EXIT_INPUT
        return EXIT_OK
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    out.print(f"wrote {args.out}")
    return EXIT_OK


def _stages(args, out, err, progress, *, quiet: bool) -> int:
    """`run` or one stage command: lock the workbook (and --out), run, save."""
    from .commands.base import CYCLE, StageUnavailable, available_stages, cycle_for
    from .io.file import FileWorkbook

    stages = [s for s in CYCLE if s in available_stages()] if args.command == "run" else [args.command]
    options = {"send-review": {"to_dir": getattr(args, "to", None)},
               "merge": {"returns": getattr(args, "returns", None)},
               "scenarios": {"promote": getattr(args, "promote", None)}}.get(args.command)
    options = {args.command: options} if options else {}
    fan_out = _fan_out(args)
    for stage in ("forecast", "scenarios") if fan_out else ():
        options.setdefault(stage, {}).update(fan_out)
    with ExitStack() as stack:
        if getattr(args, "dask", None):
            try:
                stack.enter_context(_dask_client(args.dask))
            except _NoCluster as exc:
                err.print(f"[bold red]error:[/] {_escape(exc)}")
                return EXIT_UNAVAILABLE
        # the lock is taken before the workbook is read, so a run never works on what another run
        # is about to replace; with --out the target is locked too
        targets = sorted({str(Path(args.workbook).absolute()), str(Path(args.out or args.workbook).absolute())})
        for target in targets:
            stack.enter_context(_lock(Path(target), args))
        book = FileWorkbook(args.workbook, out=args.out)
        try:
            if args.command == "run":
                stages, skipped = cycle_for(book, stages)
                for line in skipped if not quiet else ():
                    out.print(line)
            return _run(book, stages, out, err, progress, quiet=quiet, options=options or None)
        except StageUnavailable as exc:
            err.print(f"[bold red]error:[/] {_escape(exc)}")
            return EXIT_UNAVAILABLE


def _fan_out(args) -> dict:
    """The forecast's and the scenarios' fan-out options of --jobs and --dask (empty: one process)."""
    if getattr(args, "dask", None):
        return {"backend": "dask"}
    jobs = getattr(args, "jobs", None)
    return {"n_jobs": jobs} if jobs not in (None, 1) else {}


class _NoCluster(Exception):
    """--dask named a cluster that cannot be used."""


@contextmanager
def _dask_client(address: str):
    """A dask.distributed Client joblib's "dask" backend sends the work to: the scheduler at `address`, or
    a cluster of this machine's cores for 'local'. Closed (and a local cluster stopped) with the command."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise _NoCluster("--dask needs dask.distributed: python3 -m pip install \"dask[distributed]\"") from None
    with ExitStack() as stack:
        try:
            if address.lower() == "local":
                cluster = stack.enter_context(LocalCluster(processes=True, dashboard_address=None))
                stack.enter_context(Client(cluster))
            else:
                stack.enter_context(Client(address, timeout="10s"))
        except (OSError, TimeoutError, ValueError) as exc:
            raise _NoCluster(f"no Dask scheduler could be reached at {address} ({type(exc).__name__}: {exc}); "
                             "start one (`dask scheduler`) or leave --dask out to run here") from None
        yield


def _demo(args, out, err, progress, *, quiet: bool) -> int:
    from .commands.demo import DEFAULT_OUT, create_demo_workbook, prepare_output_folder, run_demo_cycle

    target = args.out or DEFAULT_OUT
    if target.exists() and not args.force:
        err.print(f"[bold red]error:[/] {target} exists. Use --force to overwrite it, or --out NEW.xlsx.")
        return EXIT_USAGE
    prepare_output_folder(target)
    with _lock(target, args):
        create_demo_workbook(target, seed=args.seed)
        out.print(f"demo inputs written to {target}")
        if args.inputs_only:
            return EXIT_OK
        results = run_demo_cycle(target, seed=args.seed, progress=progress,
                                 on_result=lambda r: _print_summary(r, out, progress))
    progress.finish()
    code = _report(results, err, quiet=quiet)
    if code == EXIT_OK:
        # without LibreOffice the export-pdf stage's summary line says, once, how to get the PDF
        out.print(f"[bold green]done:[/] open {target} in Excel")
    return code


def _code(issue) -> str:
    return str(getattr(issue.code, "value", issue.code)).lower()


def _escape(text) -> str:
    from rich.markup import escape
    return escape(str(text))


def _run(book, stages, out, err, progress, *, save: bool = True, options: dict | None = None,
         quiet: bool = False) -> int:
    from .commands.base import execute

    results = execute(book, stages, progress=progress, save=save, options=options,
                      on_result=lambda r: _print_summary(r, out, progress))
    progress.finish()
    code = _report(results, err, quiet=quiet)
    if code not in (EXIT_OK, EXIT_REFUSED) and save:
        err.print(f"Stages that finished were saved; the failed one wrote only its explanation and the Issues "
                  f"sheet of {_escape(book.name)}.")
    elif save:
        out.print(f"saved {_escape(book.path)}")
    return code


def _print_summary(result, out, progress) -> None:
    progress.finish()
    for line in result.summary:
        out.print(line)


def _report(results, err, *, quiet: bool = False) -> int:
    """Print the problems of a run; the exit code says whether a stage failed (warnings are exit 0)."""
    from .commands.export_pdf import PDF_ENGINE_MISSING  # said once by the stage's summary line instead
    from .issues import Severity
    shown = [i for r in results for i in r.issues
             if i.severity is not Severity.INFO and _code(i) != PDF_ENGINE_MISSING]
    if shown:
        print_issues(err, shown, quiet=quiet)
    if any(r.status == "failed" for r in results):
        return EXIT_INPUT
    return EXIT_REFUSED if any(r.data.get("refused") for r in results) else EXIT_OK


def print_issues(console, issues, limit: int = 60, *, quiet: bool = False, examples: int = 3) -> None:
    """Errors in full (up to `limit`, with cell and fix); warnings one line per kind with a count and
    the worst examples (none with -q). The Issues sheet of the workbook has every one of them."""
    from rich.table import Table

    from .issues import Severity
    errors = [i for i in issues if i.severity is Severity.ERROR]
    warnings = [i for i in issues if i.severity is Severity.WARNING]
    if errors:
        table = Table(title=f"{len(errors)} error(s)" + (f", {len(warnings)} warning(s)" if warnings else ""),
                      show_lines=False, expand=False)
        for col in ("", "where", "problem", "how to fix"):
            table.add_column(col, overflow="fold")
        for issue in errors[:limit]:
            table.add_row("[bold red]error[/]", _escape(issue.location()), _escape(issue.message),
                          _escape(issue.hint))
        console.print(table)
        if len(errors) > limit:
            console.print(f"... and {len(errors) - limit} more errors: see the Issues sheet of the workbook.")
    if quiet or not warnings:
        return
    console.print(f"[yellow]{len(warnings)} warning(s)[/] (all on the Issues sheet):")
    for code, group in _by_code(warnings):
        worst = sorted(group, key=_severity_of, reverse=True)[:examples]
        sheets = {i.sheet for i in group}
        on = f" on {next(iter(sheets))}" if len(sheets) == 1 and next(iter(sheets)) else ""
        where = "; ".join(_example(i, with_sheet=not on) for i in worst)
        more = f"; +{len(group) - len(worst)} more" if len(group) > len(worst) else ""
        console.print(f"  [yellow]{_escape(code)}[/] x{len(group)}{_escape(on)}: {_escape(where)}{_escape(more)}",
                      soft_wrap=True)


def _by_code(issues) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for issue in issues:
        groups.setdefault(_code(issue), []).append(issue)
    return sorted(groups.items(), key=lambda kv: -len(kv[1]))


def _severity_of(issue) -> float:
    """How bad one warning of a kind is, for choosing examples: the size of its number, if it has one."""
    value = issue.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return abs(float(value))
    import re
    text = str(value) if value not in (None, "") else issue.message
    numbers = [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)
               if not re.fullmatch(r"(19|20)\d\d", n)]   # years in periods are not sizes
    return max(numbers, default=0.0)


def _example(issue, *, with_sheet: bool = True) -> str:
    where = issue.location() if with_sheet else issue.cell
    text = issue.message if len(issue.message) <= 60 else issue.message[:57] + "..."
    return f"{where}: {text}" if where else text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
