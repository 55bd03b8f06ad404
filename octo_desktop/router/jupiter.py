"""Jupiter's quote API (``GET /quote``): its request and reply schema. Pure.

``QuoteRequest`` names its query parameters exactly as Jupiter does, ``Quote.from_response`` validates a reply
strictly and says what is wrong in one line, and ``other_amount_threshold`` / ``platform_fee_amount`` redo
Jupiter's integer arithmetic. The HTTP client and Octo's own loopback ``/quote`` server that speak it are in
``octo_desktop.desks.router.jupiter_http``.

Verified against jup-ag/jupiter-quote-api-node ``swagger.yaml`` @ 6dbd33a (2025-12, after d3c9fb4 removed
``swapInfo.feeAmount``/``feeMint`` and made ``routePlan[].percent`` nullable): the query parameter names,
types and defaults (``slippageBps`` 50, ``swapMode`` ExactIn, ``restrictIntermediateTokens`` true,
``onlyDirectRoutes`` false); ``dexes``/``excludeDexes`` are sent comma-separated (the parameter docs'
``dexes=Raydium,Orca+V2,Meteora+DLMM``; the generated client's repeated keys were reported broken); the
required reply fields (``inputMint inAmount outputMint outAmount otherAmountThreshold swapMode slippageBps
priceImpactPct routePlan``; in ``swapInfo`` only ``ammKey inputMint outputMint inAmount outAmount`` -
``label`` is optional); amounts are strings of integers; ``routePlan[].bps`` exists beside ``percent``.
Errors are HTTP 400 ``{"error", "errorCode"}`` (Jupiter's v6 docs show ``INVALID_REQUEST`` for bad
parameters). ``percent`` is per hop: in the docs' three-hop reply every step says 100, in a split reply the
steps leaving one mint say 30 and 70; so the shares of the steps leaving each mint must add up to 100 %.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlencode

JUPITER_BASE_URL = "https://api.jup.ag/swap/v1"
LEGACY_BASE_URL = "https://quote-api.jup.ag/v6"  # the same /quote schema; only the base differs
QUOTE_PATH = "/quote"

EXACT_IN = "ExactIn"
EXACT_OUT = "ExactOut"
SWAP_MODES = (EXACT_IN, EXACT_OUT)
DEFAULT_SLIPPAGE_BPS = 50
BPS_DENOMINATOR = 10_000
U64_MAX = 2**64 - 1

NO_ROUTES_FOUND = "NO_ROUTES_FOUND"
TOKEN_NOT_TRADABLE = "TOKEN_NOT_TRADABLE"
INVALID_REQUEST = "INVALID_REQUEST"

_DIGITS = re.compile(r"[0-9]+")


# --- errors -------------------------------------------------------------------------------------------------


class JupiterError(Exception):
    """Anything that stops a Jupiter quote; the message is one line."""


class QuoteError(JupiterError):
    """Jupiter refused the request (HTTP 400 with an ``errorCode``, e.g. NO_ROUTES_FOUND)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        self.code = code
        self.message = one_line(message)
        self.status = status
        super().__init__(f"{code}: {self.message}")


class JupiterUnavailable(JupiterError):
    """No usable answer: a timeout, a refused connection, a 5xx, a reply that is not JSON."""


class MalformedQuote(JupiterError, ValueError):
    """A reply that does not fit Jupiter's quote schema or does not answer the request."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"malformed Jupiter quote: {one_line(problem)}")


class InvalidQuoteRequest(ValueError):
    """Quote parameters Jupiter would refuse (the message names the parameter)."""


# --- arithmetic ---------------------------------------------------------------------------------------------


def other_amount_threshold(amount: int, slippage_bps: int, swap_mode: str) -> int:
    """Return Jupiter's ``otherAmountThreshold``: the least out (ExactIn, ``amount`` = outAmount) or the most
    in (ExactOut, ``amount`` = inAmount) that ``slippage_bps`` tolerates.

    The slippage allowance ``floor(amount * bps / 10000)`` is rounded down, so the tolerance never exceeds
    ``slippage_bps``: ExactIn gives ``amount - allowance`` (= ceil(amount*(10000-bps)/10000), NOT the floor),
    ExactOut ``amount + allowance``. Checked for ExactIn against three replies Jupiter really sent: out
    166974 at 1 bps -> 166958 (Jupiter's v6 docs; the floor would be 166957), 756688408 at 10 bps ->
    755931720, 9998099 at 50 bps -> 9948109. The schema states no rounding and no ExactOut reply with a
    non-zero slippage was found, so ExactOut applies the same rule by symmetry (unverified).
    """
    _check_bps("slippage_bps", slippage_bps)
    _check_amount("amount", amount)
    allowance = amount * slippage_bps // BPS_DENOMINATOR
    if swap_mode == EXACT_IN:
        return amount - allowance
    if swap_mode == EXACT_OUT:
        return amount + allowance
    raise ValueError(f"swap mode must be ExactIn or ExactOut, got {_show(swap_mode)}")


def platform_fee_amount(gross_out_amount: int, fee_bps: int) -> int:
    """Return the platform fee Jupiter takes from an ExactIn route's output: floor(gross * feeBps / 10000).

    Checked against a real split reply: its steps deliver 227906608 + 531820709 = 759727317, 40 bps gives
    ``platformFee.amount`` 3038909 and ``outAmount`` 756688408 = 759727317 - 3038909.
    """
    _check_bps("fee_bps", fee_bps)
    _check_amount("gross_out_amount", gross_out_amount)
    return gross_out_amount * fee_bps // BPS_DENOMINATOR


# --- the request --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteRequest:
    """One ``GET /quote``: amounts in raw integer units (``amount`` is the input for ExactIn, else the output)."""

    input_mint: str
    output_mint: str
    amount: int
    slippage_bps: int = DEFAULT_SLIPPAGE_BPS
    swap_mode: str = EXACT_IN
    dexes: tuple[str, ...] = ()
    exclude_dexes: tuple[str, ...] = ()
    only_direct_routes: bool = False
    restrict_intermediate_tokens: bool = True
    max_accounts: int | None = None
    platform_fee_bps: int | None = None
    as_legacy_transaction: bool = False

    def __post_init__(self) -> None:
        for name, mint in (("inputMint", self.input_mint), ("outputMint", self.output_mint)):
            if not isinstance(mint, str) or not mint.strip():
                raise InvalidQuoteRequest(f"{name} must be a mint address, got {_show(mint)}")
        if self.input_mint == self.output_mint:
            raise InvalidQuoteRequest("inputMint and outputMint must differ")
        if not _is_int(self.amount) or not 0 < self.amount <= U64_MAX:
            raise InvalidQuoteRequest(f"amount must be a positive integer of raw units, got {_show(self.amount)}")
        if not _is_int(self.slippage_bps) or not 0 <= self.slippage_bps <= BPS_DENOMINATOR:
            raise InvalidQuoteRequest(f"slippageBps must be an integer from 0 to 10000, got {_show(self.slippage_bps)}")
        if self.swap_mode not in SWAP_MODES:
            raise InvalidQuoteRequest(f"swapMode must be ExactIn or ExactOut, got {_show(self.swap_mode)}")
        for name, dexes in (("dexes", self.dexes), ("excludeDexes", self.exclude_dexes)):
            if not isinstance(dexes, tuple) or not all(isinstance(d, str) and d.strip() and "," not in d
                                                       for d in dexes):
                raise InvalidQuoteRequest(f"{name} must be a tuple of DEX labels without commas, got {_show(dexes)}")
        if self.dexes and self.exclude_dexes:
            raise InvalidQuoteRequest("dexes and excludeDexes cannot be set at the same time")
        for name, flag in (("onlyDirectRoutes", self.only_direct_routes),
                           ("restrictIntermediateTokens", self.restrict_intermediate_tokens),
                           ("asLegacyTransaction", self.as_legacy_transaction)):
            if not isinstance(flag, bool):
                raise InvalidQuoteRequest(f"{name} must be true or false, got {_show(flag)}")
        if self.max_accounts is not None and (not _is_int(self.max_accounts) or self.max_accounts <= 0):
            raise InvalidQuoteRequest(f"maxAccounts must be a positive integer, got {_show(self.max_accounts)}")
        if self.platform_fee_bps is not None and (not _is_int(self.platform_fee_bps)
                                                  or not 0 <= self.platform_fee_bps <= BPS_DENOMINATOR):
            raise InvalidQuoteRequest(
                f"platformFeeBps must be an integer from 0 to 10000, got {_show(self.platform_fee_bps)}")

    def query_params(self) -> dict[str, str]:
        """Return the query parameters, named as Jupiter names them, in a fixed order.

        The two routing flags are always sent (Jupiter's defaults could change); the optional ones only
        when set."""
        params = {
            "inputMint": self.input_mint,
            "outputMint": self.output_mint,
            "amount": str(self.amount),
            "slippageBps": str(self.slippage_bps),
            "swapMode": self.swap_mode,
        }
        if self.dexes:
            params["dexes"] = ",".join(self.dexes)
        if self.exclude_dexes:
            params["excludeDexes"] = ",".join(self.exclude_dexes)
        params["onlyDirectRoutes"] = _bool_text(self.only_direct_routes)
        params["restrictIntermediateTokens"] = _bool_text(self.restrict_intermediate_tokens)
        if self.max_accounts is not None:
            params["maxAccounts"] = str(self.max_accounts)
        if self.platform_fee_bps is not None:
            params["platformFeeBps"] = str(self.platform_fee_bps)
        if self.as_legacy_transaction:
            params["asLegacyTransaction"] = "true"
        return params

    def query_string(self) -> str:
        """Return the encoded query, commas kept and spaces as ``+`` as in Jupiter's own examples."""
        return urlencode(self.query_params(), safe=",")

    @classmethod
    def from_query(cls, pairs: Iterable[tuple[str, str]]) -> QuoteRequest:
        """Parse decoded query pairs (repeats allowed, as ``MultiDict.items()`` gives them); raise
        ``InvalidQuoteRequest``. ``dexes`` may be comma-separated or repeated; unknown parameters (such as
        ``instructionVersion`` or ``dynamicSlippage``) are ignored, as they do not change a price."""
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            values.setdefault(name, []).append(value)

        def one(name: str, required: bool = False) -> str | None:
            given = values.get(name)
            if not given:
                if required:
                    raise InvalidQuoteRequest(f"missing query parameter {name}")
                return None
            if len(given) > 1:
                raise InvalidQuoteRequest(f"query parameter {name} is given {len(given)} times")
            return given[0]

        def integer(name: str, required: bool = False) -> int | None:
            text = one(name, required)
            if text is None:
                return None
            if not _DIGITS.fullmatch(text):
                raise InvalidQuoteRequest(f"{name} must be a non-negative integer, got {_show(text)}")
            return int(text)

        def flag(name: str, default: bool) -> bool:
            text = one(name)
            if text is None:
                return default
            if text.lower() not in ("true", "false"):
                raise InvalidQuoteRequest(f"{name} must be true or false, got {_show(text)}")
            return text.lower() == "true"

        def labels(name: str) -> tuple[str, ...]:
            return tuple(label.strip() for value in values.get(name, ()) for label in value.split(",")
                         if label.strip())

        swap_mode = one("swapMode")
        slippage_bps = integer("slippageBps")
        return cls(
            input_mint=one("inputMint", required=True),
            output_mint=one("outputMint", required=True),
            amount=integer("amount", required=True),
            slippage_bps=DEFAULT_SLIPPAGE_BPS if slippage_bps is None else slippage_bps,
            swap_mode=EXACT_IN if swap_mode is None else swap_mode,
            dexes=labels("dexes"),
            exclude_dexes=labels("excludeDexes"),
            only_direct_routes=flag("onlyDirectRoutes", False),
            restrict_intermediate_tokens=flag("restrictIntermediateTokens", True),
            max_accounts=integer("maxAccounts"),
            platform_fee_bps=integer("platformFeeBps"),
            as_legacy_transaction=flag("asLegacyTransaction", False),
        )


# --- the reply ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SwapInfo:
    """One AMM swap inside a route; amounts in raw units."""

    amm_key: str
    label: str
    input_mint: str
    output_mint: str
    in_amount: int
    out_amount: int


@dataclass(frozen=True)
class RoutePlanStep:
    """A route step and its share of the amount leaving its input mint (``percent``, or ``bps`` of 10000)."""

    swap_info: SwapInfo
    percent: int | None = 100
    bps: int | None = None

    @property
    def share_bps(self) -> int:
        """Return the step's share in basis points (``bps`` when given, else ``percent`` x 100)."""
        if self.bps is not None:
            return self.bps
        if self.percent is None:
            raise ValueError("a route step needs percent or bps")
        return self.percent * 100


@dataclass(frozen=True)
class PlatformFee:
    """The integrator fee taken from the output, in raw units of the output mint."""

    amount: int
    fee_bps: int


@dataclass(frozen=True)
class Quote:
    """A validated ``/quote`` reply; amounts are Python ints, ``price_impact_pct`` the reply's own string."""

    input_mint: str
    in_amount: int
    output_mint: str
    out_amount: int
    other_amount_threshold: int
    swap_mode: str
    slippage_bps: int
    price_impact_pct: str
    route_plan: tuple[RoutePlanStep, ...]
    platform_fee: PlatformFee | None = None
    context_slot: int | None = None
    time_taken_s: float | None = None

    @property
    def price_impact(self) -> float:
        """Return ``priceImpactPct`` as a float (Jupiter's string, e.g. "0.0023")."""
        return float(self.price_impact_pct)

    @property
    def labels(self) -> tuple[str, ...]:
        """Return the AMM labels along the route, in route order."""
        return tuple(step.swap_info.label for step in self.route_plan)

    @classmethod
    def from_response(cls, body: Any, request: QuoteRequest | None = None) -> Quote:
        """Validate a decoded reply body (and, given ``request``, that it answers it); raise ``MalformedQuote``.

        Unknown fields and the removed ``swapInfo.feeAmount``/``feeMint`` of older servers are ignored."""
        if not isinstance(body, Mapping):
            raise MalformedQuote(f"the body is {_kind(body)}, not an object")
        # Field by field in the schema's order, so the first problem reported is the first a reader meets.
        fields = dict(
            input_mint=_mint(body, "inputMint", "inputMint"),
            in_amount=_amount(body, "inAmount", "inAmount"),
            output_mint=_mint(body, "outputMint", "outputMint"),
            out_amount=_amount(body, "outAmount", "outAmount"),
            other_amount_threshold=_amount(body, "otherAmountThreshold", "otherAmountThreshold"),
            swap_mode=_swap_mode(body),
            slippage_bps=_bps(body, "slippageBps", "slippageBps"),
            price_impact_pct=_price_impact(body),
        )
        plan = _field(body, "routePlan", "routePlan")
        if not isinstance(plan, list):
            raise MalformedQuote(f"routePlan is {_kind(plan)}, not a list")
        if not plan:
            raise MalformedQuote("routePlan is empty")
        fee = body.get("platformFee")
        quote = cls(
            **fields,
            route_plan=tuple(_step(step, f"routePlan[{i}]") for i, step in enumerate(plan)),
            platform_fee=None if fee is None else _platform_fee(fee),
            context_slot=_optional_int(body, "contextSlot"),
            time_taken_s=_optional_seconds(body, "timeTaken"),
        )
        quote._check_consistent()
        if request is not None:
            quote._check_answers(request)
        return quote

    def to_response(self) -> dict[str, Any]:
        """Return the reply body in Jupiter's schema (amounts as strings)."""
        body: dict[str, Any] = {
            "inputMint": self.input_mint,
            "inAmount": str(self.in_amount),
            "outputMint": self.output_mint,
            "outAmount": str(self.out_amount),
            "otherAmountThreshold": str(self.other_amount_threshold),
            "swapMode": self.swap_mode,
            "slippageBps": self.slippage_bps,
            "platformFee": None if self.platform_fee is None else {
                "amount": str(self.platform_fee.amount), "feeBps": self.platform_fee.fee_bps},
            "priceImpactPct": self.price_impact_pct,
            "routePlan": [_step_body(step) for step in self.route_plan],
        }
        if self.context_slot is not None:
            body["contextSlot"] = self.context_slot
        if self.time_taken_s is not None:
            body["timeTaken"] = self.time_taken_s
        return body

    def _check_consistent(self) -> None:
        shares: dict[str, int] = {}
        for i, step in enumerate(self.route_plan):
            shares[step.swap_info.input_mint] = shares.get(step.swap_info.input_mint, 0) + step.share_bps
        for mint, share in shares.items():
            if share != BPS_DENOMINATOR:
                raise MalformedQuote(f"the routePlan steps leaving {mint} take {_percent(share)} %, not 100 %")
        produced = {step.swap_info.output_mint for step in self.route_plan}
        if self.input_mint not in shares:
            raise MalformedQuote(f"no routePlan step starts from inputMint {self.input_mint}")
        if self.output_mint not in produced:
            raise MalformedQuote(f"no routePlan step ends in outputMint {self.output_mint}")
        for i, step in enumerate(self.route_plan):
            if step.swap_info.input_mint != self.input_mint and step.swap_info.input_mint not in produced:
                raise MalformedQuote(f"routePlan[{i}] starts from {step.swap_info.input_mint}, "
                                     "which neither inputMint nor any step provides")
        if self.swap_mode == EXACT_IN and self.other_amount_threshold > self.out_amount:
            raise MalformedQuote(f"otherAmountThreshold {self.other_amount_threshold} is above "
                                 f"outAmount {self.out_amount} for ExactIn")
        if self.swap_mode == EXACT_OUT and self.other_amount_threshold < self.in_amount:
            raise MalformedQuote(f"otherAmountThreshold {self.other_amount_threshold} is below "
                                 f"inAmount {self.in_amount} for ExactOut")

    def _check_answers(self, request: QuoteRequest) -> None:
        if self.input_mint != request.input_mint:
            raise MalformedQuote(f"inputMint {self.input_mint} does not match the requested {request.input_mint}")
        if self.output_mint != request.output_mint:
            raise MalformedQuote(
                f"outputMint {self.output_mint} does not match the requested {request.output_mint}")
        if self.swap_mode != request.swap_mode:
            raise MalformedQuote(f"swapMode {self.swap_mode} does not match the requested {request.swap_mode}")
        # The fixed side is the requested amount (Jupiter's docs: for ExactOut, amount "represents the outAmount").
        if self.swap_mode == EXACT_IN:
            fixed_name, fixed = "inAmount", self.in_amount
        else:
            fixed_name, fixed = "outAmount", self.out_amount
        if fixed != request.amount:
            raise MalformedQuote(f"{fixed_name} {fixed} does not match the requested amount {request.amount}")


def route_step(amm_key: str, label: str, input_mint: str, output_mint: str, in_amount: int, out_amount: int,
               percent: int | None = 100, bps: int | None = None) -> RoutePlanStep:
    """Build one route step (a convenience for ``quote_response``)."""
    return RoutePlanStep(SwapInfo(amm_key, label, input_mint, output_mint, in_amount, out_amount), percent, bps)


def quote_response(request: QuoteRequest, in_amount: int, out_amount: int, route_plan: Sequence[RoutePlanStep],
                   price_impact_pct: float | Decimal | str, *, slippage_bps: int | None = None,
                   platform_fee: PlatformFee | None = None, context_slot: int | None = None,
                   time_taken_s: float | None = None) -> dict[str, Any]:
    """Build a schema-valid ``/quote`` body answering ``request``, computing ``otherAmountThreshold``.

    ``out_amount`` is what the route delivers. When the request asks ``platformFeeBps`` (ExactIn) and no
    ``platform_fee`` is given, the fee is taken from it as Jupiter does: outAmount = out - floor(out*bps/1e4).
    ``slippage_bps`` defaults to the request's. The body is validated before it is returned (``ValueError``).
    """
    slippage_bps = request.slippage_bps if slippage_bps is None else slippage_bps
    if platform_fee is None and request.platform_fee_bps and request.swap_mode == EXACT_IN:
        platform_fee = PlatformFee(platform_fee_amount(out_amount, request.platform_fee_bps), request.platform_fee_bps)
        out_amount -= platform_fee.amount
    fixed_side = out_amount if request.swap_mode == EXACT_IN else in_amount
    impact = price_impact_pct if isinstance(price_impact_pct, str) else _decimal_text(price_impact_pct)
    quote = Quote(
        input_mint=request.input_mint, in_amount=in_amount, output_mint=request.output_mint,
        out_amount=out_amount,
        other_amount_threshold=other_amount_threshold(fixed_side, slippage_bps, request.swap_mode),
        swap_mode=request.swap_mode, slippage_bps=slippage_bps, price_impact_pct=impact,
        route_plan=tuple(route_plan), platform_fee=platform_fee, context_slot=context_slot,
        time_taken_s=time_taken_s)
    body = quote.to_response()
    Quote.from_response(body, request)  # never hand out a body our own parser would refuse
    return body


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_bps(name: str, value: object) -> None:
    if not _is_int(value) or not 0 <= value <= BPS_DENOMINATOR:
        raise ValueError(f"{name} must be an integer from 0 to 10000, got {_show(value)}")


def _check_amount(name: str, value: object) -> None:
    if not _is_int(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {_show(value)}")


def _bool_text(flag: bool) -> str:
    return "true" if flag else "false"


def one_line(text: str) -> str:
    """``text`` with its whitespace runs (newlines included) collapsed: an error fits one line."""
    return " ".join(str(text).split())


def snippet(text: str, limit: int = 120) -> str:
    """The start of a reply body on one line, for an error that quotes it."""
    text = one_line(text)
    if not text:
        return "(empty body)"
    return text if len(text) <= limit else text[:limit] + "..."


def _show(value: object, limit: int = 60) -> str:
    text = one_line(repr(value))
    return text if len(text) <= limit else text[:limit] + "..."


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _percent(share_bps: int) -> str:
    return f"{share_bps / 100:g}"


def _decimal_text(value: float | Decimal) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"price impact must be finite, got {value!r}")
    return str(value)


def _field(obj: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in obj:
        raise MalformedQuote(f"{where} is missing")
    return obj[name]


def _mint(obj: Mapping[str, Any], name: str, where: str) -> str:
    value = _field(obj, name, where)
    if not isinstance(value, str) or not value:
        raise MalformedQuote(f"{where} is not a mint address: {_show(value)}")
    return value


def _amount(obj: Mapping[str, Any], name: str, where: str) -> int:
    value = _field(obj, name, where)
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise MalformedQuote(f"{where} is not a string of an integer: {_show(value)}")
    amount = int(value)
    if amount > U64_MAX:
        raise MalformedQuote(f"{where} {value} does not fit in a u64")
    return amount


def _swap_mode(obj: Mapping[str, Any]) -> str:
    value = _field(obj, "swapMode", "swapMode")
    if value not in SWAP_MODES:
        raise MalformedQuote(f"swapMode is not ExactIn or ExactOut: {_show(value)}")
    return value


def _bps(obj: Mapping[str, Any], name: str, where: str) -> int:
    value = _field(obj, name, where)
    if not _is_int(value) or not 0 <= value <= BPS_DENOMINATOR:
        raise MalformedQuote(f"{where} is not an integer from 0 to 10000: {_show(value)}")
    return value


def _price_impact(obj: Mapping[str, Any]) -> str:
    value = _field(obj, "priceImpactPct", "priceImpactPct")
    try:
        if not isinstance(value, str) or not Decimal(value).is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise MalformedQuote(f"priceImpactPct is not a string of a number: {_show(value)}") from None
    return value


def _step(step: Any, where: str) -> RoutePlanStep:
    if not isinstance(step, Mapping):
        raise MalformedQuote(f"{where} is {_kind(step)}, not an object")
    info = _field(step, "swapInfo", f"{where}.swapInfo")
    if not isinstance(info, Mapping):
        raise MalformedQuote(f"{where}.swapInfo is {_kind(info)}, not an object")
    amm_key = _field(info, "ammKey", f"{where}.swapInfo.ammKey")
    if not isinstance(amm_key, str) or not amm_key:
        raise MalformedQuote(f"{where}.swapInfo.ammKey is not a string: {_show(amm_key)}")
    label = info.get("label", "")
    if not isinstance(label, str):
        raise MalformedQuote(f"{where}.swapInfo.label is not a string: {_show(label)}")
    swap_info = SwapInfo(
        amm_key=amm_key, label=label,
        input_mint=_mint(info, "inputMint", f"{where}.swapInfo.inputMint"),
        output_mint=_mint(info, "outputMint", f"{where}.swapInfo.outputMint"),
        in_amount=_amount(info, "inAmount", f"{where}.swapInfo.inAmount"),
        out_amount=_amount(info, "outAmount", f"{where}.swapInfo.outAmount"))
    percent, bps = step.get("percent"), step.get("bps")
    if percent is not None and (not _is_int(percent) or not 0 <= percent <= 100):
        raise MalformedQuote(f"{where}.percent is not an integer from 0 to 100: {_show(percent)}")
    if bps is not None and (not _is_int(bps) or not 0 <= bps <= BPS_DENOMINATOR):
        raise MalformedQuote(f"{where}.bps is not an integer from 0 to 10000: {_show(bps)}")
    if percent is None and bps is None:
        raise MalformedQuote(f"{where} has neither percent nor bps")
    return RoutePlanStep(swap_info, percent, bps)


def _step_body(step: RoutePlanStep) -> dict[str, Any]:
    info = step.swap_info
    body: dict[str, Any] = {
        "swapInfo": {"ammKey": info.amm_key, "label": info.label, "inputMint": info.input_mint,
                     "outputMint": info.output_mint, "inAmount": str(info.in_amount),
                     "outAmount": str(info.out_amount)},
        "percent": step.percent,
    }
    if step.bps is not None:
        body["bps"] = step.bps
    return body


def _platform_fee(fee: Any) -> PlatformFee:
    if not isinstance(fee, Mapping):
        raise MalformedQuote(f"platformFee is {_kind(fee)}, not an object")
    return PlatformFee(_amount(fee, "amount", "platformFee.amount"), _bps(fee, "feeBps", "platformFee.feeBps"))


def _optional_int(obj: Mapping[str, Any], name: str) -> int | None:
    value = obj.get(name)
    if value is None:
        return None
    if not _is_int(value) or value < 0:
        raise MalformedQuote(f"{name} is not a non-negative integer: {_show(value)}")
    return value


def _optional_seconds(obj: Mapping[str, Any], name: str) -> float | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise MalformedQuote(f"{name} is not a non-negative number: {_show(value)}")
    return float(value)
