"""Withdrawal networks refreshed from the REAL ccxt client in live mode, end to end on loopback.

A KuCoin REST server on 127.0.0.1 (``tests.fakes.currencies``) answers ccxt's ``load_markets`` (symbols,
tickers, currencies) in KuCoin's own reply schema. The live ``VenueSession`` runs as in the app; its
``NetworkRules`` event is laid over the config as the kernel does. The kernel itself is checked with the
treasury desk's quote, and ``treasury networks --live`` with the command line in its own process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from decimal import Decimal

import pytest

from octo_desktop.config import load_config
from octo_desktop.domain.model import MarketRules, NetworkRules
from octo_desktop.engine.clock import Clock
from octo_desktop.feeds.live import VenueSession
from octo_desktop.feeds.networks_live import apply_network_rules
from octo_desktop.feeds.recording import open_recording
from tests.fakes.currencies import KUCOIN_CURRENCIES, KucoinRestServer, kucoin_chain, kucoin_currency
from tests.fakes.exchanges import ServerThread
from tests.fakes.headless import run_octo
from tests.fakes.waiting import eventually_async
from tests.integration.test_live_feed import write_config

pytestmark = pytest.mark.integration
TIMEOUT = 8.0
SOURCE = re.compile(r"kucoin via ccxt fetch_currencies, \d{4}-\d\d-\d\d \d\d:\d\d UTC")
BUILT_IN = "built-in, 2026-12"


class Events:
    """The session's sink: keeps every event."""

    def __init__(self) -> None:
        self.events: list = []

    def __call__(self, event) -> None:
        self.events.append(event)

    def of(self, cls) -> list:
        return [e for e in self.events if isinstance(e, cls)]


async def run_kucoin_session(tmp_path, server: KucoinRestServer, scenario, **live) -> None:
    """Run a live kucoin VenueSession (real ccxt.pro client) against ``server`` while ``scenario`` looks."""
    path = write_config(tmp_path / "kucoin.toml", "kucoin", "BTC/USDT", server.ccxt_overrides(), **live)
    config = load_config(path)
    sink = Events()
    loop = asyncio.get_running_loop()
    session = VenueSession("kucoin", config, Clock(loop, time.time()), sink)
    task = loop.create_task(session.run())
    try:
        await scenario(config, session, sink)
        assert not task.done(), task.exception() if task.done() else ""
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_a_live_session_reports_kucoin_networks_and_the_config_takes_them_with_their_source(tmp_path):
    async def scenario(config, session, sink):
        await eventually_async(lambda: sink.of(NetworkRules), TIMEOUT, "kucoin's withdrawal networks")
        (event,) = sink.of(NetworkRules)
        assert sink.events.index(sink.of(MarketRules)[0]) < sink.events.index(event)  # after the markets
        assert event.venue == "kucoin" and SOURCE.fullmatch(event.source)
        assert session.errors["networks"] == 0
        updated, changed = apply_network_rules(config, event)
        routes = updated.venues["kucoin"].networks
        trc20, bep20, sol = routes["USDT"]["TRC20"], routes["USDT"]["BEP20"], routes["SOL"]["SOL"]
        assert (trc20.fee, trc20.fee_share, trc20.minimum) == (Decimal("1.5"), Decimal("0"), Decimal("10"))
        assert trc20.withdraw_enabled and trc20.deposit_enabled and trc20.source == event.source
        assert not bep20.withdraw_enabled and bep20.deposit_enabled and bep20.fee == Decimal("0.45")
        assert sol.withdraw_enabled and not sol.deposit_enabled and sol.minimum == Decimal("0.12")
        assert routes["BTC"]["BTC"].fee == Decimal("0.00025")  # the "btc" chain, not the segwit listing
        assert routes["ETH"]["ARBITRUM"].fee == Decimal("0.00009")
        assert routes["USDT"]["ARBITRUM"].chain is config.treasury.chains["ARBITRUM"]
        assert changed == 9 and "KCC" not in routes["USDT"]

    async def main():
        async with KucoinRestServer() as server:
            await run_kucoin_session(tmp_path, server, scenario)
            # The currencies ccxt loaded with the markets were used: no second request for them.
            assert server.requests.count("/api/v3/currencies") == 1
            assert "/api/v2/symbols" in server.requests

    asyncio.run(main())


def test_a_reply_without_fees_or_networks_gives_one_line_each_and_keeps_the_built_in_figures(tmp_path, caplog):
    bad = [kucoin_currency("USDT", "Tether", [kucoin_chain("trx", "TRC20", None, "10"),  # "withdrawalMinFee": null
                                              kucoin_chain("eth", "ERC20", "3.2", "12")]),
           kucoin_currency("BTC", "Bitcoin", []),  # listed without chains: ccxt gives it no networks
           *[c for c in KUCOIN_CURRENCIES if c["currency"] in ("ETH", "SOL")]]

    async def scenario(config, session, sink):
        await eventually_async(lambda: sink.of(NetworkRules), TIMEOUT, "kucoin's withdrawal networks")
        (event,) = sink.of(NetworkRules)
        assert session.errors["networks"] == 1  # one refresh with problems (their lines are in the log)
        updated, _ = apply_network_rules(config, event)
        routes = updated.venues["kucoin"].networks
        assert (routes["USDT"]["TRC20"].fee, routes["USDT"]["TRC20"].source) == (Decimal("1.0"), BUILT_IN)
        assert (routes["BTC"]["BTC"].fee, routes["BTC"]["BTC"].source) == (Decimal("0.0002"), BUILT_IN)
        assert routes["USDT"]["ERC20"].fee == Decimal("3.2") and SOURCE.fullmatch(routes["USDT"]["ERC20"].source)

    async def main():
        async with KucoinRestServer(bad) as server:
            await run_kucoin_session(tmp_path, server, scenario)

    with caplog.at_level(logging.INFO, logger="octo_desktop.feeds.live"):
        asyncio.run(main())
    assert [r.getMessage() for r in caplog.records if "figures kept" in r.getMessage()] == [
        "kucoin: USDT on TRC20 (ccxt TRC20): no usable withdrawal fee (None); the TRC20 figures kept as they were",
        "kucoin: ccxt reports no withdrawal networks for BTC; its figures kept as they were"]


def test_a_nan_fee_that_breaks_ccxts_parser_is_one_line_and_the_markets_still_load(tmp_path, caplog):
    # ccxt 4.5.90's safe_currency_structure raises ValueError on a "NaN" fee beside a numeric one, inside
    # load_markets: the session loads the markets without currencies and says why, once.
    bad = [kucoin_currency("USDT", "Tether", [kucoin_chain("trx", "TRC20", "NaN", "10"),
                                              kucoin_chain("eth", "ERC20", "3.2", "12")])]

    async def scenario(config, session, sink):
        await eventually_async(lambda: session.errors["networks"], TIMEOUT, "the networks problem")
        assert sink.of(MarketRules) and sink.of(MarketRules)[0].specs[0][:3] == ("BTC/USDT", "0.1", "0.00000001")
        assert not sink.of(NetworkRules) and session.errors["connect"] == 0 and not session.fatal

    async def main():
        async with KucoinRestServer(bad) as server:
            await run_kucoin_session(tmp_path, server, scenario)
            assert server.requests.count("/api/v3/currencies") == 1  # not asked again

    with caplog.at_level(logging.INFO, logger="octo_desktop.feeds.live"):
        asyncio.run(main())
    lines = [r.getMessage() for r in caplog.records if "figures kept" in r.getMessage()]
    assert lines == [("kucoin: ccxt cannot read the venue's currencies reply (ValueError: invalid literal for int() "
                        "with base 10: 'nan'); withdrawal figures kept as they were")]


def test_refresh_networks_off_sends_no_networks_event(tmp_path):
    async def scenario(config, session, sink):
        assert config.live.refresh_networks is False
        # The session's tasks are created together, right after the markets loaded.
        await eventually_async(lambda: session._tasks, TIMEOUT, "the session's watchers")
        assert sink.of(MarketRules) and not sink.of(NetworkRules)
        assert not [t for t in session._tasks if t.get_name().startswith("networks-")]

    async def main():
        async with KucoinRestServer() as server:
            await run_kucoin_session(tmp_path, server, scenario, refresh_networks=False)

    asyncio.run(main())


class QuietFeed:
    """A feed with no market: the test hands events to the kernel itself."""

    name = "quiet"

    async def run(self):
        await asyncio.Event().wait()

    def request_resync(self, venue, symbol):
        pass

    def on_own_fill(self, venue, symbol, side, taken):
        pass

    def summary(self):
        return {}

    def connection_health(self):
        return {}


def test_the_kernel_adopts_a_networks_event_and_a_later_recording_starts_with_it(tmp_path):
    from octo_desktop.desks.treasury.desk import TreasuryDesk
    from octo_desktop.engine.kernel import Kernel
    from octo_desktop.execution.paper import PaperExecution
    from octo_desktop.storage import open_store

    path = tmp_path / "octo.toml"
    path.write_text("[venues.okx.networks.USDT.TRC20]\nfee = 0.7\n")  # a route the user set: it stays
    config = load_config(path)
    store = open_store(tmp_path / "octo.db")
    state = store.load()
    source = "kucoin via ccxt fetch_currencies, 2025-12-05 00:14 UTC"

    async def main():
        clock = Clock(asyncio.get_running_loop(), 1764893640.0)
        desks = []
        kernel = Kernel(config, clock, store, state, market="live", speed="1", publish=lambda snapshot: None,
                        make_feed=lambda *_: QuietFeed(),
                        make_execution=lambda books, feed: PaperExecution(config, books, clock, liquidity=feed, seed=1),
                        make_desks=lambda services: desks.append(TreasuryDesk(services, state)) or desks)
        treasury = desks[0]
        before, _ = treasury.quote("kucoin", "okx", "USDT", Decimal("100"), "TRC20")
        assert before.fee == Decimal("1.0")  # built-in
        now = clock.now()
        kernel.on_market_event(NetworkRules("kucoin", (("USDT", "TRC20", "1.5", "0", "10", True, True),
                                                       ("USDT", "BEP20", "0.45", "0", "10", False, True)),
                                            source, now))
        kernel.on_market_event(NetworkRules("okx", (("USDT", "TRC20", "2.5", "0", "10", True, True),), source, now))
        networks = kernel.rules.config.venues["kucoin"].networks["USDT"]
        assert (networks["TRC20"].fee, networks["TRC20"].source) == (Decimal("1.5"), source)
        assert kernel.rules.config.venues["okx"].networks["USDT"]["TRC20"].fee == Decimal("0.7")  # the user's
        after, quotes = treasury.quote("kucoin", "okx", "USDT", Decimal("100"), "TRC20")
        assert after.fee == Decimal("1.5")
        assert next(q for q in quotes if q.chain == "BEP20").refused == \
            "kucoin has withdrawals of USDT on BEP20 disabled"
        assert any("kucoin: 2 withdrawal routes from kucoin via ccxt" in d.text for d in kernel.activity.view())
        recording = tmp_path / "later.jsonl.gz"
        kernel.start_recording(str(recording))
        kernel.recorder.stop(clock.now())
        return recording

    try:
        recording = asyncio.run(main())
    finally:
        store.close()
    reader = open_recording(recording)
    replayed = [event for event, _ in reader.events() if isinstance(event, NetworkRules)]
    assert reader.error == ""
    assert [(e.venue, e.networks, e.source) for e in replayed] == [
        ("kucoin", (("USDT", "TRC20", "1.5", "0", "10", True, True), ("USDT", "BEP20", "0.45", "0", "10", False, True)),
         source),
        ("okx", (("USDT", "TRC20", "2.5", "0", "10", True, True),), source)]


def test_treasury_networks_live_prints_each_figure_and_its_source(tmp_path):
    with ServerThread(KucoinRestServer()) as thread:
        server = thread.servers[0]
        path = write_config(tmp_path / "kucoin.toml", "kucoin", "BTC/USDT", server.ccxt_overrides())
        done = run_octo("treasury", "networks", "--live", "--json", "--config", str(path), timeout=120)
        text = run_octo("treasury", "networks", "--live", "--asset", "USDT", "--config", str(path), timeout=120)
        offline = run_octo("treasury", "networks", "--json", "--config", str(path), timeout=120)
    assert done.returncode == 0, done.stderr
    rows = {(r["venue"], r["asset"], r["network"]): r for r in json.loads(done.stdout)}
    trc20 = rows[("kucoin", "USDT", "TRC20")]
    assert (trc20["fee"], trc20["minimum"], trc20["withdraw"], trc20["deposit"]) == ("1.5", "10", True, True)
    assert SOURCE.fullmatch(trc20["source"])
    assert rows[("kucoin", "USDT", "BEP20")]["withdraw"] is False
    assert done.stderr == ""
    assert text.returncode == 0 and re.search(r"kucoin\s+USDT\s+TRC20\s+1\.5\s+10\s+wd .* kucoin via ccxt "
                                              r"fetch_currencies, ", text.stdout)
    assert {r["source"] for r in json.loads(offline.stdout)} == {BUILT_IN}  # without --live: the config's
