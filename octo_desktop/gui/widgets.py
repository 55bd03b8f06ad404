"""Cheap building blocks shared by the views: label grids, dark Treeview lists, section headers.

Plain ``tkinter`` widgets are used for everything updated at 20 Hz: a ``tk.Label`` reconfigure costs a
few tens of microseconds, a ``CTkLabel`` redraws its canvas. Every setter compares with the value it
last set and skips the Tcl call when nothing changed.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Callable, Sequence

import customtkinter as ctk

from octo_desktop.gui import theme
from octo_desktop.gui.presenters import Row

TREE_STYLE = "Octo.Treeview"
_TAG_COLOURS = {"good": theme.GREEN, "warn": theme.AMBER, "bad": theme.RED, "neutral": theme.TEXT,
                "dim": theme.TEXT_DIM}


def install_styles(master: tk.Misc) -> None:
    """Style ttk Treeviews and scrollbars dark, to match CustomTkinter's dark theme."""
    style = ttk.Style(master)
    style.theme_use("clam")
    style.configure(TREE_STYLE, background=theme.PANEL_BG, fieldbackground=theme.PANEL_BG,
                    foreground=theme.TEXT, rowheight=18, borderwidth=0, relief="flat",
                    font=theme.FONT_LIST)
    style.map(TREE_STYLE, background=[("selected", "#1f538d")], foreground=[("selected", theme.TEXT)])
    style.layout(TREE_STYLE, [("Treeview.treearea", {"sticky": "nswe"})])
    style.configure(f"{TREE_STYLE}.Heading", background=theme.RAISED_BG, foreground=theme.TEXT_MUTED,
                    relief="flat", borderwidth=0, font=theme.FONT_SMALL, padding=(2, 1))
    style.map(f"{TREE_STYLE}.Heading", background=[("active", theme.RAISED_BG)],
              foreground=[("active", theme.TEXT)])
    style.configure("Octo.Vertical.TScrollbar", background=theme.RAISED_BG, troughcolor=theme.PANEL_BG,
                    bordercolor=theme.PANEL_BG, arrowcolor=theme.TEXT_MUTED, lightcolor=theme.RAISED_BG,
                    darkcolor=theme.RAISED_BG, gripcount=0, arrowsize=10)
    style.map("Octo.Vertical.TScrollbar", background=[("active", "#4a4a4a")])


def panel(master: tk.Misc, title: str) -> tuple[ctk.CTkFrame, tk.Label]:
    """Return a dark column frame with a header label in row 0; content goes in rows 1 and below."""
    frame = ctk.CTkFrame(master, corner_radius=6, fg_color=theme.PANEL_BG)
    frame.grid_columnconfigure(0, weight=1)
    header = tk.Label(frame, text=title, font=theme.FONT_HEADER, fg=theme.TEXT, bg=theme.PANEL_BG,
                      anchor="w")
    header.grid(row=0, column=0, sticky="ew", padx=10, pady=(6, 2))
    return frame, header


def section_label(master: tk.Misc, text: str) -> tk.Label:
    """Return a small muted caption that introduces a block inside a column."""
    return tk.Label(master, text=text, font=theme.FONT_BOLD, fg=theme.TEXT_MUTED, bg=theme.PANEL_BG,
                    anchor="w")


class CachedLabel:
    """Wrap a ``tk.Label`` and update it only when its text or colour changes.

    The text goes through a ``StringVar`` (a Tcl variable write, ~4 us) rather than ``configure``
    (~12-45 us); colours, which change rarely, through ``configure``.
    """

    __slots__ = ("label", "_var", "_text", "_fg")

    def __init__(self, label: tk.Label) -> None:
        self.label = label
        self._text = label.cget("text")
        self._fg = label.cget("fg")
        self._var = tk.StringVar(label, self._text)
        label.configure(textvariable=self._var)

    def set(self, text: str, fg: str | None = None) -> None:
        """Show ``text`` (in ``fg`` if given), touching Tk only if something changed."""
        if fg is not None and fg != self._fg:
            self.label.configure(fg=fg)
            self._fg = fg
        if text != self._text:
            self._var.set(text)
            self._text = text

    @property
    def text(self) -> str:
        """Return the text last shown."""
        return self._text


class LabelTable(tk.Frame):
    """A fixed grid of plain labels: a header row and ``rows`` rows of ``columns`` cells."""

    def __init__(self, master: tk.Misc, columns: Sequence[tuple[str, int, str]], rows: int,
                 font=theme.FONT_MONO, header_font=theme.FONT_SMALL, row_pad: int = 1) -> None:
        super().__init__(master, bg=theme.PANEL_BG)
        self.headers: list[CachedLabel] = []
        has_header = any(title for title, _, _ in columns)
        for col, (title, width, anchor) in enumerate(columns):
            if has_header:
                # Natural width: the cells (another font) set each column's width.
                label = tk.Label(self, text=title, font=header_font, fg=theme.TEXT_MUTED,
                                 bg=theme.PANEL_BG, anchor=anchor, padx=2, pady=0)
                label.grid(row=0, column=col, sticky="ew")
                self.headers.append(CachedLabel(label))
            self.grid_columnconfigure(col, weight=1 if width > 4 else 0)
        self.cells: list[list[CachedLabel]] = []
        for row in range(rows):
            cells = []
            for col, (_, width, anchor) in enumerate(columns):
                label = tk.Label(self, text="", font=font, fg=theme.TEXT, bg=theme.PANEL_BG,
                                 anchor=anchor, width=width, padx=2, pady=row_pad)
                label.grid(row=row + 1, column=col, sticky="ew")
                cells.append(CachedLabel(label))
            self.cells.append(cells)

    def set_cell(self, row: int, column: int, text: str, fg: str | None = None) -> None:
        """Show ``text`` in one cell if it changed."""
        self.cells[row][column].set(text, fg)

    def row_texts(self, row: int) -> tuple[str, ...]:
        """Return the texts a row shows now."""
        return tuple(cell.text for cell in self.cells[row])


class ListView(tk.Frame):
    """A dark ``ttk.Treeview`` list that applies new rows by key: insert, delete, update what changed."""

    def __init__(self, master: tk.Misc, columns: Sequence[tuple[str, int]], height: int = 10,
                 anchors: Sequence[str] | None = None,
                 on_select: Callable[[object], None] | None = None) -> None:
        super().__init__(master, bg=theme.PANEL_BG)
        names = [f"c{i}" for i in range(len(columns))]
        self.tree = ttk.Treeview(self, columns=names, show="headings", height=height, style=TREE_STYLE,
                                 selectmode="browse")
        for i, (name, (title, width)) in enumerate(zip(names, columns)):
            anchor = anchors[i] if anchors else "w"
            self.tree.heading(name, text=title, anchor=anchor)
            self.tree.column(name, width=width, minwidth=20, anchor=anchor,
                             stretch=i == len(columns) - 1)
        for tag, colour in _TAG_COLOURS.items():
            self.tree.tag_configure(tag, foreground=colour)
        scrollbar = ttk.Scrollbar(self, orient="vertical", command=self.tree.yview,
                                  style="Octo.Vertical.TScrollbar")
        self.tree.configure(yscrollcommand=scrollbar.set)
        self.tree.grid(row=0, column=0, sticky="nsew")
        scrollbar.grid(row=0, column=1, sticky="ns")
        self.grid_rowconfigure(0, weight=1)
        self.grid_columnconfigure(0, weight=1)
        self._keys: list[object] = []
        self._iids: dict[object, str] = {}
        self._shown: dict[object, tuple[tuple[str, ...], str]] = {}
        self._keys_by_iid: dict[str, object] = {}
        self._on_select = on_select
        if on_select is not None:
            self.tree.bind("<<TreeviewSelect>>", self._selected)

    def show(self, rows: Sequence[Row]) -> bool:
        """Make the list show ``rows`` in order; return True if anything changed."""
        keys = [row.key for row in rows]
        if keys == self._keys and all(self._shown[r.key] == (r.values, r.tag) for r in rows):
            return False
        wanted = set(keys)
        for key in [k for k in self._keys if k not in wanted]:
            iid = self._iids.pop(key)
            del self._shown[key], self._keys_by_iid[iid]
            self.tree.delete(iid)
        kept_order = [k for k in self._keys if k in wanted]
        if kept_order != [k for k in keys if k in self._iids]:
            # Rows changed their relative order (rare): move every kept row into place.
            for index, key in enumerate(k for k in keys if k in self._iids):
                self.tree.move(self._iids[key], "", index)
        for index, row in enumerate(rows):
            shown = (row.values, row.tag)
            iid = self._iids.get(row.key)
            if iid is None:
                iid = self.tree.insert("", index, values=row.values, tags=(row.tag,))
                self._iids[row.key] = iid
                self._keys_by_iid[iid] = row.key
                self._shown[row.key] = shown
            elif self._shown[row.key] != shown:
                self.tree.item(iid, values=row.values, tags=(row.tag,))
                self._shown[row.key] = shown
        self._keys = keys
        return True

    def _selected(self, _event) -> None:
        selection = self.tree.selection()
        key = self._keys_by_iid.get(selection[0]) if selection else None
        self._on_select(key)
