"""Command line: the GUI, headless runs, exports and the config file, with ``--json`` for scripts."""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from pathlib import Path

from octo_desktop import startup
from octo_desktop.cli.common import PROG, check_live_speed, config_from_args, open_runtime, print_summary
from octo_desktop.cli.options import build_parser
from octo_desktop.config import ConfigError, default_config_path, default_config_text, load_config
from octo_desktop.feeds.recording import RecordingError


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    command = args.command or "run"
    try:
        if command == "run":
            return _run(args)
        if command == "record":
            return _record(args)
        if command == "replay":
            return _replay(args)
        if command == "export":
            return _export(args)
        if command == "ai-log":
            return _ai_log(args)
        if command in ("halt", "resume"):
            return _control(args, command)
        if command == "doctor":
            return _doctor(args)
        if command == "bench":
            return _bench(args)
        return _config(args)
    except ConfigError as exc:
        print(f"{PROG}: config error: {exc}", file=sys.stderr)
        return 2
    except RecordingError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader (e.g. `head`) closed the pipe: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


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


def _finish_headless(runtime, as_json: bool) -> int:
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


def _control(args, command: str) -> int:
    import time

    from octo_desktop.app import default_db_path
    from octo_desktop.storage import StorageError, control_answer, post_control

    path = Path(args.db) if args.db else default_db_path()
    try:
        control_id = post_control(path, command, getattr(args, "reason", ""), time.time())
        answer = None
        deadline = time.monotonic() + max(0.0, args.wait)
        while answer is None and time.monotonic() < deadline:
            time.sleep(0.05)
            answer = control_answer(path, control_id)
    except StorageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"command": command, "id": control_id, "database": str(path),
                          "acknowledged": answer is not None, "result": answer[1] if answer else None}))
    elif answer is not None:
        print(answer[1])
    else:
        print(f"{command} recorded in {path}; no running engine confirmed it within {args.wait:g} s, "
              f"so it applies when the engine next starts")
    return 0 if answer is not None else 3


def _run(args) -> int:
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
        return _finish_headless(runtime, args.json)
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
        return _storage_verdict(runtime, run_gui(runtime, welcome=welcome))
    check = StartupCheck()
    code = run_gui(runtime, on_first_frame=check.first_frame, welcome=welcome)
    return _storage_verdict(runtime, check.finish(code))


def _storage_verdict(runtime, code: int) -> int:
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


def _record(args) -> int:
    import shutil
    import tempfile
    from functools import partial

    from octo_desktop.app import MarketSource

    config = config_from_args(args)
    speed = getattr(args, "speed", None)
    check_live_speed(config, args)
    if config.market == "live":
        speed = 1.0
    out = Path(args.out)
    if out.is_dir():
        raise RecordingError(f"--out {out}: is a directory; name a file such as session.jsonl.gz")
    db, cleanup = args.db, None
    if db is None:  # the recording is the product: paper trades go to a throwaway database
        folder = tempfile.mkdtemp(prefix="octo-record-")
        db, cleanup = str(Path(folder) / "record.db"), partial(shutil.rmtree, folder, ignore_errors=True)
    source = MarketSource(config.market, record_path=str(out))
    runtime = open_runtime(args, config, speed, args.seconds, source=source, db_path=db, cleanup=cleanup)
    if runtime is None:
        return 1
    code = _finish_headless(runtime, getattr(args, "json", False))
    error = (runtime.summary or {}).get("recording", {}).get("error")
    if error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    if code == 0 and not getattr(args, "json", False):
        print(f"recording: {out}")
    return code


def _replay(args) -> int:
    from octo_desktop.app import build_replay_runtime
    from octo_desktop.storage import StorageError

    config = load_config(args.config, args.overrides)
    gui = getattr(args, "gui", False)
    speed = getattr(args, "speed", 1.0 if gui else None)
    try:
        runtime = build_replay_runtime(config, args.file, db_path=args.db, speed=speed, stop_at_end=not gui,
                                       log_opportunities=not gui)
    except StorageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    if gui:
        from octo_desktop.gui.app import run_gui

        runtime.start()
        return _storage_verdict(runtime, run_gui(runtime))
    code = _finish_headless(runtime, getattr(args, "json", False))
    error = (runtime.summary or {}).get("replay_error")
    if error:  # a damaged recording: what came before it was replayed and summarized, but not the whole file
        print(f"{PROG}: {error}", file=sys.stderr)
        return code or 1
    return code


def _export(args) -> int:
    from octo_desktop.app import default_db_path
    from octo_desktop.storage import StorageError, write_fills_csv, write_trades_csv

    db = Path(args.db) if args.db else default_db_path()
    if not db.exists():
        print(f"{PROG}: no database at {db}", file=sys.stderr)
        return 1
    if args.output and Path(args.output).is_dir():
        print(f"{PROG}: --output {args.output} is a directory; name a file such as fills.csv", file=sys.stderr)
        return 2
    writer = write_fills_csv if args.what == "fills" else write_trades_csv
    try:
        if args.output:
            with open(args.output, "w", newline="", encoding="utf-8") as handle:
                writer(db, handle)
        else:
            writer(db, sys.stdout)
    except StorageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    return 0


def _ai_log(args) -> int:
    from octo_desktop.app import default_db_path
    from octo_desktop.storage import StorageError, read_advice

    db = Path(args.db) if args.db else default_db_path()
    try:
        records, days = read_advice(db, verdict=args.verdict, advisor=args.advisor, symbol=args.symbol,
                                    limit=max(1, args.limit))
    except StorageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        def number(value):
            return value if isinstance(value, (int, float)) and math.isfinite(value) else None

        print(json.dumps({
            "decisions": [{
                "id": r.advice_id, "time": r.time, "opportunity_id": r.opportunity_id, "symbol": r.symbol,
                "buy_venue": r.buy_venue, "sell_venue": r.sell_venue, "net_bps": number(r.net_bps),
                "advisor": r.advisor, "model": r.model, "verdict": r.verdict, "confidence": number(r.confidence),
                "reason": r.reason, "size_cap_usdt": number(r.size_cap_usdt), "latency_ms": number(r.latency_ms),
                "tokens_in": r.tokens_in, "tokens_out": r.tokens_out, "cost_usd": str(r.cost_usd),
                "fallback": r.fallback, "trade_id": r.trade_id, "outcome": r.outcome,
                "realized_pnl": None if r.realized_pnl is None else str(r.realized_pnl),
                "realized_bps": number(r.realized_bps)} for r in records],
            "days": {day: {"calls": c, "tokens_in": i, "tokens_out": o, "cost_usd": str(cost)}
                     for day, (c, i, o, cost) in days.items()}}))
        return 0
    from datetime import datetime, timezone

    for r in records:
        when = datetime.fromtimestamp(r.time, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        outcome = r.outcome or ("open" if r.trade_id is not None else "pending")
        if r.realized_pnl is not None:
            outcome += f" {r.realized_pnl:+.4f} USDT"
        who = r.advisor + ("*" if r.fallback else "")
        print(f"{when}  #{r.opportunity_id:<6} {r.symbol:<9} {r.buy_venue}->{r.sell_venue:<8} {who:<7} "
              f"{r.verdict:<7} {r.confidence:4.2f} {r.latency_ms:7.1f} ms  ${r.cost_usd:.5f}  {r.reason}"
              f"  => {outcome}" + (f"  [fallback: {r.fallback}]" if r.fallback else ""))
    if not records:
        print("no advisor decisions recorded" + (" matching the filters" if args.verdict or args.advisor
                                                  or args.symbol else ""))
    for day, (calls, tokens_in, tokens_out, cost) in days.items():
        print(f"{day}: {calls} remote calls, {tokens_in} tokens in, {tokens_out} out, {cost:.4f} USD")
    return 0


def _bench(args) -> int:
    try:
        from benchmarks.__main__ import main as run_benchmarks
    except ImportError:
        print(f"{PROG}: the benchmarks come with the source tree: run `python -m octo_desktop bench` (or "
              f"`python -m benchmarks`) from a checkout of Octo", file=sys.stderr)
        return 2
    argv = [flag for flag, on in (("--quick", args.quick), ("--json", args.json)) if on]
    argv += [part for option, value in (("--only", args.only), ("--out", args.out)) if value
             for part in (option, value)]
    return run_benchmarks(argv)


def _doctor(args) -> int:
    from octo_desktop.doctor import run_checks

    report = run_checks(args.config, args.overrides, args.db)
    if args.json:
        print(json.dumps(report))
    else:
        print(f"Octo {report['version']} ({'binary' if report['frozen'] else 'source'}), Python {report['python']}, "
              f"{report['platform']}")
        for check in report["checks"]:
            print(f"  {'ok  ' if check['ok'] else 'FAIL'} {check['name']:<12} {check['detail']}")
    return 0 if report["ok"] else 1


def _config(args) -> int:
    if args.action == "path":
        path = Path(args.config) if args.config else default_config_path()
        print(f"{path}{'' if path.exists() else '  (not created yet: built-in defaults apply)'}")
        return 0
    if args.action == "init":
        path = Path(args.config) if args.config else default_config_path()
        if path.exists():
            print(f"{PROG}: {path} exists already; not overwritten", file=sys.stderr)
            return 1
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(default_config_text(), encoding="utf-8")
        print(path)
        return 0
    from octo_desktop.config import config_as_tree

    load_config(args.config, args.overrides)  # validate first: a bad file is an error, not a listing
    tree, source = config_as_tree(args.config, args.overrides)
    if tree.get("advisor", {}).get("api_key"):
        tree["advisor"]["api_key"] = "***"  # a secret is never printed
    if args.json:
        print(json.dumps({"source": source, "config": tree}))
    else:
        print(f"# source: {source}")
        _print_tree(tree, "")
    return 0


def _print_tree(tree: dict, prefix: str) -> None:
    for key, value in tree.items():
        name = f'"{key}"' if "/" in key else key
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            _print_tree(value, path)
        else:
            print(f"{path} = {json.dumps(value)}")
