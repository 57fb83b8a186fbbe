"""Entry point: `python -m stress ...` (see `stress.cli`)."""

import sys

from stress.cli import main

sys.exit(main())
