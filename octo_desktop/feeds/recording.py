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
    {"type": "end", "ts": 1700000600.0, "events": 238114}

``ts`` is the local receive time (engine clock, unix seconds). A size of 0 in a delta deletes the
level. ``exchange_ts`` (optional) is the venue's own timestamp. ``own: true`` (optional) marks events
that are the simulated market's reaction to Octo's own paper fill: a replay hands them back when the
replayed engine makes the same fill. ``end`` says when the source stopped; a file cut short (the
process was killed) has no ``end`` line and replays up to its last complete line.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from octo_desktop import __version__
from octo_desktop.domain.model import BookUpdate, FeedStatus, MarketRules, MarketTrade

FORMAT = "octo-recording"
FORMAT_VERSION = 1
FLUSH_LINES = 2000
SYNC_INTERVAL_S = 1.0  # engine seconds between flushes that make the file readable up to here

RecordedEvent = BookUpdate | MarketTrade | FeedStatus | MarketRules


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
    else:
        raise TypeError(f"cannot record {event!r}")
    if own:
        data["own"] = True
    return data


def _levels(raw, where: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(raw, list):
        raise RecordingError(f"{where}: levels must be a list of [price, size]")
    levels = []
    for level in raw:
        # Exact classes: JSON gives list, float and int; bool (an int subclass) is refused.
        if level.__class__ is not list or len(level) != 2 \
                or (level[0].__class__ is not float and level[0].__class__ is not int) \
                or (level[1].__class__ is not float and level[1].__class__ is not int):
            raise RecordingError(f"{where}: bad level {level!r}")
        levels.append((float(level[0]), float(level[1])))
    return tuple(levels)


def _float(data: dict, key: str, where: str, optional: bool = False) -> float:
    value = data.get(key)
    if value is None and optional:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RecordingError(f"{where}: {key!r} must be a number, got {value!r}")
    return float(value)


def _text(data: dict, key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise RecordingError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return value


def event_from_json(data: dict, where: str = "event") -> tuple[RecordedEvent, bool]:
    """Return ``(event, own)`` for one JSON object; raise RecordingError naming what is wrong."""
    if not isinstance(data, dict):
        raise RecordingError(f"{where}: not a JSON object")
    kind = data.get("type")
    ts = _float(data, "ts", where)
    venue = _text(data, "venue", where)
    own = data.get("own") is True
    if kind in ("snapshot", "delta"):
        seq = data.get("seq")
        if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int)):
            raise RecordingError(f"{where}: 'seq' must be an integer or null")
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
        if not isinstance(specs, list) or not all(isinstance(s, list) and len(s) == 4 for s in specs):
            raise RecordingError(f"{where}: 'specs' must be a list of [symbol, tick, lot, min_notional]")
        return MarketRules(venue, tuple(tuple(str(x) for x in s) for s in specs),
                           data.get("taker_fee"), data.get("maker_fee"), ts), own
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
@dataclass
class RecordingReader:
    """Read a recording: ``header`` first, then ``events()`` yields ``(event, own)`` in file order.

    After ``events()`` is exhausted, ``end_time`` is the source's stop time (None if the file has no
    ``end`` line) and ``truncated`` says whether the file was cut short.
    """

    path: Path
    header: RecordingHeader
    end_time: float | None = None
    truncated: bool = False
    lines: int = 1

    def events(self) -> Iterator[tuple[RecordedEvent, bool]]:
        handle = gzip.open(self.path, "rt", encoding="utf-8")
        try:
            handle.readline()  # the header, parsed already
            number = 1
            name = self.path.name
            while True:
                try:
                    line = handle.readline()
                except (EOFError, zlib.error, gzip.BadGzipFile):
                    self.truncated = True  # a killed writer: everything up to the last flush is here
                    return
                if not line:
                    return
                number += 1
                self.lines = number
                if not line.endswith("\n"):
                    self.truncated = True  # a half-written last line
                    return
                where = f"{name}:{number}"
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise RecordingError(f"{where}: not valid JSON ({exc.msg})") from None
                if isinstance(data, dict) and data.get("type") == "end":
                    self.end_time = _float(data, "ts", where)
                    continue
                yield event_from_json(data, where)
        finally:
            handle.close()


def open_recording(path: str | Path) -> RecordingReader:
    """Open a recording and read its header; raise RecordingError if it is not one."""
    path = Path(path)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            first = handle.readline()
    except FileNotFoundError:
        raise RecordingError(f"no recording at {path}") from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise RecordingError(f"{path}: not a gzip-compressed recording ({exc})") from None
    try:
        data = json.loads(first)
    except json.JSONDecodeError:
        raise RecordingError(f"{path}:1: the first line is not a JSON header") from None
    if not isinstance(data, dict) or data.get("type") != "header":
        raise RecordingError(f'{path}:1: the first line must be {{"type": "header", ...}}')
    if data.get("version", FORMAT_VERSION) > FORMAT_VERSION:
        raise RecordingError(f"{path}: recording format version {data.get('version')} is newer than "
                             f"this Octo reads ({FORMAT_VERSION})")
    venues, symbols = data.get("venues"), data.get("symbols")
    if not (isinstance(venues, list) and venues and all(isinstance(v, str) for v in venues)):
        raise RecordingError(f"{path}:1: header 'venues' must be a non-empty list of venue ids")
    if not (isinstance(symbols, list) and symbols and all(isinstance(s, str) for s in symbols)):
        raise RecordingError(f"{path}:1: header 'symbols' must be a non-empty list of symbols")
    start = data.get("start")
    if isinstance(start, bool) or not isinstance(start, (int, float)):
        raise RecordingError(f"{path}:1: header 'start' must be unix seconds")
    seed = data.get("seed")
    rules = data.get("rules") if isinstance(data.get("rules"), dict) else {}
    header = RecordingHeader(str(data.get("source", "unknown")), tuple(venues), tuple(symbols), float(start),
                             seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
                             rules, str(data.get("octo", "")))
    return RecordingReader(path, header)
