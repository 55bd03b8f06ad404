"""The advisor inside the real engine: the OpenAI path against a loopback Chat Completions server.

Every run is the real runtime thread on the simulated market at --speed max, with the real ``openai``
SDK talking to ``FakeChatServer`` on 127.0.0.1. The assertions read the database the run wrote (the
advice table, the advisor's daily spend, the trades) and the run's summary: each failure of the remote
advisor ends with the rule advisor deciding, the reason logged, and trading going on.
"""

from __future__ import annotations

import sqlite3
import time
from decimal import Decimal

import pytest

from octo_desktop.app import build_runtime
from octo_desktop.config import ConfigError, load_config
from tests.fakes.chat_server import FakeChatServer, answer

pytestmark = [pytest.mark.integration, pytest.mark.slow]
START = 19_700 * 86_400.0 + 3_600.0
SECONDS = 150


def market(*extra):
    # Without other arbitrageurs: these tests are about the advisor, on dislocations that wait for it.
    overrides = ['simulation.preset="off"', 'symbols.list=["BTC/USDT"]', "simulation.dislocations_per_minute=6",
                 "risk.pair_cooldown_s=5",
                 "simulation.spoofs_per_minute=0"]
    overrides += [f"venues.{v}.enabled={'true' if v in ('binance', 'okx', 'kucoin') else 'false'}"
                  for v in ("binance", "okx", "bybit", "kucoin", "gate", "mexc", "bitget", "htx")]
    return overrides + list(extra)


def run(tmp_path, server, *extra, seconds=SECONDS, name="run"):
    overrides = market('advisor.kind="openai"', f'advisor.base_url="{server.base_url}"', *extra)
    db = tmp_path / f"{name}.db"
    runtime = build_runtime(load_config(overrides=overrides), db_path=db, speed=None, start_time=START,
                            run_seconds=seconds)
    started = time.monotonic()
    runtime.start()
    runtime.wait(timeout=240)
    wall = time.monotonic() - started
    assert not runtime.is_running and runtime.failure is None
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    return runtime.summary, connection, wall


def advice(connection):
    return connection.execute("SELECT * FROM advice ORDER BY advice_id").fetchall()


def test_the_openai_advisor_decides_and_its_tokens_and_cost_are_recorded(tmp_path):
    with FakeChatServer() as server:
        summary, db, _ = run(tmp_path, server)
        requests = list(server.requests)
    rows = advice(db)
    assert rows and requests
    openai_rows = [r for r in rows if r["advisor"] == "openai"]
    assert openai_rows, [dict(r) for r in rows]
    assert all(r["model"] == "gpt-4o" and r["verdict"] == "EXECUTE" and r["fallback"] == "" for r in openai_rows)
    # Every EXECUTE the model gave that reached a trade is linked to it, and the trade's outcome came back.
    traded = [r for r in openai_rows if r["trade_id"] is not None]
    assert traded and summary["trades"] >= len(traded)
    assert all(r["outcome"] in ("complete", "partial", "rolled back", "failed") for r in traded)
    # Default answer: 850 tokens in, 40 out at gpt-4o's 2.50 / 10.00 USD per million.
    per_call = (Decimal(850) * Decimal("2.5") + Decimal(40) * Decimal("10.0")) / Decimal(1_000_000)
    day = db.execute("SELECT * FROM advisor_days").fetchall()
    assert len(day) == 1
    assert day[0]["calls"] == len(requests)
    assert Decimal(day[0]["cost_usd"]) == per_call * len(requests)
    assert day[0]["tokens_in"] == 850 * len(requests)
    assert summary["advisor"]["advisor"] == "openai"
    # The prompt carried the opportunity, its score parts, both venues' health and the volatility.
    prompt = requests[0].body["messages"][-1]["content"]
    for field in ('"net_spread_bps"', '"parts"', '"latency_p95_ms"', '"volatility_bps"', '"recent_advised_trades"'):
        assert field in prompt
    # The post-trade learning loop: later prompts carry the outcomes of earlier advised trades.
    assert any('"realized_bps":' in r.body["messages"][-1]["content"] and '"traded":0' not in
               r.body["messages"][-1]["content"] for r in requests[1:])


@pytest.mark.parametrize("script, kind", [
    (lambda s: s.malformed("{not json"), "malformed"),
    (lambda s: s.refusal("I can't help with trading."), "refused"),
    (lambda s: s.status(500), "server error"),
    (lambda s: s.status(429, retry_after=3600), "rate limited"),
    (lambda s: s.delay(5.0), "timeout"),
], ids=["malformed", "refusal", "500", "429", "timeout"])
def test_every_failure_falls_back_to_the_rule_advisor_and_trading_continues(tmp_path, script, kind):
    with FakeChatServer() as server:
        server.default = server.default.__class__(status_code=500, error_message="down")
        script(server)
        summary, db, wall = run(tmp_path, server, "advisor.budget_ms=400")
    rows = advice(db)
    assert rows
    failed = [r for r in rows if r["fallback"].startswith(f"openai {kind}")]
    assert failed, [dict(r) for r in rows[:5]]
    assert all(r["advisor"] == "rule" and r["verdict"] in ("EXECUTE", "SKIP", "WAIT") for r in failed)
    assert all(r["advisor"] == "rule" and r["fallback"] for r in rows)  # the model never decided
    # The rule advisor kept trading through every failure.
    assert summary["trades"] > 0
    assert any(r["trade_id"] is not None for r in rows)
    if kind == "timeout":
        assert all(400 <= r["latency_ms"] < 1500 for r in failed)  # the budget (plus grace), not the 5 s
    if kind == "rate limited":
        # A 429 with Retry-After: 3600 backs off: later opportunities are decided without a request.
        assert any("backing off" in r["fallback"] for r in failed)
    assert wall < 120


def test_a_429_is_not_retried_within_its_retry_after(tmp_path):
    with FakeChatServer() as server:
        server.status(429, retry_after=3600)
        run(tmp_path, server, "advisor.max_concurrent=1", seconds=120)
        assert len(server.requests) == 1


def test_the_daily_spend_cap_stops_calls(tmp_path):
    # Each call costs 0.0025 USD; a cap of 0.006 allows three calls, then the rule advisor decides.
    with FakeChatServer() as server:
        summary, db, _ = run(tmp_path, server, "advisor.daily_spend_cap_usd=0.006", "advisor.max_concurrent=1",
                             'advisor.prices.gpt-4o={input_per_mtok=2.0, output_per_mtok=20.0}')
        calls = len(server.requests)
    assert calls == 3
    day = db.execute("SELECT * FROM advisor_days").fetchone()
    assert Decimal(day["cost_usd"]) == Decimal("0.0075")
    capped = [r for r in advice(db) if r["fallback"].startswith("openai spend cap")]
    assert capped and all(r["advisor"] == "rule" for r in capped)
    assert summary["trades"] > 3


def test_skip_from_the_model_stops_every_trade(tmp_path):
    with FakeChatServer(default=answer("SKIP", 0.9, "not convinced")) as server:
        summary, db, _ = run(tmp_path, server, seconds=120)
    rows = advice(db)
    assert rows
    # Every decision is the model's own SKIP: none fell back to the rules because calls were in flight.
    assert [(r["advisor"], r["verdict"], r["fallback"]) for r in rows] == [("openai", "SKIP", "")] * len(rows)
    assert all(r["trade_id"] is None for r in rows)
    assert {r["outcome"] for r in rows} <= {"not traded (skip)", "spread gone before the advice was used",
                                             "opportunity gone before the answer"}
    assert summary["trades"] == 0
    assert summary["rejections"].get("advisor:skip", 0) == sum(r["outcome"] == "not traded (skip)" for r in rows)


def test_a_size_cap_shrinks_trades_and_a_huge_one_cannot_exceed_risk(tmp_path):
    with FakeChatServer(default=answer("EXECUTE", 0.8, "small", size_cap_usdt=500.0)) as server:
        _, small, _ = run(tmp_path, server, seconds=180, name="small")
    with FakeChatServer(default=answer("EXECUTE", 0.8, "all in", size_cap_usdt=10_000_000.0)) as server:
        _, huge, _ = run(tmp_path, server, "risk.max_notional_per_trade=800", seconds=180, name="huge")
    small_trades = small.execute("SELECT planned_quantity, decision_buy_vwap FROM trades").fetchall()
    huge_trades = huge.execute("SELECT planned_quantity, decision_buy_vwap FROM trades").fetchall()
    assert small_trades and huge_trades
    assert all(float(q) * p <= 500.0 * 1.0001 for q, p in small_trades)
    # The advisor asked for far more; risk's maximum notional (800, at the protected limit) still holds.
    assert all(float(q) * p <= 800.0 * 1.0001 for q, p in huge_trades)


def test_openai_without_a_key_or_a_server_is_a_clear_configuration_error(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        build_runtime(load_config(overrides=market('advisor.kind="openai"')), db_path=tmp_path / "x.db", speed=None)


def test_in_real_time_the_engine_keeps_running_while_the_model_thinks(tmp_path):
    # Speed 1: the answer takes 0.6 s of wall time, during which books keep updating and snapshots keep
    # coming; then the advice is used.
    from octo_desktop.domain.commands import Halt
    from tests.fakes.waiting import eventually

    with FakeChatServer() as server:
        server.default = server.default.__class__(**{**server.default.__dict__, "delay_s": 0.6})
        overrides = market('advisor.kind="openai"', f'advisor.base_url="{server.base_url}"',
                           "simulation.dislocations_per_minute=40")
        runtime = build_runtime(load_config(overrides=overrides), db_path=tmp_path / "rt.db", speed=1.0)
        runtime.start()
        try:
            pending = eventually(lambda: (s := runtime.latest_snapshot()) and s.advisor.pending > 0 and s,
                                 timeout=60, message="a call in flight")
            later = eventually(lambda: (s := runtime.latest_snapshot()) and s.time > pending.time + 0.3 and s,
                               timeout=5, message="engine time moving while the call is in flight")
            assert later.events > pending.events
            used = eventually(lambda: (s := runtime.latest_snapshot()) and any(
                r.advisor == "openai" and r.trade_id is not None for r in s.advisor.log) and s,
                timeout=60, message="a trade the model advised")
            record = next(r for r in used.advisor.log if r.advisor == "openai" and r.trade_id is not None)
            assert 550 <= record.latency_ms < 1500
            runtime.submit(Halt("test over"))
        finally:
            runtime.stop(timeout=5)
    assert runtime.failure is None
