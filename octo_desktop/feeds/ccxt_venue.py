"""The boundary with ccxt: build a venue's ``ccxt.pro`` client, translate its errors, read its rules.

Everything ccxt-specific lives here; the live feed sees Octo's own ``FeedError`` and plain data.
Two guards are added to ccxt's client, both measured against recorded traffic on loopback:

* A frame that is not valid JSON (or that a venue's parser chokes on) raises inside ccxt's receive
  callback, which then stops reading the socket without telling anyone. The guard counts the frame
  as malformed, drops it, and the connection carries on.
* ccxt 4.5 does not verify OKX's book checksums. The OKX client keeps the checksum of the last
  book message per symbol, and the feed checks it against its own copy of the book.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Mapping

from octo_desktop.domain.money import exact

RETRYABLE = "retryable"
FATAL = "fatal"
GAP = "gap"

_SECRET_KEYS = ("apiKey", "secret", "password", "uid", "privateKey", "token")


class FeedError(Exception):
    """A market-data failure in Octo's terms: ``kind`` is retryable, fatal or gap; one-line message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def retryable(self) -> bool:
        return self.kind != FATAL


def one_line(text: str, secrets: tuple[str, ...] = (), limit: int = 200) -> str:
    """Return ``text`` as one short line, with any secret value masked."""
    line = " ".join(str(text).split())
    for secret in secrets:
        if secret:
            line = line.replace(secret, "***")
    line = re.sub(r"(?i)(api[-_]?key|signature|secret|passphrase)=[^&\s]+", r"\1=***", line)
    return line if len(line) <= limit else line[: limit - 3] + "..."


def translate_error(exc: BaseException, secrets: tuple[str, ...] = ()) -> FeedError:
    """Map a ccxt (or network) exception to a FeedError: fatal ones stop the venue or symbol."""
    import ccxt

    name = type(exc).__name__
    text = f"{name}: {exc}" if str(exc) else name
    cause = exc.__cause__ or exc.__context__
    if cause is not None and str(cause) and str(cause) not in text:
        text += f" ({cause})"
    message = one_line(text, secrets)
    if isinstance(exc, (ccxt.ChecksumError, ccxt.InvalidNonce)):
        return FeedError(GAP, message)
    if isinstance(exc, (ccxt.AuthenticationError, ccxt.BadSymbol, ccxt.NotSupported, ccxt.ArgumentsRequired,
                        ccxt.AccountSuspended, ccxt.RestrictedLocation, ccxt.InvalidProxySettings)):
        return FeedError(FATAL, message)
    if isinstance(exc, ccxt.BadRequest):
        return FeedError(FATAL, message)
    return FeedError(RETRYABLE, message)


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict:
    """Return ``base`` with ``extra`` merged in, tables recursively (``extra`` wins)."""
    result = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value
    return result


def secrets_of(options: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the credential values in a venue's ccxt options (to mask them in messages)."""
    return tuple(str(options[k]) for k in _SECRET_KEYS if options.get(k))


def create_exchange(venue: str, options: Mapping[str, Any], timeout_s: float):
    """Return a ``ccxt.pro`` client for ``venue`` with Octo's guards, ``options`` deep-merged in."""
    import ccxt.pro

    base = getattr(ccxt.pro, venue, None)
    if base is None:
        raise FeedError(FATAL, f"ccxt has no WebSocket client for {venue!r}")
    config = deep_merge({"enableRateLimit": True, "timeout": int(timeout_s * 1000), "newUpdates": True},
                        options)
    return _guarded_class(base)(config)


_CLASSES: dict[type, type] = {}


def _guarded_class(base: type) -> type:
    cls = _CLASSES.get(base)
    if cls is not None:
        return cls

    class Guarded(base):  # type: ignore[misc, valid-type]
        """ccxt's client for one venue, with malformed-frame and checksum bookkeeping."""

        def __init__(self, config=None) -> None:
            super().__init__(config or {})
            self.octo_malformed = 0
            self.octo_last_malformed = ""
            self.octo_checksums: dict[str, int] = {}

        def client(self, url):
            client = super().client(url)
            if not getattr(client, "_octo_guarded", False):
                receive = client.handle_text_or_binary_message

                def guarded(data, _receive=receive):
                    try:
                        _receive(data)
                    except Exception as exc:  # noqa: BLE001 - one bad frame must not end the stream
                        self.octo_malformed += 1
                        self.octo_last_malformed = one_line(f"malformed frame dropped ({type(exc).__name__}: "
                                                            f"{exc})", limit=160)

                client.handle_text_or_binary_message = guarded
                client._octo_guarded = True
            return client

        def handle_order_book(self, client, message):
            if self.id == "okx" and isinstance(message, dict):
                data = message.get("data")
                arg = message.get("arg") or {}
                if isinstance(data, list) and data and isinstance(data[-1], dict) and "checksum" in data[-1]:
                    try:
                        symbol = self.safe_symbol(arg.get("instId"))
                        self.octo_checksums[symbol] = int(data[-1]["checksum"])
                    except (TypeError, ValueError):
                        pass
            return super().handle_order_book(client, message)

    Guarded.__name__ = f"Octo{base.__name__}"
    _CLASSES[base] = Guarded
    return Guarded


async def drop_connections(exchange) -> None:
    """Close every WebSocket of ``exchange`` and forget its books, so the next watch starts afresh."""
    clients = list(getattr(exchange, "clients", {}).items())
    for url, _client in clients:
        exchange.clients.pop(url, None)
    exchange.orderbooks = {}
    for _url, client in clients:
        try:
            await client.close()
        except Exception:  # noqa: BLE001 - closing a broken socket may itself fail; it is gone either way
            pass


def market_rules(exchange, symbol: str) -> tuple[str, str, str] | None:
    """Return (tick size, lot size, minimum notional) as decimal strings, or None where unknown."""
    import ccxt

    market = exchange.markets.get(symbol) if exchange.markets else None
    if not market:
        return None
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}

    def step(value) -> str | None:
        if value is None:
            return None
        if exchange.precisionMode == ccxt.TICK_SIZE:
            return _decimal_text(value)
        return _decimal_text(Decimal(1).scaleb(-int(value)))  # DECIMAL_PLACES / SIGNIFICANT_DIGITS

    tick, lot = step(precision.get("price")), step(precision.get("amount"))
    minimum = (limits.get("cost") or {}).get("min")
    if tick is None or lot is None:
        return None
    return tick, lot, _decimal_text(minimum) if minimum is not None else "0"


def market_fees(exchange, symbol: str) -> tuple[str | None, str | None]:
    """Return the (taker, maker) fee rates ccxt knows for ``symbol``, as decimal strings or None."""
    market = (exchange.markets or {}).get(symbol) or {}
    taker, maker = market.get("taker"), market.get("maker")
    return (_decimal_text(taker) if taker is not None else None,
            _decimal_text(maker) if maker is not None else None)


def _decimal_text(value) -> str:
    number = exact(value)
    text = format(number.normalize(), "f")
    return text
