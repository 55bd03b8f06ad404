"""The replay-throughput and long-session memory benchmarks, on tiny runs."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from benchmarks import memory, replay


def _result(events=1000, trades=3, pnl="1.25"):
    return {"events": events, "trades": trades, "realized_pnl": pnl}


def test_self_check_accepts_agreeing_replays():
    replay.check_determinism([_result(), _result(), _result()])


@pytest.mark.parametrize("other", [_result(trades=4), _result(pnl="1.26"), _result(events=1001)])
def test_self_check_detects_two_replays_that_differ(other):
    with pytest.raises(replay.ReplayMismatch, match="not deterministic"):
        replay.check_determinism([_result(), other])
    with pytest.raises(replay.ReplayMismatch, match="replay 3"):
        replay.check_determinism([_result(), _result(), other])


def test_self_check_needs_two_replays():
    with pytest.raises(replay.ReplayMismatch, match="two replays"):
        replay.check_determinism([_result()])


def test_a_replay_that_differs_from_its_recording_session_is_reported():
    assert replay.recording_differences(_result(), _result()) == {}
    assert replay.recording_differences(_result(pnl="1.30"), _result()) == {"realized_pnl": ["1.25", "1.30"]}
    assert replay.recording_differences(_result(trades=2), _result()) == {"trades": [3, 2]}


def test_tiny_replay_run_returns_the_documented_figures():
    result = replay.run(quick=True, seconds=4, repeats=2)
    json.dumps(result)  # JSON-ready
    assert result["name"] == "replay"
    assert (result["venues"], result["symbols"], result["engine_seconds"], result["repeats"]) == (8, 3, 4.0, 2)
    for key in ("replay", "live"):
        figures = result[key]
        assert figures["events_per_s"]["median"] > 0 and figures["events_per_s"]["n"] == 2
        assert figures["wall_s"]["median"] > 0
        assert figures["events"] > 0 and figures["storage_errors"] == []
        assert {"trades", "realized_pnl", "opportunities"} <= set(figures)
    # the recording has exactly the events the replay fed the engine
    assert result["recording"]["events"] == result["replay"]["events"] and result["recording"]["bytes"] > 0
    wall, rate = result["replay"]["wall_s"], result["replay"]["events_per_s"]
    events = result["replay"]["events"]
    # wall times are rounded to the millisecond, which a tiny run at full speed feels
    assert events / (wall["max"] + 0.0005) <= rate["min"] <= rate["median"] <= rate["max"] \
        <= events / max(wall["min"] - 0.0005, 1e-9)
    assert result["replay_over_live"] > 0 and result["deterministic"] is True
    assert result["determinism_replays"] == 2 and isinstance(result["matches_recording_session"], bool)
    assert result["targets"] == {"replay_ge_200k_events_per_s":
                                 result["replay"]["events_per_s"]["median"] >= 200_000}
    text = replay.report(result)
    assert "events/s" in text and "target" in text


def _snapshot(engine_s, events=0):
    return SimpleNamespace(time=memory.START_TIME + engine_s, events=events, pnl_times=np.zeros(3))


def test_sampler_samples_each_mark_once_in_order_when_the_clock_passes_it():
    lines = []
    sampler = memory.Sampler((20.0, 10.0, 30.0), memory.START_TIME, lines.append)
    assert not sampler.step(None)
    assert not sampler.step(_snapshot(0.5))  # the start sample only
    assert not sampler.step(_snapshot(9.9))
    assert not sampler.step(_snapshot(25.0))  # passes 10 and 20 at once
    assert sampler.step(_snapshot(31.0))
    assert [line["kind"] for line in lines] == ["start", "mark", "mark", "mark"]
    assert [line["mark_s"] for line in lines] == [0.0, 10.0, 20.0, 30.0]
    assert [line["engine_s"] for line in lines] == [0.5, 25.0, 25.0, 31.0]
    assert all(line["rss_mb"] > 0 for line in lines)


def test_headless_window_keeps_bounded_frame_history(config):
    window = memory.HeadlessWindow(config)
    fake_runtime = SimpleNamespace(latest_snapshot=lambda: None, is_running=True)
    for _ in range(memory.FRAME_HISTORY + 25):
        window.poll(fake_runtime)
    assert window.frames == memory.FRAME_HISTORY + 25
    assert len(window.frame_times_ms) == len(window._frame_started) == memory.FRAME_HISTORY


def test_tiny_memory_run_samples_increasing_engine_marks_with_positive_rss():
    result = memory.run(marks_s=(3.0, 6.0, 9.0), mode="headless", stall_timeout_s=60)
    json.dumps(result)
    assert result["name"] == "memory" and result["mode"] == "headless"
    marks = [s for s in result["samples"] if s["mark_s"] > 0]
    assert [s["mark_s"] for s in marks] == [3.0, 6.0, 9.0]
    engine = [s["engine_s"] for s in result["samples"]]
    assert engine == sorted(engine) and all(s["engine_s"] >= s["mark_s"] for s in marks)
    assert all(s["rss_mb"] > 10 for s in result["samples"])  # a Python process with numpy: tens of MB
    assert all(s["events"] > 0 for s in marks)
    assert result["rss_first_mb"] == marks[0]["rss_mb"] and result["rss_last_mb"] == marks[-1]["rss_mb"]
    assert result["ratio_last_over_first"] == pytest.approx(marks[-1]["rss_mb"] / marks[0]["rss_mb"], abs=1e-3)
    assert result["targets"]["rss_flat_within_5pct"] == (abs(result["ratio_last_over_first"] - 1) <= 0.05)
    assert "RSS MB" in memory.report(result)
