"""The kernel's market data: its event counters, read by the status bar and the --json summary."""

from octo_desktop.config import StrategyConfig
from octo_desktop.domain.model import MarketTrade
from octo_desktop.domain.spoofing import SpoofingSettings
from octo_desktop.engine.market import MarketData


def _trade(venue: str, at: float) -> MarketTrade:
    return MarketTrade(venue, "BTC/USDT", "buy", 100.0, 1.0, at, at)


def test_events_per_second_counts_the_last_complete_engine_seconds_only():
    market = MarketData(("a", "b"), ("BTC/USDT",), StrategyConfig(), SpoofingSettings(), stale_after_s=5.0)
    assert market.events_per_second() == 0.0
    for at in (100.1, 100.5, 100.9):  # 3 events in second 100
        market.apply(_trade("a", at))
    assert market.events_per_second() == 0.0  # second 100 is not over yet
    for at in (101.0, 101.2, 101.4, 101.6, 101.8):  # 5 in second 101, and 102 starts
        market.apply(_trade("b", at))
    market.apply(_trade("a", 102.3))
    assert market.events_per_second() == 4.0  # (3 + 5) / 2
    market.apply(_trade("a", 104.0))  # 100 to 102 are complete; 104 is under way
    assert market.events_per_second() == 3.0
    market.apply(_trade("b", 120.0))  # the last few seconds only: nothing complete is that recent
    assert market.events_per_second() == 0.0
    market.apply(_trade("b", 121.0))
    market.apply(_trade("b", 123.5))  # 120 and 121 complete (122, empty, is past the last complete one)
    assert market.events_per_second() == 1.0
    assert (market.events, market.venue_messages) == (13, {"a": 5, "b": 8})
    market.apply(_trade("elsewhere", 123.6))  # a venue it does not follow counts as an event only
    assert (market.events, market.venue_messages) == (14, {"a": 5, "b": 8})
