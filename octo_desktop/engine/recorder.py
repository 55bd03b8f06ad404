"""The engine's recorder: taps every market event into a recording while one is open.

It lives on the runtime thread, next to the engine. ``OwnFillMarker`` wraps the feed that the
paper executor reports its fills to, so that the market's reaction to our own fills is marked
``own`` in the file and a replay can hand it back at the same point.
"""

from __future__ import annotations

import logging
import math

from octo_desktop.domain.snapshot import RecordingView
from octo_desktop.feeds.recording import RecordingError, RecordingHeader, RecordingWriter

log = logging.getLogger(__name__)


class Recorder:
    """Open, feed and close one recording at a time."""

    def __init__(self) -> None:
        self._writer: RecordingWriter | None = None
        self.own = False  # True while the market reacts to one of our fills
        self.started = math.nan
        self.last_error = ""
        self.last_path = ""

    @property
    def active(self) -> bool:
        return self._writer is not None and self._writer.is_open

    def start(self, path: str, header: RecordingHeader, initial_events=()) -> None:
        """Open ``path`` (closing any recording in progress) and write the header and ``initial_events``."""
        self.stop(header.start)
        try:
            self._writer = RecordingWriter(path, header)
        except RecordingError as exc:
            self.last_error = str(exc)
            raise
        self.started = header.start
        self.last_error = ""
        self.last_path = str(path)
        for event in initial_events:
            self._writer.write(event)

    def record(self, event) -> None:
        writer = self._writer
        if writer is not None:
            writer.write(event, self.own)
            if writer.error:
                self.last_error = writer.error
                log.error(writer.error)
                self._writer = None

    def source_stopped(self, ts: float) -> None:
        """Write the ``end`` line: the market source stopped at ``ts``."""
        if self._writer is not None:
            self._writer.write_end(ts)

    def stop(self, ts: float) -> None:
        """Close the recording in progress, if any (with an ``end`` line at ``ts``)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.write_end(ts)
            writer.close()
            if writer.error:
                self.last_error = writer.error

    def close(self) -> None:
        """Close the file without another ``end`` line (after ``source_stopped``)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            if writer.error:
                self.last_error = writer.error

    def view(self) -> RecordingView | None:
        writer = self._writer
        if writer is None:
            return None
        return RecordingView(str(writer.path), writer.events, self.started, writer.error or self.last_error)


class OwnFillMarker:
    """Forward ``on_own_fill`` to the feed, marking what it publishes meanwhile as our own doing."""

    def __init__(self, feed, recorder: Recorder) -> None:
        self._feed = feed
        self._recorder = recorder

    def on_own_fill(self, venue: str, symbol: str, side: str, taken) -> None:
        self._recorder.own = True
        try:
            self._feed.on_own_fill(venue, symbol, side, taken)
        finally:
            self._recorder.own = False
