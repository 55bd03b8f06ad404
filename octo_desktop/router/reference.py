"""The reference price a route's costs are measured against, with where it came from. Pure.

In order of preference:

1. *the books*: the median mid of the exchange books that are fresh and not crossed (at least
   ``min_books`` of them);
2. *HTTP sources*: prices other services reported (name, price, when), the freshest within ``max_age_s``;
3. *the last known price*: whatever was used last, with its age.

Anything but the first is a fallback, and says so: ``Reference.fallback`` is what the window's indicator
shows. With nothing at all the price is NaN and the reason says why; the router then refuses to route.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, slots=True)
class Reference:
    price: float
    source: str  # "books (6 of 8)", "http coingecko", "last known"
    as_of: float  # when the price was observed (engine seconds)
    fallback: bool  # not from the books

    def age(self, now: float) -> float:
        return max(0.0, now - self.as_of)

    def describe(self, now: float) -> str:
        if not math.isfinite(self.price):
            return f"no reference price: {self.source}"
        text = f"{self.price:g} from {self.source}"
        if self.fallback:
            text += f", {self.age(now):.0f} s old (fallback)"
        return text


def reference_price(mids: Iterable[tuple[str, float, float, bool]], http: Iterable[tuple[str, float, float]],
                    last: Reference | None, now: float, *, min_books: int = 2, max_age_s: float = 30.0) -> Reference:
    """Choose the reference price. ``mids`` are (venue, mid, received_time, usable) per exchange book;
    ``http`` (name, price, received_time) per HTTP source; ``last`` the previous reference."""
    mids = list(mids)
    usable = [(venue, mid, time) for venue, mid, time, ok in mids
              if ok and math.isfinite(mid) and mid > 0 and now - time <= max_age_s]
    if len(usable) >= min_books:
        price = statistics.median(mid for _, mid, _ in usable)
        return Reference(price, f"books ({len(usable)} of {len(mids)})", max(t for _, _, t in usable), False)
    fresh = [(name, price, time) for name, price, time in http
             if math.isfinite(price) and price > 0 and now - time <= max_age_s]
    if fresh:
        name, price, time = max(fresh, key=lambda item: (item[2], item[0]))
        return Reference(price, f"http {name}", time, True)
    if last is not None and math.isfinite(last.price):
        return Reference(last.price, "last known", last.as_of, True)
    why = f"fewer than {min_books} fresh books, no fresh HTTP price and no earlier price"
    return Reference(math.nan, why, now, True)


def price_api_prices(body: object, mints: dict[str, str]) -> tuple[dict[str, float], str]:
    """Read a reply of Jupiter's Price API v3 (``GET /price/v3?ids=MINT,...``:
    ``{"<mint>": {"usdPrice": 147.47, "blockId": ..., "decimals": 9, "priceChange24h": ...}, ...}``; a mint it
    has no price for is left out). ``mints`` is asset -> mint. Return asset -> price, and one line on what was
    wrong with the body ("" when nothing was): a body that is not an object, a price that is not a positive
    finite number."""
    if not isinstance(body, dict):
        return {}, f"the price reply is {type(body).__name__}, not an object"
    prices: dict[str, float] = {}
    problems = []
    for asset, mint in mints.items():
        entry = body.get(mint)
        if entry is None:
            continue
        price = entry.get("usdPrice") if isinstance(entry, dict) else None
        if isinstance(price, bool) or not isinstance(price, (int, float)) or not math.isfinite(price) or price <= 0:
            problems.append(f"{asset}: usdPrice {price!r} is not a positive number")
            continue
        prices[asset] = float(price)
    return prices, "; ".join(problems)
