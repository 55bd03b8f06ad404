"""The router's liquidity as it stands on the engine clock, and the cost curves it offers one order.

``PoolMarket`` holds the on-chain pools and the OTC counterparties (immutable values from ``octo_desktop.router``,
replaced on every swap or fill). Once per engine second it lets the world act on the pools:

- arbitrageurs pull each pool toward the exchanges' median mid of its base, once the gap passes the pool's fee,
  with the pool's time constant (``pools.pull_toward``: a real swap on the pool's own math);
- other traders swap small random amounts both ways (one seeded stream), so a pool wanders off between pulls
  as real ones do.

``Sources.curves`` turns the books, the pools and the OTC pools into ``SourceCurve`` values for one order: each
capped at what its account can fund (an exchange's balance, the Solana wallet, the central wallet), what its
limit price allows, and carrying its fixed costs (Solana base and priority fees, a token account to open) and
the price of its delay (volatility over the source's latency). Nothing here sends anything.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Mapping

from octo_desktop.config import QUOTE_ASSET, SOLANA, WALLET
from octo_desktop.domain.snapshot import OtcView, PoolView, SourceOptionView
from octo_desktop.router import amm, dlmm
from octo_desktop.router.ladder import (
    BUY, SourceCurve, book_curve, capped, delay_risk_per_unit, function_curve, ladder_points, within_limit,
)
from octo_desktop.router.otc import OtcPool
from octo_desktop.router.pools import DECIMALS, Pool, build_otc, build_pool, decay_fraction, fee_fraction, mid_price, \
    pull_toward

SECONDS_PER_YEAR = 365.0 * 86400.0
LAMPORTS_PER_SOL = 1_000_000_000
BOOK_DEPTH = 50
POOL_STEP_S = 1.0  # the world acts on the pools once per engine second
RETAIL_SWAP_SHARE = 2e-5  # a random trader's swap, as a share of the pool's value (one standard deviation)
MIN_SWAP_USDT = 0.01  # a smaller pool child is dust: its integer rounding alone moves its price by bps


@dataclass(frozen=True, slots=True)
class Source:
    """What a curve needs to be executed: where it trades and in what."""

    name: str
    kind: str  # book, amm, dlmm, otc
    account: str  # the ledger account it trades from
    symbol: str  # BASE/QUOTE as the ledger books it
    quote: str
    delay_s: float
    lot: Decimal = Decimal(0)  # books: the venue's lot size


class PoolMarket:
    """The pools and OTC pools of the simulated world (see the module docstring)."""

    def __init__(self, router_config, prices: Mapping[str, float], seed: int, now: float) -> None:
        self.config = router_config
        self.specs = dict(router_config.pools)
        self.pools: dict[str, Pool] = {}
        self.notes: dict[str, str] = {}
        for name, spec in self.specs.items():
            price = prices.get(spec.base, math.nan)
            if not (math.isfinite(price) and price > 0):
                self.notes[name] = f"no price for {spec.base}: not built"
                continue
            self.pools[name] = build_pool(spec, price, now)
        # One OTC pool per counterparty and asset it can quote (every asset with a price).
        self.otc: dict[tuple[str, str], OtcPool] = {}
        for name, spec in router_config.otc.items():
            for asset, price in sorted(prices.items()):
                if math.isfinite(price) and price > 0:
                    self.otc[(name, asset)] = build_otc(spec, asset, price, now)
        self._rng = random.Random(seed * 1_000_003 + 19)
        self._last_step = now
        self.version = 0  # bumped on every change of a pool

    def step(self, now: float, mids: Mapping[str, float]) -> None:
        """Let arbitrageurs and other traders act on every pool since the last step (once per engine second)."""
        elapsed = now - self._last_step
        if elapsed < POOL_STEP_S:
            return
        self._last_step = now
        for name, pool in self.pools.items():
            spec = self.specs[name]
            target = mids.get(spec.base, math.nan)
            if math.isfinite(target) and target > 0:
                pool, _swap = pull_toward(pool, target, decay_fraction(elapsed, spec.lag_s), now)
            pool = self._retail(pool, spec, now)
            if pool is not self.pools[name]:
                self.pools[name] = pool
                self.version += 1

    def _retail(self, pool: Pool, spec, now: float) -> Pool:
        value = self._rng.gauss(0.0, RETAIL_SWAP_SHARE * spec.tvl)  # quote units, signed: + buys base
        if abs(value) < 1.0:
            return pool
        mid = mid_price(pool, now)
        try:
            if value > 0:
                raw = amm.raw_amount(value, DECIMALS[spec.quote], round_up=False)
                after = self.swap_in(pool, raw, x_for_y=False, now=now)[1]
            else:
                raw = amm.raw_amount(-value / mid, DECIMALS[spec.base], round_up=False)
                after = self.swap_in(pool, raw, x_for_y=True, now=now)[1]
        except ValueError:
            return pool
        return after

    @staticmethod
    def swap_in(pool: Pool, raw: int, x_for_y: bool, now: float):
        if isinstance(pool, dlmm.DlmmPair):
            swap = dlmm.swap_exact_in(pool, raw, x_for_y, int(now))
            return swap, swap.pair_after
        swap = amm.swap_exact_in(pool, raw, x_for_y)
        return swap, amm.apply_swap(pool, swap)

    @staticmethod
    def swap_out(pool: Pool, raw: int, x_for_y: bool, now: float):
        if isinstance(pool, dlmm.DlmmPair):
            swap = dlmm.swap_exact_out(pool, raw, x_for_y, int(now))
            return swap, swap.pair_after
        swap = amm.swap_exact_out(pool, raw, x_for_y)
        return swap, amm.apply_swap(pool, swap)

    def replace_pool(self, name: str, pool: Pool) -> None:
        self.pools[name] = pool
        self.version += 1

    def replace_otc(self, key: tuple[str, str], pool: OtcPool) -> None:
        self.otc[key] = pool
        self.version += 1

    # --- views ---------------------------------------------------------------------------------------------
    def pool_views(self, now: float, mids: Mapping[str, float]) -> tuple[PoolView, ...]:
        views = []
        for name, pool in sorted(self.pools.items()):
            spec = self.specs[name]
            mid = mid_price(pool, now)
            exchange = mids.get(spec.base, math.nan)
            gap = (mid / exchange - 1.0) * 10_000.0 if math.isfinite(exchange) and exchange > 0 else math.nan
            bins: tuple[tuple[float, float], ...] = ()
            if isinstance(pool, dlmm.DlmmPair):
                rows = []
                for b in pool.bins:
                    if abs(b.bin_id - pool.active_id) > 30:
                        continue
                    price = dlmm.ui_price(dlmm.bin_price(b.bin_id, pool.bin_step), pool.decimals_x, pool.decimals_y)
                    liquidity = (amm.human_amount(b.amount_x, pool.decimals_x) * price
                                 + amm.human_amount(b.amount_y, pool.decimals_y))
                    rows.append((price, liquidity))
                bins = tuple(rows)
                base, quote = amm.human_amount(pool.amount_x, pool.decimals_x), amm.human_amount(pool.amount_y,
                                                                                               pool.decimals_y)
                views.append(PoolView(name, spec.kind, spec.base, spec.quote, mid, exchange, gap,
                                      fee_fraction(pool, now) * 10_000.0, base, quote, pool.active_id, pool.bin_step,
                                      bins))
            else:
                base = amm.human_amount(pool.reserve_x, pool.decimals_x)
                quote = amm.human_amount(pool.reserve_y, pool.decimals_y)
                views.append(PoolView(name, spec.kind, spec.base, spec.quote, mid, exchange, gap,
                                      fee_fraction(pool, now) * 10_000.0, base, quote))
        return tuple(views)

    def otc_views(self, now: float, sigma: Callable[[str], float]) -> tuple[OtcView, ...]:
        views = []
        for (name, asset), pool in sorted(self.otc.items()):
            smallest, largest = pool.limits(now)
            views.append(OtcView(name, asset, pool.available_at(now), smallest, pool.max_quantity,
                                 pool.spread_bps(smallest, sigma(asset)), pool.delay_s))
        return tuple(views)


class Sources:
    """Build the cost curves of one order from the market, the pools, the account and the config."""

    def __init__(self, services, pools: PoolMarket, jupiter=None) -> None:
        self._services = services
        self.pools = pools
        self.jupiter = jupiter  # a jupiter_source.JupiterSource when router.jupiter_url is set: it stands for the pools

    def sigma(self, asset: str) -> float:
        """The asset's volatility per square root of a second (from the config's annual figure)."""
        config = self._services.rules.config
        market = config.markets.get(f"{asset}/{QUOTE_ASSET}")
        annual = market.volatility_annual if market is not None else 0.8
        return annual / math.sqrt(SECONDS_PER_YEAR)

    def assets(self) -> tuple[str, ...]:
        config = self._services.rules.config
        bases = {s.split("/")[0] for s in config.symbols}
        bases |= {spec.base for spec in self.pools.specs.values()}
        return tuple(sorted(bases))

    def sol_price(self) -> float:
        return self._services.portfolio.price("SOL")

    def network_fee_sol(self) -> float:
        router = self._services.rules.config.router
        return (router.sol_base_fee_lamports + router.priority_fee_lamports) / LAMPORTS_PER_SOL

    def curves(self, asset: str, side: str, now: float, reference: float, limit_price: float = math.nan,
               reserved: Mapping[tuple[str, str], Decimal] | None = None, with_ladders: bool = False,
               ladder_upto: float = 0.0) -> tuple[list[SourceCurve], dict[str, Source], list[SourceOptionView]]:
        """Return every usable source's curve for ``side`` of ``asset`` (capped by funds and the limit), what
        each source is, and one option line per source looked at (with its cap's reason)."""
        services = self._services
        config = services.rules.config
        router = config.router
        ledger = services.portfolio.ledger
        sigma = self.sigma(asset)
        k = router.delay_risk_aversion
        curves: list[SourceCurve] = []
        sources: dict[str, Source] = {}
        options: list[SourceOptionView] = []
        excluded = services.risk.excluded_venues

        def available(account: str, token: str) -> float:
            return float(ledger.available(account, token))

        def add(curve: SourceCurve, source: Source, pay_token: str, note: str = "") -> None:
            # Cap by funds: a buy pays the quote token, a sell delivers the base.
            if side == BUY:
                budget = available(source.account, pay_token)
                cap = _max_affordable(curve, budget)
                funds = f"{budget:,.2f} {pay_token} on {source.account}"
            else:
                budget = available(source.account, asset)
                if source.kind in ("amm", "dlmm", "jupiter") and asset == "SOL":
                    budget -= self.network_fee_sol() + router.token_account_rent_sol
                cap = max(0.0, budget)
                funds = f"{max(budget, 0):g} {asset} on {source.account}"
            reasons = [note] if note else []
            if cap < curve.max_quantity:
                reasons.append(f"funds: {funds}")
                curve = capped(curve, cap)
            if math.isfinite(limit_price):
                allowed = within_limit(curve, limit_price)
                if allowed < curve.max_quantity:
                    reasons.append(f"limit {limit_price:g}: {allowed:g} within it")
                    curve = capped(curve, allowed)
            touch = _touch(curve)
            alone = curve.total(ladder_upto) if ladder_upto and curve.max_quantity >= ladder_upto * (1 - 1e-9) \
                else math.nan
            ladder = ladder_points(curve, ladder_upto or curve.max_quantity) if with_ladders else ()
            options.append(SourceOptionView(curve.name, curve.kind, curve.max_quantity, touch,
                                            alone if math.isfinite(alone) else math.nan, "; ".join(reasons), ladder))
            if curve.max_quantity > 0 and curve.max_quantity >= curve.min_quantity:
                curves.append(curve)
                sources[curve.name] = source

        # 1. The exchange books.
        symbol = f"{asset}/{QUOTE_ASSET}"
        if symbol in config.symbols:
            for venue in config.venue_names:
                book = services.market.books.get((venue, symbol))
                if venue in excluded:
                    options.append(SourceOptionView(venue, "book", 0.0, math.nan, math.nan,
                                                    f"excluded: {excluded[venue]}"))
                    continue
                if book is None or not book.is_valid or services.market.status(book, now) != "live":
                    options.append(SourceOptionView(venue, "book", 0.0, math.nan, math.nan, "no live book"))
                    continue
                spec = config.spec(venue, symbol)
                fee = float(config.venues[venue].taker_fee)
                delay = max(services.execution.latency_p95_ms(venue), 0.0) / 1000.0
                if not math.isfinite(delay):
                    delay = 0.0
                prices, sizes = book.top_lists("ask" if side == BUY else "bid", BOOK_DEPTH)
                if not prices:
                    options.append(SourceOptionView(venue, "book", 0.0, math.nan, math.nan, "empty side"))
                    continue
                # The venue's minimum notional is a minimum size at the touch, in whole lots.
                lot = float(spec.lot_size)
                minimum = float(spec.min_notional) / prices[0] if spec.min_notional else 0.0
                if lot > 0 and minimum > 0:
                    minimum = math.ceil(minimum / lot - 1e-9) * lot * (1 + 1e-9)
                curve = book_curve(venue, side, prices, sizes, fee, lot_size=lot, min_quantity=minimum,
                                   delay_s=delay, risk_per_unit=delay_risk_per_unit(reference, sigma, delay, k))
                add(curve, Source(venue, "book", venue, symbol, QUOTE_ASSET, delay, spec.lot_size), QUOTE_ASSET)

        # 2. The Solana pools: Jupiter's routes over them when a Jupiter is configured, else Octo's own.
        network = self.network_fee_sol() * self.sol_price()
        delay = router.dex_latency_ms / 1000.0
        opened = set(ledger.balances().get(SOLANA, {}))  # the Solana wallet's token accounts
        if self.jupiter is not None:
            amount, limit, note = self.jupiter.curve(asset, side, now)
            if amount is None:
                options.append(SourceOptionView("jupiter", "jupiter", 0.0, math.nan, math.nan, note))
            else:
                curve = function_curve("jupiter", "jupiter", side, amount, limit, fixed_cost=network, delay_s=delay,
                                       min_quantity=min(limit, MIN_SWAP_USDT / reference) if reference > 0 else 0.0,
                                       risk_per_unit=delay_risk_per_unit(reference, sigma, delay, k))
                add(curve, Source("jupiter", "jupiter", SOLANA, f"{asset}/USDC", "USDC", delay), "USDC", note)
        for name, pool in sorted(self.pools.pools.items() if self.jupiter is None else ()):
            spec = self.pools.specs[name]
            if spec.base != asset:
                continue
            module = dlmm if isinstance(pool, dlmm.DlmmPair) else amm
            extra = (int(now),) if module is dlmm else ()
            if side == BUY:
                amount = module.buy_cost_curve(pool, True, *extra)
                limit = module.max_buy_quantity(pool, True)
            else:
                amount = module.sell_proceeds_curve(pool, True, *extra)
                limit = module.max_sell_quantity(pool, True, *extra)
            received = asset if side == BUY else spec.quote
            rent = 0.0
            if received not in opened:
                rent = router.token_account_rent_sol * self.sol_price()  # its token account is opened first
            fee_rate = fee_fraction(pool, now)
            kind = "dlmm" if module is dlmm else "amm"
            curve = function_curve(name, kind, side, amount, limit, fee_rate=fee_rate / (1 + fee_rate),
                                   fixed_cost=network + rent, delay_s=delay,
                                   min_quantity=min(limit, MIN_SWAP_USDT / reference) if reference > 0 else 0.0,
                                   risk_per_unit=delay_risk_per_unit(reference, sigma, delay, k))
            note = "opens a token account" if rent else ""
            if available(SOLANA, "SOL") < self.network_fee_sol() + (router.token_account_rent_sol if rent else 0):
                options.append(SourceOptionView(name, kind, 0.0, math.nan, math.nan,
                                                "the Solana wallet has no SOL for the network fee"))
                continue
            add(curve, Source(name, kind, SOLANA, f"{asset}/{spec.quote}", spec.quote, delay), spec.quote, note)

        # 3. The OTC counterparties (settled with the central wallet, in the quote asset).
        for (name, otc_asset), otc in sorted(self.pools.otc.items()):
            if otc_asset != asset:
                continue
            if not (math.isfinite(reference) and reference > 0):
                continue
            curve = otc.curve(side, reference, now, sigma, risk_aversion=k)
            label = f"{name}"
            curve = SourceCurve(label, "otc", side, curve.cost, curve.max_quantity, min_quantity=curve.min_quantity,
                                fixed_cost=curve.fixed_cost, delay_s=curve.delay_s, risk_per_unit=curve.risk_per_unit)
            add(curve, Source(label, "otc", WALLET, f"{asset}/{QUOTE_ASSET}", QUOTE_ASSET, otc.delay_s),
                QUOTE_ASSET)
        return curves, sources, options


def _touch(curve: SourceCurve) -> float:
    from octo_desktop.router.ladder import marginal_price

    if curve.max_quantity <= 0:
        return math.nan
    return marginal_price(curve, curve.min_quantity)


def _max_affordable(curve: SourceCurve, budget: float) -> float:
    """The most a buy curve can take for ``budget`` of the quote (fixed costs aside), by bisection."""
    if budget <= 0:
        return 0.0
    top = curve.max_quantity
    if not math.isfinite(top):
        return 0.0
    if curve.cost(top) <= budget:
        return top
    low, high = 0.0, top
    for _ in range(60):
        middle = (low + high) / 2
        if curve.cost(middle) <= budget:
            low = middle
        else:
            high = middle
        if high - low <= top * 1e-9:
            break
    return low
