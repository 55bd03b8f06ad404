"""Jupiter's quote schema, pure: request -> query parameters, strict reply parsing, threshold arithmetic.

The two "real" replies below were sent by Jupiter and published by others; they are the ground truth for
the reply shape and for the rounding of ``otherAmountThreshold`` and the platform fee.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from octo_desktop.desks.router.jupiter_http import QuoteServer
from octo_desktop.router.jupiter import (
    EXACT_IN,
    EXACT_OUT,
    InvalidQuoteRequest,
    MalformedQuote,
    PlatformFee,
    Quote,
    QuoteError,
    QuoteRequest,
    other_amount_threshold,
    platform_fee_amount,
    quote_response,
    route_step,
)

SOL = "So11111111111111111111111111111111111111112"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
JUP_LIKE = "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"

# Jupiter's V6 Swap API docs (station.jup.ag "V6 Swap API" page): GET /quote SOL->USDC amount=1000000
# slippageBps=1. Three hops, percent 100 on each, and the feeAmount/feeMint fields removed in Nov 2025.
DOCS_THREE_HOP_REPLY = {
    "inputMint": SOL, "inAmount": "1000000", "outputMint": USDC, "outAmount": "166974",
    "otherAmountThreshold": "166958", "swapMode": "ExactIn", "slippageBps": 1, "platformFee": None,
    "priceImpactPct": "0",
    "routePlan": [
        {"swapInfo": {"ammKey": "5BUwFW4nRbftYTDMbgxykoFWqWHPzahFSNAaaaJtVKsq", "label": "Perps", "inputMint": SOL,
                      "outputMint": "7vfCXTUXx5WJV5JADk17DUJ4ksgau7utNKj4b963voxs", "inAmount": "1000000",
                      "outAmount": "4386", "feeAmount": "19",
                      "feeMint": "7vfCXTUXx5WJV5JADk17DUJ4ksgau7utNKj4b963voxs"}, "percent": 100},
        {"swapInfo": {"ammKey": "EtM8dePn8AE2BkbbEr9AHHbcbuNSpi3ELCaJRLAP8FLx", "label": "Meteora DLMM",
                      "inputMint": "7vfCXTUXx5WJV5JADk17DUJ4ksgau7utNKj4b963voxs",
                      "outputMint": "85VBFQZC9TZkfaptBWjvUw7YbZjy52A6mjtPGjstQAmQ", "inAmount": "4386",
                      "outAmount": "284006", "feeAmount": "18",
                      "feeMint": "7vfCXTUXx5WJV5JADk17DUJ4ksgau7utNKj4b963voxs"}, "percent": 100},
        {"swapInfo": {"ammKey": "7A772vpSqmT4fDPCBPTZqwPAETay9Pcun6cfpBA3cdzK", "label": "Raydium CLMM",
                      "inputMint": "85VBFQZC9TZkfaptBWjvUw7YbZjy52A6mjtPGjstQAmQ", "outputMint": USDC,
                      "inAmount": "284006", "outAmount": "166974", "feeAmount": "121",
                      "feeMint": "85VBFQZC9TZkfaptBWjvUw7YbZjy52A6mjtPGjstQAmQ"}, "percent": 100},
    ],
    "contextSlot": 269110546, "timeTaken": 2.561226463,
}
DOCS_REQUEST = QuoteRequest(SOL, USDC, 1_000_000, slippage_bps=1)

# A reply quoted in a public integration (a /swap request body): a 30/70 split over two Whirlpools with a
# 40 bps platform fee and an unknown extra field (computedAutoSlippage).
SPLIT_WITH_FEE_REPLY = {
    "inputMint": SOL, "inAmount": "10000000000", "outputMint": JUP_LIKE, "outAmount": "756688408",
    "otherAmountThreshold": "755931720", "swapMode": "ExactIn", "slippageBps": 10, "computedAutoSlippage": 3,
    "platformFee": {"amount": "3038909", "feeBps": 40}, "priceImpactPct": "0.0003571553682361746771202933",
    "routePlan": [
        {"swapInfo": {"ammKey": "4E6q7eJE6vBNdquqzYYi5gvzd5MNpwiQKhjbRTRQGuQd", "label": "Whirlpool",
                      "inputMint": SOL, "outputMint": JUP_LIKE, "inAmount": "3000000000",
                      "outAmount": "227906608", "feeAmount": "150", "feeMint": SOL}, "percent": 30},
        {"swapInfo": {"ammKey": "D6NdKrKNQPmRZCCnG1GqXtF7MMoHB7qR6GU5TkG59Qz1", "label": "Whirlpool",
                      "inputMint": SOL, "outputMint": JUP_LIKE, "inAmount": "7000000000",
                      "outAmount": "531820709", "feeAmount": "280", "feeMint": SOL}, "percent": 70},
    ],
    "contextSlot": 273443356, "timeTaken": 0.082420253,
}
SPLIT_REQUEST = QuoteRequest(SOL, JUP_LIKE, 10_000_000_000, slippage_bps=10, platform_fee_bps=40)


def current_reply() -> dict:
    """A reply in today's schema (swagger @ 6dbd33a): no fee fields, percent and bps, instructionVersion."""
    return {
        "inputMint": SOL, "inAmount": "1000000000", "outputMint": USDC, "outAmount": "150000000",
        "otherAmountThreshold": "149250000", "swapMode": "ExactIn", "slippageBps": 50, "platformFee": None,
        "priceImpactPct": "0.0001", "instructionVersion": "V1",
        "routePlan": [
            {"swapInfo": {"ammKey": "PoolA", "label": "Raydium", "inputMint": SOL, "outputMint": USDC,
                          "inAmount": "600000000", "outAmount": "90000000"}, "percent": 60, "bps": 6000},
            {"swapInfo": {"ammKey": "PoolB", "label": "Meteora DLMM", "inputMint": SOL, "outputMint": USDC,
                          "inAmount": "400000000", "outAmount": "60000000"}, "percent": 40, "bps": 4000},
        ],
        "contextSlot": 380000000, "timeTaken": 0.01,
    }


CURRENT_REQUEST = QuoteRequest(SOL, USDC, 1_000_000_000)


def malformed_error(body, request=None) -> str:
    """The one-line message ``Quote.from_response`` raises for ``body``."""
    with pytest.raises(MalformedQuote) as caught:
        Quote.from_response(body, request)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("malformed Jupiter quote: ")
    return message


# --- the request ------------------------------------------------------------------------------------------


def test_a_default_request_names_every_parameter_as_jupiter_does():
    assert QuoteRequest(SOL, USDC, 1_000_000).query_params() == {
        "inputMint": SOL, "outputMint": USDC, "amount": "1000000", "slippageBps": "50", "swapMode": "ExactIn",
        "onlyDirectRoutes": "false", "restrictIntermediateTokens": "true",
    }


def test_every_option_becomes_its_jupiter_parameter():
    request = QuoteRequest(SOL, USDC, 25, slippage_bps=120, swap_mode=EXACT_OUT, exclude_dexes=("Obric V2",),
                           only_direct_routes=True, restrict_intermediate_tokens=False, max_accounts=32,
                           platform_fee_bps=20, as_legacy_transaction=True)

    assert request.query_params() == {
        "inputMint": SOL, "outputMint": USDC, "amount": "25", "slippageBps": "120", "swapMode": "ExactOut",
        "excludeDexes": "Obric V2", "onlyDirectRoutes": "true", "restrictIntermediateTokens": "false",
        "maxAccounts": "32", "platformFeeBps": "20", "asLegacyTransaction": "true",
    }


def test_dexes_are_comma_separated_with_spaces_as_plus_as_in_jupiters_example():
    request = QuoteRequest(SOL, USDC, 1_000_000, dexes=("Raydium", "Orca V2", "Meteora DLMM"))

    assert "&dexes=Raydium,Orca+V2,Meteora+DLMM&" in request.query_string()


def test_a_query_string_parses_back_to_the_same_request():
    request = QuoteRequest(SOL, USDC, 2**64 - 1, slippage_bps=0, swap_mode=EXACT_OUT, dexes=("Orca V2", "Raydium"),
                           max_accounts=40, platform_fee_bps=10)

    assert QuoteRequest.from_query(parse_qsl(request.query_string())) == request


def test_a_bare_query_takes_jupiters_defaults():
    request = QuoteRequest.from_query([("inputMint", SOL), ("outputMint", USDC), ("amount", "7")])

    assert (request.slippage_bps, request.swap_mode, request.only_direct_routes,
            request.restrict_intermediate_tokens, request.max_accounts) == (50, EXACT_IN, False, True, None)


def test_repeated_dexes_keys_are_accepted_and_unknown_parameters_ignored():
    request = QuoteRequest.from_query([("inputMint", SOL), ("outputMint", USDC), ("amount", "7"),
                                       ("dexes", "Raydium"), ("dexes", "Whirlpool,Phoenix"),
                                       ("instructionVersion", "V2"), ("dynamicSlippage", "true")])

    assert request.dexes == ("Raydium", "Whirlpool", "Phoenix")


@pytest.mark.parametrize("pairs, fragment", [
    ([("outputMint", USDC), ("amount", "7")], "missing query parameter inputMint"),
    ([("inputMint", SOL), ("outputMint", USDC)], "missing query parameter amount"),
    ([("inputMint", SOL), ("outputMint", USDC), ("amount", "1.5")], "amount must be a non-negative integer"),
    ([("inputMint", SOL), ("outputMint", USDC), ("amount", "-3")], "amount must be a non-negative integer"),
    ([("inputMint", SOL), ("outputMint", USDC), ("amount", "0")], "amount must be a positive integer"),
    ([("inputMint", SOL), ("outputMint", USDC), ("amount", str(2**64))], "amount must be a positive integer"),
    ([("inputMint", SOL), ("outputMint", USDC), ("amount", "7"), ("amount", "8")], "amount is given 2 times"),
    ([("inputMint", SOL), ("outputMint", USDC), ("amount", "7"), ("slippageBps", "10001")], "slippageBps"),
    ([("inputMint", SOL), ("outputMint", USDC), ("amount", "7"), ("swapMode", "exactIn")], "swapMode"),
    ([("inputMint", SOL), ("outputMint", USDC), ("amount", "7"), ("onlyDirectRoutes", "yes")],
     "onlyDirectRoutes must be true or false"),
    ([("inputMint", SOL), ("outputMint", USDC), ("amount", "7"), ("dexes", "Raydium"), ("excludeDexes", "Orca")],
     "dexes and excludeDexes cannot be set at the same time"),
    ([("inputMint", SOL), ("outputMint", SOL), ("amount", "7")], "must differ"),
])
def test_bad_query_parameters_are_refused_with_one_line_naming_the_parameter(pairs, fragment):
    with pytest.raises(InvalidQuoteRequest) as caught:
        QuoteRequest.from_query(pairs)

    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("overrides", [{"amount": True}, {"amount": 1.0}, {"max_accounts": 0},
                                       {"platform_fee_bps": -1}, {"dexes": ["Raydium"]}, {"dexes": ("a,b",)},
                                       {"only_direct_routes": "false"}, {"input_mint": ""}])
def test_a_request_refuses_values_jupiter_would_not_take(overrides):
    arguments = {"input_mint": SOL, "output_mint": USDC, "amount": 5, **overrides}

    with pytest.raises(InvalidQuoteRequest):
        QuoteRequest(**arguments)


# --- parsing replies --------------------------------------------------------------------------------------


def test_jupiters_documented_three_hop_reply_parses_ignoring_the_removed_fee_fields():
    quote = Quote.from_response(DOCS_THREE_HOP_REPLY, DOCS_REQUEST)

    assert (quote.in_amount, quote.out_amount, quote.other_amount_threshold) == (1_000_000, 166_974, 166_958)
    assert quote.labels == ("Perps", "Meteora DLMM", "Raydium CLMM")
    assert [step.percent for step in quote.route_plan] == [100, 100, 100]
    assert quote.route_plan[1].swap_info.out_amount == 284_006
    assert (quote.slippage_bps, quote.price_impact, quote.platform_fee) == (1, 0.0, None)
    assert (quote.context_slot, quote.time_taken_s) == (269110546, 2.561226463)


def test_a_split_reply_with_a_platform_fee_parses():
    quote = Quote.from_response(SPLIT_WITH_FEE_REPLY, SPLIT_REQUEST)

    assert [step.percent for step in quote.route_plan] == [30, 70]
    assert quote.platform_fee == PlatformFee(amount=3_038_909, fee_bps=40)
    assert quote.price_impact_pct == "0.0003571553682361746771202933"


def test_a_reply_in_todays_schema_parses_and_round_trips():
    quote = Quote.from_response(current_reply(), CURRENT_REQUEST)

    assert [step.share_bps for step in quote.route_plan] == [6000, 4000]
    assert Quote.from_response(quote.to_response(), CURRENT_REQUEST) == quote


def test_a_step_with_null_percent_is_read_by_its_bps():
    body = current_reply()
    body["routePlan"][0]["percent"] = None
    body["routePlan"][1]["percent"] = None

    quote = Quote.from_response(body)

    assert [step.share_bps for step in quote.route_plan] == [6000, 4000]


def test_a_missing_label_is_allowed_as_the_schema_says():
    body = current_reply()
    del body["routePlan"][0]["swapInfo"]["label"]

    assert Quote.from_response(body).labels == ("", "Meteora DLMM")


def edit(path_and_value):
    """A copy of ``current_reply()`` with one edit: ``(("routePlan", 0, "percent"), 50)``; a value of
    ``DELETE`` removes the key."""
    path, value = path_and_value
    body = copy.deepcopy(current_reply())
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


DELETE = object()


@pytest.mark.parametrize("change, fragment", [
    ((("outAmount",), DELETE), "outAmount is missing"),
    ((("routePlan",), DELETE), "routePlan is missing"),
    ((("routePlan", 1, "swapInfo", "ammKey"), DELETE), "routePlan[1].swapInfo.ammKey is missing"),
    ((("inAmount",), "1e9"), "inAmount is not a string of an integer: '1e9'"),
    ((("outAmount",), "150000000.5"), "outAmount is not a string of an integer"),
    ((("otherAmountThreshold",), 149250000), "otherAmountThreshold is not a string of an integer: 149250000"),
    ((("inAmount",), "-1000000000"), "inAmount is not a string of an integer"),
    ((("outAmount",), str(2**64)), "does not fit in a u64"),
    ((("routePlan", 0, "swapInfo", "outAmount"), "lots"), "routePlan[0].swapInfo.outAmount is not a string"),
    ((("routePlan", 0, "bps"), 5000), f"the routePlan steps leaving {SOL} take 90 %, not 100 %"),
    ((("routePlan", 0, "percent"), 60.0), "routePlan[0].percent is not an integer"),
    ((("routePlan", 0, "swapInfo"), "x"), "routePlan[0].swapInfo is a string, not an object"),
    ((("routePlan",), []), "routePlan is empty"),
    ((("swapMode",), "exactIn"), "swapMode is not ExactIn or ExactOut"),
    ((("slippageBps",), "50"), "slippageBps is not an integer from 0 to 10000: '50'"),
    ((("priceImpactPct",), 0.0001), "priceImpactPct is not a string of a number"),
    ((("priceImpactPct",), "NaN"), "priceImpactPct is not a string of a number"),
    ((("platformFee",), {"amount": "1"}), "platformFee.feeBps is missing"),
    ((("contextSlot",), "380000000"), "contextSlot is not a non-negative integer"),
    ((("otherAmountThreshold",), "150000001"), "otherAmountThreshold 150000001 is above outAmount 150000000"),
])
def test_each_malformed_reply_gives_one_line_naming_the_problem(change, fragment):
    assert fragment in malformed_error(edit(change))


def test_split_percents_not_adding_up_to_100_are_malformed():
    body = copy.deepcopy(SPLIT_WITH_FEE_REPLY)
    body["routePlan"][0]["percent"] = 20

    assert f"the routePlan steps leaving {SOL} take 90 %, not 100 %" in malformed_error(body)


def test_a_middle_hop_that_moves_less_than_everything_is_malformed():
    body = copy.deepcopy(DOCS_THREE_HOP_REPLY)
    body["routePlan"][1]["percent"] = 99

    message = malformed_error(body)

    assert "the routePlan steps leaving 7vfCXTUXx5WJV5JADk17DUJ4ksgau7utNKj4b963voxs take 99 %" in message


def test_a_body_that_is_not_an_object_is_malformed():
    assert "the body is a list, not an object" in malformed_error([current_reply()])


def test_a_route_that_never_reaches_the_output_mint_is_malformed():
    body = current_reply()
    for step in body["routePlan"]:
        step["swapInfo"]["outputMint"] = "Other111"

    assert f"no routePlan step ends in outputMint {USDC}" in malformed_error(body)


def test_a_step_from_a_mint_nothing_provides_is_malformed():
    body = current_reply()
    body["routePlan"].append({"swapInfo": {"ammKey": "PoolC", "label": "Orca", "inputMint": "Stray111",
                                           "outputMint": USDC, "inAmount": "1", "outAmount": "1"}, "percent": 100})

    assert "routePlan[2] starts from Stray111" in malformed_error(body)


def test_a_step_with_neither_percent_nor_bps_is_malformed():
    body = current_reply()
    del body["routePlan"][0]["percent"], body["routePlan"][0]["bps"]

    assert "routePlan[0] has neither percent nor bps" in malformed_error(body)


@pytest.mark.parametrize("request_, fragment", [
    (QuoteRequest(JUP_LIKE, USDC, 1_000_000_000), f"inputMint {SOL} does not match the requested {JUP_LIKE}"),
    (QuoteRequest(SOL, JUP_LIKE, 1_000_000_000), f"outputMint {USDC} does not match the requested {JUP_LIKE}"),
    (QuoteRequest(SOL, USDC, 1_000_000_000, swap_mode=EXACT_OUT), "swapMode ExactIn does not match"),
    (QuoteRequest(SOL, USDC, 999), "inAmount 1000000000 does not match the requested amount 999"),
])
def test_a_reply_that_does_not_answer_the_request_is_malformed(request_, fragment):
    assert fragment in malformed_error(current_reply(), request_)


def test_an_exact_out_reply_must_deliver_the_requested_amount():
    body = current_reply()
    body.update(swapMode=EXACT_OUT, otherAmountThreshold="1005000000")

    Quote.from_response(body, QuoteRequest(SOL, USDC, 150_000_000, swap_mode=EXACT_OUT))
    assert "outAmount 150000000 does not match the requested amount 150000001" in malformed_error(
        body, QuoteRequest(SOL, USDC, 150_000_001, swap_mode=EXACT_OUT))


def test_an_exact_out_threshold_below_the_input_is_malformed():
    body = current_reply()
    body.update(swapMode=EXACT_OUT, otherAmountThreshold="999999999")

    assert "otherAmountThreshold 999999999 is below inAmount 1000000000" in malformed_error(body)


def test_a_quote_error_reads_as_its_code_and_message_on_one_line():
    error = QuoteError("NO_ROUTES_FOUND", "No routes\nfound")

    assert (error.code, error.status, str(error)) == ("NO_ROUTES_FOUND", 400, "NO_ROUTES_FOUND: No routes found")


# --- threshold arithmetic -----------------------------------------------------------------------------------


@pytest.mark.parametrize("out_amount, slippage_bps, threshold", [
    (166_974, 1, 166_958),  # Jupiter's docs reply; the floor of out*(10000-bps)/10000 would be 166_957
    (756_688_408, 10, 755_931_720),  # the split reply; floor would be 755_931_719
    (9_998_099, 50, 9_948_109),  # a third published reply; floor would be 9_948_108
])
def test_exact_in_threshold_matches_replies_jupiter_really_sent(out_amount, slippage_bps, threshold):
    assert other_amount_threshold(out_amount, slippage_bps, EXACT_IN) == threshold


@pytest.mark.parametrize("amount, slippage_bps, mode, threshold", [
    (10_000, 50, EXACT_IN, 9_950),  # exact: no rounding
    (9_999, 50, EXACT_IN, 9_950),  # allowance 49.995 rounds down to 49
    (199, 50, EXACT_IN, 199),  # allowance 0.995 -> 0: one unit short of slipping
    (200, 50, EXACT_IN, 199),  # allowance exactly 1
    (1, 9_999, EXACT_IN, 1),
    (12_345, 0, EXACT_IN, 12_345),  # no slippage: the threshold is the amount (cow-sdk PR #1016)
    (12_345, 10_000, EXACT_IN, 0),  # 100 %: anything out is accepted
    (0, 50, EXACT_IN, 0),
    (10_000, 50, EXACT_OUT, 10_050),
    (9_999, 50, EXACT_OUT, 10_048),  # 9999 + 49: the allowance rounds down here too
    (199, 50, EXACT_OUT, 199),
    (200, 50, EXACT_OUT, 201),
    (12_345, 10_000, EXACT_OUT, 24_690),
    (2**64 - 1, 1, EXACT_IN, 2**64 - 1 - (2**64 - 1) // 10_000),  # exact at u64 size: no floats
])
def test_threshold_rounding_edges_in_both_modes(amount, slippage_bps, mode, threshold):
    assert other_amount_threshold(amount, slippage_bps, mode) == threshold


@pytest.mark.parametrize("amount, slippage_bps, mode", [
    (100, 10_001, EXACT_IN), (100, -1, EXACT_IN), (-1, 50, EXACT_IN), (100, 50, "exactIn"), (100.0, 50, EXACT_IN),
])
def test_threshold_refuses_impossible_inputs(amount, slippage_bps, mode):
    with pytest.raises(ValueError):
        other_amount_threshold(amount, slippage_bps, mode)


def test_platform_fee_matches_the_reply_jupiter_sent():
    gross = 227_906_608 + 531_820_709  # what the two steps deliver

    assert platform_fee_amount(gross, 40) == 3_038_909
    assert gross - platform_fee_amount(gross, 40) == int(SPLIT_WITH_FEE_REPLY["outAmount"])


# --- building replies -------------------------------------------------------------------------------------


def test_quote_response_builds_a_body_that_parses_back_with_its_threshold():
    request = QuoteRequest(SOL, USDC, 1_000_000, slippage_bps=50)
    steps = [route_step("PoolA", "Raydium", SOL, USDC, 1_000_000, 166_974)]

    body = quote_response(request, 1_000_000, 166_974, steps, 0.0023, context_slot=5, time_taken_s=0.01)

    assert body["otherAmountThreshold"] == "166140"  # 166974 - floor(834.87)
    assert body["priceImpactPct"] == "0.0023"
    quote = Quote.from_response(body, request)
    assert (quote.out_amount, quote.context_slot, quote.route_plan) == (166_974, 5, tuple(steps))


def test_quote_response_takes_the_requested_platform_fee_as_jupiter_does():
    request = SPLIT_REQUEST
    steps = [route_step("4E6q7eJE6vBNdquqzYYi5gvzd5MNpwiQKhjbRTRQGuQd", "Whirlpool", SOL, JUP_LIKE,
                        3_000_000_000, 227_906_608, 30),
             route_step("D6NdKrKNQPmRZCCnG1GqXtF7MMoHB7qR6GU5TkG59Qz1", "Whirlpool", SOL, JUP_LIKE,
                        7_000_000_000, 531_820_709, 70)]

    body = quote_response(request, 10_000_000_000, 227_906_608 + 531_820_709, steps,
                          "0.0003571553682361746771202933")

    for key in ("outAmount", "otherAmountThreshold", "platformFee", "slippageBps", "priceImpactPct"):
        assert body[key] == SPLIT_WITH_FEE_REPLY[key], key


def test_quote_response_computes_the_exact_out_threshold_on_the_input():
    request = QuoteRequest(SOL, USDC, 150_000_000, slippage_bps=100, swap_mode=EXACT_OUT)
    steps = [route_step("PoolA", "Raydium", SOL, USDC, 1_000_000_001, 150_000_000)]

    body = quote_response(request, 1_000_000_001, 150_000_000, steps, "0")

    assert body["otherAmountThreshold"] == "1010000001"  # 1000000001 + floor(10000000.01)


def test_quote_response_refuses_to_build_a_route_whose_shares_do_not_add_up():
    request = QuoteRequest(SOL, USDC, 1_000_000)
    steps = [route_step("PoolA", "Raydium", SOL, USDC, 600_000, 90_000, 60)]

    with pytest.raises(ValueError, match="take 60 %, not 100 %"):
        quote_response(request, 1_000_000, 90_000, steps, "0")


# --- module shape -----------------------------------------------------------------------------------------


def test_the_quote_server_refuses_a_non_loopback_address():
    with pytest.raises(ValueError, match="loopback"):
        QuoteServer(lambda request: {}, host="0.0.0.0")


def test_the_schema_part_does_not_import_aiohttp():
    code = "import sys, octo_desktop.desks.router.jupiter_http; print('aiohttp' in sys.modules)"

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True,
                            cwd=Path(__file__).resolve().parents[2])

    assert result.stdout.strip() == "False"
