"""Build a PyO3 (maturin) extension with ThreadSanitizer instrumentation on the STABLE toolchain.

    RUSTC_BOOTSTRAP=1                        lets stable rustc take `-Z` flags
    RUSTFLAGS=-Zsanitizer=thread             instrument every crate of the build (ours and deps)
              -Cunsafe-allow-abi-mismatch=sanitizer
                                             the precompiled std is not instrumented; without this
                                             rustc refuses to link an instrumented crate to it
    maturin build --release --target <host triple>
                                             an explicit --target keeps RUSTFLAGS away from build
                                             scripts and proc-macros (they run on the host, and an
                                             instrumented build script cannot run without TSan)

`cargo build` alone is not enough for an extension module: it links libpython statically and
fails; maturin links it the way CPython expects. Use a CARGO_TARGET_DIR of its own: instrumented
artifacts must never mix with normal ones. The result can only be imported with the TSan runtime
preloaded (`env.tsan_env`); it references `__tsan_*` symbols.

A C extension needs no special build step: `CFLAGS="-fsanitize=thread -g -O1"` and
`LDFLAGS=-fsanitize=thread` with gcc (its runtime is the very libtsan.so.2 the harness preloads).

Stdlib only.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

__all__ = ["RUSTFLAGS", "host_triple", "rust_tsan_env", "build_wheel"]

RUSTFLAGS = "-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer"


def host_triple() -> str:
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("host:"):
            return line.split(":", 1)[1].strip()
    return f"{platform.machine()}-unknown-linux-gnu"


def rust_tsan_env(target_dir: str | os.PathLike[str], base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    extra = env.get("RUSTFLAGS", "").strip()
    env.update(RUSTC_BOOTSTRAP="1", RUSTFLAGS=f"{RUSTFLAGS} {extra}".strip(), CARGO_TARGET_DIR=os.fspath(target_dir))
    return env


def build_wheel(manifest: str | os.PathLike[str], python: str, out_dir: str | os.PathLike[str],
                target_dir: str | os.PathLike[str], features: Sequence[str] = (), maturin: str | None = None,
                nice: int = 5) -> Path:
    """Runs the TSan maturin build; returns the wheel's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.whl"):
        old.unlink()
    maturin = maturin or str(Path(python).parent / "maturin")
    cmd = [maturin, "build", "--release", "--quiet", "--target", host_triple(), "--interpreter", python,
           "--out", os.fspath(out_dir), "--manifest-path", os.fspath(manifest)]
    if features:
        cmd += ["--features", ",".join(features)]
    if nice and hasattr(os, "nice"):
        cmd = ["nice", "-n", str(nice), *cmd]
    print(f"[tsan] RUSTC_BOOTSTRAP=1 RUSTFLAGS='{RUSTFLAGS}' CARGO_TARGET_DIR={target_dir} " + " ".join(cmd),
          file=sys.stderr, flush=True)
    t0 = time.monotonic()
    subprocess.run(cmd, env=rust_tsan_env(target_dir), check=True, cwd=Path(manifest).parent)
    print(f"[tsan] built in {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    return next(out_dir.glob("*.whl"))
