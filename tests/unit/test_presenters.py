"""Presenters: pure functions from a Snapshot to what the window shows. No Tk, no threads."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from octo_desktop.domain.attribution import Attribution
from octo_desktop.domain.model import Route
from octo_desktop.domain.snapshot import (
    DEGRADED,
    LIVE,
    STALE,
    WAITING,
    BookView,
    DecisionView,
    OpportunityView,
    RecordingView,
    ReplayView,
    RiskEventView,
    RiskView,
    Snapshot,
    SpreadMatrixView,
    TradeView,
    VenueHealthView,
    frozen_array,
    frozen_mapping,
)
from octo_desktop.gui import presenters as p
from octo_desktop.gui import theme
from tests.fakes.fake_market import make_snapshot

NAN = float("nan")
VENUES = ("binance", "okx", "htx")
SYMBOL = "BTC/USDT"


def book(venue, bid, ask, status=LIVE, levels=3, step=1.0, size=0.5):
    bids = frozen_array([(bid - i * step, size) for i in range(levels)]) if not math.isnan(bid) else None
    asks = frozen_array([(ask + i * step, size) for i in range(levels)]) if not math.isnan(ask) else None
    extra = {}
    if bids is not None:
        extra["bids"] = bids
    if asks is not None:
        extra["asks"] = asks
    return BookView(venue, SYMBOL, bid, ask, size, size, 12.4, 30.6, status, **extra)


def opportunity(oid, status="taken", reason="", buy="binance", sell="okx", net=8.25, score=0.61, t=0.0):
    parts = {"spread": 0.9, "liquidity": 0.5, "slippage": 0.25, "freshness": 1.0, "order_flow": 0.0,
             "execution_quality": 0.7}
    return OpportunityView(oid, 1_717_000_000.0 + t, Route(SYMBOL, buy, sell), net, 0.03, 60000.0, 60060.0, score,
                           frozen_mapping(parts), status, reason)


def trade(tid, state="complete", pnl="1.25", buy_price="60000.10", sell_price="60050.90", **changes):
    filled = {"buy_filled": Decimal("0.03330") if Decimal(buy_price) else Decimal(0),
              "sell_filled": Decimal("0.03330") if Decimal(sell_price) else Decimal(0)}
    values = dict(planned_quantity=Decimal("0.03330"), buy_order_type="ioc_limit", sell_order_type="market",
                  **filled)
    values.update(changes)
    return TradeView(tid, 1_717_000_000.0, SYMBOL, "binance", "okx", Decimal("0.03330"), Decimal(buy_price),
                     Decimal(sell_price), Decimal("3.9987"), Decimal(pnl), state, 8.0, 6.5, **values)


def snapshot(**changes) -> Snapshot:
    """Return a small hand-made snapshot: three venues, one symbol, htx stale."""
    books = {
        ("binance", SYMBOL): book("binance", 60000.0, 60001.0),
        ("okx", SYMBOL): book("okx", 60010.5, 60012.0),
        ("htx", SYMBOL): book("htx", 60100.0, 60102.0, status=STALE),
    }
    net = np.array([[NAN, 1.5, NAN], [-3.25, NAN, NAN], [NAN, NAN, NAN]])
    matrix = SpreadMatrixView(SYMBOL, VENUES, frozen_array(net), (False, False, True), 0.03)
    values = dict(
        sequence=7, time=1_717_000_000.0, engine_state="running", market="simulated", speed="1",
        venues=VENUES, symbols=(SYMBOL,), events=12345, events_per_second=810.4,
        books=frozen_mapping(books), matrices=frozen_mapping({SYMBOL: matrix}),
        opportunities=(opportunity(3, "rejected", "score 0.40 < 0.45", t=2), opportunity(2, t=1),
                       opportunity(1, "open", t=0)),
        trades=(trade(2, "partial", "-0.50"), trade(1)),
        decisions=(DecisionView(1_717_000_002.0, SYMBOL, "binance", "okx", False, "score 0.40 < 0.45"),
                   DecisionView(1_717_000_001.0, SYMBOL, "binance", "okx", True, "take +8.2 bps")),
        balances=frozen_mapping({v: frozen_mapping({"USDT": Decimal("10000.5"), "BTC": Decimal("0.166667")})
                                 for v in VENUES}),
        marks=frozen_mapping({"BTC": 60005.0, "USDT": 1.0}), equity_usdt=1_000_123.456,
        initial_equity_usdt=1_000_000.0, realized_pnl=Decimal("0.75"), fees_usdt=Decimal("7.9974"),
        trade_count=2, opportunity_count=3, rejections=frozen_mapping({"score": 4, "stale": 9}),
        pnl_times=frozen_array([1.0, 2.0]), pnl_realized=frozen_array([0.0, 0.75]),
        pnl_marked=frozen_array([0.0, 123.456]),
        risk=RiskView("ACTIVE", "", 1, 3, Decimal("0.75"), Decimal("6400"), Decimal("5000")),
        threshold_bps=5.0, min_score=0.45)
    values.update(changes)
    return Snapshot(**values)


# --- formatting ------------------------------------------------------------------------------------
@pytest.mark.parametrize("price, text", [(60012.345, "60012.35"), (150.0, "150.00"), (2.5, "2.500"),
                                         (0.123456, "0.12346"), (NAN, "—")])
def test_prices_have_fixed_decimals_by_magnitude_and_nan_is_a_dash(price, text):
    assert p.format_price(price) == text


def test_bps_are_signed_with_a_true_minus_and_nan_is_a_dash():
    assert p.format_bps(5.04) == "+5.0"
    assert p.format_bps(-3.25) == "−3.2"
    assert p.format_bps(NAN) == p.DASH


def test_money_keeps_fixed_decimals_and_thousands_separators():
    assert p.format_money(Decimal("-1234.5")) == "−1,234.50"
    assert p.format_money(Decimal("0.75"), signed=True) == "+0.75"
    assert p.format_money(Decimal("0.16666"), 5) == "0.16666"


def test_milliseconds_switch_to_seconds_when_large():
    assert p.format_ms(12.4) == "12"
    assert p.format_ms(12_345.0) == "12s"
    assert p.format_ms(NAN) == p.DASH


def test_status_colours_follow_the_brief():
    assert p.status_colour(LIVE) == theme.GREEN
    assert p.status_colour(STALE) == theme.GREY
    assert p.status_colour(DEGRADED) == theme.ORANGE
    assert p.status_colour(WAITING) == theme.TEXT_DIM


def test_window_title_names_the_market():
    assert p.window_title("simulated") == "Octo — paper trading · simulated market"


def test_window_title_of_a_replay_names_the_file():
    assert p.window_title("replay", "/data/recordings/octo-1.jsonl.gz") == \
        "Octo — paper trading · replay of octo-1.jsonl.gz"


@pytest.mark.parametrize("path, name", [("/a/b/c.jsonl.gz", "c.jsonl.gz"), ("C:\\rec\\d.jsonl.gz", "d.jsonl.gz"),
                                        ("plain.jsonl.gz", "plain.jsonl.gz")])
def test_file_name_splits_on_either_slash(path, name):
    assert p.file_name(path) == name


def test_shorten_marks_the_cut_with_an_ellipsis():
    assert p.shorten("short", 10) == "short"
    assert p.shorten("0123456789abc", 10) == "012345678…"


@pytest.mark.parametrize("seconds, text", [(0, "0:00"), (42.9, "0:42"), (754, "12:34"), (3723, "1:02:03"),
                                           (NAN, "—"), (-1, "—")])
def test_durations_are_minutes_and_seconds_then_hours(seconds, text):
    assert p.format_duration(seconds) == text


@pytest.mark.parametrize("rate, text", [(0.0, "0.0"), (4.25, "4.2"), (812.4, "812"), (1234.0, "1.2k"),
                                        (25_000.0, "25k"), (NAN, "—")])
def test_message_rates_keep_three_or_four_characters(rate, text):
    assert p.format_rate(rate) == text


@pytest.mark.parametrize("saved, expected", [("1600x950", (1600, 950)), ("1700x1000+10+20", (1700, 1000)),
                                             ("garbage", p.DEFAULT_GEOMETRY), (None, p.DEFAULT_GEOMETRY),
                                             ("100x100", p.MIN_GEOMETRY)])
def test_saved_geometry_is_parsed_and_bounded(saved, expected):
    assert p.parse_geometry(saved) == expected


def test_saved_geometry_never_exceeds_the_screen():
    assert p.parse_geometry("3000x2000", screen=(1600, 950)) == (1600, 950)


def test_percentiles_of_nothing_are_nan():
    assert all(math.isnan(v) for v in p.percentiles([]))
    assert p.percentiles(range(101), (50, 95)) == (50.0, 95.0)


# --- market column ---------------------------------------------------------------------------------
def test_price_rows_highlight_the_best_live_bid_and_ask_and_dim_stale_venues():
    rows = {row.venue: row for row in p.price_rows(snapshot(), SYMBOL)}
    assert rows["okx"].bid == "60010.50" and rows["okx"].bid_colour == theme.BID
    assert rows["binance"].ask == "60001.00" and rows["binance"].ask_colour == theme.ASK
    # htx quotes the highest bid but it is stale: not highlighted, dimmed, grey dot.
    assert rows["htx"].bid_colour == theme.TEXT_DIM
    assert rows["htx"].dot_colour == theme.GREY
    assert rows["binance"].spread_bps == "0.2" and rows["binance"].age_ms == "12"


def test_price_rows_show_dashes_for_missing_books_and_empty_sides():
    books = dict(snapshot().books)
    books[("okx", SYMBOL)] = book("okx", NAN, NAN, status=WAITING)
    del books[("htx", SYMBOL)]
    rows = {row.venue: row for row in p.price_rows(snapshot(books=frozen_mapping(books)), SYMBOL)}
    assert (rows["okx"].bid, rows["okx"].ask, rows["okx"].spread_bps) == (p.DASH, p.DASH, p.DASH)
    assert rows["htx"].bid == p.DASH and rows["htx"].dot_colour == theme.TEXT_DIM


def test_consolidated_book_merges_live_venues_best_first():
    rows = p.consolidated_rows(snapshot(), SYMBOL, depth=3)
    assert [row[0] for row in rows] == ["okx", "okx", "okx"]  # 60010.5, 60009.5, 60008.5 beat binance
    assert rows[0][2] == "60010.50"
    assert [row[5] for row in rows] == ["binance", "binance", "binance"]
    assert "htx" not in {row[0] for row in rows} | {row[5] for row in rows}


def test_symbol_summary_shows_the_best_usable_pair():
    (row,) = p.symbol_summary_rows(snapshot())
    assert row.best_route == "binance→okx" and row.best_net_bps == "+1.5"
    assert row.live_venues == "2/3"
    assert row.best_colour == theme.AMBER  # positive but under the 5 bps threshold


def test_rejections_are_listed_most_frequent_first():
    assert p.rejection_rows(snapshot()) == (("stale", "9"), ("score", "4"))


# --- venue health --------------------------------------------------------------------------------
def health(venue, state="live-ws", age=120.0, latency=35.0, rate=42.0, reconnects=0, error="", errors=None,
           rest_rtt=NAN):
    return VenueHealthView(venue, state, age, latency, rest_rtt, rate, reconnects, error,
                           frozen_mapping(errors or {}))


def health_snapshot(*reports) -> Snapshot:
    return snapshot(venue_health=frozen_mapping({h.venue: h for h in reports}))


@pytest.mark.parametrize("state, text, background", [
    ("live-ws", "LIVE WS", theme.GREEN), ("live-rest", "REST", theme.AMBER),
    ("connecting", "CONNECTING", theme.ACCENT), ("reconnecting", "RECONNECTING", theme.AMBER), ("stale", "STALE", theme.GREY), ("down", "DOWN", theme.RED),
    ("simulated", "SIM", theme.RAISED_BG), ("replay", "REPLAY", theme.RAISED_BG)])
def test_health_badges_name_and_colour_each_state(state, text, background):
    badge = p.health_badge(state)
    assert (badge.text, badge.background) == (text, background)


def test_an_unknown_health_state_shows_as_itself_on_a_neutral_badge():
    badge = p.health_badge("warming-up")
    assert badge.text == "WARMING-UP" and badge.background == theme.RAISED_BG


def test_health_rows_follow_the_snapshot_venues_and_format_each_measure():
    snap = health_snapshot(health("okx", "live-rest", age=15_300.0, latency=48.6, rate=3.25, reconnects=2),
                           health("binance"), health("htx", "down"))
    rows = p.health_rows(snap)
    assert [row.venue for row in rows] == ["binance", "okx", "htx"]
    okx = rows[1]
    assert (okx.badge.text, okx.age_ms, okx.latency_ms, okx.messages_per_s, okx.reconnects) == \
        ("REST", "15s", "49", "3.2", "2")
    assert okx.reconnects_colour == theme.AMBER and rows[0].reconnects_colour == theme.TEXT_MUTED
    assert rows[2].text_colour == theme.TEXT_DIM  # a venue that is down is dimmed


def test_a_venue_without_a_health_report_shows_no_data():
    (binance, okx, htx) = p.health_rows(health_snapshot(health("binance")))
    assert okx.badge.text == "NO DATA" and okx.age_ms == p.DASH and okx.error == ""


def test_a_stale_venue_shows_its_age_in_amber():
    (row,) = p.health_rows(health_snapshot(health("binance", "stale", age=9000.0)))[:1]
    assert row.age_colour == theme.AMBER


def test_a_long_error_is_shortened_in_the_row_and_kept_whole_for_the_tooltip():
    error = "okx: sequence gap 1041 -> 1043 on BTC/USDT, resyncing from the REST snapshot"
    row = p.health_rows(health_snapshot(health("okx", error=error)))[1]
    assert row.error == error[:p.HEALTH_ERROR_CHARS - 1] + "…" and len(row.error) == p.HEALTH_ERROR_CHARS
    assert row.full_error == error and row.error_colour == theme.RED


def test_venues_reported_but_not_in_the_snapshot_list_come_last():
    snap = health_snapshot(health("kraken"), health("binance"))
    assert [row.venue for row in p.health_rows(snap)] == ["binance", "okx", "htx", "kraken"]


def test_health_detail_of_a_chosen_venue_has_its_errors_and_the_whole_last_error():
    snap = health_snapshot(health("okx", "live-rest", reconnects=3, rest_rtt=120.4, error="okx: checksum mismatch",
                                  errors={"gap": 2, "checksum": 5, "crossed": 0}))
    text, colour = p.health_detail(snap, "okx")
    assert text == ("okx · live over REST polling · REST rtt 120 ms · 3 reconnects · errors checksum 5, gap 2"
                    "\nlast error: okx: checksum mismatch")
    assert colour == theme.RED


def test_health_detail_without_a_choice_shows_the_first_venue_with_an_error():
    snap = health_snapshot(health("binance"), health("okx", error="okx: timeout"), health("htx", error="x"))
    text, _ = p.health_detail(snap, None)
    assert text.startswith("okx · live over WebSocket") and text.endswith("last error: okx: timeout")


def test_health_detail_summarises_when_no_venue_has_an_error():
    snap = health_snapshot(health("binance", reconnects=1), health("okx", "down", errors={"rest": 4}),
                           health("htx", "simulated"))
    text, colour = p.health_detail(snap, None)
    assert text == "2/3 venues usable · 1 reconnect · 4 errors · click a venue for details"
    assert colour == theme.TEXT_MUTED


def test_a_connecting_venue_counts_as_usable_its_books_join_as_their_snapshots_arrive():
    snap = health_snapshot(health("bybit", "connecting"), health("okx", "reconnecting"))
    text, _ = p.health_detail(snap, None)
    assert text.startswith("1/2 venues usable")
    assert p.health_detail(snap, "bybit")[0].startswith("bybit · connecting")


def test_health_detail_before_any_report():
    text, colour = p.health_detail(snapshot(), "okx")
    assert "waiting" in text and colour == theme.TEXT_DIM


# --- opportunities column --------------------------------------------------------------------------
def test_heatmap_blanks_the_diagonal_and_excluded_venues():
    model = p.heatmap_model(snapshot(), SYMBOL)
    assert model.excluded == (False, False, True)
    assert np.isnan(np.diag(model.values)).all()
    assert model.texts[0] == ("", "+1.5", "")
    assert model.texts[1] == ("−3.2", "", "")
    assert all(text == "" for text in model.texts[2])


def test_heatmap_excludes_a_venue_even_if_the_matrix_has_a_number_for_it():
    net = np.array([[NAN, 1.5, 9.0], [-3.0, NAN, 2.0], [4.0, 5.0, NAN]])
    matrix = SpreadMatrixView(SYMBOL, VENUES, frozen_array(net), (False, False, True), 0.03)
    model = p.heatmap_model(snapshot(matrices=frozen_mapping({SYMBOL: matrix})), SYMBOL)
    assert model.texts[0][2] == "" and model.texts[2][0] == ""


@pytest.mark.parametrize("value, text", [(4.96, "+5.0"), (12.4, "+12"), (-25.6, "−26"), (NAN, "")])
def test_heatmap_cells_show_one_decimal_only_near_zero(value, text):
    assert p.heatmap_cell_text(value) == text


def test_heatmap_after_transfers_subtracts_each_pairs_transfer_term_and_says_so():
    net = np.array([[NAN, 1.5, 9.0], [-3.0, NAN, 2.0], [4.0, 5.0, NAN]])
    transfer = np.array([[NAN, 4.0, 1.0], [0.5, NAN, NAN], [1.0, 1.0, NAN]])
    matrix = SpreadMatrixView(SYMBOL, VENUES, frozen_array(net), (False, False, False), 0.03, frozen_array(transfer))
    snap = snapshot(matrices=frozen_mapping({SYMBOL: matrix}))
    plain, after = p.heatmap_model(snap, SYMBOL), p.heatmap_model(snap, SYMBOL, with_transfer=True)
    assert plain.texts[0][1] == "+1.5" and after.texts[0][1] == "−2.5"
    assert after.texts[1][0] == "−3.5" and after.texts[1][2] == ""  # no route back: blank, not free
    assert not plain.same_as(after)
    assert p.heatmap_title(snap, SYMBOL, True) == "OPPORTUNITIES · net of fees + transfers, bps"
    assert p.heatmap_title(snapshot(), SYMBOL, True) == "OPPORTUNITIES · transfers not priced yet"
    assert p.heatmap_title(snap, SYMBOL, False) == "OPPORTUNITIES · net spread after fees, bps"


def test_score_title_carries_the_transfer_term_when_it_is_priced():
    opp = p.focus_opportunity(snapshot(), SYMBOL, 2)
    assert "transfer" not in p.score_model(opp, 0.45).title
    assert p.score_model(replace(opp, transfer_bps=3.25), 0.45).title.endswith("+8.2 bps − 3.2 transfer")


def test_heatmap_models_compare_by_picture():
    a, b = p.heatmap_model(snapshot(), SYMBOL), p.heatmap_model(snapshot(sequence=8), SYMBOL)
    assert a.same_as(b)


def test_choose_pair_takes_the_best_cell():
    assert p.choose_pair(snapshot(), SYMBOL) == ("binance", "okx")


def test_choose_pair_keeps_the_current_pair_unless_beaten_by_the_margin():
    assert p.choose_pair(snapshot(), SYMBOL, current=("okx", "binance"), margin_bps=5.0) == ("okx", "binance")
    assert p.choose_pair(snapshot(), SYMBOL, current=("okx", "binance"), margin_bps=2.0) == ("binance", "okx")


def test_choose_pair_falls_back_to_the_first_venues_without_a_matrix():
    assert p.choose_pair(snapshot(matrices=frozen_mapping({})), SYMBOL) == ("binance", "okx")


def test_opportunity_rows_are_newest_first_with_the_rejection_reason():
    rows = p.opportunity_rows(snapshot())
    assert [row.key for row in rows] == [3, 2, 1]
    assert rows[0].values[2:] == ("binance→okx", "+8.2", "0.61", "score 0.40 < 0.45")
    assert [row.tag for row in rows] == ["warn", "good", "neutral"]


def test_focus_prefers_the_selected_opportunity_then_the_newest_of_the_symbol():
    assert p.focus_opportunity(snapshot(), SYMBOL, selected_id=2).opportunity_id == 2
    assert p.focus_opportunity(snapshot(), SYMBOL, selected_id=99).opportunity_id == 3
    assert p.focus_opportunity(snapshot(opportunities=()), SYMBOL) is None


def test_score_model_lists_the_six_parts_in_order():
    model = p.score_model(p.focus_opportunity(snapshot(), SYMBOL, 2), min_score=0.45)
    assert [part[0] for part in model.parts] == ["spread", "liquidity", "slippage", "freshness", "order flow",
                                                 "exec quality"]
    assert [part[1] for part in model.parts] == [0.9, 0.5, 0.25, 1.0, 0.0, 0.7]
    assert model.score == "0.61" and model.score_colour == theme.GREEN


def test_score_model_without_an_opportunity_shows_empty_bars():
    model = p.score_model(None, 0.45)
    assert model.score == p.DASH and all(part[1] == 0.0 for part in model.parts)


# --- book column -----------------------------------------------------------------------------------
def test_depth_curve_is_a_cumulative_step_from_zero_at_the_touch():
    curve = p.depth_curve(np.array([[100.0, 1.0], [99.0, 2.0]]))
    assert curve.prices.tolist() == [100.0, 100.0, 99.0, 99.0]
    assert curve.cumulative.tolist() == [0.0, 1.0, 1.0, 3.0]
    assert p.depth_curve(np.zeros((0, 2))).prices.size == 0


def test_depth_model_measures_the_cross_before_fees():
    model = p.depth_model(snapshot(), SYMBOL, "binance", "okx")
    assert model.cross_bps == pytest.approx((60010.5 - 60001.0) / 60001.0 * 1e4)
    assert model.price_range() == (60000.0 - 2, 60012.0 + 2)
    assert model.max_size() == pytest.approx(1.5)
    text, colour = p.cross_text(model)
    assert text == "okx bid vs binance ask: +1.6 bps before fees" and colour == theme.GREEN


def test_depth_model_key_changes_only_with_the_books():
    a = p.depth_model(snapshot(), SYMBOL, "binance", "okx")
    assert a.key == p.depth_model(snapshot(sequence=99), SYMBOL, "binance", "okx").key
    assert a.key != p.depth_model(snapshot(), SYMBOL, "okx", "binance").key


def test_trade_rows_format_money_and_tag_the_state():
    rows = p.trade_rows(snapshot())
    assert rows[0].values[3:] == ("0.03330", "IOC full", "MKT full", "−0.50", "partial")
    assert [row.tag for row in rows] == ["warn", "good"]


def test_a_leg_that_did_not_fill_shows_none():
    rows = p.trade_rows(snapshot(trades=(trade(5, "failed", "0", sell_price="0"),)))
    assert rows[0].values[5] == "MKT none" and rows[0].tag == "bad"


# --- account column --------------------------------------------------------------------------------
def test_account_summary():
    summary = p.account_summary(snapshot())
    assert summary.equity == "1,000,123.46" and summary.equity_change == "+123.46"
    assert summary.realized == "+0.75" and summary.realized_colour == theme.GREEN
    assert summary.fees == "8.00"


def test_balances_put_usdt_first_with_per_asset_decimals():
    assets = p.balance_assets(snapshot())
    assert assets == ("USDT", "BTC")
    assert p.balance_rows(snapshot(), assets)[0] == ("binance", ("10,000.50", "0.16667"))


def test_risk_headline_offers_the_kill_switch_while_active():
    headline = p.risk_headline(snapshot().risk)
    assert (headline.state, headline.is_halted, headline.button_text) == ("ACTIVE", False, "KILL SWITCH (Ctrl+K)")
    assert headline.button_colour == theme.KILL and headline.state_colour == theme.GREEN
    assert headline.reason == "trading" and headline.reason_colour == theme.TEXT_MUTED


def test_risk_panel_shows_open_trades_daily_loss_and_thresholds():
    panel = p.risk_panel(snapshot())
    assert panel.open_trades == "1 / 3" and panel.daily_pnl == "+0.75 / −6,400.00"
    assert panel.threshold == "5.0 bps" and panel.min_score == "0.45"


def test_risk_headline_offers_resume_when_halted():
    halted = RiskView("HALTED", "kill switch", 0, 3, Decimal("-10"), Decimal("6400"), Decimal("5000"))
    headline = p.risk_headline(snapshot(risk=halted).risk)
    assert (headline.state, headline.reason, headline.button_text) == ("HALTED", "kill switch", "Resume trading")
    assert headline.state_colour == theme.RED and headline.button_colour == theme.RESUME
    assert headline.reason_colour == theme.RED and headline.hint.startswith("resume")
    assert p.risk_panel(snapshot(risk=halted)).daily_colour == theme.RED


def test_risk_headline_before_the_first_snapshot_still_offers_the_kill_switch():
    headline = p.risk_headline(None)
    assert headline.state == p.DASH and headline.button_text == p.KILL_BUTTON_TEXT and not headline.is_halted


def test_decisions_colour_accepted_green_and_rejected_amber():
    rows = p.decision_rows(snapshot())
    assert [row.tag for row in rows] == ["warn", "good"]
    assert rows[0].values[3] == "✖ score 0.40 < 0.45"


def test_identical_decisions_stay_distinct_rows():
    decision = DecisionView(1.0, SYMBOL, "binance", "okx", False, "stale")
    rows = p.decision_rows(snapshot(decisions=(decision, decision)))
    assert len({row.key for row in rows}) == 2


# --- status bar ------------------------------------------------------------------------------------
def test_status_line_before_the_first_snapshot():
    line = p.status_line(None, NAN, NAN, "built-in defaults", market="simulated")
    assert line.engine == "engine starting" and line.frame == "frame — ms"
    assert line.source == "config: built-in defaults"


def test_status_line_shows_engine_counts_frame_time_and_the_last_error():
    line = p.status_line(snapshot(last_error="okx: sequence gap"), 8.04, 19.96, "/etc/octo.toml")
    assert line.engine == "engine running" and line.engine_colour == theme.GREEN
    assert (line.market, line.speed) == ("SIMULATED", "speed 1×")
    assert (line.events, line.events_per_second, line.trades) == ("events 12,345", "810 ev/s", "trades 2")
    assert line.frame == "frame 8.0/20.0 ms p50/p95"
    assert line.error == "okx: sequence gap"


def test_status_line_trusts_the_runtime_thread_over_the_last_snapshot():
    line = p.status_line(snapshot(), 1, 2, "x", is_running=False)
    assert line.engine == "engine stopped" and line.engine_colour == theme.RED


@pytest.mark.parametrize("market, text, colour", [("simulated", "SIMULATED", theme.TEXT_MUTED),
                                                   ("live", "LIVE", theme.GREEN), ("replay", "REPLAY", theme.ACCENT)])
def test_market_source_names_where_the_data_come_from(market, text, colour):
    assert p.market_source(market) == (text, colour)


def test_market_source_of_a_replay_names_its_file():
    replay = ReplayView("/r/octo-20240601-120000.jsonl.gz", 0.0, 10.0, 5.0, 7, False, "1", False)
    line = p.status_line(snapshot(market="replay", replay=replay), 1, 2, "x")
    assert line.market == "REPLAY octo-20240601-120000.jsonl.gz" and line.market_colour == theme.ACCENT


def test_status_line_shows_the_market_before_the_first_snapshot():
    assert p.status_line(None, NAN, NAN, "x", market="live").market == "LIVE"


def test_gui_error_shows_when_the_engine_has_none():
    assert p.status_line(snapshot(), 1, 2, "x", gui_error="GUI error: boom").error == "GUI error: boom"


def test_gui_error_comes_before_the_engine_error():
    line = p.status_line(snapshot(last_error="okx: sequence gap"), 1, 2, "x", gui_error="GUI error: boom")
    assert line.error == "GUI error: boom · okx: sequence gap"


# --- recording and replay --------------------------------------------------------------------------
def test_default_recording_path_is_in_the_data_dir_named_by_utc_time(tmp_path):
    path = p.default_recording_path(tmp_path, 1_717_243_200.0)  # 2024-06-01 12:00:00 UTC
    assert path == tmp_path / "recordings" / "octo-20240601-120000.jsonl.gz"


def test_recording_model_when_not_recording():
    model = p.recording_model(None, 100.0)
    assert (model.is_recording, model.button_text, model.text) == (False, p.REC_BUTTON_OFF, "not recording")


def test_recording_model_shows_file_events_and_duration():
    recording = RecordingView("/d/recordings/octo-20240601-120000.jsonl.gz", 12_345, 1000.0)
    model = p.recording_model(recording, 1062.5)
    assert model.is_recording and model.button_text == p.REC_BUTTON_ON and model.button_colour == theme.KILL
    assert model.text == "● octo-20240601-120000.jsonl.gz · 12,345 events · 1:02"


def test_recording_model_shows_the_recording_error():
    recording = RecordingView("/d/octo.jsonl.gz", 10, 1000.0, error="disk full")
    model = p.recording_model(recording, 1001.0)
    assert model.text == "octo.jsonl.gz · recording error: disk full" and model.text_colour == theme.RED


def test_recording_model_while_a_start_is_on_its_way():
    model = p.recording_model(None, 5.0, is_recording=True)
    assert model.is_recording and model.text == "starting the recording…"


def test_recording_model_text_is_shortened_but_kept_whole_for_the_tooltip():
    recording = RecordingView("/d/" + "x" * 80 + ".jsonl.gz", 1, 0.0)
    model = p.recording_model(recording, 1.0, text_chars=40)
    assert len(model.text) == 40 and model.full_text.startswith("● xxx")


@pytest.mark.parametrize("speed, label", [("1", "1×"), ("10", "10×"), ("100", "100×"), ("100.0", "100×"),
                                          ("max", "max")])
def test_replay_speed_labels_match_the_snapshot(speed, label):
    assert p.replay_speed_label(speed) == label


def test_replay_speed_values_of_the_buttons():
    assert [p.replay_speed_value(name) for name, _ in p.REPLAY_SPEEDS] == [1.0, 10.0, 100.0, None]
    with pytest.raises(ValueError):
        p.replay_speed_value("3×")


def replay_view(**changes):
    values = dict(path="/r/a.jsonl.gz", start=1_717_243_200.0, end=1_717_243_260.0, position=1_717_243_215.0,
                  events=4321, paused=False, speed="10", finished=False)
    values.update(changes)
    return ReplayView(**values)


def test_replay_model_while_playing():
    model = p.replay_model(replay_view())
    assert (model.play_text, model.can_play, model.speed) == ("❚❚  Pause", True, "10×")
    assert model.progress == 0.25
    assert model.position == "12:00:15 / 12:01:00 UTC"
    assert model.status == "25 % · 4,321 events"


def test_a_finished_replay_stops_its_position_at_the_end():
    model = p.replay_model(replay_view(position=1_717_243_290.0, finished=True))
    assert model.position == "12:01:00 / 12:01:00 UTC"


def test_plural():
    assert (p.plural(0, "error"), p.plural(1, "error"), p.plural(1200, "error")) == \
        ("0 errors", "1 error", "1,200 errors")


def test_replay_model_while_paused_offers_play():
    model = p.replay_model(replay_view(paused=True))
    assert model.play_text == "▶  Play" and model.status.startswith("paused") and model.status_colour == theme.AMBER


def test_replay_model_when_finished_cannot_play():
    model = p.replay_model(replay_view(position=1_717_243_260.0, finished=True))
    assert not model.can_play and model.progress == 1.0 and model.status == "finished · 4,321 events"


def test_replay_model_with_an_unknown_end_says_how_far_it_got():
    model = p.replay_model(replay_view(end=NAN))
    assert model.progress == 0.0 and model.position.endswith("/ … UTC")
    assert model.status == "0:15 in · 4,321 events"


def test_a_replay_stopped_by_a_damaged_recording_says_why_in_red_and_where_it_stopped():
    error = "/r/a.jsonl.gz line 1234: not valid JSON"
    model = p.replay_model(replay_view(finished=True, error=error))
    assert model.status == "stopped · 4,321 events · a.jsonl.gz line 1234: not valid JSON"
    assert model.status_colour == theme.RED and not model.can_play and model.progress == 0.25


def test_a_finished_replay_is_complete_even_if_its_end_was_never_recorded():
    model = p.replay_model(replay_view(end=NAN, finished=True))
    assert model.progress == 1.0 and model.status.startswith("finished")


def test_replay_model_shows_a_requested_pause_and_speed_before_the_engine_confirms():
    model = p.replay_model(replay_view(), paused=True, speed="max")
    assert model.play_text == "▶  Play" and model.speed == "max"


def test_pending_choice_shows_the_request_until_the_engine_agrees():
    pending = p.PendingChoice(timeout_s=3.0)
    assert pending.shown(False, 0.0) is False
    pending.request(True, 10.0)
    assert pending.shown(False, 10.1) is True  # not confirmed yet
    assert pending.shown(True, 10.2) is True  # confirmed: back to following the engine
    assert pending.shown(False, 10.3) is False


def test_pending_choice_gives_up_after_the_timeout():
    pending = p.PendingChoice(timeout_s=3.0)
    pending.request("10×", 0.0)
    assert pending.shown("1×", 2.9) == "10×"
    assert pending.shown("1×", 3.1) == "1×"


def test_pending_choice_can_be_cleared():
    pending = p.PendingChoice()
    pending.request(True, 0.0)
    pending.clear()
    assert pending.shown(False, 0.1) is False


# --- a realistic snapshot from the fake market -----------------------------------------------------
def test_every_presenter_handles_a_realistic_snapshot():
    snap = make_snapshot(steps=300)
    for symbol in snap.symbols:
        assert len(p.price_rows(snap, symbol)) == len(snap.venues)
        model = p.heatmap_model(snap, symbol)
        assert model.values.shape == (8, 8)
        buy, sell = p.choose_pair(snap, symbol)
        assert buy != sell
        depth = p.depth_model(snap, symbol, buy, sell)
        assert depth.buy_asks.prices.size > 0
        assert len(p.consolidated_rows(snap, symbol, 10)) == 10
    assert len(p.opportunity_rows(snap, limit=50)) <= 50
    assert len(p.trade_rows(snap, limit=50)) <= 50
    assert len(p.decision_rows(snap, limit=50)) <= 50
    assert len(p.session_rows(snap)) == 8
    assert p.balance_rows(snap, p.balance_assets(snap))
    assert [row.venue for row in p.health_rows(snap)] == list(snap.venues)
    assert {row.badge.text for row in p.health_rows(snap)} <= {"SIM", "STALE"}
    assert p.health_detail(snap, None)[0].endswith("click a venue for details")


def test_snapshot_replace_keeps_presenters_pure():
    snap = snapshot()
    before = p.price_rows(snap, SYMBOL)
    p.heatmap_model(replace(snap, sequence=9), SYMBOL)
    assert p.price_rows(snap, SYMBOL) == before


# --- blotter: legs, fills, states, rollback steps --------------------------------------------------
T0 = 1_717_000_000.0  # 16:26:40 UTC
STEPS = ("retry sell IOC at 60040.00: filled 0.01000", "unwind buy 0.02330 MKT on binance @ 59990.10")
TRADE_ATTRIBUTION = Attribution(expected=Decimal("1.66500000"), latency_decay=Decimal("0.40000000"),
                                slippage=Decimal("-0.10000000"), fees=Decimal("3.99870000"),
                                rollback=Decimal("0.23300000"), realized=Decimal("-2.86670000"))


def rolled_back_trade(tid=9, steps=STEPS):
    return trade(tid, "rolled back", "-2.8667", sell_price="60040.00", sell_filled=Decimal("0.01000"),
                 sell_order_type="post_only", steps=steps, attribution=TRADE_ATTRIBUTION, decay_bps=1.25,
                 note="sell leg rejected: post-only would cross")


@pytest.mark.parametrize("order_type, label", [("market", "MKT"), ("ioc_limit", "IOC"), ("post_only", "POST"),
                                               ("", p.DASH), ("twap", "TWAP")])
def test_order_types_have_short_labels(order_type, label):
    assert p.order_type_label(order_type) == label


@pytest.mark.parametrize("filled, planned, text", [
    ("1.0", "1.0", "full"), ("1.2", "1.0", "full"), ("0", "1.0", "none"), ("0.6", "1.0", "60%"),
    ("0.999", "1.0", "99%"),  # short of full never reads 100 %
    ("0.001", "1.0", "1%"),  # any fill never reads 0 %
    ("0.5", "0", "full"),  # no planned quantity (older trades): any fill is the fill
])
def test_fill_state_of_a_leg(filled, planned, text):
    assert p.fill_state(Decimal(filled), Decimal(planned)) == text


def test_leg_text_joins_order_type_and_fill():
    assert p.leg_text("post_only", Decimal("0.02"), Decimal("0.05")) == "POST 40%"
    assert p.leg_text("market", Decimal(0), Decimal("0.05")) == "MKT none"


@pytest.mark.parametrize("state, colour, tag", [
    ("complete", theme.GREEN, "good"), ("partial", theme.AMBER, "warn"), ("rolled back", theme.ORANGE, "alert"),
    ("failed", theme.RED, "bad"), ("interrupted", theme.RED, "bad"), ("open", theme.TEXT, "neutral"),
])
def test_trade_state_colours_and_tags(state, colour, tag):
    assert p.trade_state_colour(state) == colour
    assert p.trade_state_tag(state) == tag


def test_every_trade_tag_has_a_colour_in_the_lists():
    from octo_desktop.gui.widgets import _TAG_COLOURS
    for state in ("complete", "partial", "rolled back", "failed", "open"):
        assert _TAG_COLOURS[p.trade_state_tag(state)] == p.trade_state_colour(state)


def test_steps_marker_counts_the_rollback_steps():
    assert p.steps_marker(()) == ""
    assert p.steps_marker(STEPS) == "↺2"
    assert p.steps_marker(("retry",) * 3) == "↺3"


def test_blotter_row_of_a_rolled_back_trade_shows_legs_state_and_steps():
    row = p.trade_rows(snapshot(trades=(rolled_back_trade(),)))[0]
    assert row.key == 9
    assert row.values[4:] == ("IOC full", "POST 30%", "−2.87", "rolled back ↺2")
    assert row.tag == "alert"
    assert len(row.values) == len(p.BLOTTER_COLUMNS)


def test_a_trade_without_steps_has_no_marker():
    assert p.trade_rows(snapshot(trades=(trade(1),)))[0].values[-1] == "complete"


def test_trade_detail_has_fills_attribution_every_step_and_the_note():
    lines = p.trade_detail(rolled_back_trade()).split("\n")
    assert lines[0].startswith("#9 BTC/USDT binance→okx · rolled back · matched 0.03330")
    assert lines[1] == ("buy IOC 0.03330/0.03330 @ 60000.10 · sell POST 0.01000/0.03330 @ 60040.00 · "
                        "decay +1.2 bps")
    assert lines[2] == ("expected +1.6650 · latency decay −0.4000 · slippage +0.1000 · fees −3.9987 · "
                        "rollback −0.2330 = realized −2.8667")
    assert lines[3:5] == [f"↺ 1. {STEPS[0]}", f"↺ 2. {STEPS[1]}"]
    assert lines[5] == "note: sell leg rejected: post-only would cross"


def test_trade_detail_of_an_open_trade_waits_for_the_attribution():
    detail = p.trade_detail(trade(3, "open"))
    assert "attribution: when the trade closes" in detail and "↺" not in detail


def test_blotter_detail_shows_the_chosen_trade_else_a_summary():
    snap = snapshot(trades=(rolled_back_trade(), trade(1)))
    text, colour = p.blotter_detail(snap, 9)
    assert text == p.trade_detail(rolled_back_trade()) and colour == theme.ORANGE
    text, colour = p.blotter_detail(snap, None)
    assert text.startswith("recent trades: ") and "1 trade with rollback steps" in text
    assert "rolled back 1" in text and "complete 1" in text and colour == theme.TEXT_MUTED
    assert p.blotter_detail(snap, 12345)[0].startswith("recent trades: ")  # scrolled out: the summary
    assert p.blotter_detail(snapshot(trades=()), None) == ("no trades yet", theme.TEXT_DIM)


# --- column 4: attribution, risk state, breaker, exposure, risk log --------------------------------
def test_attribution_rows_show_costs_as_negatives():
    rows = p.attribution_rows(Attribution(expected=Decimal("12.346"), latency_decay=Decimal("1.2"),
                                          slippage=Decimal("-0.5"), fees=Decimal("4"), rollback=Decimal("0"),
                                          realized=Decimal("7.646")))
    assert rows == (
        ("expected", "+12.35", theme.GREEN),
        ("latency decay", "−1.20", theme.RED),
        ("slippage", "+0.50", theme.GREEN),  # a negative cost: price improvement
        ("fees", "−4.00", theme.RED),
        ("rollback", "0.00", theme.TEXT_MUTED),
        ("realized", "+7.65", theme.GREEN),
    )


def test_attribution_amounts_that_round_to_zero_have_no_sign():
    rows = dict((caption, (text, colour)) for caption, text, colour in
                p.attribution_rows(Attribution(latency_decay=Decimal("0.004"), realized=Decimal("-0.001"))))
    assert rows["latency decay"] == ("0.00", theme.TEXT_MUTED)
    assert rows["realized"] == ("0.00", theme.TEXT_MUTED)


def test_attribution_line_of_a_trade_adds_up_to_realized():
    line = p.attribution_line(Attribution(expected=Decimal("2"), fees=Decimal("0.5"), realized=Decimal("1.5")),
                              decimals=2)
    assert line == ("expected +2.00 · latency decay 0.00 · slippage 0.00 · fees −0.50 · rollback 0.00 "
                    "= realized +1.50")


@pytest.mark.parametrize("state, colour", [("ACTIVE", theme.GREEN), ("REDUCING", theme.AMBER),
                                           ("HALTED", theme.RED), ("halted", theme.RED)])
def test_risk_states_have_three_colours(state, colour):
    assert p.risk_state_colour(state) == colour


def risk_view(**changes):
    values = dict(state="ACTIVE", reason="", open_trades=1, max_open_trades=3, daily_pnl=Decimal("0.75"),
                  daily_loss_limit=Decimal("6400"), max_notional_per_trade=Decimal("5000"),
                  consecutive_losses=2, breaker_losing_trades=5, failed_legs=1, breaker_failed_legs=6,
                  max_exposure_usdt=Decimal("5000"))
    values.update(changes)
    return RiskView(**values)


def test_breaker_text_counts_losses_and_failed_legs():
    assert p.breaker_text(risk_view(), T0) == ("losses 2/5 · failed legs 1/6", theme.TEXT)
    assert p.breaker_text(risk_view(consecutive_losses=3), T0)[1] == theme.AMBER  # half way to the limit


def test_a_tripped_breaker_says_until_when():
    text, colour = p.breaker_text(risk_view(consecutive_losses=5, breaker_until=T0 + 300), T0)
    assert text == "losses 5/5 · failed legs 1/6 · until 16:31:40" and colour == theme.RED


def test_a_breaker_whose_cooldown_ended_is_not_tripped():
    text, _ = p.breaker_text(risk_view(breaker_until=T0 - 1), T0)
    assert "until" not in text


def test_exposure_shows_the_largest_against_its_limit():
    exposure = frozen_mapping({"BTC": Decimal("-4321.4"), "ETH": Decimal("1200"), "SOL": Decimal("10")})
    assert p.exposure_text(risk_view(exposure_usdt=exposure)) == ("BTC −4,321 / 5,000 USDT", theme.AMBER)
    over = frozen_mapping({"ETH": Decimal("5100")})
    assert p.exposure_text(risk_view(exposure_usdt=over)) == ("ETH +5,100 / 5,000 USDT", theme.RED)
    low = frozen_mapping({"ETH": Decimal("100")})
    assert p.exposure_text(risk_view(exposure_usdt=low))[1] == theme.TEXT
    assert p.exposure_text(risk_view())[0] == "none"


def test_excluded_venues_list_their_reasons():
    excluded = frozen_mapping({"okx": "sequence gap", "htx": "stale"})
    assert p.excluded_text(risk_view(excluded_venues=excluded)) == ("htx: stale, okx: sequence gap", theme.AMBER)
    assert p.excluded_text(risk_view()) == ("none", theme.TEXT_MUTED)


def test_risk_log_lines_are_newest_first_shortened_and_coloured_by_the_new_state():
    long_reason = "3 losing trades in a row and 6 failed legs within 10 minutes on binance and okx"
    events = (RiskEventView(T0 + 2, "HALTED", "ACTIVE", "resume", "trading resumed"),
              RiskEventView(T0 + 1, "ACTIVE", "HALTED", "circuit breaker", long_reason),
              RiskEventView(T0, "ACTIVE", "ACTIVE", "venue health", "htx excluded: stale"))
    lines = p.risk_log_lines(risk_view(events=events), rows=2, chars=48)
    assert len(lines) == 2
    assert lines[0] == ("16:26:42 HALTED→ACTIVE resume: trading resumed",
                        "16:26:42 HALTED→ACTIVE resume: trading resumed", theme.GREEN)
    short, full, colour = lines[1]
    assert full == f"16:26:41 ACTIVE→HALTED circuit breaker: {long_reason}"
    assert short == full[:47] + "…" and colour == theme.RED
    assert p.risk_event_line(events[2]) == "16:26:40 ACTIVE venue health: htx excluded: stale"


def test_risk_headline_of_a_reducing_engine_keeps_the_kill_switch():
    headline = p.risk_headline(risk_view(state="REDUCING"))
    assert headline.state_colour == theme.AMBER and not headline.is_halted
    assert headline.button_text == "KILL SWITCH (Ctrl+K)" and headline.button_colour == theme.KILL
    assert headline.reason == "reducing: no new trades"


def test_risk_panel_shows_breaker_exposure_excluded_and_resting_orders():
    risk = risk_view(state="HALTED", reason="circuit breaker: 5 losing trades", consecutive_losses=5,
                     breaker_until=T0 + 60, resting_orders=2,
                     exposure_usdt=frozen_mapping({"BTC": Decimal("900")}),
                     excluded_venues=frozen_mapping({"htx": "stale for 12 s, waiting for a fresh snapshot"}))
    panel = p.risk_panel(snapshot(risk=risk))
    headline = p.risk_headline(risk)
    assert headline.button_text == "Resume trading" and headline.button_colour == theme.RESUME
    assert panel.breaker == "losses 5/5 · failed legs 1/6 · until 16:27:40" and panel.breaker_colour == theme.RED
    assert panel.exposure == "BTC +900 / 5,000 USDT"
    assert panel.excluded_full == "htx: stale for 12 s, waiting for a fresh snapshot"
    assert panel.excluded == p.shorten(panel.excluded_full, p.EXCLUDED_CHARS) != panel.excluded_full
    assert panel.trades == "1 / 3 open · 2 resting orders" and panel.resting_orders == "2"
    assert panel.strategy == "5.0 bps · min score 0.45"


def test_engine_state_reducing_is_amber():
    assert p.engine_state_colour("reducing") == theme.AMBER


def test_the_first_nine_desks_have_a_ctrl_number_shortcut():
    assert [p.desk_shortcut(i) for i in (0, 1, 8)] == ["Ctrl+1", "Ctrl+2", "Ctrl+9"]
    assert p.desk_shortcut(9) == "" and p.desk_shortcut(-1) == ""


def test_a_long_risk_reason_is_shortened_and_kept_whole_for_the_tooltip():
    reason = "circuit breaker: 5 losing trades in a row (limit 5), cooling down for 10 minutes until 16:36"
    headline = p.risk_headline(risk_view(state="HALTED", reason=reason))
    assert headline.reason_full == reason
    assert len(headline.reason) == p.REASON_CHARS and headline.reason == reason[:p.REASON_CHARS - 1] + "…"


def test_a_status_error_is_cut_in_its_middle_so_that_its_reason_stays_readable():
    from octo_desktop.gui.status_bar import shorten_middle

    line = "storage: cannot write /home/trader/.local/share/octo/some/very/long/folder/name/octo.db: disk full"
    short = shorten_middle(line, 60)
    assert len(short) == 60 and short.startswith("storage: cannot") and short.endswith("octo.db: disk full")
    assert "…" in short
    assert shorten_middle("short", 60) == "short"


@pytest.mark.parametrize("threshold, score, expected", [
    ("8", "0.5", (8.0, 0.5)),
    (" -2.5 ", "0", (-2.5, 0.0)),
    ("eight", "0.5", "threshold: eight is not a number of bps"),
    ("", "0.5", "threshold: nothing is not a number of bps"),
    ("nan", "0.5", "threshold: from -1000 to 10000 bps"),
    ("20000", "0.5", "threshold: from -1000 to 10000 bps"),
    ("8", "1.5", "minimum score: from 0 to 1"),
    ("8", "high", "minimum score: high is not a number"),
])
def test_thresholds_typed_in_the_window_are_checked_before_they_are_sent(threshold, score, expected):
    from octo_desktop.gui.presenters.account import parse_thresholds

    assert parse_thresholds(threshold, score) == expected


def test_a_vanished_opportunity_says_why_and_the_list_title_counts_them():
    from dataclasses import replace as change

    first = snapshot().opportunities[0]
    gone = change(first, status="vanished", reason="taken first on okx")
    rows = p.opportunity_rows(snapshot(opportunities=(gone,)))
    assert rows[0].values[-1] == "gone: taken first on okx" and rows[0].tag == "alert"
    assert p.vanished_text(snapshot()) == "LIVE OPPORTUNITIES"
    assert p.vanished_text(snapshot(vanished=frozen_mapping({"taken": 3, "moved": 1}))) == \
        "LIVE OPPORTUNITIES · gone before our order: 3 taken first, 1 price moved"


def test_the_welcome_says_whether_others_trade_the_simulated_market():
    def market_paragraph(market, preset):
        model = p.welcome_model(market, 8, 3, Path("/d/octo.db"), Path("/d/rec"), Path("/c/config.toml"), True,
                                preset)
        return model.paragraphs[2]

    assert 'Other arbitrageurs trade it too (simulation.preset = "normal")' in market_paragraph("simulated", "normal")
    assert "gone and why" in market_paragraph("simulated", "competitive")
    assert 'Nobody else trades it (simulation.preset = "off")' in market_paragraph("simulated", "off")
    assert "arbitrageurs" not in market_paragraph("live", "normal")  # the live market has the real ones
    assert "arbitrageurs" not in market_paragraph("replay", "normal")
