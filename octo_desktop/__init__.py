"""Octo: a desktop terminal for cross-venue crypto arbitrage, traded on paper."""

__version__ = "0.1.0"
