"""One recorded line to one event: good levels convert, every malformed level is refused by name."""

import pytest

from octo_desktop.domain.model import BookUpdate
from octo_desktop.feeds.recording import RecordingError, event_from_json


def delta(**levels):
    return {"ts": 10.5, "venue": "okx", "type": "delta", "symbol": "BTC/USDT", "seq": 7,
            "exchange_ts": 10.4, **levels}


def test_a_delta_line_becomes_a_book_update_with_float_levels():
    event, own = event_from_json(delta(bids=[[100, 2], [99.5, 0.25]], asks=[]), "f:2")
    assert isinstance(event, BookUpdate) and own is False
    assert event.bids == ((100.0, 2.0), (99.5, 0.25)) and event.asks == ()
    assert all(type(x) is float for level in event.bids for x in level)
    assert (event.sequence, event.is_snapshot, event.received_time) == (7, False, 10.5)


@pytest.mark.parametrize("bad", [
    [[100.0, True]],  # bool is not a number here
    [[False, 1.0]],
    [["100.0", 1.0]],
    [[100.0]],
    [[100.0, 1.0, 3]],
    [(100.0, 1.0)],  # not what JSON gives
    [{"price": 100.0, "size": 1.0}],
    [[100.0, None]],
])
def test_every_malformed_level_is_refused_naming_the_line(bad):
    with pytest.raises(RecordingError, match=r"f:9: bad level"):
        event_from_json(delta(bids=bad, asks=[]), "f:9")
    with pytest.raises(RecordingError, match=r"f:9: bad level"):
        event_from_json(delta(bids=[], asks=bad), "f:9")


def test_levels_that_are_not_a_list_are_refused():
    with pytest.raises(RecordingError, match="levels must be a list"):
        event_from_json(delta(bids={"100": 1}, asks=[]), "f:3")
