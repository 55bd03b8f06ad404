"""Read the recorded exchange traffic in ``tests/data`` and rebuild order books from it.

Pure functions, no asyncio. The rebuilders follow the exchanges' own documented rules and do not use ccxt
or Octo, so tests can compare what a client built against an independent answer:

- OKX ``books``: a snapshot, then updates in which a size of "0" deletes the price. Every frame carries a
  CRC32 checksum of the top 25 levels; all 98 BTC-USDT checksums in the recording verify.
- Binance ``depth@100ms``: the REST snapshot, then diffs applied by Binance's rules (drop ``u <= lastUpdateId``;
  the first applied diff has ``U <= lastUpdateId + 1 <= u``; every later one has ``U == previous u + 1``).

A book side is a dict from the price string, as the exchange sent it, to the level as the exchange sent it
(OKX ``[price, size, liquidated orders, orders]``, Binance ``[price, size]``). Keeping the original strings is
what lets the OKX checksum be recomputed exactly. See ``tests/data/README.md`` for provenance.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
OKX_REST = "OKX.0.gz"
OKX_WS = "OKX.ws.1.0.gz"
BINANCE_REST = "BINANCE.0.gz"
BINANCE_DEPTH_REST = "BINANCE.http.0.0.gz"
BINANCE_WS = "BINANCE.ws.1.0.gz"
OKX_CHECKSUM_DEPTH = 25

Level = Sequence[str]
Side = dict[str, Level]


@dataclass(frozen=True)
class Record:
    """One recorded message: receive time (recorder's clock, unix s), raw text, parsed JSON (None if not JSON).

    ``url`` is the request URL for a REST response, the socket URL for a frame the client sent, and "" for a
    frame the exchange sent.
    """

    ts: float
    text: str
    data: Any
    url: str = ""


@dataclass(frozen=True)
class WsRecording:
    """A recorded WebSocket session: where and when it connected, what the client sent, what the exchange sent."""

    url: str
    connect_ts: float
    sent: tuple[Record, ...]
    received: tuple[Record, ...]


class FloatBook(NamedTuple):
    """A book as a client holding floats sees it: ``{price: size}`` per side."""

    bids: dict[float, float]
    asks: dict[float, float]


@dataclass(frozen=True)
class OkxBook:
    """The OKX book of one instrument right after the ``books`` frame ``frame_index`` (index into ``received``)."""

    frame_index: int
    ts: float
    bids: Side
    asks: Side
    checksum: int  # as OKX sent it in that frame


@dataclass(frozen=True)
class BinanceBook:
    """A Binance book: the REST snapshot (``frame_index == -1``) or the state after the diff at ``frame_index``."""

    last_update_id: int
    frame_index: int
    ts: float
    bids: Side
    asks: Side


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _lines(name: str) -> list[str]:
    with gzip.open(DATA_DIR / name, "rt", encoding="utf-8") as file:
        return [line.rstrip("\n") for line in file if line.strip()]


@lru_cache(maxsize=None)
def read_rest(name: str) -> tuple[Record, ...]:
    """Parse a REST recording (``<url> -> <ts>: <body>`` lines); the ``configuration:`` line is skipped."""
    records = []
    for line in _lines(name):
        if line.startswith("configuration: "):
            continue
        url, rest = line.split(" -> ", 1)
        ts, body = rest.split(": ", 1)
        records.append(Record(float(ts), body, _parse_json(body), url))
    return tuple(records)


@lru_cache(maxsize=None)
def read_ws(name: str) -> WsRecording:
    """Parse a WebSocket recording: the connect line, client frames (``<url> <- <ts>: ...``), server frames."""
    lines = _lines(name)
    url, connect_ts = lines[0].split(" <-> ")
    sent, received = [], []
    for line in lines[1:]:
        if " <- " in line:
            frame_url, rest = line.split(" <- ", 1)
            ts, text = rest.split(": ", 1)
            sent.append(Record(float(ts), text, _parse_json(text), frame_url))
        else:
            ts, text = line.split(": ", 1)
            received.append(Record(float(ts), text, _parse_json(text)))
    return WsRecording(url, float(connect_ts), tuple(sent), tuple(received))


def rest_bodies(name: str) -> dict[str, str]:
    """The latest recorded body per request path and query (``/api/v5/...?...``): what a server should answer."""
    bodies = {}
    for record in read_rest(name):
        path = "/" + record.url.split("://", 1)[1].split("/", 1)[1]
        bodies[path] = record.text
    return bodies


def apply_levels(side: Side, levels: Iterable[Level]) -> None:
    """Apply levels in place: a size that reads as zero ("0", "0.00000000") deletes the price, others set it."""
    for level in levels:
        if float(level[1]) == 0.0:
            side.pop(level[0], None)
        else:
            side[level[0]] = level


def best_levels(side: Mapping[str, Level], *, bids: bool, depth: int | None = None) -> list[Level]:
    """The side's levels best first (bids by falling price, asks by rising price), at most ``depth`` of them."""
    levels = sorted(side.values(), key=lambda level: float(level[0]), reverse=bids)
    return levels if depth is None else levels[:depth]


def float_side(side: Mapping[str, Level]) -> dict[float, float]:
    """The side as ``{price: size}`` floats, the way ccxt and Octo hold it."""
    return {float(level[0]): float(level[1]) for level in side.values()}


# --- OKX -------------------------------------------------------------------------------------------------


def okx_checksum(bids: Sequence[Level], asks: Sequence[Level]) -> int:
    """OKX's book checksum from levels given best first, with the price and size strings as OKX sent them.

    OKX documents it as the CRC32 of the top 25 levels interleaved ``bid_px:bid_sz:ask_px:ask_sz`` (a side
    with fewer levels just contributes nothing once it runs out), joined with ':' and read as a signed
    32-bit integer.
    """
    parts = []
    for i in range(OKX_CHECKSUM_DEPTH):
        for levels in (bids, asks):
            if i < len(levels):
                parts += [levels[i][0], levels[i][1]]
    value = zlib.crc32(":".join(parts).encode())
    return value - (1 << 32) if value >= (1 << 31) else value


def okx_book_checksum(bids: Mapping[str, Level], asks: Mapping[str, Level]) -> int:
    """OKX checksum of a rebuilt book kept as price string -> level."""
    return okx_checksum(best_levels(bids, bids=True, depth=OKX_CHECKSUM_DEPTH),
                        best_levels(asks, bids=False, depth=OKX_CHECKSUM_DEPTH))


def okx_number(value: float) -> str:
    """Format a float the way OKX wrote the number, as far as this recording shows.

    The rule: Python's shortest round-trip ``repr``, written positionally (no exponent), without a trailing
    ".0" or trailing zeros after the point. So 30258.0 -> "30258", 1e-05 -> "0.00001", 0.61 -> "0.61".
    It reproduces every price and size string in the OKX recording, and so all 98 BTC-USDT checksums from a
    float book (``okx_float_checksum``). OKX never sent trailing zeros here; a venue that pads sizes (as
    Binance does, "6195.00000000") would need the instrument's precision instead.
    """
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def okx_float_checksum(bids: Mapping[float, float], asks: Mapping[float, float]) -> int:
    """OKX checksum of a float book ``{price: size}``, formatting numbers with ``okx_number``."""
    def levels(side: Mapping[float, float], descending: bool) -> list[Level]:
        top = sorted(side.items(), reverse=descending)[:OKX_CHECKSUM_DEPTH]
        return [(okx_number(price), okx_number(size)) for price, size in top]
    return okx_checksum(levels(bids, True), levels(asks, False))


def okx_book_frames(inst_id: str) -> list[tuple[int, Record]]:
    """The recorded ``books`` frames of one instrument, each with its index into ``read_ws(OKX_WS).received``."""
    return [(i, record) for i, record in enumerate(read_ws(OKX_WS).received)
            if isinstance(record.data, dict) and "data" in record.data
            and record.data["arg"] == {"channel": "books", "instId": inst_id}]


@lru_cache(maxsize=None)
def okx_books(inst_id: str) -> tuple[OkxBook, ...]:
    """Rebuild the OKX book of ``inst_id`` after each of its ``books`` frames. Do not mutate the result."""
    books: list[OkxBook] = []
    bids: Side = {}
    asks: Side = {}
    for index, record in okx_book_frames(inst_id):
        if record.data["action"] == "snapshot":
            bids, asks = {}, {}
        for update in record.data["data"]:
            apply_levels(bids, update["bids"])
            apply_levels(asks, update["asks"])
            books.append(OkxBook(index, record.ts, dict(bids), dict(asks), update["checksum"]))
    return tuple(books)


# --- Binance ---------------------------------------------------------------------------------------------


def binance_depth_stream(symbol: str) -> str:
    """The combined-stream name of a symbol's diff depth stream, e.g. ``nknusdt@depth@100ms``."""
    return f"{symbol.lower()}@depth@100ms"


@lru_cache(maxsize=None)
def binance_snapshot(symbol: str) -> BinanceBook:
    """The recorded REST depth snapshot of ``symbol`` (e.g. "NKNUSDT")."""
    for record in read_rest(BINANCE_DEPTH_REST):
        if f"symbol={symbol}&" in record.url:
            body = record.data
            return BinanceBook(body["lastUpdateId"], -1, record.ts,
                               {level[0]: level for level in body["bids"]},
                               {level[0]: level for level in body["asks"]})
    raise KeyError(f"no recorded depth snapshot for {symbol}")


def binance_diffs(symbol: str) -> list[tuple[int, Record]]:
    """The recorded ``depth@100ms`` frames of ``symbol``, each with its index into ``read_ws(BINANCE_WS).received``."""
    stream = binance_depth_stream(symbol)
    return [(i, record) for i, record in enumerate(read_ws(BINANCE_WS).received)
            if isinstance(record.data, dict) and record.data.get("stream") == stream]


def binance_rebuild(snapshot: BinanceBook, diffs: Iterable[tuple[int, Record]]) -> list[BinanceBook]:
    """Apply ``depth@100ms`` frames to a REST snapshot by Binance's rules: the book after each applied diff.

    Diffs with ``u <= lastUpdateId`` are dropped and give no state; a diff that does not chain raises ValueError.
    """
    bids, asks = dict(snapshot.bids), dict(snapshot.asks)
    last = snapshot.last_update_id
    books: list[BinanceBook] = []
    for index, record in diffs:
        diff = record.data["data"]
        if diff["u"] <= snapshot.last_update_id:
            continue
        chained = diff["U"] == last + 1 if books else diff["U"] <= last + 1 <= diff["u"]
        if not chained:
            raise ValueError(f"diff U={diff['U']} u={diff['u']} does not follow update id {last}")
        apply_levels(bids, diff["b"])
        apply_levels(asks, diff["a"])
        last = diff["u"]
        books.append(BinanceBook(last, index, record.ts, dict(bids), dict(asks)))
    return books


@lru_cache(maxsize=None)
def binance_books(symbol: str) -> tuple[BinanceBook, ...]:
    """The recorded snapshot of ``symbol`` plus its recorded diffs (``binance_rebuild``). Do not mutate the result."""
    return tuple(binance_rebuild(binance_snapshot(symbol), binance_diffs(symbol)))
