"""``run``, and no command at all: the window, ``--headless`` (with ``--stream``) and ``--startup-check``."""

from __future__ import annotations

import json
import os
import sys
import time

from octo_desktop import startup
from octo_desktop.cli.common import PROG, check_live_speed, config_from_args, open_runtime, print_summary
from octo_desktop.cli.options import run_options
from octo_desktop.config import ConfigError, default_config_path


def add_parser(subparsers) -> None:
    """Declare the ``run`` command (the options it shares with no command at all are ``run_options``)."""
    parser = subparsers.add_parser("run", help="run the engine: the GUI, or headless with --headless",
                                   description="Run the engine on the simulated or the live market, with the GUI "
                                               "or headless.")
    run_options(parser, sub=True)
    parser.set_defaults(func=run)


def run(args) -> int:
    """Open the window on the engine, or run it headless and print the summary; return the exit code."""
    config = config_from_args(args)
    if args.headless and args.startup_check:
        raise ConfigError("--startup-check opens the window: it cannot be combined with --headless")
    if args.headless:
        seconds = args.seconds if args.seconds is not None else 60.0
        check_live_speed(config, args)
        speed = 1.0 if config.market == "live" else args.speed  # None ("max") unless given
        runtime = open_runtime(args, config, speed, seconds, listener=_print_event if args.stream else None)
        if runtime is None:
            return 1
        return finish_headless(runtime, args.json)
    check_live_speed(config, args)
    speed = args.speed if args.speed is not None else 1.0
    runtime = open_runtime(args, config, speed, args.seconds, window=True)
    if runtime is None:
        return 1
    runtime.start()
    startup.mark("runtime_started")
    from octo_desktop.gui.app import run_gui
    from octo_desktop.gui.presenters.controls import wants_welcome

    startup.mark("gui_imported")
    welcome = wants_welcome(args.config is not None, default_config_path().exists(), runtime.settings)
    if not args.startup_check:
        return storage_verdict(runtime, run_gui(runtime, welcome=welcome))
    check = StartupCheck()
    code = run_gui(runtime, on_first_frame=check.first_frame, welcome=welcome)
    return storage_verdict(runtime, check.finish(code))


def storage_verdict(runtime, code: int) -> int:
    """Return exit code 1 (the reason on stderr) if the database failed during a windowed run, else ``code``."""
    if runtime.store_error:
        print(f"{PROG}: {runtime.store_error}", file=sys.stderr)
        return 1
    return code


class StartupCheck:
    """``--startup-check``: after the first frame, wait for the charts, print the launch timings, close."""

    CHARTS_TIMEOUT_S = 20.0

    def __init__(self) -> None:
        self.report: dict | None = None

    def first_frame(self, app) -> None:
        self._deadline = time.monotonic() + self.CHARTS_TIMEOUT_S
        self._watch(app)

    def _watch(self, app) -> None:
        failed = app.chart_loader.failed or time.monotonic() > self._deadline
        if not (app.charts_ready or failed):
            app.after(20, self._watch, app)
            return
        if app.charts_ready:
            startup.mark("charts_ready")
        python = startup.MARKS["python"]
        self.report = {
            "frozen": startup.is_frozen(),
            "python_start_unix": python,
            "first_frame_unix": app.first_frame_at,
            "marks_s": {name: round(at - python, 4) for name, at in startup.MARKS.items()},
            "charts_ready": app.charts_ready,
            "gui_error": app.gui_error,
            "window": [app.winfo_width(), app.winfo_height()],
        }
        app.close()

    def finish(self, code: int) -> int:
        if self.report is None:
            print(f"{PROG}: the window closed before its first frame", file=sys.stderr)
            return 1
        print(json.dumps(self.report), flush=True)
        if not self.report["charts_ready"]:
            print(f"{PROG}: the charts did not load: {self.report['gui_error'] or 'timed out'}", file=sys.stderr)
            return 1
        return code


class SignalStop:
    """SIGTERM or SIGINT during a headless run: stop the way the window's close button does.

    The first signal asks the engine to shut down (trades in flight get their drain time to land, the
    rest stay journaled for recovery), the database is flushed and closed, and the summary is printed;
    the exit code is then 0 for SIGTERM and 130 for SIGINT (Ctrl+C), as shells expect. A second signal
    while stopping ends the process at once (as safe as kill -9: the journal recovers it).
    """

    def __init__(self, runtime) -> None:
        import signal

        self._runtime = runtime
        self.signal_name = ""
        self.exit_code = 0
        self._previous = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except (ValueError, OSError):  # not the main thread, or not supported here
                pass

    def _handle(self, signum, _frame) -> None:
        import signal

        if self.signal_name:
            os._exit(128 + signum)
        self.signal_name = signal.Signals(signum).name
        self.exit_code = 130 if signum == signal.SIGINT else 0
        print(f"{PROG}: {self.signal_name}: stopping (a second signal stops at once)", file=sys.stderr, flush=True)
        self._runtime.request_shutdown(self.signal_name)

    def restore(self) -> None:
        """Put back the handlers that were installed before."""
        import signal

        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)


def finish_headless(runtime, as_json: bool) -> int:
    """Run the runtime to its end (or a signal), print its summary; return the exit code."""
    stop = SignalStop(runtime)
    try:
        runtime.start()
        runtime.wait()
    finally:
        stop.restore()
    if runtime.failure is not None or runtime.summary is None:
        print(f"{PROG}: engine failed: {runtime.failure!r}", file=sys.stderr)
        return 1
    summary = runtime.summary
    if runtime.store_error:  # writes the disk never took: the run must not look successful
        summary["storage_error"] = runtime.store_error
    for report in summary.get("recovered", ()):
        print(f"{PROG}: recovered trade #{report['trade_id']} {report['symbol']} {report['route']}: "
              f"bought {report['bought_before']}, sold {report['sold_before']} before the restart, "
              f"{report['orders_unanswered']} unanswered order(s); now {report['state']}", file=sys.stderr)
    if as_json:
        print(json.dumps(summary), flush=True)
    else:
        print_summary(summary, runtime.wall_seconds)
    if runtime.store_error:
        print(f"{PROG}: {runtime.store_error}", file=sys.stderr)
        return 1
    return stop.exit_code


FAULT_KILL_AFTER = "OCTO_FAULT_KILL_AFTER"


def _print_event(event: dict) -> None:
    # Runs on the runtime thread right after the journal commit: one line, flushed at once.
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()
    fault = os.environ.get(FAULT_KILL_AFTER)
    if fault and _event_matches(event, fault):
        # Fault injection for crash tests: kill -9 at exactly this point of the stream, which an
        # outside kill can only hit by chance (the engine goes on committing within a millisecond).
        import signal

        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def _event_matches(event: dict, fault: str) -> bool:
    """Whether ``event`` has every ``key=value`` of ``fault`` (comma-separated), e.g. ``purpose=unwind``."""
    pairs = [part.split("=", 1) for part in fault.split(",") if "=" in part]
    return bool(pairs) and all(str(event.get(key.strip())) == value.strip() for key, value in pairs)
