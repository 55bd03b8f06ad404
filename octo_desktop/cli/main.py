"""Command line: the GUI, headless runs, exports and the config file, with ``--json`` for scripts.

Each command is a module of this package that declares its sub-parser and the function that runs it
(``set_defaults(func=...)``); ``main`` parses, runs that function and turns the errors every command shares
into exit codes.
"""

from __future__ import annotations

import logging
import os
import sys

from octo_desktop.cli.common import PROG
from octo_desktop.cli.options import build_parser
from octo_desktop.config import ConfigError
from octo_desktop.feeds.recording import RecordingError


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"{PROG}: config error: {exc}", file=sys.stderr)
        return 2
    except RecordingError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader (e.g. `head`) closed the pipe: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
