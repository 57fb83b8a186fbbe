"""The isolated child of a zero-code run: `python -X faulthandler -m ftlab_harness.zerocode.child SPEC EVENTS`.

Runs `hammer.hammer` on the `Config` in SPEC (JSON) and streams events to EVENTS, one JSON line
each, flushed at once — "plan" (what learning found, with the wall time rounds start), "progress",
"finding", "bad_input", "error", "done" — so a finding written before a crash is never lost, and a
crash record can say how much work was done before it.

A hang (a round that does not finish in time) writes its finding, dumps every thread's stack to
stderr after the marker line `zerocode: hang`, and leaves with `EXIT_HANG`. If the main thread
itself is stuck, `faulthandler.dump_traceback_later`, re-armed every round, dumps the stacks and
exits with status 1 ("Timeout (...)!" on stderr). The process leaves with `os._exit`, so stuck
daemon threads cannot hang interpreter shutdown.
"""

# The code under test may raise anything, and a harness that dies with it reports nothing:
# blind excepts here are deliberate.
# ruff: noqa: BLE001

from __future__ import annotations

import faulthandler
import json
import os
import sys
import time
import traceback
from typing import IO, Any

from ftlab_harness.zerocode.hammer import BadTarget, Config, GilEnabled, Hang, run_in_process

EXIT_HANG = 3


class Events:
    """Appends one JSON line per event, flushed and fsynced: nothing is lost to a later crash."""

    def __init__(self, path: str) -> None:
        self.file: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run, closed at its end

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        self.file.write(json.dumps(dict(data, event=kind, wall=time.time()), default=repr) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m ftlab_harness.zerocode.child SPEC.json EVENTS.jsonl (started by the parent)", file=sys.stderr)
        return 2
    faulthandler.enable(file=sys.stderr, all_threads=True)
    with open(argv[0]) as f:
        cfg = Config(**json.load(f))
    emit = Events(argv[1])
    backup = max(2 * cfg.round_timeout * 4, 20.0) + cfg.learn_seconds

    # The round in flight, overwritten in place (no fsync: the page cache outlives a crash of
    # this process), so a crash record can say which round to replay.
    round_fd = os.open(argv[1] + ".round", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    def on_round(r: int) -> None:
        os.pwrite(round_fd, b"%12d\n" % r, 0)
        faulthandler.dump_traceback_later(backup, exit=True)

    faulthandler.dump_traceback_later(backup + 30, exit=True)
    code = 0
    try:
        run_in_process(cfg, emit, on_round)
    except BadTarget as e:
        emit("bad_input", {"detail": str(e)})
    except GilEnabled as e:
        emit("not_checked", {"detail": str(e), "reason": "gil_enabled"})
    except Hang as h:
        emit("finding", h.finding.as_json())
        sys.stderr.write(f"\nzerocode: hang: {h.finding.detail}\n")
        sys.stderr.flush()
        # The stacks come from faulthandler's own watchdog thread: a direct dump_traceback can
        # block forever on a stop-the-world pause that a stuck thread never joins.
        faulthandler.dump_traceback_later(0.05, exit=True)
        time.sleep(10)
        code = EXIT_HANG
    except BaseException as e:  # the harness's own failure, or the target's factory failing mid-run
        emit("error", {"detail": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()})
    faulthandler.cancel_dump_traceback_later()
    emit("done", {})
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
