"""An opportunity's episode, and the one question a remote advisor is asked per dislocation.

An episode is a pair above the threshold, from the moment it crosses until it falls back. One venue
moving puts several of a symbol's pairs above the threshold at once: a dislocation. A remote advisor is
asked once about it (the best pair, with the others listed as alternatives); while that question is in
flight the other pairs wait for its answer, and the answer covers them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from octo_desktop.advisor.base import Consultation
from octo_desktop.domain.advice import WAIT, CandidateBrief, OpportunityBrief

Key = tuple[str, int, int]  # (symbol, buy venue index, sell venue index)


@dataclass
class Episode:
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


class Dislocations:
    """Which symbols' dislocation questions are in flight, and what an answer does to the other pairs."""

    def __init__(self, venues: Sequence[str]) -> None:
        self._venues = list(venues)
        self._asking: dict[str, tuple[int, int]] = {}  # symbol -> the asking pair

    def in_flight(self, symbol: str) -> bool:
        """Whether ``symbol``'s question is out: its other pairs wait for the answer."""
        return symbol in self._asking

    def alternatives(self, pairs: Sequence[tuple[float, int, int]], i: int, j: int) -> tuple[CandidateBrief, ...]:
        """The pass's other pairs above the threshold (``pairs``: best first), for the brief of pair (i, j)."""
        venues = self._venues
        return tuple(CandidateBrief(venues[a], venues[b], net) for net, a, b in pairs if (a, b) != (i, j))

    def asked(self, symbol: str, i: int, j: int) -> None:
        self._asking[symbol] = (i, j)

    def answered(self, symbol: str, i: int, j: int) -> None:
        if self._asking.get(symbol) == (i, j):
            del self._asking[symbol]

    def cover(self, episodes: dict[Key, Episode], brief: OpportunityBrief, verdict: str, wait_until: float) -> int:
        """Apply the answer about ``brief``'s pair to its alternatives that are still waiting for one: on WAIT
        they wait as long; otherwise they are not traded in this episode (the answer was for the best pair
        alone). Return how many were covered."""
        covered = 0
        for candidate in brief.alternatives:
            key = (brief.symbol, self._venues.index(candidate.buy_venue), self._venues.index(candidate.sell_venue))
            episode = episodes.get(key)
            if episode is None or episode.advice is not None or episode.advising or episode.in_flight:
                continue
            covered += 1
            if verdict == WAIT:
                episode.wait_until = max(episode.wait_until, wait_until)
            else:
                episode.skipped = True
        return covered
