"""What a desk's page is to the window: the page protocol, what the shell gives a page, and its columns.

The shell (``app.OctoApp``) owns what every desk shares: the desk tabs, the risk strip with the trading
state and the kill switch, the control bar, the status bar, the 20 Hz poll and the chart loader. Each
desk (arbitrage today; treasury, router, basis, OTC and reports later) is one page: a frame with its own
grid of columns. The shell constructs every page class of ``pages.DESK_PAGES`` as ``page_class(context)``
and builds a page the first time it is shown. Only the page shown is rendered, once per new snapshot;
a hidden page renders nothing and its charts are not drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar, Mapping, Protocol, runtime_checkable

from octo_desktop.config import Config
from octo_desktop.domain.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class DeskContext:
    """What the shell gives a page: the configuration and saved settings the window was opened with, and
    ``submit``, which sends a command to the runtime the window polls now (a replay replaces it)."""

    config: Config
    settings: Mapping[str, object]
    submit: Callable[[object], None]


@runtime_checkable
class DeskPage(Protocol):
    """One desk's page in the window."""

    key: ClassVar[str]  # a stable name: the saved setting and ``OctoApp.desk(key)``
    title: ClassVar[str]  # the text of the page's tab
    charts: tuple  # the page's ``chart_slot.ChartSlot``s, empty before ``build``

    def build(self, parent):
        """Create the page's widgets in a new frame of ``parent`` and return it; the shell places it and
        lines the desk tabs, the trading state and the kill switch up with the columns of its grid's
        first row."""

    def render(self, snapshot: Snapshot, now: float) -> None:
        """Show ``snapshot`` (``now`` is ``time.monotonic()``); called only while the page is shown."""

    def on_shown(self) -> None:
        """Called when the page becomes the one shown, before it renders the newest snapshot."""

    def on_hidden(self) -> None:
        """Called when another page is shown instead; the page renders nothing until shown again."""

    def reset(self) -> None:
        """Forget what the page learnt from the snapshots of a runtime the window no longer polls."""


OUTER_PAD, INNER_PAD = 6, 3  # pixels between a column and the window's edge, and between two columns


def place_columns(frame, columns, weights) -> None:
    """Grid a page's columns side by side in row 0 of ``frame``: each gets at least what its content asks
    for (so no table is ever squeezed and clipped), and spare width goes by ``weights``."""
    last = len(columns) - 1
    for index, column in enumerate(columns):
        column.grid(row=0, column=index, sticky="nsew",
                    padx=(OUTER_PAD if index == 0 else INNER_PAD, OUTER_PAD if index == last else INNER_PAD))
    frame.grid_rowconfigure(0, weight=1)
    frame.update_idletasks()
    for index, (column, weight) in enumerate(zip(columns, weights)):
        frame.grid_columnconfigure(index, weight=weight, minsize=column.winfo_reqwidth())
