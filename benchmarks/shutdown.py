"""Stopping and refusing: a headless run's stop after SIGTERM or Ctrl+C, and a second engine's refusal.

    python -m benchmarks.shutdown [--quick] [--json] [--runs N]

Each run starts ``run --headless --speed 1 --stream`` on a fresh database in a throwaway folder, on a
busy simulated market, waits until a trade's first leg has filled (a trade is in flight), sends the
signal, and times from the signal to the process's exit. The run must end with its summary, exit 0
(SIGTERM) or 130 (SIGINT), and no trade may be lost: the summary's trade count equals the database's.
Beside a running engine, a second ``run --headless`` on the same database is timed from its start to
its refusal (exit 1). The signals alternate (TERM, INT, TERM, ...). Target: a stop within 2 s.
"""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_STOP_S = 2.0
MARKET = ("simulation.dislocations_per_minute=30", "risk.pair_cooldown_s=0")


def _octo(*args: str) -> list[str]:
    argv = [sys.executable, "-m", "octo_desktop", *args]
    for setting in MARKET:
        argv += ["--set", setting]
    return argv


def one_stop(folder: Path, signum: int) -> dict:
    """Time one graceful stop with a trade in flight, and one refusal beside the running engine."""
    db = folder / f"stop-{signum}-{time.monotonic_ns()}.db"
    engine = subprocess.Popen(_octo("run", "--headless", "--seconds", "100000", "--speed", "1", "--stream", "--json",
                                    "--db", str(db)), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    lines: list[str] = []
    in_flight = threading.Event()

    def read() -> None:
        for line in engine.stdout:
            lines.append(line)
            if '"purpose": "entry"' in line:
                in_flight.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not in_flight.wait(120):
            raise RuntimeError(f"no trade within 120 s: {engine.stderr.read()[-500:]}")
        began = time.monotonic()
        refused = subprocess.run(_octo("run", "--headless", "--seconds", "5", "--db", str(db)), cwd=ROOT,
                                 capture_output=True, text=True, timeout=120)
        refusal_s = time.monotonic() - began
        if refused.returncode != 1 or "in use by another Octo process" not in refused.stderr:
            raise RuntimeError(f"the second engine was not refused: exit {refused.returncode}, {refused.stderr}")
        sent = time.monotonic()
        engine.send_signal(signum)
        code = engine.wait(60)
        stop_s = time.monotonic() - sent
    finally:
        if engine.poll() is None:
            engine.kill()
    reader.join(10)
    summary = json.loads(lines[-1])
    expected = 0 if signum == signal.SIGTERM else 130
    with sqlite3.connect(db) as connection:
        stored = connection.execute("SELECT count(*) FROM trades").fetchone()[0]
    if code != expected or summary.get("trades") != stored:
        raise RuntimeError(f"exit {code} (expected {expected}), summary trades {summary.get('trades')}, stored {stored}")
    return {"signal": signal.Signals(signum).name, "stop_s": round(stop_s, 3), "refusal_s": round(refusal_s, 3),
            "open_trades_left": summary["open_trades"], "stopped_by": summary["stopped_by"]}


def run(quick: bool = False, runs: int | None = None) -> dict:
    """Measure; return a JSON-ready dict."""
    count = runs if runs is not None else (2 if quick else 6)
    with tempfile.TemporaryDirectory(prefix="octo-shutdown-") as folder:
        samples = [one_stop(Path(folder), signal.SIGTERM if n % 2 == 0 else signal.SIGINT) for n in range(count)]
    stops = [s["stop_s"] for s in samples]
    refusals = [s["refusal_s"] for s in samples]
    return {"name": "shutdown", "runs": samples,
            "stop_s": {"median": round(statistics.median(stops), 3), "max": round(max(stops), 3)},
            "refusal_s": {"median": round(statistics.median(refusals), 3), "max": round(max(refusals), 3)},
            "targets": {f"stop_le_{TARGET_STOP_S:g}s": max(stops) <= TARGET_STOP_S}}


def report(result: dict) -> str:
    """Return the figures as a few lines of text."""
    stop, refusal = result["stop_s"], result["refusal_s"]
    met = "met" if all(result["targets"].values()) else "NOT met"
    return (f"shutdown: stop after SIGTERM/SIGINT with a trade in flight: median {stop['median']} s, max "
            f"{stop['max']} s over {len(result['runs'])} runs (target {TARGET_STOP_S:g} s: {met}); a second engine "
            f"refused in median {refusal['median']} s (the Python start-up included)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.shutdown", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two runs")
    parser.add_argument("--runs", type=int, help="how many stops to time")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args.quick, args.runs)
    print(json.dumps(result) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
