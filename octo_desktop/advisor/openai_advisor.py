"""The OpenAI advisor: one Chat Completions call with Structured Outputs per dislocation (its best pair,
with the other pairs listed).

The answer is constrained to the ``AdviceAnswer`` JSON schema (strict mode), then validated again as an
``Advice``. Every failure leaves as an ``AdvisorError`` whose ``kind`` the advising desk understands, and
which carries the tokens and cost of any answer the server did send (a refusal or a malformed answer is
still paid for). The SDK never retries: the desk has a real-time budget and falls back to the rule advisor,
so a retry would only arrive too late. After an HTTP 429 the advisor backs off by itself and answers
RATE_LIMITED at once, without a request, until the back-off ends.

Works with the OpenAI API and with any OpenAI-compatible server (``advisor.base_url``), such as a local one.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from typing import Callable, Literal, Mapping, Optional

import openai
import pydantic

from octo_desktop.advisor.base import (
    AUTH,
    CONNECTION,
    MALFORMED,
    RATE_LIMITED,
    REFUSED,
    SERVER_ERROR,
    TIMEOUT,
    AdvisorError,
    Consultation,
    call_cost_usd,
)
from octo_desktop.config import AdvisorConfig
from octo_desktop.domain.advice import REASON_MAX_CHARS, Advice, InvalidAdvice, OpportunityBrief

OPENAI_API_BASE_URL = "https://api.openai.com/v1"
NO_KEY = "no-key"  # local OpenAI-compatible servers ignore the key, but the SDK insists on one
RETRY_AFTER_MAX_S = 300.0
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0

SYSTEM_PROMPT = f"""\
You advise an automated crypto cross-venue arbitrage engine that trades on paper. One opportunity: buy \
the symbol on buy_venue and sell it on sell_venue at the same time. Decide:
- EXECUTE: trade it now (smaller, if you set size_cap_usdt);
- SKIP: do not trade it;
- WAIT: not now; the engine asks again shortly if the spread holds.
Answer with: verdict; confidence in [0, 1] that the verdict is right; reason: one plain sentence of at \
most {REASON_MAX_CHARS} characters naming the deciding factor; size_cap_usdt: the most notional (USDT) to \
trade, or null for no cap. Risk limits are enforced separately; your answer can only make trading more \
cautious, never larger.

The input JSON:
- opportunity: net_spread_bps is the spread after both venues' taker fees, in basis points; \
threshold_bps is the least net spread the engine trades; quantity (base asset) and notional_usdt are the \
proposed size.
- alternatives: the other pairs of the same symbol above the threshold at this moment (one dislocation: \
often one venue off from all the others), best first. You are asked once per dislocation: your verdict is \
for the opportunity above; the engine does not trade the alternatives on it (WAIT makes them wait too). \
One venue off from all the others may be the first to move, with the rest about to follow.
- score: value and parts (spread, liquidity, slippage, freshness, order_flow, execution_quality), each in \
[0, 1], higher is better.
- venues.buy and venues.sell: state is the market-data feed (live is healthy; stale or reconnecting means \
old prices); latency_p95_ms of orders; fill_ratio of recent orders in [0, 1]; book_imbalance (+: more \
bids), trade_flow (+: buyers lifting offers) and direction (+: price rising), each in [-1, 1]; \
vwap_drift_bps of recent trades from the mid; spoof_events seen lately (displayed depth may be fake); \
discounted_depth: suspect levels were removed from this book.
- market: volatility_bps per sample; direction in [-1, 1] across venues.
- recent_advised_trades: your recent verdicts and how they ended (expected vs realized bps, state; \
realized is null when not traded). Learn from them: if similar trades lost, be more cautious.
The spread erodes when the buy venue rises or the sell venue falls before both legs fill, so positive \
pressure on the buy venue and negative pressure on the sell venue work against the trade. Prefer EXECUTE \
only when the net spread clearly exceeds the threshold, both feeds are live, latency is low and fills are \
reliable."""


class AdviceAnswer(pydantic.BaseModel):
    """The JSON an OpenAI model must answer with (a Structured Outputs schema, strict mode)."""

    verdict: Literal["EXECUTE", "SKIP", "WAIT"]
    confidence: float = pydantic.Field(description="how sure the verdict is right, 0 to 1")
    reason: str = pydantic.Field(description=f"one sentence, at most {REASON_MAX_CHARS} characters")
    size_cap_usdt: Optional[float] = pydantic.Field(description="most notional to trade in USDT, or null")


class AdvisorSetupError(ValueError):
    """The OpenAI advisor cannot be set up from this configuration (the message says what to set)."""


def resolve_connection(config: AdvisorConfig, environ: Mapping[str, str] = os.environ) -> tuple[str, str | None]:
    """Return (api key, base URL or None for the OpenAI API) from the config, else the environment."""
    api_key = config.api_key or environ.get("OPENAI_API_KEY", "").strip()
    base_url = config.base_url or environ.get("OPENAI_BASE_URL", "").strip() or None
    if api_key:
        return api_key, base_url
    if base_url is not None:
        return NO_KEY, base_url
    raise AdvisorSetupError(
        "the OpenAI advisor needs an API key: set OPENAI_API_KEY (or advisor.api_key), "
        "or advisor.base_url / OPENAI_BASE_URL for a local OpenAI-compatible server")


def build_messages(brief: OpportunityBrief) -> list[dict]:
    """Return the chat messages for ``brief``: the system prompt and the brief as compact JSON."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": json.dumps(brief.as_prompt_dict(), separators=(",", ":"))},
    ]


class OpenAIAdvisor:
    """Ask an OpenAI (or OpenAI-compatible) chat model for advice; see the module docstring."""

    name = "openai"
    is_remote = True

    def __init__(self, config: AdvisorConfig, *, environ: Mapping[str, str] = os.environ,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        api_key, base_url = resolve_connection(config, environ)
        self.model = config.model
        self.config = config
        self.base_url = base_url or OPENAI_API_BASE_URL
        self._budget_s = config.budget_ms / 1000.0
        self._price = config.price(config.model)
        self._monotonic = monotonic
        # advise() runs on several desk worker threads at once; the back-off state is shared between them.
        self._lock = threading.Lock()
        self._backoff_until = -math.inf
        self._rate_limited_in_a_row = 0
        # The base URL is always passed: given None, the SDK would read OPENAI_BASE_URL from os.environ
        # itself, behind the back of ``environ``.
        self._client = openai.OpenAI(api_key=api_key, base_url=self.base_url, max_retries=0,
                                     timeout=self._budget_s)

    def advise(self, brief: OpportunityBrief) -> Consultation:
        """Return the model's advice for ``brief`` or raise ``AdvisorError``; blocks up to about the budget."""
        self._raise_if_backing_off()
        started = time.perf_counter()
        try:
            raw = self._client.chat.completions.with_raw_response.parse(
                model=self.model,
                messages=build_messages(brief),
                response_format=AdviceAnswer,
                temperature=self.config.temperature,
                max_completion_tokens=self.config.max_output_tokens,
                timeout=self._budget_s,
            )
        except openai.APITimeoutError as error:
            raise AdvisorError(TIMEOUT, f"no answer within {self.config.budget_ms:.0f} ms") from error
        except openai.APIConnectionError as error:
            raise AdvisorError(CONNECTION, f"cannot reach {self.base_url}: {_cause(error)}") from error
        except openai.RateLimitError as error:
            backoff_s = self._start_backoff(error.response.headers)
            raise AdvisorError(RATE_LIMITED, f"HTTP 429 {_error_message(error)}; backing off {backoff_s:.1f} s",
                               retry_after_s=backoff_s) from error
        except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
            raise AdvisorError(AUTH, f"HTTP {error.status_code} {_error_message(error)}") from error
        except openai.APIStatusError as error:
            raise AdvisorError(SERVER_ERROR, f"HTTP {error.status_code} {_error_message(error)}") from error
        except Exception as error:  # the SDK's own surprises must not escape into the desk
            raise AdvisorError(SERVER_ERROR, f"request failed: {type(error).__name__}: {error}") from error
        latency_ms = (time.perf_counter() - started) * 1000.0
        self._end_backoff()
        tokens_in, tokens_out = _usage(raw.http_response)
        cost_usd = call_cost_usd(tokens_in, tokens_out, self._price)

        def failed(kind: str, message: str) -> AdvisorError:
            return AdvisorError(kind, message, tokens_in=tokens_in, tokens_out=tokens_out, cost_usd=cost_usd)

        try:
            completion = raw.parse()
        except openai.LengthFinishReasonError as error:
            raise failed(MALFORMED, f"answer cut off at {self.config.max_output_tokens} output tokens") from error
        except openai.ContentFilterFinishReasonError as error:
            raise failed(REFUSED, "answer stopped by the content filter") from error
        except pydantic.ValidationError as error:
            raise failed(MALFORMED, _first_problem(error)) from error
        except Exception as error:
            raise failed(MALFORMED, f"unreadable answer: {type(error).__name__}: {error}") from error
        if not completion.choices:
            raise failed(MALFORMED, "answer has no choices")
        message = completion.choices[0].message
        if message.refusal:
            raise failed(REFUSED, message.refusal)
        answer = message.parsed
        if answer is None:
            raise failed(MALFORMED, "empty answer")
        try:
            advice = Advice(answer.verdict, answer.confidence, answer.reason, answer.size_cap_usdt)
        except InvalidAdvice as error:
            raise failed(MALFORMED, str(error)) from error
        return Consultation(advice, self.name, self.model, latency_ms, tokens_in, tokens_out, cost_usd)

    def close(self) -> None:
        """Close the HTTP client's connections."""
        self._client.close()

    def _raise_if_backing_off(self) -> None:
        with self._lock:
            remaining_s = self._backoff_until - self._monotonic()
        if remaining_s > 0:
            raise AdvisorError(RATE_LIMITED, f"backing off {remaining_s:.1f} s after HTTP 429",
                               retry_after_s=remaining_s, sent=False)

    def _start_backoff(self, headers: Mapping[str, str]) -> float:
        # The server's Retry-After wins; without one, back off exponentially over consecutive 429s.
        with self._lock:
            self._rate_limited_in_a_row += 1
            backoff_s = _retry_after_s(headers)
            if backoff_s is None:
                backoff_s = min(BACKOFF_FIRST_S * 2 ** (self._rate_limited_in_a_row - 1), BACKOFF_MAX_S)
            self._backoff_until = self._monotonic() + backoff_s
            return backoff_s

    def _end_backoff(self) -> None:
        with self._lock:
            self._rate_limited_in_a_row = 0
            self._backoff_until = -math.inf


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    # Only the delay-seconds form; an HTTP-date would need the wall clock, and the exponential default does.
    try:
        seconds = float(headers.get("retry-after", ""))
    except ValueError:
        return None
    return min(seconds, RETRY_AFTER_MAX_S) if math.isfinite(seconds) and seconds >= 0 else None


def _usage(response) -> tuple[int, int]:
    # Read from the HTTP body rather than the parsed completion, which does not exist when parsing fails.
    try:
        usage = response.json().get("usage") or {}
        return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    except (ValueError, TypeError, AttributeError):
        return 0, 0


def _error_message(error: openai.APIStatusError) -> str:
    body = error.body  # the SDK already unwrapped {"error": {...}}
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return body["message"]
    return error.response.reason_phrase or "error"


def _cause(error: Exception) -> str:
    cause = error.__cause__
    return f"{type(cause).__name__}: {cause}" if cause is not None else str(error)


def _first_problem(error: pydantic.ValidationError) -> str:
    problem = error.errors()[0]
    if problem.get("type") == "json_invalid":
        return f"answer is not JSON: {problem.get('ctx', {}).get('error', problem.get('msg'))}"
    where = ".".join(str(part) for part in problem.get("loc", ())) or "answer"
    return f"answer does not fit the schema: {where}: {problem.get('msg', 'invalid')}"

