"""The Octo window: the shell around the desks' pages, refreshed by a 20 Hz poll of the runtime's snapshot.

The shell owns what every desk shares: the desk tabs and the risk strip with the trading state and the
kill switch at the top (``desk_bar``), the control bar and the status bar at the bottom, the poll and the
chart loader. Each desk is a page (``desk_page.DeskPage``; the classes are listed in ``pages.DESK_PAGES``)
with its own grid of columns; only the page shown is rendered.

Threads: the runtime thread never touches Tk. This window polls ``runtime.latest_snapshot()`` with
``after`` (poll instead of ``event_generate``: cross-thread Tk events are not reliable) and sends what
the user asks for as commands through ``runtime.submit``. The GUI never writes the database: settings
are persisted by submitting ``SaveSetting``. Opening a recording replaces the runtime the window polls
by a replay runtime; nothing else in the window holds on to the old one.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
import tkinter as tk
from collections import deque
from pathlib import Path
from typing import Sequence
from tkinter import filedialog

import customtkinter as ctk

from octo_desktop import startup
from octo_desktop.config import ConfigError, default_data_dir
from octo_desktop.domain.commands import (
    ControlReplay,
    Halt,
    Resume,
    SaveSetting,
    StartRecording,
    StopRecording,
)
from octo_desktop.domain.snapshot import Snapshot
from octo_desktop.engine.frame_gate import share_interpreter_with_window
from octo_desktop.engine.runtime import RuntimeFailure
from octo_desktop.gui import presenters, theme
from octo_desktop.gui.chart_slot import ChartLoader
from octo_desktop.gui.control_bar import ControlBar
from octo_desktop.gui.desk_bar import DeskBar
from octo_desktop.gui.desk_page import DeskContext, DeskPage
from octo_desktop.gui.pages import DESK_PAGES
from octo_desktop.gui.status_bar import StatusBar
from octo_desktop.gui.widgets import install_styles
from octo_desktop.storage import StorageError

log = logging.getLogger(__name__)

POLL_MS = 50
FRAME_STATS_WINDOW_S = 2.0
GEOMETRY_SAVE_DELAY_MS = 1000
DESK_SETTING = "desk"  # settings key: the desk shown last
BAR_PAD_PX = (5, 3)  # above the desk bar, and between it and the page
PAGE_BOTTOM_PX = 3  # between the page and the control bar


class OctoApp(ctk.CTk):
    """The main window; build it with a started runtime, then run ``mainloop`` (tests pump Tk's events).

    ``desk_pages`` are the page classes to show, one tab each, in order (by default ``DESK_PAGES``).
    """

    def __init__(self, runtime, on_first_frame=None, welcome: bool = False,
                 desk_pages: Sequence[type] = DESK_PAGES) -> None:
        # A runtime at full speed must not starve the window's Tk calls (restored when the window goes).
        self._switch_interval = share_interpreter_with_window()
        ctk.set_appearance_mode("dark")
        ctk.set_default_color_theme("blue")
        super().__init__(fg_color=theme.WINDOW_BG)
        self.runtime = runtime
        config = runtime.config
        # A replay narrows the config to its recording's venues and symbols: the next recording
        # opened starts again from the configuration the window was opened with.
        self._base_config = config
        settings = dict(getattr(runtime, "settings", None) or {})
        self.frame_times_ms: deque[float] = deque(maxlen=4000)
        self._frame_started: deque[float] = deque(maxlen=4000)
        self.gui_error = ""
        self.snapshot: Snapshot | None = None
        self._closing = False
        self._last_sequence: int | None = None
        self._last_status = -1.0
        self._poll_id: str | None = None
        self._geometry_after: str | None = None
        self._geometry_seen: tuple[int, int] | None = None
        self._market = config.market
        self._title = ""
        self._recording_wanted = presenters.PendingChoice()
        self._pause_wanted = presenters.PendingChoice()
        self._speed_wanted = presenters.PendingChoice()

        self.bind("<Configure>", self._on_configure, add="+")
        self._root_configure_only()
        self._set_title(presenters.window_title(config.market))
        width, height = presenters.parse_geometry(settings.get("window_geometry"),
                                                  (self.winfo_screenwidth(), self.winfo_screenheight()))
        self.geometry(f"{width}x{height}")
        self.resizable(True, True)
        install_styles(self)
        # Every tk widget with a -font option first resolves Tk's default font, then replaces it by ours;
        # if no widget holds the default font, it is freed and resolved again (fontconfig) for the next
        # widget: 0.7-1 ms a label. One unmapped label keeps it alive: 0.015 ms a label.
        self._default_font_holder = tk.Label(self)

        # Pages send commands to whichever runtime the window polls when they do (a replay replaces it).
        context = DeskContext(config, settings, lambda command: self.runtime.submit(command))
        self.desks: tuple[DeskPage, ...] = tuple(page_class(context) for page_class in desk_pages)
        if not self.desks or len({desk.key for desk in self.desks}) != len(self.desks):
            raise ValueError("the window needs at least one desk page, each with its own key")
        self.shown_desk: DeskPage | None = None
        self._page_frames: dict[str, tk.Misc] = {}
        self.desk_bar = DeskBar(self, [(desk.key, desk.title) for desk in self.desks], self.show_desk,
                                self.toggle_kill_switch)
        self.desk_bar.grid(row=0, column=0, sticky="ew", pady=(BAR_PAD_PX[0], 0))
        self.desk_bar.show_risk(presenters.risk_headline(None))  # until the engine's first snapshot
        self.page_area = tk.Frame(self, bg=theme.WINDOW_BG)
        self.page_area.grid(row=1, column=0, sticky="nsew", pady=(BAR_PAD_PX[1], PAGE_BOTTOM_PX))
        self.page_area.grid_rowconfigure(0, weight=1)
        self.page_area.grid_columnconfigure(0, weight=1)
        self.grid_rowconfigure(1, weight=1)
        self.grid_columnconfigure(0, weight=1)
        self.control_bar = ControlBar(self, on_record=self.toggle_recording, on_open=self.choose_recording,
                                      on_play_pause=self.toggle_replay_pause, on_speed=self.set_replay_speed,
                                      on_about=self.show_welcome)
        self.control_bar.grid(row=2, column=0, sticky="ew", padx=3)
        self.status_bar = StatusBar(self)
        self.status_bar.grid(row=3, column=0, sticky="ew")

        self.kill_button = self.desk_bar.kill_button
        self.record_button = self.control_bar.record_button
        self.open_button = self.control_bar.open_button
        self.play_button = self.control_bar.play_button
        self.speed_buttons = self.control_bar.speed_buttons
        # matplotlib loads after the first frame (see chart_slot): the tables come first. A page's charts
        # join the loader when the page is built.
        self.chart_loader = ChartLoader(())
        self._chart_turn = 0
        self.first_frame_at: float | None = None  # wall clock (time.time()) of the first frame drawn
        saved_desk = settings.get(DESK_SETTING)
        self.show_desk(saved_desk if any(desk.key == saved_desk for desk in self.desks) else self.desks[0].key)
        self._on_first_frame = on_first_frame
        self._welcome_at_start = welcome
        self.welcome_dialog = None
        self._set_icon()

        self.protocol("WM_DELETE_WINDOW", self.close)
        self.bind_all("<Control-k>", self.halt)
        self.bind_all("<Control-K>", self.halt)
        for index in range(min(9, len(self.desks))):
            self.bind_all(f"<Control-Key-{index + 1}>", lambda _event, i=index: self._desk_key(i))
        self._show_status(time.perf_counter())
        self._poll_id = self.after(1, self._poll)  # the first frame as soon as the window is up
        startup.mark("window_built")

    def _root_configure_only(self) -> None:
        # A binding on the window's tag also fires for every child's <Configure> (a child's bind tags end
        # with its toplevel); CustomTkinter's and ours only care about the window itself. Filtering in Tcl
        # spares a Python call per child resize: hundreds while the columns are laid out, and whenever a
        # label's text changes its size.
        script = self.tk.call("bind", self._w, "<Configure>")
        if script:
            self.tk.call("bind", self._w, "<Configure>", f'if {{"%W" eq "{self._w}"}} {{\n{script}\n}}')

    # ---------------------------------------------------------------------------------------------
    # Desks.
    # ---------------------------------------------------------------------------------------------
    def desk(self, key: str) -> DeskPage:
        """Return the page of desk ``key`` (built or not)."""
        for desk in self.desks:
            if desk.key == key:
                return desk
        raise KeyError(f"no desk {key!r}")

    def show_desk(self, key: str) -> None:
        """Show the page of desk ``key`` in place of the one shown, with the newest snapshot at once."""
        page = self.desk(key)
        if page is self.shown_desk:
            return
        frame = self._page_frames.get(key)
        if frame is None:  # built the first time it is shown
            frame = self._page_frames[key] = page.build(self.page_area)
            frame.grid(row=0, column=0, sticky="nsew")
            self.chart_loader.add(page.charts)
        old, self.shown_desk = self.shown_desk, page
        if old is not None:
            self._page_frames[old.key].grid_remove()
            old.on_hidden()
            frame.grid()
            self.runtime.submit(SaveSetting(DESK_SETTING, key))
        self.desk_bar.select(key)
        self.desk_bar.follow(frame)
        self._fit_window(page)
        self._chart_turn = 0
        page.on_shown()
        if self.first_frame_at is not None:  # else the first frame is the poll's to draw
            snapshot = self.runtime.latest_snapshot()
            if snapshot is not None:
                self._last_sequence = snapshot.sequence
                self.snapshot = snapshot
                self._render(snapshot, time.monotonic())

    def _desk_key(self, index: int) -> str:
        if index < len(self.desks):
            self.show_desk(self.desks[index].key)
        return "break"

    def _fit_window(self, page: DeskPage) -> None:
        # The window cannot get smaller than the page shown asks for, its columns unsqueezed.
        self.update_idletasks()
        frame = self._page_frames[page.key]
        min_width = frame.winfo_reqwidth()  # the bar follows the page's columns: it needs no more
        min_height = (frame.winfo_reqheight() + self.desk_bar.winfo_reqheight() + sum(BAR_PAD_PX) + PAGE_BOTTOM_PX
                      + self.control_bar.winfo_reqheight() + self.status_bar.winfo_reqheight())
        self.minsize(min(min_width, self.winfo_screenwidth()), min(min_height, self.winfo_screenheight()))

    # ---------------------------------------------------------------------------------------------
    # User actions: each becomes a command on the runtime's queue.
    # ---------------------------------------------------------------------------------------------
    def toggle_kill_switch(self) -> None:
        """Halt the engine, or resume it if the latest snapshot says it is halted."""
        snapshot = self.runtime.latest_snapshot()
        if snapshot is not None and snapshot.risk.state.upper() == "HALTED":
            self.runtime.submit(Resume())
        else:
            self.runtime.submit(Halt("kill switch"))

    def halt(self, _event=None) -> str:
        """Halt the engine at once (bound to Ctrl+K)."""
        self.runtime.submit(Halt("kill switch (Ctrl+K)"))
        return "break"

    def toggle_recording(self) -> None:
        """Start recording every market event to a new file in the data folder, or stop recording."""
        now = time.monotonic()
        if self._is_recording(now):
            self.runtime.submit(StopRecording())
            self._recording_wanted.request(False, now)
        else:
            try:
                path = self.new_recording_path()
            except OSError as exc:
                self.control_bar.show_notice(f"cannot create the recordings folder: {exc}")
                return
            self.runtime.submit(StartRecording(str(path)))
            self._recording_wanted.request(True, now)
            self.control_bar.show_notice("")
        self._render_controls(self.snapshot, now)

    def new_recording_path(self) -> Path:
        """Return a fresh ``<data dir>/recordings/octo-<UTC time>.jsonl.gz``, creating the folder."""
        path = presenters.default_recording_path(default_data_dir(), time.time())
        path.parent.mkdir(parents=True, exist_ok=True)
        stem = path.name[: -len(presenters.RECORDING_SUFFIX)]
        serial = 1
        while path.exists():  # two recordings started within one second
            serial += 1
            path = path.with_name(f"{stem}-{serial}{presenters.RECORDING_SUFFIX}")
        return path

    def choose_recording(self) -> None:
        """Ask for a recording file (*.jsonl.gz) and replay it."""
        folder = default_data_dir() / "recordings"
        path = filedialog.askopenfilename(
            parent=self, title="Open recording", initialdir=str(folder) if folder.is_dir() else None,
            filetypes=(("Octo recordings", "*.jsonl.gz"), ("All files", "*")))
        if path:
            self.open_recording(path)

    def open_recording(self, path: str | Path) -> bool:
        """Replace the running runtime by a replay of ``path``; return False (and say why) if it fails.

        The new runtime is started before the old one is stopped, so a file that cannot be replayed
        leaves the current session running untouched.
        """
        # Imported here: only this action needs the composition root's replay wiring.
        from octo_desktop.app import build_replay_runtime
        from octo_desktop.feeds.recording import RecordingError

        name = presenters.file_name(str(path))
        try:
            runtime = build_replay_runtime(self._base_config, path, speed=1.0)
        except (RecordingError, StorageError, ConfigError, OSError) as exc:
            return self._open_failed(path, exc)
        try:
            runtime.start()
        except RuntimeFailure as exc:
            runtime.stop()  # the thread has ended; this closes its store
            return self._open_failed(path, exc.__cause__ or exc)
        self._save_geometry()  # into the user's database, before the replay's temporary one takes over
        old, self.runtime = self.runtime, runtime
        self._forget_runtime_state()
        self._market = "replay"
        self.control_bar.show_notice(f"replaying {name}", theme.TEXT_MUTED)
        log.info("replaying %s", path)
        old.stop()
        return True

    def _open_failed(self, path: str | Path, exc: BaseException) -> bool:
        log.warning("cannot open recording %s: %s", path, exc)
        name = presenters.file_name(str(path))
        # The error names the file already; the file name alone keeps the notice short.
        self.control_bar.show_notice(f"cannot open {name}: {str(exc).replace(str(path), name)}")
        return False

    def _forget_runtime_state(self) -> None:
        # Everything learnt from the old runtime's snapshots; the next poll starts afresh.
        self._last_sequence = None
        self.snapshot = None
        for desk in self.desks:
            desk.reset()
        for pending in (self._recording_wanted, self._pause_wanted, self._speed_wanted):
            pending.clear()

    def toggle_replay_pause(self) -> None:
        """Pause the replay, or resume it."""
        snapshot = self.runtime.latest_snapshot()
        if snapshot is None or snapshot.replay is None:
            return
        now = time.monotonic()
        paused = not self._pause_wanted.shown(snapshot.replay.paused, now)
        self.runtime.submit(ControlReplay(paused=paused))
        self._pause_wanted.request(paused, now)
        self._render_controls(snapshot, now)

    def set_replay_speed(self, label: str) -> None:
        """Replay at the speed of a speed button: "1×", "10×", "100×" or "max"."""
        speed = presenters.replay_speed_value(label)
        self.runtime.submit(ControlReplay(speed=speed, set_speed=True))
        now = time.monotonic()
        self._speed_wanted.request(label, now)
        self._render_controls(self.runtime.latest_snapshot(), now)

    def _is_recording(self, now: float) -> bool:
        actual = self.snapshot is not None and self.snapshot.recording is not None
        return bool(self._recording_wanted.shown(actual, now))

    # ---------------------------------------------------------------------------------------------
    # The poll loop.
    # ---------------------------------------------------------------------------------------------
    def _poll(self) -> None:
        started = time.perf_counter()
        try:
            with self.runtime.frame_gate.frame():  # a runtime at full speed waits while the frame is drawn
                self._frame(started)
        except Exception:
            self.report_callback_exception(*sys.exc_info())
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000.0
            self.frame_times_ms.append(elapsed_ms)
            self._frame_started.append(started)
            # Schedule at the end: a slow callback scheduled at the top would starve Tk's idle queue.
            if not self._closing:
                self._poll_id = self.after(max(1, int(POLL_MS - elapsed_ms)), self._poll)

    def _frame(self, started: float) -> None:
        snapshot = self.runtime.latest_snapshot()
        now = time.monotonic()
        if snapshot is not None and snapshot.sequence != self._last_sequence:
            self._last_sequence = snapshot.sequence
            self.snapshot = snapshot
            self._render(snapshot, now)
            if self.first_frame_at is None:
                self._first_frame()
        if not self.chart_loader.step():
            self._draw_one_chart(now)
        if started - self._last_status >= 0.25:
            self._show_status(started)

    def _first_frame(self) -> None:
        self.update_idletasks()  # the frame is on screen, not only computed
        self.first_frame_at = time.time()
        startup.mark("first_frame")
        self.chart_loader.start()
        if self._welcome_at_start:
            self.after(1, self.show_welcome)
        if self._on_first_frame is not None:
            self._on_first_frame(self)

    @property
    def charts_ready(self) -> bool:
        """Return True once every chart of the pages built is built (shortly after the first frame)."""
        return self.chart_loader.ready

    def welcome_model(self) -> presenters.WelcomeModel:
        """Return the welcome for the market this window shows and the places its data lives."""
        from octo_desktop.config import default_config_path

        config = self._base_config  # a replay's config is the window's, narrowed: same source
        read = config.source != "built-in defaults"
        config_path = Path(config.source) if read else default_config_path()
        return presenters.welcome_model(self._market, len(config.venue_names), len(config.symbols),
                                        Path(self.runtime.database_path), default_data_dir() / "recordings",
                                        config_path, read or config_path.exists(), config.simulation.preset)

    def show_welcome(self) -> None:
        """Show the welcome (first start, or the control bar's About button); raise it if already open."""
        from octo_desktop.gui.welcome import WelcomeDialog

        if self._closing:
            return
        if self.welcome_dialog is not None and self.welcome_dialog.winfo_exists():
            self.welcome_dialog.lift()
            return
        self.welcome_dialog = WelcomeDialog(self, self.welcome_model(), self._welcome_closed)

    def _welcome_closed(self) -> None:
        self.welcome_dialog = None
        if not self._closing:
            self.runtime.submit(SaveSetting(presenters.WELCOME_SETTING, True))

    def _set_icon(self) -> None:
        icon = startup.resource_path("assets", "octo.png")
        if not icon.exists():
            return
        try:
            self._icon = tk.PhotoImage(master=self, file=str(icon))
            self.iconphoto(True, self._icon)
            ico = icon.with_suffix(".ico")
            if sys.platform == "win32" and ico.exists():
                self.iconbitmap(str(ico))  # else CustomTkinter puts its own icon on the title bar
        except tk.TclError:
            log.debug("window icon not set", exc_info=True)

    def _render(self, snapshot: Snapshot, now: float) -> None:
        self._market = snapshot.market
        self._set_title(presenters.window_title(snapshot.market,
                                                snapshot.replay.path if snapshot.replay else ""))
        self.desk_bar.show_risk(presenters.risk_headline(snapshot.risk))
        self.shown_desk.render(snapshot, now)
        self._render_controls(snapshot, now)

    def _render_controls(self, snapshot: Snapshot | None, now: float) -> None:
        recording = snapshot.recording if snapshot is not None else None
        wanted = self._recording_wanted.shown(recording is not None, now)
        engine_time = snapshot.time if snapshot is not None else float("nan")
        self.control_bar.show_recording(presenters.recording_model(recording, engine_time, bool(wanted)),
                                        allowed=self._market != "replay")
        replay = snapshot.replay if snapshot is not None else None
        if replay is None:
            self.control_bar.show_replay(None)
            return
        paused = self._pause_wanted.shown(replay.paused, now)
        speed = self._speed_wanted.shown(presenters.replay_speed_label(replay.speed), now)
        self.control_bar.show_replay(presenters.replay_model(replay, paused=bool(paused), speed=str(speed)))

    def _set_title(self, title: str) -> None:
        if title != self._title:
            self.title(title)
            self._title = title

    @property
    def charts(self) -> tuple:
        """Return the chart slots of every page built, shown or hidden."""
        return self.chart_loader.slots

    def _draw_one_chart(self, now: float) -> None:
        # Round-robin over the charts of the page shown (a hidden page's are never drawn): at most one
        # canvas is redrawn per frame, so each chart refreshes at ~6-7 Hz while the tables refresh at 20 Hz.
        charts = self.shown_desk.charts
        count = len(charts)
        for step in range(count):
            index = (self._chart_turn + step) % count
            chart = charts[index]
            if chart.needs_redraw():
                chart.render(now)
                self._chart_turn = index + 1
                return

    def frame_stats(self, window_s: float = FRAME_STATS_WINDOW_S) -> tuple[float, float]:
        """Return the p50 and p95 of the poll callback's duration over the last ``window_s`` seconds."""
        cutoff = time.perf_counter() - window_s
        recent = [ms for ms, at in zip(self.frame_times_ms, self._frame_started) if at >= cutoff]
        p50, p95 = presenters.percentiles(recent, (50, 95))
        return p50, p95

    def _show_status(self, started: float) -> None:
        self._last_status = started
        p50, p95 = self.frame_stats()
        self.status_bar.show(presenters.status_line(self.snapshot, p50, p95, self.runtime.config.source,
                                                    self.gui_error, self._market, self.runtime.is_running))

    # ---------------------------------------------------------------------------------------------
    # Window size, errors, closing.
    # ---------------------------------------------------------------------------------------------
    def _on_configure(self, event) -> None:
        if event.widget is not self or self._closing:
            return
        size = (event.width, event.height)
        if size == self._geometry_seen:
            return
        self._geometry_seen = size
        if self._geometry_after is not None:
            self.after_cancel(self._geometry_after)
        self._geometry_after = self.after(GEOMETRY_SAVE_DELAY_MS, self._save_geometry)

    def _save_geometry(self) -> None:
        self._geometry_after = None
        self.runtime.submit(SaveSetting("window_geometry", f"{self.winfo_width()}x{self.winfo_height()}"))

    def report_callback_exception(self, exc, val, tb) -> None:
        """Log a failed Tk callback and show it in the status bar instead of losing it."""
        log.error("GUI callback failed", exc_info=(exc, val, tb))
        self.gui_error = f"GUI error: {exc.__name__}: {val}"
        try:
            self.status_bar.error.set(self.gui_error[:90])
        except Exception:  # the status bar itself may be what failed; the log has the error
            log.debug("status bar could not show the error", exc_info=True)

    def close(self) -> None:
        """Save the window size, stop the runtime, cancel pending callbacks and destroy the window."""
        if self._closing:
            return
        self._closing = True
        try:
            self._save_geometry()
        finally:
            try:
                self.runtime.stop(reason="window closed")
            finally:
                self.cancel_pending_callbacks()
                self.destroy()

    def destroy(self) -> None:
        super().destroy()
        sys.setswitchinterval(self._switch_interval)

    def cancel_pending_callbacks(self) -> None:
        """Cancel every pending ``after`` callback (CustomTkinter leaves some behind on destroy)."""
        for after_id in self.tk.splitlist(self.tk.call("after", "info")):
            self.tk.call("after", "cancel", after_id)

    @property
    def is_closing(self) -> bool:
        """Return True once ``close`` has started."""
        return self._closing


def run_gui(runtime, on_first_frame=None, welcome: bool = False) -> int:
    """Show the window for an already started runtime until it is closed; stop the runtime; return 0.

    ``on_first_frame(app)`` (optional) is called on the main thread once the first snapshot is drawn.
    """
    # SIGTERM (a logout, `kill`, a service manager) closes the window as its close button does: settings
    # saved, the engine drained, the database closed. Tk's main loop runs Python signal handlers. The
    # handler is in place before the window exists (building it maps it), and a signal that arrives
    # while it is being built closes it as soon as it is.
    windows: list[OctoApp] = []
    wanted: list[bool] = []

    def terminate(*_) -> None:
        if windows:
            windows[0].after(0, windows[0].close)
        else:
            wanted.append(True)

    # Ctrl+C in the terminal that started the window closes it the same way.
    previous = _on_signal(signal.SIGTERM, terminate)
    previous_interrupt = _on_signal(signal.SIGINT, terminate)
    try:
        app = OctoApp(runtime, on_first_frame=on_first_frame, welcome=welcome)
    except BaseException:
        _on_signal(signal.SIGTERM, previous)
        _on_signal(signal.SIGINT, previous_interrupt)
        raise
    windows.append(app)
    if wanted:
        app.after(0, app.close)
    try:
        app.mainloop()
    finally:
        if not app.is_closing:
            try:
                app.close()
            except Exception:  # the window may already be gone (e.g. destroyed by the window manager)
                log.debug("closing the window failed", exc_info=True)
        if runtime.is_running:
            runtime.stop()
        _on_signal(signal.SIGTERM, previous)
        _on_signal(signal.SIGINT, previous_interrupt)
    return 0


def _on_signal(signum, handler):
    """Install ``handler`` for ``signum`` if this is the main thread; return the previous handler."""
    if handler is None or threading.current_thread() is not threading.main_thread():
        return None
    try:
        return signal.signal(signum, handler)
    except (ValueError, OSError):  # not supported here
        return None
