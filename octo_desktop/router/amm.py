"""Raydium constant-product pools (CPMM and AMM v4): exact integer swaps, and float curves for the splitter. Pure.

Amounts are integers in each token's smallest unit (*raw*: lamports, micro-USDC), as the programs hold them;
every division rounds the way the program rounds it, so a quote here is the amount the chain would settle:

- the trade fee is rounded up, the protocol and fund shares of it down;
- the output of an exact-in swap is rounded down: ``out = floor(in' * y / (x + in'))``;
- the input of an exact-out swap is rounded up, before the fee (``in' = ceil(x * out / (y - out))``) and
  after it (``gross = ceil(in' * D / (D - fee))``).

A pool's two tokens are called X and Y here whatever the program calls them: X is the CPMM's token 0 and
AMM v4's coin, Y the CPMM's token 1 and AMM v4's pc. ``x_for_y`` says the trader pays X and receives Y.

The curve trades against the pool's *reserves*, not its vault balances: a CPMM vault also holds the protocol,
fund and creator fees accrued and not yet collected (``vault_amount_without_fee``), an AMM v4 vault the
profit it has yet to take (``total_*_without_take_pnl``). A swap moves the vaults by what the trader pays
and receives and adds the protocol, fund and creator fees to what has accrued; so the liquidity providers'
part of the fee stays in the reserves and the product of the reserves never falls.

Not modelled: Token-2022 transfer fees (deducted before the swap; a pool with such a mint needs them
taken off ``amount_in`` first), AMM v4's OpenBook orders, and pool status and open-time checks.

The splitter works in human units and floats: ``buy_cost_curve`` and ``sell_proceeds_curve`` turn a pool
into a function of the base quantity, converting at the tokens' decimals and always rounding against the
trader, so a curve never promises more than the integer swap would give.

Sources: raydium-io/raydium-cp-swap ``programs/cp-swap/src/curve/{calculator,fees,constant_product}.rs``,
``states/pool.rs``, ``instructions/swap_base_{input,output}.rs``; raydium-io/raydium-amm
``program/src/{math,processor,state}.rs``. Formulas only; no code was taken from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Callable, Union

FEE_RATE_DENOMINATOR = 1_000_000  # CPMM: every rate is out of this
AMM_V4_SWAP_FEE = (25, 10_000)  # AMM v4 ``Fees::default`` swap fee, numerator and denominator
U64_MAX = 2**64 - 1  # the largest amount a token account holds

CREATOR_FEE_ON_INPUT = "input"  # CPMM ``CreatorFeeOn::BothToken``: charged on whichever token is paid in
CREATOR_FEE_ON_X = "x"  # ``OnlyToken0``: always in X (on the input when paying X, else on the output)
CREATOR_FEE_ON_Y = "y"  # ``OnlyToken1``: always in Y
_CREATOR_MODES = (CREATOR_FEE_ON_INPUT, CREATOR_FEE_ON_X, CREATOR_FEE_ON_Y)


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _check_token(name: str, symbol: str, decimals: int) -> None:
    if not symbol:
        raise ValueError(f"{name}: every token needs a symbol or mint")
    if not 0 <= decimals <= 18:
        raise ValueError(f"{name}: {symbol} decimals must be between 0 and 18, got {decimals}")


def _check_balance(name: str, what: str, amount: int) -> None:
    if not 0 <= amount <= U64_MAX:
        raise ValueError(f"{name}: {what} must be between 0 and 2**64 - 1 raw units, got {amount}")


@dataclass(frozen=True, slots=True)
class CpmmPool:
    """A Raydium CPMM pool: its two vaults, the fees accrued in them and its AmmConfig's fee rates.

    Rates are out of ``FEE_RATE_DENOMINATOR``: ``trade_fee_rate`` of the amount paid in (2500 = 0.25 %,
    set per AmmConfig, not global); ``protocol_fee_rate`` and ``fund_fee_rate`` of that trade fee;
    ``creator_fee_rate`` of the input or of the output (``creator_fee_on``; 0 when the pool has the
    creator fee disabled). ``accrued_fees_*`` are the protocol, fund and creator fees not yet collected.
    """

    amm_key: str
    symbol_x: str
    symbol_y: str
    decimals_x: int
    decimals_y: int
    vault_x: int
    vault_y: int
    trade_fee_rate: int = 2500
    protocol_fee_rate: int = 120_000
    fund_fee_rate: int = 40_000
    creator_fee_rate: int = 0
    creator_fee_on: str = CREATOR_FEE_ON_INPUT
    accrued_fees_x: int = 0
    accrued_fees_y: int = 0

    def __post_init__(self) -> None:
        _check_token(self.amm_key, self.symbol_x, self.decimals_x)
        _check_token(self.amm_key, self.symbol_y, self.decimals_y)
        for what in ("vault_x", "vault_y", "accrued_fees_x", "accrued_fees_y"):
            _check_balance(self.amm_key, what, getattr(self, what))
        if self.accrued_fees_x > self.vault_x or self.accrued_fees_y > self.vault_y:
            raise ValueError(f"{self.amm_key}: the accrued fees exceed the vault balances")
        if not 0 <= self.trade_fee_rate + self.creator_fee_rate < FEE_RATE_DENOMINATOR \
                or min(self.trade_fee_rate, self.creator_fee_rate) < 0:
            raise ValueError(f"{self.amm_key}: the trade and creator fee rates must be >= 0 and together below "
                             f"{FEE_RATE_DENOMINATOR}, got {self.trade_fee_rate} and {self.creator_fee_rate}")
        if not (0 <= self.protocol_fee_rate and 0 <= self.fund_fee_rate
                and self.protocol_fee_rate + self.fund_fee_rate <= FEE_RATE_DENOMINATOR):
            raise ValueError(f"{self.amm_key}: the protocol and fund shares must be >= 0 and together at most "
                             f"{FEE_RATE_DENOMINATOR}, got {self.protocol_fee_rate} and {self.fund_fee_rate}")
        if self.creator_fee_on not in _CREATOR_MODES:
            raise ValueError(f"{self.amm_key}: creator_fee_on must be one of {', '.join(_CREATOR_MODES)}, "
                             f"got {self.creator_fee_on!r}")

    @property
    def reserve_x(self) -> int:
        """X the curve trades against: the vault less the fees accrued in it."""
        return self.vault_x - self.accrued_fees_x

    @property
    def reserve_y(self) -> int:
        """Y the curve trades against: the vault less the fees accrued in it."""
        return self.vault_y - self.accrued_fees_y

    def creator_fee_on_input(self, x_for_y: bool) -> bool:
        """Whether a swap in this direction pays the creator fee on its input (else on its output)."""
        if self.creator_fee_on == CREATOR_FEE_ON_INPUT:
            return True
        return (self.creator_fee_on == CREATOR_FEE_ON_X) == x_for_y


@dataclass(frozen=True, slots=True)
class AmmV4Pool:
    """A Raydium AMM v4 pool: its coin (X) and pc (Y) vaults, the profit not yet taken, and its swap fee.

    The swap fee (``swap_fee_numerator / swap_fee_denominator``, 25/10000 by default) stays whole in the
    pool; the program takes its share later from the growth of the reserves, so a swap has no protocol fee.
    """

    amm_key: str
    symbol_x: str
    symbol_y: str
    decimals_x: int
    decimals_y: int
    vault_x: int
    vault_y: int
    need_take_pnl_x: int = 0
    need_take_pnl_y: int = 0
    swap_fee_numerator: int = AMM_V4_SWAP_FEE[0]
    swap_fee_denominator: int = AMM_V4_SWAP_FEE[1]

    def __post_init__(self) -> None:
        _check_token(self.amm_key, self.symbol_x, self.decimals_x)
        _check_token(self.amm_key, self.symbol_y, self.decimals_y)
        for what in ("vault_x", "vault_y", "need_take_pnl_x", "need_take_pnl_y"):
            _check_balance(self.amm_key, what, getattr(self, what))
        if self.need_take_pnl_x > self.vault_x or self.need_take_pnl_y > self.vault_y:
            raise ValueError(f"{self.amm_key}: the profit to take exceeds the vault balances")
        if not 0 <= self.swap_fee_numerator < self.swap_fee_denominator:
            raise ValueError(f"{self.amm_key}: the swap fee must be a fraction in [0, 1), got "
                             f"{self.swap_fee_numerator}/{self.swap_fee_denominator}")

    @property
    def reserve_x(self) -> int:
        """Coin the curve trades against: the vault less the profit not yet taken."""
        return self.vault_x - self.need_take_pnl_x

    @property
    def reserve_y(self) -> int:
        """Pc the curve trades against: the vault less the profit not yet taken."""
        return self.vault_y - self.need_take_pnl_y


Pool = Union[CpmmPool, AmmV4Pool]


@dataclass(frozen=True, slots=True)
class AmmSwap:
    """One swap's settlement: what the trader pays and receives, the fees, and the reserves before and after.

    ``fee`` is the whole trade fee, in the input token (the liquidity providers' part plus ``protocol_fee``
    and ``fund_fee``); ``creator_fee`` is in the input token when ``creator_fee_on_input``, else in the
    output token (it is then already taken off ``amount_out``).
    """

    amm_key: str
    x_for_y: bool
    exact_out: bool
    amount_in: int  # paid by the trader, every fee included
    amount_out: int  # received by the trader
    fee: int
    protocol_fee: int
    fund_fee: int
    creator_fee: int
    creator_fee_on_input: bool
    reserve_x_before: int
    reserve_y_before: int
    reserve_x_after: int
    reserve_y_after: int

    @property
    def average_price(self) -> float:
        """Raw input paid per raw output received."""
        return self.amount_in / self.amount_out


def _reserves_in_out(pool: Pool, x_for_y: bool) -> tuple[int, int]:
    x, y = pool.reserve_x, pool.reserve_y
    if x == 0 or y == 0:
        raise ValueError(f"{pool.amm_key}: the pool is empty (reserves {x} X, {y} Y)")
    return (x, y) if x_for_y else (y, x)


def _check_amount(pool: Pool, what: str, amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ValueError(f"{pool.amm_key}: {what} must be an integer of raw units, got {amount!r}")
    if not 0 < amount <= U64_MAX:
        raise ValueError(f"{pool.amm_key}: {what} must be between 1 and 2**64 - 1 raw units, got {amount}")


def _settle(pool: Pool, x_for_y: bool, exact_out: bool, amount_in: int, amount_out: int, fee: int,
            protocol_fee: int, fund_fee: int, creator_fee: int, creator_on_input: bool) -> AmmSwap:
    # The input reserve gains what was paid less what accrues to protocol, fund and creator; the output
    # reserve loses what was paid out plus a creator fee kept back from the output.
    reserve_in, reserve_out = _reserves_in_out(pool, x_for_y)
    kept_in = protocol_fee + fund_fee + (creator_fee if creator_on_input else 0)
    kept_out = 0 if creator_on_input else creator_fee
    new_in = reserve_in + amount_in - kept_in
    new_out = reserve_out - amount_out - kept_out
    if amount_in > _room_in(pool, x_for_y):
        raise ValueError(f"{pool.amm_key}: {amount_in} raw in would overflow the input vault")
    new_x, new_y = (new_in, new_out) if x_for_y else (new_out, new_in)
    return AmmSwap(pool.amm_key, x_for_y, exact_out, amount_in, amount_out, fee, protocol_fee, fund_fee,
                   creator_fee, creator_on_input, pool.reserve_x, pool.reserve_y, new_x, new_y)


def _room_in(pool: Pool, x_for_y: bool) -> int:
    # How much more the input vault can hold.
    return U64_MAX - (pool.vault_x if x_for_y else pool.vault_y)


def _pre_fee_amount(post_fee: int, rate: int, denominator: int) -> int:
    # The smallest gross amount whose fee leaves at least ``post_fee``: ceil(post * D / (D - rate)).
    return _ceil_div(post_fee * denominator, denominator - rate)


def swap_exact_in(pool: Pool, amount_in: int, x_for_y: bool) -> AmmSwap:
    """Quote paying exactly ``amount_in`` raw units (of X when ``x_for_y``, else of Y) into the pool.

    Raises ValueError for a non-positive amount, an empty pool, or an output that rounds to nothing (the
    programs refuse those swaps).
    """
    _check_amount(pool, "the amount in", amount_in)
    reserve_in, reserve_out = _reserves_in_out(pool, x_for_y)
    creator_fee = protocol_fee = fund_fee = 0
    creator_on_input = True
    if isinstance(pool, AmmV4Pool):
        fee = _ceil_div(amount_in * pool.swap_fee_numerator, pool.swap_fee_denominator)
        net_in = amount_in - fee
        out = net_in * reserve_out // (reserve_in + net_in)
    else:
        creator_on_input = pool.creator_fee_on_input(x_for_y)
        rate, creator_rate = pool.trade_fee_rate, pool.creator_fee_rate
        if creator_on_input and creator_rate:
            # One fee at the two rates together, rounded up, then split: the creator's part rounded down.
            total = _ceil_div(amount_in * (rate + creator_rate), FEE_RATE_DENOMINATOR)
            creator_fee = total * creator_rate // (rate + creator_rate)
            fee = total - creator_fee
        else:
            fee = _ceil_div(amount_in * rate, FEE_RATE_DENOMINATOR)
        protocol_fee = fee * pool.protocol_fee_rate // FEE_RATE_DENOMINATOR
        fund_fee = fee * pool.fund_fee_rate // FEE_RATE_DENOMINATOR
        net_in = amount_in - fee - (creator_fee if creator_on_input else 0)
        swapped = net_in * reserve_out // (reserve_in + net_in)
        if not creator_on_input:
            creator_fee = _ceil_div(swapped * creator_rate, FEE_RATE_DENOMINATOR)
        out = swapped - (0 if creator_on_input else creator_fee)
    if out <= 0:
        raise ValueError(f"{pool.amm_key}: {amount_in} raw in is too small, the output rounds to zero")
    return _settle(pool, x_for_y, False, amount_in, out, fee, protocol_fee, fund_fee, creator_fee, creator_on_input)


def swap_exact_out(pool: Pool, amount_out: int, x_for_y: bool) -> AmmSwap:
    """Quote receiving exactly ``amount_out`` raw units (of Y when ``x_for_y``, else of X) from the pool.

    Raises ValueError for a non-positive amount, an empty pool, or an output the reserve cannot pay.
    """
    _check_amount(pool, "the amount out", amount_out)
    reserve_in, reserve_out = _reserves_in_out(pool, x_for_y)
    creator_fee = protocol_fee = fund_fee = 0
    creator_on_input = True
    taken_out = amount_out  # what leaves the reserve: the output plus a creator fee charged on it
    if isinstance(pool, CpmmPool):
        creator_on_input = pool.creator_fee_on_input(x_for_y)
        if not creator_on_input:
            taken_out = _pre_fee_amount(amount_out, pool.creator_fee_rate, FEE_RATE_DENOMINATOR)
            creator_fee = taken_out - amount_out
    if taken_out >= reserve_out:
        raise ValueError(f"{pool.amm_key}: cannot pay out {amount_out} raw, the reserve holds {reserve_out}")
    net_in = _ceil_div(reserve_in * taken_out, reserve_out - taken_out)
    if isinstance(pool, AmmV4Pool):
        amount_in = _pre_fee_amount(net_in, pool.swap_fee_numerator, pool.swap_fee_denominator)
        fee = amount_in - net_in
    else:
        rate, creator_rate = pool.trade_fee_rate, pool.creator_fee_rate
        if creator_on_input and creator_rate:
            amount_in = _pre_fee_amount(net_in, rate + creator_rate, FEE_RATE_DENOMINATOR)
            total = amount_in - net_in
            creator_fee = total * creator_rate // (rate + creator_rate)
            fee = total - creator_fee
        else:
            amount_in = _pre_fee_amount(net_in, rate, FEE_RATE_DENOMINATOR)
            fee = amount_in - net_in
        protocol_fee = fee * pool.protocol_fee_rate // FEE_RATE_DENOMINATOR
        fund_fee = fee * pool.fund_fee_rate // FEE_RATE_DENOMINATOR
    if amount_in > U64_MAX:
        raise ValueError(f"{pool.amm_key}: paying out {amount_out} raw would take more than 2**64 - 1 in")
    return _settle(pool, x_for_y, True, amount_in, amount_out, fee, protocol_fee, fund_fee, creator_fee,
                   creator_on_input)


def apply_swap(pool: Pool, swap: AmmSwap) -> Pool:
    """Return the pool after ``swap`` settled: vaults moved, protocol, fund and creator fees accrued."""
    if (swap.amm_key, swap.reserve_x_before, swap.reserve_y_before) != (pool.amm_key, pool.reserve_x,
                                                                         pool.reserve_y):
        raise ValueError(f"{pool.amm_key}: the swap was quoted on another pool or on other reserves")
    paid_x, paid_y = (swap.amount_in, -swap.amount_out) if swap.x_for_y else (-swap.amount_out, swap.amount_in)
    if isinstance(pool, AmmV4Pool):
        return replace(pool, vault_x=pool.vault_x + paid_x, vault_y=pool.vault_y + paid_y)
    accrued_in = swap.protocol_fee + swap.fund_fee + (swap.creator_fee if swap.creator_fee_on_input else 0)
    accrued_out = 0 if swap.creator_fee_on_input else swap.creator_fee
    accrued_x, accrued_y = (accrued_in, accrued_out) if swap.x_for_y else (accrued_out, accrued_in)
    return replace(pool, vault_x=pool.vault_x + paid_x, vault_y=pool.vault_y + paid_y,
                   accrued_fees_x=pool.accrued_fees_x + accrued_x, accrued_fees_y=pool.accrued_fees_y + accrued_y)


# --- human units and floats, for the splitter ------------------------------------------------------------

def raw_amount(quantity: float, decimals: int, round_up: bool) -> int:
    """``quantity`` in human units as raw units, rounded up or down (as written: 0.1 is exactly 0.1).

    Rounding is the caller's choice because the side that never flatters the trader depends on the use: up
    for what the trader asks to receive, down for what the trader offers to pay.
    """
    if not math.isfinite(quantity):
        raise ValueError(f"a quantity must be finite, got {quantity}")
    scaled = Decimal(repr(float(quantity))).scaleb(decimals)
    return int(scaled.to_integral_value(rounding=ROUND_CEILING if round_up else ROUND_FLOOR))


def human_amount(raw: int, decimals: int) -> float:
    """``raw`` units as a float in human units (the nearest float)."""
    return raw / 10**decimals


def largest_quantity(raw: int, decimals: int, round_up: bool = True) -> float:
    """The largest float quantity that ``raw_amount(q, decimals, round_up)`` keeps within ``raw``."""
    quantity = human_amount(raw, decimals)
    while quantity > 0 and raw_amount(quantity, decimals, round_up) > raw:
        quantity = math.nextafter(quantity, 0.0)
    return quantity


def _sides(pool: Pool, base_is_x: bool) -> tuple[int, int]:
    return (pool.decimals_x, pool.decimals_y) if base_is_x else (pool.decimals_y, pool.decimals_x)


def buy_cost_curve(pool: Pool, base_is_x: bool) -> Callable[[float], float]:
    """The quote paid to receive ``q`` base, both in human units: ``cost(q)``, by exact-out swaps.

    The base is X when ``base_is_x``, else Y; the quote is the other token. ``q`` is rounded up to raw units
    (the trader receives at least ``q``). ``cost(0) == 0``; ``cost(q)`` is ``math.inf`` when the pool cannot
    pay ``q`` out (see ``max_buy_quantity``).
    """
    base_decimals, quote_decimals = _sides(pool, base_is_x)
    x_for_y = not base_is_x  # buying X means paying Y

    def cost(quantity: float) -> float:
        if quantity <= 0:
            return 0.0
        raw_out = raw_amount(quantity, base_decimals, round_up=True)
        try:
            swap = swap_exact_out(pool, raw_out, x_for_y)
        except ValueError:
            return math.inf
        return human_amount(swap.amount_in, quote_decimals)

    return cost


def sell_proceeds_curve(pool: Pool, base_is_x: bool) -> Callable[[float], float]:
    """The quote received for selling ``q`` base, both in human units: ``proceeds(q)``, by exact-in swaps.

    ``q`` is rounded down to raw units (the trader is credited with no more than was sold). ``proceeds(q)``
    is 0 when the output rounds to nothing, and ``-math.inf`` beyond what the input vault can hold (the
    worst value for a seller, as ``math.inf`` is for a buyer; see ``max_sell_quantity``).
    """
    base_decimals, quote_decimals = _sides(pool, base_is_x)
    x_for_y = base_is_x  # selling X means receiving Y

    def proceeds(quantity: float) -> float:
        raw_in = raw_amount(quantity, base_decimals, round_up=False) if quantity > 0 else 0
        if raw_in <= 0:
            return 0.0
        if raw_in > _room_in(pool, x_for_y):
            return -math.inf
        try:
            swap = swap_exact_in(pool, raw_in, x_for_y)
        except ValueError:
            return 0.0
        return human_amount(swap.amount_out, quote_decimals)

    return proceeds


def _fee_fractions(pool: Pool, x_for_y: bool) -> tuple[float, float]:
    # The share of the input and of the output a swap in this direction gives up, for the marginal price.
    if isinstance(pool, AmmV4Pool):
        return pool.swap_fee_numerator / pool.swap_fee_denominator, 0.0
    creator = pool.creator_fee_rate / FEE_RATE_DENOMINATOR
    on_input = pool.creator_fee_on_input(x_for_y)
    fee_in = pool.trade_fee_rate / FEE_RATE_DENOMINATOR + (creator if on_input else 0.0)
    return fee_in, (0.0 if on_input else creator)


def marginal_price(pool: Pool, base_is_x: bool, side: str = "mid") -> float:
    """The pool's price of the base in the quote, human units, for an infinitesimal trade.

    ``side`` is ``"mid"`` (the reserves' ratio, no fee), ``"buy"`` (what the first unit bought costs, fees
    included) or ``"sell"`` (what the first unit sold fetches, fees taken off).
    """
    x, y = pool.reserve_x, pool.reserve_y
    if x == 0 or y == 0:
        raise ValueError(f"{pool.amm_key}: the pool is empty (reserves {x} X, {y} Y)")
    price_y_per_x = (y / 10**pool.decimals_y) / (x / 10**pool.decimals_x)
    mid = price_y_per_x if base_is_x else 1.0 / price_y_per_x
    if side == "mid":
        return mid
    if side == "buy":
        fee_in, fee_out = _fee_fractions(pool, x_for_y=not base_is_x)
        return mid / ((1.0 - fee_in) * (1.0 - fee_out))
    if side == "sell":
        fee_in, fee_out = _fee_fractions(pool, x_for_y=base_is_x)
        return mid * (1.0 - fee_in) * (1.0 - fee_out)
    raise ValueError(f"side must be 'mid', 'buy' or 'sell', got {side!r}")


def max_buy_raw(pool: Pool, base_is_x: bool) -> int:
    """The most base, in raw units, one exact-out swap can take from the pool (the reserve less one unit,
    less a creator fee charged on the output)."""
    reserve = pool.reserve_x if base_is_x else pool.reserve_y
    most = max(0, reserve - 1)
    if isinstance(pool, CpmmPool) and not pool.creator_fee_on_input(x_for_y=not base_is_x):
        most = most * (FEE_RATE_DENOMINATOR - pool.creator_fee_rate) // FEE_RATE_DENOMINATOR
    return most


def max_buy_quantity(pool: Pool, base_is_x: bool) -> float:
    """The most base, in human units, ``buy_cost_curve`` prices finitely."""
    decimals = pool.decimals_x if base_is_x else pool.decimals_y
    return largest_quantity(max_buy_raw(pool, base_is_x), decimals)


def max_sell_quantity(pool: Pool, base_is_x: bool) -> float:
    """The most base, in human units, ``sell_proceeds_curve`` prices finitely (a constant-product pool takes
    any amount; the limit is what its input vault, a token account, can hold)."""
    decimals = pool.decimals_x if base_is_x else pool.decimals_y
    return largest_quantity(_room_in(pool, x_for_y=base_is_x), decimals, round_up=False)
