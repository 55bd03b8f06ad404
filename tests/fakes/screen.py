"""What is on the X display, for tests that start Octo as a separate process."""

from __future__ import annotations

import os
import time

WINDOW_BG = (0x24, 0x24, 0x24)  # theme.WINDOW_BG: the terminal's dark background


def grab(display: str | None = None):
    """Return a screenshot of the whole display (PIL image)."""
    from PIL import ImageGrab

    return ImageGrab.grab(xdisplay=display or os.environ["DISPLAY"]).convert("RGB")


def octo_on_screen(image, min_colours: int = 200) -> bool:
    """Return True if the dark terminal window covers part of the screen with at least ``min_colours``
    distinct colours (text and charts drawn, not an empty or black screen)."""
    colours = image.getcolors(maxcolors=1 << 22) or []
    background = sum(count for count, rgb in colours if rgb == WINDOW_BG)
    return len(colours) >= min_colours and background > 0.02 * image.width * image.height


def heatmap_on_screen(image, min_pixels: int = 10_000) -> bool:
    """Return True if the net-spread heatmap's dark red cells are drawn (the charts have loaded)."""
    red = 0
    for count, (r, g, b) in image.getcolors(maxcolors=1 << 22) or []:
        if 70 <= r <= 170 and r > g + 30 and r > b + 30:
            red += count
    return red >= min_pixels


def wait_for_octo(process, timeout: float = 60.0, charts: bool = False):
    """Return the first screenshot showing Octo's window (with its charts drawn if ``charts``); fail if
    ``process`` ends or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError(f"the process ended (exit {process.returncode}) before its window showed")
        image = grab()
        if octo_on_screen(image) and (not charts or heatmap_on_screen(image)):
            return image
        if time.monotonic() > deadline:
            raise AssertionError(f"no Octo window{' with charts' if charts else ''} on screen within {timeout} s")
        time.sleep(0.25)  # another process draws it: look again
