"""The on-chain pools as the router sees them: built from a spec at a price, priced, and pulled toward the
exchanges by arbitrageurs. Pure; times are engine seconds passed in.

A ``PoolSpec`` says what a pool is (a Raydium CPMM or AMM v4 pool, or a Meteora DLMM pair), which tokens it
pairs (the base is always X: SOL, WETH or cbBTC against USDC or USDT), how deep it is (its total value in the
quote) and its fee. ``build_pool`` makes its on-chain state around a price.

On a real chain, pools and exchange books disagree until an arbitrageur finds it worth closing the gap, and
then only partly and a little late. ``pull_toward`` models that: when the pool's mid is further from the
exchanges' mid than its fee (inside the fee, an arbitrageur loses), one swap moves it ``fraction`` of the way
there (in log price), the swap a real arbitrageur would make, applied to the pool with the pool's own math.
With ``fraction = 1 - exp(-dt / lag_s)`` per step the gap decays with time constant ``lag_s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union

from octo_desktop.router import amm, dlmm
from octo_desktop.router.otc import OtcPool

Pool = Union[amm.CpmmPool, amm.AmmV4Pool, dlmm.DlmmPair]
KINDS = ("cpmm", "amm_v4", "dlmm")
# Decimals of the SPL tokens the pools trade (the mints' own: wrapped SOL 9, USDC and USDT 6, Wormhole
# WETH and Coinbase cbBTC 8).
DECIMALS = {"SOL": 9, "USDC": 6, "USDT": 6, "ETH": 8, "BTC": 8}
# Their mainnet mints (wrapped SOL, USDC, USDT, Wormhole "Ether (Portal)", Coinbase cbBTC): the quote
# endpoint's inputMint/outputMint.
MINTS = {"SOL": "So11111111111111111111111111111111111111112",
         "USDC": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
         "USDT": "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
         "ETH": "7vfCXTUXx5WJV5JADk17DyJ4ai4Zz9LrahwQMx6e3WYp",
         "BTC": "cbbtcf3aa214zXHbiAZQwf4122FBYbraNdFqgw4iMij"}


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """One pool as configured (``[router.pools.NAME]``)."""

    name: str
    kind: str  # cpmm, amm_v4 or dlmm
    base: str  # SOL, ETH (Wormhole WETH), BTC (cbBTC)
    quote: str  # USDC or USDT
    tvl: float  # total value locked, in the quote
    fee_rate: int = 2500  # cpmm: trade fee out of 1,000,000; amm_v4: 2500 (its fixed 25 bps); dlmm: unused
    bin_step: int = 10  # dlmm: bps between bins
    base_factor: int = 10_000  # dlmm: the base fee is base_factor x bin_step x 1e-8 (10,000 x 10: 0.1 %)
    bins_each_side: int = 40  # dlmm: how far the liquidity spreads
    lag_s: float = 20.0  # arbitrageurs close a gap to the exchanges with this time constant

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        for token in (self.base, self.quote):
            if token not in DECIMALS:
                raise ValueError(f"{self.name}: unknown token {token!r}; one of {', '.join(DECIMALS)}")
        if not (math.isfinite(self.tvl) and self.tvl > 0):
            raise ValueError(f"{self.name}: tvl must be a positive number, got {self.tvl}")
        if not (math.isfinite(self.lag_s) and self.lag_s > 0):
            raise ValueError(f"{self.name}: lag_s must be positive, got {self.lag_s}")
        if self.kind == "cpmm" and not 0 <= self.fee_rate < amm.FEE_RATE_DENOMINATOR:
            raise ValueError(f"{self.name}: fee_rate must be within [0, 1000000), got {self.fee_rate}")

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"


@dataclass(frozen=True, slots=True)
class OtcSpec:
    """One simulated OTC counterparty as configured (``[router.otc.NAME]``); sizes in USDT, turned into the
    asset's units at the price when a pool is made for it (``build_otc``)."""

    name: str
    base_spread_bps: float = 8.0  # the spread quoted on a small block
    size_slope_bps: float = 6.0  # added at reference_size_usdt, growing as (size / reference) ** size_exponent
    size_exponent: float = 1.0
    reference_size_usdt: float = 250_000.0
    volatility_multiplier: float = 1.0  # the spread widens by this times the volatility over the delay
    min_usdt: float = 25_000.0
    max_usdt: float = 2_000_000.0
    capacity_usdt: float = 5_000_000.0  # what it will do in total before it must refill
    refill_usdt_per_s: float = 500.0
    delay_s: float = 3.0  # from acceptance to settlement
    tolerance_bps: float = 10.0  # the quote is withdrawn if the market moves more than this meanwhile

    def __post_init__(self) -> None:
        if not 0 <= self.min_usdt <= self.max_usdt:
            raise ValueError(f"{self.name}: min_usdt must be within [0, max_usdt], got {self.min_usdt}")
        if self.capacity_usdt < self.max_usdt:
            raise ValueError(f"{self.name}: capacity_usdt must be at least max_usdt")


def build_otc(spec: OtcSpec, asset: str, price: float, now: float) -> OtcPool:
    """The OTC pool ``spec`` quotes for ``asset`` at ``price``, full (sizes in the asset's units)."""
    if not (math.isfinite(price) and price > 0):
        raise ValueError(f"{spec.name}: the price of {asset} must be positive, got {price}")
    return OtcPool.full(f"{spec.name} {asset}", now, base_spread_bps=spec.base_spread_bps,
                        size_slope_bps=spec.size_slope_bps, reference_size=spec.reference_size_usdt / price,
                        min_quantity=spec.min_usdt / price, max_quantity=spec.max_usdt / price,
                        capacity=spec.capacity_usdt / price, refill_per_s=spec.refill_usdt_per_s / price,
                        size_exponent=spec.size_exponent, volatility_multiplier=spec.volatility_multiplier,
                        delay_s=spec.delay_s, tolerance_bps=spec.tolerance_bps)


def build_pool(spec: PoolSpec, price: float, now: float = 0.0) -> Pool:
    """The pool's state with its value split evenly around ``price`` (quote per base)."""
    if not (math.isfinite(price) and price > 0):
        raise ValueError(f"{spec.name}: the price must be positive, got {price}")
    dx, dy = DECIMALS[spec.base], DECIMALS[spec.quote]
    if spec.kind == "dlmm":
        parameters = dlmm.FeeParameters(base_factor=spec.base_factor)
        return dlmm.build_pair(spec.name, spec.base, spec.quote, dx, dy, price, spec.bin_step, spec.tvl,
                               bins_each_side=spec.bins_each_side, parameters=parameters, now=int(now))
    x = amm.raw_amount(spec.tvl / 2 / price, dx, round_up=False)
    y = amm.raw_amount(spec.tvl / 2, dy, round_up=False)
    if spec.kind == "cpmm":
        return amm.CpmmPool(spec.name, spec.base, spec.quote, dx, dy, x, y, trade_fee_rate=spec.fee_rate)
    return amm.AmmV4Pool(spec.name, spec.base, spec.quote, dx, dy, x, y)


def mid_price(pool: Pool, now: float = 0.0) -> float:
    """Quote per base at the pool's current state (the base is X)."""
    if isinstance(pool, dlmm.DlmmPair):
        return dlmm.marginal_price(pool, True, int(now))
    return amm.marginal_price(pool, True)


def fee_fraction(pool: Pool, now: float = 0.0) -> float:
    """What a small trade pays the pool, as a fraction: the gap an arbitrageur must see before acting."""
    mid = mid_price(pool, now)
    if isinstance(pool, dlmm.DlmmPair):
        buy = dlmm.marginal_price(pool, True, int(now), side="buy")
    else:
        buy = amm.marginal_price(pool, True, side="buy")
    return buy / mid - 1.0 if math.isfinite(buy) else math.inf


def _swap_in(pool: Pool, amount: int, x_for_y: bool, now: float):
    if isinstance(pool, dlmm.DlmmPair):
        swap = dlmm.swap_exact_in(pool, amount, x_for_y, int(now))
        return swap, swap.pair_after
    swap = amm.swap_exact_in(pool, amount, x_for_y)
    return swap, amm.apply_swap(pool, swap)


def pull_toward(pool: Pool, target: float, fraction: float, now: float = 0.0) -> tuple[Pool, object | None]:
    """The pool after an arbitrageur moved its mid ``fraction`` of the (log) way to ``target``, and the swap;
    the pool unchanged and None when the gap is within the pool's fee or too small to trade."""
    if not (math.isfinite(target) and target > 0) or not 0 < fraction <= 1:
        return pool, None
    mid = mid_price(pool, now)
    if abs(math.log(target / mid)) <= math.log1p(fee_fraction(pool, now)):
        return pool, None
    goal = mid * (target / mid) ** fraction
    buying_base = goal > mid  # the pool's base is cheap: buy base from it with quote (y in, x out)
    x_for_y = not buying_base

    def reaches(amount: int) -> tuple[bool, Pool | None, object | None]:
        try:
            swap, after = _swap_in(pool, amount, x_for_y, now)
        except ValueError:
            return True, None, None  # more than the pool can take: certainly past the goal
        price = mid_price(after, now)
        return (price >= goal if buying_base else price <= goal), after, swap

    # Exponential then binary search for the smallest input that reaches the goal (the mid moves monotonically
    # with the input); the result never overshoots the goal by more than one step of the search.
    decimals = pool.decimals_y if buying_base else pool.decimals_x
    low, high = 0, max(1, 10 ** max(0, decimals - 3))
    while not reaches(high)[0]:
        low, high = high, high * 2
        if high > 10 ** (decimals + 15):
            return pool, None
    while high - low > max(1, high // 10_000):
        middle = (low + high) // 2
        if reaches(middle)[0]:
            high = middle
        else:
            low = middle
    amount = low if low > 0 else high
    ok, after, swap = reaches(amount)
    if after is None:
        return pool, None
    return after, swap


def decay_fraction(elapsed_s: float, lag_s: float) -> float:
    """The share of a gap arbitrageurs close in ``elapsed_s`` with time constant ``lag_s``."""
    if elapsed_s <= 0:
        return 0.0
    return 1.0 - math.exp(-elapsed_s / lag_s)
