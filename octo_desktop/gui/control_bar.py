"""The control bar above the status bar: record the session, open a recording, drive a replay.

The bar only shows models from ``presenters`` and hands the user's clicks to the callbacks it was
built with; the window turns them into commands. CustomTkinter widgets redraw their canvas on every
``configure``/``set``, so each is touched only when what it shows changes.
"""

from __future__ import annotations

import tkinter as tk
from typing import Callable

import customtkinter as ctk

from octo_desktop.gui import presenters, theme
from octo_desktop.gui.presenters.controls import RecordingModel, ReplayModel
from octo_desktop.gui.widgets import CachedLabel, Tooltip

BAR_BG = theme.WINDOW_BG
PROGRESS_WIDTH_PX = 260


class ControlBar(tk.Frame):
    """Record toggle and its status; replay play/pause, speed, progress; "Open recording…"; notices."""

    def __init__(self, master, on_record: Callable[[], None], on_open: Callable[[], None],
                 on_play_pause: Callable[[], None], on_speed: Callable[[str], None],
                 on_about: Callable[[], None] | None = None) -> None:
        super().__init__(master, bg=BAR_BG)
        font = ctk.CTkFont(family=theme.FONT_FAMILY, size=12, weight="bold")
        small = ctk.CTkFont(family=theme.FONT_FAMILY, size=12)

        self.record_button = ctk.CTkButton(self, text=presenters.REC_BUTTON_OFF, width=86, height=26,
                                           corner_radius=5, font=font, fg_color=theme.RAISED_BG,
                                           hover_color="#404040", text_color=theme.TEXT, command=on_record)
        self.record_button.grid(row=0, column=0, padx=(6, 6), pady=3)
        self.recording = CachedLabel(tk.Label(self, text="not recording", font=theme.FONT_SMALL,
                                              fg=theme.TEXT_DIM, bg=BAR_BG, anchor="w", width=52))
        self.recording.label.grid(row=0, column=1, sticky="w")
        self._recording_full = ""
        Tooltip(self.recording.label, lambda: self._recording_full)
        self._record_shown: tuple[str, str, str] | None = None
        self._record_allowed = True

        # The replay controls share one frame, shown only while the market is a replay.
        self.replay_frame = tk.Frame(self, bg=BAR_BG)
        self.play_button = ctk.CTkButton(self.replay_frame, text="❚❚  Pause", width=86, height=26,
                                         corner_radius=5, font=font, fg_color=theme.ACCENT,
                                         command=on_play_pause)
        self.play_button.grid(row=0, column=0, padx=(0, 8))
        self.speed_buttons = ctk.CTkSegmentedButton(
            self.replay_frame, values=[name for name, _ in presenters.REPLAY_SPEEDS], height=26, font=small,
            command=on_speed)
        self.speed_buttons.grid(row=0, column=1, padx=(0, 10))
        self.progress = ctk.CTkProgressBar(self.replay_frame, width=PROGRESS_WIDTH_PX, height=10,
                                           progress_color=theme.ACCENT)
        self.progress.set(0.0)
        self.progress.grid(row=0, column=2, padx=(0, 10))
        self.position = CachedLabel(tk.Label(self.replay_frame, text="", font=theme.FONT_MONO_SMALL,
                                             fg=theme.TEXT, bg=BAR_BG, anchor="w"))
        self.position.label.grid(row=0, column=3, sticky="w", padx=(0, 10))
        self.replay_status = CachedLabel(tk.Label(self.replay_frame, text="", font=theme.FONT_SMALL,
                                                  fg=theme.TEXT_MUTED, bg=BAR_BG, anchor="w", width=24))
        self.replay_status.label.grid(row=0, column=4, sticky="w")
        self._replay_visible = False
        self._play_shown: tuple[str, bool] | None = None
        self._speed_shown: str | None = None
        self._progress_shown = 0.0

        self.notice = CachedLabel(tk.Label(self, text="", font=theme.FONT_SMALL, fg=theme.RED, bg=BAR_BG,
                                           anchor="e"))
        self.notice.label.grid(row=0, column=3, sticky="ew", padx=(10, 8))
        self._notice_full = ""
        Tooltip(self.notice.label, lambda: self._notice_full)
        self.open_button = ctk.CTkButton(self, text="Open recording…", width=130, height=26,
                                         corner_radius=5, font=small, fg_color=theme.RAISED_BG,
                                         hover_color="#404040", text_color=theme.TEXT, command=on_open)
        self.open_button.grid(row=0, column=4, padx=(0, 6), pady=3)
        self.about_button = ctk.CTkButton(self, text="About", width=64, height=26, corner_radius=5, font=small,
                                          fg_color=theme.RAISED_BG, hover_color="#404040", text_color=theme.TEXT,
                                          command=on_about or (lambda: None))
        self.about_button.grid(row=0, column=5, padx=(0, 6), pady=3)
        Tooltip(self.about_button, lambda: "What Octo does, paper trading, and where your data is stored")
        self.grid_columnconfigure(3, weight=1)

    # --- recording --------------------------------------------------------------------------------
    def show_recording(self, model: RecordingModel, allowed: bool) -> None:
        """Show the record toggle and its line; hide both when recording is not ``allowed`` (a replay)."""
        if allowed != self._record_allowed:
            for widget in (self.record_button, self.recording.label):
                if allowed:
                    widget.grid()
                else:
                    widget.grid_remove()
            self._record_allowed = allowed
        if not allowed:
            return
        shown = (model.button_text, model.button_colour, model.button_hover)
        if shown != self._record_shown:
            self.record_button.configure(text=model.button_text, fg_color=model.button_colour,
                                         hover_color=model.button_hover,
                                         text_color="#ffffff" if model.is_recording else theme.TEXT)
            self._record_shown = shown
        self.recording.set(model.text, model.text_colour)
        self._recording_full = model.full_text

    # --- replay -----------------------------------------------------------------------------------
    def show_replay(self, model: ReplayModel | None) -> None:
        """Show the replay controls for ``model``, or hide them when there is no replay."""
        if model is None:
            if self._replay_visible:
                self.replay_frame.grid_remove()
                self._replay_visible = False
            return
        if not self._replay_visible:
            self.replay_frame.grid(row=0, column=2, sticky="w", padx=(4, 0))
            self._replay_visible = True
        play = (model.play_text, model.can_play)
        if play != self._play_shown:
            self.play_button.configure(text=model.play_text, state="normal" if model.can_play else "disabled",
                                       fg_color=theme.ACCENT if model.can_play else theme.RAISED_BG)
            self._play_shown = play
        if model.speed != self._speed_shown:
            self.speed_buttons.set(model.speed)
            self._speed_shown = model.speed
        if model.progress != self._progress_shown:
            self.progress.set(model.progress)
            self._progress_shown = model.progress
        self.position.set(model.position)
        self.replay_status.set(model.status, model.status_colour)

    @property
    def replay_visible(self) -> bool:
        """Return True while the replay controls are shown."""
        return self._replay_visible

    @property
    def progress_value(self) -> float:
        """Return the fraction the progress bar shows."""
        return self._progress_shown

    # --- notices ----------------------------------------------------------------------------------
    def show_notice(self, text: str, colour: str = theme.RED) -> None:
        """Show a one-line message at the right (e.g. why a recording could not be opened)."""
        self._notice_full = text
        self.notice.set(presenters.shorten(text, 90), colour)
