"""The benchmark suite runs (``--quick``), so it cannot rot: every benchmark produces its figures and its
self-checks pass. Timings are not asserted; they belong to the benchmarks, not to the tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(660)  # the whole suite, quick: about two minutes on a quiet machine
def test_quick_suite_runs_every_benchmark_and_writes_its_results(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "octo_desktop", "bench", "--quick", "--json", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(done.stdout.strip().splitlines()[-1])
    assert json.loads(out.read_text()) == document
    assert document["quick"] is True and document["machine"]["cores"] >= 1
    results = document["results"]
    assert set(results) == {"book", "latency", "spread", "replay", "gui", "startup", "memory", "shutdown",
                            "competition"}
    for name, result in results.items():
        assert "skipped" not in result, f"{name}: {result.get('skipped')}"

    spread = results["spread"]
    assert spread["identical_matrices"] is True
    assert set(spread["full_recompute_ms"]) == {"10", "100", "1000"}
    assert spread["single_symbol_us"]["median"] > 0

    startup = results["startup"]["results"]["source"]
    assert 0 < startup["python_start_median_s"] < startup["first_frame_median_s"] < startup["charts_median_s"]

    book = results["book"]
    assert book["identical_final_books"] is True
    assert book["implementations"]["octo"]["deltas_per_s"]["median"] > 0
    assert book["ratios_vs_ccxt"]["octo"]["deltas_per_s"] > 0  # measured against ccxt in the same run

    latency = results["latency"]
    assert latency["decisions"]["events_with_decision"] > 0  # the decision path really ran
    assert 0 < latency["all_us"]["p50"] <= latency["all_us"]["p99"] <= latency["all_us"]["p99.9"]

    replay = results["replay"]
    assert replay["deterministic"] is True and replay["replay"]["events"] == replay["recording"]["events"] > 0
    assert replay["matches_recording_session"] is True, replay["recording_differences"]

    gui = results["gui"]
    assert set(gui["speeds"]) == {"1", "10", "max", "replay-max"}
    replayed = gui["speeds"]["replay-max"]
    assert replayed["market"] == "replay" and replayed["frames"] > 0
    # Pause was pressed and the engine said paused (unless the replay ended first on a fast machine).
    assert replayed["pause_ms"] is not None or replayed["replay_finished_before_the_end"]

    shutdown = results["shutdown"]  # each run checked its exit code, its summary and the stored trades
    assert len(shutdown["runs"]) == 2 and {r["signal"] for r in shutdown["runs"]} == {"SIGTERM", "SIGINT"}
    assert 0 < shutdown["stop_s"]["median"] and all(r["stopped_by"] == r["signal"] for r in shutdown["runs"])

    competition = results["competition"]  # every point ran, against competitors, and was read back
    assert competition["errors"] == [] and [p["scale"] for p in competition["total"]] == [0.5, 1.0, 2.0, 5.0]
    assert all(p["races"] > 0 and p["closed"] == p["trades"] for p in competition["per_seed"][0]["points"])
    assert isinstance(competition["monotone"], bool)

    memory = results["memory"]
    assert memory["last_mark_s"] > memory["first_mark_s"] and memory["rss_first_mb"] > 0
