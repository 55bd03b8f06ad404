"""The suite's runner and the start-up benchmark's bookkeeping, without timing anything real."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks import __main__ as suite
from benchmarks import startup

FAKE_PROGRAM = """#!{python}
import json, sys, time
assert sys.argv[1:] == ["--startup-check"], sys.argv
now = time.time()
print(json.dumps({{"python_start_unix": now, "first_frame_unix": now + 0.01,
                  "marks_s": {{"window": 0.005, "charts_ready": 0.02}}}}))
"""


def test_several_binaries_named_by_path_each_get_their_own_home(tmp_path):
    """Programs named by absolute paths (as the suite names the builds in dist/) are timed, each in a
    throwaway home of its own, and results keep their names."""
    programs = {}
    for name in ("one", "two"):
        folder = tmp_path / name / "dist"
        folder.mkdir(parents=True)
        program = folder / "octo"
        program.write_text(FAKE_PROGRAM.format(python=sys.executable))
        program.chmod(0o755)
        programs[str(program)] = [str(program)]
    results = startup.measure(programs, runs=2, display_name=":0", warm_up=False)
    assert set(results) == set(programs)
    for found in results.values():
        assert found["runs"] == 2
        assert 0 < found["python_start_median_s"] < found["first_frame_median_s"] < found["charts_median_s"]


def test_a_binary_under_the_source_tree_is_named_relative_to_it():
    assert startup._display_name(startup.ROOT / "dist" / "octo") == "dist/octo"
    assert startup._display_name(Path("/elsewhere/octo")) == "/elsewhere/octo"


def test_a_failing_benchmark_is_recorded_and_the_others_still_report(tmp_path, monkeypatch, capsys):
    (tmp_path / "broken_bench.py").write_text(
        "def run(quick=False):\n    raise RuntimeError('cannot measure here')\n"
        "def report(result):\n    return 'never'\n")
    (tmp_path / "fine_bench.py").write_text(
        "def run(quick=False):\n    return {'name': 'fine', 'value': 42}\n"
        "def report(result):\n    return 'fine: 42'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(suite, "BENCHMARKS", {"broken": "broken_bench", "fine": "fine_bench"})
    out = tmp_path / "results.json"
    started = time.monotonic()
    code = suite.main(["--quick", "--out", str(out)])
    assert time.monotonic() - started < 60
    assert code == 1
    document = json.loads(out.read_text())
    assert document["results"]["broken"]["error"] == "RuntimeError: cannot measure here"
    assert document["results"]["fine"]["value"] == 42
    printed = capsys.readouterr()
    assert "broken: FAILED (RuntimeError: cannot measure here)" in printed.out and "fine: 42" in printed.out
    assert "failed: broken" in printed.err


def test_a_child_reports_its_own_peak_rss_not_its_parents():
    """The memory benchmark's child runs after the suite's other benchmarks made the parent big: its peak
    must be its own (VmHWM), not the parent's carried across exec (ru_maxrss on Linux)."""
    import subprocess

    import pytest

    if not Path("/proc/self/status").exists():
        pytest.skip("VmHWM is Linux's")
    ballast = bytearray(300 * 2**20)
    for index in range(0, len(ballast), 4096):
        ballast[index] = 1  # touched: resident in this process
    done = subprocess.run([sys.executable, "-c", "from benchmarks.memory import _peak_rss_mb; print(_peak_rss_mb())"],
                          cwd=startup.ROOT, capture_output=True, text=True, timeout=60)
    del ballast
    assert done.returncode == 0, done.stderr
    assert 1.0 < float(done.stdout) < 150.0
