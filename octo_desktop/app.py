"""Composition root: build every component and pass its dependencies in explicitly."""

from __future__ import annotations

from pathlib import Path

from octo_desktop.config import Config, default_data_dir
from octo_desktop.engine.core import Engine
from octo_desktop.engine.runtime import Runtime
from octo_desktop.execution.paper import PaperExecution
from octo_desktop.feeds.simulated import SimulatedFeed, SimulatedMarket
from octo_desktop.storage import open_store


def default_db_path() -> Path:
    """Return the database path used when ``--db`` is not given."""
    return default_data_dir() / "octo.db"


def speed_label(speed: float | None) -> str:
    """Return how a speed is shown: "max" or the factor."""
    return "max" if speed is None else f"{speed:g}"


def compose(config: Config, store, state, clock, publish, speed):
    """Build the engine, the simulated feed and the paper executor on the runtime thread."""
    engine = Engine(config, clock, store, state, market=config.market, speed=speed_label(speed),
                    publish=publish)
    market = SimulatedMarket(config, origin=clock.now())
    feed = SimulatedFeed(market, clock, engine.on_market_event)
    execution = PaperExecution(config, engine.books, clock, liquidity=feed, seed=config.seed + 1)
    engine.connect(feed, execution)
    return engine, feed


def build_runtime(config: Config, db_path: str | Path | None = None, speed: float | None = 1.0,
                  start_time: float | None = None, run_seconds: float | None = None) -> Runtime:
    """Open the database, load the stored state and return a runtime ready to ``start()``."""
    store = open_store(Path(db_path) if db_path is not None else default_db_path())
    try:
        state = store.load()
    except BaseException:
        store.close()
        raise
    return Runtime(config, store, state, compose, speed=speed, start_time=start_time,
                   run_seconds=run_seconds)
