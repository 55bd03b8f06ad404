"""The router page: the order ticket (parsing it into a ``RouteOrder`` or one clear error, the live preview's
request, the reference price), the route preview (its text, the alternatives, the models of the split bar and
the cost ladder), the parent orders and their children, and the pools (rows, the DLMM bin histogram's model),
the OTC counterparties, the Solana wallet and the quote endpoint. Pure: strings, colours, rows and chart models
from a ``RouterView`` (no Tk, no matplotlib)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Iterable, Mapping, Sequence

from octo_desktop.config import QUOTE_ASSET
from octo_desktop.domain.commands import PreviewRoute, RouteOrder
from octo_desktop.domain.snapshot import (
    DecisionView, ParentOrderView, PoolView, RoutePlanView, RouterView,
)
from octo_desktop.gui import theme
from octo_desktop.gui.presenters.format import (
    ARROW, ASSET_DECIMALS, DASH, MINUS, Row, format_bps, format_duration, format_money, format_price, is_missing,
)

SIDES = ("buy", "sell")
ORDER_TYPES = ("market", "limit", "sniper")
RESTS = ("wait", "cancel")
CONDITIONS = ("price_above", "price_below", "spread", "liquidity")
CONDITION_LABELS = {"price_above": "price above", "price_below": "price below", "spread": "spread (bps)",
                    "liquidity": "liquidity"}
FINAL_STATES = ("filled", "cancelled", "expired", "failed")

# One colour per source, in the order the router lists its options (the books, then the pools, then OTC): the
# split bar's segments, the ladder's lines and the alternatives' names share it, so the list is the legend.
SOURCE_PALETTE = ("#58a6ff", "#f4a261", "#56d364", "#d2a8ff", "#e3b341", "#39c5cf", "#ff7b72", "#a5d6ff",
                  "#7ee787", "#f778ba", "#bc8cff", "#ffdf5d", "#db6d28", "#79c0ff", "#c9d1d9", "#8b949e")
SOURCE_TAGS = {f"source{i}": colour for i, colour in enumerate(SOURCE_PALETTE)}
UNFILLED_COLOUR = "#3b3e44"  # the part of an order no source can take, in the split bar
BIN_BID_COLOUR = "#2e7d4f"  # DLMM bins below the active one: they hold the quote asset (they buy the base)
BIN_ASK_COLOUR = "#a0443d"  # bins above it: they hold the base asset (they sell it)
BIN_ACTIVE_COLOUR = theme.AMBER


def number(value: float) -> str:
    """A quantity or a price as typed, never in exponent form: 500 -> "500", 2000500 -> "2,000,500", 150.25."""
    if is_missing(value):
        return DASH
    text = f"{value:,.8f}".rstrip("0").rstrip(".")
    return ("0" if text in ("-0", "") else text).replace("-", MINUS)


# --- the ticket ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TicketFields:
    """The ticket as typed: every field a string, as the widgets hold it."""

    side: str = "buy"
    asset: str = "SOL"
    quantity: str = ""
    order_type: str = "market"
    limit_price: str = ""
    rest: str = "wait"
    condition: str = "price_above"
    level: str = ""
    condition_quantity: str = ""
    expiry: str = ""  # seconds; empty: never


def enabled_fields(order_type: str, condition: str) -> dict[str, bool]:
    """Which of the ticket's optional fields apply to an order type (the others are greyed out)."""
    sniper = order_type == "sniper"
    return {"limit_price": order_type in ("limit", "sniper"), "rest": order_type in ("limit", "sniper"),
            "condition": sniper, "level": sniper, "condition_quantity": sniper and condition == "liquidity"}


def _number(text: str, name: str) -> float:
    """Parse a field as a finite number, or raise ValueError with one clear line."""
    stripped = text.strip().replace(",", "")
    if not stripped:
        raise ValueError(f"{name}: enter a number")
    try:
        value = float(stripped)
    except ValueError:
        raise ValueError(f"{name}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{name}: {text.strip()!r} is not a finite number")
    return value


def _positive(text: str, name: str) -> float:
    value = _number(text, name)
    if value <= 0:
        raise ValueError(f"{name} must be above 0, got {text.strip()}")
    return value


def _optional_positive(text: str, name: str, default: float) -> float:
    return default if not text.strip() else _positive(text, name)


def parse_ticket(fields: TicketFields, assets: Sequence[str], reference_price: float = math.nan,
                 max_order_usdt: float = math.inf) -> tuple[RouteOrder | None, str]:
    """Turn the ticket into a ``RouteOrder``, or return None with one line saying what to fix.

    Only the fields of the order type count (a market order ignores a limit price left in its field). With a
    reference price, an order above ``router.max_order_usdt`` is refused here as the engine would refuse it.
    """
    try:
        if fields.side not in SIDES:
            raise ValueError(f"side must be buy or sell, got {fields.side!r}")
        if fields.asset not in assets:
            raise ValueError(f"asset: the router trades {', '.join(assets) or 'nothing yet'}")
        quantity = _positive(fields.quantity, "quantity")
        if fields.order_type not in ORDER_TYPES:
            raise ValueError(f"order type must be market, limit or sniper, got {fields.order_type!r}")
        limit_price, rest = math.nan, "wait"
        condition, level, condition_quantity = "", math.nan, 0.0
        if fields.order_type == "limit":
            limit_price = _positive(fields.limit_price, "limit price")
        if fields.order_type in ("limit", "sniper"):
            if fields.rest not in RESTS:
                raise ValueError(f"rest must be wait or cancel, got {fields.rest!r}")
            rest = fields.rest
        if fields.order_type == "sniper":
            limit_price = _optional_positive(fields.limit_price, "limit price", math.nan)
            if fields.condition not in CONDITIONS:
                raise ValueError("a sniper needs a condition: price above, price below, spread or liquidity")
            condition = fields.condition
            label = CONDITION_LABELS[condition]
            level = _number(fields.level, f"{label} level") if condition == "spread" else \
                _positive(fields.level, f"{label} level")
            if condition == "liquidity":
                condition_quantity = _positive(fields.condition_quantity, "liquidity quantity")
        expires_in_s = _optional_positive(fields.expiry, "expiry (seconds)", math.inf)
    except ValueError as exc:
        return None, str(exc)
    if math.isfinite(reference_price) and quantity * reference_price > max_order_usdt:
        return None, (f"{number(quantity)} {fields.asset} is {quantity * reference_price:,.0f} {QUOTE_ASSET} at "
                      f"{number(reference_price)}, above router.max_order_usdt {max_order_usdt:,.0f}")
    return RouteOrder(fields.side, fields.asset, quantity, fields.order_type, limit_price, rest, condition, level,
                      condition_quantity, expires_in_s), ""


def preview_request(fields: TicketFields, assets: Sequence[str]) -> PreviewRoute | None:
    """The live preview the ticket asks for (side, asset, quantity, and a limit price where it applies), or None
    while the ticket does not parse."""
    order, _error = parse_ticket(fields, assets)
    if order is None:
        return None
    return PreviewRoute(order.side, order.asset, order.quantity, order.limit_price)


def ticket_hint(fields: TicketFields, assets: Sequence[str], reference_price: float = math.nan,
                max_order_usdt: float = math.inf) -> tuple[str, str]:
    """The line under the ticket while it is being typed: what to fix (red), or what the Route button sends."""
    if not fields.quantity.strip():
        return "enter a quantity to preview its route", theme.TEXT_MUTED
    order, error = parse_ticket(fields, assets, reference_price, max_order_usdt)
    if order is None:
        return error, theme.RED
    return f"Route sends: {describe_order(order)}", theme.TEXT_MUTED


def describe_order(order: RouteOrder) -> str:
    """One line for a ticket's order: "buy 500 SOL limit at 150.2 (rest waits), expires in 60 s"."""
    text = f"{order.side} {number(order.quantity)} {order.asset} {order.order_type}"
    if math.isfinite(order.limit_price):
        text += f" at {number(order.limit_price)}"
    if order.order_type == "sniper":
        text += " when " + {
            "price_above": f"the price is at or above {number(order.level)}",
            "price_below": f"the price is at or below {number(order.level)}",
            "spread": f"the cross-source spread is at least {number(order.level)} bps",
            "liquidity": f"{number(order.condition_quantity)} is available at or better than {number(order.level)}",
        }[order.condition]
    if order.order_type != "market":
        text += " (the rest waits)" if order.rest == "wait" else " (the rest is cancelled)"
    if math.isfinite(order.expires_in_s):
        text += f", expires in {order.expires_in_s:g} s"
    return text


def engine_answer(decisions: Iterable[DecisionView], since: float) -> tuple[str, str] | None:
    """The engine's answer to the newest route order or cancel sent at ``since`` (engine time) or later."""
    for decision in decisions:  # newest first
        if decision.time < since:
            return None
        text = decision.text
        if text.startswith("route refused") or text.startswith("cancel refused"):
            return text, theme.RED
        if text.startswith("route #") and (" accepted" in text or text.endswith(" cancelled")):
            return text, theme.GREEN
    return None


def reference_text(view: RouterView | None, asset: str, plan: RoutePlanView | None = None,
                   quote: str = QUOTE_ASSET) -> tuple[str, str, str]:
    """The reference price of ``asset``: (price, where it comes from, colour). A price not from the books is a
    fallback, in amber with its age; none at all is red. The live preview's reference, when it is of ``asset``,
    is the newest (the desk refreshes the view's references only when it routes or previews)."""
    if plan is not None and plan.asset == asset and not is_missing(plan.reference_price):
        price = f"{format_price(plan.reference_price)} {quote}"
        if plan.fallback:
            return price, f"fallback: {plan.reference_source}", theme.AMBER
        return price, f"from {plan.reference_source}", theme.TEXT
    reference = view.references.get(asset) if view is not None else None
    if reference is None or is_missing(reference.price):
        return DASH, f"no reference price for {asset} yet", theme.RED
    price = f"{format_price(reference.price)} {quote}"
    if reference.fallback:
        return price, f"fallback: {reference.source}, {_age(reference.age_s)} old", theme.AMBER
    return price, f"from {reference.source}", theme.TEXT


def _age(seconds: float) -> str:
    if is_missing(seconds) or seconds < 0:
        return DASH
    if seconds < 120:
        return f"{seconds:.0f} s"
    return format_duration(seconds)


# --- the preview ------------------------------------------------------------------------------------------
def preview_for(view: RouterView | None, request: PreviewRoute | None) -> RoutePlanView | None:
    """The snapshot's preview if it is the one the ticket asked for (same side, asset and quantity), else None."""
    if view is None or request is None or view.preview is None:
        return None
    plan = view.preview
    if (plan.side, plan.asset) != (request.side, request.asset) or not math.isclose(plan.quantity, request.quantity,
                                                                                    rel_tol=1e-12):
        return None
    return plan


def source_colours(plan: RoutePlanView | None) -> dict[str, str]:
    """Each source's colour, by its place in the plan's options (then its children not among them)."""
    if plan is None:
        return {}
    names = [o.source for o in plan.options]
    names += [c.source for c in plan.children if c.source not in names]
    return {name: SOURCE_PALETTE[i % len(SOURCE_PALETTE)] for i, name in enumerate(names)}


def source_tag(colour: str) -> str:
    """The list tag that paints a row in a source's colour."""
    return f"source{SOURCE_PALETTE.index(colour)}"


def _money(value: float, quote: str = QUOTE_ASSET) -> str:
    return f"{format_money(value, 2)} {quote}"


def _signed_money(value: float) -> str:
    return format_money(value, 2, signed=True)


@dataclass(frozen=True, slots=True)
class PreviewText:
    """The preview's lines, each with its colour."""

    headline: tuple[str, str]
    parts: tuple[str, str]
    versus_single: tuple[str, str]
    versus_exchanges: tuple[str, str]
    meta: tuple[str, str]
    reason: tuple[str, str]


EMPTY_PREVIEW = PreviewText(("", theme.TEXT), ("", theme.TEXT_MUTED), ("", theme.TEXT), ("", theme.TEXT),
                            ("", theme.TEXT_MUTED), ("", theme.TEXT_MUTED))


def preview_text(plan: RoutePlanView | None, waiting: str = "", quote: str = QUOTE_ASSET) -> PreviewText:
    """What the route preview says: the total and average price, the cost parts, the saving against the best
    single source and against the exchanges only, the reference and compute time, and why it does not fill."""
    if plan is None:
        return replace(EMPTY_PREVIEW, headline=(waiting, theme.TEXT_MUTED))
    asset = plan.asset
    decimals = ASSET_DECIMALS.get(asset, 4)
    if plan.filled <= 0:
        headline = (f"{plan.side} {number(plan.quantity)} {asset}: no route", theme.RED)
    else:
        verb = "pays" if plan.side == "buy" else "receives"
        # Short by less than the asset's display precision (a remainder below every lot size, routed in the next
        # round): shown as the whole quantity; the reason line says what is left.
        whole = plan.filled >= plan.quantity * (1 - 1e-9) or \
            f"{plan.filled:.{decimals}f}" == f"{plan.quantity:.{decimals}f}"
        done = f"{number(plan.quantity)}" if whole else f"{plan.filled:.{decimals}f} of {number(plan.quantity)}"
        headline = (f"{plan.side} {done} {asset}: {verb} {_money(abs(plan.total), quote)} · average "
                    f"{format_price(plan.average_price, 4)}", theme.TEXT)
    p = plan.parts
    parts = (f"beyond the mid: impact {format_money(p.impact, 2)} · fees {format_money(p.fees, 2)} · network "
             f"{format_money(p.network, 2)} · delay risk {format_money(p.delay_risk, 2)} · transfer "
             f"{format_money(p.transfer, 2)} = {_money(p.total, quote)}", theme.TEXT_MUTED)
    if plan.filled <= 0:
        single = ("", theme.TEXT)
    elif plan.chosen == "single" and plan.children:
        single = (f"all on {plan.children[0].source}: splitting would not pay", theme.TEXT)
    elif plan.best_single and not is_missing(plan.best_single_total):
        bps = plan.saving / abs(plan.best_single_total) * 10_000.0 if plan.best_single_total else math.nan
        single = (f"vs {plan.best_single} alone ({_money(abs(plan.best_single_total), quote)}): saves "
                  f"{_signed_money(plan.saving)} ({format_bps(bps)} bps)",
                  theme.GREEN if plan.saving > 0.005 else theme.TEXT)
    else:
        single = (f"no single source can fill {number(plan.filled)} {asset} alone: the split is the only way",
                  theme.TEXT)
    if plan.filled <= 0:
        exchanges = ("", theme.TEXT)
    elif is_missing(plan.exchanges_only_total):
        exchanges = ("the exchanges alone cannot fill it (their depth or the funds on them)", theme.TEXT_MUTED)
    else:
        saving = plan.saving_vs_exchanges
        exchanges = (f"vs the exchanges only ({_money(abs(plan.exchanges_only_total), quote)}): saves "
                     f"{_signed_money(saving)}", theme.GREEN if saving > 0.005 else theme.TEXT)
    reference = f"reference {format_price(plan.reference_price)} ({plan.reference_source})"
    meta = (f"{reference} · {len(plan.children)} of {len(plan.options)} sources · computed in "
            f"{plan.compute_ms:.1f} ms", theme.AMBER if plan.fallback else theme.TEXT_MUTED)
    if plan.fallback:
        meta = (f"fallback {meta[0]}", theme.AMBER)
    if plan.reason:
        filled = f"{plan.filled:.{decimals}f}".rstrip("0").rstrip(".") or "0"
        reason = (f"fills {filled} of {number(plan.quantity)} {asset}: {plan.reason}",
                  theme.RED if plan.filled <= 0 else theme.AMBER)
    else:
        reason = ("", theme.TEXT_MUTED)
    return PreviewText(headline, parts, single, exchanges, meta, reason)


def preview_title(plan: RoutePlanView | None) -> str:
    if plan is None:
        return "ROUTE PREVIEW"
    return f"ROUTE PREVIEW · {plan.side} {number(plan.quantity)} {plan.asset} · {plan.chosen}"


def option_tip(plan: RoutePlanView | None, source: object) -> str:
    """A source's tooltip in the alternatives: what the plan takes from it and what that costs, and its note."""
    option = next((o for o in (plan.options if plan is not None else ()) if o.source == source), None)
    if option is None:
        return ""
    text = f"{option.source} ({option.kind})"
    child = next((c for c in plan.children if c.source == source), None)
    if child is not None:
        p = child.parts
        text += (f": takes {number(child.quantity)} at {child.average_price:.4f} all-in; impact {p.impact:.2f}, "
                 f"fees {p.fees:.2f}, network {p.network:.4f}, delay risk {p.delay_risk:.2f} over {child.delay_s:g} s")
    return text + (f"\n{option.note}" if option.note else "")


def option_rows(plan: RoutePlanView | None, colours: Mapping[str, str]) -> list[Row]:
    """Every source the router looked at: name (in its colour), kind, what the plan takes from it, what it could
    take, its best all-in price, what the whole order costs on it alone, and why it is capped or left out."""
    if plan is None:
        return []
    planned = {c.source: c.quantity for c in plan.children}
    decimals = ASSET_DECIMALS.get(plan.asset, 4)
    rows = []
    for option in sorted(plan.options, key=lambda o: (o.source not in planned, -planned.get(o.source, 0.0))):
        taken = planned.get(option.source)
        alone = format_money(abs(option.alone_total), 2) if not is_missing(option.alone_total) else "can't fill"
        rows.append(Row(option.source, (
            option.source, option.kind, f"{taken:.{decimals}f}" if taken else "", _quantity(option.capacity),
            format_price(option.touch, 3), alone, option.note or ""), source_tag(colours.get(option.source,
                                                                                           SOURCE_PALETTE[-1]))))
    return rows


def _quantity(value: float) -> str:
    if is_missing(value):
        return DASH
    if value >= 100_000:
        return compact(value)
    if value >= 100:
        return f"{value:,.1f}"
    return f"{value:,.3f}"


def compact(value: float) -> str:
    """A large amount in a few characters: 1,234 -> "1.23k", 2,024,971 -> "2.02M"."""
    if is_missing(value):
        return DASH
    sign = MINUS if value < 0 else ""
    value = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            scaled = value / limit
            return f"{sign}{scaled:.{2 if scaled < 10 else 1 if scaled < 100 else 0}f}{suffix}"
    return f"{sign}{value:.{2 if value < 10 else 1 if value < 100 else 0}f}"


# --- chart models -----------------------------------------------------------------------------------------
def _round(value: float, digits: int = 9) -> float:
    return float(f"{value:.{digits}g}") if math.isfinite(value) else value


@dataclass(frozen=True, slots=True)
class SplitSegment:
    source: str
    kind: str
    quantity: float
    colour: str


@dataclass(frozen=True, slots=True)
class SplitBarModel:
    """The split as one horizontal bar: each child's share of the order, then the part nothing takes."""

    side: str
    asset: str
    quantity: float  # the whole order
    segments: tuple[SplitSegment, ...]  # largest first

    @property
    def unfilled(self) -> float:
        return max(0.0, self.quantity - sum(s.quantity for s in self.segments))


def split_model(plan: RoutePlanView | None, colours: Mapping[str, str]) -> SplitBarModel | None:
    """The split bar's model (None without a preview). Values are rounded so that a recomputed plan that would
    look the same compares equal (and the chart is not redrawn)."""
    if plan is None:
        return None
    segments = tuple(SplitSegment(c.source, c.kind, _round(c.quantity, 6), colours.get(c.source, SOURCE_PALETTE[-1]))
                     for c in sorted(plan.children, key=lambda c: -c.quantity) if c.quantity > 0)
    return SplitBarModel(plan.side, plan.asset, _round(plan.quantity, 9), segments)


def split_label(segment: SplitSegment, decimals: int = 1) -> tuple[str, ...]:
    """The texts a segment may show, longest first (the chart takes the first that fits)."""
    quantity = f"{segment.quantity:,.{decimals}f}"
    return (f"{segment.source} {quantity}", segment.source, quantity)


@dataclass(frozen=True, slots=True)
class LadderLine:
    """One source's cost ladder: its marginal all-in price against the quantity taken from it."""

    source: str
    colour: str
    quantities: tuple[float, ...]
    prices: tuple[float, ...]
    planned: float  # what the plan takes from it (0: nothing)
    planned_price: float  # its marginal price there (NaN when not used)


@dataclass(frozen=True, slots=True)
class LadderModel:
    side: str
    asset: str
    quantity: float
    lines: tuple[LadderLine, ...]  # in the options' order
    level: float  # the marginal price the split equalises (the worst among the used sources), NaN: none
    price_range: tuple[float, float]  # what the y axis should show

    @property
    def key(self) -> tuple:
        """What calls for new axes: another order or another set of sources."""
        return (self.side, self.asset, self.quantity, tuple(line.source for line in self.lines))


def marginal_at(quantities: Sequence[float], prices: Sequence[float], quantity: float) -> float:
    """The ladder's marginal price at ``quantity`` (linear between its points; NaN off its ends)."""
    # The last point is the source's capacity, rounded like the quantity: a child that takes it all may sit a
    # rounding step beyond it.
    if not quantities or quantity < quantities[0] - 1e-12 or quantity > quantities[-1] * (1 + 1e-6) + 1e-12:
        return math.nan
    for i in range(1, len(quantities)):
        if quantity <= quantities[i]:
            q0, q1 = quantities[i - 1], quantities[i]
            share = (quantity - q0) / (q1 - q0) if q1 > q0 else 1.0
            return prices[i - 1] + (prices[i] - prices[i - 1]) * share
    return prices[-1]


def ladder_model(plan: RoutePlanView | None, colours: Mapping[str, str]) -> LadderModel | None:
    """The cost ladder chart's model: every source's ladder, the used ones with the point the plan takes them
    to, and a price range that shows the touch and the split's level with room beyond it (a ladder that climbs
    far past it runs off the top rather than flattening the rest)."""
    if plan is None:
        return None
    planned = {c.source: c.quantity for c in plan.children}
    lines = []
    for option in plan.options:
        points = [(q, p) for q, p in option.ladder if math.isfinite(q) and math.isfinite(p)]
        if not points:
            continue
        quantities = tuple(_round(q, 7) for q, _ in points)
        prices = tuple(_round(p, 9) for _, p in points)
        taken = planned.get(option.source, 0.0)
        at = marginal_at(quantities, prices, taken) if taken > 0 else math.nan
        lines.append(LadderLine(option.source, colours.get(option.source, SOURCE_PALETTE[-1]), quantities, prices,
                                _round(taken, 7), at))
    if not lines:
        return LadderModel(plan.side, plan.asset, plan.quantity, (), math.nan, (math.nan, math.nan))
    buy = plan.side == "buy"
    touches = [line.prices[0] for line in lines]
    best = min(touches) if buy else max(touches)
    used = [line.planned_price for line in lines if math.isfinite(line.planned_price)]
    level = (max(used) if buy else min(used)) if used else math.nan
    every = [p for line in lines for p in line.prices]
    if math.isfinite(level):
        span = max(abs(level - best), abs(best) * 2e-4)
        low, high = (best - 0.25 * span, level + 1.5 * span) if buy else (level - 1.5 * span, best + 0.25 * span)
        low, high = max(low, min(every)), min(high, max(every))
        if high - low < span:  # every ladder stays close: show them all
            low, high = min(every), max(every)
    else:
        low, high = min(every), max(every)
    return LadderModel(plan.side, plan.asset, plan.quantity, tuple(lines), level, (low, high))


@dataclass(frozen=True, slots=True)
class BinsModel:
    """A DLMM pool's bins around the active one: price, liquidity (in the quote asset), the active bin's index."""

    pool: str
    quote: str
    prices: tuple[float, ...]
    liquidity: tuple[float, ...]
    active: int  # index into prices (-1: none)

    def colours(self) -> tuple[str, ...]:
        """Each bar's colour: the active bin, the bins below it (quote: bids), above it (base: asks)."""
        return tuple(BIN_ACTIVE_COLOUR if i == self.active else BIN_BID_COLOUR if i < self.active else
                     BIN_ASK_COLOUR for i in range(len(self.prices)))


def bins_model(pool: PoolView | None) -> BinsModel | None:
    """The bin histogram's model of a DLMM pool (None for another kind or without bins). The active bin is the
    one at the pool's mid (the view names its id, not its place among the bins)."""
    if pool is None or pool.kind != "dlmm" or not pool.bins:
        return None
    prices = tuple(float(p) for p, _ in pool.bins)
    liquidity = tuple(round(float(q), 6) for _, q in pool.bins)
    active = -1
    if math.isfinite(pool.mid) and pool.mid > 0:
        active = min(range(len(prices)), key=lambda i: abs(math.log(prices[i] / pool.mid)) if prices[i] > 0
                     else math.inf)
    return BinsModel(pool.name, pool.quote, prices, liquidity, active)


def bin_widths(prices: Sequence[float]) -> tuple[float, ...]:
    """Each bar's width: 90 % of the smaller gap to its neighbours (bins are a geometric series; a gap where a bin
    is missing does not widen its neighbours)."""
    if len(prices) < 2:
        return tuple(abs(p) * 1e-3 for p in prices)
    gaps = [abs(prices[i + 1] - prices[i]) for i in range(len(prices) - 1)]
    widths = []
    for i in range(len(prices)):
        near = [g for g in (gaps[i - 1] if i > 0 else None, gaps[i] if i < len(gaps) else None) if g]
        widths.append(0.9 * min(near) if near else 0.0)
    return tuple(widths)


# --- execution ------------------------------------------------------------------------------------------
def _state_tag(state: str) -> str:
    return {"filled": "good", "cancelled": "dim", "expired": "dim", "failed": "bad", "lost": "bad",
            "partial": "warn", "partially filled": "warn", "sent": "neutral", "routing": "neutral",
            "pending": "neutral"}.get(state, "neutral")


def is_open(order: ParentOrderView) -> bool:
    return order.state not in FINAL_STATES


def order_rows(view: RouterView | None) -> list[Row]:
    """The parent orders, open first (the desk's order): id, what, type, state, filled of quantity, average
    all-in price, saving against the best single source."""
    if view is None:
        return []
    rows = []
    for o in view.orders:
        decimals = ASSET_DECIMALS.get(o.asset, 4)
        kind = o.order_type if is_missing(o.limit_price) else f"{o.order_type} {number(o.limit_price)}"
        rows.append(Row(o.order_id, (
            f"#{o.order_id}", f"{o.side} {number(o.quantity)} {o.asset}", kind, o.state,
            f"{_trim(o.filled, decimals)}/{number(o.quantity)}", format_price(o.average_price, 4),
            format_money(o.saving, 2, signed=True) if not is_missing(o.saving) else DASH),
            "warn" if is_open(o) else _state_tag(o.state)))
    return rows


def _trim(value: float, decimals: int) -> str:
    """A quantity at the asset's decimals (a fill of 499.999999999 shows as 500)."""
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def order_total(order: ParentOrderView) -> float:
    """What the order paid (a buy) or received (a sell) so far, everything included: filled x average."""
    return order.filled * order.average_price if order.filled > 0 and not is_missing(order.average_price) else 0.0


def order_detail(order: ParentOrderView | None, now: float, quote: str = QUOTE_ASSET) -> str:
    """The selected order in a few lines: what and how much is done at what total, its saving, its condition,
    expiry and the desk's latest reason."""
    if order is None:
        return "no route yet: send one with the ticket"
    decimals = ASSET_DECIMALS.get(order.asset, 4)
    verb = "paid" if order.side == "buy" else "received"
    lines = [f"#{order.order_id} {order.side} {number(order.quantity)} {order.asset} {order.order_type}"
             + (f" at {number(order.limit_price)}" if not is_missing(order.limit_price) else "") + f": {order.state}"]
    if order.filled > 0:
        lines.append(f"filled {_trim(order.filled, decimals)} at {format_price(order.average_price, 4)} average: "
                     f"{verb} {_money(order_total(order), quote)}")
    if not is_missing(order.saving):
        against = f" against {order.best_single} alone" if order.best_single else " against the best single source"
        lines.append(f"saved {_signed_money(order.saving)} {quote}{against}")
    elif order.plan is not None and order.plan.filled > 0 and not order.best_single:
        lines.append("no single source could have filled it alone")
    if order.condition:
        lines.append(f"when {order.condition}")
    if math.isfinite(order.expires_at) and is_open(order):
        lines.append(f"expires in {format_duration(max(0.0, order.expires_at - now))}")
    if order.reason:
        lines.append(order.reason)
    return "\n".join(lines)


def short_fee(fee: str) -> str:
    """A child's fee without trailing zeros: "0.01834700 SOL" -> "0.018347 SOL"."""
    amount, _, asset = fee.partition(" ")
    if not amount:
        return ""
    try:
        value = Decimal(amount)
    except ArithmeticError:
        return fee
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {asset}".strip()


def child_rows(order: ParentOrderView | None) -> list[Row]:
    """The children of an order, in the order they were sent: id, state, source, quantity, expected price, the
    average it got, its fee, its note."""
    if order is None:
        return []
    decimals = ASSET_DECIMALS.get(order.asset, 4)
    rows = []
    for c in order.children:
        quantity = _trim(c.quantity, decimals) if c.state != "partial" else \
            f"{_trim(c.filled, decimals)}/{_trim(c.quantity, decimals)}"
        rows.append(Row(c.child_id, (c.child_id, c.state, c.source, quantity, format_price(c.expected_price, 3),
                                     format_price(c.average_price, 3), short_fee(c.fee), c.note), _state_tag(c.state)))
    return rows


def child_note(order: ParentOrderView | None, child_id: object) -> str:
    """The child's note, for its tooltip and the line under the list."""
    if order is None:
        return ""
    for c in order.children:
        if c.child_id == child_id:
            moved = ""
            if c.filled > 0 and not is_missing(c.expected_price) and c.expected_price > 0:
                moved = f" (average {format_bps((c.average_price / c.expected_price - 1.0) * 10_000.0)} bps " \
                        f"from expected)"
            return f"{c.child_id} on {c.source} ({c.kind}), round {c.round}: {c.state}{moved}; {c.note}"
    return ""


def execution_title(view: RouterView | None) -> str:
    counts = view.counts if view is not None else {}
    return "EXECUTION · " + (", ".join(f"{n} {state}" for state, n in counts.items()) or "no route yet")


def saved_text(view: RouterView | None, quote: str = QUOTE_ASSET) -> tuple[str, str]:
    """The history's total saving against the best single source."""
    if view is None:
        return "", theme.TEXT_MUTED
    saved = view.saved_total
    return (f"saved {_signed_money(saved)} {quote} against the best single source, over every routed order",
            theme.GREEN if saved > 0.005 else theme.TEXT_MUTED)


# --- pools ----------------------------------------------------------------------------------------------
def pool_rows(view: RouterView | None) -> list[Row]:
    """Each pool: name, kind, mid, its gap to the exchanges' mid (bps), fee (bps), reserves (base / quote). A gap
    wider than the fee (an arbitrageur's signal) is amber."""
    if view is None:
        return []
    rows = []
    for p in view.pools:
        wide = not is_missing(p.gap_bps) and not is_missing(p.fee_bps) and abs(p.gap_bps) > p.fee_bps
        rows.append(Row(p.name, (p.name, p.kind, format_price(p.mid, 3), format_bps(p.gap_bps),
                                 format_bps(p.fee_bps, 1, signed=False),
                                 f"{compact(p.reserve_base)} / {compact(p.reserve_quote)}"),
                        "warn" if wide else "neutral"))
    return rows


def pool_detail(pool: PoolView | None) -> str:
    """One pool in full: pair and kind, mid against the exchanges', fee, reserves, and a DLMM's bins."""
    if pool is None:
        return ""
    base_decimals = ASSET_DECIMALS.get(pool.base, 4)
    text = (f"{pool.name} · {pool.kind} {pool.base}/{pool.quote} · mid {format_price(pool.mid, 4)} vs the "
            f"exchanges' {format_price(pool.exchange_mid, 4)} ({format_bps(pool.gap_bps)} bps) · fee "
            f"{format_bps(pool.fee_bps, 2, signed=False)} bps\nreserves "
            f"{format_money(pool.reserve_base, base_decimals)} {pool.base} + {format_money(pool.reserve_quote, 2)} "
            f"{pool.quote}")
    if pool.kind == "dlmm":
        text += f" · active bin {pool.active_bin} · bin step {pool.bin_step} bps · {len(pool.bins)} bins shown"
    return text


def dlmm_pool(view: RouterView | None, chosen: str | None, asset: str) -> PoolView | None:
    """The DLMM pool the histogram shows: the one chosen, else the first of the ticket's asset, else the first."""
    if view is None:
        return None
    dlmms = [p for p in view.pools if p.kind == "dlmm"]
    for p in dlmms:
        if p.name == chosen:
            return p
    return next((p for p in dlmms if p.base == asset), dlmms[0] if dlmms else None)


def otc_rows(view: RouterView | None) -> list[Row]:
    """Each OTC counterparty and asset: what it can still take, its block limits, its spread for a minimum
    block, its settlement delay."""
    if view is None:
        return []
    rows = []
    for o in view.otc:
        rows.append(Row((o.name, o.asset), (
            o.name, o.asset, _quantity(o.available), f"{_quantity(o.min_quantity)}{ARROW}{_quantity(o.max_quantity)}",
            format_bps(o.spread_bps, 1, signed=False), f"{o.delay_s:g} s"), "neutral" if o.available > 0 else "dim"))
    return rows


def wallet_text(view: RouterView | None) -> str:
    """The Solana wallet's balances, one asset a line."""
    if view is None or not view.wallet:
        return "the Solana wallet is empty"
    return "\n".join(f"{format_money(amount, ASSET_DECIMALS.get(asset, 4))} {asset}"
                     for asset, amount in sorted(view.wallet.items()))


def endpoint_text(view: RouterView | None) -> tuple[str, str]:
    """Where the Jupiter-style /quote endpoint is served, or that it is not."""
    if view is None or not view.quote_endpoint:
        return "quote endpoint: off (router.quote_endpoint = false)", theme.TEXT_MUTED
    return f"quote endpoint: {view.quote_endpoint}", theme.TEXT
