"""Regenerate Octo's application icons: ``python assets/make_icons.py``.

Writes, next to this script:

- ``octo.png``  256x256 RGBA (Linux .desktop icon, window icon)
- ``octo.ico``  16, 24, 32, 48, 64, 128 and 256 px (Windows exe and installer)
- ``octo.icns`` (macOS app bundle)

The mark: a dark rounded square (the terminal's window colour) holding an
"O" made of eight thick arc segments, one per octopus arm, in the accent blue
and the bid green, with a small rising tick line inside. Everything is drawn at
4x and downsampled with Lanczos for smooth edges; the small sizes are drawn by
a simpler recipe (no inner line) so they stay recognisable at 16-32 px.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent

BG = (0x24, 0x24, 0x24, 255)  # gui/theme.py WINDOW_BG
BORDER = (0x3A, 0x3A, 0x3A, 255)
ACCENT = (0x3B, 0x8E, 0xD0, 255)  # gui/theme.py ACCENT
GREEN = (0x3F, 0xB9, 0x50, 255)  # gui/theme.py GREEN

SUPERSAMPLE = 4
ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]
ICNS_SIZES = [16, 32, 64, 128, 256, 512, 1024]
DETAIL_MIN = 48  # below this size, drop the inner tick line


def _arc_polygon(cx, cy, r_out, r_in, a0, a1, steps=64):
    """Points of an annular sector from angle a0 to a1 (degrees, clockwise from 3 o'clock)."""
    pts = []
    for i in range(steps + 1):
        a = math.radians(a0 + (a1 - a0) * i / steps)
        pts.append((cx + r_out * math.cos(a), cy + r_out * math.sin(a)))
    for i in range(steps, -1, -1):
        a = math.radians(a0 + (a1 - a0) * i / steps)
        pts.append((cx + r_in * math.cos(a), cy + r_in * math.sin(a)))
    return pts


def _draw(size: int) -> Image.Image:
    """The icon at ``size`` px, rendered at SUPERSAMPLE x and downsampled."""
    s = size * SUPERSAMPLE
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)

    # Rounded-square plate with a 1-step lighter rim.
    margin = round(s * (0.02 if size <= 32 else 0.04))
    radius = round(s * 0.22)
    d.rounded_rectangle((margin, margin, s - 1 - margin, s - 1 - margin), radius=radius, fill=BORDER)
    rim = max(SUPERSAMPLE, round(s * 0.008))
    d.rounded_rectangle(
        (margin + rim, margin + rim, s - 1 - margin - rim, s - 1 - margin - rim),
        radius=radius - rim,
        fill=BG,
    )

    # The "O": eight segments with small gaps, alternating blue and green,
    # starting at 12 o'clock. Small sizes get a thicker ring and wider gaps.
    cx = cy = s / 2
    small = size < DETAIL_MIN
    r_out = s * (0.37 if small else 0.34)
    thickness = s * (0.13 if small else 0.095)
    r_in = r_out - thickness
    gap = 9.0 if small else 7.0  # degrees between segments
    for k in range(8):
        a0 = -90 + k * 45 + gap / 2
        a1 = -90 + (k + 1) * 45 - gap / 2
        colour = ACCENT if k % 2 == 0 else GREEN
        d.polygon(_arc_polygon(cx, cy, r_out, r_in, a0, a1), fill=colour)

    if not small:
        # A rising tick line inside the ring: the arbitrage spread opening up.
        w = max(SUPERSAMPLE, round(s * 0.035))
        pts = [
            (cx - s * 0.135, cy + s * 0.075),
            (cx - s * 0.045, cy - s * 0.01),
            (cx + s * 0.025, cy + s * 0.045),
            (cx + s * 0.13, cy - s * 0.075),
        ]
        d.line(pts, fill=GREEN, width=w, joint="curve")
        for x, y in (pts[0], pts[-1]):
            d.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=GREEN)
        dot = w * 1.1
        x, y = pts[-1]
        d.ellipse((x - dot, y - dot, x + dot, y + dot), fill=ACCENT)

    return img.resize((size, size), Image.LANCZOS)


def main() -> int:
    out = HERE
    master = _draw(256)
    master.save(out / "octo.png")

    icos = {n: _draw(n) for n in ICO_SIZES}
    # Pillow's ICO writer takes the largest image and the others via append_images.
    icos[256].save(
        out / "octo.ico",
        format="ICO",
        sizes=[(n, n) for n in ICO_SIZES],
        append_images=[icos[n] for n in ICO_SIZES if n != 256],
    )

    icns = {n: _draw(n) for n in ICNS_SIZES}
    icns[1024].save(
        out / "octo.icns",
        format="ICNS",
        append_images=[icns[n] for n in ICNS_SIZES if n != 1024],
    )

    # Verify what was written reopens.
    with Image.open(out / "octo.png") as im:
        assert im.size == (256, 256) and im.mode == "RGBA", (im.size, im.mode)
    with Image.open(out / "octo.ico") as im:
        got = sorted(im.info.get("sizes", set()))
        assert got == [(n, n) for n in ICO_SIZES], got
    with Image.open(out / "octo.icns") as im:
        im.load()
        assert im.size[0] >= 256, im.size
    for name in ("octo.png", "octo.ico", "octo.icns"):
        p = out / name
        print(f"{p}  {p.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
