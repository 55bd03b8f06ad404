"""``config path|show|init``: where the config file lives, every setting in effect, a starter file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from octo_desktop.cli.common import PROG
from octo_desktop.cli.options import common_options
from octo_desktop.config import default_config_path, default_config_text, load_config


def add_parser(subparsers) -> None:
    """Declare the ``config`` command."""
    parser = subparsers.add_parser("config", help="show, locate or create the config file",
                                   description="Work with the configuration file.")
    parser.add_argument("action", choices=["path", "show", "init"],
                        help="path: where the user's file lives; show: every setting in effect "
                             "(--json for JSON); init: write a commented starter file")
    parser.add_argument("--json", action="store_true", help="with show: print JSON")
    common_options(parser, sub=True)
    parser.set_defaults(func=run)


def run(args) -> int:
    """Print the config file's path, print every setting in effect, or write a starter file."""
    if args.action == "path":
        path = Path(args.config) if args.config else default_config_path()
        print(f"{path}{'' if path.exists() else '  (not created yet: built-in defaults apply)'}")
        return 0
    if args.action == "init":
        path = Path(args.config) if args.config else default_config_path()
        if path.exists():
            print(f"{PROG}: {path} exists already; not overwritten", file=sys.stderr)
            return 1
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(default_config_text(), encoding="utf-8")
        print(path)
        return 0
    from octo_desktop.config import config_as_tree

    load_config(args.config, args.overrides)  # validate first: a bad file is an error, not a listing
    tree, source = config_as_tree(args.config, args.overrides)
    if tree.get("advisor", {}).get("api_key"):
        tree["advisor"]["api_key"] = "***"  # a secret is never printed
    if args.json:
        print(json.dumps({"source": source, "config": tree}))
    else:
        print(f"# source: {source}")
        _print_tree(tree, "")
    return 0


def _print_tree(tree: dict, prefix: str) -> None:
    for key, value in tree.items():
        name = f'"{key}"' if "/" in key else key
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            _print_tree(value, path)
        else:
            print(f"{path} = {json.dumps(value)}")
