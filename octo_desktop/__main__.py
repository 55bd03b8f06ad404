"""Entry point: ``python -m octo_desktop``."""

import sys

from octo_desktop.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
