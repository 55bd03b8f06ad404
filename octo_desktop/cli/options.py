"""The command line's parser, its argument types and the option groups several commands share.

A bad argument is one line naming it, exit code 2. ``build_parser`` assembles the sub-parsers that each
command module declares in its ``add_parser``.
"""

from __future__ import annotations

import argparse
import math

from octo_desktop import __version__
from octo_desktop.cli.common import PROG
from octo_desktop.config import (
    ADVISOR_KINDS, SEED_MAX, VENUE_IDS, ConfigError, check_engine_start, default_config_path,
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the problem, exit code 2."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        self.exit(2, f"{self.prog}: error: {message}\n")


def positive_number(text: str) -> float:
    """Parse a finite number above zero."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


MIN_SPEED = 0.01  # slower than this, one housekeeping tick would be a wait longer than the OS timers allow


def clock_speed(text: str) -> float | None:
    """Parse an engine clock speed: a number from ``MIN_SPEED`` up, or ``max`` (None)."""
    if text == "max":
        return None
    try:
        value = positive_number(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"invalid speed {text!r}: a positive number or 'max'") from None
    if value < MIN_SPEED:
        raise argparse.ArgumentTypeError(f"invalid speed {text!r}: at least {MIN_SPEED:g} (or 'max')")
    return value


class SpeedGiven(argparse.Action):
    """Store the speed and note that it was given (``max`` and "not given" are both None)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)
        namespace.speed_given = True


def market_seed(text: str) -> int:
    """Parse a seed of the simulated market: a whole number from 0 to ``SEED_MAX``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: a whole number") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: from 0 to {SEED_MAX}")
    return value


def engine_start_time(text: str) -> float:
    """Parse the engine clock's start: unix seconds from 2000 to 2100."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid start time {text!r}: unix seconds") from None
    try:
        check_engine_start(value)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def wait_seconds(text: str) -> float:
    """Parse a wait: zero or a finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be zero or a positive number of seconds, got {text!r}")
    return value


def common_options(parser: argparse.ArgumentParser, sub: bool = False) -> None:
    """Add --config, --db and --set, which every command takes."""
    # Options may come before or after the command; a sub-command must not reset what came before.
    kw = {"default": argparse.SUPPRESS} if sub else {}
    parser.add_argument("--config", metavar="PATH", **kw,
                        help=f"TOML config file (default: the user's file, {default_config_path()})")
    parser.add_argument("--db", metavar="PATH", **kw, help="SQLite database (default: octo.db in the user data dir)")
    parser.add_argument("--set", metavar="KEY=VALUE", action="append", dest="overrides",
                        **({"default": argparse.SUPPRESS} if sub else {"default": []}),
                        help="override one config key, e.g. --set strategy.threshold_bps=8 (repeatable)")


def _market(text: str) -> str:
    kind = {"sim": "simulated", "simulated": "simulated", "live": "live"}.get(text)
    if kind is None:
        raise argparse.ArgumentTypeError(f"invalid market {text!r}: 'sim' or 'live'")
    return kind


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list")
    return names


def source_options(parser: argparse.ArgumentParser, kw: dict) -> None:
    """Add where the market data comes from: --market, --venues, --symbols, and --advisor."""
    parser.add_argument("--market", type=_market, **kw, metavar="sim|live",
                        help="market data source: the simulated market (default) or live venues via ccxt")
    parser.add_argument("--venues", type=_names, **kw, metavar="A,B",
                        help=f"venues to use, comma-separated (default: every enabled venue; known: "
                             f"{', '.join(VENUE_IDS)})")
    parser.add_argument("--symbols", type=_names, **kw, metavar="X/USDT,...",
                        help="symbols to watch, comma-separated (default: config symbols.list)")
    advisor_option(parser, kw)


def advisor_option(parser: argparse.ArgumentParser, kw: dict) -> None:
    """Add --advisor."""
    parser.add_argument("--advisor", choices=ADVISOR_KINDS, **kw,
                        help="who advises on each opportunity before risk: the offline rule advisor (default) "
                             "or an OpenAI model (needs OPENAI_API_KEY, or advisor.base_url/OPENAI_BASE_URL for "
                             "a local OpenAI-compatible server)")


def run_options(parser: argparse.ArgumentParser, sub: bool = False) -> None:
    """Add the options of ``run``, which the program takes without a command too."""
    common_options(parser, sub)
    kw = {"default": argparse.SUPPRESS} if sub else {}
    source_options(parser, kw)
    parser.add_argument("--headless", action="store_true", **kw, help="run without a window and print a summary")
    parser.add_argument("--seconds", type=positive_number, **kw, metavar="N",
                        help="stop after N seconds of engine time (headless default: 60)")
    parser.add_argument("--seed", type=market_seed, **kw, metavar="S",
                        help="seed of the simulated market (default: config)")
    parser.add_argument("--speed", type=clock_speed, action=SpeedGiven, **kw, metavar="X|max",
                        help="engine clock speed: 1 = real time (GUI default), 10 = ten times faster, "
                             "max = as fast as possible (headless default)")
    parser.add_argument("--start-time", type=engine_start_time, **kw, metavar="UNIX",
                        help="engine clock start, unix seconds (default: now)")
    parser.add_argument("--json", action="store_true", **kw, help="print the headless summary as one JSON object")
    parser.add_argument("--stream", action="store_true", **kw,
                        help="headless: print one JSON line per fill, per closed trade and per change of a "
                             "transfer's state as each is committed")
    parser.add_argument("--startup-check", action="store_true", **kw,
                        help="open the window, wait for the first frame and the charts, print the launch "
                             "timings as one JSON object and close (checks a build; measures start-up)")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for every command, each declared by its own module."""
    # Imported here: the command modules import this one for the option groups.
    from octo_desktop.cli import (
        ai_log, bench, config_command, control, doctor, export, record, replay, route, run, treasury,
    )

    parser = _Parser(prog=PROG, description="Octo: cross-venue crypto arbitrage terminal, trading on paper. "
                                            "Without a command, opens the terminal on the simulated market.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    run_options(parser)
    parser.set_defaults(func=run.run)  # no command: the window (or --headless)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in (run, ai_log, export, record, replay, control, treasury, route, doctor, bench,
                    config_command):  # --help's order
        command.add_parser(subparsers)
        if command is control:
            control.add_set_parser(subparsers)
        if command is route:
            route.add_pools_parser(subparsers)
    return parser
