import math

import numpy as np
import pytest

from octo_desktop.domain.book import OrderBook
from octo_desktop.domain.spread import net_spread_bps, net_spread_matrix


def test_net_spread_matches_a_hand_worked_example():
    # Buy 1.5 on A: 1 @ 100.00 + 0.5 @ 100.10 = 150.05. Sell 1.5 on B: 0.5 @ 100.50 + 1 @ 100.40 = 150.65.
    # Fees: A 0.10 %, B 0.05 %. Cost 150.05 * 1.001 = 150.20005; proceeds 150.65 * 0.9995 = 150.574675.
    # Net = (150.574675 - 150.20005) / 150.05 * 10_000 = 24.9667 bps.
    a, b = OrderBook("a", "X/USDT"), OrderBook("b", "X/USDT")
    a.apply_snapshot([(99.9, 5.0)], [(100.00, 1.0), (100.10, 2.0)], 1)
    b.apply_snapshot([(100.50, 0.5), (100.40, 2.0)], [(100.6, 5.0)], 1)
    buy, _ = a.vwap("buy", 1.5)
    sell, _ = b.vwap("sell", 1.5)
    assert net_spread_bps(buy, sell, 0.001, 0.0005) == pytest.approx(24.96668, abs=1e-4)


def test_matrix_rows_buy_columns_sell_with_nan_diagonal_and_excluded_venues():
    buy = np.array([100.0, 101.0, 99.0])
    sell = np.array([99.9, 100.9, 98.9])
    fees = np.array([0.001, 0.001, 0.0])
    usable = np.array([True, True, False])
    m = net_spread_matrix(buy, sell, fees, usable)
    assert m.shape == (3, 3)
    assert all(math.isnan(m[i, i]) for i in range(3))
    assert np.isnan(m[2, :]).all() and np.isnan(m[:, 2]).all()
    # Buy on venue 0 at 100.0 (+0.1 %), sell on venue 1 at 100.9 (-0.1 %).
    assert m[0, 1] == pytest.approx((100.9 * 0.999 - 100.0 * 1.001) / 100.0 * 1e4)
    assert m[1, 0] == pytest.approx((99.9 * 0.999 - 101.0 * 1.001) / 101.0 * 1e4)
    assert m[0, 1] == pytest.approx(net_spread_bps(100.0, 100.9, 0.001, 0.001))


def test_matrix_is_nan_where_depth_is_missing():
    m = net_spread_matrix(np.array([100.0, np.nan]), np.array([99.0, 101.0]), np.zeros(2), np.ones(2, bool))
    assert math.isnan(m[1, 0]) and not math.isnan(m[0, 1])


def test_all_symbols_at_once_equal_each_symbols_matrix_and_the_scalar_formula():
    from octo_desktop.domain.spread import net_spread_matrices

    rng = np.random.default_rng(3)
    buy = 100.0 * (1 + rng.normal(0, 1e-3, (50, 8)))
    sell = 100.0 * (1 + rng.normal(0, 1e-3, (50, 8)))
    buy[4, 2] = np.nan  # not enough depth on one venue for one symbol
    fees = rng.uniform(0.0005, 0.002, 8)
    usable = rng.random((50, 8)) > 0.2
    batch = net_spread_matrices(buy, sell, fees, usable)
    assert batch.shape == (50, 8, 8)
    for s in range(50):
        assert np.array_equal(batch[s], net_spread_matrix(buy[s], sell[s], fees, usable[s]), equal_nan=True)
        for i in range(8):
            for j in range(8):
                value = batch[s, i, j]
                if i == j or not (usable[s, i] and usable[s, j]) or math.isnan(buy[s, i]):
                    assert math.isnan(value)
                else:
                    # The matrix is evaluated as scale * proceeds - cost_bps: equal to the scalar
                    # formula up to rounding (a few units in the last place).
                    assert value == pytest.approx(net_spread_bps(buy[s, i], sell[s, j], fees[i], fees[j]),
                                                  rel=1e-12, abs=1e-9)


def test_matrices_fill_a_given_buffer_and_match_a_fresh_result():
    from octo_desktop.domain.spread import net_spread_matrices

    rng = np.random.default_rng(5)
    buy = 100.0 * (1 + rng.normal(0, 1e-3, (20, 8)))
    sell = 100.0 * (1 + rng.normal(0, 1e-3, (20, 8)))
    fees = rng.uniform(0.0005, 0.002, 8)
    usable = rng.random((20, 8)) > 0.2
    fresh = net_spread_matrices(buy, sell, fees, usable)
    buffer = np.full((20, 8, 8), 123.0)
    assert net_spread_matrices(buy, sell, fees, usable, out=buffer) is buffer
    assert np.array_equal(buffer, fresh, equal_nan=True)
    single = np.full((8, 8), 7.0)
    assert net_spread_matrix(buy[3], sell[3], fees, usable[3], out=single) is single
    assert np.array_equal(single, fresh[3], equal_nan=True)


def test_the_detectors_pairs_are_the_matrix_entries_at_or_above_the_threshold():
    from octo_desktop.domain.spread import net_spread_matrix, pairs_above

    rng = np.random.default_rng(5)
    for _ in range(300):
        n = 8
        mid = 100.0 * (1 + rng.normal(0, 0.002, n))
        buy = mid * (1 + rng.uniform(0, 0.001, n))
        sell = mid * (1 - rng.uniform(0, 0.001, n))
        buy[rng.random(n) < 0.1] = np.nan  # not enough depth for the size
        fees = rng.uniform(0, 0.002, n)
        usable = rng.random(n) > 0.15
        threshold = float(rng.uniform(-20, 20))
        cost = list(buy * (1 + fees))
        proceeds = list(sell * (1 - fees))
        pairs = pairs_above(cost, proceeds, list(buy), list(usable), threshold)
        matrix = net_spread_matrix(buy, sell, fees, usable)
        expected = {(i, j) for i in range(n) for j in range(n) if matrix[i, j] >= threshold + 1e-9}
        found = {(i, j) for _, i, j in pairs}
        assert expected <= found and all(matrix[i, j] >= threshold - 1e-9 for i, j in found)
        for net, i, j in pairs:
            assert net == pytest.approx(matrix[i, j], rel=1e-9, abs=1e-9)
        assert [p[0] for p in pairs] == sorted((p[0] for p in pairs), reverse=True)
