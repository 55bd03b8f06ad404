"""The router desk on the real runtime thread, on the simulated market: parent orders posted through the
database as the command line does, split over the books, the Solana pools and the OTC pools, executed after
each source's latency, booked in the ledger, and reproduced exactly from the exports."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from decimal import Decimal

import pytest

from octo_desktop.app import build_runtime
from octo_desktop.config import builtin_config
from octo_desktop.storage import post_control
from tests.fakes.headless import ROOT, octo_env
from tests.fakes.ledger_csv import as_text, initial_balances, reproduce

pytestmark = [pytest.mark.integration, pytest.mark.slow]
START = 1_767_225_600.0


def run(db, seconds, start=START, overrides=()):
    runtime = build_runtime(builtin_config(["market.seed=7", *overrides]), db_path=db, speed=None, start_time=start,
                            run_seconds=seconds)
    runtime.start()
    runtime.wait(timeout=300)
    assert not runtime.is_running and runtime.failure is None
    return runtime.summary


def post(db, kind, **payload):
    return post_control(db, kind, json.dumps(payload), 0.0)


def rows(db, sql):
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(sql)]


def exported(db, what):
    done = subprocess.run([sys.executable, "-m", "octo_desktop", "export", what, "--db", str(db)], cwd=ROOT,
                          env=octo_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_500_sol_market_buy_is_split_over_books_and_pools_filled_and_reproduced_from_the_exports(tmp_path):
    db = tmp_path / "octo.db"
    run(db, 2.0)
    post(db, "route", side="buy", asset="SOL", quantity=500)
    summary = run(db, 60.0, start=START + 5)
    (answer,) = [r["result"] for r in rows(db, "SELECT result FROM control")]
    assert answer == "route #1 accepted: buy 500 SOL market"
    (order,) = rows(db, "SELECT * FROM routes")
    assert order["state"] == "filled" and order["filled"] == pytest.approx(500.0, abs=1e-6)
    plan = json.loads(order["plan"])
    kinds = {child["kind"] for child in plan["children"]}
    assert "book" in kinds and kinds - {"book"}  # the books and a pool or an OTC desk on one ladder
    assert sum(c["quantity"] for c in plan["children"]) == pytest.approx(plan["planned"], rel=1e-9)
    assert plan["exchanges_only_total"] is None or plan["total"] <= plan["exchanges_only_total"] + 1e-6
    assert {a["source"] for a in plan["alternatives"]} >= {"binance", "okx", "raydium_sol_usdc", "meteora_sol_usdc"}
    children = rows(db, "SELECT * FROM route_children ORDER BY child_id")
    assert children and all(c["state"] == "filled" for c in children)
    assert sum(Decimal(c["filled"]) for c in children) == Decimal(str(order["filled"])).quantize(Decimal("1e-9")) \
        or abs(float(sum(Decimal(c["filled"]) for c in children)) - order["filled"]) < 1e-9
    fills = rows(db, "SELECT * FROM fills WHERE purpose = 'route'")
    assert {f["order_id"] for f in fills} == {c["child_id"] for c in children}  # every child booked, once
    off_exchange = [f for f in fills if f["venue"] in ("solana", "wallet")]
    assert off_exchange  # a pool swap from the Solana wallet, or an OTC block settled with the central wallet
    assert all(f["fee_asset"] == "SOL" for f in off_exchange if f["venue"] == "solana")  # the network fee, in SOL
    # The ledger identity: initial + every fill (the router's included) = the engine's balances, exactly.
    reproduced = reproduce(initial_balances(db), exported(db, "fills"), exported(db, "transfers"))
    for venue, assets in as_text(summary["balances"]).items():
        for asset, amount in assets.items():
            assert abs(Decimal(as_text(reproduced)[venue].get(asset, 0)) - amount) <= Decimal("1e-18"), (venue, asset)
    # A chosen position, not arbitrage residue: the exposure limit does not put trading into REDUCING.
    assert summary["risk"]["state"] == "ACTIVE", summary["risk"]
    assert summary["router"]["orders"] == {"filled": 1}
    assert summary["router"]["net_filled"]["SOL"] == pytest.approx(500.0, abs=1e-6)


def test_limit_sniper_expiry_cancel_and_the_kill_switch(tmp_path):
    db = tmp_path / "octo.db"
    run(db, 2.0)
    post(db, "route", side="buy", asset="SOL", quantity=20, order_type="limit", limit_price=100.0,
         expires_in_s=30)  # far below the market: waits, then expires
    post(db, "route", side="buy", asset="SOL", quantity=20, order_type="limit", limit_price=1000.0)  # routes at once
    post(db, "route", side="sell", asset="SOL", quantity=10, order_type="sniper", condition="price_above",
         level=1.0)  # holds at once
    post(db, "route", side="buy", asset="SOL", quantity=10, order_type="sniper", condition="price_above",
         level=10_000.0)  # never holds: open until the kill switch
    post(db, "route", side="buy", asset="DOGE", quantity=10)
    run(db, 60.0, start=START + 5)
    orders = {o["order_id"]: o for o in rows(db, "SELECT * FROM routes")}
    answers = [r["result"] for r in rows(db, "SELECT result FROM control ORDER BY id")]
    assert answers[4].startswith("route refused: the router does not trade 'DOGE'")
    assert orders[1]["state"] == "expired" and orders[1]["filled"] == 0
    assert "waiting for an ask at or better than 100" in orders[1]["reason"] or "expired" in orders[1]["reason"]
    assert orders[2]["state"] == "filled"
    assert json.loads(orders[2]["plan"])["average_price"] <= 1000.0
    assert orders[3]["state"] == "filled" and orders[3]["triggered_at"] is not None
    assert orders[4]["state"] == "pending" and "waiting for price at or above 10000" in orders[4]["reason"]
    post_control(db, "halt", "test", 0.0)
    run(db, 5.0, start=START + 70)
    (fourth,) = rows(db, "SELECT * FROM routes WHERE order_id = 4")
    assert fourth["state"] == "cancelled" and "the kill switch" in fourth["reason"]
    post(db, "route", side="buy", asset="SOL", quantity=1)
    run(db, 5.0, start=START + 80)
    last = rows(db, "SELECT result FROM control ORDER BY id DESC LIMIT 1")[0]["result"]
    assert last.startswith("route refused: trading is halted")


def test_a_pool_child_outside_its_tolerance_fails_and_the_parent_is_routed_again(tmp_path):
    # No tolerance and a slow chain: the pools move (other traders, arbitrageurs) before a swap lands. 700 SOL
    # is more than the exchange accounts can pay for, so the pools get a share.
    db = tmp_path / "octo.db"
    overrides = ["router.slippage_bps=0", "router.dex_latency_ms=4000", "router.delay_risk_aversion=0"]
    run(db, 2.0, overrides=overrides)
    post(db, "route", side="buy", asset="SOL", quantity=700)
    run(db, 90.0, start=START + 5, overrides=overrides)
    (order,) = rows(db, "SELECT * FROM routes")
    children = rows(db, "SELECT * FROM route_children ORDER BY sent_at, child_id")
    failed = [c for c in children if c["state"] == "failed"]
    pool_failures = [c for c in failed if c["kind"] in ("amm", "dlmm")]
    assert pool_failures and all("slippage: the pool's price at arrival was" in c["note"] for c in pool_failures)
    assert order["state"] == "filled"
    assert max(c["round"] for c in children) >= 2  # the part that failed was routed again
    assert order["rounds"] >= 2
    filled = sum(float(c["filled"]) for c in children)
    assert filled == pytest.approx(order["filled"], rel=1e-9)  # failures booked nothing
    fills = rows(db, "SELECT order_id FROM fills WHERE purpose = 'route'")
    assert not {f["order_id"] for f in fills} & {c["child_id"] for c in failed}


def test_kill_9_mid_route_loses_and_duplicates_nothing(tmp_path):
    from tests.fakes.headless import OctoProcess
    from tests.fakes.waiting import eventually

    db = tmp_path / "octo.db"
    # A slow chain (30 engine seconds per swap, 3 s at speed 10) so the kill lands while pool children are out.
    settings = ("market.seed=7", "router.dex_latency_ms=30000", "router.delay_risk_aversion=0")
    engine = OctoProcess("run", "--headless", "--speed", "10", "--seconds", "100000", "--db", str(db),
                         settings=settings)
    try:
        def started():
            try:
                return db.exists() and rows(db, "SELECT count(*) AS n FROM initial_balances")[0]["n"] > 0
            except sqlite3.OperationalError:  # the tables are being created
                return False

        eventually(started, timeout=120, message="the engine starts")
        post(db, "route", side="buy", asset="SOL", quantity=700)

        def pool_child_out():
            try:
                return [c for c in rows(db, "SELECT * FROM route_children")
                        if c["kind"] in ("amm", "dlmm") and c["state"] == "sent"]
            except sqlite3.OperationalError:  # the table appears with the engine's first write
                return []

        out = eventually(pool_child_out, timeout=120, message="a pool child goes out")
    finally:
        engine.kill()
    lost_ids = {c["child_id"] for c in out}
    before = rows(db, "SELECT order_id, fill_seq FROM fills WHERE purpose = 'route'")
    # Restart: the children without a result are resolved as not executed, the parent routes the rest.
    done = subprocess.run([sys.executable, "-m", "octo_desktop", "run", "--headless", "--seconds", "120", "--speed",
                           "max", "--json", "--db", str(db), *[a for s in settings for a in ("--set", s)]],
                          cwd=ROOT, env=octo_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    children = {c["child_id"]: c for c in rows(db, "SELECT * FROM route_children")}
    for child_id in lost_ids:
        assert children[child_id]["state"] == "lost"
        assert "sent before a restart with no recorded result" in children[child_id]["note"]
    (order,) = rows(db, "SELECT * FROM routes")
    assert order["state"] == "filled" and order["rounds"] >= 2, order
    fills = rows(db, "SELECT order_id, fill_seq FROM fills WHERE purpose = 'route'")
    keys = [(f["order_id"], f["fill_seq"]) for f in fills]
    assert len(keys) == len(set(keys))  # nothing booked twice
    assert {(f["order_id"], f["fill_seq"]) for f in before} <= set(keys)  # nothing committed was lost
    assert not {f["order_id"] for f in fills} & lost_ids  # a lost child booked nothing
    filled = sum(Decimal(c["filled"]) for c in children.values())
    assert abs(float(filled) - order["filled"]) < 1e-9
    reproduced = as_text(reproduce(initial_balances(db), exported(db, "fills"), exported(db, "transfers")))
    for venue, assets in as_text(summary["balances"]).items():
        for asset, amount in assets.items():
            assert abs(Decimal(reproduced[venue].get(asset, 0)) - amount) <= Decimal("1e-18"), (venue, asset)
