"""Memory over a long session: the process's RSS after 1 and 8 simulated hours at ``--speed max``.

    python -m benchmarks.memory [--quick] [--json] [--window | --headless]

The engine runs on the built-in simulated market (8 venues x 3 symbols, seed 7, a fresh database) at max
speed in a child process, so the RSS measured is that process's own. The child also does what the window
does with history, at 20 Hz of wall-clock time:

- ``window`` mode (the default when ``DISPLAY`` is set; ``--window`` starts a private Xvfb if needed):
  the real window, ``OctoApp`` on the started runtime, in its own main loop: every table, the charts
  (matplotlib, loaded after the first frame) and the window's frame-time deques.
- ``headless`` mode (the fallback without a display): a poller that takes ``runtime.latest_snapshot()``
  every 50 ms and calls the same presenters the window's views call on it, keeps the P&L series the chart
  keeps (``pnl_times``, ``pnl_realized``, ``pnl_marked``) and the window's two 4000-entry frame deques.

RSS (``/proc/self/statm``; elsewhere the peak from ``getrusage``) is read right after a full garbage
collection at every simulated hour, from 1 h to 8 h (``--quick``: every 15 simulated seconds up to 2 minutes;
see QUICK_MARKS_S). The target: RSS at 8 h within 5 % of RSS at 1 h (bounded history everywhere).
At max speed one simulated hour took ~216 wall seconds here headless (~307 with the real window, under
Xvfb; 2 cores, shared), so the full 8 h run takes ~30 minutes (~40 with the window): see
``wall_s_per_engine_hour`` in the result. ``--quick`` takes ~10 s.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 7
START_TIME = 1_767_225_600.0  # 2026-01-01 00:00 UTC: a fixed engine start, the same market every run
HOUR = 3600.0
FULL_MARKS_S = tuple(HOUR * h for h in range(1, 9))  # 1 h ... 8 h
# --quick is a smoke run inside a one-minute suite: the same 1:8 shape on 15 simulated seconds.
QUICK_MARKS_S = tuple(15.0 * m for m in range(1, 9))  # 15 s ... 2 min
TARGET_FLAT = 0.05
POLL_S = 0.05  # the window's 20 Hz
RUN_MARGIN_S = 120.0  # engine seconds past the last mark before the run would stop by itself
STALL_TIMEOUT_S = 3600.0  # wall seconds without a line from the child before it is killed
FRAME_HISTORY = 4000  # the window's frame_times_ms / _frame_started maxlen
LADDER_DEPTH = 4  # market_view.LADDER_DEPTH
REJECTION_ROWS = 2  # market_view.REJECTION_ROWS


def rss_bytes() -> tuple[int, str]:
    """Return this process's resident set size in bytes, and where it came from."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE"), "statm"
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak * (1 if sys.platform == "darwin" else 1024), "ru_maxrss (peak)"


# --------------------------------------------------------------------------------------------------
# The child: the engine, the window's history, the sampler.
# --------------------------------------------------------------------------------------------------
class HeadlessWindow:
    """What ``OctoApp`` does with each new snapshot, without Tk: the presenters every view calls, the P&L
    series the chart keeps and the window's frame-time deques. Mirrors gui/app.py's ``_frame``/``_render``
    (the desk bar's trading state), the arbitrage page's ``render`` and its views' ``render`` methods (the
    Decisions tab shown, as at start)."""

    def __init__(self, config) -> None:
        from octo_desktop.gui import presenters

        self.p = presenters
        self.config = config
        self.assets = tuple(config.assets)
        venues = tuple(config.venue_names)
        self.symbol = config.symbols[0]
        self.pair = (venues[0], venues[1 if len(venues) > 1 else 0])
        self.frame_times_ms: deque[float] = deque(maxlen=FRAME_HISTORY)
        self._frame_started: deque[float] = deque(maxlen=FRAME_HISTORY)
        self.snapshot = None
        self.shown: dict = {}  # what the widgets would hold: the last value of each presenter
        self.pnl_series: tuple = ()
        self.frames = 0
        self.renders = 0
        self._last_sequence = None
        self._last_status = -1.0
        self._pair_switched = -1e9

    def poll(self, runtime) -> None:
        started = time.perf_counter()
        snapshot = runtime.latest_snapshot()
        now = time.monotonic()
        if snapshot is not None and snapshot.sequence != self._last_sequence:
            self._last_sequence = snapshot.sequence
            self.snapshot = snapshot
            self._render(snapshot, now)
        if started - self._last_status >= 0.25:
            self._last_status = started
            cutoff = time.perf_counter() - 2.0
            recent = [ms for ms, at in zip(self.frame_times_ms, self._frame_started) if at >= cutoff]
            p50, p95 = self.p.percentiles(recent, (50, 95))
            self.shown["status"] = self.p.status_line(self.snapshot, p50, p95, self.config.source, "",
                                                      self.config.market, runtime.is_running)
        self.frame_times_ms.append((time.perf_counter() - started) * 1000.0)
        self._frame_started.append(started)
        self.frames += 1

    def _render(self, snapshot, now: float) -> None:
        p, shown = self.p, self.shown
        self.renders += 1
        if self.symbol not in snapshot.symbols and snapshot.symbols:
            self.symbol = snapshot.symbols[0]
        symbol = self.symbol
        if now - self._pair_switched >= 2.0:
            pair = p.choose_pair(snapshot, symbol, self.pair)
            if pair != self.pair:
                self.pair, self._pair_switched = pair, now
        shown["title"] = p.window_title(snapshot.market, snapshot.replay.path if snapshot.replay else "")
        # Column 1: market.
        shown["prices"] = p.price_rows(snapshot, symbol)
        shown["flow"] = p.flow_rows(snapshot, symbol)
        shown["threshold"] = p.threshold_line(snapshot.signals.get(symbol), self.config.strategy.vol_multiplier)
        shown["health"] = p.health_rows(snapshot)
        shown["health_detail"] = p.health_detail(snapshot, None)
        shown["ladder"] = p.consolidated_rows(snapshot, symbol, LADDER_DEPTH)
        shown["summary"] = p.symbol_summary_rows(snapshot)
        shown["session"] = p.session_rows(snapshot)
        shown["rejections"] = p.rejection_rows(snapshot, REJECTION_ROWS)
        # Column 2: opportunities.
        shown["heatmap"] = p.heatmap_model(snapshot, symbol)
        shown["opportunities"] = p.opportunity_rows(snapshot)
        shown["score"] = p.score_model(p.focus_opportunity(snapshot, symbol, None), snapshot.min_score)
        # Column 3: book.
        depth = p.depth_model(snapshot, symbol, *self.pair)
        shown["depth"], shown["cross"] = depth, p.cross_text(depth)
        shown["blotter"] = p.trade_rows(snapshot)
        shown["trade_detail"] = p.blotter_detail(snapshot, None)
        # Column 4: account; the P&L chart keeps the snapshot's arrays.
        self.pnl_series = (snapshot.pnl_times, snapshot.pnl_realized, snapshot.pnl_marked)
        shown["account"] = p.account_summary(snapshot)
        shown["attribution"] = p.attribution_rows(snapshot.risk.attribution)
        shown["balances"] = p.balance_rows(snapshot, self.assets)
        shown["risk_headline"] = p.risk_headline(snapshot.risk)
        shown["risk"] = p.risk_panel(snapshot)
        shown["risk_log"] = p.risk_log_lines(snapshot.risk)
        shown["decisions"] = p.decision_rows(snapshot)
        shown["recording"] = p.recording_model(snapshot.recording, snapshot.time, False)


class Sampler:
    """Read RSS (after a full collection) each time the engine clock passes the next mark."""

    def __init__(self, marks_s, origin: float, emit, history=None) -> None:
        self.marks = tuple(sorted(float(m) for m in marks_s))
        self.origin = origin
        self.emit = emit
        self.history = history  # () -> dict of buffer lengths, reported with each sample
        self.index = 0
        self.began = time.perf_counter()
        self.started = False

    @property
    def done(self) -> bool:
        return self.index >= len(self.marks)

    def sample(self, kind: str, mark_s: float, snapshot) -> None:
        gc.collect()
        rss, source = rss_bytes()
        line = {"kind": kind, "mark_s": mark_s, "engine_s": round(snapshot.time - self.origin, 3),
                "wall_s": round(time.perf_counter() - self.began, 3), "rss_mb": round(rss / 2**20, 2),
                "rss_source": source, "events": snapshot.events, "pnl_points": len(snapshot.pnl_times)}
        if self.history is not None:
            line.update(self.history())
        self.emit(line)

    def step(self, snapshot) -> bool:
        """Sample every mark the snapshot's engine time has passed; return True once all are sampled."""
        if snapshot is None:
            return self.done
        if not self.started:
            self.started = True
            self.sample("start", 0.0, snapshot)
        engine_s = snapshot.time - self.origin
        while not self.done and engine_s >= self.marks[self.index]:
            self.sample("mark", self.marks[self.index], snapshot)
            self.index += 1
        return self.done


def _emit(line: dict) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def child(marks_s, mode: str, folder: Path, emit=_emit) -> int:
    """Run the engine and the window's history until the last mark; emit one JSON line per sample."""
    from octo_desktop.app import MarketSource, build_runtime
    from octo_desktop.config import load_config

    empty = folder / "empty-config.toml"
    empty.write_text("", encoding="utf-8")
    config = replace(load_config(empty), seed=SEED)
    marks_s = tuple(sorted(float(m) for m in marks_s))
    runtime = build_runtime(config, db_path=folder / "memory.db", speed=None, start_time=START_TIME,
                            run_seconds=marks_s[-1] + RUN_MARGIN_S, source=MarketSource("simulated"))
    runtime.start()
    note = ""
    app = None
    if mode == "window":
        try:
            from octo_desktop.gui.app import OctoApp

            app = OctoApp(runtime)
        except Exception as exc:  # noqa: BLE001 - no usable display: say so and measure headless
            note = f"window failed ({type(exc).__name__}: {exc}); headless poller instead"
            mode = "headless"
    emit({"kind": "mode", "mode": mode, "note": note, "venues": len(config.venue_names),
          "symbols": len(config.symbols)})
    failure = ""
    try:
        if app is not None:
            sampler = Sampler(marks_s, START_TIME, emit, lambda: {"frame_times": len(app.frame_times_ms)})
            state = {"failure": ""}

            def tick() -> None:
                if sampler.step(runtime.latest_snapshot()):
                    app.close()
                elif not runtime.is_running:
                    state["failure"] = f"the engine stopped before the last mark: {runtime.failure!r}"
                    app.close()
                else:
                    app.after(int(POLL_S * 1000), tick)

            app.after(int(POLL_S * 1000), tick)
            app.mainloop()
            failure = state["failure"]
        else:
            window = HeadlessWindow(config)
            sampler = Sampler(marks_s, START_TIME, emit,
                              lambda: {"frame_times": len(window.frame_times_ms), "frames": window.frames})
            deadline = time.perf_counter()
            while True:
                window.poll(runtime)
                if sampler.step(window.snapshot):
                    break
                if not runtime.is_running:
                    failure = f"the engine stopped before the last mark: {runtime.failure!r}"
                    break
                deadline += POLL_S
                pause = deadline - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                else:
                    deadline = time.perf_counter()  # behind: do not try to catch up
    finally:
        if app is not None and not app.is_closing:
            app.close()
        runtime.stop(timeout=10.0)
    peak = _peak_rss_mb()
    emit({"kind": "end", "failure": failure, "peak_rss_mb": peak,
          "storage_error": (runtime.summary or {}).get("storage_error") or ""})
    return 1 if failure else 0


def _peak_rss_mb() -> float | None:
    """Return this process's peak RSS in MB: ``VmHWM`` on Linux. Not ``ru_maxrss`` there: it keeps the
    parent's peak from before the ``exec`` that started this child (a suite that ran the book benchmark
    first reported its own 771 MB as the child's peak)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 2)
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(peak * (1 if sys.platform == "darwin" else 1024) / 2**20, 2)
    except (ImportError, OSError):
        return None


# --------------------------------------------------------------------------------------------------
# The parent.
# --------------------------------------------------------------------------------------------------
def resolve_mode(mode: str) -> str:
    """``auto``: the real window when a display is set, else the headless poller."""
    if mode not in ("auto", "window", "headless"):
        raise ValueError(f"unknown mode {mode!r}")
    if mode == "auto":
        return "window" if os.environ.get("DISPLAY") else "headless"
    return mode


def _read_lines(stream, lines: queue.Queue) -> None:
    for raw in stream:
        lines.put(raw)
    lines.put(None)


def run(quick: bool = False, marks_s=None, mode: str = "auto", stall_timeout_s: float = STALL_TIMEOUT_S) -> dict:
    """Run the child to the last mark; return RSS at every mark, the last/first ratio and the verdict."""
    marks_s = tuple(sorted(float(m) for m in (marks_s or (QUICK_MARKS_S if quick else FULL_MARKS_S))))
    if len(marks_s) < 2 or marks_s[0] <= 0:
        raise ValueError("need at least two positive marks")
    mode = resolve_mode(mode)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="octo-bench-memory-") as name:
        folder = Path(name)
        env = dict(os.environ)
        env.update({"PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
                    "OCTO_CONFIG": str(folder / "empty-config.toml"), "OCTO_DATA_DIR": str(folder / "data"),
                    "MPLCONFIGDIR": str(folder / "mpl"), "PYTHONUNBUFFERED": "1"})
        if mode == "window" and not os.environ.get("DISPLAY"):
            from benchmarks.startup import display as private_display

            screen = private_display()
        else:
            screen = nullcontext(os.environ.get("DISPLAY"))
        with screen as display_name:
            if display_name:
                env["DISPLAY"] = display_name
            command = [sys.executable, "-m", "benchmarks.memory", "--child", f"--{mode}",
                       "--folder", str(folder), "--marks", ",".join(f"{m:g}" for m in marks_s)]
            lines = _run_child(command, env, folder, stall_timeout_s)
    samples = [line for line in lines if line.get("kind") in ("start", "mark")]
    marks = [line for line in samples if line["kind"] == "mark"]
    info = next((line for line in lines if line.get("kind") == "mode"), {})
    end = next((line for line in lines if line.get("kind") == "end"), {})
    if len(marks) != len(marks_s):
        raise RuntimeError(f"memory: the child sampled {len(marks)} of {len(marks_s)} marks; "
                           f"{end.get('failure') or 'no reason given'}")
    first, last = marks[0], marks[-1]
    ratio = last["rss_mb"] / first["rss_mb"]
    flat = abs(ratio - 1.0) <= TARGET_FLAT
    per_hour = (last["wall_s"] - first["wall_s"]) / ((last["engine_s"] - first["engine_s"]) / HOUR) \
        if last["engine_s"] > first["engine_s"] else None
    return {
        "name": "memory",
        "mode": info.get("mode", mode),
        "mode_note": info.get("note", ""),
        "venues": info.get("venues"),
        "symbols": info.get("symbols"),
        "seed": SEED,
        "rss_source": first["rss_source"],
        "samples": [{k: s.get(k) for k in ("mark_s", "engine_s", "wall_s", "rss_mb", "events", "pnl_points",
                                           "frame_times")} for s in samples],
        "first_mark_s": first["mark_s"],
        "last_mark_s": last["mark_s"],
        "rss_first_mb": first["rss_mb"],
        "rss_last_mb": last["rss_mb"],
        "ratio_last_over_first": round(ratio, 4),
        "peak_rss_mb": end.get("peak_rss_mb"),
        "storage_error": end.get("storage_error", ""),
        "wall_s": round(time.perf_counter() - began, 1),
        "wall_s_per_engine_hour": round(per_hour, 1) if per_hour is not None else None,
        "flat_within_5pct": flat,
        "targets": {"rss_flat_within_5pct": flat},
    }


def _run_child(command, env, folder: Path, stall_timeout_s: float) -> list[dict]:
    errors = open(folder / "child-stderr.txt", "w+", encoding="utf-8")  # noqa: SIM115 - read back below
    with errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=str(ROOT),
                                   env=env)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
        found: list[dict] = []
        try:
            while True:
                try:
                    raw = lines.get(timeout=stall_timeout_s)
                except queue.Empty:
                    raise RuntimeError(f"memory: no progress from the child in {stall_timeout_s:g} s") from None
                if raw is None:
                    break
                raw = raw.strip()
                if raw.startswith("{"):
                    try:
                        found.append(json.loads(raw))
                    except json.JSONDecodeError:
                        pass
            code = process.wait(60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        if code != 0:
            errors.seek(0)
            tail = errors.read()[-2000:]
            end = next((line for line in found if line.get("kind") == "end"), {})
            raise RuntimeError(f"memory: child exited with {code}: {end.get('failure') or tail}")
    return found


def report(result: dict) -> str:
    def label(seconds: float) -> str:
        if seconds >= HOUR:
            return f"{seconds / HOUR:g} h"
        return f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"

    mode = result["mode"] + (f" ({result['mode_note']})" if result["mode_note"] else "")
    lines = [f"memory over a long session (simulated market, {result['venues']} venues x {result['symbols']} "
             f"symbols, --speed max, GUI history: {mode}):"]
    curve = ", ".join(f"{label(s['mark_s']) if s['mark_s'] else 'start'} {s['rss_mb']:.1f}"
                      for s in result["samples"])
    lines.append(f"  RSS MB: {curve}")
    lines.append(f"  {label(result['last_mark_s'])}/{label(result['first_mark_s'])}: "
                 f"{result['ratio_last_over_first']:.3f} "
                 f"({result['rss_first_mb']:.1f} -> {result['rss_last_mb']:.1f} MB), "
                 f"peak {result['peak_rss_mb']} MB; {result['wall_s']:.0f} s wall, "
                 f"{result['wall_s_per_engine_hour']} wall s per simulated hour")
    lines.append(f"  target flat within 5 %: {'met' if result['flat_within_5pct'] else 'NOT met'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every 15 simulated seconds to 2 minutes instead of hours 1 to 8")
    parser.add_argument("--json", action="store_true", help="print JSON")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--window", dest="mode", action="store_const", const="window",
                       help="the real window (a private Xvfb if DISPLAY is not set)")
    group.add_argument("--headless", dest="mode", action="store_const", const="headless",
                       help="the headless poller even if a display is set")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--marks", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.set_defaults(mode="auto")
    args = parser.parse_args(argv)
    if args.child:
        return child([float(m) for m in args.marks.split(",")], args.mode, Path(args.folder))
    result = run(quick=args.quick, mode=args.mode)
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
