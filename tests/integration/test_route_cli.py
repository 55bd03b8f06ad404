"""The router's command line as real subprocesses: a quote with no engine running answered by a warmed-up
temporary copy (the database untouched, or still absent), an order executed by a running headless engine and
followed to its end, its children exported, the pools listed, and bad arguments refused in one line."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from octo_desktop.cli.route import engine_holds
from tests.fakes.headless import ROOT, octo_env
from tests.fakes.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DEFAULT_POOLS = {"meteora_btc_usdc", "meteora_eth_usdc", "meteora_sol_usdc", "raydium_sol_usdc",
                 "raydium_sol_usdc_cpmm", "raydium_sol_usdt_cpmm"}


def octo(*args: str, timeout: float = 170) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "octo_desktop", *args], cwd=ROOT, env=octo_env(),
                          capture_output=True, text=True, timeout=timeout)


def rows(db: Path, sql: str, immutable: bool = False) -> list[dict]:
    """Read ``db``; ``immutable``: a file nobody writes, read without creating a -wal or -shm beside it."""
    uri = f"{db.absolute().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
    with sqlite3.connect(uri, uri=True) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(sql)]


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_quote_with_no_engine_running_comes_from_a_warmed_up_copy_and_leaves_the_database_as_it_was(tmp_path):
    db = tmp_path / "octo.db"
    created = octo("run", "--headless", "--seconds", "2", "--speed", "max", "--db", str(db))
    assert created.returncode == 0, created.stderr
    queued = octo("route", "execute", "--quantity", "5", "--db", str(db), "--wait", "0")
    assert queued.returncode == 3 and "taken when the engine next starts" in queued.stdout  # no engine: queued
    before = files(tmp_path)

    done = octo("route", "quote", "--quantity", "500", "--json", "--db", str(db))
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert (plan["side"], plan["asset"], plan["quantity"]) == ("buy", "SOL", 500.0)
    assert plan["planned"] > 0 and plan["children"]
    assert sum(c["quantity"] for c in plan["children"]) == pytest.approx(plan["planned"], rel=1e-9)
    assert plan["reference_fallback"] is False  # the copy's books were live after its warm-up
    assert {a["source"] for a in plan["alternatives"]} >= {"binance", "meteora_sol_usdc", "otc_swift"}
    # The user's files are byte for byte what they were: the queued order is still waiting there, unhandled.
    assert files(tmp_path) == before
    assert rows(db, "SELECT handled_at FROM control", immutable=True) == [{"handled_at": None}]

    text = octo("route", "quote", "--quantity", "500", "--db", str(db))
    assert text.returncode == 0, text.stderr
    for expected in ("route quote: buy 500 SOL (market)", "reference price", "exp. price", "delay risk",
                     "total paid", "best single source:", "exchanges only", "alternatives (each source alone):"):
        assert expected in text.stdout
    assert files(tmp_path) == before

    absent = tmp_path / "none" / "octo.db"
    fresh = octo("pools", "show", "--json", "--db", str(absent))
    assert fresh.returncode == 0, fresh.stderr
    assert {p["pool"] for p in json.loads(fresh.stdout)["pools"]} == DEFAULT_POOLS
    assert not absent.parent.exists()  # no database, no lock file, no folder


def test_an_order_executed_by_a_running_engine_fills_its_children_are_exported_and_the_pools_listed(tmp_path):
    db = tmp_path / "octo.db"
    log = (tmp_path / "engine.err").open("w")
    engine = subprocess.Popen([sys.executable, "-m", "octo_desktop", "run", "--headless", "--seconds", "100000",
                               "--speed", "1", "--db", str(db)], cwd=ROOT, env=octo_env(),
                              stdout=subprocess.DEVNULL, stderr=log, text=True)
    try:
        def ready():
            if engine.poll() is not None:
                raise AssertionError(f"the engine ended: {(tmp_path / 'engine.err').read_text()[-2000:]}")
            return engine_holds(db) and db.exists() and bool(rows(db, "SELECT name FROM sqlite_master "
                                                                       "WHERE name = 'control'"))

        eventually(ready, timeout=60, message="the engine holds its database")

        done = octo("route", "execute", "--side", "buy", "--asset", "SOL", "--quantity", "500", "--wait", "120",
                    "--db", str(db))
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert lines[0] == "route #1 accepted: buy 500 SOL market"
        assert "route #1 buy 500 SOL market: filled" in lines
        (filled,) = [re.match(r"filled ([0-9.]+) of 500 SOL at an average [0-9,.]+ USDT", line.strip())
                     for line in lines if line.strip().startswith("filled ")]
        assert filled and float(filled.group(1)) == pytest.approx(500.0, abs=1e-6), done.stdout
        (order,) = rows(db, "SELECT * FROM routes")
        assert order["state"] == "filled" and order["filled"] == pytest.approx(500.0, abs=1e-6)
        children = rows(db, "SELECT * FROM route_children")
        assert children and all(c["state"] == "filled" for c in children)
        for child in children:  # every child printed with its source and state
            (line,) = [line for line in lines if line.strip().startswith(child["child_id"] + " ")]
            assert child["source"] in line and "filled" in line

        exported = octo("export", "routes", "--format", "csv", "--db", str(db))
        assert exported.returncode == 0, exported.stderr
        table = list(csv.DictReader(io.StringIO(exported.stdout)))
        assert exported.stdout.splitlines()[0] == ("time,order_id,child_id,side,asset,order_type,source,kind,account,"
                                                   "quantity,filled,average_price,fee,fee_asset,state,parent_state,"
                                                   "saving_vs_best_single")
        assert sorted(r["child_id"] for r in table) == sorted(c["child_id"] for c in children)  # one row each
        by_id = {c["child_id"]: c for c in children}
        for row in table:
            stored = by_id[row["child_id"]]
            assert (row["quantity"], row["filled"], row["fee"]) == (stored["quantity"], stored["filled"],
                                                                    stored["fee"])  # exact, as stored
            assert (row["order_id"], row["asset"], row["order_type"], row["parent_state"]) == \
                ("1", "SOL", "market", "filled")
            assert Decimal(row["average_price"]) > 0
        assert abs(sum(Decimal(r["filled"]) for r in table) - Decimal(repr(order["filled"]))) < Decimal("1e-9")

        status = octo("route", "status", "--json", "--db", str(db))
        assert status.returncode == 0, status.stderr
        listed = json.loads(status.stdout)
        assert listed["counts"] == {"filled": 1} and len(listed["orders"][0]["children"]) == len(children)

        pools = octo("pools", "show", "--json", "--db", str(db))
        assert pools.returncode == 0, pools.stderr
        answer = json.loads(pools.stdout)
        assert {p["pool"] for p in answer["pools"]} == DEFAULT_POOLS
        assert all(p["exchange_mid"] for p in answer["pools"])  # the running engine's books are live
        assert {(o["counterparty"], o["asset"]) for o in answer["otc"]} >= {("otc_swift", "SOL"), ("otc_block", "SOL")}

        shown = octo("pools", "show", "--db", str(db))
        assert shown.returncode == 0, shown.stderr
        assert all(name in shown.stdout for name in DEFAULT_POOLS) and "active bin" in shown.stdout

        cancelled = octo("route", "cancel", "--order", "1", "--db", str(db))
        assert cancelled.returncode == 1 and cancelled.stdout.strip() == "cancel refused: route #1 is already filled"
    finally:
        if engine.poll() is None:
            engine.send_signal(signal.SIGTERM)
            try:
                engine.wait(30)
            except subprocess.TimeoutExpired:
                engine.kill()
                engine.wait(30)
        log.close()


@pytest.mark.parametrize("argv, named", [
    (["route", "quote", "--quantity", "0"], "--quantity"),
    (["route", "execute", "--quantity", "5", "--asset", "DOGE"], "--asset"),
    (["route", "execute", "--quantity", "5", "--type", "sniper", "--when", "liquidity", "--level", "150"],
     "--min-quantity"),
    (["pools", "show", "--warmup", "nan"], "--warmup"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, argv, named):
    db = tmp_path / "octo.db"
    done = octo(*argv, "--db", str(db), timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert named in line and line.startswith("octo_desktop ")
    assert list(tmp_path.iterdir()) == []
