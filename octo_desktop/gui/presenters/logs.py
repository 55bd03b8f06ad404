"""Column 4's log tabs on the arbitrage page: the decision log, the AI advisor's log with today's spend,
and the spoofing events.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from octo_desktop.domain.advice import AdviceRecord
from octo_desktop.domain.snapshot import AdvisorView, Snapshot, SpoofEventView
from octo_desktop.gui import theme
from octo_desktop.gui.presenters.format import (
    DASH,
    Row,
    format_bps,
    format_clock,
    format_count,
    format_money,
    format_ms,
    format_price,
    format_size,
    is_missing,
    plural,
    route,
    short_symbol,
    shorten,
)

DECISION_COLUMNS = (("time", 50), ("sym", 30), ("buy→sell", 86), ("decision", 170))


def decision_rows(snapshot: Snapshot, limit: int = 50) -> tuple[Row, ...]:
    """Return the newest decisions first; accepted ones tagged good, rejected ones warn."""
    rows = []
    seen: dict[tuple, int] = {}
    for decision in snapshot.decisions[:limit]:
        base_key = (decision.time, decision.symbol, decision.buy_venue, decision.sell_venue,
                    decision.accepted, decision.text)
        # Identical decisions at the same instant stay distinct rows.
        count = seen.get(base_key, 0)
        seen[base_key] = count + 1
        rows.append(Row((*base_key, count), (
            format_clock(decision.time), short_symbol(decision.symbol),
            route(decision.buy_venue, decision.sell_venue),
            ("✔ " if decision.accepted else "✖ ") + decision.text),
            "good" if decision.accepted else "warn"))
    return tuple(rows)

LOG_TABS = ("Decisions", "AI log", "Spoofing")
VERDICT_FILTERS = ("EXECUTE", "SKIP", "WAIT")
FALLBACK_FILTER = "Fallback"
ADVICE_FILTERS = ("All", *VERDICT_FILTERS, FALLBACK_FILTER)
FALLBACK_MARK = "*"  # after the advisor's name when the rule advisor stood in for the configured one
# Widths in px for the list font; latency, cost, tokens and the reason are in the detail line and the
# row tooltip, as a 350 px column cannot hold nine readable columns.
ADVICE_COLUMNS = (("time", 50), ("route", 104), ("by", 40), ("verdict", 52), ("conf", 28), ("outcome", 60))
SPOOF_COLUMNS = (("time", 50), ("venue", 48), ("sym", 28), ("side", 28), ("price", 58), ("size", 42),
                 ("life", 34), ("dist", 44))
SPEND_WARN_SHARE = Decimal("0.8")  # the spend line turns amber from this share of the daily cap
ADVICE_DETAIL_CHARS = 60  # a line under the AI log; the whole record is in the tooltip
LOG_ROWS = 100  # the most rows the AI log and the spoofing log list


def format_tokens(count: int) -> str:
    """Format a token count: "850", "9.8k", "12k", "1.2M"."""
    if count >= 999_500:
        return f"{count / 1_000_000:.1f}M"
    if count >= 9_950:
        return f"{count / 1000:.0f}k"
    if count >= 1000:
        return f"{count / 1000:.1f}k"
    return str(count)


def format_usd(value: Decimal, decimals: int = 3) -> str:
    """Format US dollars ("$0.031")."""
    return f"${value:,.{decimals}f}"


def format_latency_ms(value: float) -> str:
    """Format an advisor's latency: two decimals below 1 ms (the rule advisor), whole ms above."""
    if is_missing(value) or value < 0:
        return DASH
    if value < 1:
        return f"{value:.2f}"
    return format_ms(value)


@dataclass(frozen=True, slots=True)
class AdvisorHeader:
    """The lines above the AI log: who advises, today's spend against the cap."""

    title: str
    spend: str
    spend_colour: str


def advisor_header(advisor: AdvisorView | None) -> AdvisorHeader:
    """Return the advisor's name and model, and today's calls, tokens and cost against the cap, and the budget.

    The spend line turns amber from 80 % of the cap and red at the cap (the rule advisor then decides).
    """
    if advisor is None:
        return AdvisorHeader("advisor: waiting for the engine", "", theme.TEXT_DIM)
    title = f"{advisor.name} · {advisor.model}"
    if advisor.pending:
        title += f" · {advisor.pending} pending"
    if advisor.name == "rule" and not advisor.calls:
        return AdvisorHeader(title, "offline and instant: no remote calls, no cost", theme.TEXT_MUTED)
    spend = (f"{plural(advisor.calls, 'call')} · {format_tokens(advisor.tokens_in)}/"
             f"{format_tokens(advisor.tokens_out)} tokens · {format_usd(advisor.cost_usd)} of "
             f"{format_usd(advisor.cap_usd, 2)} today · budget {format_ms(advisor.budget_ms)} ms")
    cap = advisor.cap_usd
    if cap > 0 and advisor.cost_usd >= cap:
        colour = theme.RED
    elif cap > 0 and advisor.cost_usd >= cap * SPEND_WARN_SHARE:
        colour = theme.AMBER
    else:
        colour = theme.TEXT_MUTED
    return AdvisorHeader(title, spend, colour)


def advice_by(record: AdviceRecord) -> str:
    """Return who answered: the advisor's name, marked "*" when the rule advisor stood in."""
    return f"{record.advisor}{FALLBACK_MARK}" if record.fallback else record.advisor


def is_not_traded(outcome: str) -> bool:
    """Return True for an outcome that says the advice led to no trade ("not traded (skip)", ...)."""
    return outcome.startswith("not traded")


def advice_outcome(record: AdviceRecord) -> tuple[str, str]:
    """Return the outcome cell and its list tag: the realized bps of a trade (green win, red loss),
    "pending", "not traded" or "refused" by risk (amber); a failed trade without a result is red."""
    if not record.outcome:
        return "pending", "warn"
    if record.realized_bps is not None and not is_missing(record.realized_bps):
        pnl = record.realized_pnl if record.realized_pnl is not None else record.realized_bps
        tag = "good" if pnl > 0 else "bad" if pnl < 0 else "neutral"
        return f"{format_bps(record.realized_bps)} bps", tag
    if record.outcome in ("failed", "rolled back"):
        return record.outcome, "bad"
    if record.outcome in ("open", "complete"):
        return record.outcome, "neutral"
    # Why it did not trade is in the detail line and the tooltip; the cell keeps to the verdict's fate.
    if is_not_traded(record.outcome):
        return "not traded", "warn"
    if record.outcome.startswith("refused"):
        return "refused", "warn"
    return record.outcome, "warn"


def advice_matches(record: AdviceRecord, choice: str) -> bool:
    """Return True if ``record`` passes the filter ``choice`` (see ``ADVICE_FILTERS``)."""
    if choice == FALLBACK_FILTER:
        return bool(record.fallback)
    if choice in VERDICT_FILTERS:
        return record.verdict == choice
    return True


def advice_rows(snapshot: Snapshot, choice: str = "All", limit: int = LOG_ROWS) -> tuple[Row, ...]:
    """Return the newest advice records first that pass the filter, keyed by advice id."""
    advisor = snapshot.advisor
    if advisor is None:
        return ()
    rows = []
    for record in advisor.log:
        if not advice_matches(record, choice):
            continue
        outcome, tag = advice_outcome(record)
        rows.append(Row(record.advice_id, (
            format_clock(record.time), f"{short_symbol(record.symbol)} {route(record.buy_venue, record.sell_venue)}",
            advice_by(record), record.verdict, f"{record.confidence:.2f}", outcome), tag))
        if len(rows) >= limit:
            break
    return tuple(rows)


def find_advice(snapshot: Snapshot | None, advice_id: object) -> AdviceRecord | None:
    """Return the advice record with this id if it is still in the snapshot's AI log."""
    if snapshot is None or snapshot.advisor is None or advice_id is None:
        return None
    for record in snapshot.advisor.log:
        if record.advice_id == advice_id:
            return record
    return None


def advice_outcome_text(record: AdviceRecord) -> str:
    """Return how the advice ended, in words: "complete · trade #75 · +1.88 USDT · +42.4 bps"."""
    parts = [record.outcome or "pending"]
    if record.trade_id is not None:
        parts.append(f"trade #{record.trade_id}")
    if record.realized_pnl is not None:
        parts.append(f"{format_money(record.realized_pnl, 2, signed=True)} USDT")
    if record.realized_bps is not None and not is_missing(record.realized_bps):
        parts.append(f"{format_bps(record.realized_bps)} bps")
    return " · ".join(parts)


def advice_detail(record: AdviceRecord | None) -> str:
    """Return everything about one advice, one fact a line (the row tooltip)."""
    if record is None:
        return ""
    verdict = f"{record.verdict} {record.confidence:.2f}"
    if record.size_cap_usdt is not None:
        verdict += f" · size cap {record.size_cap_usdt:,.0f} USDT"
    lines = [
        f"#{record.advice_id} {record.symbol} {route(record.buy_venue, record.sell_venue)} · "
        f"net {format_bps(record.net_bps)} bps · {verdict}",
        f"by {advice_by(record)} ({record.model}) · {format_latency_ms(record.latency_ms)} ms · "
        f"{format_tokens(record.tokens_in)}/{format_tokens(record.tokens_out)} tokens · "
        f"{format_usd(record.cost_usd, 4)}",
        f"reason: {record.reason}",
    ]
    if record.fallback:
        lines.append(f"fallback: {record.fallback}")
    lines.append(f"outcome: {advice_outcome_text(record)}")
    return "\n".join(lines)


def advice_summary(snapshot: Snapshot, advice_id: object,
                   chars: int = ADVICE_DETAIL_CHARS) -> tuple[str, str]:
    """Return the two lines under the AI log and their colour, each cut to ``chars``.

    For the chosen record: who answered, latency, cost and outcome, then the fallback reason (amber)
    or the advisor's reason. With none chosen: the advisor's last error (red), else this run's verdicts.
    """
    record = find_advice(snapshot, advice_id)
    if record is not None:
        first = (f"{advice_by(record)} · {format_latency_ms(record.latency_ms)} ms · "
                 f"{format_usd(record.cost_usd, 4)} · {record.outcome or 'pending'}")
        if record.realized_pnl is not None:
            first += f" {format_money(record.realized_pnl, 2, signed=True)} USDT"
        if record.fallback:
            return f"{shorten(first, chars)}\n{shorten(f'fallback: {record.fallback}', chars)}", theme.AMBER
        return f"{shorten(first, chars)}\n{shorten(record.reason, chars)}", theme.TEXT_MUTED
    advisor = snapshot.advisor
    if advisor is None:
        return "no advisor report yet", theme.TEXT_DIM
    counts = " · ".join(f"{verdict} {format_count(advisor.verdicts.get(verdict, 0))}"
                        for verdict in VERDICT_FILTERS)
    fallbacks = sum(1 for record in advisor.log if record.fallback)
    if advisor.last_error:
        return f"{shorten(f'last error: {advisor.last_error}', chars)}\nthis run: {counts}", theme.RED
    if not advisor.log:
        return "no advice yet: the advisor is asked about each\nopportunity before it is traded", theme.TEXT_DIM
    return (f"this run: {counts} · {plural(fallbacks, 'fallback')}\n"
            f"click a row for its reason, cost and outcome"), theme.TEXT_MUTED


def spoof_rows(snapshot: Snapshot, limit: int = LOG_ROWS) -> tuple[Row, ...]:
    """Return the newest spoofing events first; bids green, asks red."""
    rows = []
    seen: dict[tuple, int] = {}
    for event in snapshot.spoof_events[:limit]:
        base_key = (event.time, event.venue, event.symbol, event.side, event.price)
        count = seen.get(base_key, 0)  # two events alike at the same instant stay distinct rows
        seen[base_key] = count + 1
        rows.append(Row((*base_key, count), (
            format_clock(event.time), event.venue, short_symbol(event.symbol), event.side,
            format_price(event.price), format_size(event.size), f"{event.lifetime_s:.1f}s",
            format_bps(event.distance_bps, 1, signed=False)), "good" if event.side == "bid" else "bad"))
    return tuple(rows)


def find_spoof(snapshot: Snapshot | None, key: object) -> SpoofEventView | None:
    """Return the spoofing event of a ``spoof_rows`` key if it is still in the snapshot."""
    if snapshot is None or not isinstance(key, tuple) or len(key) != 6:
        return None
    matches = [e for e in snapshot.spoof_events if (e.time, e.venue, e.symbol, e.side, e.price) == key[:5]]
    return matches[key[5]] if key[5] < len(matches) else None


def spoof_detail(event: SpoofEventView | None) -> str:
    """Return one spoofing event in words (the row tooltip)."""
    if event is None:
        return ""
    traded = f"{format_size(event.traded)} traded" if event.traded > 0 else "none of it traded"
    return (f"{format_clock(event.time)} {event.venue} {event.symbol}: a {format_size(event.size)} {event.side} "
            f"at {format_price(event.price)}, {format_bps(event.distance_bps, 1, signed=False)} bps from the "
            f"touch, pulled after {event.lifetime_s:.1f} s as the price came near; {traded}")


def spoof_summary(snapshot: Snapshot, window_s: float = 60.0) -> tuple[str, str]:
    """Return the line above the spoofing log: this run's count, the last minute's, the busiest venue."""
    if not snapshot.spoof_count and not snapshot.spoof_events:
        return "no spoofing detected yet", theme.TEXT_DIM
    recent = sum(1 for e in snapshot.spoof_events if snapshot.time - e.time <= window_s)
    venues: dict[str, int] = {}
    for event in snapshot.spoof_events:
        venues[event.venue] = venues.get(event.venue, 0) + 1
    busiest, count = max(sorted(venues.items()), key=lambda kv: kv[1]) if venues else (DASH, 0)
    text = (f"{plural(snapshot.spoof_count, 'event')} this run · {recent} in the last minute"
            f" · most: {busiest} ({count} listed)")
    return text, theme.AMBER if recent else theme.TEXT_MUTED
