"""The arbitrage desk: find the pairs whose net spread clears the threshold, decide, and trade them.

After each batch of book changes the desk runs its detector over the symbols that changed: every
venue's VWAP at the trade size (``detector``), the pairs at or above the symbol's adaptive threshold,
each pair an *episode* from the moment it crosses until it falls back. For each episode it decides:
risk first (an opportunity risk would refuse is not worth scoring), the six-part score, the advisor
(``engine.advising.AdvisorDesk``: rules, or OpenAI within a budget), risk again on the final size, a
balance reservation; then ``trades.TradeBook`` opens and runs the trade. Every decision is logged once
per change of outcome within an episode.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import replace
from decimal import Decimal
from typing import Any, Iterable

import numpy as np

from octo_desktop.advisor.base import Advisor, Consultation
from octo_desktop.advisor.rule import RuleAdvisor
from octo_desktop.config import QUOTE_ASSET
from octo_desktop.desks.arbitrage.advice import AdviceBook
from octo_desktop.desks.arbitrage.detector import SymbolState
from octo_desktop.desks.arbitrage.episodes import Dislocations, Episode
from octo_desktop.desks.arbitrage.trader import LegPlan
from octo_desktop.desks.arbitrage.trades import TradeBook
from octo_desktop.desks.arbitrage.views import opportunity_view
from octo_desktop.engine.activity import decision_view
from octo_desktop.domain import signals
from octo_desktop.domain.advice import WAIT, CandidateBrief, OpportunityBrief, VenueBrief, apply_advice
from octo_desktop.domain.commands import Command, SetMinScore, SetThreshold
from octo_desktop.domain.fills import IOC_LIMIT, MARKET, POST_ONLY, OrderTypePolicy, choose_order_type, floor_to_lot, \
    post_only_price
from octo_desktop.domain.ledger import InsufficientBalance
from octo_desktop.domain.model import BUY, SELL, Decision, Route, Trade
from octo_desktop.domain.orderflow import aggregate_direction
from octo_desktop.domain.risk import TradeProposal
from octo_desktop.domain.snapshot import FlowView, OpportunityView, SpreadMatrixView, SymbolSignalsView, frozen_mapping
from octo_desktop.domain.spoofing import capped_quantity_within
from octo_desktop.domain.spread import net_spread_matrices
from octo_desktop.domain.volatility import RealisedVolatility, adaptive_threshold_bps
from octo_desktop.engine.advising import AdvisorBusy, AdvisorDesk, DayTotals
from octo_desktop.domain import money

RECENT_OPPORTUNITIES = 50
SIGNALS_REFRESH_S = 0.25  # engine seconds between order-flow readings for the window


class ArbitrageDesk:
    """Cross-venue arbitrage on the shared books: detector, decisions, advice and trades."""

    name = "arbitrage"

    def __init__(self, services, state, *, advisor: Advisor | None = None, log_opportunities: bool = False,
                 fill_listener=None, trade_listener=None) -> None:
        """``fill_listener(result)`` / ``trade_listener(trade)``: called after a fill is journaled and
        after a trade closes (the command line's ``--stream``)."""
        self._services = services
        config = services.rules.config
        market = services.market
        self.venues = market.venues
        self.symbols = market.symbols
        self._fees = [float(config.venues[v].taker_fee) for v in self.venues]
        self._taker_fees = np.array(self._fees)
        self._states = {s: SymbolState([market.books[(v, s)] for v in self.venues],
                                       [market.spoof[(v, s)] for v in self.venues]) for s in self.symbols}
        strategy = config.strategy
        self._volatility = {s: RealisedVolatility(strategy.vol_window_s, strategy.vol_sample_s) for s in self.symbols}
        # Settings a trader may change while running (restored from the database).
        settings = dict(state.settings)
        self.threshold_bps = float(settings.get("threshold_bps", strategy.threshold_bps))
        self.min_score = float(settings.get("min_score", strategy.min_score))
        # The minimum net spread per symbol: the base above, raised by realised volatility.
        self._thresholds = {s: self.threshold_bps for s in self.symbols}
        self._order_policy = OrderTypePolicy.from_settings(config.execution)
        self.opportunity_count = state.opportunity_count
        self.rejections: Counter[str] = Counter(state.rejections)
        self._next_opportunity_id = state.next_opportunity_id
        self.opportunity_log: list[dict] | None = [] if log_opportunities else None
        self._opportunities: deque[OpportunityView] = deque(maxlen=RECENT_OPPORTUNITIES)
        self._episodes: dict[tuple[str, int, int], Episode] = {}
        self._accepting = True
        self._signals_cache: tuple[float, object] | None = None
        self._dislocations = Dislocations(self.venues)  # a remote advisor: one question per dislocation
        self.advice = AdviceBook(services.store, state.advice, state.next_advice_id, config.advisor.recent_outcomes)
        self.advisor = AdvisorDesk(advisor if advisor is not None else RuleAdvisor(), config.advisor, services.clock,
                                   days=state.advisor_days, on_answer=self._advised, on_spend=self._advisor_spend)
        self.trades = TradeBook(services, state, on_closed=self._trade_closed, on_journal_failed=self._journal_failed,
                                on_open_failed=self._open_failed,
                                fill_listener=fill_listener, trade_listener=trade_listener)
        services.rules.listen(self._rules_changed)

    # --- the desk protocol -----------------------------------------------------------------------------
    def start(self) -> None:
        """Finish the trades a crash or a stop left open."""
        self.trades.start_recovery()

    def on_books(self, symbols: Iterable[str], now: float) -> None:
        """Run the detector over the symbols whose books changed in this batch."""
        for symbol in symbols:
            self._evaluate(symbol, now)

    def on_clock(self, now: float) -> None:
        """Sample volatility (the adaptive thresholds), and re-evaluate every symbol: a book going stale
        must leave the pairs without an event."""
        self._sample_volatility(now)
        for symbol in self.symbols:
            self._evaluate(symbol, now)

    def handle(self, command: Command) -> bool:
        """Apply the desk's own commands: the base threshold and the minimum score."""
        services = self._services
        now = services.clock.now()
        if isinstance(command, SetThreshold):
            self.threshold_bps = float(command.threshold_bps)
            services.store.save_setting("threshold_bps", self.threshold_bps)
            self._update_thresholds()
            result = f"base threshold set to {self.threshold_bps:.1f} bps"
        elif isinstance(command, SetMinScore):
            self.min_score = min(1.0, max(0.0, float(command.min_score)))
            services.store.save_setting("min_score", self.min_score)
            result = f"minimum score set to {self.min_score:.2f}"
        else:
            return False
        services.activity.note(now, result)
        if command.control_id is not None:
            services.store.mark_control(command.control_id, now, result)
        return True

    def on_halt(self, now: float) -> None:
        """The kill switch: trades in flight unwind at once (``TradeRun`` asks risk before each step)."""

    def on_resume(self, now: float) -> None:
        """Finish the trades a journal failure stopped."""
        self.trades.resume_stalled()

    def stop(self) -> None:
        """Open no new trades (those in flight are drained by the kernel)."""
        self._accepting = False

    def close(self) -> None:
        """Stop asking the advisor; release its threads."""
        self.advisor.close()

    @property
    def open_work(self) -> int:
        return len(self.trades.open)

    # --- the detector ----------------------------------------------------------------------------------
    def _rules_changed(self, config, venue: str) -> None:
        index = self.venues.index(venue)
        fee = float(config.venues[venue].taker_fee)
        self._fees[index] = fee
        self._taker_fees[index] = fee
        for st in self._states.values():
            st.invalidate(index)  # costs change with the fee

    def _evaluate(self, symbol: str, now: float) -> None:
        config = self._services.rules.config
        st = self._states[symbol]
        base = symbol.split("/")[0]
        quantity = config.markets[symbol].trade_notional_usdt / self._services.portfolio.marks[base]
        st.refresh(quantity, self._fees, now, now - config.strategy.stale_after_s)
        active = set()
        pairs = st.pairs(self._thresholds[symbol])
        for net, i, j in pairs:
            key = (symbol, i, j)
            active.add(key)
            episode = self._episodes.get(key)
            if episode is None:
                self.opportunity_count += 1
                episode = self._episodes[key] = Episode(self._next_opportunity_id, now)
                self._next_opportunity_id += 1
                if self.opportunity_log is not None:
                    transfer = self._services.transfer_costs.cost_bps(symbol, i, j)
                    self.opportunity_log.append({
                        "time": now, "symbol": symbol, "buy_venue": self.venues[i],
                        "sell_venue": self.venues[j], "net_bps": round(net, 3), "size": st.quantity,
                        "transfer_bps": round(transfer, 3) if math.isfinite(transfer) else None})
            self._consider(episode, symbol, i, j, net, now, pairs)
        if self._episodes:
            for key in [k for k in self._episodes if k[0] == symbol and k not in active]:
                episode = self._episodes[key]
                if not episode.in_flight and not episode.advising:
                    if episode.advice is not None:
                        self._advice_settled(episode, "spread gone before the advice was used")
                    del self._episodes[key]

    def _score(self, symbol: str, buy_book, sell_book, net: float, buy_vwap: float, sell_vwap: float,
               quantity: float, now: float) -> signals.Score:
        services = self._services
        strategy = services.rules.config.strategy
        market, quality = services.market, services.quality
        band = strategy.liquidity_band_bps / 10_000.0
        buy_touch, sell_touch = buy_book.best_ask, sell_book.best_bid
        buy_caps = market.spoof[(buy_book.venue, symbol)].caps(now)
        sell_caps = market.spoof[(sell_book.venue, symbol)].caps(now)
        buy_flow = market.flow_reading(buy_book.venue, symbol, now)
        sell_flow = market.flow_reading(sell_book.venue, symbol, now)
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
            "execution_quality": signals.execution_quality_factor(quality.quality(buy_book.venue),
                                                                  quality.quality(sell_book.venue)),
        }
        return signals.composite_score(parts, strategy.weights)

    def _market_direction(self, symbol: str, now: float) -> float:
        """Return the aggregate short-horizon direction of ``symbol`` across its usable venues."""
        st, market = self._states[symbol], self._services.market
        return aggregate_direction(market.flow_reading(v, symbol, now)
                                   for i, v in enumerate(self.venues) if st.usable[i])

    # --- deciding --------------------------------------------------------------------------------------
    def _consider(self, episode: Episode, symbol: str, i: int, j: int, net: float, now: float,
                  pairs: list[tuple[float, int, int]]) -> None:
        if episode.in_flight or episode.advising or episode.skipped or not self._accepting:
            return
        if now < episode.wait_until or now < episode.act_at:
            return  # the advisor said WAIT, or its answer lands after its latency (virtual time)
        buy_venue, sell_venue = self.venues[i], self.venues[j]
        busy = self.trades.busy
        if (symbol, buy_venue) in busy or (symbol, sell_venue) in busy:
            return  # a leg is already working on one of these books; look again after it lands
        services = self._services
        if episode.last_reason:
            early = services.risk.route_check(symbol, buy_venue, sell_venue, now)
            if early is not None and early.rule == episode.last_reason:
                return  # refused again for the same reason, whatever the size: nothing new to log or do
        config, ledger = services.rules.config, services.portfolio.ledger
        st = self._states[symbol]
        buy_book, sell_book = services.market.books[(buy_venue, symbol)], services.market.books[(sell_venue, symbol)]
        buy_vwap, sell_vwap = st.buy_vwap[i], st.sell_vwap[j]

        protection = config.strategy.slippage_protection_bps / 10_000.0
        buy_limit = buy_vwap * (1 + protection)
        sell_limit = sell_vwap * (1 - protection)
        buy_spec = config.spec(buy_venue, symbol)
        sell_spec = config.spec(sell_venue, symbol)
        lot = max(buy_spec.lot_size, sell_spec.lot_size)
        base = buy_spec.base
        max_by_risk = float(config.risk.max_notional_per_trade) / buy_limit
        max_by_quote = float(ledger.available(buy_venue, QUOTE_ASSET)) / buy_limit
        max_by_base = float(ledger.available(sell_venue, base))
        quantity = floor_to_lot(min(st.quantity, max_by_risk, max_by_quote, max_by_base), lot)
        notional = money.notional(quantity, buy_vwap)
        minimum = max(buy_spec.min_notional, sell_spec.min_notional)

        # A first risk check, then the signals: an opportunity risk would refuse is not worth scoring
        # (the score is still computed for the decision log when the outcome changes) or asking about.
        reason, detail = self._refusal(symbol, buy_venue, sell_venue, notional, now)
        if reason and reason == episode.last_reason:
            return  # the same refusal as last time: nothing new to log or do
        score = self._score(symbol, buy_book, sell_book, net, buy_vwap, sell_vwap, st.quantity, now)
        transfer = services.transfer_costs.cost_bps(symbol, i, j)
        if not reason and score.value < self.min_score:
            reason, detail = "score", f"score {score.value:.2f} below the minimum {self.min_score:.2f}"
        if not reason and config.strategy.transfer_cost_in_decision and not net - transfer >= self._thresholds[symbol]:
            # NaN (no network could move the funds back) refuses too: that cost is unknown, not zero.
            threshold = self._thresholds[symbol]
            reason, detail = "transfer_cost", (
                f"net {net:.1f} bps less {transfer:.1f} bps of transfer cost is under the {threshold:.1f} bps threshold"
                if math.isfinite(transfer) else f"no network moves the funds back from {sell_venue} to {buy_venue}")
        if not reason and (quantity <= 0 or notional < minimum):
            short = QUOTE_ASSET if max_by_quote <= min(max_by_base, max_by_risk) else base
            short_venue = buy_venue if short == QUOTE_ASSET else sell_venue
            reason, detail = "balance", (f"insufficient {short} on {short_venue}: size "
                                         f"{quantity} {base} is under the minimum notional {minimum}")
        advice_text = ""
        if not reason:
            # The advisor: after the signals, before risk, which has the last word.
            if episode.advice is None:
                remote = self.advisor.primary.is_remote
                if remote and self._dislocations.in_flight(symbol):
                    return  # this dislocation's question is out: its answer covers this pair too
                alternatives = self._dislocations.alternatives(pairs, i, j) if remote else ()
                brief = self._brief(symbol, i, j, net, float(quantity), float(notional), score, now,
                                    episode.opportunity_id, alternatives)
                try:
                    answer = self.advisor.consult((symbol, i, j, episode.opportunity_id, brief), brief)
                except AdvisorBusy:
                    return  # every call slot is taken: it waits for a free one, nothing is decided meanwhile
                if answer is None:
                    episode.advising = True  # the answer arrives through _advised
                    self._dislocations.asked(symbol, i, j)
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
                    episode.wait_until = now + config.advisor.wait_s
                    self._advice_settled(episode, "not traded (wait)")
                else:
                    episode.skipped = True
                    self._advice_settled(episode, "not traded (skip)")
            else:
                if applied.quantity < quantity:
                    quantity = floor_to_lot(applied.quantity, lot)
                    notional = money.notional(quantity, buy_vwap)
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
            key = ("trade", self.trades.next_id)
            try:
                ledger.reserve(key, buy_venue, QUOTE_ASSET, money.notional(quantity, buy_limit))
                ledger.reserve(key, sell_venue, base, quantity)
            except InsufficientBalance as exc:
                ledger.release(key)
                accepted, reason, detail = False, "balance", str(exc)
                self._advice_settled(episode, "refused by balance")
        if accepted:
            carried = f" (transfer cost {transfer:.1f} bps)" if math.isfinite(transfer) else ""
            detail = (f"buy {quantity} {base} on {buy_venue}, sell on {sell_venue}: net {net:.1f} bps{carried}, "
                      f"score {score.value:.2f}; {advice_text}")
        decision = Decision(
            opportunity_id=episode.opportunity_id, time=now, route=Route(symbol, buy_venue, sell_venue), net_bps=net, quantity=float(quantity), buy_vwap=buy_vwap,
            sell_vwap=sell_vwap, score=score.value, parts=score.parts, accepted=accepted,
            reason=reason, detail=detail, transfer_bps=transfer)
        if accepted or reason != episode.last_reason:
            # Log a decision once per change of outcome within an episode, not on every tick.
            episode.last_reason = reason
            services.activity.add(decision_view(decision))
            # One entry per opportunity, showing its latest decision.
            for view in [v for v in self._opportunities if v.opportunity_id == episode.opportunity_id]:
                self._opportunities.remove(view)
            self._opportunities.appendleft(opportunity_view(decision))
            services.store.record_decision(decision)
            if not accepted:
                self.rejections[reason] += 1
        if accepted:
            self._open_trade(episode, decision, quantity, buy_limit, sell_limit, now)

    def _refusal(self, symbol: str, buy_venue: str, sell_venue: str, notional: Decimal,
                 now: float) -> tuple[str, str]:
        services = self._services
        rejection = services.risk.check(TradeProposal(symbol, buy_venue, sell_venue, notional, len(self.trades.open),
                                                      self.trades.open_notional_by_venue()), now)
        if rejection is not None:
            return rejection.rule, rejection.detail
        if not services.store.healthy:
            return "storage", f"the journal cannot be written: {services.store.last_error}"
        return "", ""

    # --- trades ----------------------------------------------------------------------------------------
    def _leg_plan(self, venue: str, side: str, symbol: str, net_bps: float, protected_limit: float) -> LegPlan:
        services = self._services
        book = services.market.books[(venue, symbol)]
        spread_bps = ((book.best_ask - book.best_bid) / book.mid * 10_000.0) if book.mid > 0 else math.nan
        order_type, why = choose_order_type(self._order_policy, purpose="entry", net_bps=net_bps,
                                            threshold_bps=self._thresholds[symbol],
                                            latency_p95_ms=services.quality.latency_p95_ms(venue),
                                            venue_spread_bps=spread_bps)
        limit: float | None = protected_limit
        if order_type == POST_ONLY:
            limit = post_only_price(side, book.best_bid, book.best_ask,
                                    services.rules.config.spec(venue, symbol).tick_size)
            if not math.isfinite(limit):
                order_type, limit, why = IOC_LIMIT, protected_limit, "no touch to rest at: IOC"
        elif order_type == MARKET:
            limit = None
        return LegPlan(venue, side, order_type, limit, protected_limit, why)

    def _open_trade(self, episode: Episode, decision: Decision, quantity: Decimal, buy_limit: float,
                    sell_limit: float, now: float) -> None:
        services = self._services
        buy = self._leg_plan(decision.buy_venue, BUY, decision.symbol, decision.net_bps, buy_limit)
        sell = self._leg_plan(decision.sell_venue, SELL, decision.symbol, decision.net_bps, sell_limit)
        # The attribution's baseline: the books' VWAPs for the quantity actually traded (the detector's
        # VWAPs are for its nominal size, which balances and limits may have cut).
        buy_vwap, _ = services.market.books[(decision.buy_venue, decision.symbol)].vwap(BUY, float(quantity))
        sell_vwap, _ = services.market.books[(decision.sell_venue, decision.symbol)].vwap(SELL, float(quantity))
        trade = Trade(trade_id=self.trades.next_id, opportunity_id=episode.opportunity_id,
                      symbol=decision.symbol, buy_venue=decision.buy_venue,
                      sell_venue=decision.sell_venue, planned_quantity=quantity, opened_at=now,
                      expected_bps=decision.net_bps, buy_order_type=buy.order_type,
                      sell_order_type=sell.order_type, decision_buy_vwap=buy_vwap,
                      decision_sell_vwap=sell_vwap)
        quality = services.quality
        deadline = now + max(quality.timeout_s(trade.buy_venue), quality.timeout_s(trade.sell_venue))
        if episode.advice_id is not None:
            self.advice.link(episode.advice_id, trade.trade_id)
            episode.advice, episode.advice_id, episode.advice_note = None, None, ""
        episode.in_flight = True
        self.trades.start(trade, buy, sell, buy_limit=buy_limit, sell_limit=sell_limit, deadline=deadline,
                          context=episode)

    def _trade_closed(self, trade: Trade | None, episode: Episode | None) -> None:
        # ``trade`` None: stopped by a journal failure, still open; the opportunity may be looked at again.
        if episode is not None:
            episode.in_flight = False
            if trade is not None:
                episode.last_reason = None
        if trade is not None:
            self.advice.trade_closed(trade)
            reason = self.trades.vanished_reasons.pop(trade.trade_id, None)
            if reason is not None:
                for index, view in enumerate(self._opportunities):
                    if view.opportunity_id == trade.opportunity_id:
                        self._opportunities[index] = replace(view, status="vanished", reason=reason)
                        break

    def _open_failed(self, trade: Trade, episode: Episode | None) -> None:
        # The opened entry could not be written: nothing was sent; the opportunity may be looked at again.
        if episode is not None:
            episode.in_flight = False
        self.advice.not_opened(trade.trade_id, "not traded: the journal could not be written")

    def _journal_failed(self, trade: Trade, exc: Exception) -> None:
        self._services.journal_failed(f"trade #{trade.trade_id}: {exc}", str(exc))

    # --- the advisor -----------------------------------------------------------------------------------
    def _brief(self, symbol: str, i: int, j: int, net: float, quantity: float, notional: float,
               score: signals.Score, now: float, opportunity_id: int,
               alternatives: tuple[CandidateBrief, ...] = ()) -> OpportunityBrief:
        services = self._services
        market, quality = services.market, services.quality
        st = self._states[symbol]

        def venue_brief(index: int) -> VenueBrief:
            venue = self.venues[index]
            flow = market.flow_reading(venue, symbol, now)
            return VenueBrief(venue=venue, state=market.venue_state.get(venue, "live"),
                              latency_p95_ms=quality.latency_p95_ms(venue), fill_ratio=quality.fill_ratio(venue),
                              book_imbalance=flow.book_imbalance, trade_flow=flow.trade_flow,
                              vwap_drift_bps=flow.vwap_drift_bps, direction=flow.direction,
                              spoof_events=market.spoof[(venue, symbol)].recent_events(now),
                              discounted_depth=st.discounted[index])

        return OpportunityBrief(
            opportunity_id=opportunity_id, time=now, symbol=symbol, buy_venue=self.venues[i],
            sell_venue=self.venues[j], net_bps=net, threshold_bps=self._thresholds[symbol], quantity=quantity,
            notional_usdt=notional, score=score.value, parts=score.parts, buy=venue_brief(i), sell=venue_brief(j),
            volatility_bps=self._volatility[symbol].volatility_bps(),
            market_direction=self._market_direction(symbol, now), recent=tuple(self.advice.recent_outcomes),
            alternatives=alternatives)

    def _advised(self, token, consultation: Consultation, note: str) -> None:
        """Take a remote advisor's answer (or its fallback) on the loop; re-evaluate the opportunity."""
        symbol, i, j, opportunity_id, brief = token
        self._dislocations.answered(symbol, i, j)
        clock = self._services.clock
        now = clock.now()
        episode = self._episodes.get((symbol, i, j))
        if episode is None or episode.opportunity_id != opportunity_id or not self._accepting:
            episode = Episode(opportunity_id, now)  # gone meanwhile: log the answer, use it for nothing
            self._take_advice(episode, brief, consultation, note, now)
            self._advice_settled(episode, "opportunity gone before the answer")
            self._ask_waiting()
            return
        episode.advising = False
        self._take_advice(episode, brief, consultation, note, now)
        if now < episode.act_at:
            clock.call_later(episode.act_at - now, self._services.mark_dirty, symbol)
        self._services.mark_dirty(symbol)
        self._ask_waiting()

    def _ask_waiting(self) -> None:
        # A call slot just freed: look again at the opportunities that waited for one.
        for key, episode in self._episodes.items():
            if episode.advice is None and not episode.advising and not episode.in_flight:
                self._services.mark_dirty(key[0])

    def _take_advice(self, episode: Episode, brief: OpportunityBrief, consultation: Consultation, note: str,
                     now: float) -> None:
        record = self.advice.take(brief, consultation, note, now)
        episode.advice, episode.advice_note, episode.advice_id = consultation, note, record.advice_id
        # In virtual time the engine's clock stood still while a remote advisor thought: the advice
        # takes effect after the call's real latency, as it would have in real time.
        remote = self.advisor.primary.is_remote and not note
        clock = self._services.clock
        episode.act_at = now + consultation.latency_ms / 1000.0 if remote and clock.is_virtual else now
        if brief.alternatives:
            verdict = consultation.advice.verdict
            wait_until = now + self._services.rules.config.advisor.wait_s
            covered = self._dislocations.cover(self._episodes, brief, verdict, wait_until)
            if covered:
                self._services.activity.note(
                    now, f"{brief.symbol}: one question for this dislocation: advice #{record.advice_id} on "
                         f"{brief.buy_venue}→{brief.sell_venue} ({verdict}) covers {covered} other pair"
                         f"{'s' if covered > 1 else ''}")

    def _advice_settled(self, episode: Episode, outcome: str) -> None:
        """Close the AI log record of an advice that did not lead to a trade."""
        self.advice.settle(episode.advice_id, outcome)
        episode.advice, episode.advice_id, episode.advice_note = None, None, ""

    def _advisor_spend(self, day: str, totals: DayTotals) -> None:
        self._services.store.record_advisor_day(day, totals.calls, totals.tokens_in, totals.tokens_out,
                                                totals.cost_usd)

    # --- thresholds --------------------------------------------------------------------------------------
    def _sample_volatility(self, now: float) -> None:
        changed = False
        market = self._services.market
        for symbol, volatility in self._volatility.items():
            if volatility.is_due(now):
                st = self._states[symbol]
                mids = sorted(market.books[(v, symbol)].mid for i, v in enumerate(self.venues) if st.usable[i])
                volatility.sample(now, mids[len(mids) // 2] if mids else math.nan)
                changed = True
        if changed:
            self._update_thresholds()

    def _update_thresholds(self) -> None:
        """Set each symbol's minimum net spread from the base and its realised volatility."""
        strategy = self._services.rules.config.strategy
        for symbol, volatility in self._volatility.items():
            self._thresholds[symbol] = adaptive_threshold_bps(self.threshold_bps, strategy.vol_multiplier,
                                                              volatility.volatility_bps(),
                                                              max(strategy.threshold_max_bps, self.threshold_bps))

    # --- what it shows -----------------------------------------------------------------------------------
    def snapshot_fields(self, now: float) -> dict[str, Any]:
        """Return the desk's part of the snapshot (see ``domain.snapshot.Snapshot``)."""
        matrices = {}
        states = self._states
        if states:  # every symbol's matrix in one vectorised pass; each view is a read-only slice of it
            every = net_spread_matrices(np.array([st.buy_vwap for st in states.values()]),
                                        np.array([st.sell_vwap for st in states.values()]), self._taker_fees,
                                        np.array([st.usable for st in states.values()], dtype=bool))
            every.flags.writeable = False
            board = self._services.transfer_costs
            for index, (symbol, st) in enumerate(states.items()):
                matrices[symbol] = SpreadMatrixView(symbol, self.venues, every[index],
                                                    tuple(not u for u in st.usable), st.quantity,
                                                    board.matrix(symbol))
        config = self._services.rules.config
        return {"matrices": frozen_mapping(matrices), "opportunities": tuple(self._opportunities),
                "trades": self.trades.views(), "trade_count": self.trades.count,
                "opportunity_count": self.opportunity_count, "rejections": frozen_mapping(self.rejections),
                "vanished": frozen_mapping(self.trades.vanished),
                "threshold_bps": self.threshold_bps, "min_score": self.min_score,
                "signals": self._signals_view(now),
                "advisor": self.advice.view(self.advisor, config.advisor.budget_ms,
                                            config.advisor.daily_spend_cap_usd)}

    def _signals_view(self, now: float):
        # Order flow is shown, not traded on, from here: four refreshes per engine second are enough
        # to read, and spare the 20 Hz snapshot 24 readings of the books each time.
        cached = self._signals_cache
        if cached is None or not 0.0 <= now - cached[0] < SIGNALS_REFRESH_S:
            self._signals_cache = cached = (now, frozen_mapping(self._signals_views(now)))
        return cached[1]

    def _signals_views(self, now: float) -> dict[str, SymbolSignalsView]:
        market = self._services.market
        views = {}
        for symbol in self.symbols:
            flows = []
            readings = []
            st = self._states[symbol]
            for i, venue in enumerate(self.venues):
                reading = market.flow_reading(venue, symbol, now)
                if st.usable[i]:
                    readings.append(reading)
                flows.append(FlowView(venue, reading.book_imbalance, reading.cvd, reading.trade_flow, reading.volume,
                                      reading.vwap_drift_bps, reading.direction, st.discounted[i]))
            views[symbol] = SymbolSignalsView(symbol, self._thresholds[symbol], self.threshold_bps,
                                              self._volatility[symbol].volatility_bps(),
                                              aggregate_direction(readings), tuple(flows))
        return views

    def summary(self) -> dict[str, Any]:
        """Return the desk's part of a ``--json`` summary."""
        trades = self.trades
        summary = {
            "trades": trades.count,
            "opportunities": self.opportunity_count,
            "rejections": dict(sorted(self.rejections.items())),
            "vanished": {"taken": trades.vanished["taken"], "moved": trades.vanished["moved"]},
            "advisor": self.advice.summary(self.advisor),
            "thresholds_bps": {s: round(t, 3) for s, t in self._thresholds.items()},
            "volatility_bps": {s: round(v.volatility_bps(), 4) for s, v in self._volatility.items()},
            "trade_states": dict(sorted((trades.states + Counter(
                str(t.state) for t in trades.open.values())).items())),
            "open_trades": len(trades.open),
            "recovered": list(trades.recovered),
        }
        if self.opportunity_log is not None:
            summary["opportunity_list"] = list(self.opportunity_log)
        return summary
