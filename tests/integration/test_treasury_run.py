"""Transfers on the real runtime thread: requested through the database as the command line does, debited
at once, credited after the network's confirmations on the engine clock, and reproduced from the exports."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pytest

from octo_desktop.app import build_runtime
from octo_desktop.config import builtin_config
from octo_desktop.storage import post_control, read_treasury
from tests.fakes.headless import ROOT, octo_env
from tests.fakes.ledger_csv import as_text, initial_balances, reproduce

pytestmark = [pytest.mark.integration, pytest.mark.slow]
START = 1_767_225_600.0
SETTINGS = ["market.seed=7"]


def run(db, seconds, start=START, overrides=()):
    runtime = build_runtime(builtin_config([*SETTINGS, *overrides]), db_path=db, speed=None, start_time=start,
                            run_seconds=seconds)
    runtime.start()
    runtime.wait(timeout=300)
    assert not runtime.is_running and runtime.failure is None
    return runtime.summary


def post_transfer(db, source, destination, asset, amount, network=None):
    return post_control(db, "transfer", json.dumps({"from": source, "to": destination, "asset": asset,
                                                    "amount": amount, "network": network}), 0.0)


def exported(db, what):
    done = subprocess.run([sys.executable, "-m", "octo_desktop", "export", what, "--db", str(db)], cwd=ROOT,
                          env=octo_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def answers(db):
    import sqlite3

    with sqlite3.connect(db) as connection:
        return [row[0] for row in connection.execute("SELECT result FROM control ORDER BY id")]


def test_transfers_move_funds_on_the_engine_clock_and_the_exports_reproduce_every_balance(tmp_path):
    db = tmp_path / "octo.db"
    first = run(db, 5.0)
    assert first["transfers"] == {} and first["wallet"] == {"BTC": "0.1", "USDT": "20000.0"}
    post_transfer(db, "binance", "okx", "USDT", "500")  # cheapest: BEP20, 15 blocks of 3 s after processing
    post_transfer(db, "wallet", "mexc", "BTC", "0.05", "BTC")  # 2 blocks of ~600 s to credit: in flight at the end
    post_transfer(db, "okx", "gate", "ETH", "0.001")  # below every ETH network's minimum: refused
    summary = run(db, 600.0, start=START + 10)
    results = answers(db)
    assert results[0].startswith("transfer #1 accepted: 500 USDT binance -> okx on BEP20, fee 0.80000000 USDT")
    assert results[1].startswith("transfer #2 accepted: 0.05 BTC wallet -> mexc on BTC, fee 0.00020000 BTC")
    assert results[2] == ("transfer refused: no network can carry 0.001 ETH: 0.001 ETH is below okx's ARBITRUM "
                          "minimum of 0.002; 0.001 ETH is below okx's ERC20 minimum of 0.01")
    assert summary["transfers"] == {"unlocked": 1, **({"confirming": 1} if "confirming" in summary["transfers"]
                                                      else {"broadcast": 1})}
    assert summary["in_flight"] == {"wallet": {"BTC": "0.05"}}
    assert Decimal(summary["wallet"]["BTC"]) == Decimal("0.0498")  # 0.1 - 0.05 - 0.0002: the fee is gone, the amount in flight
    # The engine's balances are exactly what the exports reproduce: initial + fills + transfers.
    reproduced = reproduce(initial_balances(db), exported(db, "fills"), exported(db, "transfers"))
    assert as_text(reproduced) == as_text(summary["balances"])
    record = read_treasury(db)
    assert as_text(record.balances) == as_text(summary["balances"])
    first_note = next(t.note for t in record.transfers if t.transfer_id == 1)
    assert first_note.startswith("chose BEP20 fee 0.8") and "(fee: built-in, 2026-12)" in first_note
    lines = exported(db, "transfers").splitlines()
    assert lines[0] == "time,transfer_id,asset,from_venue,to_venue,network,amount,fee,fee_asset,state,credited_at"
    assert lines[1].split(",")[1:10] == ["1", "USDT", "binance", "okx", "BEP20", "500", "0.80000000", "USDT",
                                         "unlocked"]
    assert lines[2].split(",")[-1] == ""  # in flight: not credited yet
    # The next run resumes it from its stored schedule and credits it once.
    # With rebalancing on (the default) it moves funds of its own meanwhile; the identity holds for all.
    later = run(db, 2400.0, start=START + 700)
    stored = read_treasury(db).transfers
    assert [(t.transfer_id, str(t.state)) for t in stored if t.purpose == "manual"] == [(1, "unlocked"),
                                                                                         (2, "unlocked")]
    assert sum(later["transfers"].values()) == len(stored) and later["rebalance"]["made"] == len(stored) - 2
    reproduced = reproduce(initial_balances(db), exported(db, "fills"), exported(db, "transfers"))
    assert as_text(reproduced) == as_text(later["balances"])


REFUSALS = [
    (("binance", "okx", "USDT", "500", "TRC20"), "okx has deposits of USDT on TRC20 disabled"),
    (("binance", "okx", "USDT", "500", "BEP20"), "binance has withdrawals of USDT on BEP20 disabled"),
    (("binance", "okx", "USDT", "4", None), "4 USDT is below binance's SOL minimum of 5;"),
    (("binance", "okx", "USDT", "50000", None), "binance has 10000"),  # then what it needs, fee included
    (("binance", "binance", "USDT", "50", None), "the source and the destination are both binance"),
    (("binance", "nowhere", "USDT", "50", None), "unknown destination 'nowhere'"),
    (("okx", "gate", "DOGE", "50", None), "no network moves 'DOGE'"),
]


def test_a_transfer_is_refused_with_one_clear_reason_and_nothing_moves(tmp_path):
    overrides = ["venues.okx.networks.USDT.TRC20.deposit=false", "venues.binance.networks.USDT.BEP20.withdraw=false"]
    db = tmp_path / "octo.db"
    before = run(db, 2.0, overrides=overrides)
    for request_, _ in REFUSALS:
        post_transfer(db, *request_)
    summary = run(db, 30.0, start=START + 10, overrides=overrides)
    results = answers(db)
    assert len(results) == len(REFUSALS)
    for result, (_, reason) in zip(results, REFUSALS):
        assert result.startswith("transfer refused: ") and reason in result and "\n" not in result, result
    assert summary["transfers"] == {} and summary["in_flight"] == {}
    assert summary["wallet"] == before["wallet"]


KILL_POINTS = ("requested", "withdrawn", "broadcast", "confirming", "credited")


def test_kill_9_at_every_step_of_a_transfer_resumes_it_without_double_credit_or_lost_funds(tmp_path):
    # One transfer per step of a transfer's life; the engine kills itself (kill -9) right after the stream
    # reports that step, before or after the row is on disk; the next start resumes from what the disk has.
    from tests.fakes.headless import OctoProcess, run_octo

    db = tmp_path / "octo.db"
    created = run_octo("run", "--headless", "--seconds", "2", "--speed", "max", "--db", str(db),
                       "--start-time", str(int(START)))
    assert created.returncode == 0, created.stderr
    killed = []
    for number, step in enumerate(KILL_POINTS, start=1):
        queued = run_octo("treasury", "transfer", "--db", str(db), "--from", "wallet", "--to", "okx",
                          "--asset", "USDT", "--amount", str(100 * number), "--network", "TRC20", "--wait", "0")
        assert queued.returncode == 3 and "applies when the engine next starts" in queued.stdout  # none running
        engine = OctoProcess("run", "--headless", "--stream", "--speed", "max", "--seconds", "3000", "--db",
                             str(db), kill_after=f"event=transfer,transfer_id={number},state={step}")
        try:
            code = engine.finish(timeout=180)
        finally:
            if engine.process.poll() is None:  # never left running, whatever failed
                engine.kill()
        assert code == -9, f"the engine was not killed at {step}: exit {code}, {engine.stderr[-1000:]}"
        assert any(e.get("transfer_id") == number and e.get("state") == step for e in engine.events)
        killed.append(step)
    assert killed == list(KILL_POINTS)
    final = OctoProcess("run", "--headless", "--json", "--speed", "max", "--seconds", "600", "--db", str(db))
    try:
        assert final.finish(timeout=300) == 0, final.stderr[-2000:]
    finally:
        if final.process.poll() is None:
            final.kill()
    summary = final.summary
    assert summary["transfers"] == {"unlocked": len(KILL_POINTS)} and summary["in_flight"] == {}
    # What the engine holds in memory is what the rows say: no step was applied twice or lost.
    reproduced = reproduce(initial_balances(db), exported(db, "fills"), exported(db, "transfers"))
    assert as_text(reproduced) == as_text(summary["balances"])
    rows = [line.split(",") for line in exported(db, "transfers").splitlines()[1:]]
    assert [(r[1], r[6], r[7], r[9]) for r in rows] == [
        (str(n), str(100 * n), "1.00000000", "unlocked") for n in range(1, len(KILL_POINTS) + 1)]
    assert all(r[10] for r in rows)  # every one credited
    # Only the fees left the account: the wallet paid amount + 1 (the lowest TRC20 fee: it pays the chain, not
    # a venue), okx received the amount, exactly once each.
    moved = sum(Decimal(100 * n) for n in range(1, len(KILL_POINTS) + 1))
    fills_only = reproduce(initial_balances(db), exported(db, "fills"), "time,transfer_id,asset,from_venue,"
                           "to_venue,network,amount,fee,fee_asset,state,credited_at\n")
    assert Decimal(summary["balances"]["okx"]["USDT"]) - fills_only["okx"]["USDT"] == moved
    assert fills_only["wallet"]["USDT"] - Decimal(summary["balances"]["wallet"]["USDT"]) == \
        moved + Decimal("1") * len(KILL_POINTS)


def test_every_opportunity_carries_its_transfer_cost_and_the_option_acts_on_it(tmp_path):
    import sqlite3

    shown = run(tmp_path / "shown.db", 300)
    acted = run(tmp_path / "acted.db", 300, overrides=["strategy.transfer_cost_in_decision=true"])
    costs = shown["transfer_cost_bps"]
    assert set(costs["symbols"]) == {"BTC/USDT", "ETH/USDT", "SOL/USDT"} and "one-way" in costs["basis"]
    # BTC's on-chain fee over a rebalancing batch dwarfs TRC20 USDT's: its pairs carry the most.
    assert costs["symbols"]["BTC/USDT"]["median"] > costs["symbols"]["ETH/USDT"]["median"] > 0
    with sqlite3.connect(tmp_path / "shown.db") as connection:
        priced = connection.execute("SELECT COUNT(*), MIN(transfer_bps) FROM opportunities "
                                    "WHERE transfer_bps IS NOT NULL").fetchone()
        refused = connection.execute("SELECT COUNT(*) FROM opportunities WHERE reason = 'transfer_cost'").fetchone()
    assert priced[0] > 0 and priced[1] > 0 and refused[0] == 0  # shown, not acted on
    with sqlite3.connect(tmp_path / "acted.db") as connection:
        rows = connection.execute("SELECT net_bps, transfer_bps, detail FROM opportunities "
                                  "WHERE reason = 'transfer_cost'").fetchall()
        taken = connection.execute("SELECT net_bps - transfer_bps FROM opportunities WHERE accepted = 1 "
                                   "AND transfer_bps IS NOT NULL").fetchall()
    assert rows and "bps of transfer cost is under the" in rows[0][2]
    # Once priced, nothing was taken whose net after the transfer term is under the base threshold.
    assert taken and all(edge >= 5.0 for (edge,) in taken)
    assert acted["trades"] < shown["trades"]
