"""The GitHub Action's step (`action.yml` at the repository root): inputs -> `ftlab-harness run`.

The composite action maps its inputs to `FTLAB_*` environment variables (never into the shell
script's text, so an input cannot inject commands) and runs `python -m ftlab_harness.action`. This
module validates them — bad input is one line on stderr and exit status 2, like the CLI — runs the
caller's scenarios with a JSONL and a JUnit file in `FTLAB_OUT`, and writes `exit-code`, `jsonl`
and `junit` to `$GITHUB_OUTPUT`. It always returns 0 when the run itself happened, so the next
step can upload the report before the last step fails the job with `exit-code` (see
`ftlab_harness.exitcodes`: 1 findings, 3 nothing checked).

    FTLAB_SCENARIOS     required: scenarios file(s), whitespace- or newline-separated
    FTLAB_SCENARIO      optional: scenario name patterns, whitespace-separated
    FTLAB_DURATION      seconds per scenario (default 5)
    FTLAB_THREADS       worker threads (default: the harness's, max(4, 2 x cores))
    FTLAB_ALLOW_GIL     "true" / "false" (default false)
    FTLAB_OUT           output folder (default ftlab-harness-out)
"""

from __future__ import annotations

import math
import os
import sys
from typing import List, Mapping, Optional

from ftlab_harness.exitcodes import EXIT_BAD_INPUT
from ftlab_harness.loader import BadInput


def _positive(name: str, text: str, kind: type) -> str:
    try:
        value = kind(text)
    except ValueError:
        raise BadInput(f"input {name}: {text!r} is not a {'whole ' if kind is int else ''}number") from None
    if not (value > 0 and math.isfinite(value)):
        raise BadInput(f"input {name}: must be > 0, got {text!r}")
    return str(value)


def arguments(env: Mapping[str, str]) -> List[str]:
    """The `ftlab-harness run` command line for the Action's inputs; BadInput on bad input."""
    files = (env.get("FTLAB_SCENARIOS") or "").split()
    if not files:
        raise BadInput("input scenarios: required (path(s) to your scenarios file(s))")
    for f in files:
        if not os.path.isfile(f):
            raise BadInput(f"input scenarios: {f} does not exist (paths are relative to the workspace)")
    out = env.get("FTLAB_OUT") or "ftlab-harness-out"
    argv = ["run", "--jsonl", os.path.join(out, "results.jsonl"), "--junit-xml", os.path.join(out, "junit.xml")]
    for f in files:
        argv += ["--scenarios", f]
    for pattern in (env.get("FTLAB_SCENARIO") or "").split():
        argv += ["--scenario", pattern]
    argv += ["--duration", _positive("duration", env.get("FTLAB_DURATION") or "5", float)]
    if env.get("FTLAB_THREADS"):
        argv += ["--threads", _positive("threads", env["FTLAB_THREADS"], int)]
    allow = (env.get("FTLAB_ALLOW_GIL") or "false").strip().lower()
    if allow not in ("true", "false"):
        raise BadInput(f"input allow-gil: must be true or false, got {env.get('FTLAB_ALLOW_GIL')!r}")
    if allow == "true":
        argv.append("--allow-gil")
    return argv


def main(env: Optional[Mapping[str, str]] = None) -> int:
    from ftlab_harness.cli import main as cli_main

    env = os.environ if env is None else env
    try:
        argv = arguments(env)
    except BadInput as e:
        print(f"ftlab-harness action: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = env.get("FTLAB_OUT") or "ftlab-harness-out"
    os.makedirs(out, exist_ok=True)
    rc = cli_main(argv)
    if rc == EXIT_BAD_INPUT:
        return rc
    github_output = env.get("GITHUB_OUTPUT")
    if github_output:
        with open(github_output, "a", encoding="utf-8") as f:
            f.write(f"exit-code={rc}\njsonl={os.path.join(out, 'results.jsonl')}\njunit={os.path.join(out, 'junit.xml')}\n")
    else:
        print(f"exit-code={rc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
