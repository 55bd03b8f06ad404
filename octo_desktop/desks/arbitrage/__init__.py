"""The arbitrage desk: buy one asset on one venue and sell it on another when the net spread pays.

``detector`` finds the pairs (each venue's VWAP at size, cached per book version), ``desk`` decides
(signals, the advisor, risk) and runs the trades, ``trader`` sends one trade's legs and rolls back what
did not match, ``trades`` keeps the open and recent trades and is the trades' write-ahead journal,
``advice`` keeps the AI log, ``views`` turns trades and decisions into what the window shows.
"""

from octo_desktop.desks.arbitrage.desk import ArbitrageDesk

__all__ = ["ArbitrageDesk"]
