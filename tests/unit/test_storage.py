"""Store round trips, load(), exports and refusal of foreign or damaged files (real SQLite in tmp_path)."""

from __future__ import annotations

import io
import math
import sqlite3
from contextlib import closing
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from octo_desktop.domain.model import BUY, SELL, Decision, Fill, Route, Trade, TradeState
from octo_desktop.storage import (
    SCHEMA_VERSION,
    StorageError,
    open_store,
    write_fills_csv,
    write_trades_csv,
)

pytestmark = pytest.mark.timeout(30)

T0 = 1_700_000_000.25


def make_fill(trade_id: int = 1, side: str = BUY, price: str = "60123.45", quantity: str = "0.00000001",
              fee: str = "0.00000001", fee_asset: str = "BTC", time: float = T0, purpose: str = "entry",
              venue: str = "binance") -> Fill:
    return Fill(trade_id=trade_id, venue=venue, symbol="BTC/USDT", side=side, price=Decimal(price),
                quantity=Decimal(quantity), fee=Decimal(fee), fee_asset=fee_asset, liquidity="taker",
                order_type="ioc_limit", time=time, purpose=purpose)


def make_trade(trade_id: int = 1, fills: tuple[Fill, ...] = (), state: TradeState = TradeState.OPEN,
               closed_at: float | None = None, note: str = "") -> Trade:
    return Trade(trade_id=trade_id, opportunity_id=100 + trade_id, symbol="BTC/USDT", buy_venue="binance",
                 sell_venue="okx", planned_quantity=Decimal("0.01000000"), opened_at=T0, expected_bps=7.25,
                 state=state, closed_at=closed_at, fills=fills, note=note)


def make_decision(opportunity_id: int, accepted: bool = False, reason: str = "score") -> Decision:
    return Decision(opportunity_id=opportunity_id, time=T0 + opportunity_id, route=Route("ETH/USDT", "okx", "htx"),
                    net_bps=6.5, quantity=0.75, buy_vwap=3000.1,
                    sell_vwap=3002.05, score=0.61,
                    parts=(("spread", 0.8), ("liquidity", 0.4), ("order_flow", -0.1)),
                    accepted=accepted, reason="" if accepted else reason,
                    detail="taken" if accepted else f"rejected: {reason}")


def two_leg_fills(trade_id: int) -> tuple[Fill, Fill]:
    buy = make_fill(trade_id, BUY, price="60123.45", quantity="0.00500000", fee="0.00000500",
                    fee_asset="BTC", venue="binance")
    sell = make_fill(trade_id, SELL, price="60190.10", quantity="0.00499500", fee="0.30064955",
                     fee_asset="USDT", venue="okx", time=T0 + 0.02)
    return buy, sell


@pytest.fixture
def store(tmp_path: Path):
    store = open_store(tmp_path / "octo.db")
    yield store
    store.close()


def committed(store):
    assert store.flush(10), store.last_error
    return store.load()


# ---------------------------------------------------------------------------------------------------
# Round trips through load().
# ---------------------------------------------------------------------------------------------------
def test_new_database_loads_as_new_and_empty(store):
    state = store.load()

    assert state.is_new and state.initial_balances is None
    assert state.fills == () and state.open_trades == () and state.recent_trades == ()
    assert (state.next_trade_id, state.next_opportunity_id) == (1, 1)
    assert (state.trade_count, state.opportunity_count) == (0, 0)
    assert state.rejections == {} and state.settings == {}
    assert state.realized_pnl == 0 and state.fees_in_quote == 0
    assert state.last_time is None and state.equity_history == () and state.recent_decisions == ()


def test_initial_balances_round_trip_exactly(store):
    balances = {"binance": {"USDT": Decimal("10000.00"), "BTC": Decimal("0.16666000")},
                "okx": {"USDT": Decimal("10000"), "BTC": Decimal("0.00000001")}}

    store.initialize(balances, T0)
    state = committed(store)

    assert not state.is_new
    assert state.initial_balances == balances
    assert str(state.initial_balances["binance"]["BTC"]) == "0.16666000"


def test_initialize_twice_raises(store):
    store.initialize({"binance": {"USDT": Decimal(1)}}, T0)

    with pytest.raises(StorageError, match="already has initial balances"):
        store.initialize({"binance": {"USDT": Decimal(2)}}, T0)


def test_initialize_twice_raises_after_reopen(tmp_path):
    with open_store(tmp_path / "octo.db") as first:
        first.initialize({"binance": {"USDT": Decimal(1)}}, T0)

    with open_store(tmp_path / "octo.db") as second, pytest.raises(StorageError):
        second.initialize({"binance": {"USDT": Decimal(2)}}, T0)


def test_fills_round_trip_exactly_in_insertion_order(store):
    fills = [
        make_fill(1, BUY, price="60123.45", quantity="0.00000001", fee="0.00000001"),
        make_fill(1, SELL, price="60123.4500", quantity="123456789.123456789", fee="0", fee_asset="USDT"),
        make_fill(2, SELL, price="0.000000000001", quantity="1E+3", time=T0 + 1.5, purpose="unwind"),
    ]

    store.record_fills(fills[:2])
    store.record_fills(fills[2:])
    state = committed(store)

    assert state.fills == tuple(fills)
    assert [str(f.price) for f in state.fills[:2]] == ["60123.45", "60123.4500"]
    assert state.fills[0].quantity.as_tuple() == Decimal("0.00000001").as_tuple()
    assert state.fills[2].purpose == "unwind" and state.fills[2].time == T0 + 1.5


def test_trade_update_keeps_latest_state_and_exact_money(store):
    fills = two_leg_fills(1)
    opened = make_trade(1)
    closed = opened.with_fills(fills).closed(TradeState.COMPLETE, T0 + 1.0, "both legs filled")

    store.record_trade(opened)
    store.record_fills(fills)
    store.record_trade(closed)
    state = committed(store)

    assert state.trade_count == 1
    (loaded,) = state.recent_trades
    assert loaded == closed
    # Bought 0.005 BTC (0.000005 of it taken as the fee) and sold the 0.004995 received: flat. Cash
    # 300.6495495 - 300.61725 = 0.0322995, less the 0.30064955 USDT fee; the base fee is the
    # 0.000005 BTC not sold, so it is not charged a second time.
    assert state.realized_pnl == closed.realized_pnl == Decimal("-0.2683500500")
    assert state.fees_in_quote == Decimal("0.6012668000")
    assert state.fees_in_quote == closed.fees_in_quote


def test_open_trades_come_back_with_their_fills(store):
    open_fills = two_leg_fills(2)
    store.record_trade(make_trade(1, two_leg_fills(1), TradeState.FAILED, T0 + 1))
    store.record_trade(make_trade(2, open_fills))
    store.record_fills(two_leg_fills(1) + open_fills)
    store.record_trade(make_trade(3))

    state = committed(store)

    assert [t.trade_id for t in state.open_trades] == [2, 3]
    assert state.open_trades[0].fills == open_fills
    assert state.open_trades[0].state is TradeState.OPEN
    assert state.open_trades[1].fills == ()


def test_an_open_trade_counts_in_no_total_until_it_closes(store):
    closed = make_trade(1, two_leg_fills(1), TradeState.COMPLETE, T0 + 1)
    half_done = make_trade(2, (two_leg_fills(2)[0],))  # one leg filled: a crash left it open
    store.record_fills(two_leg_fills(1) + (two_leg_fills(2)[0],))
    store.record_trade(closed)
    store.record_trade(half_done)

    state = committed(store)

    assert state.realized_pnl == closed.realized_pnl and state.fees_in_quote == closed.fees_in_quote
    assert [t.trade_id for t in state.recent_trades] == [1]  # the open one comes back in open_trades only
    assert [t.trade_id for t in state.open_trades] == [2]
    assert dict(state.trade_states) == {"complete": 1}
    assert state.trade_count == 2


def test_the_latest_stored_time_is_the_latest_of_every_engine_time_column(store):
    store.record_clock(T0 + 10)  # the clock is stored only now and then
    store.record_trade(make_trade(1, two_leg_fills(1), TradeState.COMPLETE, T0 + 12.5))
    store.record_decision(make_decision(11))  # decided at T0 + 11
    assert committed(store).latest_time == T0 + 12.5
    store.commit_journal(T0 + 14.75, 2, "opened", {}, trade=make_trade(2))
    assert committed(store).latest_time == T0 + 14.75


def test_a_new_database_has_no_latest_time(store):
    assert committed(store).latest_time is None


def test_a_second_store_on_one_database_is_refused_until_the_first_closes(tmp_path):
    from octo_desktop.storage import DatabaseInUse

    first = open_store(tmp_path / "octo.db")
    try:
        with pytest.raises(DatabaseInUse, match=r"is in use by another Octo process \(pid \d+"):
            open_store(tmp_path / "octo.db")
    finally:
        first.close()
    open_store(tmp_path / "octo.db").close()


def test_recent_trades_are_the_last_200_newest_first(store):
    for trade_id in range(1, 251):
        store.record_trade(make_trade(trade_id, state=TradeState.FAILED, closed_at=T0 + 1))

    state = committed(store)

    assert [t.trade_id for t in state.recent_trades] == list(range(250, 50, -1))
    assert state.trade_count == 250 and state.next_trade_id == 251


def test_counters_and_rejections_count_every_decision(store):
    store.record_decision(make_decision(1, accepted=True))
    for opportunity_id, reason in [(2, "score"), (3, "risk:max_open_trades"), (4, "score"), (9, "stale")]:
        store.record_decision(make_decision(opportunity_id, reason=reason))

    state = committed(store)

    assert state.opportunity_count == 5
    assert state.next_opportunity_id == 10
    assert state.rejections == {"score": 2, "risk:max_open_trades": 1, "stale": 1}


def test_decisions_round_trip_newest_first_and_keep_the_last_200(store):
    decisions = [make_decision(i, accepted=i % 3 == 0) for i in range(1, 211)]
    for decision in decisions:
        store.record_decision(decision)

    state = committed(store)

    assert state.recent_decisions == tuple(reversed(decisions[-200:]))


def test_decision_with_nan_fields_round_trips(store):
    decision = make_decision(1)
    nan_decision = replace(decision, net_bps=math.nan, score=math.nan)

    store.record_decision(nan_decision)
    (loaded,) = committed(store).recent_decisions

    assert math.isnan(loaded.net_bps) and math.isnan(loaded.score)
    assert loaded.parts == decision.parts


def test_settings_are_upserted_json_values(store):
    store.save_setting("strategy.threshold_bps", 5.0)
    store.save_setting("gui.layout", {"columns": [1, 2], "dark": True})
    store.save_setting("strategy.threshold_bps", 6.5)

    assert committed(store).settings == {"strategy.threshold_bps": 6.5,
                                         "gui.layout": {"columns": [1, 2], "dark": True}}


def test_setting_that_is_not_json_raises_at_the_call_site(store):
    with pytest.raises(TypeError):
        store.save_setting("bad", object())
    assert store.healthy


def test_float_money_is_refused_at_the_call_site(store):
    bad = replace(make_fill(), price=60123.45)

    with pytest.raises(TypeError, match="fill price must be a Decimal"):
        store.record_fills([bad])
    assert store.pending == 0


def test_clock_and_equity_history_keep_the_last_2000_oldest_first(store):
    for i in range(2005):
        store.record_equity(T0 + i, 20000.0 + i, Decimal("1.25") * i, 0.5 * i)
    store.record_clock(T0 + 10)
    store.record_clock(T0 + 2005.5)

    state = committed(store)

    assert state.last_time == T0 + 2005.5
    assert len(state.equity_history) == 2000
    assert state.equity_history[0] == (T0 + 5, 20005.0, 6.25, 2.5)
    assert state.equity_history[-1] == (T0 + 2004, 22004.0, 2505.0, 1002.0)


def test_balance_history_rows_are_exact(store, tmp_path):
    store.record_balances(T0, {"binance": {"USDT": Decimal("9999.99000001"), "BTC": Decimal("0.1")}})
    store.flush(10)

    with closing(sqlite3.connect(tmp_path / "octo.db")) as conn:
        rows = conn.execute("SELECT time, venue, asset, amount FROM balance_history ORDER BY id").fetchall()

    assert rows == [(T0, "binance", "USDT", "9999.99000001"), (T0, "binance", "BTC", "0.1")]


def test_everything_survives_close_and_reopen(tmp_path):
    fills = two_leg_fills(1)
    with open_store(tmp_path / "octo.db") as first:
        first.initialize({"binance": {"USDT": Decimal("10000")}}, T0)
        first.record_fills(fills)
        first.record_trade(make_trade(1, fills))
        first.record_decision(make_decision(1, accepted=True))
        first.save_setting("k", [1, "two"])
        first.record_clock(T0 + 3)

    with open_store(tmp_path / "octo.db") as second:
        state = second.load()

    assert state.fills == fills and state.open_trades == (make_trade(1, fills),)
    assert state.initial_balances == {"binance": {"USDT": Decimal("10000")}}
    assert state.settings == {"k": [1, "two"]} and state.last_time == T0 + 3
    assert state.recent_decisions == (make_decision(1, accepted=True),)


# ---------------------------------------------------------------------------------------------------
# Opening.
# ---------------------------------------------------------------------------------------------------
def test_open_creates_parent_directories_and_a_wal_database(tmp_path):
    path = tmp_path / "a" / "b" / "octo.db"

    with open_store(path):
        with closing(sqlite3.connect(path)) as conn:
            journal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            meta = dict(conn.execute("SELECT key, value FROM meta"))

    assert journal_mode == "wal"
    assert meta["app"] == "octo" and meta["schema_version"] == str(SCHEMA_VERSION)


def test_garbage_file_is_refused_and_left_unchanged(tmp_path):
    path = tmp_path / "octo.db"
    garbage = bytes(range(256)) * 64
    path.write_bytes(garbage)

    with pytest.raises(StorageError) as raised:
        open_store(path)

    assert str(raised.value) == f"database {path} is not an Octo database (file is not a database)"
    assert path.read_bytes() == garbage


def test_damaged_sqlite_file_is_refused_and_left_unchanged(tmp_path):
    path = tmp_path / "octo.db"
    with open_store(path) as store:
        store.record_fills(two_leg_fills(1))
    damaged = bytearray(path.read_bytes())
    damaged[100:4096] = b"\xde\xad\xbe\xef" * 999  # page 1 after the header: the schema table
    path.write_bytes(bytes(damaged))

    with pytest.raises(StorageError, match="corrupt"):
        open_store(path)

    assert path.read_bytes() == bytes(damaged)


def test_sqlite_database_of_another_program_is_refused_and_left_unchanged(tmp_path):
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
        conn.commit()
    before = path.read_bytes()

    with pytest.raises(StorageError, match=r"is not an Octo database \(no Octo metadata\)"):
        open_store(path)

    assert path.read_bytes() == before


def test_newer_schema_version_is_refused_and_left_unchanged(tmp_path):
    path = tmp_path / "octo.db"
    open_store(path).close()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
        conn.commit()
    before = path.read_bytes()

    with pytest.raises(StorageError, match=f"schema version {SCHEMA_VERSION + 1}, newer than"):
        open_store(path)

    assert path.read_bytes() == before


def test_directory_in_place_of_the_file_is_refused(tmp_path):
    with pytest.raises(StorageError, match="is a directory"):
        open_store(tmp_path)


# ---------------------------------------------------------------------------------------------------
# Lifecycle.
# ---------------------------------------------------------------------------------------------------
def test_close_twice_and_flush_after_close_are_safe(tmp_path):
    store = open_store(tmp_path / "octo.db")
    store.record_clock(T0)

    assert store.close() is True
    assert store.close() is True
    assert store.flush(1) is True


def test_recording_after_close_raises(tmp_path):
    store = open_store(tmp_path / "octo.db")
    store.close()

    with pytest.raises(StorageError, match="is closed"):
        store.record_fills([make_fill()])


# ---------------------------------------------------------------------------------------------------
# CSV exports.
# ---------------------------------------------------------------------------------------------------
def test_fills_csv_has_the_header_and_exact_rows(store):
    store.record_fills([make_fill(7, BUY, price="60123.45", quantity="0.00000001", fee="0.00000001"),
                        make_fill(7, SELL, price="60130.1", quantity="0.00000001", fee="0.0000060130",
                                  fee_asset="USDT", venue="okx", time=T0 + 0.5)])
    store.flush(10)
    out = io.StringIO()

    count = write_fills_csv(store, out)

    assert count == 2
    assert out.getvalue() == (
        "time,trade_id,venue,symbol,side,price,quantity,fee,fee_asset,liquidity,order_type,purpose,order_id\n"
        "1700000000.25,7,binance,BTC/USDT,buy,60123.45,0.00000001,0.00000001,BTC,taker,ioc_limit,entry,\n"
        "1700000000.75,7,okx,BTC/USDT,sell,60130.1,0.00000001,0.0000060130,USDT,taker,ioc_limit,entry,\n"
    )


def test_trades_csv_has_the_header_and_exact_rows(store):
    from octo_desktop.domain.attribution import attribute

    fills = two_leg_fills(1)
    partial = make_trade(1, fills, TradeState.PARTIAL, T0 + 2, 'sold less, "unwound"')
    parts = attribute(partial)
    store.record_trade(partial)
    store.record_trade(make_trade(2))
    store.flush(10)
    out = io.StringIO()

    count = write_trades_csv(store, out)

    assert count == 2
    assert out.getvalue() == (
        "trade_id,opened_at,closed_at,symbol,buy_venue,sell_venue,planned_quantity,matched_quantity,"
        "state,expected_bps,realized_pnl,fees,note,buy_order_type,sell_order_type,expected_edge,latency_decay,"
        "slippage,rollback_loss\n"
        '1,1700000000.25,1700000002.25,BTC/USDT,binance,okx,0.01000000,0.00499500,partial,7.25,'
        '-0.2683500500,0.6012668000,"sold less, ""unwound""",,,'
        f"{parts.expected:f},{parts.latency_decay:f},{parts.slippage:f},{parts.rollback:f}\n"
        "2,1700000000.25,,BTC/USDT,binance,okx,0.01000000,0,open,7.25,0,0,,,,,,,\n"
    )


def test_export_from_a_path_reads_the_committed_database(tmp_path):
    path = tmp_path / "octo.db"
    with open_store(path) as store:
        store.record_fills([make_fill()])
    out = io.StringIO()

    count = write_fills_csv(path, out)

    assert count == 1
    assert out.getvalue().splitlines()[1] == (
        "1700000000.25,1,binance,BTC/USDT,buy,60123.45,0.00000001,0.00000001,BTC,taker,ioc_limit,entry,")


def test_export_from_a_path_refuses_a_missing_database(tmp_path):
    with pytest.raises(StorageError, match="does not exist"):
        write_fills_csv(tmp_path / "missing.db", io.StringIO())
