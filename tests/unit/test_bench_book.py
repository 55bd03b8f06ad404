"""The order-book benchmark: its workload is sound and every implementation ends in Octo's book."""

from __future__ import annotations

import json

import pytest

from benchmarks import book as bench
from octo_desktop.domain.book import OrderBook


@pytest.fixture(scope="module")
def workload():
    return bench.generate(4000, seed=11, levels=300)


def test_workload_is_deterministic_for_a_seed():
    a, b = bench.generate(2000, seed=5), bench.generate(2000, seed=5)
    assert (a.bids, a.asks, a.events, a.kinds, a.ranks) == (b.bids, b.asks, b.events, b.kinds, b.ranks)
    c = bench.generate(2000, seed=6)
    assert c.events != a.events


def test_snapshot_has_the_levels_sorted_best_first_and_uncrossed():
    w = bench.generate(0, seed=7, levels=1000)
    assert len(w.bids) == len(w.asks) == 1000
    assert [p for p, _ in w.bids] == sorted((p for p, _ in w.bids), reverse=True)
    assert [p for p, _ in w.asks] == sorted(p for p, _ in w.asks)
    assert w.bids[0][0] < w.asks[0][0]
    assert all(s > 0 for _, s in w.bids + w.asks)


def test_replayed_into_octo_the_book_never_crosses_and_each_kind_is_what_it_says(workload):
    book = OrderBook("bench", "X")
    book.apply_snapshot(workload.bids, workload.asks, 0)
    state = {True: dict(workload.bids), False: dict(workload.asks)}
    for i, ((is_bid, price, size), kind) in enumerate(zip(workload.events, workload.kinds), 1):
        side = state[is_bid]
        if kind == bench.UPDATE:
            assert price in side and size > 0 and size != side[price]
        elif kind == bench.INSERT:
            assert price not in side and size > 0
        else:
            assert price in side and size == 0.0
        if size:
            side[price] = size
        else:
            del side[price]
        bids, asks = (((price, size),), ()) if is_bid else ((), ((price, size),))
        book.apply_delta(bids, asks, i)  # raises CrossedBook if it crossed
        assert book.best_bid < book.best_ask
        assert book.is_valid
    assert list(book.iter_bids()) == sorted(state[True].items(), reverse=True)
    assert list(book.iter_asks()) == sorted(state[False].items())


def test_mix_is_plausible_mostly_near_the_touch_and_depth_stays_near_the_snapshot():
    w = bench.generate(20_000, seed=7, levels=1000)
    mix = w.mix()
    assert 0.5 <= mix["update"] <= 0.7
    assert 0.15 <= mix["insert"] <= 0.25 and 0.15 <= mix["delete"] <= 0.25
    assert w.near_touch_share() >= 0.7
    assert sum(1 for r in w.ranks if r == 0) / len(w.ranks) >= 0.15  # the touch itself moves a lot
    assert max(w.ranks) > 100  # but deep levels change too
    depth = {True: 1000, False: 1000}
    for (is_bid, _, _), kind in zip(w.events, w.kinds):
        depth[is_bid] += {bench.INSERT: 1, bench.DELETE: -1}.get(kind, 0)
    assert all(800 <= d <= 1200 for d in depth.values())


def _octo_final(w):
    octo = bench.OctoImpl()
    book = octo.stream(octo.build(w.bids, w.asks), octo.prepare(w))
    return octo.levels(book)


@pytest.mark.parametrize("cls", bench.IMPLEMENTATIONS, ids=lambda c: c.name)
def test_every_installed_implementation_ends_in_octos_book(cls, workload):
    impl = cls()
    reason = impl.unavailable()
    if reason is not None:
        pytest.skip(reason)
    reference = _octo_final(workload)
    msgs = impl.prepare(workload)
    streamed = impl.stream(impl.build(workload.bids, workload.asks), msgs)
    bench.compare_books(reference, impl.levels(streamed), impl.name, impl.decimals)
    sampled_book = impl.build(workload.bids, workload.asks)
    samples = impl.sampled(sampled_book, msgs, 10)
    assert len(samples) == len(msgs) // 10 and all(s >= 0 for s in samples)
    bench.compare_books(reference, impl.levels(sampled_book), impl.name, impl.decimals)
    # the read loops run on the final book
    impl.bbo_loop(streamed, 3)
    impl.top_loop(streamed, 3)
    assert len(reference[0]) > 250 and len(reference[1]) > 250


def test_compare_books_fails_on_any_difference(workload):
    reference = _octo_final(workload)
    bids, asks = reference
    bench.compare_books(reference, (list(bids), list(asks)), "same")
    with pytest.raises(bench.BookMismatch, match="bid level 3"):
        bench.compare_books(reference, (bids[:3] + [(bids[3][0], bids[3][1] + 1)] + bids[4:], asks), "size")
    with pytest.raises(bench.BookMismatch, match="ask"):
        bench.compare_books(reference, (bids, asks[:-1]), "missing level")
    nearly = ([(p + 1e-9, s) for p, s in bids], asks)  # a fixed-point book's doubles
    with pytest.raises(bench.BookMismatch):
        bench.compare_books(reference, nearly, "exact")
    bench.compare_books(reference, nearly, "rounded", decimals=(1, 4))
    with pytest.raises(bench.BookMismatch, match="ask level 0"):
        bench.compare_books(reference, (bids, [(p + 0.1, s) for p, s in asks]), "shifted", decimals=(1, 4))


class _IgnoresDeletes(bench.SortedDictImpl):
    """A broken book: it keeps levels whose size went to 0."""

    name = "broken"

    def stream(self, book, msgs):
        return super().stream(book, [(b, p, s) for b, p, s in msgs if s])


def test_run_fails_loudly_when_a_book_ends_different(monkeypatch):
    pytest.importorskip("sortedcontainers")
    monkeypatch.setattr(bench, "IMPLEMENTATIONS", (bench.OctoImpl, bench.CcxtImpl, _IgnoresDeletes))
    with pytest.raises(bench.BookMismatch, match="broken"):
        bench.run(deltas=500, repeats=1, levels=100, rss_books=0, read_target_s=0.002)


def test_run_returns_the_documented_keys_and_reports_missing_peers(monkeypatch):
    monkeypatch.setattr(bench.OrderBookCImpl, "unavailable",
                        lambda self: f"not installed ({self.pip})")
    result = bench.run(deltas=1000, repeats=1, levels=200, rss_books=0, read_target_s=0.002)
    assert result["name"] == "book"
    assert result["identical_final_books"] is True
    assert result["workload"]["deltas"] == 1000 and result["workload"]["levels_per_side"] == 200
    assert set(result["targets"]) == {"throughput_2x_ccxt", "apply_p99_le_1us", "top20_le_1_5us", "bytes_le_200KB"}
    assert all(isinstance(v, bool) for v in result["targets"].values())
    impls = result["implementations"]
    assert impls["order-book"] == {"skipped": "not installed (pip install order-book)"}
    for name in ("octo", "ccxt"):
        r = impls[name]
        assert {"version", "deltas_per_s", "apply_ns", "top_of_book_ns", "top20_ns", "bytes_per_book",
                "memory_method"} <= set(r)
        assert r["deltas_per_s"]["median"] > 0 and r["deltas_per_s"]["n"] == 1
        assert {"p50", "p99"} <= set(r["apply_ns"]) and r["apply_ns"]["p99"] >= r["apply_ns"]["p50"]
        assert r["top20_ns"] > 0 and r["bytes_per_book"] > 10_000
    assert "octo" in result["ratios_vs_ccxt"] and "ccxt" not in result["ratios_vs_ccxt"]
    assert result["ratios_vs_ccxt"]["octo"]["deltas_per_s"] == pytest.approx(
        impls["octo"]["deltas_per_s"]["median"] / impls["ccxt"]["deltas_per_s"]["median"], rel=1e-2)
    json.dumps(result, allow_nan=False)


def test_rss_child_measures_a_positive_size_per_book():
    child = bench.RssChild("octo", 20, 7, 300)
    size, error = child.result()
    assert error == "" and size is not None and 10_000 < size < 1_000_000


def test_tracemalloc_bytes_per_book_are_stable_and_plausible():
    w = bench.generate(0, seed=7, levels=1000)
    texts = bench._texts(w)
    first = bench.measure_memory_traced(bench.OctoImpl(), texts)
    assert first == bench.measure_memory_traced(bench.OctoImpl(), texts)
    # 2000 levels: two dicts, two price lists and 4000 floats (24 B each), no input left over
    assert 2000 * 2 * 24 < first < 2000 * 120
