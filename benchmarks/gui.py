"""The GUI at 20 Hz: poll-callback time, frames per second achieved and process CPU, at --speed 1, 10 and max.

    python -m benchmarks.gui [--quick] [--json] [--seconds S] [--no-startup] [--no-replay]

For each speed the real window (``OctoApp``) is built on a started runtime from
``octo_desktop.app.build_runtime`` (the simulated market, 8 venues x 3 symbols, made busy as the GUI
tests make it: spoofs 60/min, dislocations 6/min, pair cooldown 5 s, so that every panel has rows), in a
throwaway data folder, and driven by its own ``mainloop`` as in real use: the 20 Hz poll reschedules
itself. Measurement starts once the first frame is drawn and the charts are built, and lasts a fixed
wall time (20 s full, 2.5 s quick), stopped by ``app.after``: the first half with the Decisions tab shown,
the second half with the AI log tab (every panel is refreshed each frame; the log column refreshes only
its shown tab).

Figures per speed: the poll callback's duration (``app.frame_times_ms``, p50/p95/max), the frames per
second achieved and the intervals between frame starts, and CPU over the window: the whole process
(``getrusage``: GUI thread, runtime thread, storage writer) as a percent of one core, the GUI thread
alone (``time.thread_time``), and the runtime thread (``/proc``). Start to first frame comes from
``benchmarks.startup.time_programs`` (separate launches of ``python -m octo_desktop --startup-check``).
Without a DISPLAY an Xvfb is started for the run (``benchmarks.startup.display``).

Then the window on a replay at ``--speed max`` ("replay-max"): a recording of the default simulated
market (3,600 engine seconds, 900 with ``--quick``, made as ``record --market sim`` makes one), every
panel live, and Pause pressed halfway through as the button does: ``pause_ms`` is the real time from the
press to the first snapshot that says the engine is paused (target 200 ms); then it plays on. At
``--speed max`` the frame targets are 15 frames/s and poll p95 50 ms (the engine takes every spare cycle).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from benchmarks import startup
from benchmarks.harness import percentiles

POLL_P95_TARGET_MS = 25.0
STEADY_FPS = 19.0  # "a steady 20 Hz": at least 95 % of the nominal rate over the window
MAX_SPEED_FPS, MAX_SPEED_P95_MS = 15.0, 50.0  # at --speed max the engine takes every spare cycle: a lower bar
PAUSE_TARGET_MS = 200.0  # a replay at --speed max: Pause pressed to the engine paused
REPLAY_RECORDING_S = {False: 3600.0, True: 900.0}  # engine seconds recorded: enough to outlast the measurement
CPU_TARGET_PCT = 40.0
CLOSE_TARGET_S = 2.0  # the close button: the window gone and the engine stopped (README: under two seconds)
SPEEDS = (1.0, 10.0, None)  # None: --speed max
FULL_S, QUICK_S = 20.0, 2.5
READY_TIMEOUT_S = 60.0
BUSY_MARKET = ["simulation.spoofs_per_minute=60", "simulation.dislocations_per_minute=6", "risk.pair_cooldown_s=5"]


@contextmanager
def _environment(folder: Path):
    """Point Octo's config and data folders at ``folder`` for the duration (never the user's)."""
    names = ("OCTO_CONFIG", "OCTO_DATA_DIR", "OCTO_CACHE_DIR")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({"OCTO_CONFIG": str(folder / "config.toml"), "OCTO_DATA_DIR": str(folder / "data"),
                       "OCTO_CACHE_DIR": str(folder / "cache")})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _display():
    """Use the current DISPLAY, or start an Xvfb and export it for the duration."""
    saved = os.environ.get("DISPLAY")
    with startup.display() as name:
        os.environ["DISPLAY"] = name
        try:
            yield name
        finally:
            if saved is None:
                os.environ.pop("DISPLAY", None)
            else:
                os.environ["DISPLAY"] = saved


def _thread_cpu_s(native_id: int | None) -> float | None:
    """Return a thread's CPU seconds (user + system) from /proc, or None where there is no /proc."""
    if native_id is None:
        return None
    try:
        fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _ms(values, points) -> dict:
    found = percentiles(values, points)
    return {k: round(v, 2) for k, v in found.items()}


def speed_name(speed: float | None) -> str:
    return "max" if speed is None else f"{speed:g}"


def measure(speed: float | None, seconds: float, folder: Path, replay: Path | None = None) -> dict:
    """Run the window on a runtime at ``speed`` (None: max) for ``seconds`` of measurement; return its figures.

    ``replay``: play that recording instead of the simulated market, and press Pause (as the button
    does) halfway through: how long until the engine says it is paused, then play on.
    """
    from octo_desktop.app import build_replay_runtime, build_runtime
    from octo_desktop.config import load_config
    from octo_desktop.gui.app import OctoApp

    config_path = folder / "config.toml"
    config_path.write_text("", encoding="utf-8")
    name = ("replay-" if replay is not None else "") + speed_name(speed)
    if replay is not None:
        runtime = build_replay_runtime(load_config(config_path), replay, db_path=folder / f"octo-{name}.db",
                                       speed=speed)
    else:
        runtime = build_runtime(load_config(config_path, overrides=BUSY_MARKET), db_path=folder / f"octo-{name}.db",
                                speed=speed)
    runtime.start()
    try:
        app = OctoApp(runtime, welcome=False)
    except BaseException:
        runtime.stop()
        raise
    marks: dict = {}
    built = time.perf_counter()
    load_before = os.getloadavg()[0]

    def finish() -> None:
        marks["end"] = (time.perf_counter(), _process_cpu_s(), time.thread_time(), _thread_cpu_s(runtime_tid))
        app.quit()

    def show_ai_log() -> None:
        app.desk("arbitrage").account_view.log_tabs.buttons["AI log"].invoke()
        marks["ai_log_at"] = time.perf_counter()
        if replay is not None:
            press_pause()

    def press_pause() -> None:
        snapshot = runtime.latest_snapshot()
        if snapshot.replay.finished:
            return
        marks["pause_pressed"] = time.perf_counter()
        app.play_button.invoke()
        app.after(1, wait_paused)

    def wait_paused() -> None:
        snapshot = runtime.latest_snapshot()
        if snapshot.replay.paused:
            marks["pause_s"] = time.perf_counter() - marks["pause_pressed"]
            app.after(200, app.play_button.invoke)  # play on
        elif time.perf_counter() - marks["pause_pressed"] < READY_TIMEOUT_S:
            app.after(1, wait_paused)

    def begin() -> None:
        marks["start"] = (time.perf_counter(), _process_cpu_s(), time.thread_time(), _thread_cpu_s(runtime_tid))
        app.after(int(seconds * 500), show_ai_log)
        app.after(int(seconds * 1000), finish)

    def wait_ready() -> None:
        if app.first_frame_at is not None and app.charts_ready:
            marks["ready_s"] = time.perf_counter() - built
            app.after(500, begin)  # half a second for the charts' first full draws to pass
        elif time.perf_counter() - built > READY_TIMEOUT_S:
            marks["error"] = "no first frame and charts within the timeout"
            app.quit()
        else:
            app.after(50, wait_ready)

    runtime_tid = getattr(getattr(runtime, "_thread", None), "native_id", None)
    app.after(50, wait_ready)
    try:
        app.mainloop()
        if "error" in marks:
            raise SystemExit(f"gui: {marks['error']} (speed {speed_name(speed)})")
        t0, cpu0, gui0, rt0 = marks["start"]
        t1, cpu1, gui1, rt1 = marks["end"]
        frames = [(at, ms) for ms, at in zip(app.frame_times_ms, app._frame_started) if t0 <= at <= t1]
        snapshot = app.snapshot
        finished_early = snapshot is not None and snapshot.replay is not None and snapshot.replay.finished
        ai_log = [ms for at, ms in frames if at >= marks.get("ai_log_at", t1)]
        tab = app.desk("arbitrage").account_view.tab
    finally:
        closing = time.perf_counter()
        try:
            if not app.is_closing:
                app.close()  # as the close button: settings saved, the engine drained, the database closed
        finally:
            close_s = time.perf_counter() - closing
            runtime.stop()
    wall = t1 - t0
    durations = [ms for _, ms in frames]
    starts = [at for at, _ in frames]
    intervals = [(b - a) * 1000.0 for a, b in zip(starts, starts[1:])]
    result = {
        "speed": speed_name(speed), "market": "replay" if replay is not None else "simulated", "seconds": round(wall, 3), "frames": len(frames),
        "fps": round(len(frames) / wall, 2) if wall > 0 else 0.0,
        "poll_ms": {**_ms(durations, (50, 95)), "max": round(max(durations), 2) if durations else None},
        "poll_ms_ai_log": _ms(ai_log, (50, 95)),
        "interval_ms": {**_ms(intervals, (50, 95)), "max": round(max(intervals), 2) if intervals else None},
        "cpu_pct": round((cpu1 - cpu0) / wall * 100.0, 1),
        "gui_thread_cpu_pct": round((gui1 - gui0) / wall * 100.0, 1),
        "runtime_thread_cpu_pct": round((rt1 - rt0) / wall * 100.0, 1) if rt0 is not None and rt1 is not None
        else None,
        "ready_s": round(marks["ready_s"], 2),
        "close_s": round(close_s, 3),  # the close button: the window gone and the runtime stopped
        "load_avg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],  # before, after: a busy machine
        "tab_at_end": tab,
        "ai_log_rows": len(snapshot.advisor.log) if snapshot is not None and snapshot.advisor is not None else 0,
        "engine_events": snapshot.events if snapshot is not None else 0,
    }
    if replay is not None:
        result["pause_ms"] = round(marks["pause_s"] * 1000.0, 1) if "pause_s" in marks else None
        result["replay_finished_before_the_end"] = finished_early
    if speed is None:  # the engine uses the rest of the machine: no CPU target, a lower frame rate
        result["targets"] = {
            "poll_p95_le_50ms_at_15fps": bool(durations) and result["poll_ms"]["p95"] <= MAX_SPEED_P95_MS
            and result["fps"] >= MAX_SPEED_FPS,
            "close_le_2s": result["close_s"] <= CLOSE_TARGET_S,
        }
        if replay is not None:
            result["targets"]["pause_le_200ms"] = result["pause_ms"] is not None \
                and result["pause_ms"] <= PAUSE_TARGET_MS
    else:
        result["targets"] = {
            "poll_p95_le_25ms_at_20hz": bool(durations) and result["poll_ms"]["p95"] <= POLL_P95_TARGET_MS
            and result["fps"] >= STEADY_FPS,
            "cpu_lt_40pct": result["cpu_pct"] < CPU_TARGET_PCT,
            "close_le_2s": result["close_s"] <= CLOSE_TARGET_S,
        }
    return result


def run(quick: bool = False, seconds: float | None = None, speeds=SPEEDS, include_startup: bool | None = None,
        startup_runs: int = 3, replay: bool = True) -> dict:
    """Measure each speed (and start to first frame); return a JSON-ready dict. A quick run leaves start to
    first frame to the startup benchmark, which the suite runs anyway."""
    seconds = seconds if seconds is not None else (QUICK_S if quick else FULL_S)
    include_startup = (not quick) if include_startup is None else include_startup
    results = {}
    with _display() as display_name, tempfile.TemporaryDirectory(prefix="octo-gui-bench-") as folder:
        with _environment(Path(folder)):
            for speed in speeds:
                results[speed_name(speed)] = measure(speed, seconds, Path(folder))
            if replay:
                from benchmarks.replay import default_config, record

                recording = Path(folder) / "session.jsonl.gz"
                record(default_config(Path(folder)), recording, REPLAY_RECORDING_S[quick], Path(folder) / "record.db")
                results["replay-max"] = measure(None, seconds, Path(folder), replay=recording)
        first_frame = None
        if include_startup:
            found = startup.time_programs([], runs=startup_runs)["source"]
            first_frame = {"median_s": round(found["first_frame_median_s"], 3),
                           "min_s": round(found["first_frame_min_s"], 3),
                           "max_s": round(found["first_frame_max_s"], 3), "runs": found["runs"]}
    targets = {f"speed_{name}_{key}": value for name, found in results.items()
               for key, value in found["targets"].items()}
    return {"name": "gui", "display": display_name, "seconds_per_speed": seconds, "market": "simulated 8x3, busy",
            "speeds": results, "start_to_first_frame": first_frame, "targets": targets}


def report(result: dict) -> str:
    lines = [f"GUI at 20 Hz ({result['market']} market, {result['seconds_per_speed']:g} s per speed, "
             f"first half Decisions tab, second half AI log)"]
    for name, found in result["speeds"].items():
        poll, gaps = found["poll_ms"], found["interval_ms"]
        runtime_cpu = found["runtime_thread_cpu_pct"]
        lines.append(
            f"  speed {name}: poll p50 {poll['p50']:.1f} p95 {poll['p95']:.1f} max {poll['max']:.1f} ms "
            f"(AI log p95 {found['poll_ms_ai_log']['p95']:.1f}); {found['fps']:.1f} frames/s "
            f"(interval p95 {gaps['p95']:.0f} ms); CPU {found['cpu_pct']:.0f} % of a core "
            f"(GUI thread {found['gui_thread_cpu_pct']:.0f} %"
            + (f", runtime {runtime_cpu:.0f} %" if runtime_cpu is not None else "") + ")"
            + (f"; Pause took {found['pause_ms']:.0f} ms" if found.get("pause_ms") is not None else "")
            + ("; the replay ended before the measurement did" if found.get("replay_finished_before_the_end") else "")
            + f"; closed in {found['close_s']:.2f} s; load {found['load_avg_1min'][1]:.1f}; "
            + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in found["targets"].items()))
    first = result.get("start_to_first_frame")
    if first:
        lines.append(f"  start to first frame (octo_desktop --startup-check): median {first['median_s']:.2f} s "
                     f"(min {first['min_s']:.2f}, max {first['max_s']:.2f}, {first['runs']} launches)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gui", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_S:g} s per speed instead of {FULL_S:g}")
    parser.add_argument("--seconds", type=float, help="measured seconds per speed (overrides --quick)")
    parser.add_argument("--no-startup", action="store_true", help="skip start to first frame (--quick skips it)")
    parser.add_argument("--no-replay", action="store_true", help="skip the replay at --speed max (and its Pause)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, seconds=args.seconds, include_startup=False if args.no_startup else None,
                 replay=not args.no_replay)
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
