"""The AI log of the arbitrage desk: every advice asked for, what it cost, and the outcome it led to.

``AdviceBook`` records each answer the advisor desk gives (``take``), links it to the trade it opened
(``link``) or closes it with what happened instead (``settle``), and sets the trade's outcome when it
closes; the last outcomes go back into the next prompts (the post-trade learning loop).
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import replace

from octo_desktop.advisor.base import Consultation
from octo_desktop.domain.advice import AdviceRecord, OpportunityBrief, OutcomeBrief
from octo_desktop.domain.model import Route, Trade
from octo_desktop.domain.snapshot import AdvisorView, frozen_mapping

ADVICE_LOG = 200


class AdviceBook:
    """Advice records: the newest for the window, the open ones until their trade closes, the outcomes."""

    def __init__(self, store, history: tuple[AdviceRecord, ...], next_advice_id: int, recent_outcomes: int) -> None:
        self._store = store
        self.log: deque[AdviceRecord] = deque(history, maxlen=ADVICE_LOG)
        self._open: dict[int, AdviceRecord] = {}  # records whose trade has not closed yet
        self._by_trade: dict[int, int] = {}  # open trade id -> the advice that opened it
        for record in history:
            if record.trade_id is not None and not record.outcome:
                self._open[record.advice_id] = record
                self._by_trade[record.trade_id] = record.advice_id
        self._next_id = next_advice_id
        self.recent_outcomes: deque[OutcomeBrief] = deque(
            (r.outcome_brief() for r in history if r.outcome), maxlen=recent_outcomes)
        self.verdicts: Counter[str] = Counter()
        self.fallbacks: Counter[str] = Counter()  # why the rule advisor stood in, this run

    def take(self, brief: OpportunityBrief, consultation: Consultation, note: str, now: float) -> AdviceRecord:
        """Record an answer (``note``: why the primary advisor did not give it, if it did not)."""
        advice = consultation.advice
        record = AdviceRecord(
            advice_id=self._next_id, time=now, opportunity_id=brief.opportunity_id,
            route=Route(brief.symbol, brief.buy_venue, brief.sell_venue), net_bps=brief.net_bps,
            advisor=consultation.advisor, model=consultation.model, verdict=advice.verdict,
            confidence=advice.confidence, reason=advice.reason, size_cap_usdt=advice.size_cap_usdt,
            latency_ms=consultation.latency_ms, tokens_in=consultation.tokens_in,
            tokens_out=consultation.tokens_out, cost_usd=consultation.cost_usd, fallback=note)
        self._next_id += 1
        self.verdicts[advice.verdict] += 1
        if note:
            self.fallbacks[note.split(":")[0]] += 1
        self.log.appendleft(record)
        self._open[record.advice_id] = record
        self._store.record_advice(record)
        return record

    def update(self, advice_id: int | None, **changes) -> AdviceRecord | None:
        """Change an open record (its trade, its outcome); a record with an outcome is final."""
        record = self._open.get(advice_id) if advice_id is not None else None
        if record is None:
            return None
        updated = replace(record, **changes)
        for index, old in enumerate(self.log):
            if old.advice_id == advice_id:
                self.log[index] = updated
                break
        if updated.outcome:  # final: it joins the outcomes the next prompts learn from
            self._open.pop(advice_id, None)
            self.recent_outcomes.appendleft(updated.outcome_brief())
        else:
            self._open[advice_id] = updated
        self._store.record_advice(updated)
        return updated

    def settle(self, advice_id: int | None, outcome: str) -> None:
        """Close the record of an advice that did not lead to a trade, saying why."""
        self.update(advice_id, outcome=outcome)

    def link(self, advice_id: int, trade_id: int) -> None:
        """Note that ``advice_id`` opened ``trade_id``: the trade's outcome closes the record."""
        self.update(advice_id, trade_id=trade_id)
        self._by_trade[trade_id] = advice_id

    def not_opened(self, trade_id: int, outcome: str) -> None:
        """Close the record of the advice that was to open ``trade_id``, which never opened."""
        advice_id = self._by_trade.pop(trade_id, None)
        if advice_id is not None:
            self.settle(advice_id, outcome)

    def trade_closed(self, trade: Trade) -> None:
        """Give the advice that opened ``trade`` its outcome and realized P&L."""
        advice_id = self._by_trade.pop(trade.trade_id, None)
        if advice_id is None:
            return
        price = trade.decision_buy_vwap if math.isfinite(trade.decision_buy_vwap) else math.nan
        notional = float(trade.planned_quantity) * price
        pnl = trade.realized_pnl
        self.update(advice_id, outcome=str(trade.state), realized_pnl=pnl,
                    realized_bps=float(pnl) / notional * 10_000.0 if notional > 0 else None)

    def view(self, desk, budget_ms: float, cap_usd) -> AdvisorView:
        """Return the AI log tab's model: the advisor, today's spend against the cap, the records."""
        day, totals = desk.today()
        return AdvisorView(name=desk.name, model=desk.model, budget_ms=budget_ms, pending=desk.pending, day=day,
                           calls=totals.calls, tokens_in=totals.tokens_in, tokens_out=totals.tokens_out,
                           cost_usd=totals.cost_usd, cap_usd=cap_usd, verdicts=frozen_mapping(self.verdicts),
                           last_error=desk.last_error, log=tuple(self.log))

    def summary(self, desk) -> dict:
        """Return the advisor section of a ``--json`` summary."""
        day, totals = desk.today()
        return {"advisor": desk.name, "model": desk.model, "verdicts": dict(sorted(self.verdicts.items())),
                "fallbacks": dict(sorted(self.fallbacks.items())),
                "today": {"day": day, "calls": totals.calls, "tokens_in": totals.tokens_in,
                          "tokens_out": totals.tokens_out, "cost_usd": str(totals.cost_usd)},
                "last_error": desk.last_error}
