"""Composition root: build every component and pass its dependencies in explicitly.

The market source is the only thing that differs between a simulated, a live and a replayed
session: the engine, the paper executor, storage and the GUI are the same objects in all three.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from pathlib import Path
from types import MappingProxyType

from octo_desktop.advisor import check_advisor, make_advisor
from octo_desktop.config import (
    Config, ConfigError, SymbolMarket, SymbolSpec, check_engine_start, default_data_dir, venue_defaults,
)
from octo_desktop.domain.model import BookUpdate
from octo_desktop.desks.arbitrage import ArbitrageDesk
from octo_desktop.desks.router.desk import RouterDesk
from octo_desktop.desks.treasury.desk import TreasuryDesk
from octo_desktop.engine.kernel import Kernel
from octo_desktop.engine.recorder import OwnFillMarker, Recorder
from octo_desktop.engine.runtime import Runtime
from octo_desktop.execution.paper import PaperExecution
from octo_desktop.feeds.recording import RecordingReader, open_recording
from octo_desktop.storage import open_store

MARKETS = ("simulated", "live", "replay")


@dataclass(frozen=True)
class MarketSource:
    """Where market data comes from, and what to do with it."""

    kind: str = "simulated"  # simulated, live or replay
    replay: RecordingReader | None = None
    record_path: str | None = None  # record every event from the first one
    stop_at_end: bool = False  # a replay stops the engine when the recording ends
    log_opportunities: bool = False  # keep every opportunity for the --json summary


def default_db_path() -> Path:
    """Return the database path used when ``--db`` is not given."""
    return default_data_dir() / "octo.db"


def default_recordings_dir() -> Path:
    """Return where recordings go when no file is named."""
    return default_data_dir() / "recordings"


def speed_label(speed: float | None) -> str:
    """Return how a speed is shown: "max" or the factor."""
    return "max" if speed is None else f"{speed:g}"


def compose(config: Config, store, state, clock, publish, speed, *, source: MarketSource = MarketSource(),
            listener=None, stop_at: float | None = None, on_stop=None, snapshot_wanted=None) -> Kernel:
    """Build the kernel with its feed, paper executor and desks, on the runtime thread.

    ``listener`` (optional) is called on the runtime thread with one JSON-ready dict per journaled
    fill and per closed trade (the CLI's ``--stream``). ``stop_at`` / ``on_stop``: a run of fixed
    length (engine time) and what to call when it is reached. ``snapshot_wanted``: see ``Kernel``.
    """
    recorder = Recorder()
    replay_path = ""

    def make_feed(sink, batch, stop_at_time, pause_at_time):
        if source.kind == "simulated":
            from octo_desktop.feeds.simulated import SimulatedFeed, SimulatedMarket

            return SimulatedFeed(SimulatedMarket(config, origin=clock.now()), clock, sink, batch)
        if source.kind == "live":
            from octo_desktop.feeds.live import LiveFeed

            return LiveFeed(config, clock, sink)
        if source.kind == "replay":
            from octo_desktop.feeds.replay import ReplayFeed

            # A replay stops on the housekeeping tick where the recorded session stopped, as that session did;
            # in the window, engine time stops there instead and the finished session stays on screen.
            return ReplayFeed(source.replay, clock, sink, batch,
                              on_end=stop_at_time if source.stop_at_end else pause_at_time)
        raise ConfigError(f"market.kind: unknown market {source.kind!r}")

    def make_execution(books, feed):
        # Live: each venue's order latency is learned from its measured latencies (config until enough).
        return PaperExecution(config, books, clock, liquidity=OwnFillMarker(feed, recorder),
                              learned_latency=source.kind == "live", seed=config.seed + 1)

    def make_desks(services):
        desk = ArbitrageDesk(services, state, advisor=make_advisor(config), log_opportunities=source.log_opportunities,
                             fill_listener=(lambda result: listener(fill_event(result))) if listener else None,
                             trade_listener=(lambda trade: listener(trade_event(trade))) if listener else None)
        treasury = TreasuryDesk(services, state,
                                transfer_listener=(lambda t: listener(transfer_event(t))) if listener else None)
        return [desk, treasury, RouterDesk(services, state)]

    if source.kind == "replay":
        replay_path = str(source.replay.path)
    kernel = Kernel(config, clock, store, state, market=source.kind, speed=speed_label(speed), publish=publish,
                    make_feed=make_feed, make_execution=make_execution, make_desks=make_desks, recorder=recorder,
                    stop_at=stop_at, on_stop=on_stop, replay_path=replay_path, snapshot_wanted=snapshot_wanted)
    if source.record_path:
        kernel.start_recording(source.record_path, at_start=True)
    return kernel


def fill_event(result) -> dict:
    """Return an order result's fills as one JSON-ready event."""
    request = result.request
    return {"event": "fills", "trade_id": request.trade_id, "order_id": request.order_id,
            "venue": request.venue, "symbol": request.symbol, "side": request.side, "purpose": request.purpose,
            "order_type": request.order_type, "status": result.status,
            "fills": [{"seq": seq, "price": format(f.price, "f"), "quantity": format(f.quantity, "f"),
                       "fee": format(f.fee, "f"), "fee_asset": f.fee_asset, "liquidity": f.liquidity,
                       "time": f.time} for seq, f in enumerate(result.fills)]}


def trade_event(trade) -> dict:
    """Return a closed trade as one JSON-ready event."""
    return {"event": "trade", "trade_id": trade.trade_id, "symbol": trade.symbol, "buy_venue": trade.buy_venue,
            "sell_venue": trade.sell_venue, "state": str(trade.state), "planned": format(trade.planned_quantity, "f"),
            "matched": format(trade.matched_quantity, "f"), "realized_pnl": format(trade.realized_pnl, "f"),
            "steps": [step.detail for step in trade.steps]}


def transfer_event(transfer) -> dict:
    """Return a transfer's change of state as one JSON-ready event."""
    return {"event": "transfer", "transfer_id": transfer.transfer_id, "state": str(transfer.state),
            "asset": transfer.asset, "from_venue": transfer.from_venue, "to_venue": transfer.to_venue,
            "network": transfer.chain, "amount": format(transfer.amount, "f"), "fee": format(transfer.fee, "f"),
            "confirmations": transfer.confirmations, "purpose": transfer.purpose}


def build_runtime(config: Config, db_path: str | Path | None = None, speed: float | None = 1.0,
                  start_time: float | None = None, run_seconds: float | None = None,
                  source: MarketSource = MarketSource(), cleanup=None, listener=None) -> Runtime:
    """Open the database, load the stored state and return a runtime ready to ``start()``."""
    if source.kind == "live" and speed != 1:
        raise ConfigError("a live market runs in real time: --speed must be 1")
    check_advisor(config)
    if start_time is not None:  # before the database is opened (and perhaps created)
        check_engine_start(start_time, "engine start")
    store = open_store(Path(db_path) if db_path is not None else default_db_path())
    try:
        state = store.load()
        return Runtime(config, store, state, partial(compose, source=source, listener=listener), speed=speed,
                       start_time=start_time, run_seconds=run_seconds, virtual_time=source.kind == "replay",
                       cleanup=cleanup)
    except BaseException:
        store.close()
        raise


def build_replay_runtime(config: Config, path: str | Path, db_path: str | Path | None = None,
                         speed: float | None = 1.0, *, stop_at_end: bool = False,
                         log_opportunities: bool = False) -> Runtime:
    """Return a runtime that replays the recording at ``path`` through the engine.

    The venues, symbols, trading rules and seed come from the recording's header; strategy, risk
    and account settings from ``config``. Without ``db_path`` the replay trades into a fresh
    temporary database, deleted when the runtime stops, so the same file always gives the same result.
    """
    reader = open_recording(path)
    replay = replay_config(config, reader)
    cleanup = None
    if db_path is None:
        folder = tempfile.mkdtemp(prefix="octo-replay-")
        db_path = Path(folder) / "replay.db"
        cleanup = partial(shutil.rmtree, folder, ignore_errors=True)
    source = MarketSource("replay", replay=open_recording(path), stop_at_end=stop_at_end,
                          log_opportunities=log_opportunities)
    try:
        return build_runtime(replay, db_path, speed=speed, start_time=reader.header.start, source=source,
                             cleanup=cleanup)
    except BaseException:
        if cleanup is not None:
            cleanup()
        raise


def replay_config(config: Config, reader: RecordingReader) -> Config:
    """Return ``config`` restricted to the recording's venues and symbols, with its recorded rules."""
    header = reader.header
    missing = [s for s in header.symbols if s not in config.markets]
    first_mids = _first_mids(reader, missing) if missing else {}
    markets = {}
    for symbol in header.symbols:
        market = config.markets.get(symbol)
        if market is None:
            mid = first_mids.get(symbol)
            if mid is None:
                raise ConfigError(f'the recording has no book for {symbol}, and the config no '
                                  f'[symbols.specs."{symbol}"] to take its price from')
            market = SymbolMarket(symbol, initial_price=mid, volatility_annual=0.5, level_spacing_bps=1.0,
                                  touch_size_usdt=10_000.0, trade_notional_usdt=2_000.0)
        markets[symbol] = market
    venues = {}
    for name in header.venues:
        venue = config.venues.get(name) or venue_defaults(name)
        rules = header.rules.get(name, {}) if isinstance(header.rules, dict) else {}
        specs = {}
        recorded = rules.get("symbols", {}) if isinstance(rules, dict) else {}
        for symbol in header.symbols:
            values = recorded.get(symbol)
            if isinstance(values, list) and len(values) == 3:
                specs[symbol] = SymbolSpec(symbol, *(Decimal(str(v)) for v in values))
            elif symbol in venue.symbols:
                specs[symbol] = venue.symbols[symbol]
            else:
                raise ConfigError(f"the recording has no trading rules for {symbol} on {name}")
        taker = rules.get("taker_fee") if isinstance(rules, dict) else None
        maker = rules.get("maker_fee") if isinstance(rules, dict) else None
        venues[name] = replace(venue, symbols=MappingProxyType(specs),
                               taker_fee=Decimal(taker) if taker is not None else venue.taker_fee,
                               maker_fee=Decimal(maker) if maker is not None else venue.maker_fee)
    seed = header.seed if header.seed is not None else config.seed
    return replace(config, market="replay", seed=seed, symbols=tuple(header.symbols),
                   markets=MappingProxyType(markets), venues=MappingProxyType(venues))


def _first_mids(reader: RecordingReader, symbols: list[str], limit: int = 100_000) -> dict[str, float]:
    mids: dict[str, float] = {}
    for count, (event, _own) in enumerate(reader.events()):
        if count >= limit or len(mids) == len(symbols):
            break
        if isinstance(event, BookUpdate) and event.symbol in symbols and event.symbol not in mids \
                and event.bids and event.asks:
            mid = (max(p for p, _ in event.bids) + min(p for p, _ in event.asks)) / 2.0
            if math.isfinite(mid) and mid > 0:
                mids[event.symbol] = mid
    return mids
