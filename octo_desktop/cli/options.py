"""The command line's parser: argument types that name the problem in one line, and the shared option groups."""

from __future__ import annotations

import argparse
import math

from octo_desktop import __version__
from octo_desktop.cli.common import PROG
from octo_desktop.config import ADVISOR_KINDS, SEED_MAX, VENUE_IDS, ConfigError, check_engine_start, default_config_path


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the problem, exit code 2."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


MIN_SPEED = 0.01  # slower than this, one housekeeping tick would be a wait longer than the OS timers allow


def _speed(text: str) -> float | None:
    if text == "max":
        return None
    try:
        value = _positive(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"invalid speed {text!r}: a positive number or 'max'") from None
    if value < MIN_SPEED:
        raise argparse.ArgumentTypeError(f"invalid speed {text!r}: at least {MIN_SPEED:g} (or 'max')")
    return value


class _SpeedGiven(argparse.Action):
    """Store the speed and note that it was given (``max`` and "not given" are both None)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)
        namespace.speed_given = True


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: a whole number") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"invalid seed {text!r}: from 0 to {SEED_MAX}")
    return value


def _start_time(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid start time {text!r}: unix seconds") from None
    try:
        check_engine_start(value)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _wait_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be zero or a positive number of seconds, got {text!r}")
    return value


def _common(parser: argparse.ArgumentParser, sub: bool = False) -> None:
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


def _source_options(parser: argparse.ArgumentParser, kw: dict) -> None:
    parser.add_argument("--market", type=_market, **kw, metavar="sim|live",
                        help="market data source: the simulated market (default) or live venues via ccxt")
    parser.add_argument("--venues", type=_names, **kw, metavar="A,B",
                        help=f"venues to use, comma-separated (default: every enabled venue; known: "
                             f"{', '.join(VENUE_IDS)})")
    parser.add_argument("--symbols", type=_names, **kw, metavar="X/USDT,...",
                        help="symbols to watch, comma-separated (default: config symbols.list)")
    _advisor_option(parser, kw)


def _advisor_option(parser: argparse.ArgumentParser, kw: dict) -> None:
    parser.add_argument("--advisor", choices=ADVISOR_KINDS, **kw,
                        help="who advises on each opportunity before risk: the offline rule advisor (default) "
                             "or an OpenAI model (needs OPENAI_API_KEY, or advisor.base_url/OPENAI_BASE_URL for "
                             "a local OpenAI-compatible server)")


def _run_options(parser: argparse.ArgumentParser, sub: bool = False) -> None:
    _common(parser, sub)
    kw = {"default": argparse.SUPPRESS} if sub else {}
    _source_options(parser, kw)
    parser.add_argument("--headless", action="store_true", **kw, help="run without a window and print a summary")
    parser.add_argument("--seconds", type=_positive, **kw, metavar="N",
                        help="stop after N seconds of engine time (headless default: 60)")
    parser.add_argument("--seed", type=_seed, **kw, metavar="S", help="seed of the simulated market (default: config)")
    parser.add_argument("--speed", type=_speed, action=_SpeedGiven, **kw, metavar="X|max",
                        help="engine clock speed: 1 = real time (GUI default), 10 = ten times faster, "
                             "max = as fast as possible (headless default)")
    parser.add_argument("--start-time", type=_start_time, **kw, metavar="UNIX",
                        help="engine clock start, unix seconds (default: now)")
    parser.add_argument("--json", action="store_true", **kw, help="print the headless summary as one JSON object")
    parser.add_argument("--stream", action="store_true", **kw,
                        help="headless: print one JSON line per fill and per closed trade as each is committed")
    parser.add_argument("--startup-check", action="store_true", **kw,
                        help="open the window, wait for the first frame and the charts, print the launch "
                             "timings as one JSON object and close (checks a build; measures start-up)")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for every command."""
    parser = _Parser(prog=PROG, description="Octo: cross-venue crypto arbitrage terminal, trading on paper. "
                                            "Without a command, opens the terminal on the simulated market.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _run_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser("run", help="run the engine: the GUI, or headless with --headless",
                              description="Run the engine on the simulated or the live market, with the GUI "
                                          "or headless.")
    _run_options(run, sub=True)

    ai_log = commands.add_parser("ai-log", help="show the AI log: every advisor decision, its cost and outcome",
                                 description="Print the advisor's decisions (newest first) with latency, verdict, "
                                             "reason, tokens, cost and the outcome of the trade, and the "
                                             "advisor's spend per day.")
    ai_log.add_argument("--verdict", choices=["EXECUTE", "SKIP", "WAIT"], type=str.upper, help="only this verdict")
    ai_log.add_argument("--advisor", choices=ADVISOR_KINDS, help="only decisions this advisor made")
    ai_log.add_argument("--symbol", metavar="X/USDT", help="only this symbol")
    ai_log.add_argument("--limit", type=int, default=50, metavar="N", help="at most N decisions (default 50)")
    ai_log.add_argument("--json", action="store_true", help="print JSON")
    _common(ai_log, sub=True)

    export = commands.add_parser("export", help="export fills or trades as CSV",
                                 description="Write every fill (or trade) in the database as CSV.")
    export.add_argument("what", choices=["fills", "trades"], help="what to export")
    export.add_argument("--format", choices=["csv"], default="csv", help="output format (csv)")
    export.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    _common(export, sub=True)

    record = commands.add_parser(
        "record", help="record market data to a file (gzip JSON Lines), trading on paper meanwhile",
        description="Run the engine headless and write every market event to FILE. On the simulated "
                    "market the run goes as fast as possible unless --speed says otherwise; a live "
                    "market records in real time.")
    _common(record, sub=True)
    _source_options(record, {"default": argparse.SUPPRESS})
    record.add_argument("--seconds", type=_positive, required=True, metavar="N", help="how long to record (engine seconds)")
    record.add_argument("--out", required=True, metavar="FILE", help="recording to write (e.g. session.jsonl.gz)")
    record.add_argument("--seed", type=_seed, default=argparse.SUPPRESS, metavar="S",
                        help="seed of the simulated market (default: config)")
    record.add_argument("--speed", type=_speed, action=_SpeedGiven, default=argparse.SUPPRESS, metavar="X|max",
                        help="simulated market only: clock speed (default: max)")
    record.add_argument("--start-time", type=_start_time, default=argparse.SUPPRESS, metavar="UNIX",
                        help="simulated market only: engine clock start, unix seconds (default: now)")
    record.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print the run's summary as one JSON object")

    replay = commands.add_parser(
        "replay", help="replay a recording through the engine (books, detector, paper executor)",
        description="Drive the engine from a recording on the simulated clock. Headless by default "
                    "(prints the summary, or JSON with --json); --gui opens the terminal with play/pause. "
                    "Without --db the replay trades into a fresh temporary database.")
    replay.add_argument("file", metavar="FILE", help="a recording written by `record` or the GUI")
    _common(replay, sub=True)
    _advisor_option(replay, {"default": argparse.SUPPRESS})
    replay.add_argument("--speed", type=_speed, default=argparse.SUPPRESS, metavar="1|10|max",
                        help="replay speed (default: max headless, 1 with --gui)")
    replay.add_argument("--gui", action="store_true", default=argparse.SUPPRESS, help="watch the replay in the terminal")
    replay.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print the summary and every opportunity found as one JSON object")

    for name, text in (("halt", "the kill switch for an engine running on the database (GUI or headless): "
                                 "cancel resting orders, unwind open imbalances, HALT until resumed"),
                       ("resume", "resume trading after a halt (kill switch, circuit breaker or reduce-only)")):
        control = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ". "
                                      "The command is written to the database; a running engine applies it "
                                      "within a quarter second, a stopped one when it next starts.")
        if name == "halt":
            control.add_argument("--reason", default="halt from the command line", help="why (shown and logged)")
        control.add_argument("--wait", type=_wait_seconds, default=10.0, metavar="S",
                             help="seconds to wait for a running engine to confirm (default 10; 0: do not wait)")
        control.add_argument("--json", action="store_true", help="print the outcome as JSON")
        _common(control, sub=True)

    doctor = commands.add_parser("doctor", help="check that this installation can run (Tk, charts, database, "
                                             "venues, advisor)",
                                 description="Check each part the terminal needs, without touching your data: "
                                             "the data folder, the config, the database engine, your database "
                                             "(--db, else the default one; read only, never created), Tk, the "
                                             "charts, every venue's ccxt client and the advisor. Exit 1 if any "
                                             "fails.")
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    _common(doctor, sub=True)

    bench = commands.add_parser("bench", help="run the benchmark suite (from the source tree): the same as "
                                              "python -m benchmarks",
                                description="Measure Octo against its peers on identical input (book "
                                            "maintenance, tick to decision, spread matrices, replay, the "
                                            "window, start-up, memory over 8 simulated hours); results go to "
                                            "benchmarks/results/<date>.json. Needs the source tree.")
    bench.add_argument("--quick", action="store_true", help="a smoke run: small workloads, few repetitions")
    bench.add_argument("--json", action="store_true", help="print the results as one JSON object")
    bench.add_argument("--only", metavar="A,B", help="run only these benchmarks (book, latency, spread, "
                                                     "replay, gui, startup, memory)")
    bench.add_argument("--out", metavar="FILE", help="results file (default: benchmarks/results/<date>.json)")

    config = commands.add_parser("config", help="show, locate or create the config file",
                                 description="Work with the configuration file.")
    config.add_argument("action", choices=["path", "show", "init"],
                        help="path: where the user's file lives; show: every setting in effect "
                             "(--json for JSON); init: write a commented starter file")
    config.add_argument("--json", action="store_true", help="with show: print JSON")
    _common(config, sub=True)
    return parser
