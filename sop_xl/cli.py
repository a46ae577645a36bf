"""`sop-xl`: the command line. Thin: parse arguments, open the workbook, call `execute`.

Exit codes: 0 done, 1 the workbook has problems to fix (listed), 2 wrong command line,
3 the workbook cannot be opened or saved, 4 stage not available, 70 internal error.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Sequence

from . import __version__
from .issues import Issue, InputError, Severity, SopError

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_ACCESS, EXIT_UNAVAILABLE, EXIT_INTERNAL = 0, 1, 2, 3, 4, 70

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
        self._task = self._progress.add_task(description, total=max(total, 1))

    def advance(self, n: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sop-xl", description="Sales & Operations Planning inside Excel: forecast, plan and reconcile "
        "the numbers in your workbook.")
    parser.add_argument("--version", action="version", version=f"sop-xl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser, *, workbook: bool = True) -> None:
        if workbook:
            p.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
            p.add_argument("--out", type=Path, help="write to this file instead of changing WORKBOOK")
        p.add_argument("-q", "--quiet", action="store_true", help="print only problems")

    p = sub.add_parser("demo", help="write the demo company into a new workbook and run the whole S&OP cycle")
    p.add_argument("--out", type=Path, default=Path("sop_xl_demo.xlsx"), help="where (default: %(default)s)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the demo data (default: %(default)s)")
    p.add_argument("--inputs-only", action="store_true", help="write the inputs without running any stage")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    common(p, workbook=False)

    p = sub.add_parser("validate", help=STAGE_HELP["validate"])
    p.add_argument("workbook", type=Path, help="the .xlsx or .xlsm workbook")
    p.add_argument("--write", action="store_true", help="also write the Issues sheet into the workbook")
    common(p, workbook=False)

    for name in ("forecast", "accuracy", "roughcut", "plan"):
        p = sub.add_parser(name, help=STAGE_HELP[name])
        common(p)

    p = sub.add_parser("run", help="run the whole cycle (every stage available) on a workbook")
    common(p)

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
    from rich.console import Console
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    quiet = getattr(args, "quiet", False)
    out = Console(stderr=False, quiet=quiet, highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    progress = RichProgress(err, enabled=not quiet and err.is_terminal)
    try:
        return _dispatch(args, out, err, progress)
    except InputError as exc:
        progress.finish()
        print_issues(err, exc.issues)
        return EXIT_INPUT
    except SopError as exc:
        progress.finish()
        err.print(f"[bold red]error:[/] {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        progress.finish()
        err.print("interrupted; the workbook was not changed")
        return 130
    except Exception as exc:  # a bug: say so briefly, keep the details in a file
        progress.finish()
        log = Path(tempfile.gettempdir()) / "sop_xl-error.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        err.print(f"[bold red]internal error[/] ({type(exc).__name__}: {exc}). The workbook was not changed. "
                  f"Details for a bug report: {log}")
        return EXIT_INTERNAL


def _dispatch(args, out, err, progress) -> int:
    from .commands.base import CYCLE, StageUnavailable, available_stages
    from .io.file import FileWorkbook

    if args.command == "docs":
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

    if args.command == "doctor":
        from .excel.doctor import run_doctor
        return run_doctor(args.workbook, out=out, err=err)

    if args.command == "build-template":
        from .excel.template import run_build_template
        return run_build_template(args.out, check=args.check, out=out, err=err)

    if args.command == "demo":
        from .commands.demo import create_demo_workbook
        if args.out.exists() and not args.force:
            err.print(f"[bold red]error:[/] {args.out} exists. Use --force to overwrite it, or --out NEW.xlsx.")
            return EXIT_USAGE
        book = create_demo_workbook(args.out, seed=args.seed)
        out.print(f"demo inputs written to {args.out}")
        if args.inputs_only:
            return EXIT_OK
        from .commands.demo import run_demo_cycle
        results = run_demo_cycle(args.out, seed=args.seed, progress=progress,
                                 on_result=lambda r: _print_summary(r, out, progress))
        progress.finish()
        code = _report(results, err)
        if code == EXIT_OK:
            out.print(f"[bold green]done:[/] open {args.out} in Excel")
        return code

    if args.command == "validate":
        book = FileWorkbook(args.workbook)
        return _run(book, ["validate"], out, err, progress, save=args.write)

    if args.command == "export-pdf":
        book = FileWorkbook(args.workbook)
        return _run(book, ["export-pdf"], out, err, progress, save=False,
                    options={"export-pdf": {"out": args.pdf}})

    book = FileWorkbook(args.workbook, out=args.out)
    if args.command == "run":
        stages = [s for s in CYCLE if s in available_stages()]
    else:
        stages = [args.command]
    options = {"send-review": {"to_dir": getattr(args, "to", None)},
               "merge": {"returns": getattr(args, "returns", None)},
               "scenarios": {"promote": getattr(args, "promote", None)}}.get(args.command)
    try:
        return _run(book, stages, out, err, progress, options={args.command: options} if options else None)
    except StageUnavailable as exc:
        err.print(f"[bold red]error:[/] {exc}")
        return EXIT_UNAVAILABLE


def _run(book, stages, out, err, progress, *, save: bool = True, options: dict | None = None) -> int:
    from .commands.base import execute

    results = execute(book, stages, progress=progress, save=save, options=options,
                      on_result=lambda r: _print_summary(r, out, progress))
    progress.finish()
    code = _report(results, err)
    if code != EXIT_OK and save:
        err.print(f"Stages that finished were saved; the failed one wrote only its explanation and the Issues "
                  f"sheet of {book.name}.")
    elif save:
        out.print(f"saved {book.path}")
    return code


def _print_summary(result, out, progress) -> None:
    progress.finish()
    for line in result.summary:
        out.print(line)


def _report(results, err) -> int:
    """Print the problems of a run; the exit code says whether a stage failed."""
    shown = [i for r in results for i in r.issues if i.severity is not Severity.INFO]
    if shown:
        print_issues(err, shown)
    return EXIT_INPUT if any(r.status == "failed" for r in results) else EXIT_OK


def print_issues(console, issues: list[Issue], limit: int = 60, warning_limit: int = 12) -> None:
    """Errors in full (up to `limit`), then the first warnings; the Issues sheet has them all."""
    from rich.table import Table
    errors = [i for i in issues if i.severity is Severity.ERROR]
    warnings = [i for i in issues if i.severity is Severity.WARNING]
    shown = errors[:limit] + warnings[:warning_limit]
    table = Table(title=f"{len(errors)} error(s), {len(warnings)} warning(s)", show_lines=False, expand=False)
    for col in ("", "where", "problem", "how to fix"):
        table.add_column(col, overflow="fold")
    style = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
    for issue in shown:
        table.add_row(f"[{style[issue.severity]}]{issue.severity.value}[/]", issue.location(), issue.message,
                      issue.hint)
    console.print(table)
    hidden = len(errors) + len(warnings) - len(shown)
    if hidden:
        console.print(f"... and {hidden} more: see the Issues sheet of the workbook.")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
