"""Record a simulated session, replay it through the engine: same trades and P&L, at any speed."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys

import pytest

from octo_desktop.app import build_replay_runtime
from octo_desktop.config import load_config
from octo_desktop.feeds.recording import RecordingError, open_recording
from octo_desktop.storage import open_store

pytestmark = pytest.mark.integration
START = 1_700_000_000.0


def cli(*args, cwd=None) -> dict:
    done = subprocess.run([sys.executable, "-m", "octo_desktop", *args], capture_output=True, text=True,
                          timeout=240, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def trades(db) -> tuple[list[tuple], list[float]]:
    """Every trade with its fills, and (apart) the times it opened and filled."""
    store = open_store(db)
    try:
        state = store.load()
    finally:
        store.close()
    rows, times = [], []
    for trade in state.recent_trades:
        fills = tuple((f.venue, f.side, f.price, f.quantity, f.fee, f.purpose) for f in trade.fills)
        rows.append((trade.trade_id, trade.symbol, trade.buy_venue, trade.sell_venue, str(trade.state),
                     trade.realized_pnl, fills))
        times += [trade.opened_at, *(f.time for f in trade.fills)]
    return rows, times


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rec")
    out = folder / "session.jsonl.gz"
    summary = cli("record", "--market", "sim", "--seconds", "120", "--out", str(out), "--start-time", str(START),
                  "--db", str(folder / "rec.db"), "--json")
    return out, summary, folder


def test_recording_format_is_documented_gzip_json_lines(recorded):
    out, summary, _ = recorded
    with gzip.open(out, "rt") as handle:
        lines = [json.loads(line) for line in handle]
    header, end = lines[0], lines[-1]
    assert header["type"] == "header" and header["source"] == "simulated" and header["start"] == START
    assert len(header["venues"]) == 8 and header["symbols"] == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    assert end == {"type": "end", "ts": START + 120, "events": len(lines) - 2}
    kinds = {line["type"] for line in lines[1:-1]}
    assert {"snapshot", "delta", "trade"} <= kinds
    delta = next(line for line in lines if line["type"] == "delta")
    assert set(delta) >= {"ts", "venue", "symbol", "type", "seq", "bids", "asks"}
    trade = next(line for line in lines if line["type"] == "trade")
    assert set(trade) >= {"ts", "venue", "symbol", "price", "size", "side"} and trade["side"] in ("buy", "sell")
    assert summary["events"] == end["events"] and summary["trades"] > 0


@pytest.mark.parametrize("speed", ["max", "10"])
def test_replay_gives_the_same_trades_and_pnl_as_the_recorded_run(recorded, speed):
    out, summary, folder = recorded
    db = folder / f"replay-{speed}.db"
    replayed = cli("replay", str(out), "--json", "--speed", speed, "--db", str(db))
    for key in ("trades", "opportunities", "realized_pnl", "fees", "balances", "rejections", "engine_time", "events"):
        assert replayed[key] == summary[key], key
    rows, times = trades(db)
    recorded_rows, recorded_times = trades(folder / "rec.db")
    assert rows == recorded_rows and len(rows) == summary["trades"]
    assert times == recorded_times  # engine time is the virtual loop's own time: exact, not within an ulp
    found = replayed["opportunity_list"]
    assert len(found) == summary["opportunities"]
    assert set(found[0]) == {"time", "symbol", "buy_venue", "sell_venue", "net_bps", "size", "transfer_bps"}


def test_a_recording_cut_short_replays_up_to_its_last_complete_line(recorded, tmp_path):
    out, _, _ = recorded
    raw = gzip.decompress(out.read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    runtime = build_replay_runtime(load_config(), cut, speed=None, stop_at_end=True)
    runtime.start()
    runtime.wait(timeout=120)
    assert runtime.failure is None and runtime.summary["events"] > 1000
    assert runtime.summary["engine_time"] < START + 120
    # Cut inside a line: said in the summary and in the replay's view, naming the line.
    line = raw[: len(raw) // 2].count(b"\n") + 1
    assert runtime.summary["replay_error"] == f"{cut} line {line} is incomplete (the file is cut short)"
    view = runtime.latest_snapshot().replay
    assert view.finished and view.error == runtime.summary["replay_error"]


def test_not_a_recording_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(RecordingError, match="not a gzip"):
        open_recording(bad)
    done = subprocess.run([sys.executable, "-m", "octo_desktop", "replay", str(bad)], capture_output=True, text=True)
    assert done.returncode == 2 and "not a gzip" in done.stderr and "Traceback" not in done.stderr


def replay_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "octo_desktop", "replay", *args], capture_output=True, text=True,
                          timeout=240)


def test_a_recording_with_garbage_mid_file_replays_up_to_it_then_exits_1_naming_the_line(recorded, tmp_path):
    out, summary, _ = recorded
    lines = gzip.decompress(out.read_bytes()).split(b"\n")
    lines[1000] = b'{"ts": 1700000001.5, "venue": "okx", "sym'  # line 1001 of the file
    bad = tmp_path / "session.jsonl.gz"
    bad.write_bytes(gzip.compress(b"\n".join(lines)))

    done = replay_cli(str(bad), "--json")

    assert done.returncode == 1, done.stderr
    replayed = json.loads(done.stdout)  # the summary of what was replayed is still printed
    assert replayed["events"] == 999 and replayed["replay_error"] == f"{bad} line 1001: not valid JSON"
    assert done.stderr == f"octo_desktop: {bad} line 1001: not valid JSON\n"


def test_a_truncated_recording_replays_its_first_part_then_says_it_is_truncated_and_exits_1(recorded, tmp_path):
    out, summary, _ = recorded
    data = out.read_bytes()
    cut = tmp_path / "session.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])

    done = replay_cli(str(cut))

    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("engine time ") and "opportunities " in done.stdout
    match = re.fullmatch(rf"octo_desktop: {re.escape(str(cut))} is truncated after line (\d+) "
                         rf"\(the gzip stream ends early\)\n", done.stderr)
    assert match, done.stderr
    events = int(re.search(r"events (\d+)", done.stdout).group(1))
    assert 1000 < events < summary["events"] and int(match.group(1)) > events  # every line before the cut


@pytest.mark.parametrize("change, message", [
    ({"version": "2"}, "header 'version' must be a whole number"),
    ({"version": None}, "header 'version' must be a whole number"),
    ({"format": "something-else"}, "header 'format' is 'something-else', not 'octo-recording'"),
])
def test_a_bad_header_is_one_line_exit_2_and_no_database_is_created(recorded, tmp_path, change, message):
    out, _, _ = recorded
    lines = gzip.decompress(out.read_bytes()).split(b"\n")
    bad = tmp_path / "bad-header.jsonl.gz"
    bad.write_bytes(gzip.compress(b"\n".join([json.dumps({**json.loads(lines[0]), **change}).encode(), *lines[1:]])))
    db = tmp_path / "new" / "replay.db"

    done = replay_cli(str(bad), "--db", str(db))

    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"octo_desktop: {bad} line 1: ") and message in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not db.parent.exists()
