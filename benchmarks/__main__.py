"""Run Octo's benchmarks: ``python -m benchmarks [--quick] [--json] [--only a,b] [--out FILE]``.

Every benchmark runs its contenders on the same seeded input in the same process, interleaved, and
reports medians with spreads and ratios. The results, with the machine's facts and the exact command,
are written to ``benchmarks/results/<date>.json`` (``<date>-quick.json`` for ``--quick``).
``--quick`` is a smoke run (CI runs it so the suite cannot rot): small workloads, few repetitions,
figures not meant to be quoted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
# name -> module; each module has run(quick: bool) -> dict and report(dict) -> str
BENCHMARKS = {
    "book": "benchmarks.book",
    "latency": "benchmarks.latency",
    "spread": "benchmarks.spread",
    "replay": "benchmarks.replay",
    "gui": "benchmarks.gui",
    "startup": "benchmarks.startup",
    "memory": "benchmarks.memory",
    "shutdown": "benchmarks.shutdown",
    "competition": "benchmarks.competition",
}


def machine() -> dict:
    """Return the facts that decide the figures: CPU, cores, memory, Python and library versions, commit."""
    cpu = platform.processor() or platform.machine()
    memory_kb = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_kb = int(line.split()[1])
                break
    except OSError:
        pass
    import numpy

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(memory_kb / 2**20, 1) if memory_kb else None,
            "platform": platform.platform(), "python": platform.python_version(), "numpy": numpy.__version__,
            "commit": commit}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: small workloads, few repetitions")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    parser.add_argument("--only", metavar="A,B", help=f"run only these ({', '.join(BENCHMARKS)})")
    parser.add_argument("--out", metavar="FILE", help="results file (default: benchmarks/results/<date>.json)")
    args = parser.parse_args(argv)
    names = list(BENCHMARKS) if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; known: {', '.join(BENCHMARKS)}")

    started = time.monotonic()
    results: dict = {}
    reports = []
    for name in names:
        module = importlib.import_module(BENCHMARKS[name])
        began = time.monotonic()
        try:
            result = module.run(quick=args.quick)
        except SystemExit as exc:  # a benchmark that cannot run here says why (e.g. no display)
            result = {"name": name, "skipped": str(exc)}
        except ModuleNotFoundError as exc:
            result = {"name": name, "skipped": f"missing module: {exc.name}"}
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not lose the others' figures
            traceback.print_exc()
            result = {"name": name, "error": f"{type(exc).__name__}: {exc}"}
        result["seconds"] = round(time.monotonic() - began, 2)
        results[name] = result
        if "error" in result:
            reports.append(f"{name}: FAILED ({result['error']})")
        elif "skipped" in result:
            reports.append(f"{name}: skipped ({result['skipped']})")
        else:
            reports.append(module.report(result))
        if not args.json:
            print(reports[-1], flush=True)

    today = dt.date.today().isoformat()
    document = {"date": today, "quick": args.quick,
                "command": "python -m benchmarks" + (" --quick" if args.quick else "")
                           + (f" --only {args.only}" if args.only else ""),
                "machine": machine(), "seconds": round(time.monotonic() - started, 1), "results": results}
    out = Path(args.out) if args.out else RESULTS / f"{today}{'-quick' if args.quick else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(document))
    else:
        print(f"results: {out}  ({document['seconds']} s)")
    failed = [name for name, result in results.items() if "error" in result]
    if failed:
        print(f"failed: {', '.join(failed)} (see their \"error\" in the results file)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
