"""Pools built from their spec at a price, and arbitrageurs pulling them toward the exchanges' mid."""

import math

import pytest

from octo_desktop.router import amm, dlmm
from octo_desktop.router.pools import PoolSpec, build_pool, decay_fraction, fee_fraction, mid_price, pull_toward

SPECS = [PoolSpec("ray-cpmm", "cpmm", "SOL", "USDC", 4_000_000.0, fee_rate=2500),
         PoolSpec("ray-v4", "amm_v4", "SOL", "USDT", 6_000_000.0),
         PoolSpec("met-dlmm", "dlmm", "SOL", "USDC", 3_000_000.0, bin_step=10)]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind)
def test_a_pool_is_built_at_the_price_with_its_value_in_the_quote(spec):
    pool = build_pool(spec, 150.0, now=100.0)
    assert mid_price(pool, 100.0) == pytest.approx(150.0, rel=2e-3)  # a DLMM bin is 10 bps wide
    if isinstance(pool, dlmm.DlmmPair):
        value = pool.amount_x / 1e9 * 150.0 + pool.amount_y / 1e6
    else:
        value = pool.reserve_x / 1e9 * 150.0 + pool.reserve_y / 1e6
    assert value == pytest.approx(spec.tvl, rel=0.02)
    assert 0.0009 < fee_fraction(pool, 100.0) < 0.0031  # 0.25 % Raydium, 0.1 % base DLMM


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind)
def test_arbitrageurs_close_part_of_a_gap_beyond_the_fee_and_leave_one_inside_it_alone(spec):
    pool = build_pool(spec, 150.0, now=100.0)
    assert pull_toward(pool, 150.1, 0.5, 101.0) == (pool, None)  # 7 bps: inside the fee, nobody trades
    for target in (153.0, 147.0):
        after, swap = pull_toward(pool, target, 0.5, 101.0)
        goal = 150.0 * math.sqrt(target / 150.0) if spec.kind != "dlmm" else mid_price(pool, 100.0) * math.sqrt(
            target / mid_price(pool, 100.0))
        assert swap is not None and mid_price(after, 101.0) == pytest.approx(goal, rel=2e-3)
        assert (mid_price(after, 101.0) > mid_price(pool, 100.0)) == (target > 150.0)
        if not isinstance(pool, dlmm.DlmmPair):
            assert after.reserve_x * after.reserve_y >= pool.reserve_x * pool.reserve_y  # the pool's own math
    full, _ = pull_toward(pool, 153.0, 1.0, 101.0)
    assert mid_price(full, 101.0) == pytest.approx(153.0, rel=2e-3)


def test_repeated_pulls_decay_the_gap_with_the_lag():
    spec = SPECS[0]
    pool = build_pool(spec, 150.0)
    target, now = 156.0, 0.0
    for _ in range(12):
        now += 5.0
        pool, _ = pull_toward(pool, target, decay_fraction(5.0, spec.lag_s), now)
    # 60 s at a 20 s time constant closes all but e^-3 of the log gap, down to the fee band.
    gap = math.log(target / mid_price(pool))
    assert gap < max(math.log(target / 150.0) * math.exp(-3) * 1.05, math.log1p(fee_fraction(pool)) * 1.01)
    assert decay_fraction(0.0, 20.0) == 0.0 and decay_fraction(20.0, 20.0) == pytest.approx(1 - math.exp(-1))


@pytest.mark.parametrize("changes, message", [
    (dict(kind="orca"), "kind must be one of"),
    (dict(base="DOGE"), "unknown token 'DOGE'"),
    (dict(tvl=0.0), "tvl must be a positive"),
    (dict(lag_s=0.0), "lag_s must be positive"),
    (dict(fee_rate=1_000_000), "fee_rate must be within"),
])
def test_a_bad_spec_is_one_clear_line(changes, message):
    values = dict(name="p", kind="cpmm", base="SOL", quote="USDC", tvl=1e6) | changes
    with pytest.raises(ValueError, match=message):
        PoolSpec(**values)


def test_the_built_pools_feed_the_splitters_cost_curves():
    pool = build_pool(SPECS[0], 150.0)
    cost = amm.buy_cost_curve(pool, True)
    assert cost(100.0) / 100.0 > mid_price(pool) * 1.0025  # fee and impact
    assert cost(200.0) / 200.0 > cost(100.0) / 100.0
