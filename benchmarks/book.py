"""Order-book maintenance: Octo's ``OrderBook`` against its peers on one identical, seeded stream.

    python -m benchmarks.book                 # 1,000,000 deltas, 5 interleaved repetitions
    python -m benchmarks.book --quick         # 20,000 deltas, 2 repetitions
    python -m benchmarks.book --quick --json  # the result as JSON (what ``run`` returns)
    python -m benchmarks.book --only ccxt     # Octo and the named peers only (the C peers' reads are slow)

The workload is generated once per run from ``seed``: a 1000-level snapshot per side (tick 0.1), then
deltas of one (side, price, size) each -- size changes of existing levels, new levels and deletions
(size 0), mostly near the touch, never crossing the book -- with reads interleaved: best bid and ask
every 10 deltas, the top 20 levels of both sides every 100 deltas.

Every implementation gets the identical stream, each in its own native message shape, built once
outside the timed loops (that is the feed's work, not the book's):

* Octo: ``apply_delta(bids, asks, sequence)`` with one level per call (``((price, size),)`` on one
  side, ``()`` on the other) and consecutive sequence numbers -- the ``BookUpdate`` shape the engine
  hands its books (``engine/market.py`` calls ``apply_delta(event.bids, event.asks, event.sequence, ...)``
  with tuples of (price, size) built by the feeds).
* ccxt: ``OrderBook(snapshot)`` of ``ccxt.async_support.base.ws.order_book`` and ``book['bids'].store(price,
  size)`` per delta, as ccxt.pro's ``handle_delta`` does (its float parsing and the per-message
  nonce/timestamp/datetime bookkeeping of the exchange handlers are not included).
* sortedcontainers: a ``SortedDict`` per side keyed by price (bids read from the end).
* order-book (bmoscon's C extension): ``book.bids[price] = size`` / ``del book.bids[price]``.
* nautilus_trader: ``OrderBook(instrument, BookType.L2_MBP).apply_delta(OrderBookDelta)`` with
  ``UPDATE`` for a size and ``DELETE`` for size 0, as its L2 adapters send them; its prices and
  sizes are fixed-point, so its final book is compared after rounding to the workload's precision.

Every book must end identical to Octo's (all levels of both sides); the run fails loudly otherwise.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import itertools
import json
import math
import os
import random
import subprocess
import sys
import time
import tracemalloc
from array import array
from bisect import bisect_left, insort
from dataclasses import dataclass
from importlib import metadata
from time import perf_counter_ns

from benchmarks.harness import interleaved, percentiles, summarise, timed
from octo_desktop.domain.book import OrderBook as OctoOrderBook

FULL_DELTAS = 1_000_000
QUICK_DELTAS = 20_000
FULL_REPEATS = 5
QUICK_REPEATS = 2
LEVELS = 1000  # per side in the snapshot
TICKS_PER_UNIT = 10  # tick 0.1: a price is ticks / 10
PRICE_DECIMALS = 1
SIZE_SCALE = 10_000  # sizes have 4 decimals
SIZE_DECIMALS = 4
MID_TICKS = 300_000  # 30,000.0
BBO_EVERY = 10
TOP_EVERY = 100
TOP_N = 20
SAMPLE_EVERY = 10  # the apply-latency pass times every 10th delta
P_UPDATE = 0.6  # the rest are inserts and deletes, balanced to keep the depth near LEVELS
NEAR_P = 0.3  # geometric distance from the touch (in levels or ticks): mean ~2.3
FAR_SHARE = 0.15  # events placed uniformly over the whole side instead
NEAR_TOUCH_LEVELS = 10
RSS_BOOKS_FULL = 200
RSS_BOOKS_QUICK = 50
READ_TARGET_S = 0.02  # each read loop runs about this long per repetition
TARGET_THROUGHPUT_VS_CCXT = 2.0
TARGET_APPLY_P99_NS = 1000.0
TARGET_TOP20_NS = 1500.0
TARGET_BYTES = 200_000  # 200 kB
UPDATE, INSERT, DELETE = 0, 1, 2
KIND_NAMES = ("update", "insert", "delete")

_LOG_Q = math.log(1.0 - NEAR_P)


# --- the workload ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    """A snapshot (best first per side) and a stream of one-level deltas, with what each one was."""

    seed: int
    levels: int
    bids: list  # [(price, size)], best (highest) first
    asks: list  # [(price, size)], best (lowest) first
    events: list  # [(is_bid, price, size)]; size 0.0 deletes the level
    kinds: bytes  # UPDATE / INSERT / DELETE per event
    ranks: array  # the level's distance from its side's best, in levels (0 = the touch), per event

    def mix(self) -> dict[str, float]:
        n = max(1, len(self.kinds))
        return {name: round(self.kinds.count(kind) / n, 4) for kind, name in enumerate(KIND_NAMES)}

    def near_touch_share(self, within: int = NEAR_TOUCH_LEVELS) -> float:
        n = max(1, len(self.ranks))
        return round(sum(1 for r in self.ranks if r < within) / n, 4)


def _size(rng: random.Random) -> float:
    return rng.randint(1, 10 * SIZE_SCALE) / SIZE_SCALE


def _near(rng: random.Random) -> int:
    return int(math.log(1.0 - rng.random()) / _LOG_Q)


def generate(deltas: int, seed: int = 7, levels: int = LEVELS) -> Workload:
    """Return the seeded workload: a ``levels``-deep snapshot per side and ``deltas`` one-level deltas.

    The generator keeps the book's state, so updates and deletes hit existing levels and inserts new
    ones; inserts are placed relative to the other side's best (a bid below the best ask, an ask
    above the best bid), so the book never crosses. Inserts and deletes are balanced to hold the
    depth near ``levels``.
    """
    rng = random.Random(seed)
    bid_ticks: list[int] = []  # ascending
    ask_ticks: list[int] = []  # ascending
    bid_sizes: dict[int, float] = {}
    ask_sizes: dict[int, float] = {}
    tick = MID_TICKS - 1
    for _ in range(levels):
        bid_ticks.append(tick)
        bid_sizes[tick] = _size(rng)
        tick -= 1 + (rng.random() < 0.3) + (rng.random() < 0.1)  # some gaps for inserts to fill
    bid_ticks.reverse()
    tick = MID_TICKS + 1
    for _ in range(levels):
        ask_ticks.append(tick)
        ask_sizes[tick] = _size(rng)
        tick += 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
    bids = [(t / TICKS_PER_UNIT, bid_sizes[t]) for t in reversed(bid_ticks)]
    asks = [(t / TICKS_PER_UNIT, ask_sizes[t]) for t in ask_ticks]

    events = []
    kinds = bytearray(deltas)
    ranks = array("i", bytes(4 * deltas))
    random_ = rng.random
    for i in range(deltas):
        is_bid = random_() < 0.5
        ticks, sizes = (bid_ticks, bid_sizes) if is_bid else (ask_ticks, ask_sizes)
        depth = len(ticks)
        if random_() < P_UPDATE:
            kind = UPDATE
        else:
            p_insert = min(0.95, max(0.05, 0.5 + 0.5 * (levels - depth) / levels))
            kind = INSERT if random_() < p_insert or depth <= 1 else DELETE
        if kind == INSERT:
            offset = rng.randrange(levels) if random_() < FAR_SHARE else _near(rng)
            if is_bid:
                tick = ask_ticks[0] - 1 - offset
                while tick in sizes:
                    tick -= 1
            else:
                tick = bid_ticks[-1] + 1 + offset
                while tick in sizes:
                    tick += 1
            insort(ticks, tick)
            size = _size(rng)
            sizes[tick] = size
            index = bisect_left(ticks, tick)
            rank = len(ticks) - 1 - index if is_bid else index
        else:
            rank = rng.randrange(depth) if random_() < FAR_SHARE else min(_near(rng), depth - 1)
            index = depth - 1 - rank if is_bid else rank
            tick = ticks[index]
            if kind == UPDATE:
                old = sizes[tick]
                size = _size(rng)
                while size == old:
                    size = _size(rng)
                sizes[tick] = size
            else:
                del ticks[index]
                del sizes[tick]
                size = 0.0
        events.append((is_bid, tick / TICKS_PER_UNIT, size))
        kinds[i] = kind
        ranks[i] = rank
    return Workload(seed, levels, bids, asks, events, bytes(kinds), ranks)


# --- the implementations --------------------------------------------------------------------------
class BookMismatch(AssertionError):
    """An implementation's book differs from Octo's after the identical stream."""


def _sampled_mapping_applies(bids, asks, msgs, every: int) -> list[int]:
    """Apply ``msgs`` to two price -> size mappings, timing every ``every``-th apply (ns each)."""
    ns = perf_counter_ns
    out = []
    i = 0
    for is_bid, price, size in msgs:
        i += 1
        if i % every:
            side = bids if is_bid else asks
            if size:
                side[price] = size
            else:
                del side[price]
        else:
            t0 = ns()
            side = bids if is_bid else asks
            if size:
                side[price] = size
            else:
                del side[price]
            t1 = ns()
            out.append(t1 - t0)
    return out


class Impl:
    """One contender: how to build its book, feed it the stream and read it, in its own idiom."""

    name = ""
    dist = ""  # the distribution whose version is reported
    module = ""  # the top-level module, looked up without importing it
    pip = ""
    memory_method = "tracemalloc"  # or "rss" for C extensions tracemalloc cannot see into
    decimals: tuple[int, int] | None = None  # compare after rounding (fixed-point books)

    def unavailable(self) -> str | None:
        """Return why it cannot run (not installed...), or None."""
        return None

    def version(self) -> str:
        return metadata.version(self.dist)

    def prepare(self, workload: Workload) -> list:
        """Return the stream in this implementation's message shape."""
        return workload.events

    def build(self, bids: list, asks: list):
        raise NotImplementedError

    def stream(self, book, msgs: list):
        """Apply every message, reading best bid/ask every 10 and the top 20 every 100; return the book."""
        raise NotImplementedError

    def sampled(self, book, msgs: list, every: int) -> list[int]:
        """Apply every message; return perf_counter_ns around every ``every``-th single apply."""
        raise NotImplementedError

    def bbo_loop(self, book, count: int) -> None:
        raise NotImplementedError

    def top_loop(self, book, count: int) -> None:
        """Read the top 20 of the bids and of the asks ``count`` times."""
        raise NotImplementedError

    def levels(self, book) -> tuple[list, list]:
        """Return (bids best first, asks best first) as lists of (price, size) floats."""
        raise NotImplementedError


class OctoImpl(Impl):
    name = "octo"
    dist = "octo_desktop"
    module = "octo_desktop"

    def version(self) -> str:
        import octo_desktop
        return getattr(octo_desktop, "__version__", "source")

    def prepare(self, workload):
        return [(((p, s),), ()) if is_bid else ((), ((p, s),)) for is_bid, p, s in workload.events]

    def build(self, bids, asks):
        book = OctoOrderBook("bench", "BTC/USDT")
        book.apply_snapshot(bids, asks, 0)
        return book

    def stream(self, book, msgs):
        apply = book.apply_delta
        top = book.top
        seq = book.sequence
        i = 0
        for bids, asks in msgs:
            i += 1
            apply(bids, asks, seq + i)
            if not i % BBO_EVERY:
                bb, ba = book.best_bid, book.best_ask
                if not i % TOP_EVERY:
                    tb, ta = top("bid", TOP_N), top("ask", TOP_N)
        return book

    def sampled(self, book, msgs, every):
        apply = book.apply_delta
        seq = book.sequence
        ns = perf_counter_ns
        out = []
        i = 0
        for bids, asks in msgs:
            i += 1
            if i % every:
                apply(bids, asks, seq + i)
            else:
                t0 = ns()
                apply(bids, asks, seq + i)
                t1 = ns()
                out.append(t1 - t0)
        return out

    def bbo_loop(self, book, count):
        for _ in itertools.repeat(None, count):
            bb, ba = book.best_bid, book.best_ask

    def top_loop(self, book, count):
        top = book.top
        for _ in itertools.repeat(None, count):
            tb, ta = top("bid", TOP_N), top("ask", TOP_N)

    def levels(self, book):
        return list(book.iter_bids()), list(book.iter_asks())


class CcxtImpl(Impl):
    name = "ccxt"
    dist = "ccxt"
    module = "ccxt"
    pip = "pip install ccxt"

    def unavailable(self):
        try:
            from ccxt.async_support.base.ws.order_book import OrderBook  # noqa: F401
        except ImportError as exc:
            return f"not installed ({self.pip}): {exc}"
        return None

    def build(self, bids, asks):
        from ccxt.async_support.base.ws.order_book import OrderBook
        return OrderBook({"bids": [[p, s] for p, s in bids], "asks": [[p, s] for p, s in asks]})

    def stream(self, book, msgs):
        bids, asks = book["bids"], book["asks"]
        bstore, astore = bids.store, asks.store
        i = 0
        for is_bid, price, size in msgs:
            i += 1
            (bstore if is_bid else astore)(price, size)
            if not i % BBO_EVERY:
                bb, ba = bids[0][0], asks[0][0]
                if not i % TOP_EVERY:
                    tb, ta = bids[:TOP_N], asks[:TOP_N]
        return book

    def sampled(self, book, msgs, every):
        bstore, astore = book["bids"].store, book["asks"].store
        ns = perf_counter_ns
        out = []
        i = 0
        for is_bid, price, size in msgs:
            i += 1
            if i % every:
                (bstore if is_bid else astore)(price, size)
            else:
                t0 = ns()
                (bstore if is_bid else astore)(price, size)
                t1 = ns()
                out.append(t1 - t0)
        return out

    def bbo_loop(self, book, count):
        bids, asks = book["bids"], book["asks"]
        for _ in itertools.repeat(None, count):
            bb, ba = bids[0][0], asks[0][0]

    def top_loop(self, book, count):
        bids, asks = book["bids"], book["asks"]
        for _ in itertools.repeat(None, count):
            tb, ta = bids[:TOP_N], asks[:TOP_N]

    def levels(self, book):
        return [(p, s) for p, s in book["bids"]], [(p, s) for p, s in book["asks"]]


class SortedDictImpl(Impl):
    name = "sortedcontainers"
    dist = "sortedcontainers"
    module = "sortedcontainers"
    pip = "pip install sortedcontainers"

    def unavailable(self):
        try:
            import sortedcontainers  # noqa: F401
        except ImportError:
            return f"not installed ({self.pip})"
        return None

    def build(self, bids, asks):
        from sortedcontainers import SortedDict
        return SortedDict(bids), SortedDict(asks)  # both keyed by price: the best bid is the last key

    def stream(self, book, msgs):
        bids, asks = book
        bkeys, akeys = bids.keys(), asks.keys()
        i = 0
        for is_bid, price, size in msgs:
            i += 1
            side = bids if is_bid else asks
            if size:
                side[price] = size
            else:
                del side[price]
            if not i % BBO_EVERY:
                bb, ba = bkeys[-1], akeys[0]
                if not i % TOP_EVERY:
                    tb = [(k, bids[k]) for k in bkeys[-1:-TOP_N - 1:-1]]
                    ta = [(k, asks[k]) for k in akeys[:TOP_N]]
        return book

    def sampled(self, book, msgs, every):
        bids, asks = book
        return _sampled_mapping_applies(bids, asks, msgs, every)

    def bbo_loop(self, book, count):
        bkeys, akeys = book[0].keys(), book[1].keys()
        for _ in itertools.repeat(None, count):
            bb, ba = bkeys[-1], akeys[0]

    def top_loop(self, book, count):
        bids, asks = book
        bkeys, akeys = bids.keys(), asks.keys()
        for _ in itertools.repeat(None, count):
            tb = [(k, bids[k]) for k in bkeys[-1:-TOP_N - 1:-1]]
            ta = [(k, asks[k]) for k in akeys[:TOP_N]]

    def levels(self, book):
        bids, asks = book
        return list(reversed(bids.items())), list(asks.items())


class OrderBookCImpl(Impl):
    name = "order-book"
    dist = "order-book"
    module = "order_book"
    pip = "pip install order-book"
    memory_method = "rss"

    def unavailable(self):
        try:
            from order_book import OrderBook  # noqa: F401
        except ImportError:
            return f"not installed ({self.pip})"
        return None

    def build(self, bids, asks):
        from order_book import OrderBook
        book = OrderBook()
        side = book.bids
        for p, s in bids:
            side[p] = s
        side = book.asks
        for p, s in asks:
            side[p] = s
        return book

    def stream(self, book, msgs):
        bids, asks = book.bids, book.asks
        index_b, index_a = bids.index, asks.index
        i = 0
        for is_bid, price, size in msgs:
            i += 1
            side = bids if is_bid else asks
            if size:
                side[price] = size
            else:
                del side[price]
            if not i % BBO_EVERY:
                bb, ba = index_b(0)[0], index_a(0)[0]
                if not i % TOP_EVERY:  # 0.6.x has no depth-limited read; index(i) is its O(1) one
                    tb = [index_b(j) for j in range(TOP_N)]
                    ta = [index_a(j) for j in range(TOP_N)]
        return book

    def sampled(self, book, msgs, every):
        return _sampled_mapping_applies(book.bids, book.asks, msgs, every)

    def bbo_loop(self, book, count):
        index_b, index_a = book.bids.index, book.asks.index
        for _ in itertools.repeat(None, count):
            bb, ba = index_b(0)[0], index_a(0)[0]

    def top_loop(self, book, count):
        index_b, index_a = book.bids.index, book.asks.index
        for _ in itertools.repeat(None, count):
            tb = [index_b(j) for j in range(TOP_N)]
            ta = [index_a(j) for j in range(TOP_N)]

    def levels(self, book):
        return list(book.bids.to_list()), list(book.asks.to_list())


class NautilusImpl(Impl):
    name = "nautilus_trader"
    dist = "nautilus_trader"
    module = "nautilus_trader"
    pip = "pip install nautilus_trader"
    memory_method = "rss"
    decimals = (PRICE_DECIMALS, SIZE_DECIMALS)

    def unavailable(self):
        try:
            from nautilus_trader.model.book import OrderBook  # noqa: F401
            from nautilus_trader.model.data import BookOrder, OrderBookDelta  # noqa: F401
        except ImportError:
            return f"not installed ({self.pip})"
        except Exception as exc:  # a binary that does not load on this machine
            return f"does not load: {type(exc).__name__}: {exc}"
        return None

    def _deltas(self, rows, sequence_of, action_of):
        from nautilus_trader.model.data import BookOrder, OrderBookDelta
        from nautilus_trader.model.enums import OrderSide
        from nautilus_trader.model.identifiers import InstrumentId
        from nautilus_trader.model.objects import Price, Quantity
        instrument = InstrumentId.from_str("BTCUSDT.BENCH")
        buy, sell = OrderSide.BUY, OrderSide.SELL
        return [OrderBookDelta(instrument, action_of(s),
                               BookOrder(buy if is_bid else sell, Price(p, PRICE_DECIMALS),
                                         Quantity(s, SIZE_DECIMALS), 0),
                               0, sequence_of(i), 0, 0)
                for i, (is_bid, p, s) in enumerate(rows, 1)]

    def prepare(self, workload):
        from nautilus_trader.model.enums import BookAction
        update, delete = BookAction.UPDATE, BookAction.DELETE
        return self._deltas(workload.events, lambda i: i, lambda s: update if s else delete)

    def build(self, bids, asks):
        from nautilus_trader.model.book import OrderBook
        from nautilus_trader.model.enums import BookAction, BookType
        from nautilus_trader.model.identifiers import InstrumentId
        book = OrderBook(InstrumentId.from_str("BTCUSDT.BENCH"), BookType.L2_MBP)
        rows = [(True, p, s) for p, s in bids] + [(False, p, s) for p, s in asks]
        add = BookAction.ADD
        for delta in self._deltas(rows, lambda i: 0, lambda s: add):
            book.apply_delta(delta)
        return book

    def stream(self, book, msgs):
        apply = book.apply_delta
        best_bid, best_ask = book.best_bid_price, book.best_ask_price
        bids, asks = book.bids, book.asks
        i = 0
        for delta in msgs:
            i += 1
            apply(delta)
            if not i % BBO_EVERY:
                bb, ba = best_bid(), best_ask()
                if not i % TOP_EVERY:  # this class's bids()/asks() take no depth: all levels
                    tb, ta = bids()[:TOP_N], asks()[:TOP_N]
        return book

    def sampled(self, book, msgs, every):
        apply = book.apply_delta
        ns = perf_counter_ns
        out = []
        i = 0
        for delta in msgs:
            i += 1
            if i % every:
                apply(delta)
            else:
                t0 = ns()
                apply(delta)
                t1 = ns()
                out.append(t1 - t0)
        return out

    def bbo_loop(self, book, count):
        best_bid, best_ask = book.best_bid_price, book.best_ask_price
        for _ in itertools.repeat(None, count):
            bb, ba = best_bid(), best_ask()

    def top_loop(self, book, count):
        bids, asks = book.bids, book.asks
        for _ in itertools.repeat(None, count):
            tb, ta = bids()[:TOP_N], asks()[:TOP_N]

    def levels(self, book):
        return ([(level.price.as_double(), level.size()) for level in book.bids()],
                [(level.price.as_double(), level.size()) for level in book.asks()])


IMPLEMENTATIONS = (OctoImpl, CcxtImpl, SortedDictImpl, OrderBookCImpl, NautilusImpl)


# --- checks ---------------------------------------------------------------------------------------
def compare_books(reference: tuple[list, list], other: tuple[list, list], name: str,
                  decimals: tuple[int, int] | None = None) -> None:
    """Raise ``BookMismatch`` unless ``other`` holds exactly the levels of ``reference`` on both sides."""
    for side, ref, got in (("bid", reference[0], other[0]), ("ask", reference[1], other[1])):
        if decimals is not None:
            ref = [(round(p, decimals[0]), round(s, decimals[1])) for p, s in ref]
            got = [(round(p, decimals[0]), round(s, decimals[1])) for p, s in got]
        else:
            ref = [(float(p), float(s)) for p, s in ref]
            got = [(float(p), float(s)) for p, s in got]
        if ref != got:
            for i, (a, b) in enumerate(zip(ref, got)):
                if a != b:
                    raise BookMismatch(f"{name}: {side} level {i} is {b}, Octo has {a}")
            raise BookMismatch(f"{name}: {len(got)} {side} levels, Octo has {len(ref)}")


# --- measurements ---------------------------------------------------------------------------------
def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def _texts(workload: Workload) -> tuple[list, list]:
    """The snapshot as the venue's JSON carries it: (price, size) strings."""
    return ([(repr(p), repr(s)) for p, s in workload.bids], [(repr(p), repr(s)) for p, s in workload.asks])


def _fresh_snapshot(texts: tuple[list, list]) -> tuple[list, list]:
    """The snapshot with new float objects, as a feed parsing the venue's JSON would hand it over."""
    return ([(float(p), float(s)) for p, s in texts[0]], [(float(p), float(s)) for p, s in texts[1]])


def measure_memory_traced(impl: Impl, texts: tuple[list, list]) -> int:
    """tracemalloc bytes one book keeps, built from a freshly parsed snapshot (the input freed)."""
    impl.build(*_fresh_snapshot(texts))  # first-use caches (imports, interned names) not counted
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        snapshot = _fresh_snapshot(texts)
        book = impl.build(*snapshot)
        del snapshot
        gc.collect()  # a full collection also empties the free lists (2-tuples, floats) the input went to
        traced = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del book
    return traced


def memory_result(impl: Impl, traced: int, rss_child: RssChild | None) -> dict:
    """The per-book bytes to report: tracemalloc for Python books, RSS per book for C extensions."""
    result = {"bytes_per_book": traced, "bytes_tracemalloc": traced,
              "memory_method": "tracemalloc: one book built from a freshly parsed snapshot, the input freed"}
    rss, why = rss_child.result() if rss_child is not None else (None, "not measured")
    result["bytes_rss"] = rss  # a cross-check measured the same way for all (full runs)
    if impl.memory_method == "rss":
        if rss is not None:
            result["bytes_per_book"] = rss
            result["memory_method"] = (f"RSS growth of a fresh process building {rss_child.books} books, "
                                       f"/ {rss_child.books} "
                                       f"(C extension; tracemalloc sees only {traced:,} B of Python objects)")
        else:
            result["memory_method"] += f" -- undercounts this C extension; RSS failed: {why}"
    return result


class RssChild:
    """``--rss-child`` in a fresh interpreter, whose heap has no freed memory to hide the growth.

    Started early and collected later, so the children run while the untimed workload is generated.
    """

    def __init__(self, name: str, books: int, seed: int, levels: int) -> None:
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.books = books
        self.error = ""
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.book", "--rss-child", name, str(books), str(seed), str(levels)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        except OSError as exc:
            self.process, self.error = None, f"{type(exc).__name__}: {exc}"

    def close(self) -> None:
        """Stop the child if it is still running (the run failed before collecting it)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()

    def result(self) -> tuple[int | None, str]:
        if self.process is None:
            return None, self.error
        try:
            out, err = self.process.communicate(timeout=300)
            return int(json.loads(out.strip().splitlines()[-1])["bytes_per_book"]), ""
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            return None, "timed out"
        except (ValueError, IndexError, KeyError, TypeError) as exc:
            return None, f"{type(exc).__name__}: {exc} {err.strip()[-300:] if err else ''}"


def _rss_child(name: str, books: int, seed: int, levels: int) -> dict:
    impl = next(cls() for cls in IMPLEMENTATIONS if cls.name == name)
    snapshot = generate(0, seed, levels)
    texts = _texts(snapshot)
    impl.build(*_fresh_snapshot(texts))  # imports and first-use caches
    gc.collect()
    base = _rss_bytes()
    kept = [impl.build(*_fresh_snapshot(texts)) for _ in range(books)]
    gc.collect()
    grown = _rss_bytes() - base
    return {"bytes_per_book": round(grown / len(kept))}


def _timer_overhead(count: int, every: int) -> dict[str, float]:
    ns = perf_counter_ns
    out = []
    for i in range(1, count + 1):
        if not i % every:
            t0 = ns()
            t1 = ns()
            out.append(t1 - t0)
    return percentiles(out, (50, 99))


def _without_gc(function, *args):
    enabled = gc.isenabled()
    gc.disable()
    try:
        return function(*args)
    finally:
        if enabled:
            gc.enable()


def _read_costs(impls: dict[str, Impl], books: dict, repeats: int,
                target_s: float = READ_TARGET_S) -> dict[str, dict[str, float]]:
    """ns per best bid+ask read and per top-20 of one side, tight loops on the final books, interleaved."""
    def calibrated(loop, book):
        count = 10
        while True:
            seconds = timed(lambda: loop(book, count))
            if seconds >= target_s / 10 or count >= 10_000_000:
                return max(10, int(count * target_s / max(seconds, 1e-9)))
            count *= 10

    def empty_loop(count):
        for _ in itertools.repeat(None, count):
            pass

    results: dict[str, dict[str, float]] = {name: {} for name in impls}
    for key, attr, per_iteration in (("top_of_book_ns", "bbo_loop", 1), ("top20_ns", "top_loop", 2)):
        contenders, counts = {}, {}
        for name, impl in impls.items():
            loop, book = getattr(impl, attr), books[name]
            counts[name] = count = calibrated(loop, book)
            contenders[name] = (lambda loop=loop, book=book, count=count: loop(book, count))
        empty_count = max(counts.values())
        contenders["_empty"] = lambda: empty_loop(empty_count)
        summaries = interleaved(contenders, repeats, warmup=1)
        base_ns = summaries["_empty"].median / empty_count * 1e9
        for name in impls:
            per = summaries[name].median / counts[name] * 1e9
            results[name][key] = round(max(0.0, per - base_ns) / per_iteration, 1)
    return results


# --- the run --------------------------------------------------------------------------------------
def run(quick: bool = False, seed: int = 7, *, deltas: int | None = None, repeats: int | None = None,
        levels: int = LEVELS, rss_books: int | None = None, only: tuple[str, ...] | None = None,
        read_target_s: float | None = None, progress=None) -> dict:
    """Measure every installed implementation on one seeded workload; return a JSON-ready dict."""
    started = time.perf_counter()
    say = progress or (lambda message: None)
    deltas = deltas if deltas is not None else (QUICK_DELTAS if quick else FULL_DELTAS)
    repeats = repeats if repeats is not None else (QUICK_REPEATS if quick else FULL_REPEATS)
    rss_books = rss_books if rss_books is not None else (RSS_BOOKS_QUICK if quick else RSS_BOOKS_FULL)
    if read_target_s is None:
        read_target_s = READ_TARGET_S / 2 if quick else READ_TARGET_S

    candidates = [cls() for cls in IMPLEMENTATIONS]
    candidates = [impl for impl in candidates if only is None or impl.name in only or impl.name == "octo"]
    # RSS children first: they import and build while this process imports and generates (untimed);
    # a quick run measures RSS only for the C extensions, which need it.
    children = {impl.name: RssChild(impl.name, rss_books, seed, levels) for impl in candidates
                if rss_books > 0 and (impl.memory_method == "rss" or not quick)
                and importlib.util.find_spec(impl.module) is not None}
    try:
        impls: dict[str, Impl] = {}
        result_impls: dict[str, dict] = {}
        for impl in candidates:
            reason = impl.unavailable()
            if reason is not None:
                result_impls[impl.name] = {"skipped": reason}
                continue
            impls[impl.name] = impl
            result_impls[impl.name] = {"version": impl.version()}

        say("memory")
        snapshot_only = generate(0, seed, levels)
        texts = _texts(snapshot_only)
        traced = {name: measure_memory_traced(impl, texts) for name, impl in impls.items()}

        say(f"workload: {deltas:,} deltas")
        t0 = time.perf_counter()
        workload = generate(deltas, seed, levels)
        generate_s = time.perf_counter() - t0
        msgs = {name: impl.prepare(workload) for name, impl in impls.items()}
        for name, impl in impls.items():  # wait for the children before anything is timed
            result_impls[name].update(memory_result(impl, traced[name], children.pop(name, None)))
        for child in children.values():  # peers that were found but do not load
            child.result()

        # Apply latency: one pass per implementation, every SAMPLE_EVERY-th apply timed alone.
        say("apply latency")
        overhead = _without_gc(_timer_overhead, deltas, SAMPLE_EVERY)
        final: dict[str, tuple[list, list]] = {}
        for name, impl in impls.items():
            book = impl.build(workload.bids, workload.asks)
            samples = _without_gc(impl.sampled, book, msgs[name], SAMPLE_EVERY)
            raw = percentiles(samples, (50, 99))
            result_impls[name]["apply_ns"] = {
                "p50": round(max(0.0, raw["p50"] - overhead["p50"]), 1),
                "p99": round(max(0.0, raw["p99"] - overhead["p50"]), 1),
                "samples": len(samples)}
            final[name] = impl.levels(book)
            del book
        reference = final["octo"]
        for name, impl in impls.items():
            compare_books(reference, final[name], f"{name} (latency pass)", impl.decimals)

        # Throughput: the whole stream with its reads, interleaved repetitions, fresh books built untimed.
        say("throughput")
        pools = {name: [impl.build(workload.bids, workload.asks) for _ in range(repeats + 1)]
                 for name, impl in impls.items()}
        done: dict[str, list] = {name: [] for name in impls}
        contenders = {name: (lambda name=name, impl=impl: done[name].append(impl.stream(pools[name].pop(), msgs[name])))
                      for name, impl in impls.items()}
        summaries = interleaved(contenders, repeats, warmup=1)
        for name, impl in impls.items():
            for book in done[name]:
                compare_books(reference, impl.levels(book), name, impl.decimals)
            rate = summarise([deltas / s for s in summaries[name].samples]) if deltas else summarise([0.0])
            result_impls[name]["deltas_per_s"] = rate.as_dict(1)

        say("reads")
        finals = {name: done[name][-1] for name in impls}
        for name, costs in _read_costs(impls, finals, repeats, read_target_s).items():
            result_impls[name].update(costs)
    finally:
        for child in children.values():
            child.close()

    ratios = _ratios(result_impls)
    octo, vs = result_impls["octo"], ratios.get("octo", {})
    targets = {
        "throughput_2x_ccxt": bool(vs.get("deltas_per_s", 0.0) >= TARGET_THROUGHPUT_VS_CCXT),
        "apply_p99_le_1us": bool(octo["apply_ns"]["p99"] <= TARGET_APPLY_P99_NS),
        "top20_le_1_5us": bool(octo["top20_ns"] <= TARGET_TOP20_NS),
        "bytes_le_200KB": bool(octo["bytes_per_book"] <= TARGET_BYTES),
    }
    n = len(workload.events)
    return {
        "name": "book",
        "workload": {
            "seed": seed, "deltas": n, "levels_per_side": levels, "tick": 1 / TICKS_PER_UNIT,
            "mix": workload.mix(), "near_touch_share": workload.near_touch_share(),
            "near_touch_levels": NEAR_TOUCH_LEVELS,
            "final_depth": [len(reference[0]), len(reference[1])],
            "reads": f"best bid+ask every {BBO_EVERY} deltas, top-{TOP_N} of both sides every {TOP_EVERY}",
            "octo_feed": "apply_delta(bids, asks, sequence): one level per call, ((price, size),) on one side "
                         "and () on the other, consecutive sequences -- the BookUpdate shape the engine "
                         "passes (engine/market.py); messages pre-built untimed, as the feed builds them",
            "repeats": repeats, "warmup": 1, "gc": "disabled while timing (harness.timed)",
            "apply_latency": f"every {SAMPLE_EVERY}th apply timed alone with perf_counter_ns in a separate "
                             f"pass without reads; timer overhead p50 {overhead['p50']} ns subtracted",
            "reads_measured": "tight loops on the final book, empty-loop cost subtracted; top20_ns is per "
                              "side, top_of_book_ns per best bid+ask pair",
            "generate_s": round(generate_s, 2),
        },
        "implementations": result_impls,
        "ratios_vs_ccxt": ratios,
        "identical_final_books": True,
        "targets": targets,
        "target_values": {"throughput_vs_ccxt": TARGET_THROUGHPUT_VS_CCXT, "apply_p99_ns": TARGET_APPLY_P99_NS,
                          "top20_ns": TARGET_TOP20_NS, "bytes_per_book": TARGET_BYTES},
        "elapsed_s": round(time.perf_counter() - started, 1),
    }


def _ratios(result_impls: dict[str, dict]) -> dict[str, dict[str, float]]:
    """Each implementation's figures divided by ccxt's (throughput: higher is better; the rest lower)."""
    ccxt = result_impls.get("ccxt", {})
    if "deltas_per_s" not in ccxt:
        return {}
    ratios = {}
    for name, r in result_impls.items():
        if name == "ccxt" or "deltas_per_s" not in r:
            continue
        entry = {"deltas_per_s": r["deltas_per_s"]["median"] / ccxt["deltas_per_s"]["median"]}
        for key, mine, theirs in (("apply_p50", r["apply_ns"]["p50"], ccxt["apply_ns"]["p50"]),
                                  ("apply_p99", r["apply_ns"]["p99"], ccxt["apply_ns"]["p99"]),
                                  ("top_of_book_ns", r["top_of_book_ns"], ccxt["top_of_book_ns"]),
                                  ("top20_ns", r["top20_ns"], ccxt["top20_ns"]),
                                  ("bytes_per_book", r["bytes_per_book"], ccxt["bytes_per_book"]),
                                  ("bytes_rss", r.get("bytes_rss"), ccxt.get("bytes_rss"))):
            if mine is None or theirs is None:
                continue
            entry[key] = mine / theirs if theirs else None
        ratios[name] = {k: None if v is None else round(v, 3) for k, v in entry.items()}
    return ratios


# --- the command line -----------------------------------------------------------------------------
def report(result: dict) -> str:
    w = result["workload"]
    lines = [f"book: {w['deltas']:,} deltas, {w['levels_per_side']} levels/side, seed {w['seed']}, "
             f"mix {w['mix']}, {w['near_touch_share']:.0%} within {w['near_touch_levels']} levels of the touch; "
             f"{w['repeats']} repetitions, {result['elapsed_s']} s",
             f"{'implementation':<17}{'version':<10}{'deltas/s':>12}{'(min-max)':>22}{'x ccxt':>8}"
             f"{'p50 ns':>8}{'p99 ns':>8}{'bbo ns':>8}{'top20 ns':>10}{'bytes/book':>12}{'RSS/book':>12}"]
    for name, r in result["implementations"].items():
        if "skipped" in r:
            lines.append(f"{name:<17}skipped: {r['skipped']}")
            continue
        rate = r["deltas_per_s"]
        ratio = 1.0 if name == "ccxt" else result["ratios_vs_ccxt"].get(name, {}).get("deltas_per_s")
        ratio = math.nan if ratio is None else ratio
        lines.append(f"{name:<17}{r['version'][:9]:<10}{rate['median']:>12,.0f}"
                     f"{'(' + format(rate['min'], ',.0f') + '-' + format(rate['max'], ',.0f') + ')':>22}"
                     f"{ratio:>8.2f}{r['apply_ns']['p50']:>8.0f}{r['apply_ns']['p99']:>8.0f}"
                     f"{r['top_of_book_ns']:>8.0f}{r['top20_ns']:>10.0f}{r['bytes_per_book']:>12,}"
                     f"{'-' if r.get('bytes_rss') is None else format(r['bytes_rss'], ','):>12}")
    lines.append("memory: " + "; ".join(f"{n}: {r['memory_method']}" for n, r in result["implementations"].items()
                                        if "memory_method" in r))
    lines.append(f"Octo feed: {w['octo_feed']}")
    lines.append("identical final books: yes; targets (Octo): " + ", ".join(
        f"{k} {'met' if v else 'MISSED'}" for k, v in result["targets"].items()))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.book", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DELTAS:,} deltas, {QUICK_REPEATS} repetitions")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--deltas", type=int, default=None, help="override the number of deltas")
    parser.add_argument("--only", default=None,
                        help="comma-separated peers to run besides Octo, e.g. ccxt,sortedcontainers")
    parser.add_argument("--rss-child", nargs=4, metavar=("NAME", "BOOKS", "SEED", "LEVELS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        name, books, seed, levels = args.rss_child
        print(json.dumps(_rss_child(name, int(books), int(seed), int(levels))))
        return 0
    progress = None if args.json else (lambda message: print(f"... {message}", file=sys.stderr, flush=True))
    only = tuple(name.strip() for name in args.only.split(",")) if args.only else None
    result = run(quick=args.quick, seed=args.seed, deltas=args.deltas, only=only, progress=progress)
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
