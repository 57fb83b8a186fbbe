"""`python -m ftlab_harness.tsan`: see `cli.py`."""

import sys

from .cli import main

sys.exit(main())
