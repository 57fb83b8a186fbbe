"""`python -m ftlab_harness.zerocode TARGET ...` (same as `ftlab-harness zerocode`)."""

import sys

from ftlab_harness.zerocode.cli import main

sys.exit(main())
