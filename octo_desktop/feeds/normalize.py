"""Pure helpers for live feeds: check a venue's book, turn successive full books into deltas,
verify OKX checksums, and space out reconnects. No asyncio, no ccxt.
"""

from __future__ import annotations

import math
import random
import zlib
from dataclasses import dataclass

INF = math.inf


class BadBookData(ValueError):
    """A book from a venue that must not be applied; ``kind`` is "invalid" or "crossed"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def side_to_dict(levels, side: str) -> dict[float, float]:
    """Return price -> size for one side of a venue book ([price, size, ...] rows); reject bad rows.

    Prices must be finite and positive, sizes finite and positive (a full book has no empty levels).
    """
    result: dict[float, float] = {}
    for row in levels:
        price, size = row[0], row[1]
        if not (0.0 < price < INF) or not (0.0 < size < INF):
            raise BadBookData("invalid", f"{side} level {price!r} x {size!r} is not a positive finite number")
        result[price] = size
    return result


def check_not_crossed(bids: dict[float, float], asks: dict[float, float]) -> None:
    """Raise BadBookData if the best bid is at or above the best ask."""
    if bids and asks:
        best_bid, best_ask = max(bids), min(asks)
        if best_bid >= best_ask:
            raise BadBookData("crossed", f"crossed book: bid {best_bid!r} >= ask {best_ask!r}")


def diff_side(old: dict[float, float], new: dict[float, float]) -> list[tuple[float, float]]:
    """Return the level changes that turn ``old`` into ``new`` (size 0 deletes a level)."""
    changes = [(price, size) for price, size in new.items() if old.get(price) != size]
    changes.extend((price, 0.0) for price in old if price not in new)
    return changes


def okx_number(value: float) -> str:
    """Format a float the way OKX writes prices and sizes: shortest form, no exponent, no trailing zeros."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        mantissa, exponent = text.lower().split("e")
        digits = mantissa.replace(".", "").lstrip("-")
        point = (mantissa.index(".") if "." in mantissa else len(mantissa)) + int(exponent)
        if point <= 0:
            text = "0." + "0" * (-point) + digits
        elif point >= len(digits):
            text = digits + "0" * (point - len(digits))
        else:
            text = digits[:point] + "." + digits[point:]
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def okx_checksum(bids, asks, depth: int = 25) -> int:
    """OKX's book checksum: signed CRC32 of the top 25 levels, bid and ask interleaved.

    ``bids`` best first and ``asks`` best first, as (price, size) rows.
    """
    parts: list[str] = []
    for i in range(depth):
        if i < len(bids):
            parts += (okx_number(bids[i][0]), okx_number(bids[i][1]))
        if i < len(asks):
            parts += (okx_number(asks[i][0]), okx_number(asks[i][1]))
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


@dataclass
class Backoff:
    """Exponential backoff with full jitter, capped: delays for successive failed attempts."""

    initial: float
    maximum: float
    rng: random.Random
    failures: int = 0

    def next_delay(self) -> float:
        """Return the wait before the next attempt, and count one more failure."""
        ceiling = min(self.maximum, self.initial * (2 ** min(self.failures, 30)))
        self.failures += 1
        return ceiling * (0.5 + 0.5 * self.rng.random())

    def reset(self) -> None:
        self.failures = 0
