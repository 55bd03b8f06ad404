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
from octo_desktop.gui.presenters.format import Row

TREE_STYLE = "Octo.Treeview"
_TAG_COLOURS = {"good": theme.GREEN, "warn": theme.AMBER, "alert": theme.ORANGE, "bad": theme.RED,
                "neutral": theme.TEXT, "dim": theme.TEXT_DIM}


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
    """Wrap a ``tk.Label`` and update it only when its text or colours change.

    The text goes through a ``StringVar`` (a Tcl variable write, ~4 us) rather than ``configure``
    (~12-45 us); colours, which change rarely, through ``configure``.
    """

    __slots__ = ("label", "_var", "_text", "_fg", "_bg")

    def __init__(self, label: tk.Label) -> None:
        self.label = label
        self._text = label.cget("text")
        self._fg = label.cget("fg")
        self._bg = label.cget("bg")
        self._var = tk.StringVar(label, self._text)
        label.configure(textvariable=self._var)

    def set(self, text: str, fg: str | None = None, bg: str | None = None) -> None:
        """Show ``text`` (in ``fg`` on ``bg`` if given), touching Tk only if something changed."""
        if fg is not None and fg != self._fg:
            self.label.configure(fg=fg)
            self._fg = fg
        if bg is not None and bg != self._bg:
            self.label.configure(bg=bg)
            self._bg = bg
        if text != self._text:
            self._var.set(text)
            self._text = text

    @property
    def text(self) -> str:
        """Return the text last shown."""
        return self._text

    @property
    def fg(self) -> str:
        """Return the text colour last set."""
        return self._fg

    @property
    def bg(self) -> str:
        """Return the background colour last set."""
        return self._bg


class LabelTable(tk.Frame):
    """A grid of plain labels: a header row and ``rows`` rows of ``columns`` cells.

    ``show_rows`` grows the grid or hides rows at the end, for a market with another number of venues.
    ``compact`` drops the cells' one-pixel border, two pixels a row, for a column that must fit many rows.
    """

    def __init__(self, master: tk.Misc, columns: Sequence[tuple[str, int, str]], rows: int,
                 font=theme.FONT_MONO, header_font=theme.FONT_SMALL, row_pad: int = 1,
                 column_fonts: dict[int, tuple] | None = None,
                 on_row_click: Callable[[int], None] | None = None, compact: bool = False) -> None:
        super().__init__(master, bg=theme.PANEL_BG)
        self.headers: list[CachedLabel] = []
        self._columns = tuple(columns)
        self._fonts = [(column_fonts or {}).get(col, font) for col in range(len(columns))]
        self._row_pad = row_pad
        self._border = 0 if compact else 1
        self._on_row_click = on_row_click
        self._visible = rows
        has_header = any(title for title, _, _ in columns)
        for col, (title, width, anchor) in enumerate(columns):
            if has_header:
                # Natural width: the cells (another font) set each column's width.
                label = tk.Label(self, text=title, font=header_font, fg=theme.TEXT_MUTED,
                                 bg=theme.PANEL_BG, anchor=anchor, padx=2, pady=0, borderwidth=self._border)
                label.grid(row=0, column=col, sticky="ew")
                self.headers.append(CachedLabel(label))
            self.grid_columnconfigure(col, weight=1 if width > 4 else 0)
        self.cells: list[list[CachedLabel]] = []
        for _ in range(rows):
            self._add_row()

    def _add_row(self) -> None:
        row = len(self.cells)
        cells = []
        for col, (_, width, anchor) in enumerate(self._columns):
            label = tk.Label(self, text="", font=self._fonts[col], fg=theme.TEXT, bg=theme.PANEL_BG,
                             anchor=anchor, width=width, padx=2, pady=self._row_pad,
                             borderwidth=self._border)
            label.grid(row=row + 1, column=col, sticky="ew")
            if self._on_row_click is not None:
                label.bind("<Button-1>", lambda _event, index=row: self._on_row_click(index))
            cells.append(CachedLabel(label))
        self.cells.append(cells)

    def set_cell(self, row: int, column: int, text: str, fg: str | None = None, bg: str | None = None) -> None:
        """Show ``text`` in one cell if it changed."""
        self.cells[row][column].set(text, fg, bg)

    def set_row_background(self, row: int, bg: str) -> None:
        """Paint every cell of a row (e.g. to mark it selected)."""
        for cell in self.cells[row]:
            cell.set(cell.text, None, bg)

    def show_rows(self, count: int) -> None:
        """Show exactly ``count`` rows: add rows if there are fewer, hide the ones past ``count``."""
        if count == self._visible:
            return
        while len(self.cells) < count:
            self._add_row()
        for index, cells in enumerate(self.cells):
            for cell in cells:
                if index < count:
                    cell.label.grid()
                else:
                    cell.label.grid_remove()
        self._visible = count

    @property
    def visible_rows(self) -> int:
        """Return how many rows are shown."""
        return self._visible

    def row_texts(self, row: int) -> tuple[str, ...]:
        """Return the texts a row shows now."""
        return tuple(cell.text for cell in self.cells[row])


class Tooltip:
    """Show ``text()`` in a small borderless window while the pointer rests on ``widget``.

    The text is asked for when the tip opens, so it is always the current one; an empty text opens none.
    ``at_pointer`` opens it next to the pointer rather than below the widget (for a tall list).
    """

    DELAY_MS = 450

    def __init__(self, widget: tk.Misc, text: Callable[[], str], wrap_px: int = 460,
                 at_pointer: bool = False) -> None:
        self.widget = widget
        self._text = text
        self._wrap_px = wrap_px
        self._at_pointer = at_pointer
        self._after: str | None = None
        self.window: tk.Toplevel | None = None
        widget.bind("<Enter>", self._schedule, add="+")
        widget.bind("<Leave>", self.hide, add="+")
        widget.bind("<ButtonPress>", self.hide, add="+")

    def schedule(self) -> None:
        """Open the tip after the usual delay (closing any open one first)."""
        self.hide()
        self._schedule()

    def _schedule(self, _event=None) -> None:
        self._cancel()
        self._after = self.widget.after(self.DELAY_MS, self.show)

    def _cancel(self) -> None:
        if self._after is not None:
            self.widget.after_cancel(self._after)
            self._after = None

    def show(self) -> None:
        """Open the tip now, below the pointer's widget."""
        self._after = None
        text = self._text()
        if not text or self.window is not None or not self.widget.winfo_exists():
            return
        window = tk.Toplevel(self.widget)
        window.withdraw()  # measured first, shown once in place
        window.wm_overrideredirect(True)
        if self._at_pointer:
            x, y = self.widget.winfo_pointerx() + 12, self.widget.winfo_pointery() + 16
        else:
            x = self.widget.winfo_rootx() + 8
            y = self.widget.winfo_rooty() + self.widget.winfo_height() + 4
        tk.Label(window, text=text, font=theme.FONT_SMALL, fg=theme.TEXT, bg=theme.HEADER_BG,
                 justify="left", wraplength=self._wrap_px, padx=6, pady=4, relief="solid",
                 borderwidth=1).pack()
        # Keep the tip on the screen: a tip of column 4 would otherwise run off its right edge.
        window.update_idletasks()
        x = max(0, min(x, self.widget.winfo_screenwidth() - window.winfo_reqwidth() - 4))
        if y + window.winfo_reqheight() > self.widget.winfo_screenheight():
            y = max(0, y - window.winfo_reqheight() - 24)
        window.wm_geometry(f"+{x}+{y}")
        window.deiconify()
        self.window = window

    def hide(self, _event=None) -> None:
        """Close the tip (and forget a pending one)."""
        self._cancel()
        if self.window is not None:
            self.window.destroy()
            self.window = None


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
        self.row_tip: Tooltip | None = None
        self._tip_key: object = None

    def add_row_tips(self, text: Callable[[object], str], wrap_px: int = 560) -> Tooltip:
        """Show ``text(key)`` of the row under the pointer in a tooltip that follows it row by row."""
        self.row_tip = Tooltip(self.tree, lambda: text(self._tip_key) if self._tip_key is not None else "",
                               wrap_px=wrap_px, at_pointer=True)
        self.tree.bind("<Motion>", self._pointer_moved, add="+")
        self.tree.bind("<Leave>", self._pointer_left, add="+")
        return self.row_tip

    def key_at(self, y: int) -> object:
        """Return the key of the row at height ``y`` in the list (None: no row there)."""
        return self._keys_by_iid.get(self.tree.identify_row(y))

    def _pointer_moved(self, event) -> None:
        key = self.key_at(event.y)
        if key != self._tip_key:
            self._tip_key = key
            self.row_tip.schedule()

    def _pointer_left(self, _event=None) -> None:
        self._tip_key = None

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
        self._on_select(self.selected_key())

    def selected_key(self) -> object:
        """Return the key of the selected row (None: no row selected)."""
        selection = self.tree.selection()
        return self._keys_by_iid.get(selection[0]) if selection else None

    def select(self, key: object) -> None:
        """Select the row of ``key`` (as a click would), or clear the selection for None."""
        iid = self._iids.get(key)
        if iid is None:
            self.tree.selection_remove(self.tree.selection())
        else:
            self.tree.selection_set(iid)
            self.tree.see(iid)


class ChoiceBar(tk.Frame):
    """A row of small buttons of which exactly one is chosen: a tab bar or a filter.

    ``buttons[value].invoke()`` chooses ``value`` as a click would: the bar marks it and calls
    ``command(value)``. ``set`` marks a value without calling ``command``.
    """

    SELECTED = ("#1f6aa5", "#144870")  # CustomTkinter's dark segmented-button colours: fill, hover
    UNSELECTED = ("#4a4a4a", "#696969")

    def __init__(self, master: tk.Misc, values: Sequence[str], command: Callable[[str], None],
                 value: str | None = None, height: int = 22, font_size: int = 11, pad_x: int = 8,
                 corner_radius: int = 4) -> None:
        super().__init__(master, bg=theme.PANEL_BG)
        self._command = command
        self.value = value if value is not None else values[0]
        font = ctk.CTkFont(family=theme.FONT_FAMILY, size=font_size)
        self.buttons: dict[str, ctk.CTkButton] = {}
        for col, name in enumerate(values):
            # A CTkButton keeps its corner radius clear on both sides, and its label has a border.
            width = font.measure(name) + 2 * (pad_x + corner_radius + 2)
            fill, hover = self.SELECTED if name == self.value else self.UNSELECTED
            button = ctk.CTkButton(self, text=name, width=width, height=height, corner_radius=corner_radius,
                                   border_spacing=0, font=font, text_color=theme.TEXT, fg_color=fill,
                                   hover_color=hover, command=lambda v=name: self._chosen(v))
            button.grid(row=0, column=col, padx=(0 if col == 0 else 2, 0))
            self.buttons[name] = button

    def _paint(self, name: str, chosen: bool) -> None:
        fill, hover = self.SELECTED if chosen else self.UNSELECTED
        self.buttons[name].configure(fg_color=fill, hover_color=hover)

    def set(self, value: str) -> None:
        """Mark ``value`` as the chosen one (without calling the command)."""
        if value == self.value or value not in self.buttons:
            return
        self._paint(self.value, False)
        self._paint(value, True)
        self.value = value

    def _chosen(self, value: str) -> None:
        self.set(value)
        self._command(value)
