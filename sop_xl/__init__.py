"""sop_xl: Sales & Operations Planning that lives inside Excel."""

__version__ = "0.1.0"


def _interrupted_during_start_up(signum, frame):  # pragma: no cover - exercised through a real process
    import os
    import sys
    try:
        sys.stderr.write("interrupted; the workbook was not changed\n")
        sys.stderr.flush()
    finally:
        os._exit(130)


def _catch_ctrl_c_from_the_start() -> None:
    """Run as the `sop-xl` program, Ctrl-C during start-up (imports) exits 130 without a traceback;
    `sop_xl.cli.main` then installs the handler that also protects a save in progress. Imported as a
    library, nothing changes."""
    import os
    import signal
    import sys
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if program.lower() in ("sop-xl", "sop-xl.exe", "sop-xl-script.py"):
        try:
            signal.signal(signal.SIGINT, _interrupted_during_start_up)
        except ValueError:   # not the main thread
            pass


_catch_ctrl_c_from_the_start()
