"""Reading a recording back: a header that is not ours is refused at open; damage further on ends the
events where it starts, with everything before it delivered and one line saying what and where."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from octo_desktop.domain.model import BookUpdate, MarketTrade
from octo_desktop.feeds import recording
from octo_desktop.feeds.recording import (
    RecordingError, RecordingWriter, event_to_json, make_header, open_recording,
)

START = 1_700_000_000.0
HEADER = {"type": "header", "format": "octo-recording", "version": 1, "octo": "0.1.0", "source": "simulated",
          "venues": ["okx", "binance"], "symbols": ["BTC/USDT"], "start": START, "seed": 7,
          "rules": {"okx": {"taker_fee": "0.001", "maker_fee": "0.0008",
                            "symbols": {"BTC/USDT": ["0.1", "0.00000001", "1.0"]}}}}


def event_lines(count: int) -> list[bytes]:
    """``count`` event lines (a snapshot, then trades), one per 10 ms."""
    lines = [json.dumps({"ts": START, "venue": "okx", "symbol": "BTC/USDT", "type": "snapshot", "seq": 1,
                         "bids": [[60000.0, 1.0]], "asks": [[60000.1, 1.0]]}).encode()]
    lines += [json.dumps({"ts": START + i / 100, "venue": "okx", "symbol": "BTC/USDT", "type": "trade",
                          "price": 60000.0 + i, "size": 0.01, "side": "buy"}).encode() for i in range(1, count)]
    return lines


def write(tmp_path, body: bytes, header: dict | None = None, name: str = "session.jsonl.gz"):
    path = tmp_path / name
    path.write_bytes(gzip.compress(json.dumps(header or HEADER).encode() + b"\n" + body))
    return path


def read_all(path):
    reader = open_recording(path)
    return reader, [event for event, _own in reader.events()]


# --- the header -----------------------------------------------------------------------------------
@pytest.mark.parametrize("change, message", [
    ({"version": "2"}, r"header 'version' must be a whole number from 1, got '2'"),
    ({"version": None}, r"header 'version' must be a whole number from 1, got None"),
    ({"version": True}, r"header 'version' must be a whole number"),
    ({"version": 0}, r"header 'version' must be a whole number from 1, got 0"),
    ({"version": 2}, r"recording format version 2 is newer than this Octo reads \(1\)"),
    ({"format": "other-recording"}, r"header 'format' is 'other-recording', not 'octo-recording'"),
    ({"format": None}, r"header 'format' is None, not 'octo-recording'"),
    ({"venues": ["okx", "kraken"]}, r"header 'venues': unknown venue 'kraken'"),
    ({"venues": ["okx", "okx"]}, r"header 'venues': a venue is listed twice"),
    ({"venues": []}, r"header 'venues' must be a non-empty list"),
    ({"symbols": ["BTCUSDT"]}, r"header 'symbols' must be a non-empty list of distinct symbols"),
    ({"symbols": [7]}, r"header 'symbols' must be"),
    ({"start": "yesterday"}, r"header 'start' must be unix seconds"),
    ({"start": 1e20}, r"header 'start' must be unix seconds from 2000 to 2100"),
    ({"seed": -1}, r"header 'seed' must be a whole number from 0"),
    ({"seed": 1.5}, r"header 'seed' must be a whole number"),
    ({"rules": []}, r"header 'rules' must be an object of venues"),
    ({"rules": {"okx": {"taker_fee": "cheap"}}}, r"header 'rules' of okx: 'taker_fee' must be a fee rate"),
    ({"rules": {"okx": {"symbols": {"BTC/USDT": ["0.1", "x", "1"]}}}},
     r"header 'rules' of okx: BTC/USDT must be \[tick, lot, min_notional\]"),
    ({"rules": {"okx": {"symbols": {"BTC/USDT": ["0", "0.1", "1"]}}}}, r"BTC/USDT must be \[tick, lot"),
])
def test_a_bad_header_is_refused_at_open_naming_the_file_and_line_1(tmp_path, change, message):
    path = write(tmp_path, b"\n".join(event_lines(3)) + b"\n", {**HEADER, **change})
    with pytest.raises(RecordingError, match=message) as caught:
        open_recording(path)
    assert str(caught.value).startswith(f"{path} line 1: ") and "\n" not in str(caught.value)


def test_a_header_without_a_format_is_not_an_octo_recording(tmp_path):
    header = {key: value for key, value in HEADER.items() if key != "format"}
    with pytest.raises(RecordingError, match=r"line 1: the header has no 'format': not an Octo recording"):
        open_recording(write(tmp_path, b"", header))


@pytest.mark.parametrize("content, message", [
    (b"", r"is empty: a recording starts with a header line"),
    (b"\x00\xff\xfe\x80" * 50, r"line 1: the first line is not a JSON header"),
    (b"\xff\xfe{}\n", r"line 1: the first line is not a JSON header"),
    (b'{"type": "trade"}\n', r'line 1: the first line must be \{"type": "header", ...\}'),
], ids=["empty", "binary", "not-utf8", "not-a-header"])
def test_a_gzip_file_that_does_not_start_with_a_header_is_refused(tmp_path, content, message):
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(gzip.compress(content))
    with pytest.raises(RecordingError, match=message):
        open_recording(path)


def test_a_directory_is_not_a_recording(tmp_path):
    with pytest.raises(RecordingError, match="is a directory, not a recording"):
        open_recording(tmp_path)


def test_the_recorders_own_header_is_one_the_reader_accepts(tmp_path, config):
    path = tmp_path / "own.jsonl.gz"
    header = make_header(config, "simulated", START)
    writer = RecordingWriter(path, header)
    writer.write(BookUpdate("okx", "BTC/USDT", 1, ((60000.0, 1.0),), ((60000.1, 1.0),), True, START, START))
    writer.write_end(START + 1)
    writer.close()

    reader, events = read_all(path)

    assert reader.header == header and reader.error == "" and reader.end_time == START + 1
    assert len(events) == 1


# --- damage after the header ----------------------------------------------------------------------
def test_a_sound_recording_reads_to_its_end_without_an_error(tmp_path):
    end = json.dumps({"type": "end", "ts": START + 5, "events": 50}).encode()
    reader, events = read_all(write(tmp_path, b"\n".join(event_lines(50) + [end]) + b"\n"))
    assert len(events) == 50 and reader.error == "" and not reader.truncated and reader.end_time == START + 5


def test_a_line_that_is_not_json_ends_the_events_there_naming_the_line(tmp_path):
    lines = event_lines(50)
    lines[20] = b'{"ts": 1700000000.2, "venue": "okx", garbage'  # line 22 of the file (the header is line 1)
    reader, events = read_all(write(tmp_path, b"\n".join(lines) + b"\n"))
    assert len(events) == 20 and isinstance(events[-1], MarketTrade) and events[-1].price == 60019.0
    assert reader.error == f"{tmp_path / 'session.jsonl.gz'} line 22: not valid JSON"


def test_bad_utf8_in_the_middle_ends_the_events_at_that_line(tmp_path):
    lines = event_lines(50)
    lines[30] = lines[30].replace(b'"buy"', b'"b\xe9y"')
    reader, events = read_all(write(tmp_path, b"\n".join(lines) + b"\n"))
    assert len(events) == 30 and reader.error.endswith("session.jsonl.gz line 32: not UTF-8 text")


@pytest.mark.parametrize("line, message", [
    (b'{"ts": 1700000000.3, "venue": "okx", "symbol": "BTC/USDT", "type": "trade", "price": 1, "size": 1, '
     b'"side": "up"}', r"line 12: 'side' must be 'buy' or 'sell', got 'up'"),
    (b'{"ts": NaN, "venue": "okx", "type": "status", "state": "down"}', r"line 12: 'ts' must be a finite number"),
    (b'{"ts": 1e12, "venue": "okx", "type": "status", "state": "down"}',
     r"line 12: 'ts' must be unix seconds from 2000 to 2100"),
    (b'{"type": "end", "ts": "later"}', r"line 12: 'ts' must be a finite number"),
    (b'{"ts": 1700000000.3, "venue": "okx", "type": "rules", "specs": [["BTC/USDT", "abc", "0.1", "1"]]}',
     r"line 12: 'specs' must be a list of \[symbol, tick, lot, min_notional\]"),
    (b'{"ts": 1700000000.3, "venue": "okx", "type": "rules", "specs": [], "taker_fee": "cheap"}',
     r"line 12: 'taker_fee' must be a fee rate between -1 and 1 or null, got 'cheap'"),
    (b"[1, 2]", r"line 12: not a JSON object"),
    (b"[" * 100_000, r"line 12: not valid JSON"),
], ids=["bad-side", "nan-ts", "ts-after-2100", "end-without-time", "bad-rules", "bad-fee", "not-an-object",
        "deep-nesting"])
def test_an_invalid_event_ends_the_events_at_its_line(tmp_path, line, message):
    lines = event_lines(20)
    lines[10] = line
    reader, events = read_all(write(tmp_path, b"\n".join(lines) + b"\n"))
    assert len(events) == 10
    assert reader.error.startswith(str(tmp_path / "session.jsonl.gz"))
    assert re.search(message, reader.error), reader.error


class _Plain(dict):
    """A dict that is not exactly a dict: ``event_from_json`` then takes its full, checking path."""


@pytest.mark.parametrize("data", [
    {"ts": START, "venue": "okx", "symbol": "BTC/USDT", "type": "delta", "seq": 7,
     "bids": [[60000.0, 0.0], [59999, 2]], "asks": [], "exchange_ts": START - 0.01},
    {"ts": START, "venue": "okx", "symbol": "BTC/USDT", "type": "snapshot", "seq": 1,
     "bids": [[60000.0, 1.5]], "asks": [[60000.1, 1.0]], "exchange_ts": None, "own": True},
    {"ts": START, "venue": "okx", "symbol": "BTC/USDT", "type": "trade", "price": 60000.1, "size": 0.25,
     "side": "sell"},
    {"ts": START, "venue": "okx", "symbol": "BTC/USDT", "type": "trade", "price": 60000, "size": 1,
     "side": "buy", "exchange_ts": 1700000000},
    {"ts": START, "venue": "okx", "symbol": "BTC/USDT", "type": "delta", "seq": None, "bids": [], "asks": []},
], ids=["delta", "own-snapshot", "trade", "integer-numbers", "no-sequence"])
def test_the_fast_path_reads_every_event_as_the_checking_path_does(data):
    assert recording.event_from_json(data) == recording.event_from_json(_Plain(data))


@pytest.mark.parametrize("change, message", [
    ({"price": True}, r"'price' must be a finite number, got True"),
    ({"price": float("inf")}, r"'price' must be a finite number, got inf"),
    ({"exchange_ts": float("nan")}, r"'exchange_ts' must be a finite number, got nan"),
    ({"ts": float("nan")}, r"'ts' must be a finite number, got nan"),
    ({"symbol": ""}, r"'symbol' must be a non-empty string"),
    ({"side": "up"}, r"'side' must be 'buy' or 'sell'"),
])
def test_the_fast_path_refuses_what_the_checking_path_refuses(change, message):
    data = {"ts": START, "venue": "okx", "symbol": "BTC/USDT", "type": "trade", "price": 1.0, "size": 1.0,
            "side": "buy", **change}
    with pytest.raises(RecordingError, match=message):
        recording.event_from_json(data)


def test_a_sequence_past_64_bits_ends_the_events_at_its_line(tmp_path):
    lines = event_lines(5)
    lines[2] = (b'{"ts": 1700000000.02, "venue": "okx", "symbol": "BTC/USDT", "type": "delta", '
                b'"seq": 123456789012345678901234567890, "bids": [[59999.0, 1.0]], "asks": []}')
    reader, events = read_all(write(tmp_path, b"\n".join(lines) + b"\n"))
    assert len(events) == 2
    assert reader.error.endswith("line 4: 'seq' must be an integer (64 bits at most) or null")


def test_a_gzip_stream_cut_short_delivers_every_complete_line_then_says_where_it_was_cut(tmp_path):
    body = b"\n".join(event_lines(20_000)) + b"\n"
    whole = write(tmp_path, body)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])

    reader, events = read_all(cut)

    assert 1000 < len(events) < 20_000 and reader.truncated
    assert events == read_all(whole)[1][: len(events)]  # every line before the cut, exactly
    assert reader.error == f"{cut} is truncated after line {len(events) + 1} (the gzip stream ends early)"


def test_a_killed_writers_file_replays_up_to_its_last_flush_and_says_it_is_truncated(tmp_path, config):
    path = tmp_path / "session.jsonl.gz"
    writer = RecordingWriter(path, make_header(config, "simulated", START))
    for i in range(10):  # one engine second apart: each write is flushed
        writer.write(MarketTrade("okx", "BTC/USDT", "buy", 60000.0 + i, 0.01, START, START + i))
    killed = tmp_path / "killed.jsonl.gz"
    killed.write_bytes(path.read_bytes())  # what a kill -9 leaves: no end line, no gzip trailer
    writer.close()

    reader, events = read_all(killed)

    assert len(events) == 10 and reader.end_time is None and reader.truncated
    assert reader.error == f"{killed} is truncated after line 11 (the gzip stream ends early)"


def test_a_corrupt_gzip_stream_is_reported_as_corrupt(tmp_path):
    path = write(tmp_path, b"\n".join(event_lines(200)) + b"\n")
    data = bytearray(path.read_bytes())
    data[-8] ^= 0xFF  # the CRC in the gzip trailer
    path.write_bytes(bytes(data))

    reader, events = read_all(path)

    assert len(events) == 200
    assert reader.error.startswith(f"{path} is corrupt after line 201 (gzip: CRC check failed")
    assert "\n" not in reader.error


def test_a_half_written_last_line_is_reported_as_incomplete(tmp_path):
    lines = event_lines(10)
    reader, events = read_all(write(tmp_path, b"\n".join(lines) + b"\n" + lines[5][:30]))
    assert len(events) == 10 and reader.truncated
    assert reader.error.endswith("session.jsonl.gz line 12 is incomplete (the file is cut short)")


def test_a_line_too_long_to_be_an_event_ends_the_events_before_it_fills_the_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(recording, "MAX_LINE_BYTES", 100_000)
    lines = event_lines(10)
    reader, events = read_all(write(tmp_path, b"\n".join(lines) + b"\n" + b"7" * 1_000_000 + b"\n"))
    assert len(events) == 10
    assert reader.error.endswith("session.jsonl.gz line 12 is longer than 100,000 bytes (not a recording line)")


def test_an_event_a_day_past_the_one_before_ends_the_events_there(tmp_path):
    far = json.dumps({"ts": START + 2 * 86_400, "venue": "okx", "symbol": "BTC/USDT", "type": "trade",
                      "price": 60000.0, "size": 0.01, "side": "buy"}).encode()
    path = write(tmp_path, b"\n".join([*event_lines(3), far, *event_lines(2)]) + b"\n")
    reader, events = read_all(path)
    assert len(events) == 3  # the replay would otherwise run the engine through two empty days
    assert reader.error.startswith(f"{path} line 5: 'ts' jumps 172,800 s past the event before it")


def test_reading_again_starts_afresh(tmp_path):
    lines = event_lines(10)
    lines[5] = b"oops"
    reader, events = read_all(write(tmp_path, b"\n".join(lines) + b"\n"))
    again = [event for event, _own in reader.events()]
    assert len(events) == len(again) == 5 and reader.error.endswith("line 7: not valid JSON")


def test_the_events_round_trip_through_json(tmp_path):
    trade = MarketTrade("okx", "BTC/USDT", "sell", 60000.5, 0.25, START - 0.01, START + 0.5)
    reader, events = read_all(write(tmp_path, json.dumps(event_to_json(trade)).encode() + b"\n"))
    assert events == [trade] and reader.error == ""
