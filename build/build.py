"""Build Octo's binary for the platform this runs on, and optionally check that it works.

    python build/build.py            # PyInstaller with octo.spec -> dist/ ; prints the path and size
    python build/build.py --check    # build, then run the binary: --version, doctor, 30 s headless
                                     # with --json, and (with a display) the window's start-up check

``--check-only`` checks an existing binary without rebuilding. The checks run the binary with its own
data, config, cache and temporary folders, so they never touch the user's files, and fail if the
binary's output is wrong or it leaves its unpacked files behind. Size and start-up are printed against
the targets (one-file binary at most 60 MB, first frame at most 2.0 s); they are measured, not asserted:
see ``python -m benchmarks.startup`` for the median of several launches.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "octo.spec"
SIZE_TARGET_MB = 60.0
FIRST_FRAME_TARGET_S = 2.0
HEADLESS_SECONDS = 30


class CheckFailed(Exception):
    """The built binary did something wrong; the message says what."""


def binary_path(dist: Path, onedir: bool = False) -> Path:
    """Return the program the build makes on this platform (the one the checks run)."""
    if sys.platform == "win32":
        return dist / "Octo" / "octo-cli.exe"
    if sys.platform == "darwin":
        return dist / "Octo.app" / "Contents" / "MacOS" / "octo"
    return dist / "Octo" / "octo" if onedir else dist / "octo"


def artefact(dist: Path, onedir: bool = False) -> Path:
    """Return what the build produced: the one-file binary, or the folder / app bundle."""
    if sys.platform == "win32":
        return dist / "Octo"
    if sys.platform == "darwin":
        return dist / "Octo.app"
    return dist / "Octo" if onedir else dist / "octo"


def size_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB ({size / 2**20:.1f} MiB)"


def build(dist: Path, work: Path, clean: bool = False, onedir: bool = False) -> Path:
    """Run PyInstaller on octo.spec; return the artefact's path."""
    command = [sys.executable, "-m", "PyInstaller", str(SPEC), "--noconfirm", "--log-level", "WARN",
               "--distpath", str(dist), "--workpath", str(work)]
    if clean:
        command.append("--clean")
    started = time.monotonic()
    print("build: " + " ".join(command), flush=True)
    env = dict(os.environ, OCTO_BUILD_ONEDIR="1" if onedir else "0")
    done = subprocess.run(command, cwd=ROOT, env=env)
    if done.returncode != 0:
        raise SystemExit(f"build: PyInstaller failed (exit {done.returncode})")
    path = artefact(dist, onedir)
    if not path.exists():
        raise SystemExit(f"build: PyInstaller finished but {path} is missing")
    print(f"build: {path}  {megabytes(size_bytes(path))}  in {time.monotonic() - started:.0f} s", flush=True)
    return path


def isolated_env(home: Path, tmp: Path) -> dict[str, str]:
    """Return an environment whose data, config, cache and temporary folders are under ``home``/``tmp``."""
    env = dict(os.environ)
    env.update({"HOME": str(home), "OCTO_DATA_DIR": str(home / "data"), "OCTO_CONFIG": str(home / "config.toml"),
                "OCTO_CACHE_DIR": str(home / "cache"), "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local" / "share"),
                "TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)})
    return env


def run(binary: Path, args: list[str], env: dict, timeout: float) -> subprocess.CompletedProcess:
    done = subprocess.run([str(binary), *args], env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise CheckFailed(f"`{binary.name} {' '.join(args)}` exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done


def parse_json(text: str, what: str) -> dict:
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as exc:
        raise CheckFailed(f"{what}: no JSON object on standard output ({exc}): {text[-500:]!r}") from None


def check_headless(summary: dict, seconds: float) -> list[str]:
    """Return what is wrong with a ``run --headless --json`` summary of ``seconds`` engine seconds."""
    problems = []
    for key in ("events", "trades", "opportunities", "realized_pnl", "fees", "balances", "initial_balances",
                "books", "risk", "engine_time", "events_per_second"):
        if key not in summary:
            problems.append(f"missing key {key!r}")
    if problems:
        return problems
    if summary["events"] < 1000 * seconds / 30:
        problems.append(f"only {summary['events']} events in {seconds:g} s")
    if summary["risk"].get("state") not in ("ACTIVE", "REDUCING", "HALTED"):
        problems.append(f"risk state {summary['risk'].get('state')!r}")
    venues = summary["books"]
    if len(venues) < 2:
        problems.append(f"books of {len(venues)} venue(s)")
    for venue, symbols in venues.items():
        for symbol, book in symbols.items():
            bid, ask = book.get("bid"), book.get("ask")
            if not (isinstance(bid, (int, float)) and isinstance(ask, (int, float)) and 0 < bid < ask):
                problems.append(f"{venue} {symbol}: bid {bid} ask {ask}")
    try:
        Decimal(summary["realized_pnl"]), Decimal(summary["fees"])
        for balances in (summary["balances"], summary["initial_balances"]):
            for assets in balances.values():
                for amount in assets.values():
                    if Decimal(amount) < 0:
                        problems.append(f"negative balance {amount}")
    except (ArithmeticError, TypeError, ValueError) as exc:
        problems.append(f"money not exact decimals: {exc}")
    return problems


def leftovers(tmp: Path) -> list[str]:
    """Return the one-file build's unpack folders left in ``tmp`` (there must be none after a clean exit)."""
    return sorted(p.name for p in tmp.glob("_MEI*"))


def check(dist: Path, gui: bool = True, onedir: bool = False) -> dict:
    """Run the checks on the build in ``dist``; return the figures; raise CheckFailed on a wrong answer."""
    binary = binary_path(dist, onedir)
    if not binary.exists():
        raise CheckFailed(f"{binary} does not exist: build first")
    figures: dict = {"binary": str(binary), "size_bytes": size_bytes(artefact(dist, onedir))}
    with tempfile.TemporaryDirectory(prefix="octo-check-") as folder:
        home, tmp = Path(folder) / "home", Path(folder) / "tmp"
        home.mkdir()
        tmp.mkdir()
        env = isolated_env(home, tmp)

        from_version = run(binary, ["--version"], env, 60).stdout.strip()
        from octo_desktop import __version__  # noqa: E402 - the tree being built

        if __version__ not in from_version:
            raise CheckFailed(f"--version says {from_version!r}, the source is {__version__}")
        print(f"check: --version -> {from_version}", flush=True)

        doctor = parse_json(run(binary, ["doctor", "--json"], env, 120).stdout, "doctor --json")
        failed = [c for c in doctor.get("checks", []) if not c.get("ok")]
        if failed or not doctor.get("checks"):
            raise CheckFailed(f"doctor: {failed or 'no checks'}")
        print(f"check: doctor -> {len(doctor['checks'])} checks passed", flush=True)

        started = time.monotonic()
        done = run(binary, ["run", "--headless", "--seconds", str(HEADLESS_SECONDS), "--speed", "max", "--json"],
                   env, 600)
        summary = parse_json(done.stdout, "run --headless --json")
        problems = check_headless(summary, HEADLESS_SECONDS)
        if problems:
            raise CheckFailed("headless run: " + "; ".join(problems))
        figures["headless"] = {"events": summary["events"], "trades": summary["trades"],
                               "wall_s": round(time.monotonic() - started, 2)}
        print(f"check: run --headless --seconds {HEADLESS_SECONDS} --speed max --json -> {summary['events']} events, "
              f"{summary['trades']} trades, realized {summary['realized_pnl']} USDT", flush=True)

        if gui and (os.environ.get("DISPLAY") or sys.platform in ("win32", "darwin")):
            spawned = time.time()
            report = parse_json(run(binary, ["--startup-check"], env, 120).stdout, "--startup-check")
            figures["first_frame_s"] = round(report["first_frame_unix"] - spawned, 3)
            print(f"check: --startup-check -> first frame {figures['first_frame_s']:.2f} s after launch, "
                  f"charts {report['marks_s'].get('charts_ready', float('nan')):.2f} s", flush=True)
        elif gui:
            print("check: no DISPLAY: the window check was skipped (run under xvfb-run to include it)")
        left = leftovers(tmp)
        if left:
            raise CheckFailed(f"the binary left its unpacked files behind: {left}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build/build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="after building, run the binary and check its output")
    parser.add_argument("--check-only", action="store_true", help="check the binary in --dist without building")
    parser.add_argument("--no-gui", action="store_true", help="skip the window check")
    parser.add_argument("--clean", action="store_true", help="rebuild from scratch (PyInstaller --clean)")
    parser.add_argument("--onedir", action="store_true",
                        help="Linux: build the unpacked folder dist/Octo/ (the tarball's) instead of one file")
    parser.add_argument("--dist", default=str(ROOT / "dist"), help="output folder (default: dist/)")
    parser.add_argument("--work", default=str(ROOT / "build" / ".work"), help="PyInstaller's work folder")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object at the end")
    args = parser.parse_args(argv)
    dist = Path(args.dist).resolve()
    sys.path.insert(0, str(ROOT))
    if not args.check_only:
        build(dist, Path(args.work).resolve(), clean=args.clean, onedir=args.onedir)
    binary = binary_path(dist, args.onedir)
    path = artefact(dist, args.onedir)
    figures: dict = {"binary": str(binary), "size_bytes": size_bytes(path) if path.exists() else None}
    if args.check or args.check_only:
        try:
            figures = check(dist, gui=not args.no_gui, onedir=args.onedir)
        except (CheckFailed, subprocess.TimeoutExpired) as exc:
            print(f"check FAILED: {exc}", file=sys.stderr)
            return 1
        size = figures["size_bytes"]
        if args.onedir or sys.platform in ("win32", "darwin"):
            print(f"check: passed. {path.name}: {megabytes(size)} unpacked", flush=True)
        else:
            verdict = "within" if size <= SIZE_TARGET_MB * 1e6 else "OVER"
            print(f"check: passed. size {megabytes(size)}: {verdict} the {SIZE_TARGET_MB:g} MB target", flush=True)
        if "first_frame_s" in figures:
            verdict = "within" if figures["first_frame_s"] <= FIRST_FRAME_TARGET_S else "OVER"
            print(f"check: first frame {figures['first_frame_s']:.2f} s (one launch): {verdict} the "
                  f"{FIRST_FRAME_TARGET_S:g} s target; `python -m benchmarks.startup --binary {binary}` "
                  f"gives the median of 5", flush=True)
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
