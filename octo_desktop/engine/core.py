"""The engine: books -> detector -> signals -> risk -> executor -> snapshot, on the runtime thread.

Feeds call ``on_market_event`` synchronously on the runtime loop. Events are applied to their book
at once; the symbols they touched are marked dirty and re-evaluated once per loop iteration (so a
burst of events costs one detector pass per symbol). Only the touched symbol's 8x8 matrix is
recomputed, and only the venues whose book version changed get new VWAPs.
"""

from __future__ import annotations

import asyncio
import logging
import math
import statistics
import time
from collections import Counter, deque
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Callable

import numpy as np

from octo_desktop.config import QUOTE_ASSET, Config, SymbolSpec
from octo_desktop.domain import signals
from octo_desktop.domain.book import BookError, CrossedBook, OrderBook, SequenceGap
from octo_desktop.domain.commands import (
    Command, ControlReplay, Halt, Resume, SaveSetting, SetMinScore, SetThreshold, StartRecording, StopRecording,
)
from octo_desktop.domain.fills import OrderResult, floor_to_lot
from octo_desktop.domain.ledger import InsufficientBalance, Ledger
from octo_desktop.domain.model import (
    BUY, DOWN, REPLAY, SELL, SIMULATED, STALE_STATE, USABLE_STATES, BookUpdate, Decision, FeedStatus, MarketRules,
    MarketTrade, Trade, TradeState,
)
from octo_desktop.domain.risk import RiskManager
from octo_desktop.domain.snapshot import (
    DEGRADED, LIVE, STALE, WAITING, BookView, DecisionView, OpportunityView, ReplayView, RiskView, Snapshot,
    SpreadMatrixView, TradeView, VenueHealthView, frozen_array, frozen_mapping,
)
from octo_desktop.domain.spread import net_spread_matrix
from octo_desktop.engine.recorder import Recorder
from octo_desktop.engine.trader import ArbitragePlan, execute_arbitrage
from octo_desktop.execution.base import ExecutionClient
from octo_desktop.feeds.base import ConnectionHealth, MarketEvent, MarketFeed
from octo_desktop.feeds.recording import RecordingError, make_header

log = logging.getLogger(__name__)

DEPTH_LEVELS = 20
HISTORY_POINTS = 2000
PNL_INTERVAL_S = 1.0
EQUITY_STORE_INTERVAL_S = 10.0
HOUSEKEEPING_S = 0.25
PUBLISH_INTERVAL_S = 0.05  # real seconds between snapshots: the GUI polls at 20 Hz
RECENT_TRADES = 100
RECENT_DECISIONS = 200
RECENT_OPPORTUNITIES = 50
VENUE_STATS_WINDOW = 50
RATE_WINDOW_S = 5.0  # engine seconds over which messages per second are measured
PRIOR_LEGS = 5


@dataclass
class _Episode:
    """A pair above the threshold, from the moment it crosses until it falls back."""

    opportunity_id: int
    started: float
    last_reason: str | None = None
    in_flight: bool = False


class _SymbolState:
    """Per-symbol detector state: each venue's VWAPs at size (cached by book version), as lists.

    For 8 venues a plain-Python pass over cost and proceeds is several times faster than numpy
    (measured); the numpy matrix is built only when a snapshot is published.
    """

    def __init__(self, n: int) -> None:
        self.buy_vwap = [math.nan] * n
        self.sell_vwap = [math.nan] * n
        self.cost = [math.nan] * n  # buy VWAP * (1 + taker fee)
        self.proceeds = [math.nan] * n  # sell VWAP * (1 - taker fee)
        self.versions = [-1] * n
        self.usable = [False] * n
        self.quantity = 0.0


class _VenueStats:
    """Observed execution quality of one venue: fill ratio and latency of recent legs."""

    def __init__(self, prior_latency_ms: float) -> None:
        self.fill_ratios: deque[float] = deque(maxlen=VENUE_STATS_WINDOW)
        self.latencies_ms: deque[float] = deque(maxlen=VENUE_STATS_WINDOW)
        self.prior_latency_ms = prior_latency_ms

    @property
    def fill_ratio(self) -> float:
        return (sum(self.fill_ratios) + PRIOR_LEGS) / (len(self.fill_ratios) + PRIOR_LEGS)

    @property
    def median_latency_ms(self) -> float:
        if len(self.latencies_ms) < PRIOR_LEGS:
            return self.prior_latency_ms
        return statistics.median(self.latencies_ms)


class Engine:
    """Apply market events, find and score opportunities, trade them on paper, publish snapshots."""

    def __init__(self, config: Config, clock, store, state, *, market: str, speed: str,
                 publish: Callable[[Snapshot], None], recorder: Recorder | None = None,
                 log_opportunities: bool = False) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.market = market
        self.speed = speed
        self._publish_cb = publish
        self.venues = config.venue_names
        self.symbols = config.symbols
        self._venue_index = {v: i for i, v in enumerate(self.venues)}
        self.books: dict[tuple[str, str], OrderBook] = {
            (v, s): OrderBook(v, s) for v in self.venues for s in self.symbols
        }
        self._latency_ms = {key: math.nan for key in self.books}
        self._fees = [float(config.venues[v].taker_fee) for v in self.venues]
        self._taker_fees = np.array(self._fees)
        self._symbol_state = {s: _SymbolState(len(self.venues)) for s in self.symbols}
        self._marks = {s.split("/")[0]: config.markets[s].initial_price for s in self.symbols}
        self._flow: dict[tuple[str, str], deque] = {key: deque() for key in self.books}
        self._venue_stats = {v: _VenueStats(config.venues[v].latency_ms_median) for v in self.venues}
        self.feed: MarketFeed | None = None
        self.execution: ExecutionClient | None = None
        self.recorder = recorder if recorder is not None else Recorder()
        self.replay_path = ""
        # A run of fixed length stops on the first housekeeping tick at or after ``stop_at`` (by
        # calling ``on_stop``), so that a replay of its recording stops at the same point of the stream.
        self.stop_at: float | None = None
        self.on_stop: Callable[[], None] | None = None
        self.opportunity_log: list[dict] | None = [] if log_opportunities else None
        self._venue_messages = {v: 0 for v in self.venues}
        self._venue_rate: dict[str, deque[tuple[float, int]]] = {v: deque() for v in self.venues}
        self._venue_errors: dict[str, Counter[str]] = {v: Counter() for v in self.venues}
        self._venue_state: dict[str, str] = {}
        self._last_exchange_latency = {v: math.nan for v in self.venues}

        # Settings a user may change while running (restored from the database).
        settings = dict(state.settings)
        self.threshold_bps = float(settings.get("threshold_bps", config.strategy.threshold_bps))
        self.min_score = float(settings.get("min_score", config.strategy.min_score))

        # Account, restored from the database: initial balances plus every fill ever recorded.
        now = clock.now()
        self.initial_balances = state.initial_balances or config.initial_balances()
        if state.is_new or state.initial_balances is None:
            store.initialize(self.initial_balances, now)
        self.ledger = Ledger(self.initial_balances)
        self.ledger.apply_all(state.fills)
        self.realized_pnl = state.realized_pnl
        self.fees_usdt = state.fees_in_quote
        self.trade_count = state.trade_count
        self.opportunity_count = state.opportunity_count
        self.rejections: Counter[str] = Counter(state.rejections)
        self._next_trade_id = state.next_trade_id
        self._next_opportunity_id = state.next_opportunity_id
        self.risk = RiskManager(config.risk, self._initial_equity_at(self._marks), self.realized_pnl, now)
        if settings.get("halted"):
            self.risk.halt(str(settings.get("halt_reason") or "kill switch"))

        # Views of closed trades and past decisions never change: build each once, not per snapshot.
        self._recent_trades: deque[TradeView] = deque(map(_trade_view, state.recent_trades),
                                                      maxlen=RECENT_TRADES)
        self._decisions: deque[DecisionView] = deque(map(_decision_view, state.recent_decisions),
                                                     maxlen=RECENT_DECISIONS)
        self._opportunities: deque[OpportunityView] = deque(maxlen=RECENT_OPPORTUNITIES)
        self._pnl_history: deque[tuple[float, float, float]] = deque(
            ((t, realized, marked) for t, _equity, realized, marked in state.equity_history),
            maxlen=HISTORY_POINTS)
        for trade in state.open_trades:
            # The process stopped while these were open: their fills are in the ledger already.
            closed = trade.closed(TradeState.INTERRUPTED, now, "process stopped while the trade was open")
            self.store.record_trade(closed)
            self.realized_pnl += closed.realized_pnl
            self.fees_usdt += closed.fees_in_quote

        self._open_trades: dict[int, Trade] = {}
        self._busy: set[tuple[str, str]] = set()  # (symbol, venue) with a leg in flight
        self._episodes: dict[tuple[str, int, int], _Episode] = {}
        self._tasks: set[asyncio.Task] = set()
        self._dirty: dict[str, None] = {}  # insertion-ordered, so evaluation order is reproducible
        self._scheduled = False
        self._accepting = True
        self.state = "running"
        self.last_error = ""
        self.events = 0
        self._event_buckets: deque[tuple[int, int]] = deque()  # (engine second, count)
        self._sequence = 0
        self._last_publish = -math.inf
        self._last_pnl_point = -math.inf
        self._last_equity_store = -math.inf
        self.started_wall = time.perf_counter()
        self.started_events = self.events

    # --- wiring ---------------------------------------------------------------------------------
    def connect(self, feed: MarketFeed, execution: ExecutionClient) -> None:
        """Attach the market feed (for resyncs) and the execution client (for orders)."""
        self.feed = feed
        self.execution = execution

    # --- market events --------------------------------------------------------------------------
    def on_market_event(self, event: MarketEvent) -> None:
        """Apply one book update or trade; schedule a detector pass for its symbol."""
        if self.recorder.active:
            self.recorder.record(event)
        if isinstance(event, FeedStatus):
            self._on_feed_status(event)
            return
        if isinstance(event, MarketRules):
            self._on_market_rules(event)
            return
        self.events += 1
        if event.venue in self._venue_messages:
            self._venue_messages[event.venue] += 1
        second = int(event.received_time)
        if self._event_buckets and self._event_buckets[-1][0] == second:
            self._event_buckets[-1] = (second, self._event_buckets[-1][1] + 1)
        else:
            self._event_buckets.append((second, 1))
            while self._event_buckets and self._event_buckets[0][0] < second - 5:
                self._event_buckets.popleft()
        key = (event.venue, event.symbol)
        if isinstance(event, BookUpdate):
            book = self.books.get(key)
            if book is None:
                return
            try:
                if event.is_snapshot:
                    book.apply_snapshot(event.bids, event.asks, event.sequence, event.exchange_time,
                                        event.received_time)
                else:
                    book.apply_delta(event.bids, event.asks, event.sequence, event.exchange_time,
                                     event.received_time)
            except BookError as exc:
                book.invalidate()
                kind = "gap" if isinstance(exc, SequenceGap) else "crossed" if isinstance(exc, CrossedBook) \
                    else "invalid"
                self._venue_errors[event.venue][kind] += 1
                if not isinstance(exc, SequenceGap):  # a gap is routine: resync, no alarm
                    self.last_error = str(exc)
                log.info("resync %s %s: %s", event.venue, event.symbol, exc)
                if self.feed is not None:
                    self.feed.request_resync(event.venue, event.symbol)
            latency = (event.received_time - event.exchange_time) * 1000.0
            self._latency_ms[key] = latency
            if not math.isnan(latency):
                self._last_exchange_latency[event.venue] = latency
        elif isinstance(event, MarketTrade):
            flow = self._flow.get(key)
            if flow is not None:
                flow.append((event.received_time, event.side, event.quantity))
        self._mark_dirty(event.symbol)

    def _mark_dirty(self, symbol: str) -> None:
        self._dirty[symbol] = None
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._process_dirty)

    def _on_feed_status(self, event: FeedStatus) -> None:
        """Exclude a venue (or one book) the feed says is unusable, at once."""
        if event.venue not in self._venue_messages:
            return
        if event.state not in USABLE_STATES:
            symbols = self.symbols if event.symbol is None else (event.symbol,)
            for symbol in symbols:
                book = self.books.get((event.venue, symbol))
                if book is not None:
                    book.invalidate()
                    self._mark_dirty(symbol)
        if event.symbol is None and self._venue_state.get(event.venue) != event.state:
            self._venue_state[event.venue] = event.state
            text = f"{event.venue}: {event.state}" + (f" ({event.detail})" if event.detail else "")
            self._decisions.appendleft(DecisionView(event.received_time, "", event.venue, "",
                                                    event.state in USABLE_STATES, text))

    def _on_market_rules(self, event: MarketRules) -> None:
        """Adopt the tick, lot, minimum notional and fees a venue reported for its symbols."""
        venue = self.config.venues.get(event.venue)
        if venue is None:
            return
        specs = dict(venue.symbols)
        for symbol, tick, lot, minimum in event.specs:
            if symbol in specs:
                specs[symbol] = SymbolSpec(symbol, Decimal(tick), Decimal(lot), Decimal(minimum))
        taker = Decimal(event.taker_fee) if event.taker_fee is not None else venue.taker_fee
        maker = Decimal(event.maker_fee) if event.maker_fee is not None else venue.maker_fee
        venues = dict(self.config.venues)
        venues[event.venue] = replace(venue, symbols=MappingProxyType(specs), taker_fee=taker, maker_fee=maker)
        self.config = replace(self.config, venues=MappingProxyType(venues))
        index = self._venue_index[event.venue]
        self._fees[index] = float(taker)
        self._taker_fees[index] = float(taker)
        for st in self._symbol_state.values():
            st.versions[index] = -1  # costs change with the fee
        if self.execution is not None:
            self.execution.set_config(self.config)

    def _process_dirty(self) -> None:
        self._scheduled = False
        now = self.clock.now()
        dirty, self._dirty = self._dirty, {}
        for symbol in dirty:
            self._evaluate(symbol, now)
        self.maybe_publish()

    # --- detector -------------------------------------------------------------------------------
    def _book_status(self, book: OrderBook, now: float) -> str:
        if math.isnan(book.received_time):
            return WAITING
        if not book.is_valid:
            return DEGRADED
        if now - book.received_time > self.config.strategy.stale_after_s:
            return STALE
        return LIVE

    def _evaluate(self, symbol: str, now: float) -> None:
        st = self._symbol_state[symbol]
        base = symbol.split("/")[0]
        quantity = self.config.markets[symbol].trade_notional_usdt / self._marks[base]
        if abs(quantity - st.quantity) > 1e-3 * quantity:
            st.quantity = quantity
            st.versions = [-1] * len(self.venues)
        quantity = st.quantity
        fees = self._fees
        fresh_after = now - self.config.strategy.stale_after_s
        best_proceeds, best_seller = -math.inf, -1
        for i, venue in enumerate(self.venues):
            book = self.books[(venue, symbol)]
            usable = book.is_valid and book.received_time >= fresh_after
            st.usable[i] = usable
            if not usable:
                continue
            if st.versions[i] != book.version:
                st.versions[i] = book.version
                buy, bought = book.vwap(BUY, quantity)
                sell, sold = book.vwap(SELL, quantity)
                full = quantity * 0.999999
                st.buy_vwap[i] = buy = buy if bought >= full else math.nan
                st.sell_vwap[i] = sell = sell if sold >= full else math.nan
                st.cost[i] = buy * (1.0 + fees[i])
                st.proceeds[i] = sell * (1.0 - fees[i])
            if st.proceeds[i] > best_proceeds:
                best_proceeds, best_seller = st.proceeds[i], i
        active = set()
        if best_seller >= 0:
            threshold = self.threshold_bps / 10_000.0
            ranked = []
            for i in range(len(self.venues)):
                cost = st.cost[i]
                # Quick exit: if even the best seller does not clear the threshold, no pair with i does.
                if not st.usable[i] or not (best_proceeds - cost >= threshold * st.buy_vwap[i]):
                    continue
                for j in range(len(self.venues)):
                    if j != i and st.usable[j]:
                        net = (st.proceeds[j] - cost) / st.buy_vwap[i] * 10_000.0
                        if net >= self.threshold_bps:
                            ranked.append((net, i, j))
            ranked.sort(reverse=True)
            for net, i, j in ranked:
                key = (symbol, i, j)
                active.add(key)
                episode = self._episodes.get(key)
                if episode is None:
                    self.opportunity_count += 1
                    episode = self._episodes[key] = _Episode(self._next_opportunity_id, now)
                    self._next_opportunity_id += 1
                    if self.opportunity_log is not None:
                        self.opportunity_log.append({
                            "time": now, "symbol": symbol, "buy_venue": self.venues[i],
                            "sell_venue": self.venues[j], "net_bps": round(net, 3),
                            "size": st.quantity})
                self._consider(episode, symbol, i, j, net, now)
        if self._episodes:
            for key in [k for k in self._episodes if k[0] == symbol and k not in active]:
                if not self._episodes[key].in_flight:
                    del self._episodes[key]

    def _score(self, symbol: str, buy_book: OrderBook, sell_book: OrderBook, net: float,
               buy_vwap: float, sell_vwap: float, quantity: float, now: float) -> signals.Score:
        strategy = self.config.strategy
        band = strategy.liquidity_band_bps / 10_000.0
        buy_touch, sell_touch = buy_book.best_ask, sell_book.best_bid
        parts = {
            "spread": signals.spread_factor(net, self.threshold_bps, strategy.spread_scale_bps),
            "liquidity": signals.liquidity_factor(
                buy_book.quantity_within(BUY, buy_touch * (1 + band)),
                sell_book.quantity_within(SELL, sell_touch * (1 - band)), quantity),
            "slippage": signals.slippage_factor(signals.slippage_bps(buy_vwap, buy_touch),
                                                signals.slippage_bps(sell_vwap, sell_touch),
                                                strategy.slippage_scale_bps),
            "freshness": signals.freshness_factor(now - buy_book.received_time,
                                                  now - sell_book.received_time, strategy.stale_after_s),
            "order_flow": signals.order_flow_factor(self._imbalance(buy_book.venue, symbol, now),
                                                    self._imbalance(sell_book.venue, symbol, now)),
            "execution_quality": signals.execution_quality_factor(
                self._venue_quality(buy_book.venue), self._venue_quality(sell_book.venue)),
        }
        return signals.composite_score(parts, strategy.weights)

    def _imbalance(self, venue: str, symbol: str, now: float) -> float:
        flow = self._flow[(venue, symbol)]
        horizon = now - self.config.strategy.flow_window_s
        while flow and flow[0][0] < horizon:
            flow.popleft()
        bought = sum(q for _, side, q in flow if side == BUY)
        sold = sum(q for _, side, q in flow if side == SELL)
        return signals.trade_imbalance(bought, sold)

    def _venue_quality(self, venue: str) -> float:
        stats = self._venue_stats[venue]
        return signals.venue_quality(stats.fill_ratio, stats.median_latency_ms,
                                     self.config.strategy.latency_scale_ms)

    def _consider(self, episode: _Episode, symbol: str, i: int, j: int, net: float, now: float) -> None:
        if episode.in_flight or not self._accepting:
            return
        buy_venue, sell_venue = self.venues[i], self.venues[j]
        if (symbol, buy_venue) in self._busy or (symbol, sell_venue) in self._busy:
            return  # a leg is already working on one of these books; look again after it lands
        st = self._symbol_state[symbol]
        buy_book, sell_book = self.books[(buy_venue, symbol)], self.books[(sell_venue, symbol)]
        buy_vwap, sell_vwap = st.buy_vwap[i], st.sell_vwap[j]
        score = self._score(symbol, buy_book, sell_book, net, buy_vwap, sell_vwap, st.quantity, now)

        protection = self.config.strategy.slippage_protection_bps / 10_000.0
        buy_limit = buy_vwap * (1 + protection)
        sell_limit = sell_vwap * (1 - protection)
        buy_spec = self.config.spec(buy_venue, symbol)
        sell_spec = self.config.spec(sell_venue, symbol)
        lot = max(buy_spec.lot_size, sell_spec.lot_size)
        base = buy_spec.base
        max_by_risk = float(self.config.risk.max_notional_per_trade) / buy_limit
        max_by_quote = float(self.ledger.available(buy_venue, QUOTE_ASSET)) / buy_limit
        max_by_base = float(self.ledger.available(sell_venue, base))
        quantity = floor_to_lot(min(st.quantity, max_by_risk, max_by_quote, max_by_base), lot)
        notional = quantity * Decimal(repr(buy_vwap))

        reason, detail = self.risk.check(notional, len(self._open_trades))
        if not reason and score.value < self.min_score:
            reason, detail = "score", f"score {score.value:.2f} below the minimum {self.min_score:.2f}"
        if not reason:
            minimum = max(buy_spec.min_notional, sell_spec.min_notional)
            if quantity <= 0 or notional < minimum:
                short = QUOTE_ASSET if max_by_quote <= min(max_by_base, max_by_risk) else base
                short_venue = buy_venue if short == QUOTE_ASSET else sell_venue
                reason, detail = "balance", (f"insufficient {short} on {short_venue}: size "
                                             f"{quantity} {base} is under the minimum notional {minimum}")
        accepted = not reason
        if accepted:
            key = ("trade", self._next_trade_id)
            try:
                self.ledger.reserve(key, buy_venue, QUOTE_ASSET, quantity * Decimal(repr(buy_limit)))
                self.ledger.reserve(key, sell_venue, base, quantity)
            except InsufficientBalance as exc:
                self.ledger.release(key)
                accepted, reason, detail = False, "balance", str(exc)
        if accepted:
            detail = (f"buy {quantity} {base} on {buy_venue}, sell on {sell_venue}: net {net:.1f} bps, "
                      f"score {score.value:.2f}")
        decision = Decision(
            opportunity_id=episode.opportunity_id, time=now, symbol=symbol, buy_venue=buy_venue,
            sell_venue=sell_venue, net_bps=net, quantity=float(quantity), buy_vwap=buy_vwap,
            sell_vwap=sell_vwap, score=score.value, parts=score.parts, accepted=accepted,
            reason=reason, detail=detail)
        if accepted or reason != episode.last_reason:
            # Log a decision once per change of outcome within an episode, not on every tick.
            episode.last_reason = reason
            self._decisions.appendleft(_decision_view(decision))
            # One entry per opportunity, showing its latest decision.
            for view in [v for v in self._opportunities if v.opportunity_id == episode.opportunity_id]:
                self._opportunities.remove(view)
            self._opportunities.appendleft(_opportunity_view(decision))
            self.store.record_decision(decision)
            if not accepted:
                self.rejections[reason] += 1
        if accepted:
            self._open_trade(episode, decision, quantity, buy_limit, sell_limit, now)

    # --- trades ---------------------------------------------------------------------------------
    def _open_trade(self, episode: _Episode, decision: Decision, quantity: Decimal, buy_limit: float,
                    sell_limit: float, now: float) -> None:
        trade = Trade(trade_id=self._next_trade_id, opportunity_id=episode.opportunity_id,
                      symbol=decision.symbol, buy_venue=decision.buy_venue,
                      sell_venue=decision.sell_venue, planned_quantity=quantity, opened_at=now,
                      expected_bps=decision.net_bps)
        self._next_trade_id += 1
        self.trade_count += 1
        episode.in_flight = True
        self._open_trades[trade.trade_id] = trade
        self._busy.update({(trade.symbol, trade.buy_venue), (trade.symbol, trade.sell_venue)})
        self.store.record_trade(trade)
        plan = ArbitragePlan(trade, quantity, buy_limit, sell_limit)
        task = asyncio.get_running_loop().create_task(self._run_trade(plan, episode),
                                                      name=f"trade-{trade.trade_id}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    async def _run_trade(self, plan: ArbitragePlan, episode: _Episode) -> None:
        trade = plan.trade
        try:
            closed = await execute_arbitrage(plan, self.execution, self.config, self._on_order_result,
                                             self.clock.now)
        except asyncio.CancelledError:
            fills = self._open_trades[trade.trade_id].fills
            closed = trade.with_fills(fills).closed(TradeState.INTERRUPTED, self.clock.now(),
                                                    "engine stopped while the trade was open")
            self._close_trade(closed, episode)
            raise
        self._close_trade(closed, episode)

    def _on_order_result(self, result: OrderResult) -> None:
        request = result.request
        trade = self._open_trades.get(request.trade_id)
        if trade is not None and result.fills:
            self._open_trades[request.trade_id] = trade.with_fills(result.fills)
        self.ledger.apply_all(result.fills)
        if result.fills:
            self.store.record_fills(result.fills)
        if request.purpose == "entry":
            stats = self._venue_stats[request.venue]
            stats.latencies_ms.append(result.latency_ms)
            stats.fill_ratios.append(float(result.filled_quantity / request.quantity))

    def _close_trade(self, trade: Trade, episode: _Episode) -> None:
        self._open_trades.pop(trade.trade_id, None)
        self.ledger.release(("trade", trade.trade_id))
        self._busy.discard((trade.symbol, trade.buy_venue))
        self._busy.discard((trade.symbol, trade.sell_venue))
        episode.in_flight = False
        episode.last_reason = None
        pnl = trade.realized_pnl
        self.realized_pnl += pnl
        self.fees_usdt += trade.fees_in_quote
        now = self.clock.now()
        self.risk.on_realized(now, self.realized_pnl)
        self._recent_trades.appendleft(_trade_view(trade))
        self.store.record_trade(trade)
        self.store.record_balances(now, self.ledger.balances())
        text = f"trade #{trade.trade_id} {trade.state}: {pnl:+.4f} {QUOTE_ASSET}"
        if trade.note:
            text += f" ({trade.note})"
        self._decisions.appendleft(DecisionView(now, trade.symbol, trade.buy_venue, trade.sell_venue,
                                                trade.state == TradeState.COMPLETE, text))
        self.maybe_publish(force=True)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.last_error = f"{task.get_name()} failed: {task.exception()!r}"
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    # --- commands and housekeeping -------------------------------------------------------------
    def handle(self, command: Command) -> None:
        """Apply one command from the GUI or the CLI."""
        if isinstance(command, Halt):
            self.risk.halt(command.reason)
            self.store.save_setting("halted", True)
            self.store.save_setting("halt_reason", self.risk.kill_reason)
            self._note(f"HALTED: {self.risk.kill_reason}")
        elif isinstance(command, Resume):
            self.risk.resume()
            self.store.save_setting("halted", False)
            self._note("resumed" + (f"; still halted: {self.risk.reason}" if self.risk.is_halted else ""))
        elif isinstance(command, SetThreshold):
            self.threshold_bps = float(command.threshold_bps)
            self.store.save_setting("threshold_bps", self.threshold_bps)
            self._note(f"threshold set to {self.threshold_bps:.1f} bps")
        elif isinstance(command, SetMinScore):
            self.min_score = min(1.0, max(0.0, float(command.min_score)))
            self.store.save_setting("min_score", self.min_score)
            self._note(f"minimum score set to {self.min_score:.2f}")
        elif isinstance(command, SaveSetting):
            self.store.save_setting(command.key, command.value)
        elif isinstance(command, StartRecording):
            self.start_recording(command.path)
        elif isinstance(command, StopRecording):
            if self.recorder.active:
                path = self.recorder.last_path
                self.recorder.stop(self.clock.now())
                self._note(f"recording saved: {path}")
        elif isinstance(command, ControlReplay):
            self._control_replay(command)
        else:
            raise TypeError(f"unknown command {command!r}")
        self.maybe_publish(force=True)

    def start_recording(self, path: str, *, at_start: bool = False) -> None:
        """Record every market event from now on; the file begins with snapshots of the current books.

        ``at_start`` (before any event) records from the clock's origin with no initial snapshots,
        so that a replay of the file starts exactly where this session started.
        """
        now = self.clock.now()
        source = "live" if self.market == "live" else self.market
        initial = []
        if not at_start:
            for (venue, symbol), book in self.books.items():
                if book.is_valid:
                    initial.append(BookUpdate(venue, symbol, book.sequence, tuple(book.iter_bids()),
                                              tuple(book.iter_asks()), True, book.exchange_time, now))
        try:
            self.recorder.start(path, make_header(self.config, source, now), initial)
        except RecordingError as exc:
            self.last_error = str(exc)
            self._note(f"recording failed: {exc}")
            return
        self._note(f"recording to {path}")

    def _control_replay(self, command: ControlReplay) -> None:
        loop = self.clock.loop
        if self.market != "replay" or not hasattr(loop, "set_paused"):
            raise ValueError("replay controls apply only to a replay")
        if command.paused is not None:
            loop.set_paused(command.paused)
        if command.set_speed:
            loop.set_speed(command.speed)
            self.speed = "max" if command.speed is None else f"{command.speed:g}"

    def _note(self, text: str) -> None:
        self._decisions.appendleft(DecisionView(self.clock.now(), "", "", "", True, text))

    async def housekeeping(self) -> None:
        """Every quarter second: marks, stale venues, the P&L curve, the day roll, a snapshot."""
        while True:
            await self.clock.sleep(HOUSEKEEPING_S)
            now = self.clock.now()
            if self.stop_at is not None and now >= self.stop_at - 1e-9:
                if self.on_stop is not None:
                    self.on_stop()
                return
            self._update_marks(now)
            self._sample_rates(now)
            self.risk.on_clock(now, self.realized_pnl)
            for symbol in self.symbols:  # a venue going stale must leave the matrix without an event
                self._evaluate(symbol, now)
            if now - self._last_pnl_point >= PNL_INTERVAL_S:
                self._last_pnl_point = now
                equity, initial = self._equity(), self._initial_equity_at(self._marks)
                self._pnl_history.append((now, float(self.realized_pnl), equity - float(initial)))
                if now - self._last_equity_store >= EQUITY_STORE_INTERVAL_S:
                    self._last_equity_store = now
                    self.store.record_equity(now, equity, self.realized_pnl, equity - float(initial))
                    self.store.record_clock(now)
            if self.store.last_error:
                self.last_error = f"storage: {self.store.last_error}"
            self.maybe_publish()

    def _sample_rates(self, now: float) -> None:
        for venue, samples in self._venue_rate.items():
            samples.append((now, self._venue_messages[venue]))
            while len(samples) > 2 and samples[0][0] < now - RATE_WINDOW_S:
                samples.popleft()

    def _venue_health(self, now: float) -> dict[str, VenueHealthView]:
        connections = self.feed.connection_health() if self.feed is not None else {}
        result = {}
        for venue in self.venues:
            conn = connections.get(venue) or ConnectionHealth(DOWN)
            newest = max((self.books[(venue, s)].received_time for s in self.symbols
                          if not math.isnan(self.books[(venue, s)].received_time)), default=math.nan)
            state = conn.state
            if state in (SIMULATED, REPLAY):
                statuses = [self._book_status(self.books[(venue, s)], now) for s in self.symbols]
                if LIVE not in statuses:
                    state = DOWN if all(st == WAITING for st in statuses) else STALE_STATE
            samples = self._venue_rate[venue]
            rate = 0.0
            if len(samples) >= 2 and samples[-1][0] > samples[0][0]:
                rate = (samples[-1][1] - samples[0][1]) / (samples[-1][0] - samples[0][0])
            errors = Counter(conn.errors)
            errors.update(self._venue_errors[venue])
            result[venue] = VenueHealthView(
                venue=venue, state=state, age_ms=(now - newest) * 1000.0,
                latency_ms=self._last_exchange_latency[venue], rest_rtt_ms=conn.rest_rtt_ms,
                messages_per_s=rate, reconnects=conn.reconnects, last_error=conn.last_error,
                errors=frozen_mapping(sorted(errors.items())))
        return result

    def _update_marks(self, now: float) -> None:
        for symbol in self.symbols:
            mids = [book.mid for venue in self.venues
                    if self._book_status(book := self.books[(venue, symbol)], now) == LIVE]
            if mids:
                self._marks[symbol.split("/")[0]] = statistics.median(mids)

    def _equity(self) -> float:
        total = 0.0
        for assets in self.ledger.balances().values():
            for asset, amount in assets.items():
                total += float(amount) * (1.0 if asset == QUOTE_ASSET else self._marks.get(asset, 0.0))
        return total

    def _initial_equity_at(self, marks: dict[str, float]) -> Decimal:
        total = Decimal(0)
        for assets in self.initial_balances.values():
            for asset, amount in assets.items():
                price = Decimal(1) if asset == QUOTE_ASSET else Decimal(repr(marks.get(asset, 0.0)))
                total += amount * price
        return total

    async def shutdown(self, timeout: float) -> None:
        """Stop opening trades; let trades in flight land (up to ``timeout``), then cancel them."""
        self._accepting = False
        self.state = "stopping"
        self.recorder.source_stopped(self.clock.now())
        if self._tasks:
            done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        self.store.record_clock(self.clock.now())
        self.recorder.close()
        self.state = "stopped"
        self.maybe_publish(force=True)

    # --- snapshot -------------------------------------------------------------------------------
    def maybe_publish(self, force: bool = False) -> None:
        """Publish a snapshot if the last one is older than the GUI's poll period (real time)."""
        wall = time.monotonic()
        if force or wall - self._last_publish >= PUBLISH_INTERVAL_S:
            self._last_publish = wall
            self._publish_cb(self.snapshot())

    def events_per_second(self) -> float:
        """Return events per engine-clock second over the last few seconds."""
        if len(self._event_buckets) < 2:
            return 0.0
        complete = list(self._event_buckets)[:-1]
        span = complete[-1][0] - complete[0][0] + 1
        return sum(count for _, count in complete) / span

    def snapshot(self) -> Snapshot:
        """Build the immutable view of everything the GUI shows."""
        now = self.clock.now()
        self._sequence += 1
        books = {}
        for key, book in self.books.items():
            books[key] = BookView(
                venue=key[0], symbol=key[1], bid=book.best_bid, ask=book.best_ask,
                bid_size=book.best_bid_size, ask_size=book.best_ask_size,
                age_ms=(now - book.received_time) * 1000.0, latency_ms=self._latency_ms[key],
                status=self._book_status(book, now),
                bids=frozen_array(book.top("bid", DEPTH_LEVELS) or np.zeros((0, 2))),
                asks=frozen_array(book.top("ask", DEPTH_LEVELS) or np.zeros((0, 2))))
        matrices = {}
        for symbol, st in self._symbol_state.items():
            usable = np.array(st.usable, dtype=bool)
            matrix = net_spread_matrix(np.array(st.buy_vwap), np.array(st.sell_vwap), self._taker_fees,
                                       usable)
            matrix.flags.writeable = False
            matrices[symbol] = SpreadMatrixView(symbol, self.venues, matrix,
                                                tuple(not u for u in st.usable), st.quantity)
        balances = {venue: frozen_mapping(assets) for venue, assets in self.ledger.balances().items()}
        equity = self._equity()
        initial = float(self._initial_equity_at(self._marks))
        history = self._pnl_history
        risk = self.risk
        state = self.state
        if state == "running" and risk.is_halted:
            state = "halted"
        return Snapshot(
            sequence=self._sequence, time=now, engine_state=state, market=self.market, speed=self.speed,
            venues=self.venues, symbols=self.symbols, events=self.events,
            events_per_second=self.events_per_second(), books=frozen_mapping(books),
            matrices=frozen_mapping(matrices),
            opportunities=tuple(self._opportunities),
            trades=(*map(_trade_view, self._open_trades.values()), *self._recent_trades),
            decisions=tuple(self._decisions),
            balances=frozen_mapping(balances), marks=frozen_mapping(self._marks), equity_usdt=equity,
            initial_equity_usdt=initial, realized_pnl=self.realized_pnl, fees_usdt=self.fees_usdt,
            trade_count=self.trade_count, opportunity_count=self.opportunity_count,
            rejections=frozen_mapping(self.rejections),
            pnl_times=frozen_array([p[0] for p in history]),
            pnl_realized=frozen_array([p[1] for p in history]),
            pnl_marked=frozen_array([p[2] for p in history]),
            risk=RiskView(risk.state, risk.reason, len(self._open_trades), self.config.risk.max_open_trades,
                          risk.daily_pnl, risk.daily_loss_limit, self.config.risk.max_notional_per_trade),
            threshold_bps=self.threshold_bps, min_score=self.min_score, last_error=self.last_error,
            venue_health=frozen_mapping(self._venue_health(now)), recording=self.recorder.view(),
            replay=self._replay_view(now),
        )

    def _replay_view(self, now: float) -> ReplayView | None:
        feed = self.feed
        if self.market != "replay" or feed is None:
            return None
        loop = self.clock.loop
        return ReplayView(path=self.replay_path, start=feed.reader.header.start, end=feed.end_time,
                          position=now, events=feed.delivered, paused=bool(getattr(loop, "paused", False)),
                          speed=self.speed, finished=feed.finished)

    def summary(self, wall_seconds: float) -> dict:
        """Return the headless run's result as a JSON-ready dict (amounts as decimal strings)."""
        def amounts(balances):
            return {v: {a: str(x) for a, x in assets.items()} for v, assets in balances.items()}

        return {
            "market": self.market,
            "seed": self.config.seed,
            "engine_time": self.clock.now(),
            "events": self.events,
            "events_per_second": (self.events - self.started_events) / wall_seconds if wall_seconds > 0 else 0.0,
            "trades": self.trade_count,
            "opportunities": self.opportunity_count,
            "rejections": dict(sorted(self.rejections.items())),
            "realized_pnl": str(self.realized_pnl),
            "fees": str(self.fees_usdt),
            "initial_balances": amounts(self.initial_balances),
            "balances": amounts(self.ledger.balances()),
            "equity_usdt": round(self._equity(), 2),
            "risk": {"state": self.risk.state, "reason": self.risk.reason},
            "books": {
                venue: {symbol: {"bid": _json_float(self.books[(venue, symbol)].best_bid),
                                 "ask": _json_float(self.books[(venue, symbol)].best_ask)}
                        for symbol in self.symbols}
                for venue in self.venues
            },
            "storage_error": self.store.last_error,
            "venues": {venue: _health_json(h) for venue, h in self._venue_health(self.clock.now()).items()},
            **({"opportunity_list": list(self.opportunity_log)} if self.opportunity_log is not None else {}),
            **({"recording": {"path": self.recorder.last_path, "error": self.recorder.last_error}}
               if self.recorder.last_path else {}),
        }


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else value


def _health_json(h: VenueHealthView) -> dict:
    def number(value: float) -> float | None:
        return None if math.isnan(value) else round(value, 3)

    return {"state": h.state, "age_ms": number(h.age_ms), "latency_ms": number(h.latency_ms),
            "rest_rtt_ms": number(h.rest_rtt_ms), "messages_per_s": round(h.messages_per_s, 2),
            "reconnects": h.reconnects, "last_error": h.last_error, "errors": dict(h.errors)}


def _opportunity_view(d: Decision) -> OpportunityView:
    return OpportunityView(d.opportunity_id, d.time, d.symbol, d.buy_venue, d.sell_venue, d.net_bps,
                           d.quantity, d.buy_vwap, d.sell_vwap, d.score, frozen_mapping(d.parts),
                           "taken" if d.accepted else "rejected", d.detail if not d.accepted else "")


def _decision_view(d: Decision) -> DecisionView:
    return DecisionView(d.time, d.symbol, d.buy_venue, d.sell_venue, d.accepted, d.detail)


def _trade_view(t: Trade) -> TradeView:
    matched = t.matched_quantity
    buy, sell = t.average_price(BUY), t.average_price(SELL)
    # Realized net of fees and unwinds, in bps of the matched buy notional: comparable to expected_bps.
    realized_bps = float(t.realized_pnl / (buy * matched) * 10_000) if buy and matched else math.nan
    return TradeView(t.trade_id, t.opened_at, t.symbol, t.buy_venue, t.sell_venue, matched, buy, sell,
                     t.fees_in_quote, t.realized_pnl, str(t.state), t.expected_bps, realized_bps)
