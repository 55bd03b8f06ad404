"""Launch to first frame: the terminal from source and/or a built binary, median of several launches.

    python -m benchmarks.startup                         # from source, 5 launches
    python -m benchmarks.startup --binary dist/octo      # the binary and the source, interleaved
    python -m benchmarks.startup --binary dist/octo --no-source --runs 5 --json
    python -m benchmarks.startup --binary dist/octo --binary dist/Octo/octo   # one file and the folder

Each launch runs ``--startup-check``: the window opens on the simulated market, the first frame (the
first snapshot drawn) and then the charts are timed, and the window closes. "Launch to first frame" is
from the moment this script spawns the process (so a one-file binary's unpacking counts) to the first
frame on screen. One warm-up launch per program is not counted: it creates the database and the font
caches that every later start finds, as a user's second start would. All launches share one throwaway
home folder, never the user's. Without a DISPLAY an Xvfb server is started for the run.

Source runs write bytecode caches (``PYTHONDONTWRITEBYTECODE`` is removed), as a normal Python does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS_S = {"source": 1.5, "binary": 2.0}


@contextmanager
def display(size: str = "1600x950"):
    """Yield a DISPLAY: the current one, or a private Xvfb started for the duration."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise SystemExit("startup: no DISPLAY and no Xvfb (apt-get install xvfb)")
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            break
    else:
        raise SystemExit("startup: no free X display number")
    server = subprocess.Popen([xvfb, f":{number}", "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("startup: Xvfb did not start")
            time.sleep(0.05)
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(5)


def environment(home: Path, display_name: str, tree: Path = ROOT) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"DISPLAY": display_name, "HOME": str(home), "OCTO_DATA_DIR": str(home / "data"),
                "OCTO_CONFIG": str(home / "config.toml"), "OCTO_CACHE_DIR": str(home / "cache"),
                "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache"),
                "TMPDIR": str(home / "tmp"), "PYTHONPATH": str(tree)})
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    return env


def launch(command: list[str], env: dict[str, str]) -> dict:
    """Launch once with ``--startup-check``; return the seconds from spawn to each phase."""
    spawned = time.time()
    done = subprocess.run([*command, "--startup-check"], env=env, capture_output=True, text=True, timeout=120,
                          cwd=env["PYTHONPATH"])
    ended = time.time()
    if done.returncode != 0:
        raise SystemExit(f"startup: {' '.join(command)} exited {done.returncode}: {done.stderr[-1500:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    python = report["python_start_unix"]
    result = {"first_frame_s": report["first_frame_unix"] - spawned, "python_start_s": python - spawned,
              "exit_s": ended - spawned}
    for name, at in report["marks_s"].items():
        result[f"{name}_s"] = python + at - spawned
    return result


def summarise(runs: list[dict]) -> dict:
    frames = [run["first_frame_s"] for run in runs]
    charts = [run.get("charts_ready_s", float("nan")) for run in runs]
    return {"runs": len(runs), "first_frame_median_s": statistics.median(frames), "first_frame_min_s": min(frames),
            "first_frame_max_s": max(frames), "charts_median_s": statistics.median(charts),
            "python_start_median_s": statistics.median(run["python_start_s"] for run in runs), "launches": runs}


def measure(programs: dict[str, list[str]], runs: int, display_name: str, trees: dict[str, Path] | None = None,
            warm_up: bool = True) -> dict:
    """Warm each program up once (unless ``warm_up`` is false), then launch them in turn (A B A B ...)
    ``runs`` times each."""
    results: dict[str, list[dict]] = {name: [] for name in programs}
    trees = trees or {}
    with tempfile.TemporaryDirectory(prefix="octo-startup-") as folder:
        # A program's name may be a path (several binaries): each gets a home of its own by position.
        homes = {name: Path(folder) / f"home-{index}" for index, name in enumerate(programs)}
        envs = {name: environment(homes[name], display_name, trees.get(name, ROOT)) for name in programs}
        for name, command in programs.items():
            if warm_up:
                launch(command, envs[name])  # warm-up: database, font caches, bytecode
        for _ in range(runs):
            for name, command in programs.items():
                results[name].append(launch(command, envs[name]))
        for name in programs:  # a one-file binary must clean up its unpack folder on every exit
            left = sorted(p.name for p in (homes[name] / "tmp").glob("_MEI*"))
            if left:
                raise SystemExit(f"startup: {name} left unpack folders behind: {left}")
    return {name: summarise(found) for name, found in results.items()}


def _display_name(binary: Path) -> str:
    """Name a built program by its path under the source tree (``dist/octo``), else its full path."""
    try:
        return binary.relative_to(ROOT).as_posix()
    except ValueError:
        return str(binary)


def time_programs(binaries: list[str], source: bool = True, baseline: str | None = None, runs: int = 5,
                  warm_up: bool = True) -> dict:
    """Time the source tree and/or built programs (and a baseline tree), interleaved; return the results."""
    programs: dict[str, list[str]] = {}
    if source:
        programs["source"] = [sys.executable, "-m", "octo_desktop"]
    trees = {}
    if baseline:
        programs["baseline"] = [sys.executable, "-m", "octo_desktop"]
        trees["baseline"] = Path(baseline).resolve()
    sizes = {}
    for given in binaries:
        binary = Path(given).resolve()
        if not binary.exists():
            raise SystemExit(f"startup: {binary} does not exist (python build/build.py builds it)")
        name = "binary" if len(binaries) == 1 else _display_name(binary)
        programs[name] = [str(binary)]
        sizes[name] = binary.stat().st_size
    if not programs:
        raise SystemExit("startup: nothing to time")
    with display() as display_name:
        results = measure(programs, max(1, runs), display_name, trees, warm_up)
    for name, size in sizes.items():
        results[name]["size_bytes"] = size
    return results


def run(quick: bool = False) -> dict:
    """The suite's entry: the source tree, and the builds in dist/ if there are any (5 launches each;
    one cold launch of the source, without the warm-up, with --quick)."""
    built = [str(p) for p in (ROOT / "dist" / "octo", ROOT / "dist" / "Octo" / "octo") if p.is_file()]
    results = time_programs([] if quick else built, runs=1 if quick else 5, warm_up=not quick)
    targets = {name: result["first_frame_median_s"] <= TARGETS_S["source" if name == "source" else "binary"]
               for name, result in results.items()}
    return {"name": "startup", "results": results, "targets_met": targets}


def report(result: dict) -> str:
    results = result["results"]
    lines = []
    for name, found in results.items():
        target = TARGETS_S["source" if name in ("source", "baseline") else "binary"]
        verdict = "met" if found["first_frame_median_s"] <= target else "NOT met"
        lines.append(f"{name} launch to first frame: median {found['first_frame_median_s']:.2f} s "
                     f"(min {found['first_frame_min_s']:.2f}, max {found['first_frame_max_s']:.2f}, "
                     f"{found['runs']} launches); charts {found['charts_median_s']:.2f} s; "
                     f"Python starts at {found['python_start_median_s']:.2f} s; target {target:g} s {verdict}")
        if "size_bytes" in found:
            lines.append(f"  file size {found['size_bytes'] / 1e6:.1f} MB")
    for other in results:
        if other != "source" and "source" in results:
            ratio = results[other]["first_frame_median_s"] / results["source"]["first_frame_median_s"]
            lines.append(f"{other} / source first-frame time: {ratio:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", metavar="PATH", action="append", default=[],
                        help="also (or only, with --no-source) time this built program (repeatable)")
    parser.add_argument("--no-source", action="store_true", help="do not time the source tree")
    parser.add_argument("--baseline", metavar="TREE", help="also time another source tree (e.g. a `git worktree` "
                                                           "of an older commit), interleaved with this one")
    parser.add_argument("--runs", type=int, default=5, help="measured launches per program (default 5)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args(argv)
    results = time_programs(args.binary, source=not args.no_source, baseline=args.baseline, runs=args.runs)
    if args.json:
        print(json.dumps({"benchmark": "startup", "cpus": os.cpu_count(), "results": results}))
    else:
        print(report({"results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
