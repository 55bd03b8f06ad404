"""The router's command line without an engine: argument checks (one line, exit 2, nothing created or posted),
the payloads it posts, how it tells whether an engine holds a database, and how it prints plans, pools and orders."""

from __future__ import annotations

import argparse
import json
from decimal import Decimal

import pytest

from octo_desktop.cli.main import main
from octo_desktop.cli.route import (
    BadArgument, bins_summary, engine_holds, format_order, format_plan, format_pools, order_json, order_payload,
    router_assets,
)
from octo_desktop.config import builtin_config
from octo_desktop.storage.lock import DatabaseLock, lock_path


def run_main(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


BAD = [
    (["route", "quote", "--quantity", "0"], "--quantity"),
    (["route", "quote", "--quantity", "-5"], "--quantity"),
    (["route", "quote", "--quantity", "nan"], "--quantity"),
    (["route", "quote", "--quantity", "inf"], "--quantity"),
    (["route", "quote", "--quantity", "lots"], "--quantity"),
    (["route", "quote"], "--quantity"),
    (["route", "quote", "--quantity", "5", "--side", "hold"], "--side"),
    (["route", "quote", "--quantity", "5", "--asset", "DOGE"], "--asset"),
    (["route", "quote", "--quantity", "5", "--type", "limit"], "--limit"),
    (["route", "quote", "--quantity", "5", "--limit", "0"], "--limit"),
    (["route", "quote", "--quantity", "5", "--type", "twap"], "--type"),
    (["route", "quote", "--quantity", "5", "--warmup", "0"], "--warmup"),
    (["route", "quote", "--quantity", "5", "--wait", "-1"], "--wait"),
    (["route", "execute", "--quantity", "5", "--type", "limit"], "--limit"),
    (["route", "execute", "--quantity", "5", "--type", "sniper"], "--when"),
    (["route", "execute", "--quantity", "5", "--type", "sniper", "--when", "spread"], "--level"),
    (["route", "execute", "--quantity", "5", "--type", "sniper", "--when", "price_above", "--level", "-1"],
     "--level"),
    (["route", "execute", "--quantity", "5", "--type", "sniper", "--when", "liquidity", "--level", "150"],
     "--min-quantity"),
    (["route", "execute", "--quantity", "5", "--type", "sniper", "--when", "spread", "--level", "5",
      "--min-quantity", "3"], "--min-quantity"),
    (["route", "execute", "--quantity", "5", "--when", "spread", "--level", "5"], "--when"),
    (["route", "execute", "--quantity", "5", "--level", "150"], "--level"),
    (["route", "execute", "--quantity", "5", "--type", "sniper", "--when", "soon", "--level", "1"], "--when"),
    (["route", "execute", "--quantity", "5", "--level", "nan"], "--level"),
    (["route", "execute", "--quantity", "5", "--expires", "0"], "--expires"),
    (["route", "execute", "--quantity", "5", "--rest", "later"], "--rest"),
    (["route", "cancel"], "--order"),
    (["route", "cancel", "--order", "0"], "--order"),
    (["route", "cancel", "--order", "x"], "--order"),
    (["route", "status", "--limit", "-1"], "--limit"),
    (["route"], "ACTION"),
    (["pools"], "ACTION"),
    (["pools", "show", "--warmup", "-3"], "--warmup"),
]


@pytest.mark.parametrize("argv, named", BAD)
def test_a_bad_argument_is_one_line_exit_2_and_touches_no_database(tmp_path, capsys, argv, named):
    db = tmp_path / "new" / "octo.db"
    code, out, err = run_main([*argv, "--db", str(db)], capsys)
    assert code == 2
    assert out == ""
    (line,) = err.strip().splitlines()
    assert named in line and "Traceback" not in err and line.startswith("octo_desktop ")
    assert not db.parent.exists()  # nothing created, nothing posted, no engine started


def test_a_bad_argument_on_an_existing_database_posts_nothing(tmp_path, capsys):
    db = tmp_path / "octo.db"
    db.write_bytes(b"not touched")
    code, _, err = run_main(["route", "execute", "--quantity", "5", "--type", "limit", "--db", str(db)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert db.read_bytes() == b"not touched" and sorted(p.name for p in tmp_path.iterdir()) == ["octo.db"]


def test_the_router_trades_the_bases_of_the_symbols_and_the_pools():
    assert router_assets(builtin_config()) == ("BTC", "ETH", "SOL")


def order_args(**given):
    values = dict(side="buy", asset="SOL", quantity=500.0, order_type="market", limit_price=None, rest="wait",
                  when=None, level=None, min_quantity=None, expires=None)
    values.update(given)
    return argparse.Namespace(**values)


def test_the_payloads_carry_what_the_engine_reads():
    config = builtin_config()
    assert order_payload(order_args(), config, execute=False) == {"side": "buy", "asset": "SOL", "quantity": 500.0,
                                                                  "limit_price": None}
    market = order_payload(order_args(), config, execute=True)
    assert market == {"side": "buy", "asset": "SOL", "quantity": 500.0, "limit_price": None, "order_type": "market",
                      "rest": "wait", "condition": "", "level": None, "condition_quantity": 0.0,
                      "expires_in_s": None}
    limit = order_payload(order_args(side="sell", order_type="limit", limit_price=151.5, rest="cancel",
                                     expires=30.0), config, execute=True)
    assert (limit["side"], limit["order_type"], limit["limit_price"], limit["rest"], limit["expires_in_s"]) == \
        ("sell", "limit", 151.5, "cancel", 30.0)
    sniper = order_payload(order_args(order_type="sniper", when="liquidity", level=150.2, min_quantity=200.0),
                           config, execute=True)
    assert (sniper["condition"], sniper["level"], sniper["condition_quantity"]) == ("liquidity", 150.2, 200.0)
    spread = order_payload(order_args(order_type="sniper", when="spread", level=-2.0), config, execute=True)
    assert spread["level"] == -2.0  # a spread level is bps and may be anything finite
    # The engine turns it into its command (the same parser the control watcher uses).
    from octo_desktop.engine.runtime import _route_command

    command = _route_command("route", json.dumps(sniper), 1)
    assert (command.order_type, command.condition, command.level, command.condition_quantity) == \
        ("sniper", "liquidity", 150.2, 200.0)


@pytest.mark.parametrize("given, message", [
    (dict(asset="DOGE"), "BTC, ETH, SOL"),
    (dict(order_type="limit"), "--limit"),
    (dict(order_type="sniper"), "--when"),
    (dict(order_type="sniper", when="price_below"), "--level"),
    (dict(order_type="sniper", when="liquidity", level=150.0), "--min-quantity"),
    (dict(order_type="sniper", when="price_above", level=0.0), "positive price"),
    (dict(min_quantity=3.0), "--type sniper"),
])
def test_an_order_the_router_would_refuse_is_refused_before_it_is_posted(given, message):
    with pytest.raises(BadArgument, match=message.replace("-", r"\-")):
        order_payload(order_args(**given), builtin_config(), execute=True)


def test_engine_holds_is_true_only_while_an_engine_holds_the_lock_and_creates_nothing(tmp_path):
    db = tmp_path / "octo.db"
    assert not engine_holds(db)
    assert list(tmp_path.iterdir()) == []  # no lock file made by asking
    lock = DatabaseLock.acquire(db)
    try:
        assert engine_holds(db)
    finally:
        lock.release()
    assert lock_path(db).exists() and not engine_holds(db)


PLAN = {
    "side": "buy", "asset": "SOL", "quantity": 500.0, "planned": 500.0, "reference_price": 150.0,
    "reference_source": "books (8 of 8)", "reference_fallback": False, "chosen": "split", "reason": "",
    "total": 75085.324032, "average_price": 150.170648,
    "parts": {"impact": 9.2, "fees": 70.03, "network": 0.00375, "delay_risk": 6.08, "transfer": 0.0, "total": 85.3},
    "children": [
        {"source": "binance", "kind": "book", "quantity": 338.594, "expected_price": 150.17002, "total": 50845.25,
         "delay_s": 0.06, "parts": {"impact": 1.2, "fees": 9.0012, "network": 0.0, "delay_risk": 0.3337,
                                    "transfer": 0.0, "total": 10.53}},
        {"source": "meteora_sol_usdc", "kind": "dlmm", "quantity": 161.406, "expected_price": 150.160414,
         "total": 24240.07, "delay_s": 0.8, "parts": {"impact": 1.65, "fees": 24.24, "network": 0.00375,
                                                       "delay_risk": 3.28, "transfer": 0.0, "total": 29.17}}],
    "best_single": "meteora_sol_usdc", "best_single_total": 75120.0, "saving_vs_best_single": 34.675968,
    "exchanges_only_total": 75092.670679, "saving_vs_exchanges": 7.346647,
    "alternatives": [
        {"source": "binance", "kind": "book", "capacity": 66.59, "touch": 150.17002, "alone_total": None,
         "note": "funds: 10,000.00 USDT on binance"},
        {"source": "meteora_sol_usdc", "kind": "dlmm", "capacity": 900.0, "touch": 150.16, "alone_total": 75120.0,
         "note": ""}],
    "pools": [{"pool": "meteora_sol_usdc", "kind": "dlmm", "pair": "SOL/USDC", "mid": 150.01, "active_bin": -1898,
               "bin_step": 10, "bins": 81, "base": 13066.22, "quote": 1999999.99, "volatility_accumulator": 0,
               "fee_bps": 10.01}],
    "compute_ms": 11.8,
}


def test_a_plan_prints_every_child_part_alternative_pool_and_the_reference():
    lines = format_plan(PLAN)
    text = "\n".join(lines)
    assert lines[0] == "route quote: buy 500 SOL (market), 2 children"
    assert "reference price 150.000000 USDT from books (8 of 8)" in text and "FALLBACK" not in text
    header = next(line for line in lines if "exp. price" in line)
    for title in ("impact", "fees", "network", "delay risk", "transfer", "total USDT"):
        assert title in header
    binance = next(line for line in lines if line.strip().startswith("binance") and "book" in line
                   and "capacity" not in line)
    assert "338.594" in binance and "150.170020" in binance and "9.0012" in binance and "50,845.25" in binance
    assert "total paid 75,085.324032 USDT for 500 SOL, average price 150.170648" in text
    assert "best single source: meteora_sol_usdc at 75,120.000000 USDT; the split saves 34.675968 USDT" in text
    assert "exchanges only: 75,092.670679 USDT; the split saves 7.346647 USDT" in text
    assert "cannot do it all alone; funds: 10,000.00 USDT on binance" in text
    assert "alone 75,120.00 USDT" in text
    pool = lines[lines.index("pools used:") + 1]
    assert "meteora_sol_usdc" in pool and "fee 10.01 bps" in pool and "13,066.2200 SOL" in pool
    assert "active bin -1898" in pool


def test_a_fallback_reference_a_short_plan_and_no_single_source_are_said():
    plan = dict(PLAN, reference_fallback=True, reference_source="last known (the account's mark)", planned=320.0,
                reason="no source can take any more at or better than 150.2", best_single=None,
                best_single_total=None, saving_vs_best_single=0.0, exchanges_only_total=None, pools=[])
    text = "\n".join(format_plan(plan, "limit"))
    assert "FALLBACK" in text and "last known (the account's mark)" in text
    assert "only 320 of 500 SOL can be done now: no source can take any more" in text
    assert "none can do 320 SOL alone" in text
    assert "exchanges only: the exchange books alone cannot do it" in text
    assert "(limit)" in text and "pools used" not in text


POOLS = {"time": 1796525446.19, "pools": [
    {"pool": "meteora_sol_usdc", "kind": "dlmm", "pair": "SOL/USDC", "mid": 150.5, "exchange_mid": 150.0,
     "gap_bps": 33.3, "fee_bps": 10.01, "reserve_base": 13066.22, "reserve_quote": 1999999.99, "active_bin": -1898,
     "bin_step": 10, "bins": [{"price": 149.0, "liquidity_quote": 50000.0},
                              {"price": 150.4, "liquidity_quote": 20000.0},
                              {"price": 150.6, "liquidity_quote": 30000.0}]},
    {"pool": "raydium_sol_usdc", "kind": "amm_v4", "pair": "SOL/USDC", "mid": 150.0, "exchange_mid": None,
     "gap_bps": None, "fee_bps": 25.06, "reserve_base": 40000.0, "reserve_quote": 6000000.0}],
    "otc": [{"counterparty": "otc_swift", "asset": "SOL", "available": 33333.3, "min": 166.7, "max": 13333.3,
             "spread_bps_min_block": 9.12, "delay_s": 3.0}]}


def test_pools_print_the_gap_to_the_exchanges_the_reserves_the_bins_and_the_otc_terms():
    lines = format_pools(POOLS)
    text = "\n".join(lines)
    assert lines[0] == "pools at 2026-12-06 02:50:46 UTC (engine time)"
    assert "meteora_sol_usdc" in text and "exchanges 150.000000, gap +33.3 bps" in text and "fee 10.01 bps" in text
    assert "raydium_sol_usdc" in text and "no exchange mid" in text
    assert "reserves 40,000.0000 SOL + 6,000,000.00 USDC" in text
    assert "otc_swift" in text and "spread 9.12 bps" in text and "settles after 3 s" in text
    summary = bins_summary(POOLS["pools"][0], "USDC")
    assert summary == ("active bin -1898, step 10 bps; 3 bins from 149.000000 to 150.600000 holding 100k USDC of "
                       "value: 70k below the mid, 30k at or above")


ORDER = {"order_id": 7, "created_at": 1796525700.0, "side": "buy", "asset": "SOL", "quantity": 500.0,
         "order_type": "market", "limit_price": None, "condition": "", "expires_at": None, "rest": "wait",
         "state": "filled", "filled": 500.0, "cost": 75055.63, "triggered_at": None, "closed_at": 1796525701.0,
         "reason": "filled", "rounds": 1, "best_single": "okx", "best_single_total": 75100.0, "saving": 44.37,
         "exchanges_only_total": 75064.34, "plan": "{\"planned\": 500.0}",
         "children": [
             {"child_id": "r7-1", "order_id": 7, "round": 1, "source": "binance", "kind": "book", "account": "binance",
              "symbol": "SOL/USDT", "side": "buy", "quantity": Decimal("441.41"), "expected_price": 150.14,
              "worst_price": 150.77, "parts": "", "state": "filled", "sent_at": 1796525700.0,
              "done_at": 1796525700.1, "filled": Decimal("441.41"), "cost": Decimal("66208.51"),
              "fee": Decimal("0.44141"), "fee_asset": "SOL", "note": "market order"},
             {"child_id": "r7-2", "order_id": 7, "round": 1, "source": "meteora_sol_usdc", "kind": "dlmm",
              "account": "solana", "symbol": "SOL/USDC", "side": "buy", "quantity": Decimal("58.590000000"),
              "expected_price": 150.16, "worst_price": 150.91, "parts": "", "state": "failed",
              "sent_at": 1796525700.0, "done_at": 1796525700.8, "filled": Decimal("0"), "cost": Decimal("0"),
              "fee": Decimal("0"), "fee_asset": "", "note": "slippage"}]}


def test_an_order_prints_its_fill_saving_and_every_child():
    lines = format_order(ORDER)
    text = "\n".join(lines)
    assert lines[0] == "route #7 buy 500 SOL market: filled"
    assert "filled 500 of 500 SOL at an average 150.111260 USDT (everything included), paid 75,055.63 USDT" in text
    assert "saving against the best single source (okx, 75,100.00 USDT): 44.37 USDT" in text
    assert "the exchanges alone would have cost 75,064.34 USDT" in text
    first = next(line for line in lines if line.strip().startswith("r7-1"))
    assert "binance" in first and "441.41" in first and "149.993226" in first and "0.44141 SOL" in first
    second = next(line for line in lines if line.strip().startswith("r7-2"))
    assert "failed" in second and "slippage" in second


def test_an_order_as_json_keeps_decimals_exact_and_unknowns_null():
    data = order_json(ORDER, with_plan=True)
    json.dumps(data)  # serializable as is
    assert data["average_price"] == pytest.approx(150.11126)
    assert data["limit_price"] is None and data["expires_at"] is None and data["plan"] == {"planned": 500.0}
    assert [c["quantity"] for c in data["children"]] == ["441.41", "58.590000000"]
    assert data["children"][0]["average_price"] == "149.993226252237"  # 66208.51 / 441.41, to 12 decimals
    assert data["children"][1]["average_price"] is None and data["children"][1]["fee_asset"] is None
