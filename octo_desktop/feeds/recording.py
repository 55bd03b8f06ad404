"""Recordings: every market event of a session as gzip-compressed JSON Lines, and reading them back.

One event per line, floats written with Python's shortest round-trip repr so a replay sees exactly
the numbers the engine saw::

    {"type": "header", "format": "octo-recording", "version": 1, "octo": "0.1.0", "source": "simulated",
     "venues": [...], "symbols": [...], "start": 1700000000.0, "seed": 7, "rules": {...}}
    {"ts": 1700000000.01, "venue": "okx", "symbol": "BTC/USDT", "type": "snapshot", "seq": 1,
     "bids": [[60000.0, 0.25], ...], "asks": [[60000.1, 0.3], ...], "exchange_ts": 1700000000.0}
    {"ts": ..., "venue": ..., "symbol": ..., "type": "delta", "seq": 2, "bids": [[59999.9, 0.0]], "asks": []}
    {"ts": ..., "venue": ..., "symbol": ..., "type": "trade", "price": 60000.1, "size": 0.01, "side": "buy"}
    {"ts": ..., "venue": ..., "type": "status", "state": "reconnecting", "detail": "...", "symbol": null}
    {"ts": ..., "venue": ..., "type": "rules", "specs": [[symbol, tick, lot, min_notional]], ...}
    {"ts": ..., "venue": ..., "type": "networks", "source": "kucoin via ccxt fetch_currencies, ...",
     "networks": [[asset, chain, fee, fee_share, minimum or null, withdraw, deposit]]}
    {"type": "end", "ts": 1700000600.0, "events": 238114}

``ts`` is the local receive time (engine clock, unix seconds). A size of 0 in a delta deletes the
level. ``exchange_ts`` (optional) is the venue's own timestamp. ``own: true`` (optional) marks events
that are the simulated market's reaction to Octo's own paper fill: a replay hands them back when the
replayed engine makes the same fill. ``end`` says when the source stopped; a file cut short (the
process was killed) has no ``end`` line and replays up to its last complete line. ``networks`` lines
(a live venue's withdrawal routes) came later than the others; a recording without them reads as before.

A header that is not one of ours is refused when the file is opened. A problem further on (a line
that is not UTF-8, not JSON or not a valid event; a gzip stream cut short or damaged) ends the events
there, as the end of the file would, and the reader's ``error`` says what and where.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterator

import orjson

from octo_desktop import __version__
from octo_desktop.config import ENGINE_TIME_MAX, ENGINE_TIME_MIN, SEED_MAX, VENUE_IDS
from octo_desktop.domain.model import BookUpdate, FeedStatus, MarketRules, MarketTrade, NetworkRules

FORMAT = "octo-recording"
FORMAT_VERSION = 1
FLUSH_LINES = 2000
SYNC_INTERVAL_S = 1.0  # engine seconds between flushes that make the file readable up to here

RecordedEvent = BookUpdate | MarketTrade | FeedStatus | MarketRules | NetworkRules


class RecordingError(ValueError):
    """A recording cannot be read or written; the message names the file and the line."""


@dataclass(frozen=True, slots=True)
class RecordingHeader:
    """The first line of a recording."""

    source: str
    venues: tuple[str, ...]
    symbols: tuple[str, ...]
    start: float
    seed: int | None
    rules: dict  # venue -> {"taker_fee", "maker_fee", "symbols": {symbol: [tick, lot, min_notional]}}
    octo_version: str

    def as_json(self) -> dict:
        return {"type": "header", "format": FORMAT, "version": FORMAT_VERSION, "octo": self.octo_version,
                "source": self.source, "venues": list(self.venues), "symbols": list(self.symbols),
                "start": self.start, "seed": self.seed, "rules": self.rules}


def make_header(config, source: str, start: float) -> RecordingHeader:
    """Return the header for a recording of ``config``'s venues and symbols from ``source``."""
    rules = {}
    for name, venue in config.venues.items():
        rules[name] = {"taker_fee": str(venue.taker_fee), "maker_fee": str(venue.maker_fee),
                       "symbols": {s: [str(spec.tick_size), str(spec.lot_size), str(spec.min_notional)]
                                   for s, spec in venue.symbols.items()}}
    return RecordingHeader(source, tuple(config.venue_names), tuple(config.symbols), start, config.seed,
                           rules, __version__)


# --- events <-> JSON ----------------------------------------------------------------------------
def _nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def event_to_json(event: RecordedEvent, own: bool = False) -> dict:
    """Return the JSON object of one event."""
    if isinstance(event, BookUpdate):
        data = {"ts": event.received_time, "venue": event.venue, "symbol": event.symbol,
                "type": "snapshot" if event.is_snapshot else "delta", "seq": event.sequence,
                "bids": [list(level) for level in event.bids], "asks": [list(level) for level in event.asks],
                "exchange_ts": _nan_to_none(event.exchange_time)}
    elif isinstance(event, MarketTrade):
        data = {"ts": event.received_time, "venue": event.venue, "symbol": event.symbol, "type": "trade",
                "price": event.price, "size": event.quantity, "side": event.side,
                "exchange_ts": _nan_to_none(event.exchange_time)}
    elif isinstance(event, FeedStatus):
        data = {"ts": event.received_time, "venue": event.venue, "symbol": event.symbol, "type": "status",
                "state": event.state, "detail": event.detail}
    elif isinstance(event, MarketRules):
        data = {"ts": event.received_time, "venue": event.venue, "type": "rules",
                "specs": [list(spec) for spec in event.specs], "taker_fee": event.taker_fee,
                "maker_fee": event.maker_fee}
    elif isinstance(event, NetworkRules):
        data = {"ts": event.received_time, "venue": event.venue, "type": "networks", "source": event.source,
                "networks": [list(route) for route in event.networks]}
    else:
        raise TypeError(f"cannot record {event!r}")
    if own:
        data["own"] = True
    return data


_MISSING = object()


def _levels(raw, where: str) -> tuple[tuple[float, float], ...]:
    if raw.__class__ is not list:
        raise RecordingError(f"{where}: levels must be a list of [price, size]")
    levels = []
    for level in raw:
        # Exact classes: JSON gives list, float and int; bool (an int subclass) is refused.
        if level.__class__ is not list or len(level) != 2:
            raise RecordingError(f"{where}: bad level {level!r}")
        price, size = level
        if price.__class__ is not float:
            if price.__class__ is not int:
                raise RecordingError(f"{where}: bad level {level!r}")
            price = float(price)
        if size.__class__ is not float:
            if size.__class__ is not int:
                raise RecordingError(f"{where}: bad level {level!r}")
            size = float(size)
        levels.append((price, size))
    return tuple(levels)


def _float(data: dict, key: str, where: str, optional: bool = False) -> float:
    value = data.get(key)
    if value is None and optional:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RecordingError(f"{where}: {key!r} must be a finite number, got {value!r}")
    return float(value)


def _text(data: dict, key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise RecordingError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return value


def event_from_json(data: dict, where: str = "event") -> tuple[RecordedEvent, bool]:
    """Return ``(event, own)`` for one JSON object; raise RecordingError naming what is wrong."""
    if data.__class__ is dict:
        # The shapes a recording is made of (book updates and trades, written by ``event_to_json``),
        # checked with exact classes; anything else takes the full path below, which names the problem.
        ts, venue, symbol = data.get("ts"), data.get("venue"), data.get("symbol")
        if ts.__class__ is float and ts - ts == 0.0 and venue.__class__ is str and venue \
                and symbol.__class__ is str and symbol:
            kind = data.get("type")
            exchange = data.get("exchange_ts", _MISSING)
            if exchange is None or exchange is _MISSING:
                exchange = math.nan
            elif exchange.__class__ is not float or exchange - exchange != 0.0:
                kind = None
            if kind == "delta" or kind == "snapshot":
                seq = data.get("seq")
                if seq.__class__ is int:
                    return (BookUpdate(venue, symbol, seq, _levels(data.get("bids", []), where),
                                       _levels(data.get("asks", []), where), kind == "snapshot", exchange, ts),
                            data.get("own") is True)
            elif kind == "trade":
                side, price, size = data.get("side"), data.get("price"), data.get("size")
                if (side == "buy" or side == "sell") and price.__class__ is float and price - price == 0.0 \
                        and size.__class__ is float and size - size == 0.0:
                    return MarketTrade(venue, symbol, side, price, size, exchange, ts), data.get("own") is True
    if not isinstance(data, dict):
        raise RecordingError(f"{where}: not a JSON object")
    kind = data.get("type")
    ts = _float(data, "ts", where)
    venue = _text(data, "venue", where)
    own = data.get("own") is True
    if kind in ("snapshot", "delta"):
        seq = data.get("seq")
        if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int)):
            raise RecordingError(f"{where}: 'seq' must be an integer (64 bits at most) or null")
        event = BookUpdate(venue, _text(data, "symbol", where), -1 if seq is None else seq,
                           _levels(data.get("bids", []), where), _levels(data.get("asks", []), where),
                           kind == "snapshot", _float(data, "exchange_ts", where, optional=True), ts)
        return event, own
    if kind == "trade":
        side = data.get("side")
        if side not in ("buy", "sell"):
            raise RecordingError(f"{where}: 'side' must be 'buy' or 'sell', got {side!r}")
        return MarketTrade(venue, _text(data, "symbol", where), side, _float(data, "price", where),
                           _float(data, "size", where), _float(data, "exchange_ts", where, optional=True),
                           ts), own
    if kind == "status":
        symbol = data.get("symbol")
        return FeedStatus(venue, _text(data, "state", where), str(data.get("detail") or ""), ts,
                          symbol if isinstance(symbol, str) else None), own
    if kind == "rules":
        specs = data.get("specs")
        if not isinstance(specs, list) or not all(isinstance(s, list) and len(s) == 4 and isinstance(s[0], str)
                                                  and _is_rule(s[1:]) for s in specs):
            raise RecordingError(f"{where}: 'specs' must be a list of [symbol, tick, lot, min_notional] "
                                 f"(decimal numbers, tick and lot positive)")
        for key in ("taker_fee", "maker_fee"):
            if not _is_fee(data.get(key)):
                raise RecordingError(f"{where}: {key!r} must be a fee rate between -1 and 1 or null, "
                                     f"got {data.get(key)!r}")
        return MarketRules(venue, tuple(tuple(str(x) for x in s) for s in specs),
                           data.get("taker_fee"), data.get("maker_fee"), ts), own
    if kind == "networks":
        routes = data.get("networks")
        if not isinstance(routes, list) or not all(_is_route(r) for r in routes):
            raise RecordingError(f"{where}: 'networks' must be a list of [asset, chain, fee, fee_share, minimum or "
                                 f"null, withdraw, deposit] (non-negative decimal numbers, true or false)")
        return NetworkRules(venue, tuple((r[0], r[1], str(r[2]), str(r[3]), None if r[4] is None else str(r[4]),
                                          r[5], r[6]) for r in routes), _text(data, "source", where), ts), own
    raise RecordingError(f"{where}: unknown event type {kind!r}")


# --- writing ------------------------------------------------------------------------------------
class RecordingWriter:
    """Append events to a gzip JSON Lines file; lines are batched and flushed about once a second.

    A flush ends a deflate block (``Z_SYNC_FLUSH``), so a file whose writer was killed can be read
    up to its last flush. Write errors (a full disk) are kept in ``error`` and stop the recording;
    they never propagate into the engine.
    """

    def __init__(self, path: str | Path, header: RecordingHeader) -> None:
        self.path = Path(path)
        self.header = header
        self.events = 0
        self.error = ""
        self._lines: list[str] = []
        self._last_sync = -math.inf
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._file = gzip.open(self.path, "wb", compresslevel=5)
        except OSError as exc:
            raise RecordingError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self._lines.append(json.dumps(header.as_json(), separators=(",", ":")))
        self._flush(sync=True)

    @property
    def is_open(self) -> bool:
        return self._file is not None

    def write(self, event: RecordedEvent, own: bool = False) -> None:
        """Queue one event; flush when the batch is full or a second of engine time has passed."""
        if self._file is None:
            return
        self._lines.append(json.dumps(event_to_json(event, own), separators=(",", ":")))
        self.events += 1
        ts = event.received_time
        if len(self._lines) >= FLUSH_LINES or ts - self._last_sync >= SYNC_INTERVAL_S:
            self._last_sync = ts
            self._flush(sync=True)

    def write_end(self, ts: float) -> None:
        """Say when the source stopped (events after this line are reactions to our own fills)."""
        if self._file is not None:
            self._lines.append(json.dumps({"type": "end", "ts": ts, "events": self.events},
                                          separators=(",", ":")))
            self._flush(sync=True)

    def close(self) -> None:
        """Write what is queued and close the file."""
        if self._file is None:
            return
        self._flush(sync=False)
        try:
            self._file.close()
        except OSError as exc:
            self.error = self.error or f"cannot write {self.path}: {exc.strerror or exc}"
        self._file = None

    def _flush(self, sync: bool) -> None:
        if not self._lines or self._file is None:
            return
        data = ("\n".join(self._lines) + "\n").encode()
        self._lines = []
        try:
            self._file.write(data)
            if sync:
                self._file.flush(zlib.Z_SYNC_FLUSH)
                self._file.fileobj.flush()
        except OSError as exc:
            self.error = f"recording stopped: cannot write {self.path}: {exc.strerror or exc}"
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None


# --- reading ------------------------------------------------------------------------------------
# A replay runs the engine through every second between two events (its housekeeping ticks), so a
# gap of decades would take days: a recording is one session, and a day without any event is not one.
MAX_GAP_S = 86_400.0
MAX_LINE_BYTES = 64 << 20  # a longer "line" is not a recording's: refused before it fills the memory
_CHUNK_BYTES = 1 << 16


class _BadLine(Exception):
    """The line after the last complete one is unusable; the message says why, after "line N"."""


def _lines(handle) -> Iterator[bytes]:
    # Binary chunks split here rather than a text-mode readline: each line is decoded on its own (so a
    # bad byte is reported with its line number), and read1 hands over everything the gzip reader
    # decoded before it finds the stream cut short (EOFError) or damaged (zlib.error, BadGzipFile).
    pending: list[bytes] = []  # the start of a line that has no newline yet, in pieces (no quadratic copying)
    size = 0
    while True:
        chunk = handle.read1(_CHUNK_BYTES)
        if not chunk:
            if pending:
                raise _BadLine("is incomplete (the file is cut short)")
            return
        if b"\n" not in chunk:
            pending.append(chunk)
            size += len(chunk)
            if size > MAX_LINE_BYTES:
                raise _BadLine(f"is longer than {MAX_LINE_BYTES:,} bytes (not a recording line)")
            continue
        parts = chunk.split(b"\n")
        if pending:
            pending.append(parts[0])
            parts[0] = b"".join(pending)
        tail = parts.pop()
        pending, size = ([tail], len(tail)) if tail else ([], 0)
        yield from parts


@dataclass
class RecordingReader:
    """Read a recording: ``header`` first, then ``events()`` yields ``(event, own)`` in file order.

    ``events()`` stops at the end of the file or at the first problem in it: a line that is not UTF-8,
    not JSON or not a valid event, or a gzip stream that is cut short or damaged. Everything before the
    problem is delivered; ``error`` then says what and where, in one line naming the file and the line
    (empty if the file read to its end). After ``events()`` is exhausted, ``end_time`` is the source's
    stop time (None if no ``end`` line was read) and ``truncated`` says whether the file was cut short.
    """

    path: Path
    header: RecordingHeader
    end_time: float | None = None
    truncated: bool = False
    lines: int = 1
    error: str = ""

    def events(self) -> Iterator[tuple[RecordedEvent, bool]]:
        self.end_time, self.truncated, self.error, self.lines = None, False, "", 1
        name = str(self.path)
        number = 1
        latest = self.header.start  # the latest event time so far: the replay's clock runs through each gap
        try:
            with gzip.open(self.path, "rb") as handle:
                lines = _lines(handle)
                next(lines, None)  # the header, checked by open_recording
                for line in lines:
                    number += 1
                    self.lines = number
                    try:
                        data = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        where = f"{name} line {number}"
                        # The standard decoder on the rare line orjson refuses: it tells bad UTF-8 from
                        # bad JSON, and reads NaN (which the checks below then name).
                        try:
                            data = json.loads(line.decode("utf-8"))
                        except UnicodeDecodeError:
                            self.error = f"{where}: not UTF-8 text"
                            return
                        except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
                            self.error = f"{where}: not valid JSON"
                            return
                    try:
                        # The line's name is made only for an error: checking the line again with it
                        # raises the same error, now naming the file and line.
                        try:
                            item = None if data.__class__ is dict and data.get("type") == "end" \
                                else event_from_json(data, _UNNAMED)
                            if item is None or not ENGINE_TIME_MIN <= item[0].received_time < ENGINE_TIME_MAX \
                                    or item[0].received_time - latest > MAX_GAP_S:
                                item = _checked(data, latest, _UNNAMED)
                        except RecordingError:
                            item = _checked(data, latest, f"{name} line {number}")
                    except RecordingError as exc:
                        self.error = str(exc)
                        return
                    if item is None:  # the end line
                        self.end_time = float(data["ts"])
                        continue
                    ts = item[0].received_time
                    if ts > latest:
                        latest = ts
                    yield item
        except _BadLine as exc:
            self.truncated = True
            self.error = f"{name} line {number + 1} {exc}"
        except EOFError:  # a killed writer, or a file cut short: everything up to the cut was delivered
            self.truncated = True
            self.error = f"{name} is truncated after line {number} (the gzip stream ends early)"
        except (zlib.error, gzip.BadGzipFile) as exc:
            self.error = f"{name} is corrupt after line {number} (gzip: {exc})"
        except OSError as exc:
            self.error = f"cannot read {name} after line {number}: {exc.strerror or exc}"


_UNNAMED = "event"


def _checked(data, latest: float, where: str) -> tuple[RecordedEvent, bool] | None:
    """Return ``(event, own)`` for one decoded line, or None for the end line; raise RecordingError."""
    if data.__class__ is dict and data.get("type") == "end":
        _engine_time(_float(data, "ts", where), where)
        return None
    item = event_from_json(data, where)
    ts = item[0].received_time
    if not ENGINE_TIME_MIN <= ts < ENGINE_TIME_MAX:
        _engine_time(ts, where)
    if ts - latest > MAX_GAP_S:
        raise RecordingError(f"{where}: 'ts' jumps {ts - latest:,.0f} s past the event "
                             f"before it (more than {MAX_GAP_S:,.0f} s: not one session)")
    return item


def _engine_time(ts: float, where: str) -> float:
    # The replay's clock runs to each event's time: one beyond 2100 would take it where the engine's
    # calendar arithmetic no longer holds (see config.check_engine_start).
    if not ENGINE_TIME_MIN <= ts < ENGINE_TIME_MAX:
        raise RecordingError(f"{where}: 'ts' must be unix seconds from 2000 to 2100, got {ts!r}")
    return ts


def open_recording(path: str | Path) -> RecordingReader:
    """Open a recording and check its header; raise RecordingError naming the file if it is not one."""
    path = Path(path)
    try:
        with gzip.open(path, "rb") as handle:
            first = next(_lines(handle), None)
    except FileNotFoundError:
        raise RecordingError(f"no recording at {path}") from None
    except IsADirectoryError:
        raise RecordingError(f"{path} is a directory, not a recording") from None
    except _BadLine:
        raise RecordingError(f"{path} line 1: the first line is not a JSON header") from None
    except EOFError:
        raise RecordingError(f"{path} is truncated in line 1 (the gzip stream ends early)") from None
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise RecordingError(f"{path}: not a gzip-compressed recording ({exc})") from None
    except OSError as exc:
        raise RecordingError(f"cannot read {path}: {exc.strerror or exc}") from None
    if first is None:
        raise RecordingError(f"{path} is empty: a recording starts with a header line")
    try:
        data = json.loads(first.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8 (UnicodeDecodeError) or not JSON
        raise RecordingError(f"{path} line 1: the first line is not a JSON header") from None
    where = f"{path} line 1"
    if not isinstance(data, dict) or data.get("type") != "header":
        raise RecordingError(f'{where}: the first line must be {{"type": "header", ...}}')
    if "format" not in data:
        raise RecordingError(f"{where}: the header has no 'format': not an Octo recording")
    if data.get("format") != FORMAT:
        raise RecordingError(f"{where}: header 'format' is {data.get('format')!r}, not {FORMAT!r}: "
                             f"not an Octo recording")
    version = data.get("version")
    if version.__class__ is not int or version < 1:
        raise RecordingError(f"{where}: header 'version' must be a whole number from 1, got {version!r}")
    if version > FORMAT_VERSION:
        raise RecordingError(f"{where}: recording format version {version} is newer than this Octo reads "
                             f"({FORMAT_VERSION}); use a newer Octo")
    venues, symbols = data.get("venues"), data.get("symbols")
    if not (isinstance(venues, list) and venues and all(isinstance(v, str) for v in venues)):
        raise RecordingError(f"{where}: header 'venues' must be a non-empty list of venue ids")
    unknown = [v for v in venues if v not in VENUE_IDS]
    if unknown or len(set(venues)) != len(venues):
        what = f"unknown venue {unknown[0]!r}" if unknown else "a venue is listed twice"
        raise RecordingError(f"{where}: header 'venues': {what}; known venues: {', '.join(VENUE_IDS)}")
    if not (isinstance(symbols, list) and symbols and all(_is_symbol(s) for s in symbols)
            and len(set(symbols)) == len(symbols)):
        raise RecordingError(f"{where}: header 'symbols' must be a non-empty list of distinct symbols "
                             f"such as \"BTC/USDT\", got {symbols!r}")
    start = data.get("start")
    if isinstance(start, bool) or not isinstance(start, (int, float)) \
            or not (math.isfinite(start) and ENGINE_TIME_MIN <= start < ENGINE_TIME_MAX):
        raise RecordingError(f"{where}: header 'start' must be unix seconds from 2000 to 2100, got {start!r}")
    seed = data.get("seed")
    if seed is not None and (seed.__class__ is not int or not 0 <= seed <= SEED_MAX):
        raise RecordingError(f"{where}: header 'seed' must be a whole number from 0 to {SEED_MAX} or null, "
                             f"got {seed!r}")
    rules = _header_rules(data.get("rules"), where)
    header = RecordingHeader(str(data.get("source", "unknown")), tuple(venues), tuple(symbols), float(start),
                             seed, rules, str(data.get("octo", "")))
    return RecordingReader(path, header)


def _is_symbol(value: object) -> bool:
    if not isinstance(value, str):
        return False
    base, slash, quote = value.partition("/")
    return bool(slash and base and quote and "/" not in quote)


def _header_rules(raw: object, where: str) -> dict:
    # A replay trades on these rules (``app.replay_config``): each one a finite decimal, checked here
    # so that a damaged header is one error at open rather than a failure inside the engine.
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RecordingError(f"{where}: header 'rules' must be an object of venues")
    for venue, rules in raw.items():
        at = f"{where}: header 'rules' of {venue}"
        if not isinstance(rules, dict):
            raise RecordingError(f"{at}: must be an object")
        for key in ("taker_fee", "maker_fee"):
            if not _is_fee(rules.get(key)):
                raise RecordingError(f"{at}: {key!r} must be a fee rate between -1 and 1, got {rules[key]!r}")
        symbols = rules.get("symbols", {})
        if not isinstance(symbols, dict):
            raise RecordingError(f"{at}: 'symbols' must be an object of symbols")
        for symbol, values in symbols.items():
            if not _is_rule(values):
                raise RecordingError(f"{at}: {symbol} must be [tick, lot, min_notional] (decimal numbers, tick "
                                     f"and lot positive), got {values!r}")
    return raw


def _is_fee(value: object) -> bool:
    # None (the venue's configured fee applies) or a decimal rate; a maker rebate is negative.
    if value is None:
        return True
    fee = _decimal(value)
    return fee is not None and -1 < fee < 1


def _is_route(route: object) -> bool:
    # [asset, chain, fee, fee_share, minimum or null, withdraw, deposit]: what a replay builds a Network from.
    if not (isinstance(route, list) and len(route) == 7 and all(isinstance(x, str) and x for x in route[:2])
            and isinstance(route[5], bool) and isinstance(route[6], bool)):
        return False
    amounts = [_decimal(x) for x in route[2:4]] + ([] if route[4] is None else [_decimal(route[4])])
    return None not in amounts and all(x >= 0 for x in amounts)


def _is_rule(values: object) -> bool:
    # [tick, lot, min_notional]: what a replay builds a SymbolSpec from.
    numbers = [_decimal(v) for v in values] if isinstance(values, list) and len(values) == 3 else []
    return bool(numbers) and None not in numbers and numbers[0] > 0 and numbers[1] > 0 and numbers[2] >= 0


def _decimal(value: object) -> Decimal | None:
    # A finite decimal string or number, else None.
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
