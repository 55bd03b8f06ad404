"""The advisor desk on a real event loop: budget, fallback, spend cap, busy, and held engine time."""

from __future__ import annotations

import asyncio
import threading
import time
from decimal import Decimal

import pytest

from octo_desktop.advisor.base import MALFORMED, AdvisorError, Consultation
from octo_desktop.config import load_config
from octo_desktop.domain.advice import EXECUTE, SKIP, Advice, OpportunityBrief, VenueBrief
from octo_desktop.engine.advising import AdvisorBusy, AdvisorDesk
from octo_desktop.engine.clock import Clock, VirtualTimeLoop
from tests.fakes.waiting import eventually

DAY0 = 19_700 * 86_400.0


class FakeRemoteAdvisor:
    """A remote advisor whose answers the test releases (or fails) by hand."""

    name = "openai"
    model = "fake-model"
    is_remote = True

    def __init__(self, answer=None, error=None):
        self.release = threading.Event()
        self.answer, self.error = answer, error
        self.calls = 0
        self.closed = False

    def advise(self, brief):
        self.calls += 1
        self.release.wait(5)
        if self.error is not None:
            raise self.error
        return self.answer

    def close(self):
        self.closed = True


def venue(name):
    return VenueBrief(name, "live", 80.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0, False)


BRIEF = OpportunityBrief(1, DAY0, "BTC/USDT", "okx", "binance", 20.0, 6.0, 0.03, 2000.0, 0.8,
                         (("order_flow", 0.5),), venue("okx"), venue("binance"), 0.9, 0.0)
PAID = Consultation(Advice(SKIP, 0.9, "model says no"), "openai", "fake-model", 0.0, 1000, 50, Decimal("0.003"))


def desk_with(advisor, *overrides, loop=None):
    config = load_config(overrides=list(overrides)).advisor
    loop = loop or VirtualTimeLoop(None)
    clock = Clock(loop, DAY0)
    answers = []
    spend = []
    desk = AdvisorDesk(advisor, config, clock, on_answer=lambda token, answer, note: answers.append((answer, note)),
                       on_spend=lambda day, totals: spend.append((day, totals.calls, totals.cost_usd)))
    return desk, clock, loop, answers, spend


def pump_until(loop, condition, timeout_s=5.0):
    # Run the loop until ``condition`` holds, by real time: a virtual-time loop at max speed would run
    # through any number of its own sleeps before a worker thread has answered.
    eventually(condition, timeout_s, pump=lambda: loop.run_until_complete(asyncio.sleep(0.001)))


def test_a_remote_answer_arrives_on_the_loop_and_engine_time_stood_still_meanwhile():
    advisor = FakeRemoteAdvisor(answer=PAID)
    desk, clock, loop, answers, spend = desk_with(advisor)
    try:
        assert desk.consult("token", BRIEF) is None and desk.pending == 1
        before = clock.now()
        threading.Timer(0.2, advisor.release.set).start()
        pump_until(loop, lambda: answers)
        (answer, note), = answers
        assert answer.advice.verdict == SKIP and note == ""
        assert 150 <= answer.latency_ms < 2000
        # While held, the virtual clock did not run ahead (it would have raced by seconds at max speed).
        assert clock.now() - before < 0.05
        assert spend == [("2023-12-09", 1, Decimal("0.003"))]
        assert desk.pending == 0 and loop.holds == 0
    finally:
        desk.close()
        loop.close()


def test_no_answer_within_the_budget_falls_back_to_the_rule_advisor_and_a_late_answer_is_still_paid():
    advisor = FakeRemoteAdvisor(answer=PAID)
    desk, clock, loop, answers, spend = desk_with(advisor, "advisor.budget_ms=100")
    try:
        desk.consult("token", BRIEF)
        pump_until(loop, lambda: answers)
        (answer, note), = answers
        assert answer.advisor == "rule" and answer.advice.verdict == EXECUTE
        assert note.startswith("openai timeout")
        assert 100 <= answer.latency_ms < 1000
        assert loop.holds == 0  # engine time runs again at once
        advisor.release.set()
        pump_until(loop, lambda: spend)
        assert spend[-1][1:] == (1, Decimal("0.003"))  # the late answer cost money: counted
        assert len(answers) == 1  # but not used
    finally:
        desk.close()
        loop.close()


def test_an_advisor_error_falls_back_with_its_kind_and_its_cost():
    error = AdvisorError(MALFORMED, "not JSON", tokens_in=900, tokens_out=10, cost_usd=Decimal("0.0024"))
    advisor = FakeRemoteAdvisor(error=error)
    advisor.release.set()
    desk, clock, loop, answers, spend = desk_with(advisor)
    try:
        desk.consult("token", BRIEF)
        pump_until(loop, lambda: answers)
        (answer, note), = answers
        assert answer.advisor == "rule" and note == "openai malformed: not JSON"
        assert answer.cost_usd == Decimal("0.0024") and answer.tokens_in == 900
        assert spend == [("2023-12-09", 1, Decimal("0.0024"))]
    finally:
        desk.close()
        loop.close()


def test_the_spend_cap_stops_calls_for_the_day():
    advisor = FakeRemoteAdvisor(answer=PAID)
    advisor.release.set()
    desk, clock, loop, answers, spend = desk_with(advisor, "advisor.daily_spend_cap_usd=0.005")
    try:
        for _ in range(2):
            assert desk.consult("token", BRIEF) is None
            pump_until(loop, lambda n=len(answers): len(answers) > n)
        answer, note = desk.consult("token", BRIEF)
        assert answer.advisor == "rule" and note.startswith("openai spend cap")
        assert advisor.calls == 2
    finally:
        desk.close()
        loop.close()


def test_beyond_the_concurrency_limit_an_opportunity_waits_and_nothing_decides_it():
    advisor = FakeRemoteAdvisor(answer=PAID)
    desk, clock, loop, answers, spend = desk_with(advisor, "advisor.max_concurrent=1")
    try:
        assert desk.consult("a", BRIEF) is None and desk.is_busy
        with pytest.raises(AdvisorBusy, match="1 openai calls already in flight"):
            desk.consult("b", BRIEF)
        assert advisor.calls == 1 and answers == []  # busy is not a failure: no rule advisor stands in
        advisor.release.set()
        pump_until(loop, lambda: answers)
        assert not desk.is_busy
        assert desk.consult("b", BRIEF) is None  # the slot is free again: the model is asked
    finally:
        advisor.release.set()
        desk.close()
        loop.close()
    assert loop.holds == 0 and advisor.closed


def test_with_on_failure_skip_a_failed_call_is_a_skip_not_the_rules():
    advisor = FakeRemoteAdvisor(error=AdvisorError(MALFORMED, "not JSON", tokens_in=900, tokens_out=12,
                                                   cost_usd=Decimal("0.002")))
    advisor.release.set()
    desk, clock, loop, answers, spend = desk_with(advisor, 'advisor.on_failure="skip"')
    try:
        assert desk.consult("token", BRIEF) is None
        pump_until(loop, lambda: answers)
        (answer, note), = answers
        assert answer.advisor == "openai" and answer.advice.verdict == SKIP
        assert "advisor.on_failure = skip" in answer.advice.reason and note == "openai malformed: not JSON"
        assert answer.cost_usd == Decimal("0.002")  # what the failed call cost is still counted
    finally:
        desk.close()
        loop.close()


def test_a_local_advisor_answers_synchronously():
    from octo_desktop.advisor.rule import RuleAdvisor

    desk, clock, loop, answers, spend = desk_with(RuleAdvisor())
    try:
        answer, note = desk.consult("token", BRIEF)
        assert answer.advisor == "rule" and note == "" and not answers and desk.pending == 0
    finally:
        desk.close()
        loop.close()


@pytest.mark.parametrize("speed", [None, 10.0])
def test_holding_the_virtual_clock_stops_its_timers(speed):
    loop = VirtualTimeLoop(speed)
    clock = Clock(loop, DAY0)
    fired = []
    try:
        clock.hold()
        started = time.monotonic()
        clock.call_later(0.01, lambda: fired.append(time.monotonic() - started))
        threading.Timer(0.3, lambda: loop.call_soon_threadsafe(clock.release)).start()
        pump_until(loop, lambda: fired)
        # 0.01 s of engine time is 1 ms real at speed 10 and nothing at max: only the hold delayed it.
        assert len(fired) == 1 and fired[0] >= 0.29 and loop.holds == 0
    finally:
        loop.close()
