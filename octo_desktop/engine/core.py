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
from octo_desktop.advisor.base import Advisor, Consultation
from octo_desktop.advisor.rule import RuleAdvisor
from octo_desktop.domain import signals
from octo_desktop.domain.advice import (
    WAIT, AdviceRecord, OpportunityBrief, OutcomeBrief, VenueBrief, apply_advice,
)
from octo_desktop.domain.orderflow import FlowReading, TradeFlow, aggregate_direction
from octo_desktop.domain.spoofing import (SpoofDetector, SpoofEvent, capped_quantity_within, capped_vwap,
                                          changed_sides)
from octo_desktop.domain.volatility import RealisedVolatility, adaptive_threshold_bps
from octo_desktop.domain.book import BookError, CrossedBook, OrderBook, SequenceGap
from octo_desktop.domain.commands import (
    Command, ControlReplay, Halt, Resume, SaveSetting, SetMinScore, SetThreshold, StartRecording, StopRecording,
)
from octo_desktop.domain.attribution import Attribution, attribute, decay_bps
from octo_desktop.domain.fills import (
    IOC_LIMIT, MARKET, POST_ONLY, OrderRequest, OrderResult, OrderTypePolicy, choose_order_type, floor_to_lot,
    post_only_price,
)
from octo_desktop.domain.latency import LatencyWindow, TimeoutPolicy, adaptive_timeout_s
from octo_desktop.domain.ledger import InsufficientBalance, Ledger
from octo_desktop.domain.model import (
    BUY, DOWN, HEDGE_PURPOSES, REPLAY, SELL, SIMULATED, STALE_STATE, USABLE_STATES, BookUpdate, Decision,
    FeedStatus, MarketRules, MarketTrade, RollbackStep, Trade, TradeState,
)
from octo_desktop.domain.risk import HALTED, IllegalTransition, RiskEngine, TradeProposal
from octo_desktop.domain.snapshot import (
    DEGRADED, LIVE, STALE, WAITING, AdvisorView, BookView, DecisionView, FlowView, OpportunityView, ReplayView,
    RiskEventView, RiskView, Snapshot, SpoofEventView, SpreadMatrixView, SymbolSignalsView, TradeView,
    VenueHealthView, frozen_array, frozen_mapping,
)
from octo_desktop.domain.spread import net_spread_matrices
from octo_desktop.engine.advising import AdvisorBusy, AdvisorDesk, DayTotals
from octo_desktop.engine.recorder import Recorder
from octo_desktop.engine.trader import ArbitragePlan, JournalError, LegPlan, RollbackPolicy, TradeRun
from octo_desktop.storage import StorageError
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
RECOVERY_WAIT_S = 30.0  # engine seconds a recovered trade waits for its venues' books
RISK_EVENTS = 200
ADVICE_LOG = 200
SPOOF_LOG = 100
RATE_WINDOW_S = 5.0  # engine seconds over which messages per second are measured
PRIOR_LEGS = 5


@dataclass
class _Episode:
    """A pair above the threshold, from the moment it crosses until it falls back."""

    opportunity_id: int
    started: float
    last_reason: str | None = None
    in_flight: bool = False
    advising: bool = False  # a remote advisor is thinking about it
    advice: Consultation | None = None  # an answer not yet acted on
    advice_note: str = ""  # why the rule advisor answered instead, if it did
    advice_id: int | None = None  # the AI log record of ``advice``
    act_at: float = -math.inf  # engine time from which ``advice`` may be acted on
    wait_until: float = -math.inf  # after WAIT: ask again from then
    skipped: bool = False  # the advisor said SKIP: not asked again in this episode


class _SymbolState:
    """Per-symbol detector state: each venue's VWAPs at size (cached by book version), as lists.

    For 8 venues a plain-Python pass over cost and proceeds is several times faster than numpy
    (measured); the numpy matrix is built only when a snapshot is published.
    """

    def __init__(self, n: int) -> None:
        self.buy_vwap = [math.nan] * n
        self.sell_vwap = [math.nan] * n
        self.caps_versions = [-1] * n  # the spoof detector's caps version the VWAPs were built with
        self.discounted = [False] * n  # suspect depth was discounted in this venue's VWAPs
        self.cost = [math.nan] * n  # buy VWAP * (1 + taker fee)
        self.proceeds = [math.nan] * n  # sell VWAP * (1 - taker fee)
        self.versions = [-1] * n
        self.usable = [False] * n
        self.quantity = 0.0
        self.books: list[OrderBook] = []  # the symbol's book on each venue, in venue order
        self.detectors: list[SpoofDetector] = []  # and each book's spoof detector


class _VenueStats:
    """Observed execution quality of one venue: fill ratio and latency of recent legs."""

    def __init__(self, prior_latency_ms: float, prior_p95_ms: float, window: int) -> None:
        self.fill_ratios: deque[float] = deque(maxlen=VENUE_STATS_WINDOW)
        self.latencies = LatencyWindow(window)  # measured order latencies: the adaptive timeout's input
        self.prior_latency_ms = prior_latency_ms
        self.prior_p95_ms = prior_p95_ms

    @property
    def latencies_ms(self) -> deque[float]:
        return self.latencies.samples

    @property
    def p95_ms(self) -> float:
        """The p95 of recent order latencies, or the configured p95 until a few legs were measured."""
        if len(self.latencies) < PRIOR_LEGS:
            return self.prior_p95_ms
        return self.latencies.p95_ms()

    @property
    def fill_ratio(self) -> float:
        return (sum(self.fill_ratios) + PRIOR_LEGS) / (len(self.fill_ratios) + PRIOR_LEGS)

    @property
    def median_latency_ms(self) -> float:
        if len(self.latencies) < PRIOR_LEGS:
            return self.prior_latency_ms
        return self.latencies.median_ms()


class Engine:
    """Apply market events, find and score opportunities, trade them on paper, publish snapshots."""

    def __init__(self, config: Config, clock, store, state, *, market: str, speed: str,
                 publish: Callable[[Snapshot], None], recorder: Recorder | None = None,
                 log_opportunities: bool = False, advisor: Advisor | None = None) -> None:
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
        strategy = config.strategy
        self._flows = {key: TradeFlow(strategy.flow_window_s) for key in self.books}
        self._volatility = {s: RealisedVolatility(strategy.vol_window_s, strategy.vol_sample_s) for s in self.symbols}
        self._spoof = {key: SpoofDetector(key[0], key[1], config.spoofing) for key in self.books}
        for symbol, st in self._symbol_state.items():  # the detector pass reads them by venue index
            st.books = [self.books[(v, symbol)] for v in self.venues]
            st.detectors = [self._spoof[(v, symbol)] for v in self.venues]
        self._flow_cache: dict[tuple[str, str], tuple[float, int, FlowReading]] = {}
        self._signals_cache: tuple[float, object] | None = None
        self._spoof_events: deque[SpoofEventView] = deque((SpoofEventView(*e) for e in state.spoof_events),
                                                          maxlen=SPOOF_LOG)
        self.spoof_count = 0  # detected in this run
        self._venue_stats = {v: _VenueStats(config.venues[v].latency_ms_median, config.venues[v].latency_ms_p95,
                                            config.execution.latency_window) for v in self.venues}
        ex = config.execution
        self._order_policy = OrderTypePolicy(ex.market_min_urgency, ex.market_max_latency_ms,
                                             ex.post_only_max_urgency, ex.post_only_min_latency_ms,
                                             ex.post_only_min_spread_bps)
        self._rollback_policy = RollbackPolicy(ex.retry_widen_bps, ex.reroute_max_bps, ex.reroute_venues)
        self._timeout_policy = TimeoutPolicy(ex.timeout_factor, ex.timeout_min_s, ex.timeout_max_s)
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
        # The minimum net spread per symbol: the base above, raised by realised volatility.
        self._thresholds = {s: self.threshold_bps for s in self.symbols}

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
        self.trade_states: Counter[str] = Counter(state.trade_states)  # closed trades by final state
        self.opportunity_count = state.opportunity_count
        self.rejections: Counter[str] = Counter(state.rejections)
        self._next_trade_id = state.next_trade_id
        self._next_opportunity_id = state.next_opportunity_id
        self._saved_holds: dict | None = None
        self.risk = RiskEngine(config.risk, day_start_equity=self._initial_equity_at(self._marks),
                               realized_total=self.realized_pnl, now=now)
        self._risk_events: deque[RiskEventView] = deque(
            (RiskEventView(*event) for event in state.risk_events), maxlen=RISK_EVENTS)
        self.attribution: Attribution = state.attribution

        # Views of closed trades and past decisions never change: build each once, not per snapshot.
        self._recent_trades: deque[TradeView] = deque(map(_trade_view, state.recent_trades),
                                                      maxlen=RECENT_TRADES)
        self._decisions: deque[DecisionView] = deque(map(_decision_view, state.recent_decisions),
                                                     maxlen=RECENT_DECISIONS)
        self._opportunities: deque[OpportunityView] = deque(maxlen=RECENT_OPPORTUNITIES)
        # The advisor and the AI log.
        self._advice_log: deque[AdviceRecord] = deque(state.advice, maxlen=ADVICE_LOG)
        self._advice_open: dict[int, AdviceRecord] = {}  # records whose trade has not closed yet
        self._advice_by_trade: dict[int, int] = {}  # open trade id -> the advice that opened it
        for record in state.advice:
            if record.trade_id is not None and not record.outcome:
                self._advice_open[record.advice_id] = record
                self._advice_by_trade[record.trade_id] = record.advice_id
        self._next_advice_id = state.next_advice_id
        self._recent_outcomes: deque[OutcomeBrief] = deque(
            (r.outcome_brief() for r in state.advice if r.outcome), maxlen=config.advisor.recent_outcomes)
        self.advice_verdicts: Counter[str] = Counter()
        self.advice_fallbacks: Counter[str] = Counter()  # why the rule advisor stood in, this run
        self.desk = AdvisorDesk(advisor if advisor is not None else RuleAdvisor(), config.advisor, clock,
                                days=state.advisor_days, on_answer=self._advised, on_spend=self._advisor_spend)
        holds = settings.get("risk_holds")
        if isinstance(holds, dict):
            self._risk_changed(self.risk.restore_holds(holds, now), persist=False)
        elif settings.get("halted"):  # written by versions before the risk engine's holds
            self._risk_changed([self.risk.kill(str(settings.get("halt_reason") or "kill switch"), now)])
        self._pnl_history: deque[tuple[float, float, float]] = deque(
            ((t, realized, marked) for t, _equity, realized, marked in state.equity_history),
            maxlen=HISTORY_POINTS)
        self._open_trades: dict[int, Trade] = {}
        self._busy: set[tuple[str, str]] = set()  # (symbol, venue) with a leg in flight
        # Trades found open at start (a crash, or a stop mid-trade): finished by ``recover_open_trades``.
        self._to_recover = [(trade, state.journal.get(trade.trade_id, ())) for trade in state.open_trades]
        for trade, _journal in self._to_recover:
            self._open_trades[trade.trade_id] = trade
            self._busy.update({(trade.symbol, trade.buy_venue), (trade.symbol, trade.sell_venue)})
        self.recovered: list[dict] = []  # what recovery did, for the summary and the GUI
        self._stalled: set[int] = set()  # trades stopped by a journal failure, finished on resume
        self._episodes: dict[tuple[str, int, int], _Episode] = {}
        self._tasks: set[asyncio.Task] = set()
        self._dirty: dict[str, None] = {}  # insertion-ordered, so evaluation order is reproducible
        self._scheduled = False
        self._accepting = True
        self.state = "running"
        self.last_error = ""
        # Optional observers (the CLI's --stream): called after a fill is journaled / a trade closed.
        self.fill_listener: Callable[[OrderResult], None] | None = None
        self.trade_listener: Callable[[Trade], None] | None = None
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
            if book.is_valid:
                detector = self._spoof[key]
                spoofs = detector.on_book(book, event.received_time, event.is_snapshot,
                                          changed_sides(event.bids, event.asks))
                if spoofs:
                    self._on_spoofs(spoofs)
            latency = (event.received_time - event.exchange_time) * 1000.0
            self._latency_ms[key] = latency
            if not math.isnan(latency):
                self._last_exchange_latency[event.venue] = latency
        elif isinstance(event, MarketTrade):
            flow = self._flows.get(key)
            if flow is not None:
                flow.add(event.received_time, event.side, event.price, event.quantity)
                self._spoof[key].on_trade(event.side, event.price, event.quantity)
        if self.execution is not None:
            self.execution.on_market_event(event)
        self._mark_dirty(event.symbol)

    def _on_spoofs(self, events: list[SpoofEvent]) -> None:
        for event in events:
            self.spoof_count += 1
            self._spoof_events.appendleft(SpoofEventView(event.time, event.venue, event.symbol, event.side,
                                                         event.price, event.size, event.lifetime_s, event.traded,
                                                         event.distance_bps))
            self.store.record_spoof_event(event)

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
        detectors = st.detectors
        for i, book in enumerate(st.books):
            usable = book.is_valid and book.received_time >= fresh_after
            st.usable[i] = usable
            if not usable:
                continue
            detector = detectors[i]
            if st.versions[i] != book.version or st.caps_versions[i] != detector.caps_version:
                st.versions[i] = book.version
                caps = detector.caps(now)
                st.caps_versions[i] = detector.caps_version
                if caps[0] or caps[1]:
                    # Fake-liquidity filter: suspect levels count only their discounted size.
                    buy, bought = capped_vwap(book, BUY, quantity, caps)
                    sell, sold = capped_vwap(book, SELL, quantity, caps)
                    st.discounted[i] = True
                else:
                    buy, bought = book.vwap(BUY, quantity)
                    sell, sold = book.vwap(SELL, quantity)
                    st.discounted[i] = False
                full = quantity * 0.999999
                st.buy_vwap[i] = buy = buy if bought >= full else math.nan
                st.sell_vwap[i] = sell = sell if sold >= full else math.nan
                st.cost[i] = buy * (1.0 + fees[i])
                st.proceeds[i] = sell * (1.0 - fees[i])
            if st.proceeds[i] > best_proceeds:
                best_proceeds, best_seller = st.proceeds[i], i
        active = set()
        threshold_bps = self._thresholds[symbol]
        if best_seller >= 0:
            threshold = threshold_bps / 10_000.0
            ranked = []
            for i in range(len(self.venues)):
                cost = st.cost[i]
                # Quick exit: if even the best seller does not clear the threshold, no pair with i does.
                if not st.usable[i] or not (best_proceeds - cost >= threshold * st.buy_vwap[i]):
                    continue
                for j in range(len(self.venues)):
                    if j != i and st.usable[j]:
                        net = (st.proceeds[j] - cost) / st.buy_vwap[i] * 10_000.0
                        if net >= threshold_bps:
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
                episode = self._episodes[key]
                if not episode.in_flight and not episode.advising:
                    if episode.advice is not None:
                        self._advice_settled(episode, "spread gone before the advice was used")
                    del self._episodes[key]

    def _score(self, symbol: str, buy_book: OrderBook, sell_book: OrderBook, net: float,
               buy_vwap: float, sell_vwap: float, quantity: float, now: float) -> signals.Score:
        strategy = self.config.strategy
        band = strategy.liquidity_band_bps / 10_000.0
        buy_touch, sell_touch = buy_book.best_ask, sell_book.best_bid
        buy_caps = self._spoof[(buy_book.venue, symbol)].caps(now)
        sell_caps = self._spoof[(sell_book.venue, symbol)].caps(now)
        buy_flow = self._flow_reading(buy_book.venue, symbol, now)
        sell_flow = self._flow_reading(sell_book.venue, symbol, now)
        parts = {
            "spread": signals.spread_factor(net, self._thresholds[symbol], strategy.spread_scale_bps),
            "liquidity": signals.liquidity_factor(
                capped_quantity_within(buy_book, BUY, buy_touch * (1 + band), buy_caps),
                capped_quantity_within(sell_book, SELL, sell_touch * (1 - band), sell_caps), quantity),
            "slippage": signals.slippage_factor(signals.slippage_bps(buy_vwap, buy_touch),
                                                signals.slippage_bps(sell_vwap, sell_touch),
                                                strategy.slippage_scale_bps),
            "freshness": signals.freshness_factor(now - buy_book.received_time,
                                                  now - sell_book.received_time, strategy.stale_after_s),
            "order_flow": signals.order_flow_factor(buy_flow.direction, sell_flow.direction,
                                                    self._market_direction(symbol, now)),
            "execution_quality": signals.execution_quality_factor(
                self._venue_quality(buy_book.venue), self._venue_quality(sell_book.venue)),
        }
        return signals.composite_score(parts, strategy.weights)

    def _flow_reading(self, venue: str, symbol: str, now: float) -> FlowReading:
        """Return the venue's order-flow reading (top-N imbalance, CVD, VWAP drift, direction)."""
        key = (venue, symbol)
        book = self.books[key]
        cached = self._flow_cache.get(key)
        if cached is not None and cached[0] == now and cached[1] == book.version:
            return cached[2]
        reading = self._new_flow_reading(venue, symbol, book, now)
        self._flow_cache[key] = (now, book.version, reading)
        return reading

    def _new_flow_reading(self, venue: str, symbol: str, book: OrderBook, now: float) -> FlowReading:
        levels = self.config.strategy.imbalance_levels
        bid_size = ask_size = 0.0
        mid = math.nan
        if book.is_valid:
            bid_size = book.top_size("bid", levels)
            ask_size = book.top_size("ask", levels)
            mid = book.mid
        return self._flows[(venue, symbol)].reading(now, bid_size, ask_size, mid,
                                                    self.config.strategy.drift_scale_bps)

    def _market_direction(self, symbol: str, now: float) -> float:
        """Return the aggregate short-horizon direction of ``symbol`` across its usable venues."""
        st = self._symbol_state[symbol]
        return aggregate_direction(self._flow_reading(v, symbol, now)
                                   for i, v in enumerate(self.venues) if st.usable[i])

    def _venue_quality(self, venue: str) -> float:
        stats = self._venue_stats[venue]
        return signals.venue_quality(stats.fill_ratio, stats.median_latency_ms,
                                     self.config.strategy.latency_scale_ms)

    def _consider(self, episode: _Episode, symbol: str, i: int, j: int, net: float, now: float) -> None:
        if episode.in_flight or episode.advising or episode.skipped or not self._accepting:
            return
        if now < episode.wait_until or now < episode.act_at:
            return  # the advisor said WAIT, or its answer lands after its latency (virtual time)
        buy_venue, sell_venue = self.venues[i], self.venues[j]
        if (symbol, buy_venue) in self._busy or (symbol, sell_venue) in self._busy:
            return  # a leg is already working on one of these books; look again after it lands
        st = self._symbol_state[symbol]
        buy_book, sell_book = self.books[(buy_venue, symbol)], self.books[(sell_venue, symbol)]
        buy_vwap, sell_vwap = st.buy_vwap[i], st.sell_vwap[j]

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
        minimum = max(buy_spec.min_notional, sell_spec.min_notional)

        # A first risk check, then the signals: an opportunity risk would refuse is not worth scoring
        # (the score is still computed for the decision log when the outcome changes) or asking about.
        reason, detail = self._refusal(symbol, buy_venue, sell_venue, notional, now)
        if reason and reason == episode.last_reason:
            return  # the same refusal as last time: nothing new to log or do
        score = self._score(symbol, buy_book, sell_book, net, buy_vwap, sell_vwap, st.quantity, now)
        if not reason and score.value < self.min_score:
            reason, detail = "score", f"score {score.value:.2f} below the minimum {self.min_score:.2f}"
        if not reason and (quantity <= 0 or notional < minimum):
            short = QUOTE_ASSET if max_by_quote <= min(max_by_base, max_by_risk) else base
            short_venue = buy_venue if short == QUOTE_ASSET else sell_venue
            reason, detail = "balance", (f"insufficient {short} on {short_venue}: size "
                                         f"{quantity} {base} is under the minimum notional {minimum}")
        advice_text = ""
        if not reason:
            # The advisor: after the signals, before risk, which has the last word.
            if episode.advice is None:
                brief = self._brief(symbol, i, j, net, float(quantity), float(notional), score, now,
                                    episode.opportunity_id)
                try:
                    answer = self.desk.consult((symbol, i, j, episode.opportunity_id, brief), brief)
                except AdvisorBusy:
                    return  # every call slot is taken: it waits for a free one, nothing is decided meanwhile
                if answer is None:
                    episode.advising = True  # the answer arrives through _advised
                    return
                self._take_advice(episode, brief, *answer, now)
                if now < episode.act_at:
                    return
            consultation = episode.advice
            advice = consultation.advice
            applied = apply_advice(advice, quantity, buy_limit)
            who = consultation.advisor + (" (fallback)" if episode.advice_note else "")
            advice_text = f"{who} {advice.verdict} {advice.confidence:.2f}: {advice.reason}"
            if not applied.proceed:
                reason, detail = applied.reason, advice_text
                if advice.verdict == WAIT:
                    episode.wait_until = now + self.config.advisor.wait_s
                    self._advice_settled(episode, "not traded (wait)")
                else:
                    episode.skipped = True
                    self._advice_settled(episode, "not traded (skip)")
            else:
                if applied.quantity < quantity:
                    quantity = floor_to_lot(applied.quantity, lot)
                    notional = quantity * Decimal(repr(buy_vwap))
                    advice_text += f" [{applied.reason}]"
                # Risk has the last word, on the final size.
                reason, detail = self._refusal(symbol, buy_venue, sell_venue, notional, now)
                if not reason and (quantity <= 0 or notional < minimum):
                    reason, detail = "balance", (f"the advisor's size cap leaves {quantity} {base}, under the "
                                                 f"minimum notional {minimum}")
                if reason:
                    self._advice_settled(episode, f"refused by {reason}")
        accepted = not reason
        if accepted:
            key = ("trade", self._next_trade_id)
            try:
                self.ledger.reserve(key, buy_venue, QUOTE_ASSET, quantity * Decimal(repr(buy_limit)))
                self.ledger.reserve(key, sell_venue, base, quantity)
            except InsufficientBalance as exc:
                self.ledger.release(key)
                accepted, reason, detail = False, "balance", str(exc)
                self._advice_settled(episode, "refused by balance")
        if accepted:
            detail = (f"buy {quantity} {base} on {buy_venue}, sell on {sell_venue}: net {net:.1f} bps, "
                      f"score {score.value:.2f}; {advice_text}")
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

    def _refusal(self, symbol: str, buy_venue: str, sell_venue: str, notional: Decimal,
                 now: float) -> tuple[str, str]:
        rejection = self.risk.check(TradeProposal(symbol, buy_venue, sell_venue, notional, len(self._open_trades),
                                                  self._open_notional_by_venue()), now)
        if rejection is not None:
            return rejection.rule, rejection.detail
        if not self.store.healthy:
            return "storage", f"the journal cannot be written: {self.store.last_error}"
        return "", ""

    # --- the advisor ----------------------------------------------------------------------------
    def _brief(self, symbol: str, i: int, j: int, net: float, quantity: float, notional: float,
               score: signals.Score, now: float, opportunity_id: int) -> OpportunityBrief:
        st = self._symbol_state[symbol]

        def venue_brief(index: int) -> VenueBrief:
            venue = self.venues[index]
            flow = self._flow_reading(venue, symbol, now)
            return VenueBrief(venue=venue, state=self._venue_state.get(venue, "live"),
                              latency_p95_ms=self.latency_p95_ms(venue),
                              fill_ratio=self._venue_stats[venue].fill_ratio,
                              book_imbalance=flow.book_imbalance, trade_flow=flow.trade_flow,
                              vwap_drift_bps=flow.vwap_drift_bps, direction=flow.direction,
                              spoof_events=self._spoof[(venue, symbol)].recent_events(now),
                              discounted_depth=st.discounted[index])

        return OpportunityBrief(
            opportunity_id=opportunity_id, time=now, symbol=symbol, buy_venue=self.venues[i],
            sell_venue=self.venues[j], net_bps=net, threshold_bps=self._thresholds[symbol], quantity=quantity,
            notional_usdt=notional, score=score.value, parts=score.parts, buy=venue_brief(i), sell=venue_brief(j),
            volatility_bps=self._volatility[symbol].volatility_bps(),
            market_direction=self._market_direction(symbol, now), recent=tuple(self._recent_outcomes))

    def _advised(self, token, consultation: Consultation, note: str) -> None:
        """Take a remote advisor's answer (or its fallback) on the loop; re-evaluate the opportunity."""
        symbol, i, j, opportunity_id, brief = token
        now = self.clock.now()
        episode = self._episodes.get((symbol, i, j))
        if episode is None or episode.opportunity_id != opportunity_id or not self._accepting:
            episode = _Episode(opportunity_id, now)  # gone meanwhile: log the answer, use it for nothing
            self._take_advice(episode, brief, consultation, note, now)
            self._advice_settled(episode, "opportunity gone before the answer")
            self._ask_waiting()
            return
        episode.advising = False
        self._take_advice(episode, brief, consultation, note, now)
        if now < episode.act_at:
            self.clock.call_later(episode.act_at - now, self._mark_dirty, symbol)
        self._mark_dirty(symbol)
        self._ask_waiting()

    def _ask_waiting(self) -> None:
        # A call slot just freed: look again at the opportunities that waited for one.
        for key, episode in self._episodes.items():
            if episode.advice is None and not episode.advising and not episode.in_flight:
                self._mark_dirty(key[0])

    def _take_advice(self, episode: _Episode, brief: OpportunityBrief, consultation: Consultation, note: str,
                     now: float) -> None:
        advice = consultation.advice
        record = AdviceRecord(
            advice_id=self._next_advice_id, time=now, opportunity_id=brief.opportunity_id, symbol=brief.symbol,
            buy_venue=brief.buy_venue, sell_venue=brief.sell_venue, net_bps=brief.net_bps,
            advisor=consultation.advisor, model=consultation.model, verdict=advice.verdict,
            confidence=advice.confidence, reason=advice.reason, size_cap_usdt=advice.size_cap_usdt,
            latency_ms=consultation.latency_ms, tokens_in=consultation.tokens_in,
            tokens_out=consultation.tokens_out, cost_usd=consultation.cost_usd, fallback=note)
        self._next_advice_id += 1
        self.advice_verdicts[advice.verdict] += 1
        if note:
            self.advice_fallbacks[note.split(":")[0]] += 1
        self._advice_log.appendleft(record)
        self._advice_open[record.advice_id] = record
        self.store.record_advice(record)
        episode.advice, episode.advice_note, episode.advice_id = consultation, note, record.advice_id
        # In virtual time the engine's clock stood still while a remote advisor thought: the advice
        # takes effect after the call's real latency, as it would have in real time.
        remote = self.desk.primary.is_remote and not note
        episode.act_at = now + consultation.latency_ms / 1000.0 if remote and self.clock.is_virtual else now

    def _update_advice(self, advice_id: int | None, **changes) -> AdviceRecord | None:
        record = self._advice_open.get(advice_id) if advice_id is not None else None
        if record is None:
            return None
        updated = replace(record, **changes)
        for index, old in enumerate(self._advice_log):
            if old.advice_id == advice_id:
                self._advice_log[index] = updated
                break
        if updated.outcome:  # final: it joins the outcomes the next prompts learn from
            self._advice_open.pop(advice_id, None)
            self._recent_outcomes.appendleft(updated.outcome_brief())
        else:
            self._advice_open[advice_id] = updated
        self.store.record_advice(updated)
        return updated

    def _advice_settled(self, episode: _Episode, outcome: str) -> None:
        """Close the AI log record of an advice that did not lead to a trade."""
        self._update_advice(episode.advice_id, outcome=outcome)
        episode.advice, episode.advice_id, episode.advice_note = None, None, ""

    def _advisor_spend(self, day: str, totals: DayTotals) -> None:
        self.store.record_advisor_day(day, totals.calls, totals.tokens_in, totals.tokens_out, totals.cost_usd)

    def _open_notional_by_venue(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for trade in self._open_trades.values():
            price = Decimal(repr(trade.decision_buy_vwap)) if math.isfinite(trade.decision_buy_vwap) else Decimal(0)
            notional = trade.planned_quantity * price
            for venue in (trade.buy_venue, trade.sell_venue):
                totals[venue] = totals.get(venue, Decimal(0)) + notional
        return totals

    def latency_p95_ms(self, venue: str) -> float:
        """Return the venue's p95 order latency: measured legs, else what the executor expects."""
        stats = self._venue_stats[venue]
        if len(stats.latencies) >= PRIOR_LEGS or self.execution is None:
            return stats.p95_ms
        return self.execution.latency_p95_ms(venue)

    def timeout_s(self, venue: str) -> float:
        """Return the venue's adaptive timeout: 2 x p95 latency, clamped (see ``domain.latency``)."""
        return adaptive_timeout_s(self.latency_p95_ms(venue), self._timeout_policy)

    def _leg_plan(self, venue: str, side: str, symbol: str, net_bps: float, protected_limit: float) -> LegPlan:
        book = self.books[(venue, symbol)]
        spread_bps = ((book.best_ask - book.best_bid) / book.mid * 10_000.0) if book.mid > 0 else math.nan
        order_type, why = choose_order_type(self._order_policy, purpose="entry", net_bps=net_bps,
                                            threshold_bps=self._thresholds[symbol],
                                            latency_p95_ms=self.latency_p95_ms(venue),
                                            venue_spread_bps=spread_bps)
        limit: float | None = protected_limit
        if order_type == POST_ONLY:
            limit = post_only_price(side, book.best_bid, book.best_ask, self.config.spec(venue, symbol).tick_size)
            if not math.isfinite(limit):
                order_type, limit, why = IOC_LIMIT, protected_limit, "no touch to rest at: IOC"
        elif order_type == MARKET:
            limit = None
        return LegPlan(venue, side, order_type, limit, protected_limit, why)

    # --- trades ---------------------------------------------------------------------------------
    def _open_trade(self, episode: _Episode, decision: Decision, quantity: Decimal, buy_limit: float,
                    sell_limit: float, now: float) -> None:
        buy = self._leg_plan(decision.buy_venue, BUY, decision.symbol, decision.net_bps, buy_limit)
        sell = self._leg_plan(decision.sell_venue, SELL, decision.symbol, decision.net_bps, sell_limit)
        # The attribution's baseline: the books' VWAPs for the quantity actually traded (the detector's
        # VWAPs are for its nominal size, which balances and limits may have cut).
        buy_vwap, _ = self.books[(decision.buy_venue, decision.symbol)].vwap(BUY, float(quantity))
        sell_vwap, _ = self.books[(decision.sell_venue, decision.symbol)].vwap(SELL, float(quantity))
        trade = Trade(trade_id=self._next_trade_id, opportunity_id=episode.opportunity_id,
                      symbol=decision.symbol, buy_venue=decision.buy_venue,
                      sell_venue=decision.sell_venue, planned_quantity=quantity, opened_at=now,
                      expected_bps=decision.net_bps, buy_order_type=buy.order_type,
                      sell_order_type=sell.order_type, decision_buy_vwap=buy_vwap,
                      decision_sell_vwap=sell_vwap)
        deadline = now + max(self.timeout_s(trade.buy_venue), self.timeout_s(trade.sell_venue))
        self._next_trade_id += 1
        self.trade_count += 1
        payload = {"quantity": format(quantity, "f"), "deadline": deadline, "buy_limit": buy_limit,
                   "sell_limit": sell_limit,
                   "legs": [{"venue": leg.venue, "side": leg.side, "order_type": leg.order_type,
                             "limit": leg.limit_price, "why": leg.why} for leg in (buy, sell)]}
        try:
            self.store.commit_journal(now, trade.trade_id, "opened", payload, trade=trade)
        except StorageError as exc:
            # Nothing was sent: the trade fails as it stands, and risk halts until storage is back.
            self.ledger.release(("trade", trade.trade_id))
            self._advice_settled(episode, "not traded: the journal could not be written")
            self._journal_failed(trade, exc)
            return
        if episode.advice_id is not None:
            self._update_advice(episode.advice_id, trade_id=trade.trade_id)
            self._advice_by_trade[trade.trade_id] = episode.advice_id
            episode.advice, episode.advice_id, episode.advice_note = None, None, ""
        episode.in_flight = True
        self._open_trades[trade.trade_id] = trade
        self._busy.update({(trade.symbol, trade.buy_venue), (trade.symbol, trade.sell_venue)})
        plan = ArbitragePlan(trade, quantity, buy, sell, deadline)
        run = TradeRun(trade, self.execution, self, self.config, self._rollback_policy, deadline=deadline,
                       buy_limit=buy_limit, sell_limit=sell_limit)
        self._spawn(self._run_trade(run, run.run(plan), episode), f"trade-{trade.trade_id}")

    def _spawn(self, coroutine, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    async def _run_trade(self, run: TradeRun, work, episode: _Episode | None) -> None:
        trade_id = run.trade.trade_id
        try:
            closed = await work
        except JournalError as exc:
            # Stopped before acting on an intent that could not be written: the trade stays open
            # (its fills so far are in the ledger), trading halts, and resuming finishes it.
            self._stalled.add(trade_id)
            if episode is not None:
                episode.in_flight = False
            self._journal_failed(run.trade, exc)
            return
        except asyncio.CancelledError:
            # Stopped mid-trade (shutdown): it stays open in the journal and is recovered at next start.
            raise
        self._close_trade(closed, episode)

    def _journal_failed(self, trade: Trade, exc: Exception) -> None:
        self.last_error = f"trade #{trade.trade_id}: {exc}"
        log.error(self.last_error)
        self._halt_for_storage(f"{self._storage_problem() or exc}; the trade journal cannot be written")

    def _storage_problem(self) -> str:
        """Return the store's current write error with the file's name instead of its whole path."""
        error = self.store.last_error
        path = getattr(self.store, "path", None)
        return error.replace(str(path), path.name) if error and path is not None else error

    def _halt_for_storage(self, problem: str) -> None:
        # Whatever failed to be written (a trade's journal or the decisions behind it), the account can
        # no longer be trusted to survive a crash: trading stops until the trader resumes it.
        if self.risk.state != HALTED or not self.risk.reason.startswith("storage"):
            self._risk_changed([self.risk.kill(f"storage: {problem}", self.clock.now())])

    # TradeHooks, called by TradeRun on the runtime thread ------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def is_halted(self) -> bool:
        return self.risk.state == HALTED

    def before_send(self, trade: Trade, requests: list[OrderRequest]) -> None:
        """Journal each order (committed) before it is sent."""
        now = self.clock.now()
        for request in requests:
            payload = {"venue": request.venue, "side": request.side, "quantity": format(request.quantity, "f"),
                       "order_type": request.order_type, "limit": request.limit_price, "purpose": request.purpose,
                       "expires_at": request.expires_at if math.isfinite(request.expires_at) else None}
            try:
                self.store.commit_journal(now, trade.trade_id, "sent", payload, order_id=request.order_id)
            except StorageError as exc:
                raise JournalError(str(exc)) from exc

    def after_result(self, trade: Trade, result: OrderResult) -> Trade:
        """Journal an order's result with its fills (committed), then apply the fills."""
        request = result.request
        current = self._open_trades.get(trade.trade_id, trade)
        if result.fills:
            current = current.with_fills(result.fills)
        if request.purpose == "entry" and math.isfinite(result.arrival_vwap):
            field = "arrival_buy_vwap" if request.side == BUY else "arrival_sell_vwap"
            current = replace(current, **{field: result.arrival_vwap})
        self._open_trades[trade.trade_id] = current
        self.ledger.apply_all(result.fills)
        if request.purpose in HEDGE_PURPOSES and result.status not in ("lost",):
            stats = self._venue_stats[request.venue]
            if result.latency_ms > 0:
                stats.latencies.add(result.latency_ms)
            stats.fill_ratios.append(float(result.filled_quantity / request.quantity))
        payload = {"status": result.status, "filled": format(result.filled_quantity, "f"),
                   "latency_ms": round(result.latency_ms, 3), "reason": result.rejected_reason,
                   "arrival_vwap": result.arrival_vwap if math.isfinite(result.arrival_vwap) else None,
                   "queue_ahead": result.queue_ahead if math.isfinite(result.queue_ahead) else None}
        try:
            self.store.commit_journal(self.clock.now(), trade.trade_id, "done", payload,
                                      order_id=request.order_id, fills=result.fills, trade=current)
        except StorageError as exc:
            raise JournalError(str(exc)) from exc
        if self.fill_listener is not None and result.fills:
            self.fill_listener(result)
        self.maybe_publish()
        return current

    def after_step(self, trade: Trade, step: RollbackStep) -> Trade:
        """Journal a rollback step (committed) and show it."""
        current = self._open_trades.get(trade.trade_id, trade).with_step(step)
        self._open_trades[trade.trade_id] = current
        payload = {"kind": step.kind, "venue": step.venue, "side": step.side, "quantity": format(step.quantity, "f"),
                   "filled": format(step.filled, "f"), "detail": step.detail}
        try:
            self.store.commit_journal(step.time, trade.trade_id, "step", payload, trade=current)
        except StorageError as exc:
            raise JournalError(str(exc)) from exc
        return current

    def alternatives(self, trade: Trade, side: str, quantity: Decimal,
                     exclude: frozenset[str]) -> list[tuple[str, float]]:
        """Return venues that could take the short side now, best price first, with their limits."""
        original = trade.decision_buy_vwap if side == BUY else trade.decision_sell_vwap
        if not math.isfinite(original):
            return []
        bound = original * (1 + self._rollback_policy.reroute_max_bps / 10_000.0) if side == BUY \
            else original * (1 - self._rollback_policy.reroute_max_bps / 10_000.0)
        protection = self.config.strategy.slippage_protection_bps / 10_000.0
        base = trade.symbol.split("/")[0]
        now = self.clock.now()
        options = []
        for venue in self.venues:
            if venue in exclude or venue in self.risk.excluded_venues:
                continue
            book = self.books[(venue, trade.symbol)]
            if self._book_status(book, now) != LIVE:
                continue
            vwap, got = book.vwap(side, float(quantity))
            if got < float(quantity) * 0.999999 or not math.isfinite(vwap):
                continue
            if (side == BUY and vwap > bound) or (side == SELL and vwap < bound):
                continue
            limit = min(vwap * (1 + protection), bound) if side == BUY else max(vwap * (1 - protection), bound)
            need = quantity * Decimal(repr(limit)) if side == BUY else quantity
            have = self.ledger.available(venue, QUOTE_ASSET if side == BUY else base)
            if need > have:
                continue
            options.append((vwap if side == BUY else -vwap, venue, limit))
        options.sort()
        return [(venue, limit) for _, venue, limit in options]

    def _close_trade(self, trade: Trade, episode: _Episode | None) -> None:
        now = self.clock.now()
        try:
            self.store.commit_journal(now, trade.trade_id, "closed", {"state": str(trade.state)}, trade=trade)
        except StorageError as exc:
            self.store.record_trade(trade)  # queued: lands when the disk recovers
            self._journal_failed(trade, exc)
        self._open_trades.pop(trade.trade_id, None)
        self._stalled.discard(trade.trade_id)
        self.ledger.release(("trade", trade.trade_id))
        self._busy.discard((trade.symbol, trade.buy_venue))
        self._busy.discard((trade.symbol, trade.sell_venue))
        if episode is not None:
            episode.in_flight = False
            episode.last_reason = None
        pnl = trade.realized_pnl
        self.realized_pnl += pnl
        self.fees_usdt += trade.fees_in_quote
        self.attribution = self.attribution + attribute(trade)
        failed_legs = sum(1 for side in (BUY, SELL) if trade.quantity(side) < trade.planned_quantity)
        self._risk_changed(self.risk.on_trade_closed(
            now, symbol=trade.symbol, buy_venue=trade.buy_venue, sell_venue=trade.sell_venue, pnl=pnl,
            realized_total=self.realized_pnl, failed_legs=failed_legs))
        self._recent_trades.appendleft(_trade_view(trade))
        self.trade_states[str(trade.state)] += 1
        advice_id = self._advice_by_trade.pop(trade.trade_id, None)
        if advice_id is not None:
            price = trade.decision_buy_vwap if math.isfinite(trade.decision_buy_vwap) else math.nan
            notional = float(trade.planned_quantity) * price
            self._update_advice(advice_id, outcome=str(trade.state), realized_pnl=pnl,
                                realized_bps=float(pnl) / notional * 10_000.0 if notional > 0 else None)
        self.store.record_balances(now, self.ledger.balances())
        text = f"trade #{trade.trade_id} {trade.state}: {pnl:+.4f} {QUOTE_ASSET}"
        if trade.note:
            text += f" ({trade.note})"
        self._decisions.appendleft(DecisionView(now, trade.symbol, trade.buy_venue, trade.sell_venue,
                                                trade.state == TradeState.COMPLETE, text))
        if self.trade_listener is not None:
            self.trade_listener(trade)
        self.maybe_publish(force=True)

    # --- recovery -------------------------------------------------------------------------------
    def start_recovery(self) -> None:
        """Finish, by the rollback rules, every trade found open at start (call on the runtime loop)."""
        to_recover, self._to_recover = self._to_recover, []
        for trade, journal in to_recover:
            self._spawn(self._recover(trade, journal), f"recover-{trade.trade_id}")

    async def _recover(self, trade: Trade, journal) -> None:
        waited = 0.0
        while not all(self._book_status(self.books[(v, trade.symbol)], self.clock.now()) == LIVE
                      for v in (trade.buy_venue, trade.sell_venue)) and waited < RECOVERY_WAIT_S:
            await self.clock.sleep(HOUSEKEEPING_S)
            waited += HOUSEKEEPING_S
        opened = next((e for e in journal if e.kind == "opened"), None)
        sent = {e.order_id: e for e in journal if e.kind == "sent"}
        done = {e.order_id for e in journal if e.kind == "done"}
        pending = []
        for order_id, entry in sent.items():
            if order_id in done:
                continue
            p = entry.payload
            pending.append(OrderRequest(trade.trade_id, p["venue"], trade.symbol, p["side"], Decimal(p["quantity"]),
                                        p["order_type"], p.get("limit"), p.get("purpose", "entry"), order_id))
        numbers = [int(order_id.rsplit("-", 1)[1]) for order_id in sent if order_id.rsplit("-", 1)[-1].isdigit()]
        limits = (opened.payload.get("buy_limit"), opened.payload.get("sell_limit")) if opened else (None, None)
        buy_limit = float(limits[0]) if limits[0] is not None else trade.decision_buy_vwap
        sell_limit = float(limits[1]) if limits[1] is not None else trade.decision_sell_vwap
        now = self.clock.now()
        deadline = now + max(self.timeout_s(trade.buy_venue), self.timeout_s(trade.sell_venue))
        run = TradeRun(trade, self.execution, self, self.config, self._rollback_policy, deadline=deadline,
                       buy_limit=buy_limit, sell_limit=sell_limit, next_order=max(numbers, default=0) + 1)
        before = (trade.quantity(BUY), trade.quantity(SELL))
        unwinding = any(entry.payload.get("purpose") == "unwind" for entry in sent.values())
        await self._run_trade(run, run.recover(pending, unwinding=unwinding), None)
        closed = self._recent_trades[0] if self._recent_trades and self._recent_trades[0].trade_id == trade.trade_id \
            else None
        report = {"trade_id": trade.trade_id, "symbol": trade.symbol, "route": f"{trade.buy_venue}->{trade.sell_venue}",
                  "bought_before": format(before[0], "f"), "sold_before": format(before[1], "f"),
                  "orders_unanswered": len(pending),
                  "state": closed.state if closed is not None else "open",
                  "realized_pnl": format(closed.realized_pnl, "f") if closed is not None else None}
        self.recovered.append(report)
        self._note(f"recovered trade #{trade.trade_id} ({trade.symbol} {trade.buy_venue}->{trade.sell_venue}): "
                   f"bought {before[0]}, sold {before[1]} before the restart, {len(pending)} unanswered order(s); "
                   f"now {report['state']}")

    # --- risk -----------------------------------------------------------------------------------
    def _risk_changed(self, transitions, persist: bool = True) -> None:
        """Log, show and persist risk transitions (and the holds behind them)."""
        transitions = [t for t in transitions if t is not None]
        for t in transitions:
            self._risk_events.appendleft(RiskEventView(t.time, t.from_state, t.to_state, t.trigger, t.reason))
            self.store.record_risk_event(t.time, t.from_state, t.to_state, t.trigger, t.reason)
            self._note(f"risk {t.from_state} -> {t.to_state} ({t.trigger}): {t.reason}")
            log.info("risk %s -> %s (%s): %s", t.from_state, t.to_state, t.trigger, t.reason)
        holds = self.risk.export_holds()
        if persist and holds != self._saved_holds:  # some holds change without a visible transition
            self.store.save_setting("risk_holds", holds)
        self._saved_holds = holds

    def _risk_note(self, message: str | None) -> None:
        if message:
            now = self.clock.now()
            state = self.risk.state
            self._risk_events.appendleft(RiskEventView(now, state, state, "venue health", message))
            self.store.record_risk_event(now, state, state, "venue health", message)
            self._note(message)

    def _exposure_usdt(self) -> dict[str, Decimal]:
        totals = self.ledger.totals()
        initial: dict[str, Decimal] = {}
        for assets in self.initial_balances.values():
            for asset, amount in assets.items():
                initial[asset] = initial.get(asset, Decimal(0)) + amount
        exposure = {}
        for asset in set(totals) | set(initial):
            if asset == QUOTE_ASSET:
                continue
            mark = self._marks.get(asset)
            if mark is None or not math.isfinite(mark):
                continue
            net = totals.get(asset, Decimal(0)) - initial.get(asset, Decimal(0))
            exposure[asset] = (net * Decimal(repr(mark))).quantize(Decimal("0.01"))
        return exposure

    def _update_risk(self, now: float) -> None:
        risk = self.risk
        self._risk_changed(risk.on_clock(now, self.realized_pnl, Decimal(repr(self._equity())).quantize(Decimal("0.01"))))
        self._risk_changed(risk.on_exposure(now, self._exposure_usdt()))
        health = self._venue_health(now)
        for venue in self.venues:
            stats = self._venue_stats[venue]
            state = health[venue].state
            if self.market == "live" and self.execution is not None:
                # An order's round trip is learned from the connection: the REST round trip when
                # measured, else twice the one-way exchange-to-us latency of the newest book update.
                rtt = health[venue].rest_rtt_ms
                one_way = health[venue].latency_ms
                measured = rtt if math.isfinite(rtt) else 2.0 * one_way
                if math.isfinite(measured) and measured > 0:
                    self.execution.observe_latency(venue, measured)
            fill_ratio = stats.fill_ratio
            self._risk_note(risk.set_venue_health(
                venue, usable=state in USABLE_STATES, latency_p95_ms=self.latency_p95_ms(venue),
                fill_ratio=fill_ratio, detail=f"feed {state}" if state not in USABLE_STATES else ""))

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.last_error = f"{task.get_name()} failed: {task.exception()!r}"
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    # --- commands and housekeeping -------------------------------------------------------------
    def handle(self, command: Command) -> None:
        """Apply one command from the GUI or the CLI."""
        if isinstance(command, Halt):
            now = self.clock.now()
            self._risk_changed([self.risk.kill(command.reason or "kill switch", now)])
            self.store.save_setting("halted", True)
            cancelled = self.execution.cancel_all("kill switch") if self.execution is not None else 0
            in_flight = len(self._open_trades)
            result = (f"HALTED: {self.risk.reason}; {cancelled} resting order(s) cancelled, "
                      f"{in_flight} trade(s) in flight unwinding")
            self._note(result)
            if command.control_id is not None:
                self.store.mark_control(command.control_id, now, result)
        elif isinstance(command, Resume):
            now = self.clock.now()
            try:
                self._risk_changed([self.risk.resume(now)])
                result = f"resumed: {self.risk.state}" + (f" ({self.risk.reason})" if self.risk.reason else "")
                self.store.save_setting("halted", False)
            except IllegalTransition as exc:
                result = f"resume refused: {exc}"
            self._note(result)
            if command.control_id is not None:
                self.store.mark_control(command.control_id, now, result)
            for trade_id in sorted(self._stalled):  # trades a journal failure stopped: finish them now
                trade = self._open_trades.get(trade_id)
                if trade is not None and self.store.healthy:
                    self._stalled.discard(trade_id)
                    self._to_recover.append((trade, ()))
            if self._to_recover:
                self.start_recovery()
        elif isinstance(command, SetThreshold):
            self.threshold_bps = float(command.threshold_bps)
            self.store.save_setting("threshold_bps", self.threshold_bps)
            self._update_thresholds()
            self._note(f"base threshold set to {self.threshold_bps:.1f} bps")
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
            self._sample_volatility(now)
            self._sample_rates(now)
            self._update_risk(now)
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
                self._halt_for_storage(self._storage_problem())
            self.maybe_publish()

    def _sample_volatility(self, now: float) -> None:
        changed = False
        for symbol, volatility in self._volatility.items():
            if volatility.is_due(now):
                st = self._symbol_state[symbol]
                mids = sorted(self.books[(v, symbol)].mid for i, v in enumerate(self.venues) if st.usable[i])
                volatility.sample(now, mids[len(mids) // 2] if mids else math.nan)
                changed = True
        if changed:
            self._update_thresholds()

    def _update_thresholds(self) -> None:
        """Set each symbol's minimum net spread from the base and its realised volatility."""
        strategy = self.config.strategy
        for symbol, volatility in self._volatility.items():
            self._thresholds[symbol] = adaptive_threshold_bps(self.threshold_bps, strategy.vol_multiplier,
                                                              volatility.volatility_bps(),
                                                              max(strategy.threshold_max_bps, self.threshold_bps))

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
        loop = self.clock.loop
        if self._tasks and hasattr(loop, "set_speed"):
            # Virtual time: trades in flight land as fast as the CPU allows, so that a paused replay or a
            # run slower than real time still stops within the drain's wall time; what they do is the same.
            loop.set_paused(False)
            loop.set_speed(None)
        if self._tasks:
            done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        self.store.record_clock(self.clock.now())
        self.recorder.close()
        self.desk.close()
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
        states = self._symbol_state
        if states:  # every symbol's matrix in one vectorised pass; each view is a read-only slice of it
            every = net_spread_matrices(np.array([st.buy_vwap for st in states.values()]),
                                        np.array([st.sell_vwap for st in states.values()]), self._taker_fees,
                                        np.array([st.usable for st in states.values()], dtype=bool))
            every.flags.writeable = False
            for index, (symbol, st) in enumerate(states.items()):
                matrices[symbol] = SpreadMatrixView(symbol, self.venues, every[index],
                                                    tuple(not u for u in st.usable), st.quantity)
        balances = {venue: frozen_mapping(assets) for venue, assets in self.ledger.balances().items()}
        equity = self._equity()
        initial = float(self._initial_equity_at(self._marks))
        history = self._pnl_history
        risk = self.risk
        state = self.state
        if state == "running" and risk.state == HALTED:
            state = "halted"
        elif state == "running" and risk.state != "ACTIVE":
            state = risk.state.lower()
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
            risk=self._risk_view(now),
            threshold_bps=self.threshold_bps, min_score=self.min_score, last_error=self.last_error,
            venue_health=frozen_mapping(self._venue_health(now)), recording=self.recorder.view(),
            replay=self._replay_view(now),
            signals=self._signals_view(now),
            spoof_events=tuple(self._spoof_events),
            spoof_count=self.spoof_count,
            advisor=self._advisor_view(),
        )

    def _signals_view(self, now: float):
        # Order flow is shown, not traded on, from here: four refreshes per engine second are enough
        # to read, and spare the 20 Hz snapshot 24 readings of the books each time.
        cached = self._signals_cache
        if cached is None or not 0.0 <= now - cached[0] < HOUSEKEEPING_S:
            self._signals_cache = cached = (now, frozen_mapping(self._signals_views(now)))
        return cached[1]

    def _signals_views(self, now: float) -> dict[str, SymbolSignalsView]:
        views = {}
        for symbol in self.symbols:
            flows = []
            readings = []
            st = self._symbol_state[symbol]
            for i, venue in enumerate(self.venues):
                reading = self._flow_reading(venue, symbol, now)
                if st.usable[i]:
                    readings.append(reading)
                flows.append(FlowView(venue, reading.book_imbalance, reading.cvd, reading.trade_flow, reading.volume,
                                      reading.vwap_drift_bps, reading.direction, st.discounted[i]))
            views[symbol] = SymbolSignalsView(symbol, self._thresholds[symbol], self.threshold_bps,
                                              self._volatility[symbol].volatility_bps(),
                                              aggregate_direction(readings), tuple(flows))
        return views

    def _advisor_view(self) -> AdvisorView:
        desk = self.desk
        day, totals = desk.today()
        return AdvisorView(name=desk.name, model=desk.model, budget_ms=self.config.advisor.budget_ms,
                           pending=desk.pending, day=day, calls=totals.calls, tokens_in=totals.tokens_in,
                           tokens_out=totals.tokens_out, cost_usd=totals.cost_usd,
                           cap_usd=self.config.advisor.daily_spend_cap_usd,
                           verdicts=frozen_mapping(self.advice_verdicts), last_error=desk.last_error,
                           log=tuple(self._advice_log))

    def _risk_view(self, now: float) -> RiskView:
        risk, limits = self.risk, self.config.risk
        return RiskView(
            state=risk.state, reason=risk.reason, open_trades=len(self._open_trades),
            max_open_trades=limits.max_open_trades, daily_pnl=risk.daily_pnl,
            daily_loss_limit=risk.daily_loss_limit, max_notional_per_trade=limits.max_notional_per_trade,
            events=tuple(self._risk_events), excluded_venues=frozen_mapping(risk.excluded_venues),
            consecutive_losses=risk.consecutive_losses, breaker_losing_trades=limits.breaker_losing_trades,
            failed_legs=risk.failed_legs_in_window(now), breaker_failed_legs=limits.breaker_failed_legs,
            breaker_until=risk.breaker_until, exposure_usdt=frozen_mapping(sorted(self._exposure_usdt().items())),
            max_exposure_usdt=limits.max_exposure_usdt, attribution=self.attribution,
            resting_orders=getattr(self.execution, "resting_count", 0))

    def _advisor_json(self) -> dict:
        desk = self.desk
        day, totals = desk.today()
        return {"advisor": desk.name, "model": desk.model, "verdicts": dict(sorted(self.advice_verdicts.items())),
                "fallbacks": dict(sorted(self.advice_fallbacks.items())),
                "today": {"day": day, "calls": totals.calls, "tokens_in": totals.tokens_in,
                          "tokens_out": totals.tokens_out, "cost_usd": str(totals.cost_usd)},
                "last_error": desk.last_error}

    def _replay_view(self, now: float) -> ReplayView | None:
        feed = self.feed
        if self.market != "replay" or feed is None:
            return None
        loop = self.clock.loop
        return ReplayView(path=self.replay_path, start=feed.reader.header.start, end=feed.end_time,
                          position=now, events=feed.delivered, paused=bool(getattr(loop, "paused", False)),
                          speed=self.speed, finished=feed.finished, error=feed.error)

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
            "risk": {"state": self.risk.state, "reason": self.risk.reason,
                     "events": [{"time": e.time, "from": e.from_state, "to": e.to_state, "trigger": e.trigger,
                                 "reason": e.reason} for e in reversed(self._risk_events)],
                     "excluded_venues": dict(self.risk.excluded_venues)},
            "attribution": self.attribution.as_dict(),
            "advisor": self._advisor_json(),
            "thresholds_bps": {s: round(t, 3) for s, t in self._thresholds.items()},
            "volatility_bps": {s: round(v.volatility_bps(), 4) for s, v in self._volatility.items()},
            "spoof_events": self.spoof_count,
            "trade_states": dict(sorted((self.trade_states + Counter(
                str(t.state) for t in self._open_trades.values())).items())),
            "open_trades": len(self._open_trades),
            "recovered": list(self.recovered),
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
            **({"replay_error": self.feed.error} if self.market == "replay" and self.feed is not None else {}),
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
    is_open = t.state == TradeState.OPEN
    return TradeView(t.trade_id, t.opened_at, t.symbol, t.buy_venue, t.sell_venue, matched, buy, sell,
                     t.fees_in_quote, t.realized_pnl, str(t.state), t.expected_bps, realized_bps,
                     planned_quantity=t.planned_quantity, buy_filled=t.quantity(BUY), sell_filled=t.quantity(SELL),
                     buy_order_type=t.buy_order_type, sell_order_type=t.sell_order_type,
                     steps=tuple(step.detail for step in t.steps),
                     attribution=None if is_open else attribute(t), decay_bps=decay_bps(t), note=t.note)
