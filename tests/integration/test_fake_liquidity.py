"""Spoofed depth on the real runtime: detected, stored, and not chased by the detector.

A scripted feed builds binance's BTC/USDT ask ladder with thin levels 50 USDT apart and one large
order 100 USDT above the touch. The large order is pulled as soon as it appears (a spoof), then placed
again. okx's bid is then set so that buying 2,000 USDT on binance clears the threshold only if the
large ask is real: with the fake-liquidity filter the opportunity is not taken; without it, it is.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.fakes.scripted_feed import run_scripted

pytestmark = pytest.mark.integration
START = 19_700 * 86_400.0 + 7_200.0
THIN = 0.005  # BTC per ordinary level
SPOOF = 1.0


def ladder(touch: float, step: float, levels: int = 10, extra: dict | None = None) -> tuple:
    prices = [round(touch + i * step, 2) for i in range(levels)]
    return tuple((p, (extra or {}).get(p, THIN)) for p in prices)


BINANCE_BIDS = ladder(59_990.0, -50.0)
BINANCE_ASKS = ladder(60_000.0, 50.0, extra={60_100.0: SPOOF})
OKX_CALM = (ladder(59_990.0, -50.0), ladder(60_000.0, 50.0))
# With the 1 BTC ask believed, buying 0.0333 BTC costs a VWAP of ~60,078 (+10 bps net against this
# bid); counted as an ordinary level it costs ~60,143 and the net spread is below zero.
OKX_RICH = (ladder(60_258.2, -10.0, extra={}), ladder(60_268.2, 10.0))

SCRIPT = [
    (0.5, "binance", BINANCE_BIDS, BINANCE_ASKS, True),
    (0.5, "okx", *OKX_CALM, True),
    (1.0, "binance", (), ((60_100.0, 0.0),), False),  # pulled before anything traded against it: a spoof
    (1.5, "binance", (), ((60_100.0, SPOOF),), False),  # and placed again
    (2.0, "okx", tuple((p, 1.0) for p, _ in OKX_RICH[0]), tuple((p, 1.0) for p, _ in OKX_RICH[1]), True),
]


def run(tmp_path, name, *extra):
    overrides = ["strategy.min_score=0", "strategy.vol_multiplier=0", "spoofing.approach_bps=50", *extra]
    summary, snapshots = run_scripted(tmp_path / f"{name}.db", SCRIPT, ("binance", "okx"), overrides,
                                      start=START, seconds=5.0)
    connection = sqlite3.connect(tmp_path / f"{name}.db")
    connection.row_factory = sqlite3.Row
    return summary, connection, snapshots


def test_a_pulled_large_order_is_recorded_as_a_spoofing_event(tmp_path):
    summary, db, snapshots = run(tmp_path, "events")
    rows = db.execute("SELECT * FROM spoof_events").fetchall()
    assert len(rows) == 1
    event = rows[0]
    assert (event["venue"], event["symbol"], event["side"], event["price"], event["size"]) == \
        ("binance", "BTC/USDT", "ask", 60_100.0, SPOOF)
    assert event["lifetime_s"] == pytest.approx(0.5, abs=0.01)
    assert event["traded"] == 0
    assert summary["spoof_events"] == 1
    last = snapshots[-1]
    flows = {f.venue: f for f in last.signals["BTC/USDT"].flows}
    assert flows["binance"].suspect and not flows["okx"].suspect
    assert last.spoof_events[0].price == 60_100.0


def test_an_opportunity_that_needs_the_spoofed_depth_is_not_taken(tmp_path):
    filtered, filtered_db, _ = run(tmp_path, "filtered")
    believed, believed_db, _ = run(tmp_path, "believed", "spoofing.discount=0")
    # Believing the spoofed size, the detector sees an opportunity and trades it ...
    assert believed["trades"] == 1
    trade = believed_db.execute("SELECT * FROM trades").fetchone()
    assert (trade["buy_venue"], trade["sell_venue"]) == ("binance", "okx")
    # ... counting only an ordinary level's size there, the same books offer nothing worth taking.
    assert filtered["trades"] == 0
    assert filtered["opportunities"] == 0
    assert filtered_db.execute("SELECT COUNT(*) FROM trades").fetchone()[0] == 0
