"""Entry point: `ftlab-harness ...` (see `ftlab_harness.cli`)."""

import sys

from ftlab_harness.cli import main

sys.exit(main())
