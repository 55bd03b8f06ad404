"""Replay throughput: events per second of a recording replayed at ``--speed max`` through the whole engine.

    python -m benchmarks.replay [--quick] [--json]

One recording of the built-in simulated market (8 venues x 3 symbols, seed 7; 600 engine seconds, 30
with ``--quick``) is made with the real recording path (what ``record --market sim --seconds N --seed 7
--out FILE`` runs) into a temporary folder. It is then replayed 3 times (``--quick``: once) with the real
replay path (what ``replay FILE --speed max --json`` runs: books, detector, signals, the rule advisor,
risk, the paper executor and the storage writer), each into a fresh database. Interleaved with the
replays, the live simulated market runs headless at max speed for the same engine seconds, with the same
seed and start time (what ``run --headless --speed max`` runs): the baseline a replay should beat, as it
does no simulation work.

Runs are in-process (``build_replay_runtime`` / ``build_runtime``, then ``start`` and ``wait``, as the
command line does), so Python's start-up is not counted. A run's wall time is from ``start()`` to the end
of ``wait()``: the engine thread, its shutdown drain and the storage writer's last flush are all inside it.
The garbage collector stays on, as in the app. Built-in config defaults only (an empty config file).

Self-check: every replay of the file must give the same events, trades and realized P&L; a mismatch
raises ``ReplayMismatch``. With one timed replay (``--quick``) one more, untimed, replay is made for the
check. The replays are also compared with the session that recorded the file (the README says a simulated
recording replays to exactly the trades of the run that recorded it): a difference there is reported
(``matches_recording_session``, ``recording_differences``), not raised, so the figures still come out.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.harness import summarise

SEED = 7
FULL_SECONDS = 600.0
QUICK_SECONDS = 30.0
FULL_REPEATS = 3
QUICK_REPEATS = 1
START_TIME = 1_767_225_600.0  # 2026-01-01 00:00 UTC: a fixed engine start, so every run is the same market
TARGET_EVENTS_PER_S = 200_000.0
CHECKED = ("trades", "realized_pnl")  # what must agree between the replays and the recording session


class ReplayMismatch(AssertionError):
    """Two replays of one file disagree."""


def default_config(folder: Path, seed: int = SEED):
    """Return the built-in default configuration (an empty config file: no user settings) with ``seed``."""
    from octo_desktop.config import load_config

    empty = folder / "empty-config.toml"
    empty.write_text("", encoding="utf-8")
    return replace(load_config(empty), seed=seed)


def _finish(runtime) -> dict:
    """Start ``runtime``, wait for it to end on its own, return its figures (wall: start to store closed)."""
    gc.collect()
    started = time.perf_counter()
    runtime.start()
    runtime.wait()
    wall = time.perf_counter() - started
    if runtime.failure is not None or runtime.summary is None:
        raise RuntimeError(f"engine failed: {runtime.failure!r}")
    summary = runtime.summary
    return {
        "events": int(summary["events"]),
        "wall_s": wall,
        "events_per_s": summary["events"] / wall if wall > 0 else 0.0,
        "engine_events_per_s": float(summary["events_per_second"]),  # the engine's own figure
        "trades": int(summary["trades"]),
        "opportunities": int(summary["opportunities"]),
        "realized_pnl": str(summary["realized_pnl"]),
        "storage_error": summary.get("storage_error") or "",
        "recording_error": (summary.get("recording") or {}).get("error") or "",
    }


def record(config, out: Path, seconds: float, db_path: Path, start_time: float = START_TIME) -> dict:
    """Record ``seconds`` of the simulated market to ``out`` as ``record --market sim`` does; return figures."""
    from octo_desktop.app import MarketSource, build_runtime

    source = MarketSource("simulated", record_path=str(out))
    runtime = build_runtime(config, db_path=db_path, speed=None, start_time=start_time, run_seconds=seconds,
                            source=source)
    result = _finish(runtime)
    if result["recording_error"]:
        raise RuntimeError(f"recording failed: {result['recording_error']}")
    result["bytes"] = out.stat().st_size
    return result


def replay_once(config, path: Path, db_path: Path) -> dict:
    """Replay ``path`` at max speed into ``db_path`` as ``replay FILE --speed max --json`` does."""
    from octo_desktop.app import build_replay_runtime

    runtime = build_replay_runtime(config, path, db_path=db_path, speed=None, stop_at_end=True,
                                   log_opportunities=True)
    return _finish(runtime)


def live_once(config, seconds: float, db_path: Path, start_time: float = START_TIME) -> dict:
    """Run the simulated market headless at max speed as ``run --headless --speed max`` does."""
    from octo_desktop.app import MarketSource, build_runtime

    runtime = build_runtime(config, db_path=db_path, speed=None, start_time=start_time, run_seconds=seconds,
                            source=MarketSource("simulated"))
    return _finish(runtime)


def check_determinism(replays: list[dict]) -> None:
    """Raise ``ReplayMismatch`` unless at least two replays agree on events, trades and realized P&L."""
    if len(replays) < 2:
        raise ReplayMismatch(f"the self-check needs two replays, got {len(replays)}")
    first = replays[0]
    problems = []
    for index, other in enumerate(replays[1:], start=2):
        for key in ("events", *CHECKED):
            if other.get(key) != first.get(key):
                problems.append(f"replay 1 {key}={first.get(key)!r} but replay {index} {key}={other.get(key)!r}")
    if problems:
        raise ReplayMismatch("replay is not deterministic: " + "; ".join(problems))


def recording_differences(replayed: dict, recorded: dict) -> dict:
    """Return {key: [recording session, replay]} for each of events, trades, realized P&L that differ."""
    return {key: [recorded.get(key), replayed.get(key)] for key in ("events", *CHECKED)
            if recorded.get(key) != replayed.get(key)}


def _figures(runs: list[dict]) -> dict:
    rates = summarise([r["events_per_s"] for r in runs])
    return {
        "events_per_s": rates.as_dict(1),
        "wall_s": summarise([r["wall_s"] for r in runs]).as_dict(3),
        "engine_events_per_s_median": round(summarise([r["engine_events_per_s"] for r in runs]).median, 1),
        "events": runs[0]["events"],
        "trades": runs[0]["trades"],
        "opportunities": runs[0]["opportunities"],
        "realized_pnl": runs[0]["realized_pnl"],
        "storage_errors": sorted({r["storage_error"] for r in runs if r["storage_error"]}),
    }


def run(quick: bool = False, seconds: float | None = None, repeats: int | None = None,
        seed: int = SEED) -> dict:
    """Record once, then replay ``repeats`` times interleaved with live runs; return a JSON-ready dict."""
    seconds = float(seconds if seconds is not None else (QUICK_SECONDS if quick else FULL_SECONDS))
    repeats = int(repeats if repeats is not None else (QUICK_REPEATS if quick else FULL_REPEATS))
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="octo-bench-replay-") as name:
        folder = Path(name)
        config = default_config(folder, seed)
        recording = folder / "session.jsonl.gz"
        recorded = record(config, recording, seconds, folder / "record.db")
        replays: list[dict] = []
        lives: list[dict] = []
        for index in range(repeats):  # interleaved: replay, live, replay, live, ...
            replays.append(replay_once(config, recording, folder / f"replay-{index}.db"))
            lives.append(live_once(config, seconds, folder / f"live-{index}.db"))
        checked = replays if repeats >= 2 else [*replays, replay_once(config, recording, folder / "check.db")]
        check_determinism(checked)
        differences = recording_differences(replays[0], recorded)
    replay, live = _figures(replays), _figures(lives)
    median = replay["events_per_s"]["median"]
    return {
        "name": "replay",
        "engine_seconds": seconds,
        "seed": seed,
        "venues": len(config.venue_names),
        "symbols": len(config.symbols),
        "repeats": repeats,
        "recording": {"events": recorded["events"], "bytes": recorded["bytes"],
                      "wall_s": round(recorded["wall_s"], 3), "trades": recorded["trades"],
                      "realized_pnl": recorded["realized_pnl"]},
        "replay": replay,
        "live": live,
        "replay_over_live": round(median / live["events_per_s"]["median"], 3)
        if live["events_per_s"]["median"] > 0 else None,
        "live_same_trades": (live["trades"], live["realized_pnl"]) == (replay["trades"], replay["realized_pnl"]),
        "deterministic": True,  # check_determinism raised otherwise
        "determinism_replays": len(checked),
        "matches_recording_session": not differences,
        "recording_differences": differences,
        "target_events_per_s": TARGET_EVENTS_PER_S,
        "targets": {"replay_ge_200k_events_per_s": median >= TARGET_EVENTS_PER_S},
        "benchmark_wall_s": round(time.perf_counter() - began, 1),
    }


def report(result: dict) -> str:
    replay, live = result["replay"], result["live"]
    rate, live_rate = replay["events_per_s"], live["events_per_s"]
    lines = [
        f"replay throughput ({result['venues']} venues x {result['symbols']} symbols, "
        f"{result['engine_seconds']:g} engine s, seed {result['seed']}, {result['repeats']} replay(s), --speed max):",
        f"  replay: {rate['median']:,.0f} events/s median ({rate['min']:,.0f}-{rate['max']:,.0f}); "
        f"{replay['events']:,} events in {replay['wall_s']['median']:.2f} s wall; "
        f"trades {replay['trades']}, realized P&L {replay['realized_pnl']}",
        f"  live simulated market (run --headless --speed max): {live_rate['median']:,.0f} events/s "
        f"({live_rate['min']:,.0f}-{live_rate['max']:,.0f}), {live['wall_s']['median']:.2f} s wall; "
        f"replay/live {result['replay_over_live']}x",
        f"  determinism: {result['determinism_replays']} replays agree (events, trades, realized P&L); "
        f"recording: {result['recording']['events']:,} events, {result['recording']['bytes'] / 1e6:.1f} MB file",
    ]
    if not result["matches_recording_session"]:
        lines.append("  WARNING: the replay differs from the session that recorded it: "
                     + ", ".join(f"{k} {a} recorded vs {b} replayed"
                                 for k, (a, b) in result["recording_differences"].items()))
    met = result["targets"]["replay_ge_200k_events_per_s"]
    lines.append(f"  target >= {result['target_events_per_s']:,.0f} events/s: "
                 + ("met" if met else f"NOT met ({rate['median']:,.0f} events/s, "
                                      f"{rate['median'] / result['target_events_per_s']:.1%} of it)"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SECONDS:g} engine seconds, one replay")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    result = run(quick=args.quick)
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
