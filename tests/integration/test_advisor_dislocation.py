"""A remote advisor is asked once per dislocation, not once per pair, on the real runtime thread.

A scripted feed keeps binance, okx and kucoin's BTC/USDT books calm, then drops binance's ask about
60 bps under both other venues' bids: two pairs (binance->okx, binance->kucoin) cross the threshold in
the same instant. A remote advisor (blocking, on the advising desk's worker thread) records what it is
asked. One question comes, about the best pair, with the other listed; the answer covers both.
"""

from __future__ import annotations

import threading

import pytest

from octo_desktop.advisor.base import Consultation
from octo_desktop.domain.advice import EXECUTE, SKIP, WAIT, Advice
from tests.fakes.scripted_feed import five_levels, run_scripted

pytestmark = pytest.mark.integration
START = 19_700 * 86_400.0 + 9_000.0
VENUES = ("binance", "okx", "kucoin")

SCRIPT = [
    five_levels(0.5, "binance", 59_990.0, 60_000.0),
    five_levels(0.5, "okx", 59_990.0, 60_000.0),
    five_levels(0.5, "kucoin", 59_990.0, 60_000.0),
    # binance's ask falls 60 bps under both other venues' bids: one dislocation, two pairs.
    five_levels(2.0, "binance", 59_600.0, 59_610.0),
]


class RecordingAdvisor:
    """A remote advisor that answers ``verdict`` at once and keeps every brief it was asked about."""

    name = "openai"
    model = "scripted"
    is_remote = True

    def __init__(self, verdict: str) -> None:
        self.verdict = verdict
        self.briefs = []
        self._lock = threading.Lock()

    def advise(self, brief):
        with self._lock:
            self.briefs.append(brief)
        return Consultation(Advice(self.verdict, 0.9, f"scripted {self.verdict}"), advisor=self.name,
                            model=self.model, latency_ms=1.0)

    def close(self) -> None:
        pass


def run(tmp_path, verdict: str):
    advisor = RecordingAdvisor(verdict)
    overrides = ["strategy.min_score=0", "strategy.vol_multiplier=0", 'advisor.kind="openai"',
                 'advisor.base_url="http://127.0.0.1:9"']
    summary, snapshots = run_scripted(tmp_path / f"{verdict}.db", SCRIPT, VENUES, overrides, start=START,
                                      seconds=6.0, advisor=advisor)
    return summary, advisor.briefs, snapshots[-1]


def test_one_question_per_dislocation_names_the_other_pair_and_its_answer_covers_it(tmp_path):
    summary, briefs, last = run(tmp_path, EXECUTE)

    assert len(briefs) == 1, [(b.buy_venue, b.sell_venue) for b in briefs]
    brief = briefs[0]
    asked = (brief.buy_venue, brief.sell_venue)
    others = [(c.buy_venue, c.sell_venue) for c in brief.alternatives]
    assert {asked, *others} == {("binance", "okx"), ("binance", "kucoin")} and len(others) == 1
    assert brief.alternatives[0].net_bps <= brief.net_bps  # asked about the best pair
    prompt = brief.as_prompt_dict()
    assert prompt["alternatives"] == [{"buy_venue": "binance", "sell_venue": others[0][1],
                                       "net_spread_bps": round(brief.alternatives[0].net_bps, 2)}]
    # The answer was for the best pair: it traded; the other pair was not traded on it.
    assert summary["trades"] == 1
    assert [(t.buy_venue, t.sell_venue) for t in last.trades] == [asked]
    assert any("one question for this dislocation" in d.text and "covers 1 other pair" in d.text
               for d in last.decisions), [d.text for d in last.decisions]


@pytest.mark.parametrize("verdict", [SKIP, WAIT])
def test_skip_or_wait_for_a_dislocation_trades_none_of_its_pairs(tmp_path, verdict):
    summary, briefs, _ = run(tmp_path, verdict)
    assert briefs and len({(b.buy_venue, b.sell_venue) for b in briefs}) == 1  # never per pair
    assert all(len(b.alternatives) == 1 for b in briefs)  # asked again after a WAIT, with the other pair
    assert summary["trades"] == 0
