"""Presenters of the order flow, the adaptive threshold, the AI log and the spoofing log. No Tk."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest

from octo_desktop.domain.advice import AdviceRecord
from octo_desktop.domain.model import Route
from octo_desktop.domain.snapshot import (
    LIVE,
    AdvisorView,
    BookView,
    FlowView,
    RiskView,
    Snapshot,
    SpoofEventView,
    SpreadMatrixView,
    SymbolSignalsView,
    frozen_array,
    frozen_mapping,
)
from octo_desktop.gui import presenters as p
from octo_desktop.gui import theme

NAN = float("nan")
NOW = 1_717_000_100.0
VENUES = ("binance", "okx")
SYMBOL = "BTC/USDT"


def flow(venue, imbalance=0.25, cvd=14.2, drift=1.64, direction=0.31, suspect=False) -> FlowView:
    return FlowView(venue, imbalance, cvd, 0.4, 30.0, drift, direction, suspect)


def signals(threshold=5.91, base=5.0, vol=0.91, market=-0.17, flows=None) -> SymbolSignalsView:
    if flows is None:
        flows = (flow("binance", -0.778, -0.61, -1.617, -0.346), flow("okx", 0.0312, 1234.5, NAN, 0.01, True))
    return SymbolSignalsView(SYMBOL, threshold, base, vol, market, tuple(flows))


def record(advice_id, verdict="EXECUTE", *, fallback="", outcome="complete", pnl="1.88", bps=42.37,
           advisor="rule", model="rules", **changes) -> AdviceRecord:
    values = dict(
        advice_id=advice_id, time=NOW - 100 + advice_id, opportunity_id=100 + advice_id,
        route=Route("SOL/USDT", "binance", "okx"), net_bps=42.4, advisor=advisor, model=model, verdict=verdict,
        confidence=0.824, reason="net 42.4 bps over a 5.9 bps threshold", size_cap_usdt=None, latency_ms=0.031,
        fallback=fallback, trade_id=70 + advice_id if verdict == "EXECUTE" else None, outcome=outcome,
        realized_pnl=Decimal(pnl) if pnl is not None else None, realized_bps=bps)
    values.update(changes)
    return AdviceRecord(**values)


def advisor_view(log=(), **changes) -> AdvisorView:
    values = dict(name="openai", model="gpt-4o", budget_ms=1500.0, pending=0, day="2024-05-29", calls=12,
                  tokens_in=9_800, tokens_out=612, cost_usd=Decimal("0.031"), cap_usd=Decimal("1.00"),
                  verdicts=frozen_mapping({"EXECUTE": 9, "SKIP": 2, "WAIT": 1}), last_error="", log=tuple(log))
    values.update(changes)
    return AdvisorView(**values)


def spoof(seconds_ago, venue="mexc", side="ask", price=60069.0, size=77.2014, symbol=SYMBOL) -> SpoofEventView:
    return SpoofEventView(NOW - seconds_ago, venue, symbol, side, price, size, 0.114, 0.0, 0.4995)


def snapshot(**changes) -> Snapshot:
    """Return a small snapshot: two live venues, one symbol, signals for it, no advisor."""
    levels = frozen_array([(60000.0, 0.5)])
    books = {(v, SYMBOL): BookView(v, SYMBOL, 60000.0, 60001.0, 0.5, 0.5, 10.0, 20.0, LIVE, levels, levels)
             for v in VENUES}
    net = np.array([[NAN, 5.5], [-3.0, NAN]])
    values = dict(
        sequence=1, time=NOW, engine_state="running", market="simulated", speed="1", venues=VENUES,
        symbols=(SYMBOL,), events=10, events_per_second=100.0, books=frozen_mapping(books),
        matrices=frozen_mapping({SYMBOL: SpreadMatrixView(SYMBOL, VENUES, frozen_array(net), (False, False),
                                                          0.03)}),
        opportunities=(), trades=(), decisions=(), balances=frozen_mapping({}),
        marks=frozen_mapping({"BTC": 60000.5}), equity_usdt=0.0, initial_equity_usdt=0.0,
        realized_pnl=Decimal(0), fees_usdt=Decimal(0), trade_count=0, opportunity_count=0,
        rejections=frozen_mapping({}), pnl_times=frozen_array([]), pnl_realized=frozen_array([]),
        pnl_marked=frozen_array([]),
        risk=RiskView("ACTIVE", "", 0, 3, Decimal(0), Decimal("6400"), Decimal("5000")),
        threshold_bps=5.0, min_score=0.45, signals=frozen_mapping({SYMBOL: signals()}))
    values.update(changes)
    return Snapshot(**values)


# --- order flow --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, text", [(0.4213, "+0.42"), (-0.1, "−0.10"), (-0.004, "0.00"), (NAN, "—")])
def test_signed_numbers_use_a_true_minus_and_zero_has_no_sign(value, text):
    assert p.format_signed(value) == text


@pytest.mark.parametrize("value, text", [(2.2153, "+2.22"), (-14.195, "−14.2"), (124.1, "+124"),
                                         (9341.5, "+9.3k"), (-26_080.0, "−26k"), (NAN, "—")])
def test_flow_amounts_are_compact_and_signed(value, text):
    assert p.format_flow_amount(value) == text


def test_direction_shows_an_arrow_and_a_colour_only_away_from_zero():
    assert p.direction_text(0.23) == ("↑ +0.23", theme.GREEN)
    assert p.direction_text(-0.346) == ("↓ −0.35", theme.RED)
    assert p.direction_text(0.01) == ("· +0.01", theme.TEXT_MUTED)
    assert p.direction_text(NAN) == ("—", theme.TEXT_DIM)


def test_flow_rows_show_each_venue_in_order_with_a_spoof_mark_on_suspect_books():
    binance, okx = p.flow_rows(snapshot(), SYMBOL)

    assert (binance.venue, binance.imbalance, binance.cvd) == ("binance", "−0.78", "−0.61")
    assert binance.drift_bps == "−1.6"
    assert (binance.direction, binance.direction_colour) == ("↓ −0.35", theme.RED)
    assert binance.suspect == ""
    assert (okx.imbalance, okx.cvd, okx.drift_bps) == ("+0.03", "+1.2k", "—")  # no trades: no VWAP drift
    assert okx.direction_colour == theme.TEXT_MUTED
    assert okx.suspect == p.SUSPECT_MARK


def test_flow_rows_are_dashes_per_venue_until_the_engine_reports_signals():
    rows = p.flow_rows(snapshot(signals=frozen_mapping({})), SYMBOL)

    assert [row.venue for row in rows] == list(VENUES)
    assert all(row.imbalance == row.cvd == row.direction == "—" for row in rows)


def test_threshold_line_spells_out_base_plus_multiplier_times_volatility_and_the_market_direction():
    line = p.threshold_line(signals(threshold=5.79, vol=0.79, market=-0.17), vol_multiplier=1.0)

    assert line.text == "min net spread 5.8 bps = base 5.0 + 1.0 × vol 0.79 bps"
    assert (line.market, line.market_colour) == ("market ↓ −0.17", theme.RED)


def test_threshold_line_says_when_the_cap_bound():
    line = p.threshold_line(signals(threshold=100.0, vol=120.0), vol_multiplier=1.0)

    assert line.text == "min net spread 100.0 bps (cap) < base 5.0 + 1.0 × vol 120.00 bps"


def test_threshold_line_without_a_multiplier_or_without_signals():
    assert p.threshold_line(signals(), None).text == "min net spread 5.9 bps · base 5.0 · vol 0.91 bps"
    waiting = p.threshold_line(None, 1.0)
    assert waiting.text.startswith("min net spread: waiting") and waiting.market == "market —"


def test_symbol_summary_shows_each_symbols_adaptive_threshold_and_colours_the_best_net_against_it():
    (row,) = p.symbol_summary_rows(snapshot())
    assert row.threshold_bps == "5.9"
    assert row.best_net_bps == "+5.5" and row.best_colour == theme.AMBER  # over the base 5.0, under 5.9

    (row,) = p.symbol_summary_rows(snapshot(signals=frozen_mapping({SYMBOL: signals(threshold=5.2)})))
    assert row.best_colour == theme.GREEN

    (row,) = p.symbol_summary_rows(snapshot(signals=frozen_mapping({})))
    assert row.threshold_bps == "5.0"  # the base threshold until signals arrive


# --- the AI log --------------------------------------------------------------------------------------
def test_advisor_header_shows_todays_calls_tokens_and_cost_against_the_cap():
    header = p.advisor_header(advisor_view(pending=2))

    assert header.title == "openai · gpt-4o · 2 pending"
    assert header.spend == "12 calls · 9.8k/612 tokens · $0.031 of $1.00 today · budget 1500 ms"
    assert header.spend_colour == theme.TEXT_MUTED


@pytest.mark.parametrize("cost, colour", [("0.79", theme.TEXT_MUTED), ("0.80", theme.AMBER), ("1.00", theme.RED)])
def test_the_spend_line_turns_amber_near_the_cap_and_red_at_it(cost, colour):
    assert p.advisor_header(advisor_view(cost_usd=Decimal(cost))).spend_colour == colour


def test_the_rule_advisor_header_says_it_costs_nothing():
    header = p.advisor_header(advisor_view(name="rule", model="rules", calls=0, tokens_in=0, tokens_out=0,
                                           cost_usd=Decimal(0)))
    assert header.title == "rule · rules"
    assert "no cost" in header.spend
    assert p.advisor_header(None).title.startswith("advisor: waiting")


def test_advice_rows_are_newest_first_with_route_advisor_verdict_confidence_and_outcome():
    log = (record(3, fallback="openai timeout: no answer within 1500 ms"), record(2, advisor="openai", model="gpt-4o"))
    rows = p.advice_rows(snapshot(advisor=advisor_view(log)))

    assert [row.key for row in rows] == [3, 2]
    assert rows[0].values == (p.format_clock(NOW - 97), "SOL binance→okx", "rule*", "EXECUTE", "0.82", "+42.4 bps")
    assert rows[1].values[2] == "openai"
    assert rows[0].tag == "good"


@pytest.mark.parametrize("changes, text, tag", [
    (dict(outcome="", pnl=None, bps=None), "pending", "warn"),
    (dict(outcome="rolled back", pnl="-0.61", bps=-10.2), "−10.2 bps", "bad"),
    (dict(verdict="SKIP", outcome="not traded (skip)", pnl=None, bps=None), "not traded", "warn"),
    (dict(outcome="failed", pnl=None, bps=None), "failed", "bad"),
    (dict(outcome="refused by risk:cooldown", pnl=None, bps=None), "refused", "warn"),
], ids=["pending", "loss", "skip", "failed", "refused"])
def test_advice_outcome_colours_wins_green_losses_red_and_pending_or_skipped_amber(changes, text, tag):
    assert p.advice_outcome(record(1, **changes)) == (text, tag)


def test_the_filter_keeps_one_verdict_or_the_fallbacks():
    log = (record(5, "WAIT", outcome="not traded (wait)", pnl=None, bps=None),
           record(4, "SKIP", outcome="not traded (skip)", pnl=None, bps=None),
           record(3, fallback="openai error: HTTP 500"), record(2), record(1, "SKIP", outcome="", pnl=None, bps=None))
    snap = snapshot(advisor=advisor_view(log))

    assert [row.key for row in p.advice_rows(snap, "All")] == [5, 4, 3, 2, 1]
    assert [row.key for row in p.advice_rows(snap, "EXECUTE")] == [3, 2]
    assert [row.key for row in p.advice_rows(snap, "SKIP")] == [4, 1]
    assert [row.key for row in p.advice_rows(snap, "WAIT")] == [5]
    assert [row.key for row in p.advice_rows(snap, "Fallback")] == [3]
    assert len(p.advice_rows(snap, "All", limit=2)) == 2
    assert p.advice_rows(snapshot()) == ()  # no advisor yet


def test_the_detail_of_a_fallback_names_why_the_rule_advisor_stood_in():
    why = "openai timeout: no answer within 1500 ms"
    snap = snapshot(advisor=advisor_view((record(7, fallback=why, latency_ms=1500.4),)))

    text, colour = p.advice_summary(snap, 7)

    assert colour == theme.AMBER
    assert text == f"rule* · 1500 ms · $0.0000 · complete +1.88 USDT\nfallback: {why}"
    long_why = "openai malformed: " + "x" * 80
    long_snap = snapshot(advisor=advisor_view((record(7, fallback=long_why),)))
    second = p.advice_summary(long_snap, 7)[0].split("\n")[1]
    assert len(second) == p.ADVICE_DETAIL_CHARS and second.endswith("…")
    detail = p.advice_detail(p.find_advice(snap, 7))
    assert f"fallback: {why}" in detail and "reason: net 42.4 bps" in detail
    assert "by rule* (rules) · 1500 ms · 0/0 tokens · $0.0000" in detail


def test_with_no_row_chosen_the_detail_shows_the_last_error_else_the_verdict_counts():
    snap = snapshot(advisor=advisor_view((record(1),), last_error="openai error: HTTP 500"))
    text, colour = p.advice_summary(snap, None)
    assert text.startswith("last error: openai error: HTTP 500") and colour == theme.RED

    text, colour = p.advice_summary(replace(snap, advisor=replace(snap.advisor, last_error="")), None)
    assert text.startswith("this run: EXECUTE 9 · SKIP 2 · WAIT 1 · 0 fallbacks\n") and colour == theme.TEXT_MUTED

    text, colour = p.advice_summary(snapshot(advisor=advisor_view()), 7)  # chosen, then gone from the log
    assert text.startswith("no advice yet") and colour == theme.TEXT_DIM


# --- the spoofing log --------------------------------------------------------------------------------
def test_spoof_rows_are_newest_first_with_side_colours_and_alike_events_stay_distinct():
    events = (spoof(1, side="bid", venue="bybit", price=60045.0, size=3.6885), spoof(5), spoof(5))
    rows = p.spoof_rows(snapshot(spoof_events=events, spoof_count=3))

    assert rows[0].values == (p.format_clock(NOW - 1), "bybit", "BTC", "bid", "60045.00", "3.69", "0.1s", "0.5")
    assert rows[0].tag == "good" and rows[1].tag == "bad"
    assert len({row.key for row in rows}) == 3
    assert p.find_spoof(snapshot(spoof_events=events), rows[2].key) is events[2]


def test_spoof_summary_counts_the_run_the_last_minute_and_the_busiest_venue():
    events = (spoof(10), spoof(30, venue="gate"), spoof(50), spoof(200, venue="gate"), spoof(300, venue="gate"))
    text, colour = p.spoof_summary(snapshot(spoof_events=events, spoof_count=52))

    assert text == "52 events this run · 3 in the last minute · most: gate (3 listed)"
    assert colour == theme.AMBER
    assert p.spoof_summary(snapshot()) == ("no spoofing detected yet", theme.TEXT_DIM)


def test_spoof_detail_describes_the_pulled_order():
    text = p.spoof_detail(spoof(1))
    assert "mexc BTC/USDT: a 77.20 ask at 60069.00, 0.5 bps from the touch" in text
    assert text.endswith("none of it traded")
