"""Meteora DLMM pairs: bins at fixed prices, a dynamic fee, exact integer swaps across bins. Pure.

A DLMM pair holds liquidity in *bins*. Bin ``id`` trades at the constant price ``(1 + bin_step/10000)^id`` Y
per X in raw units, stored as a Q64.64 integer (``bin_price``, computed step for step as the program does);
its UI price scales by the decimals, ``raw * 10^(dec_x - dec_y)``. Bins below the *active* bin hold only Y,
bins above only X, the active bin both. A swap takes what it can from the active bin and moves on to the
next bin holding the output token: selling X (``swap_for_y``) walks down, buying X walks up. Within a bin::

    out_y = floor(in_x * price >> 64)        out_x = floor((in_y << 64) / price)

and an exact-out swap rounds the input it needs up.

The fee, out of ``FEE_PRECISION`` (1e9), is charged on the input, bin by bin, at that bin's rate:

- base: ``base_factor * bin_step * 10 * 10^base_fee_power_factor`` (10000 and 25 give 0.25 %);
- variable: ``ceil(variable_fee_control * (vA * bin_step)^2 / 1e11)``, from the volatility accumulator vA;
- total: ``min(base + variable, MAX_FEE_RATE)`` (10 %);
- on an amount that excludes the fee: ``ceil(amount * rate / (1e9 - rate))``; on one that includes it:
  ``ceil(amount * rate / 1e9)``. The protocol takes ``floor(fee * protocol_share / 10000)``; the rest goes to
  the liquidity providers, outside the bins (only the input net of the fee enters a bin).

The accumulator follows the program's two steps:

- once per swap, at its time ``now`` (an argument: this module never reads a clock), with ``elapsed = now -
  last_update_timestamp``: if ``elapsed >= filter_period``, ``index_reference = active_id`` and the
  reference decays, ``vR = vA * reduction_factor / 10000`` while ``elapsed < decay_period``, else ``vR =
  0``. A burst of swaps within ``filter_period`` keeps the old reference, so its volatility adds up.
- for each bin the swap takes liquidity from: ``vA = min(vR + |index_reference - id| * 10000,
  max_volatility_accumulator)``. Bins with nothing to give are skipped without an update.

After the swap, ``last_update_timestamp = now``.

Not modelled: limit orders inside bins, the fee-on-output collect mode, Token-2022 transfer fees, host fees,
activation points and bin-array boundaries (which change which accounts a transaction needs, not the price).

Sources: MeteoraAg/dlmm-sdk ``commons/src/extensions/{lb_pair,bin}.rs``, ``commons/src/quote.rs``,
``commons/src/constants.rs``, ``commons/src/math/{price_math,u64x64_math}.rs``. Formulas only.
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

from octo_desktop.router.amm import U64_MAX, human_amount, largest_quantity, raw_amount

SCALE_OFFSET = 64
ONE_Q64 = 1 << SCALE_OFFSET  # 1.0 in Q64.64
BASIS_POINT_MAX = 10_000
FEE_PRECISION = 1_000_000_000
MAX_FEE_RATE = 100_000_000  # 10 % of FEE_PRECISION
MIN_BIN_ID, MAX_BIN_ID = -443_636, 443_636
MAX_BIN_STEP = 400
_U128_MAX = 2**128 - 1
_MAX_EXPONENT = 0x80000  # 2^19: beyond it (1 + step)^id leaves Q64.64 for every bin step


@dataclass(frozen=True, slots=True)
class Bin:
    """One bin's liquidity, in raw units of each token."""

    bin_id: int
    amount_x: int
    amount_y: int

    def __post_init__(self) -> None:
        if not MIN_BIN_ID <= self.bin_id <= MAX_BIN_ID:
            raise ValueError(f"bin id {self.bin_id} is outside [{MIN_BIN_ID}, {MAX_BIN_ID}]")
        if not (0 <= self.amount_x <= U64_MAX and 0 <= self.amount_y <= U64_MAX):
            raise ValueError(f"bin {self.bin_id}: amounts must be between 0 and 2**64 - 1, got "
                             f"{self.amount_x} X and {self.amount_y} Y")


@dataclass(frozen=True, slots=True)
class FeeParameters:
    """A pair's static fee parameters (times in seconds; shares and factors in basis points unless named).

    The defaults are a plausible preset for a 25 bps pair; a real pair's come from its account.
    """

    base_factor: int = 10_000
    base_fee_power_factor: int = 0
    filter_period: int = 30  # swaps closer together than this share one volatility reference
    decay_period: int = 600  # after this long without a swap the reference resets to zero
    reduction_factor: int = 5_000  # what share of vA survives into the reference, of 10000
    variable_fee_control: int = 7_500
    max_volatility_accumulator: int = 150_000
    protocol_share: int = 500  # of the fee, of 10000

    def __post_init__(self) -> None:
        if min(self.base_factor, self.base_fee_power_factor, self.filter_period, self.variable_fee_control,
               self.max_volatility_accumulator, self.protocol_share, self.reduction_factor) < 0:
            raise ValueError("every DLMM fee parameter must be >= 0")
        if self.filter_period > self.decay_period:
            raise ValueError(f"the filter period ({self.filter_period} s) must not exceed the decay period "
                             f"({self.decay_period} s)")
        if self.reduction_factor > BASIS_POINT_MAX or self.protocol_share > BASIS_POINT_MAX:
            raise ValueError("the reduction factor and the protocol share are at most 10000 basis points")


@dataclass(frozen=True, slots=True)
class Volatility:
    """A pair's variable fee state: the accumulator vA, the reference vR, the reference id and the last swap
    time (seconds, the same clock the caller passes as ``now``)."""

    accumulator: int = 0
    reference: int = 0
    index_reference: int = 0
    last_update_timestamp: int = 0


@dataclass(frozen=True, slots=True)
class DlmmPair:
    """A DLMM pair: its tokens, bin step, active bin, bins with liquidity, fee parameters and volatility.

    ``bins`` may come in any order and may leave ids out (an absent bin is empty); it is kept sorted by id.
    """

    name: str
    symbol_x: str
    symbol_y: str
    decimals_x: int
    decimals_y: int
    bin_step: int
    active_id: int
    bins: tuple[Bin, ...]
    parameters: FeeParameters = FeeParameters()
    volatility: Volatility = Volatility()
    bin_ids: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for symbol, decimals in ((self.symbol_x, self.decimals_x), (self.symbol_y, self.decimals_y)):
            if not symbol or not 0 <= decimals <= 18:
                raise ValueError(f"{self.name}: a token needs a symbol and 0 to 18 decimals, got {symbol!r} "
                                 f"with {decimals}")
        if not 1 <= self.bin_step <= MAX_BIN_STEP:
            raise ValueError(f"{self.name}: the bin step must be 1 to {MAX_BIN_STEP} bps, got {self.bin_step}")
        if not MIN_BIN_ID <= self.active_id <= MAX_BIN_ID:
            raise ValueError(f"{self.name}: active bin {self.active_id} is outside [{MIN_BIN_ID}, {MAX_BIN_ID}]")
        bins = tuple(sorted(self.bins, key=lambda b: b.bin_id))
        ids = tuple(b.bin_id for b in bins)
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.name}: two bins share an id")
        object.__setattr__(self, "bins", bins)
        object.__setattr__(self, "bin_ids", ids)

    def bin(self, bin_id: int) -> Bin:
        """The bin ``bin_id`` (an empty one when the pair holds nothing there)."""
        index = bisect.bisect_left(self.bin_ids, bin_id)
        if index < len(self.bin_ids) and self.bin_ids[index] == bin_id:
            return self.bins[index]
        return Bin(bin_id, 0, 0)

    @property
    def amount_x(self) -> int:
        """All X in the bins, raw."""
        return sum(b.amount_x for b in self.bins)

    @property
    def amount_y(self) -> int:
        """All Y in the bins, raw."""
        return sum(b.amount_y for b in self.bins)


@dataclass(frozen=True, slots=True)
class BinFill:
    """What one bin gave a swap: input taken (fee included), output, fee, and the rate and vA it used."""

    bin_id: int
    amount_in: int
    amount_out: int
    fee: int
    fee_rate: int  # of FEE_PRECISION
    volatility_accumulator: int


@dataclass(frozen=True, slots=True)
class DlmmSwap:
    """One swap's settlement, bin by bin, and the pair after it (``pair_after``)."""

    name: str
    swap_for_y: bool  # the trader pays X and receives Y
    exact_out: bool
    amount_in: int  # paid, fees included
    amount_out: int  # received
    fee: int  # in the input token
    protocol_fee: int  # the protocol's part of ``fee``
    start_id: int
    end_id: int
    fills: tuple[BinFill, ...]
    pair_after: DlmmPair

    @property
    def bins_crossed(self) -> int:
        """How far the active bin moved."""
        return abs(self.end_id - self.start_id)


# --- prices --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8192)  # pure: a route evaluates the same few dozen bins thousands of times
def bin_price(bin_id: int, bin_step: int) -> int:
    """The Q64.64 price of bin ``bin_id``: ``(1 + bin_step/10000)^bin_id`` Y per X in raw units.

    Computed the way the program does it (square-and-multiply over the exponent's bits on the inverted
    base, each product floored to Q64.64, ``(2^128 - 1) // result`` to invert), so that it matches the
    stored price to the unit; no value read from the chain has checked that here.
    """
    if not MIN_BIN_ID <= bin_id <= MAX_BIN_ID:
        raise ValueError(f"bin id {bin_id} is outside [{MIN_BIN_ID}, {MAX_BIN_ID}]")
    if not 1 <= bin_step <= MAX_BIN_STEP:
        raise ValueError(f"the bin step must be 1 to {MAX_BIN_STEP} bps, got {bin_step}")
    if bin_id == 0:
        return ONE_Q64
    base = ONE_Q64 + (bin_step << SCALE_OFFSET) // BASIS_POINT_MAX
    exponent = abs(bin_id)
    # The base is always above one, and squaring it would overflow 128 bits: the program raises its inverse
    # (below one) instead, which is already the price for a negative id and must be inverted for a positive.
    squared = _U128_MAX // base
    invert = bin_id > 0
    result = ONE_Q64
    for bit in range(_MAX_EXPONENT.bit_length() - 1):
        if exponent & (1 << bit):
            result = (result * squared) >> SCALE_OFFSET
        squared = (squared * squared) >> SCALE_OFFSET
    if result == 0:
        raise ValueError(f"bin {bin_id} at step {bin_step} has no representable price")
    return _U128_MAX // result if invert else result


def ui_price(price_q64: int, decimals_x: int, decimals_y: int) -> float:
    """A Q64.64 raw price as the UI shows it: Y per X in human units."""
    return price_q64 / ONE_Q64 * 10.0 ** (decimals_x - decimals_y)


def bin_id_for_price(price: float, bin_step: int, decimals_x: int, decimals_y: int) -> int:
    """The bin whose UI price is nearest ``price`` (Y per X, human units)."""
    if not (math.isfinite(price) and price > 0):
        raise ValueError(f"a price must be positive, got {price}")
    raw = price * 10.0 ** (decimals_y - decimals_x)
    guess = round(math.log(raw) / math.log1p(bin_step / BASIS_POINT_MAX))
    guess = max(MIN_BIN_ID, min(MAX_BIN_ID, guess))
    candidates = [i for i in (guess - 1, guess, guess + 1) if MIN_BIN_ID <= i <= MAX_BIN_ID]
    return min(candidates, key=lambda i: abs(math.log(bin_price(i, bin_step) / ONE_Q64 / raw)))


def amount_out_in_bin(amount_in: int, price_q64: int, swap_for_y: bool) -> int:
    """What ``amount_in`` (net of fee) buys in one bin, rounded down."""
    if swap_for_y:
        return (amount_in * price_q64) >> SCALE_OFFSET
    return (amount_in << SCALE_OFFSET) // price_q64


def amount_in_for_bin(amount_out: int, price_q64: int, swap_for_y: bool) -> int:
    """The input (net of fee) one bin needs to pay ``amount_out``, rounded up."""
    if swap_for_y:
        return -(-(amount_out << SCALE_OFFSET) // price_q64)
    return -(-(amount_out * price_q64) >> SCALE_OFFSET)


# --- fees ----------------------------------------------------------------------------------------------

def base_fee_rate(parameters: FeeParameters, bin_step: int) -> int:
    """The base fee rate, of ``FEE_PRECISION``."""
    return parameters.base_factor * bin_step * 10 * 10**parameters.base_fee_power_factor


def variable_fee_rate(parameters: FeeParameters, bin_step: int, volatility_accumulator: int) -> int:
    """The variable fee rate for an accumulator value, of ``FEE_PRECISION``, rounded up."""
    if parameters.variable_fee_control <= 0:
        return 0
    squared = (volatility_accumulator * bin_step) ** 2
    return -(-(parameters.variable_fee_control * squared) // 100_000_000_000)


def total_fee_rate(parameters: FeeParameters, bin_step: int, volatility_accumulator: int) -> int:
    """Base plus variable, capped at ``MAX_FEE_RATE``."""
    rate = base_fee_rate(parameters, bin_step) + variable_fee_rate(parameters, bin_step, volatility_accumulator)
    return min(rate, MAX_FEE_RATE)


def fee_on_net(amount: int, rate: int) -> int:
    """The fee to add to an amount that excludes it, rounded up."""
    return -(-(amount * rate) // (FEE_PRECISION - rate))


def fee_in_gross(amount: int, rate: int) -> int:
    """The fee inside an amount that includes it, rounded up."""
    return -(-(amount * rate) // FEE_PRECISION)


def references_at(pair: DlmmPair, now: int) -> Volatility:
    """The volatility state a swap at ``now`` starts from (the once-per-swap reference update)."""
    state, parameters = pair.volatility, pair.parameters
    elapsed = now - state.last_update_timestamp
    if elapsed < 0:
        raise ValueError(f"{pair.name}: time went backwards: now {now} is before the last swap at "
                         f"{state.last_update_timestamp}")
    if elapsed < parameters.filter_period:
        return state
    reference = state.accumulator * parameters.reduction_factor // BASIS_POINT_MAX \
        if elapsed < parameters.decay_period else 0
    return replace(state, reference=reference, index_reference=pair.active_id)


def accumulator_at(pair: DlmmPair, state: Volatility, bin_id: int) -> int:
    """vA when a swap starting from ``state`` takes liquidity from bin ``bin_id``."""
    value = state.reference + abs(state.index_reference - bin_id) * BASIS_POINT_MAX
    return min(value, pair.parameters.max_volatility_accumulator)


# --- swaps ---------------------------------------------------------------------------------------------

def _walk(pair: DlmmPair, swap_for_y: bool) -> Iterable[int]:
    # Indexes into pair.bins from the active bin in the swap's direction (down when selling X).
    start = bisect.bisect_right(pair.bin_ids, pair.active_id) - 1 if swap_for_y \
        else bisect.bisect_left(pair.bin_ids, pair.active_id)
    return range(start, -1, -1) if swap_for_y else range(start, len(pair.bins))


def _check_amount(pair: DlmmPair, what: str, amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ValueError(f"{pair.name}: {what} must be an integer of raw units, got {amount!r}")
    if not 0 < amount <= U64_MAX:
        raise ValueError(f"{pair.name}: {what} must be between 1 and 2**64 - 1 raw units, got {amount}")


def _swap(pair: DlmmPair, amount: int, swap_for_y: bool, now: int, exact_out: bool,
          settle: bool = True) -> DlmmSwap:
    # ``settle=False`` prices the swap without building the pair after it (``pair_after`` is then the pair
    # before): what a cost curve needs, evaluated thousands of times per route.
    _check_amount(pair, "the amount out" if exact_out else "the amount in", amount)
    state = references_at(pair, now)
    parameters = pair.parameters
    bins = list(pair.bins) if settle else pair.bins
    fills: list[BinFill] = []
    left = amount  # output still owed (exact out) or input still to place (exact in)
    active = pair.active_id
    accumulator = state.accumulator
    for index in _walk(pair, swap_for_y):
        current = bins[index]
        available = current.amount_y if swap_for_y else current.amount_x
        if available == 0:
            continue
        active = current.bin_id
        accumulator = accumulator_at(pair, state, active)
        rate = total_fee_rate(parameters, pair.bin_step, accumulator)
        price = bin_price(active, pair.bin_step)
        if exact_out:
            out = min(left, available)
            net_in = amount_in_for_bin(out, price, swap_for_y)
            fee = fee_on_net(net_in, rate)
            taken = net_in + fee
            left -= out
        else:
            drain_in = amount_in_for_bin(available, price, swap_for_y)
            drain_fee = fee_on_net(drain_in, rate)
            if left > drain_in + drain_fee:
                taken, out, fee = drain_in + drain_fee, available, drain_fee
            else:
                taken = left
                fee = fee_in_gross(taken, rate)
                out = min(amount_out_in_bin(taken - fee, price, swap_for_y), available)
            left -= taken
        net = taken - fee
        if settle:
            bins[index] = Bin(active, current.amount_x + net, current.amount_y - out) if swap_for_y \
                else Bin(active, current.amount_x - out, current.amount_y + net)
        fills.append(BinFill(active, taken, out, fee, rate, accumulator))
        if left == 0:
            break
    if left > 0:
        token = ("Y" if swap_for_y else "X") if exact_out else ("X" if swap_for_y else "Y")
        raise ValueError(f"{pair.name}: not enough liquidity: {left} raw {token} of {amount} left when the bins "
                         f"ran out")
    amount_in = sum(f.amount_in for f in fills)
    amount_out = sum(f.amount_out for f in fills)
    if amount_out == 0:
        raise ValueError(f"{pair.name}: {amount} raw in is too small, the output rounds to zero")
    fee = sum(f.fee for f in fills)
    protocol_fee = sum(f.fee * parameters.protocol_share // BASIS_POINT_MAX for f in fills)
    after = replace(pair, active_id=active, bins=tuple(bins),
                    volatility=replace(state, accumulator=accumulator, last_update_timestamp=now)) if settle else pair
    return DlmmSwap(pair.name, swap_for_y, exact_out, amount_in, amount_out, fee, protocol_fee, pair.active_id,
                    active, tuple(fills), after)


def swap_exact_in(pair: DlmmPair, amount_in: int, swap_for_y: bool, now: int) -> DlmmSwap:
    """Swap exactly ``amount_in`` raw (X when ``swap_for_y``, else Y) at time ``now`` (seconds).

    Raises ValueError for a non-positive amount, time going backwards, more input than the bins can take,
    or an output that rounds to nothing.
    """
    return _swap(pair, amount_in, swap_for_y, now, exact_out=False)


def swap_exact_out(pair: DlmmPair, amount_out: int, swap_for_y: bool, now: int) -> DlmmSwap:
    """Receive exactly ``amount_out`` raw (Y when ``swap_for_y``, else X) at time ``now`` (seconds).

    Each bin's input is rounded up, then its fee (``ceil(in * rate / (1e9 - rate))``); the rounding surplus
    stays in the bin. Raises ValueError when the bins hold less than ``amount_out``.
    """
    return _swap(pair, amount_out, swap_for_y, now, exact_out=True)


# --- a pair to test and simulate with ------------------------------------------------------------------

SHAPES = ("spot", "curve", "bid_ask")


def build_pair(name: str, symbol_x: str, symbol_y: str, decimals_x: int, decimals_y: int, price: float,
               bin_step: int, depth_quote: float, *, bins_each_side: int = 30, shape: str = "spot",
               parameters: FeeParameters = FeeParameters(), now: int = 0) -> DlmmPair:
    """A pair centred on ``price`` (Y per X, human units) with ``depth_quote`` of Y's worth of liquidity.

    The liquidity spreads over the active bin and ``bins_each_side`` bins either side: Y below, X above,
    half of each in the active bin. ``shape`` weighs the bins as liquidity providers do: ``spot`` evenly,
    ``curve`` most at the centre (falling linearly to the edges), ``bid_ask`` most at the edges.
    """
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")
    if bins_each_side < 0:
        raise ValueError(f"bins_each_side must be >= 0, got {bins_each_side}")
    if not (math.isfinite(depth_quote) and depth_quote > 0):
        raise ValueError(f"the depth must be positive, got {depth_quote}")
    active = bin_id_for_price(price, bin_step, decimals_x, decimals_y)
    offsets = range(-bins_each_side, bins_each_side + 1)
    if shape == "spot":
        weights = [1 for _ in offsets]
    elif shape == "curve":
        weights = [bins_each_side + 1 - abs(i) for i in offsets]
    else:
        weights = [abs(i) + 1 for i in offsets]
    total_raw = raw_amount(depth_quote, decimals_y, round_up=False)
    total_weight = sum(weights)
    bins = []
    for offset, weight in zip(offsets, weights):
        bin_id = active + offset
        value_y = total_raw * weight // total_weight  # this bin's worth, in raw Y
        bin_price_q64 = bin_price(bin_id, bin_step)
        if offset < 0:
            amount_x, amount_y = 0, value_y
        elif offset > 0:
            amount_x, amount_y = (value_y << SCALE_OFFSET) // bin_price_q64, 0
        else:
            amount_y = value_y // 2
            amount_x = ((value_y - amount_y) << SCALE_OFFSET) // bin_price_q64
        bins.append(Bin(bin_id, amount_x, amount_y))
    return DlmmPair(name, symbol_x, symbol_y, decimals_x, decimals_y, bin_step, active, tuple(bins), parameters,
                    Volatility(index_reference=active, last_update_timestamp=now))


# --- human units and floats, for the splitter ----------------------------------------------------------

def _sides(pair: DlmmPair, base_is_x: bool) -> tuple[int, int]:
    return (pair.decimals_x, pair.decimals_y) if base_is_x else (pair.decimals_y, pair.decimals_x)


def max_buy_raw(pair: DlmmPair, base_is_x: bool) -> int:
    """The most base, raw, the bins can pay out to a buyer (X from the active bin up, or Y from it down)."""
    swap_for_y = not base_is_x
    return sum(pair.bins[i].amount_y if swap_for_y else pair.bins[i].amount_x for i in _walk(pair, swap_for_y))


def max_sell_raw(pair: DlmmPair, base_is_x: bool, now: int) -> int:
    """The most base, raw, the bins can take from a seller at ``now``: the input that drains the other side."""
    other = max_buy_raw(pair, not base_is_x)
    if other == 0:
        return 0
    return _swap(pair, other, base_is_x, now, exact_out=True, settle=False).amount_in


def max_buy_quantity(pair: DlmmPair, base_is_x: bool) -> float:
    """The most base, human units, ``buy_cost_curve`` prices finitely."""
    return largest_quantity(max_buy_raw(pair, base_is_x), _sides(pair, base_is_x)[0])


def max_sell_quantity(pair: DlmmPair, base_is_x: bool, now: int) -> float:
    """The most base, human units, ``sell_proceeds_curve`` prices finitely."""
    return largest_quantity(max_sell_raw(pair, base_is_x, now), _sides(pair, base_is_x)[0], round_up=False)


def buy_cost_curve(pair: DlmmPair, base_is_x: bool, now: int) -> Callable[[float], float]:
    """The quote paid to receive ``q`` base at ``now``, both in human units: ``cost(q)``, by exact-out swaps.

    The base is X when ``base_is_x``, else Y. ``q`` is rounded up to raw units. ``cost(0) == 0``; ``cost(q)``
    is ``math.inf`` beyond what the bins hold (``max_buy_quantity``).
    """
    base_decimals, quote_decimals = _sides(pair, base_is_x)
    swap_for_y = not base_is_x

    def cost(quantity: float) -> float:
        if quantity <= 0:
            return 0.0
        raw_out = raw_amount(quantity, base_decimals, round_up=True)
        try:
            swap = _swap(pair, raw_out, swap_for_y, now, exact_out=True, settle=False)
        except ValueError:
            return math.inf
        return human_amount(swap.amount_in, quote_decimals)

    return cost


def sell_proceeds_curve(pair: DlmmPair, base_is_x: bool, now: int) -> Callable[[float], float]:
    """The quote received for selling ``q`` base at ``now``, both in human units, by exact-in swaps.

    ``q`` is rounded down to raw units. ``proceeds(q)`` is 0 when the output rounds to nothing and
    ``-math.inf`` beyond what the bins can take (``max_sell_quantity``; the worst value for a seller).
    """
    base_decimals, quote_decimals = _sides(pair, base_is_x)
    swap_for_y = base_is_x
    most = max_sell_raw(pair, base_is_x, now)

    def proceeds(quantity: float) -> float:
        raw_in = raw_amount(quantity, base_decimals, round_up=False) if quantity > 0 else 0
        if raw_in <= 0:
            return 0.0
        if raw_in > most:
            return -math.inf
        try:
            swap = _swap(pair, raw_in, swap_for_y, now, exact_out=False, settle=False)
        except ValueError:
            return 0.0
        return human_amount(swap.amount_out, quote_decimals)

    return proceeds


def marginal_price(pair: DlmmPair, base_is_x: bool, now: int, side: str = "mid") -> float:
    """The pair's price of the base in the quote, human units, for an infinitesimal trade at ``now``.

    ``"mid"`` is the active bin's price; ``"buy"`` and ``"sell"`` the first bin that would fill, with the fee
    that bin would charge (``math.inf`` to buy, 0 to sell, when no bin can fill).
    """
    if side == "mid":
        price = ui_price(bin_price(pair.active_id, pair.bin_step), pair.decimals_x, pair.decimals_y)
        return price if base_is_x else 1.0 / price
    if side not in ("buy", "sell"):
        raise ValueError(f"side must be 'mid', 'buy' or 'sell', got {side!r}")
    buying = side == "buy"
    swap_for_y = base_is_x != buying  # selling X or buying Y both pay X
    state = references_at(pair, now)
    for index in _walk(pair, swap_for_y):
        current = pair.bins[index]
        if (current.amount_y if swap_for_y else current.amount_x) == 0:
            continue
        rate = total_fee_rate(pair.parameters, pair.bin_step, accumulator_at(pair, state, current.bin_id))
        keep = 1.0 - rate / FEE_PRECISION
        price = ui_price(bin_price(current.bin_id, pair.bin_step), pair.decimals_x, pair.decimals_y)
        price = price if base_is_x else 1.0 / price
        return price / keep if buying else price * keep
    return math.inf if buying else 0.0
