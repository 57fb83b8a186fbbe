"""ftlab_harness.tsan: data races reported by ThreadSanitizer, as a detector of the harness.

Runs a stock free-threaded CPython with gcc's TSan runtime preloaded (plus a three-function shim,
`shim.c`) against an extension built with `-Zsanitizer=thread` (or `-fsanitize=thread`), parses
the reports into records, decides which are in the target's own code, and applies suppressions
that can never hide those. Public face:

    Target, Report, parse_text, parse_file, dedup      parse.py
    tsan_env, ensure_libtsan, build_shim               env.py
    load_suppressions, default_suppressions            suppress.py
    run_under_tsan, Session                            session.py

Stdlib only. How to use it on your own extension: docs/tsan.md.
"""

from .env import build_shim, ensure_libtsan, tsan_env
from .parse import Report, Target, dedup, parse_file, parse_text
from .session import Session
from .session import run as run_under_tsan
from .suppress import default_path as default_suppressions
from .suppress import load as load_suppressions

__all__ = ["Target", "Report", "parse_text", "parse_file", "dedup", "tsan_env", "ensure_libtsan", "build_shim",
           "load_suppressions", "default_suppressions", "run_under_tsan", "Session"]
