"""The OpenAI advisor drives the REAL ``openai`` SDK against a loopback Chat Completions server.

Every outcome the desk must tell apart (a valid answer, malformed JSON, an invalid answer, a refusal, a
timeout, a 429 with its back-off, a 5xx, an auth failure, no server) is produced by ``FakeChatServer``
over real HTTP, so the SDK's own request building, parsing and error mapping are under test too.
"""

from __future__ import annotations

import json
import time
from contextlib import closing
from decimal import Decimal

import pytest

from octo_desktop.advisor.base import AUTH, CONNECTION, MALFORMED, RATE_LIMITED, REFUSED, SERVER_ERROR, TIMEOUT
from octo_desktop.advisor.base import AdvisorError
from octo_desktop.advisor.openai_advisor import (
    NO_KEY,
    SYSTEM_PROMPT,
    AdvisorSetupError,
    OpenAIAdvisor,
    resolve_connection,
)
from octo_desktop.config import load_config
from octo_desktop.domain.advice import EXECUTE, SKIP, OpportunityBrief, OutcomeBrief, VenueBrief
from tests.fakes.chat_server import FakeChatServer, answer

pytestmark = pytest.mark.integration


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_brief() -> OpportunityBrief:
    """An opportunity with every field filled with plausible values."""
    buy = VenueBrief(venue="okx", state="live", latency_p95_ms=42.5, fill_ratio=0.97, book_imbalance=-0.21,
                     trade_flow=0.05, vwap_drift_bps=-0.4, direction=-0.1, spoof_events=0, discounted_depth=False)
    sell = VenueBrief(venue="binance", state="live", latency_p95_ms=38.0, fill_ratio=0.99, book_imbalance=0.34,
                      trade_flow=0.12, vwap_drift_bps=0.7, direction=0.2, spoof_events=1, discounted_depth=True)
    recent = (
        OutcomeBrief("BTC/USDT", "okx", "binance", EXECUTE, 6.1, "complete", 4.2),
        OutcomeBrief("ETH/USDT", "bybit", "okx", EXECUTE, 5.0, "rolled back", -3.0),
        OutcomeBrief("BTC/USDT", "kraken", "binance", SKIP, 4.4, "not traded", None),
    )
    return OpportunityBrief(
        opportunity_id=4711, time=1_717_000_123.25, symbol="BTC/USDT", buy_venue="okx", sell_venue="binance",
        net_bps=7.84, threshold_bps=5.0, quantity=0.0312, notional_usdt=2131.86, score=0.71,
        parts=(("spread", 0.8), ("liquidity", 0.65), ("slippage", 0.9), ("freshness", 1.0),
               ("order_flow", 0.64), ("execution_quality", 0.93)),
        buy=buy, sell=sell, volatility_bps=2.35, market_direction=0.05, recent=recent)


def make_advisor(server: FakeChatServer, *overrides: str, monotonic=time.monotonic) -> OpenAIAdvisor:
    """An advisor on the default config (plus ``overrides``) pointed at ``server`` with a test key."""
    config = load_config(None, ["advisor.kind=openai", f"advisor.base_url={server.base_url}",
                                "advisor.api_key=sk-test", *overrides])
    return OpenAIAdvisor(config.advisor, environ={}, monotonic=monotonic)


def advise_error(advisor: OpenAIAdvisor) -> AdvisorError:
    """The ``AdvisorError`` that advising on the standard brief raises."""
    with pytest.raises(AdvisorError) as caught:
        advisor.advise(make_brief())
    return caught.value


def test_a_valid_answer_becomes_a_consultation_with_tokens_and_exact_cost():
    with FakeChatServer() as server, closing(make_advisor(server)) as advisor:
        server.answer("EXECUTE", 0.82, "spread is wide and both venues are live", size_cap_usdt=1500.0,
                      prompt_tokens=1234, completion_tokens=56)

        consultation = advisor.advise(make_brief())

    assert consultation.advice.verdict == EXECUTE
    assert consultation.advice.confidence == 0.82
    assert consultation.advice.reason == "spread is wide and both venues are live"
    assert consultation.advice.size_cap_usdt == 1500.0
    assert (consultation.advisor, consultation.model) == ("openai", "gpt-4o")
    assert (consultation.tokens_in, consultation.tokens_out) == (1234, 56)
    input_per_mtok, output_per_mtok = load_config().advisor.price("gpt-4o")
    assert (input_per_mtok, output_per_mtok) == (Decimal("2.5"), Decimal("10"))
    assert consultation.cost_usd == Decimal("0.003645")  # (1234 * 2.5 + 56 * 10) / 1e6
    assert 0 < consultation.latency_ms < 5000


def test_the_request_carries_the_model_a_strict_schema_and_the_brief():
    with FakeChatServer() as server, closing(make_advisor(server)) as advisor:
        advisor.advise(make_brief())

    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "gpt-4o"
    assert request.body["temperature"] == 0.0
    assert request.body["max_completion_tokens"] == 200
    response_format = request.body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert set(schema["required"]) == {"verdict", "confidence", "reason", "size_cap_usdt"}
    assert schema["additionalProperties"] is False
    system, user = request.body["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    assert user["role"] == "user"
    assert user == {"role": "user", "content": json.dumps(make_brief().as_prompt_dict(), separators=(",", ":"))}
    assert json.loads(user["content"])["opportunity"]["net_spread_bps"] == 7.84


def test_a_configured_model_is_the_one_asked_and_priced():
    with FakeChatServer() as server, closing(make_advisor(server, "advisor.model=gpt-4o-mini")) as advisor:
        server.answer("SKIP", 0.6, "thin book", prompt_tokens=1_000_000, completion_tokens=1_000_000)

        consultation = advisor.advise(make_brief())

    assert server.requests[0].body["model"] == "gpt-4o-mini"
    assert consultation.model == "gpt-4o-mini"
    assert consultation.cost_usd == Decimal("0.75")  # 0.15 + 0.60 USD for a million tokens each way


def test_malformed_json_is_malformed_and_its_tokens_are_still_counted():
    with FakeChatServer() as server, closing(make_advisor(server)) as advisor:
        server.malformed('{"verdict": "EXECUTE", "confid', prompt_tokens=900, completion_tokens=10)

        error = advise_error(advisor)

    assert error.kind == MALFORMED
    assert "not JSON" in str(error)
    assert (error.tokens_in, error.tokens_out) == (900, 10)
    assert error.cost_usd == Decimal("0.00235")  # (900 * 2.5 + 10 * 10) / 1e6


def test_an_answer_missing_a_field_is_malformed():
    with FakeChatServer() as server, closing(make_advisor(server)) as advisor:
        server.malformed('{"verdict": "EXECUTE", "confidence": 0.7}')

        error = advise_error(advisor)

    assert error.kind == MALFORMED
    assert "reason" in str(error)


def test_a_confidence_above_one_is_malformed():
    with FakeChatServer() as server, closing(make_advisor(server)) as advisor:
        server.answer("EXECUTE", 1.7, "very sure")

        error = advise_error(advisor)

    assert error.kind == MALFORMED
    assert "confidence" in str(error)
    assert error.tokens_in > 0 and error.cost_usd > 0


def test_an_answer_cut_off_at_the_token_limit_is_malformed():
    with FakeChatServer() as server, closing(make_advisor(server)) as advisor:
        server.malformed('{"verdict": "SKIP", "confidence": 0.9, "reason": "the sell', finish_reason="length",
                         prompt_tokens=900, completion_tokens=200)

        error = advise_error(advisor)

    assert error.kind == MALFORMED
    assert "cut off" in str(error)
    assert error.tokens_out == 200


def test_a_refusal_is_refused_with_its_text_and_cost():
    with FakeChatServer() as server, closing(make_advisor(server)) as advisor:
        server.refusal("I can't help with trading decisions.", prompt_tokens=800, completion_tokens=12)

        error = advise_error(advisor)

    assert error.kind == REFUSED
    assert str(error) == "I can't help with trading decisions."
    assert error.cost_usd == Decimal("0.00212")  # (800 * 2.5 + 12 * 10) / 1e6


def test_a_slow_answer_times_out_within_the_budget():
    with FakeChatServer() as server, closing(make_advisor(server, "advisor.budget_ms=200")) as advisor:
        server.delay(1.0)

        started = time.monotonic()
        error = advise_error(advisor)
        elapsed_s = time.monotonic() - started

    assert error.kind == TIMEOUT
    assert elapsed_s < 0.7
    assert len(server.requests) == 1  # the SDK did not retry


def test_http_429_backs_off_for_retry_after_without_asking_the_server_again():
    with FakeChatServer() as server, closing(make_advisor(server)) as advisor:
        server.status(429, retry_after=5)

        first = advise_error(advisor)
        second = advise_error(advisor)

    assert first.kind == RATE_LIMITED
    assert first.retry_after_s == 5.0
    assert second.kind == RATE_LIMITED
    assert "backing off" in str(second) and "after HTTP 429" in str(second)
    assert 4.0 < second.retry_after_s <= 5.0
    assert len(server.requests) == 1


def test_retry_after_is_capped_at_five_minutes():
    with FakeChatServer() as server, closing(make_advisor(server)) as advisor:
        server.status(429, retry_after=3600)

        error = advise_error(advisor)

    assert error.retry_after_s == 300.0


def test_without_retry_after_the_back_off_doubles_and_a_success_resets_it():
    clock = FakeClock()
    with FakeChatServer() as server, closing(make_advisor(server, monotonic=clock)) as advisor:
        server.status(429)
        server.status(429)
        server.answer("WAIT", 0.5, "spread is flickering")
        server.status(429)

        waits_s = [advise_error(advisor).retry_after_s]
        clock.now += 0.99
        still_backing_off = advise_error(advisor)
        clock.now += 0.01
        waits_s.append(advise_error(advisor).retry_after_s)
        clock.now += 2.0
        advisor.advise(make_brief())
        waits_s.append(advise_error(advisor).retry_after_s)

    assert waits_s == [1.0, 2.0, 1.0]
    assert still_backing_off.kind == RATE_LIMITED and still_backing_off.retry_after_s == pytest.approx(0.01)
    assert len(server.requests) == 4


def test_http_500_is_a_server_error_with_its_status():
    with FakeChatServer() as server, closing(make_advisor(server)) as advisor:
        server.status(500, message="The server had an error while processing your request.")

        error = advise_error(advisor)

    assert error.kind == SERVER_ERROR
    assert str(error) == "HTTP 500 The server had an error while processing your request."
    assert len(server.requests) == 1


def test_http_401_is_an_auth_error():
    with FakeChatServer() as server, closing(make_advisor(server)) as advisor:
        server.status(401, message="Incorrect API key provided.")

        error = advise_error(advisor)

    assert error.kind == AUTH
    assert "401" in str(error) and "Incorrect API key" in str(error)


def test_a_server_that_is_gone_is_a_connection_error():
    with FakeChatServer() as server:
        advisor = make_advisor(server)
    with closing(advisor):
        error = advise_error(advisor)

    assert error.kind == CONNECTION


def test_environment_key_and_base_url_are_honoured():
    with FakeChatServer() as server:
        environ = {"OPENAI_API_KEY": "sk-from-env", "OPENAI_BASE_URL": server.base_url}
        with closing(OpenAIAdvisor(load_config().advisor, environ=environ)) as advisor:
            consultation = advisor.advise(make_brief())

    assert consultation.advice.verdict == EXECUTE
    assert server.requests[0].headers["authorization"] == "Bearer sk-from-env"


def test_a_base_url_without_a_key_sends_the_placeholder_key():
    with FakeChatServer() as server:
        environ = {"OPENAI_BASE_URL": server.base_url}
        with closing(OpenAIAdvisor(load_config().advisor, environ=environ)) as advisor:
            advisor.advise(make_brief())

    assert server.requests[0].headers["authorization"] == f"Bearer {NO_KEY}"


def test_the_config_wins_over_the_environment():
    config = load_config(None, ["advisor.api_key=sk-config", "advisor.base_url=http://127.0.0.1:1/v1"])

    key, base_url = resolve_connection(config.advisor, {"OPENAI_API_KEY": "sk-env",
                                                        "OPENAI_BASE_URL": "http://example.invalid/v1"})

    assert (key, base_url) == ("sk-config", "http://127.0.0.1:1/v1")


def test_a_key_without_a_base_url_means_the_openai_api():
    assert resolve_connection(load_config().advisor, {"OPENAI_API_KEY": "sk-env"}) == ("sk-env", None)


def test_no_key_and_no_base_url_is_a_setup_error():
    with pytest.raises(AdvisorSetupError, match="needs an API key: set OPENAI_API_KEY"):
        OpenAIAdvisor(load_config().advisor, environ={})


def test_a_delayed_reply_within_the_budget_is_answered():
    with FakeChatServer() as server, closing(make_advisor(server, "advisor.budget_ms=2000")) as advisor:
        server.delay(0.05, then=answer("SKIP", 0.9, "sell venue is reconnecting"))

        consultation = advisor.advise(make_brief())

    assert consultation.advice.verdict == SKIP
    assert consultation.latency_ms >= 50
