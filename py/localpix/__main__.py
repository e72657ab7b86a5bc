"""python -m localpix: the command line (see localpix.cli)."""

import sys

from .adapters.cli import main

sys.exit(main())
