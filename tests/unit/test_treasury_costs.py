"""The transfer cost term of a pair's net spread: one-way share, batches, the per-pair formula, the matrix."""

import math

import numpy as np
import pytest

from octo_desktop.engine.transfer_costs import TransferCostBoard
from octo_desktop.treasury.costs import one_way_share, pair_cost_bps, transfer_batch, transfer_cost_matrix


def test_one_way_share_is_drift_over_turnover():
    # A venue drained steadily is all one way; one that went down and back up is not one way at all.
    assert one_way_share([[10, 8, 6, 4]]) == 1.0
    assert one_way_share([[10, 6, 10]]) == 0.0
    # Summed over venues: drift 6 + 0 against turnover 6 + 8.
    assert one_way_share([[10, 8, 6, 4], [5, 9, 5]]) == pytest.approx(6 / 14)


def test_one_way_share_without_turnover_is_unknown():
    assert one_way_share([]) is None
    assert one_way_share([[5.0], [3, 3, 3]]) is None


def test_batch_is_the_gap_between_the_bands_at_least_the_minimum():
    assert transfer_batch(10_000.0, 0.5, 0.2, 1_000.0) == pytest.approx(3_000.0)
    assert transfer_batch(2_000.0, 0.5, 0.2, 1_000.0) == 1_000.0
    assert transfer_batch(math.nan, 0.5, 0.2, 1_000.0) == 1_000.0


def test_pair_cost_amortises_both_fees_over_their_batches():
    # 12 USDT of BTC fee over a 3,000 USDT batch, all one way: 40 bps; 1 USDT over 1,000 half one way: 5 bps.
    assert pair_cost_bps(12.0, 3_000.0, 1.0, 1.0, 1_000.0, 0.5) == pytest.approx(45.0)
    # Flow that reverses itself needs no transfer: the term vanishes with the one-way share.
    assert pair_cost_bps(12.0, 3_000.0, 0.0, 1.0, 1_000.0, 0.0) == 0.0
    assert math.isnan(pair_cost_bps(12.0, 0.0, 1.0, 1.0, 1_000.0, 1.0))
    assert math.isnan(pair_cost_bps(math.nan, 3_000.0, 1.0, 1.0, 1_000.0, 1.0))


def test_matrix_moves_base_forward_and_quote_back():
    # Venue 2 charges 10 to withdraw base, the others 1; quote costs 2 from anywhere. Buying on 2 and
    # selling on 0 moves base 2 -> 0 (10) and quote 0 -> 2 (2).
    base_fee = lambda i, j: 10.0 if i == 2 else 1.0  # noqa: E731
    quote_fee = lambda j, i: 2.0  # noqa: E731
    matrix = transfer_cost_matrix(3, base_fee, [1_000.0] * 3, 1.0, quote_fee, [2_000.0] * 3, 1.0)
    assert np.isnan(np.diag(matrix)).all()
    assert matrix[2, 0] == pytest.approx(1e4 * (10 / 1_000 + 2 / 2_000))
    assert matrix[0, 2] == pytest.approx(1e4 * (1 / 1_000 + 2 / 2_000))
    assert matrix[2, 0] > matrix[0, 2]


def test_board_hands_out_read_only_matrices_and_nan_before_pricing():
    board = TransferCostBoard()
    assert math.isnan(board.cost_bps("BTC/USDT", 0, 1)) and board.matrix("BTC/USDT") is None
    matrix = np.array([[np.nan, 3.0], [4.0, np.nan]])
    board.update({"BTC/USDT": matrix}, 100.0, "basis")
    assert board.cost_bps("BTC/USDT", 1, 0) == 4.0 and board.version == 1 and board.as_of == 100.0
    with pytest.raises(ValueError):
        board.matrix("BTC/USDT")[0, 1] = 0.0
