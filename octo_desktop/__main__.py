"""Entry point: ``python -m octo_desktop``, and the frozen build's entry script."""

import sys

from octo_desktop.startup import prepare_environment

prepare_environment()  # before anything imports matplotlib

from octo_desktop.cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
