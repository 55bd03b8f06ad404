"""The advisor desk: asks the configured advisor within a real-time budget; a failure is decided by policy.

Runs on the runtime loop. A local advisor (the rule advisor) answers at once. A remote one (OpenAI)
is called on a worker thread; the desk returns at once and delivers the answer later through
``on_answer`` on the loop, so the engine never waits on the network. A watchdog timer (real time)
guarantees an answer by ``budget_ms`` plus a small grace: if the call has not answered by then, it
has failed. A late answer is not used, but what it cost is counted.

Busy is not failed: with ``max_concurrent`` calls in flight, ``consult`` raises ``AdvisorBusy`` and
the opportunity waits for a free slot; nothing is decided for it meanwhile. A failed call (an error,
the timeout, a malformed answer, the daily spend cap) is decided by ``advisor.on_failure``: "rules"
(the rule advisor decides) or "skip" (no trade); either way the AI log says why.

Engine time: on a virtual-time loop (``--speed 10``, ``--speed max``, replays) the desk holds the
clock while a call is pending, so the market does not run ahead by speed x latency; the engine then
applies the advice after the call's measured real latency in engine time (see ``desks.arbitrage.desk``). On a
real-time loop time simply flows while the model thinks.

Spend: every call's tokens and cost are added to its UTC day's totals (``on_spend`` persists them);
once a day's cost reaches ``daily_spend_cap_usd`` no more calls are made that day.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Callable, Mapping

from octo_desktop.advisor.base import SPEND_CAP, TIMEOUT, Advisor, AdvisorError, Consultation
from octo_desktop.advisor.rule import RuleAdvisor
from octo_desktop.config import AdvisorConfig
from octo_desktop.domain.advice import SKIP, Advice, OpportunityBrief, utc_day

log = logging.getLogger(__name__)

GRACE_S = 0.25  # the watchdog fires this long after the budget (the SDK's own timeout comes first)


@dataclass
class DayTotals:
    """What the remote advisor cost on one UTC day."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Decimal(0)


@dataclass
class _Call:
    token: object
    brief: OpportunityBrief
    started: float  # time.monotonic()
    timer: threading.Timer | None = None
    finished: bool = False


AnswerCallback = Callable[[object, Consultation, str], None]


class AdvisorBusy(Exception):
    """Every call slot is taken (or the desk is closing): ask again later, decide nothing now."""


class AdvisorDesk:
    """Consult the configured advisor under a time budget and a daily spend cap."""

    def __init__(self, primary: Advisor, config: AdvisorConfig, clock, *,
                 days: Mapping[str, tuple[int, int, int, Decimal]] | None = None,
                 on_answer: AnswerCallback | None = None,
                 on_spend: Callable[[str, DayTotals], None] | None = None) -> None:
        self.primary = primary
        self.rule = primary if isinstance(primary, RuleAdvisor) else RuleAdvisor()
        self.config = config
        self.clock = clock
        self.on_answer = on_answer
        self.on_spend = on_spend
        self.days: dict[str, DayTotals] = {day: DayTotals(*values) for day, values in (days or {}).items()}
        self._pending: dict[int, _Call] = {}
        self._next = 0
        self._closed = False
        self._pool = (ThreadPoolExecutor(max_workers=config.max_concurrent, thread_name_prefix="octo-advisor")
                      if primary.is_remote else None)
        self.last_error = ""

    @property
    def name(self) -> str:
        return self.primary.name

    @property
    def model(self) -> str:
        return self.primary.model

    @property
    def pending(self) -> int:
        return len(self._pending)

    def today(self) -> tuple[str, DayTotals]:
        """Return today's UTC date (engine time) and its totals."""
        day = utc_day(self.clock.now())
        return day, self.days.get(day, DayTotals())

    @property
    def is_busy(self) -> bool:
        """Whether a remote call cannot start now (every slot taken, or closing)."""
        return self.primary.is_remote and (self._closed or len(self._pending) >= self.config.max_concurrent)

    def consult(self, token: object, brief: OpportunityBrief) -> tuple[Consultation, str] | None:
        """Return ``(answer, fallback note)`` now, or None when a remote call started (``on_answer`` follows).

        Raises ``AdvisorBusy`` when every call slot is taken: the caller asks again once one frees.
        """
        if not self.primary.is_remote:
            return self.primary.advise(brief), ""
        day, totals = self.today()
        cap = self.config.daily_spend_cap_usd
        if totals.cost_usd >= cap:
            return self._fallback(brief, SPEND_CAP, f"daily spend cap of {cap} USD reached "
                                                    f"({totals.cost_usd:.4f} USD spent on {day})", 0.0)
        if self.is_busy:
            raise AdvisorBusy(f"{len(self._pending)} {self.primary.name} calls already in flight")
        call_id = self._next
        self._next += 1
        call = _Call(token, brief, time.monotonic())
        self._pending[call_id] = call
        self.clock.hold()
        loop = self.clock.loop
        budget_s = self.config.budget_ms / 1000.0

        def post(future: Future | None) -> None:
            try:
                loop.call_soon_threadsafe(self._finish, call_id, call, future)
            except RuntimeError:  # the loop closed during shutdown: nobody is waiting any more
                pass

        call.timer = threading.Timer(budget_s + GRACE_S, post, args=(None,))
        call.timer.daemon = True
        call.timer.name = "octo-advisor-watchdog"
        call.timer.start()
        future = self._pool.submit(self.primary.advise, brief)
        future.add_done_callback(post)
        return None

    def _fallback(self, brief: OpportunityBrief, kind: str, why: str, waited_ms: float,
                  error: AdvisorError | None = None) -> tuple[Consultation, str]:
        # The advisor failed: decide as ``on_failure`` says, and say why in the note (the AI log's fallback).
        note = f"{self.primary.name} {kind}: {why}"
        if self.config.on_failure == "skip":
            answer = Consultation(Advice(SKIP, 1.0, f"no trade: {note} (advisor.on_failure = skip)"),
                                  advisor=self.primary.name, model=self.primary.model, latency_ms=waited_ms)
        else:
            answer = self.rule.advise(brief)
            answer = replace(answer, latency_ms=waited_ms + answer.latency_ms)
        if error is not None:
            answer = replace(answer, tokens_in=error.tokens_in, tokens_out=error.tokens_out, cost_usd=error.cost_usd)
        return answer, note

    def _account(self, tokens_in: int, tokens_out: int, cost: Decimal) -> None:
        day, _ = self.today()
        totals = self.days.setdefault(day, DayTotals())
        totals.calls += 1
        totals.tokens_in += tokens_in
        totals.tokens_out += tokens_out
        totals.cost_usd += cost
        if self.on_spend is not None:
            self.on_spend(day, totals)

    def _finish(self, call_id: int, call: _Call, future: Future | None) -> None:
        # On the loop: the call answered (``future``) or the watchdog fired (None), whichever was first.
        if call.finished:
            if future is not None:  # a late answer: not used, but paid for
                tokens_in, tokens_out, cost = _usage(future)
                self._account(tokens_in, tokens_out, cost)
                log.info("late %s answer after the budget: %s USD counted, advice discarded",
                         self.primary.name, cost)
            return
        call.finished = True
        if call.timer is not None:
            call.timer.cancel()
        self._pending.pop(call_id, None)
        self.clock.release()
        waited_ms = (time.monotonic() - call.started) * 1000.0
        if future is None:
            answer, note = self._fallback(call.brief, TIMEOUT,
                                          f"no answer within {self.config.budget_ms:.0f} ms", waited_ms)
        else:
            try:
                answer = future.result()
                answer = replace(answer, latency_ms=waited_ms)
                note = ""
                self._account(answer.tokens_in, answer.tokens_out, answer.cost_usd)
            except AdvisorError as exc:
                self.last_error = f"{exc.kind}: {exc}"
                if exc.sent:
                    self._account(exc.tokens_in, exc.tokens_out, exc.cost_usd)
                answer, note = self._fallback(call.brief, exc.kind, str(exc), waited_ms, exc)
            except Exception as exc:  # an advisor must raise AdvisorError; anything else is a bug there
                log.exception("advisor %s failed", self.primary.name)
                self.last_error = f"error: {exc}"
                answer, note = self._fallback(call.brief, "error", f"{type(exc).__name__}: {exc}", waited_ms)
        if note:
            log.info("advisor fallback: %s", note)
        if self.on_answer is not None and not self._closed:
            self.on_answer(call.token, answer, note)

    def close(self) -> None:
        """Stop consulting: cancel watchdogs, release held engine time, close the advisor."""
        self._closed = True
        for call in self._pending.values():
            call.finished = True
            if call.timer is not None:
                call.timer.cancel()
            self.clock.release()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        try:
            self.primary.close()
        except Exception:  # closing a connection at shutdown must not stop the shutdown
            log.debug("closing the advisor failed", exc_info=True)


def _usage(future: Future) -> tuple[int, int, Decimal]:
    try:
        answer = future.result()
        return answer.tokens_in, answer.tokens_out, answer.cost_usd
    except AdvisorError as exc:
        return exc.tokens_in, exc.tokens_out, exc.cost_usd
    except Exception:  # a late call that broke in an unexpected way: nothing known to count
        log.exception("late advisor call failed")
        return 0, 0, Decimal(0)
