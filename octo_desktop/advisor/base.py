"""The advisor interface: one blocking call per opportunity, answering a ``Consultation`` or raising.

An advisor may block (the OpenAI advisor makes an HTTP call), so the engine never calls a remote one
on its own loop: ``engine.advising.AdvisorDesk`` runs it on a worker thread under a real-time budget
and falls back to the rule advisor when it fails. Whatever goes wrong is raised as ``AdvisorError``
with a ``kind`` the desk and the AI log understand, and with the tokens and cost already spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from octo_desktop.domain.advice import Advice, OpportunityBrief

# AdvisorError kinds.
TIMEOUT = "timeout"
RATE_LIMITED = "rate limited"
REFUSED = "refused"
MALFORMED = "malformed"
SERVER_ERROR = "server error"
CONNECTION = "connection"
AUTH = "auth"
SPEND_CAP = "spend cap"
BUSY = "busy"
ERROR_KINDS = (TIMEOUT, RATE_LIMITED, REFUSED, MALFORMED, SERVER_ERROR, CONNECTION, AUTH, SPEND_CAP, BUSY)

MILLION = Decimal(1_000_000)


class AdvisorError(Exception):
    """An advisor gave no usable answer; ``kind`` says why, usage says what it cost anyway."""

    def __init__(self, kind: str, message: str, *, tokens_in: int = 0, tokens_out: int = 0,
                 cost_usd: Decimal = Decimal(0), retry_after_s: float | None = None, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent  # False when no request was made (e.g. during a 429 backoff): not a call, no cost
        self.kind = kind
        self.tokens_in = tokens_in
        self.tokens_out = tokens_out
        self.cost_usd = cost_usd
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Consultation:
    """An advisor's valid answer with what it took: latency (real ms), tokens and cost."""

    advice: Advice
    advisor: str
    model: str
    latency_ms: float
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: Decimal = Decimal(0)


class Advisor(Protocol):
    """Decide EXECUTE, SKIP or WAIT for an opportunity."""

    name: str  # "rule" or "openai"
    model: str  # the model that answers ("rules" for the rule advisor)
    is_remote: bool  # True when ``advise`` blocks on the network (run it off the engine loop)

    def advise(self, brief: OpportunityBrief) -> Consultation:
        """Return the advice for ``brief``, or raise ``AdvisorError``; may block when ``is_remote``."""
        ...

    def close(self) -> None:
        """Release connections; called once at shutdown."""
        ...


def call_cost_usd(tokens_in: int, tokens_out: int, price: tuple[Decimal, Decimal]) -> Decimal:
    """Return the exact cost of a call from its token counts and (input, output) USD per 1M tokens."""
    return (Decimal(tokens_in) * price[0] + Decimal(tokens_out) * price[1]) / MILLION
