"""What several commands share: the program's name, the config from the arguments, the runtime, the summary."""

from __future__ import annotations

import json
import sys

from octo_desktop.config import VENUE_IDS, ConfigError, load_config

PROG = "octo_desktop"


def config_from_args(args):
    """Load the config the arguments name, with the flags that override it (--market, --venues, --seed...)."""
    overrides = list(args.overrides)
    if getattr(args, "market", None):
        overrides.append(f'market.kind="{args.market}"')
    if getattr(args, "venues", None):
        unknown = [v for v in args.venues if v not in VENUE_IDS]
        if unknown:
            raise ConfigError(f"--venues: unknown venue {unknown[0]!r}; known venues: {', '.join(VENUE_IDS)}")
        overrides += [f"venues.{v}.enabled={'true' if v in args.venues else 'false'}" for v in VENUE_IDS]
    if getattr(args, "advisor", None) and getattr(args, "command", None) != "ai-log":
        overrides.append(f'advisor.kind="{args.advisor}"')
    if getattr(args, "symbols", None):
        overrides.append("symbols.list=[" + ",".join(json.dumps(s) for s in args.symbols) + "]")
    config = load_config(args.config, overrides)
    if getattr(args, "seed", None) is not None:
        from dataclasses import replace

        config = replace(config, seed=args.seed)
    return config


def open_runtime(args, config, speed, seconds, source=None, db_path=None, cleanup=None, listener=None,
                 window: bool = False):
    """Build the runtime, or print why the database refused and return None."""
    from octo_desktop.app import MarketSource, build_runtime
    from octo_desktop.storage import StorageError

    source = source or MarketSource(config.market)
    try:
        return build_runtime(config, db_path=db_path or args.db, speed=speed,
                             start_time=getattr(args, "start_time", None), run_seconds=seconds, source=source,
                             cleanup=cleanup, listener=listener)
    except StorageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr, flush=True)
        if window:  # a windowed build has no terminal: say it where the trader is looking
            from octo_desktop.gui.startup_error import show_startup_error

            show_startup_error(str(exc))
        return None


def check_live_speed(config, args) -> None:
    """Refuse a --speed other than 1 on the live market."""
    if config.market == "live" and getattr(args, "speed_given", False) and getattr(args, "speed", None) != 1:
        raise ConfigError("a live market runs in real time: --speed applies to the simulated market and replays")


def print_summary(summary: dict, wall_seconds: float) -> None:
    """Print a headless run's summary as text."""
    print(f"engine time {summary['engine_time']:.0f}  events {summary['events']}  "
          f"({summary['events_per_second']:.0f}/s over {wall_seconds:.1f} s wall)")
    print(f"opportunities {summary['opportunities']}  trades {summary['trades']}  "
          f"realized P&L {float(summary['realized_pnl']):+.4f} USDT  fees {float(summary['fees']):.4f} USDT")
    if summary["rejections"]:
        print("rejections: " + ", ".join(f"{k} {v}" for k, v in summary["rejections"].items()))
    print(f"risk {summary['risk']['state']} {summary['risk']['reason']}".rstrip())
    for venue, health in summary.get("venues", {}).items():
        line = f"  {venue:8} {health['state']:12} {health['messages_per_s']:8.1f} msg/s  reconnects {health['reconnects']}"
        if health["last_error"]:
            line += f"  last error: {health['last_error']}"
        print(line)
    if summary.get("storage_error"):
        print(f"storage: {summary['storage_error']}")
