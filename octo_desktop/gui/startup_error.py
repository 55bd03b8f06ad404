"""Why the window cannot open, said in a dialog: a windowed build has no terminal to print it on."""

from __future__ import annotations

TITLE = "Octo cannot start"


def show_startup_error(message: str) -> bool:
    """Show ``message`` in an error dialog until it is dismissed; return False if no display can be opened."""
    try:
        import tkinter
        from tkinter import messagebox

        root = tkinter.Tk()
    except Exception:  # noqa: BLE001 - no display, or no Tk: the message went to stderr already
        return False
    root.withdraw()
    try:
        messagebox.showerror(TITLE, message, parent=root)
    finally:
        root.destroy()
    return True
