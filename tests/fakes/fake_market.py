"""Realistic ``Snapshot`` values for presenter and widget tests, without the engine.

``FakeMarket`` builds them with numpy (8 venues, 25-level books, the net-spread matrix after taker fees,
opportunities, paper trades, balances, a P&L history, venue health, a recording or a replay);
``make_snapshot`` gives one. ``FakeRuntime`` serves a ``FakeMarket`` through the two calls the window
uses (``submit`` and ``latest_snapshot``), on the test's own thread.
"""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal
from types import MappingProxyType

import numpy as np

from octo_desktop.engine.frame_gate import FrameGate
from octo_desktop.config import Config, default_data_dir, load_config
from octo_desktop.domain.commands import (
    ControlReplay,
    Halt,
    Resume,
    SaveSetting,
    SetMinScore,
    SetThreshold,
    StartRecording,
    StopRecording,
)
from octo_desktop.domain.model import Route
from octo_desktop.domain.snapshot import (
    LIVE,
    STALE,
    WAITING,
    BookView,
    DecisionView,
    OpportunityView,
    RecordingView,
    ReplayView,
    RiskView,
    Snapshot,
    SpreadMatrixView,
    TradeView,
    VenueHealthView,
    frozen_array,
    frozen_mapping,
)

SCORE_PARTS = ("spread", "liquidity", "slippage", "freshness", "order_flow", "execution_quality")


class FakeMarket:
    """Simulate quotes on every venue and symbol, and the engine's view of them, step by step."""

    def __init__(self, config: Config, seed: int = 7, start_time: float = 1_717_000_000.0) -> None:
        self.config = config
        self.rng = np.random.default_rng(seed)
        self.venues = tuple(config.venues)
        self.symbols = tuple(config.symbols)
        self.time = start_time
        self.start_time = start_time
        self.sequence = 0
        self.events = 0
        n = len(self.venues)
        self.fair = {s: config.markets[s].initial_price for s in self.symbols}
        self.basis_bps = {s: self.rng.normal(0, 1.0, n) for s in self.symbols}
        self.dislocation: dict[str, tuple[int, float, float]] = {}  # symbol -> venue, bps, until
        self.outage: dict[int, float] = {}  # venue index -> until
        self.last_update = {(v, s): start_time for v in self.venues for s in self.symbols}
        self.fees = np.array([float(config.venues[v].taker_fee) for v in self.venues])
        self.halted = False
        self.halt_reason = ""
        self.threshold_bps = config.strategy.threshold_bps
        self.min_score = config.strategy.min_score
        self.opportunities: list[OpportunityView] = []
        self.trades: list[TradeView] = []
        self.decisions: list[DecisionView] = []
        self.rejections: dict[str, int] = {}
        self.balances = {v: dict(b) for v, b in config.initial_balances().items()}
        self.realized = Decimal(0)
        self.fees_paid = Decimal(0)
        self.pnl_times: list[float] = []
        self.pnl_realized: list[float] = []
        self.pnl_marked: list[float] = []
        self.next_id = 1
        self.last_pair_time: dict[tuple, float] = {}
        self.settings: dict[str, object] = {}
        self.last_error = ""
        self.market = "simulated"
        self.speed = "1"
        self.recording: RecordingView | None = None
        self.replay: ReplayView | None = None
        self.reconnects = {v: 0 for v in self.venues}
        self.venue_errors: dict[str, str] = {}  # venue -> last error, set by tests
        self._books: dict = {}
        self._matrices: dict = {}

    # ---------------------------------------------------------------------------------------------
    def step(self, dt: float = 0.05) -> Snapshot:
        """Advance the market by ``dt`` seconds and return the snapshot of that instant."""
        replay = self.replay
        if replay is not None and (replay.paused or replay.finished):
            self.sequence += 1  # a paused replay still publishes, with the clock held
            return self._snapshot(self._books, self._matrices)
        if replay is not None:
            factor = 1.0 if replay.speed == "max" else float(replay.speed)
            dt *= factor if replay.speed != "max" else 1000.0
        self.time += dt
        self.sequence += 1
        n = len(self.venues)
        new_events = int(self.rng.integers(20, 60))
        self.events += new_events
        if self.recording is not None:
            self.recording = replace(self.recording, events=self.recording.events + new_events)
        if replay is not None:
            finished = self.time >= replay.end
            self.time = min(self.time, replay.end)
            self.replay = replace(replay, position=self.time, events=replay.events + new_events,
                                  finished=finished)
        for symbol in self.symbols:
            vol = self.config.markets[symbol].volatility_annual
            self.fair[symbol] *= math.exp(self.rng.normal(0, vol * math.sqrt(dt / 31_536_000)))
            basis = self.basis_bps[symbol]
            basis += -basis * dt / 30.0 + self.rng.normal(0, 0.3 * math.sqrt(dt), n)
            if symbol not in self.dislocation and self.rng.random() < dt * 0.15:
                self.dislocation[symbol] = (int(self.rng.integers(0, n)),
                                            float(self.rng.choice([-1, 1]) * self.rng.uniform(25, 70)),
                                            self.time + self.rng.uniform(2, 6))
            if symbol in self.dislocation and self.dislocation[symbol][2] < self.time:
                del self.dislocation[symbol]
        if self.rng.random() < dt * 0.02:
            self.outage[int(self.rng.integers(0, n))] = self.time + self.rng.uniform(3, 6)
        self.outage = {i: until for i, until in self.outage.items() if until > self.time}
        for venue_index, venue in enumerate(self.venues):
            hz = self.config.venues[venue].update_hz
            for symbol in self.symbols:
                if venue_index not in self.outage and self.rng.random() < min(1.0, hz * dt):
                    self.last_update[(venue, symbol)] = self.time
        books = {(v, s): self._book(i, v, s) for i, v in enumerate(self.venues) for s in self.symbols}
        matrices = {s: self._matrix(s, books) for s in self.symbols}
        for symbol, matrix in matrices.items():
            self._detect(symbol, matrix, books)
        self._books, self._matrices = books, matrices
        return self._snapshot(books, matrices)

    def _health(self) -> dict[str, VenueHealthView]:
        health = {}
        state = "replay" if self.market == "replay" else "simulated"
        for index, venue in enumerate(self.venues):
            newest = max(self.last_update[(venue, s)] for s in self.symbols)
            age_ms = (self.time - newest) * 1000
            venue_state = "stale" if index in self.outage else state
            error = self.venue_errors.get(venue, "")
            health[venue] = VenueHealthView(
                venue, venue_state, age_ms, self.config.venues[venue].latency_ms_median, math.nan,
                0.0 if index in self.outage else self.config.venues[venue].update_hz * len(self.symbols),
                self.reconnects[venue], error, frozen_mapping({"gap": 1} if error else {}))
        return health

    def _mid(self, venue_index: int, symbol: str) -> float:
        bps = self.basis_bps[symbol][venue_index]
        dislocation = self.dislocation.get(symbol)
        if dislocation is not None and dislocation[0] == venue_index:
            bps += dislocation[1]
        return self.fair[symbol] * (1 + bps / 1e4)

    def _book(self, venue_index: int, venue: str, symbol: str) -> BookView:
        market = self.config.markets[symbol]
        age_ms = (self.time - self.last_update[(venue, symbol)]) * 1000
        if self.time - self.start_time < 0.2:
            return BookView(venue, symbol, math.nan, math.nan, 0.0, 0.0, math.nan, math.nan, WAITING)
        status = STALE if age_ms > self.config.strategy.stale_after_s * 1000 else LIVE
        mid = self._mid(venue_index, symbol)
        half = self.config.simulation.half_spread_bps * (1 + 0.3 * venue_index / 8)
        spacing = market.level_spacing_bps
        levels = 25
        steps = np.arange(levels)
        bid_prices = mid * (1 - (half + spacing * steps) / 1e4)
        ask_prices = mid * (1 + (half + spacing * steps) / 1e4)
        touch = market.touch_size_usdt / mid
        sizes_b = touch * (1 + 0.35 * steps) * self.rng.uniform(0.5, 1.5, levels)
        sizes_a = touch * (1 + 0.35 * steps) * self.rng.uniform(0.5, 1.5, levels)
        bids = frozen_array(np.column_stack([bid_prices, sizes_b]))
        asks = frozen_array(np.column_stack([ask_prices, sizes_a]))
        latency = self.config.venues[venue].latency_ms_median * self.rng.uniform(0.6, 1.6)
        return BookView(venue, symbol, float(bid_prices[0]), float(ask_prices[0]), float(sizes_b[0]),
                        float(sizes_a[0]), age_ms, latency, status, bids, asks)

    def _matrix(self, symbol: str, books) -> SpreadMatrixView:
        bids = np.array([books[(v, symbol)].bid for v in self.venues])
        asks = np.array([books[(v, symbol)].ask for v in self.venues])
        excluded = tuple(books[(v, symbol)].status != LIVE for v in self.venues)
        net = ((bids[None, :] * (1 - self.fees[None, :]) - asks[:, None] * (1 + self.fees[:, None]))
               / asks[:, None] * 1e4)
        np.fill_diagonal(net, np.nan)
        for i, is_excluded in enumerate(excluded):
            if is_excluded:
                net[i, :] = np.nan
                net[:, i] = np.nan
        quantity = self.config.markets[symbol].trade_notional_usdt / self.fair[symbol]
        return SpreadMatrixView(symbol, self.venues, frozen_array(net), excluded, quantity)

    def _detect(self, symbol: str, matrix: SpreadMatrixView, books) -> None:
        values = np.nan_to_num(matrix.net_bps, nan=-1e9)
        for i, j in zip(*np.nonzero(values > self.threshold_bps)):
            buy, sell = self.venues[i], self.venues[j]
            if self.time - self.last_pair_time.get((symbol, buy, sell), 0) < 1.0:
                continue
            self.last_pair_time[(symbol, buy, sell)] = self.time
            parts = {p: float(self.rng.uniform(0.2, 1.0)) for p in SCORE_PARTS}
            weights = self.config.strategy.weights
            score = sum(weights[p] * parts[p] for p in SCORE_PARTS)
            net = float(matrix.net_bps[i, j])
            open_trades = sum(1 for t in self.trades if t.state == "open")
            if self.halted:
                status, reason = "rejected", "halted"
            elif score < self.min_score:
                status, reason = "rejected", f"score {score:.2f} < {self.min_score:.2f}"
            elif open_trades >= self.config.risk.max_open_trades:
                status, reason = "rejected", "max open trades"
            else:
                status, reason = "taken", ""
            opp = OpportunityView(self.next_id, self.time, Route(symbol, buy, sell), net, matrix.trade_quantity,
                                  books[(buy, symbol)].ask, books[(sell, symbol)].bid, score,
                                  frozen_mapping(parts), status, reason)
            self.next_id += 1
            self.opportunities.insert(0, opp)
            del self.opportunities[200:]
            self.decisions.insert(0, DecisionView(
                self.time, symbol, buy, sell, status == "taken",
                f"take {net:+.1f} bps, score {score:.2f}" if status == "taken" else reason))
            del self.decisions[200:]
            if status == "rejected":
                key = reason.split(" ")[0] if reason.startswith("score") else reason
                self.rejections[key] = self.rejections.get(key, 0) + 1
            else:
                self._trade(opp)

    def _trade(self, opp: OpportunityView) -> None:
        quantity = Decimal(f"{opp.quantity:.5f}")
        buy_price = Decimal(f"{opp.buy_vwap:.2f}")
        sell_price = Decimal(f"{opp.sell_vwap:.2f}")
        fees = ((buy_price + sell_price) * quantity * Decimal("0.001")).quantize(Decimal("0.0001"))
        realized_bps = opp.net_bps * float(self.rng.uniform(0.3, 1.1))
        pnl = (Decimal(f"{realized_bps:.4f}") / Decimal(10000) * buy_price * quantity).quantize(
            Decimal("0.0001"))
        state = "complete" if self.rng.random() < 0.85 else "partial"
        self.trades.insert(0, TradeView(opp.opportunity_id, opp.time, opp.symbol, opp.buy_venue,
                                        opp.sell_venue, quantity, buy_price, sell_price, fees, pnl,
                                        state, opp.net_bps, realized_bps))
        del self.trades[200:]
        self.realized += pnl
        self.fees_paid += fees
        base = opp.symbol.split("/")[0]
        self.balances[opp.buy_venue][base] += quantity
        self.balances[opp.buy_venue]["USDT"] -= buy_price * quantity
        self.balances[opp.sell_venue][base] -= quantity
        self.balances[opp.sell_venue]["USDT"] += sell_price * quantity - fees

    def _snapshot(self, books, matrices) -> Snapshot:
        marks = {s.split("/")[0]: self.fair[s] for s in self.symbols}
        marks["USDT"] = 1.0
        equity = sum(float(amount) * marks.get(asset, 0.0)
                     for balances in self.balances.values() for asset, amount in balances.items())
        initial = sum(float(amount) * marks.get(asset, 0.0)
                      for balances in self.config.initial_balances().values()
                      for asset, amount in balances.items())
        if not self.pnl_times or self.time - self.pnl_times[-1] >= 0.5:
            self.pnl_times.append(self.time)
            self.pnl_realized.append(float(self.realized))
            self.pnl_marked.append(equity - initial)
            for series in (self.pnl_times, self.pnl_realized, self.pnl_marked):
                del series[:-600]
        open_trades = sum(1 for t in self.trades if t.state == "open")
        risk = RiskView("HALTED" if self.halted else "ACTIVE", self.halt_reason, open_trades,
                        self.config.risk.max_open_trades, self.realized,
                        Decimal("1600.00"), self.config.risk.max_notional_per_trade)
        return Snapshot(
            sequence=self.sequence, time=self.time,
            engine_state="halted" if self.halted else "running", market=self.market,
            speed=self.replay.speed if self.replay is not None else self.speed,
            venues=self.venues, symbols=self.symbols, events=self.events,
            events_per_second=float(self.rng.uniform(700, 900)),
            books=frozen_mapping(books), matrices=frozen_mapping(matrices),
            opportunities=tuple(self.opportunities[:100]), trades=tuple(self.trades[:100]),
            decisions=tuple(self.decisions[:100]),
            balances=frozen_mapping({v: frozen_mapping(b) for v, b in self.balances.items()}),
            marks=frozen_mapping(marks), equity_usdt=equity, initial_equity_usdt=initial,
            realized_pnl=self.realized, fees_usdt=self.fees_paid, trade_count=len(self.trades),
            opportunity_count=self.next_id - 1, rejections=frozen_mapping(self.rejections),
            pnl_times=frozen_array(self.pnl_times), pnl_realized=frozen_array(self.pnl_realized),
            pnl_marked=frozen_array(self.pnl_marked), risk=risk, threshold_bps=self.threshold_bps,
            min_score=self.min_score, last_error=self.last_error,
            settings=MappingProxyType(dict(self.settings)),
            venue_health=frozen_mapping(self._health()), recording=self.recording, replay=self.replay,
        )

    def apply(self, command) -> None:
        """Apply one command the way the engine would."""
        if isinstance(command, Halt):
            self.halted, self.halt_reason = True, command.reason
        elif isinstance(command, Resume):
            self.halted, self.halt_reason = False, ""
        elif isinstance(command, SetThreshold):
            self.threshold_bps = command.threshold_bps
        elif isinstance(command, SetMinScore):
            self.min_score = command.min_score
        elif isinstance(command, SaveSetting):
            self.settings[command.key] = command.value
        elif isinstance(command, StartRecording):
            self.recording = RecordingView(command.path, 0, self.time)
        elif isinstance(command, StopRecording):
            self.recording = None
        elif isinstance(command, ControlReplay) and self.replay is not None:
            replay = self.replay
            if command.paused is not None:
                replay = replace(replay, paused=command.paused)
            if command.set_speed:
                replay = replace(replay, speed="max" if command.speed is None else f"{command.speed:g}")
            self.replay = replay

    def start_replay(self, path: str, seconds: float) -> None:
        """Behave from now on as the replay of a ``seconds`` long recording at ``path``."""
        self.market = "replay"
        self.replay = ReplayView(path, self.time, self.time + seconds, self.time, 0, False, "1", False)


class FakeRuntime:
    """Serve a ``FakeMarket`` the way ``Runtime`` does; ``advance`` moves it on by one 50 ms step.

    Commands are applied at once, on the caller's thread, and kept in ``submitted``.
    """

    def __init__(self, config: Config | None = None, seed: int = 7) -> None:
        self.config = config or load_config()
        self.settings: dict = {}
        self.database_path = default_data_dir() / "octo.db"  # never opened: the market is in memory
        self.market = FakeMarket(self.config, seed=seed)
        self.submitted: list = []
        self.is_running = True
        self.frame_gate = FrameGate()
        self._snapshot = self.market.step(0.05)

    def submit(self, command) -> None:
        """Record ``command`` and apply it to the market."""
        if self.is_running:
            self.submitted.append(command)
            self.market.apply(command)

    def latest_snapshot(self) -> Snapshot:
        """Return the snapshot of the last step."""
        return self._snapshot

    def advance(self, dt: float = 0.05) -> Snapshot:
        """Step the market and publish its snapshot."""
        self._snapshot = self.market.step(dt)
        return self._snapshot

    def stop(self) -> None:
        """Stop serving commands."""
        self.is_running = False


def make_snapshot(steps: int = 200, seed: int = 7, config: Config | None = None, **changes) -> Snapshot:
    """Return the snapshot of a fake market after ``steps`` steps of 50 ms, with fields replaced."""
    market = FakeMarket(config or load_config(), seed=seed)
    snapshot = None
    for _ in range(steps):
        snapshot = market.step(0.05)
    return replace(snapshot, **changes) if changes else snapshot
