"""The command line end to end: a headless run with --advisor openai against a loopback server, then ai-log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.chat_server import FakeChatServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "octo_desktop", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_a_headless_openai_run_is_logged_and_ai_log_filters_it(tmp_path):
    db = tmp_path / "octo.db"
    with FakeChatServer() as server:
        server.answer("SKIP", 0.7, "first one is skipped")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env.update(PYTHONPATH=str(ROOT), OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test-key")
        # the market without other arbitrageurs: this is about what the log keeps of each answer
        run = cli("run", "--headless", "--advisor", "openai", "--seconds", "300", "--speed", "max", "--json",
                  "--db", str(db), "--set", 'simulation.preset="off"', env=env)
        assert run.returncode == 0, run.stderr
        requests = list(server.requests)
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["advisor"]["advisor"] == "openai" and summary["advisor"]["model"] == "gpt-4o"
    assert summary["advisor"]["today"]["calls"] == len(requests) > 1
    assert requests[0].headers["authorization"] == "Bearer sk-test-key"
    every = json.loads(cli("ai-log", "--db", str(db), "--json", "--limit", "1000", env=env).stdout)
    skips = json.loads(cli("ai-log", "--db", str(db), "--json", "--verdict", "skip", env=env).stdout)
    assert skips["decisions"] and all(d["verdict"] == "SKIP" for d in skips["decisions"])
    assert skips["decisions"][-1]["reason"] == "first one is skipped"
    assert skips["decisions"][-1]["outcome"] == "not traded (skip)"
    executed = [d for d in every["decisions"] if d["verdict"] == "EXECUTE" and d["trade_id"] is not None]
    assert executed and all(d["outcome"] and d["realized_pnl"] is not None for d in executed)
    day = next(iter(every["days"].values()))
    assert day["calls"] == len(requests)
    text = cli("ai-log", "--db", str(db), "--advisor", "openai", "--limit", "3", env=env)
    assert text.returncode == 0 and text.stdout.count("openai") >= 3 and "remote calls" in text.stdout


def test_ai_log_on_a_missing_database_is_a_clear_error(tmp_path):
    result = cli("ai-log", "--db", str(tmp_path / "none.db"), env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 1 and "does not exist" in result.stderr
