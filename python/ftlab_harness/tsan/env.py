"""The environment a process needs to run under TSan on a stock (uninstrumented) interpreter.

    LD_PRELOAD   = libtsan.so.2 (gcc 12's runtime, Debian `libtsan2`), then the `__tsan_mem*` shim
    TSAN_OPTIONS = log_path=<dir>/tsan   one file per process: TSan appends `.<pid>`
                   halt_on_error=0       keep running after a report: one run, every race
                   exitcode=0            the process's exit status stays its own (TSan's default
                                         66 would turn every child with a report into an error)
                   history_size=4        deeper "previous access" history (fewer "failed to
                                         restore the stack" reports; costs memory)
                   + the caller's TSAN_OPTIONS, last (they win)

The runtime must be loaded before anything else (it intercepts malloc, pthread_*, memcpy), hence
LD_PRELOAD rather than linking it into the extension: a stock `python3.13t` is not linked against
it. The shim (`shim.c`, package data) is compiled once with the system C compiler into a cache
directory keyed by its source's hash.

`ensure_libtsan()` installs Debian's `libtsan2` with apt-get when the runtime is missing, saying so.
Suppressions are NOT passed to the runtime (see `suppress.py` for why).

Stdlib only.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Mapping

__all__ = ["LIBTSAN_CANDIDATES", "find_libtsan", "ensure_libtsan", "shim_source", "build_shim", "tsan_env",
           "DEFAULT_OPTIONS", "TsanSetupError", "cache_dir", "log_files",
           "format_options", "LOG_PREFIX"]

LIBTSAN_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/libtsan.so.2",
    "/usr/lib/aarch64-linux-gnu/libtsan.so.2",
    "/usr/lib64/libtsan.so.2",
    "/usr/lib/libtsan.so.2",
)
DEFAULT_OPTIONS = {"halt_on_error": "0", "exitcode": "0", "history_size": "4"}
LOG_PREFIX = "tsan"


class TsanSetupError(RuntimeError):
    """The runtime or the shim is missing and could not be provided."""


def say(msg: str) -> None:
    print(f"[tsan] {msg}", file=sys.stderr, flush=True)


def cache_dir() -> Path:
    base = os.environ.get("FTLAB_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "ftlab")
    return Path(base) / "tsan"


def find_libtsan() -> str | None:
    """The TSan runtime to preload: $FTLAB_LIBTSAN, a known path, or any libtsan.so.2 on the system."""
    env = os.environ.get("FTLAB_LIBTSAN")
    if env:
        return env if os.path.exists(env) else None
    for path in LIBTSAN_CANDIDATES:
        if os.path.exists(path):
            return path
    found = sorted(glob.glob("/usr/lib*/**/libtsan.so.2", recursive=True))
    return found[0] if found else None


def ensure_libtsan(install: bool = True) -> str:
    """The runtime's path; installs Debian's `libtsan2` (apt-get update + install) if it is missing."""
    path = find_libtsan()
    if path:
        return path
    if not install or not shutil.which("apt-get"):
        raise TsanSetupError("libtsan.so.2 not found: install gcc's TSan runtime (Debian/Ubuntu: apt-get install "
                             "libtsan2) or point FTLAB_LIBTSAN at it")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    say("libtsan.so.2 not found: installing Debian's libtsan2 (apt-get update, then apt-get install -y libtsan2)")
    subprocess.run([*sudo, "apt-get", "update"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "--no-install-recommends", "libtsan2"], check=True)
    path = find_libtsan()
    if not path:
        raise TsanSetupError("apt-get installed libtsan2 but libtsan.so.2 is still not found")
    say(f"installed {path}")
    return path


def shim_source() -> bytes:
    return resources.files(__package__).joinpath("shim.c").read_bytes()


def build_shim(out_dir: Path | None = None, cc: str | None = None) -> str:
    """Compiles `shim.c` once (cached by source hash) and returns the shared library's path."""
    src = shim_source()
    digest = hashlib.sha256(src).hexdigest()[:12]
    out_dir = Path(out_dir) if out_dir else cache_dir()
    lib = out_dir / f"libftlab_tsan_shim-{digest}.so"
    if lib.exists():
        return str(lib)
    compiler = cc or os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        raise TsanSetupError("no C compiler (cc) to build the __tsan_mem* shim")
    out_dir.mkdir(parents=True, exist_ok=True)
    c_file = out_dir / f"shim-{digest}.c"
    c_file.write_bytes(src)
    tmp = lib.with_suffix(f".{os.getpid()}.tmp")
    say(f"building the __tsan_memcpy/memmove/memset shim: {compiler} -shared -fPIC -O1 -o {lib.name}")
    subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-o", str(tmp), str(c_file)], check=True)
    os.replace(tmp, lib)
    return str(lib)


def format_options(options: Mapping[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in options.items())


def tsan_env(log_dir: str | os.PathLike[str], base: Mapping[str, str] | None = None, libtsan: str | None = None,
             shim: str | None = None, options: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: os.environ) plus the preload and TSAN_OPTIONS, logging to `log_dir/tsan.<pid>`."""
    env = dict(os.environ if base is None else base)
    libtsan = libtsan or ensure_libtsan()
    shim = shim or build_shim()
    preload = [libtsan, shim] + [p for p in env.get("LD_PRELOAD", "").split(":") if p and p not in (libtsan, shim)]
    env["LD_PRELOAD"] = ":".join(preload)
    opts = dict(DEFAULT_OPTIONS)
    opts.update(options or {})
    opts["log_path"] = os.path.join(os.fspath(log_dir), LOG_PREFIX)
    user = env.get("TSAN_OPTIONS", "").strip()
    env["TSAN_OPTIONS"] = format_options(opts) + (f" {user}" if user else "")
    return env


def log_files(log_dir: str | os.PathLike[str]) -> list[str]:
    """The per-process logs TSan wrote into `log_dir` (`tsan.<pid>`), oldest pid first."""
    files = glob.glob(os.path.join(os.fspath(log_dir), LOG_PREFIX + ".*"))
    return sorted(files, key=lambda p: int(p.rsplit(".", 1)[-1]) if p.rsplit(".", 1)[-1].isdigit() else 0)

