"""Create one venv per interpreter and build + install ftlab into it.

Usage:
    ci/envs 3.13 3.13t               # venvs .venvs/<label>, ftlab (release) installed in each
    ci/envs --seeded 3.13t           # also build the `seeded-bugs` variant into .venvs/<label>/seeded
    ci/envs --json 3.13t             # print {"label", "python", "venv", "seeded_path"} per line
    ci/envs --tsan 3.13t             # ThreadSanitizer build of ftlab + its seeded twins into .venvs/<label>-tsan

Each label is resolved by `ftlab_ci.provision` (`ci/provision-python`: finds or builds it).
Each interpreter gets its own cargo target directory (target/py/<label>), so rebuilding for
one interpreter never invalidates or breaks another's build. The venv gets the packages in
`ci/requirements-test.txt`; they are (re)installed only when that file changes.

Each venv also gets `ftlab_isolated` (the pyo3-ffi crate in `isolated/`, safe in isolated
sub-interpreters), built into its own target dir (target/py/<label>/isolated).

The seeded-bugs build (deliberately broken twins, for `ftlab-harness hunt`) is installed
with `pip --target` into `.venvs/<label>/seeded`, never into the venv's site-packages: code
that wants it puts that folder first on `sys.path` / PYTHONPATH.

`--tsan` builds ftlab with `-Zsanitizer=thread` (stable rustc, RUSTC_BOOTSTRAP=1, maturin with an
explicit --target; see ftlab_harness/tsan/build.py) into its own venv `.venvs/<label>-tsan` and its
own target dir (target/tsan/<label>): ONE build with the `seeded-bugs` feature, installed both into
the venv (the correct classes) and into `.venvs/<label>-tsan/seeded` (the twins, as for --seeded).
It installs Debian's `libtsan2` with apt-get if the runtime is missing (saying so) and compiles the
`__tsan_mem*` shim with cc (docs/tsan.md).

Everything is stamped (requirements digest, Rust source digest), so a re-run with nothing
changed only probes. How long a cold and a warm run take: the README's timing table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Optional

from ftlab_harness.tsan import build as tsan_build
from ftlab_harness.tsan import env as tsan_env

from . import labels, provision, repo

#: A JSON object (an interpreter probe, a JSONL record).
Info = Dict[str, Any]

ROOT = repo.ROOT
VENVS = repo.venvs()
REQUIREMENTS = repo.CI / "requirements-test.txt"


def say(msg: str) -> None:
    print(f"[envs] {msg}", file=sys.stderr, flush=True)


def sh(cmd: list[Any], **kw: Any) -> None:
    say("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)


class NoInterpreter(Exception):
    """No interpreter for a label (the message says why)."""


def interpreter(label: str) -> Info:
    """The interpreter for `label`, found or built by ftlab_ci.provision (NoInterpreter if none)."""
    try:
        labels.interpreter(label)
        found, missing = provision.provision([label], provision.explicit_paths([]), allow_build=True)
    except (labels.BadLabel, provision.BadInput) as e:
        raise NoInterpreter(str(e)) from None
    if not found:
        raise NoInterpreter(missing[0][1] if missing else "not found")
    return found[0]


def json_line(label: str, venv: Path, seeded: Optional[Path], info: Info) -> str:
    """What `ci/envs --json` prints per label (ftlab_ci.matrix reads it back)."""
    return json.dumps({"label": label, "python": str(venv / "bin" / "python"), "venv": str(venv),
                       "seeded_path": str(seeded) if seeded else None, "version": info["version"],
                       "free_threaded": info["free_threaded"]})


def source_digest(features: str) -> str:
    """Digest of everything that goes into the extension, to skip rebuilds when unchanged."""
    h = hashlib.sha256(features.encode())
    for p in sorted([ROOT / "Cargo.toml", ROOT / "Cargo.lock", ROOT / "pyproject.toml", ROOT / "ftlab.pyi",
                     *ROOT.joinpath("src").rglob("*.rs")]):
        if p.exists():
            h.update(str(p.relative_to(ROOT)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def ensure_venv(label: str, info: Info) -> Path:
    venv = VENVS / label
    py = venv / "bin" / "python"
    if py.exists():
        probe = subprocess.run([str(py), "-c", "import sys; print(sys.version)"], capture_output=True, check=False)
        if probe.returncode != 0:
            say(f"{label}: venv {venv} is broken; recreating")
            shutil.rmtree(venv)
    if not py.exists():
        say(f"{label}: creating venv {venv} from {info['path']}")
        sh([info["path"], "-m", "venv", venv])
    stamp = venv / ".ftlab-requirements"
    want = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != want:
        say(f"{label}: installing test dependencies from {REQUIREMENTS.name}")
        sh([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-U", "pip"])
        sh([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--only-binary=:all:", "-r", REQUIREMENTS])
        stamp.write_text(want)
    install_harness(label, py)
    return venv


def install_harness(label: str, py: Path) -> None:
    """Install the harness (python/, `ftlab-harness`) editable, as a user would install it."""
    stamp = py.parent.parent / ".ftlab-harness"
    want = hashlib.sha256((ROOT / "python" / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    say(f"{label}: installing the harness (pip install -e python/)")
    sh([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "-e", ROOT / "python"])
    stamp.write_text(want)


def build_and_install(label: str, venv: Path, seeded: bool) -> Path | None:
    py = venv / "bin" / "python"
    features = "seeded-bugs" if seeded else ""
    name = "seeded" if seeded else "release"
    stamp = venv / f".ftlab-build-{name}"
    digest = source_digest(features)
    target_site = venv / "seeded" if seeded else None
    if stamp.exists() and stamp.read_text() == digest:
        say(f"{label}: ftlab ({name}) is up to date")
        return target_site
    wheels = ROOT / "target" / "wheels" / label / name
    shutil.rmtree(wheels, ignore_errors=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target" / "py" / label), PYO3_PYTHON=str(py))
    t0 = time.monotonic()
    say(f"{label}: building ftlab ({name}) with maturin for {py}")
    cmd = [venv / "bin" / "maturin", "build", "--release", "--quiet", "--interpreter", py, "--out", wheels,
           "--manifest-path", ROOT / "Cargo.toml"]
    if features:
        cmd += ["--features", features]
    sh(cmd, env=env, cwd=ROOT)
    wheel = next(wheels.glob("*.whl"))
    if target_site is not None:
        shutil.rmtree(target_site, ignore_errors=True)
        sh([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "--target", target_site,
            wheel])
    else:
        sh([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "--force-reinstall", wheel])
    stamp.write_text(digest)
    say(f"{label}: ftlab ({name}) installed in {time.monotonic() - t0:.0f} s")
    return target_site


def build_and_install_isolated(label: str, venv: Path) -> None:
    """Build `isolated/` (ftlab_isolated) with maturin and install it into the venv."""
    py = venv / "bin" / "python"
    stamp = venv / ".ftlab-build-isolated"
    h = hashlib.sha256(b"isolated")
    for p in sorted([ROOT / "Cargo.toml", ROOT / "Cargo.lock", *ROOT.joinpath("isolated").rglob("*"),
                     *ROOT.joinpath("src").rglob("*.rs")]):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(ROOT)).encode())
            h.update(p.read_bytes())
    if stamp.exists() and stamp.read_text() == h.hexdigest():
        say(f"{label}: ftlab_isolated is up to date")
        return
    wheels = ROOT / "target" / "wheels" / label / "isolated"
    shutil.rmtree(wheels, ignore_errors=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target" / "py" / label / "isolated"), PYO3_PYTHON=str(py))
    t0 = time.monotonic()
    say(f"{label}: building ftlab_isolated with maturin for {py}")
    sh([venv / "bin" / "maturin", "build", "--release", "--quiet", "--interpreter", py, "--out", wheels,
        "--manifest-path", ROOT / "isolated" / "Cargo.toml"], env=env, cwd=ROOT / "isolated")
    wheel = next(wheels.glob("*.whl"))
    sh([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "--force-reinstall", wheel])
    stamp.write_text(h.hexdigest())
    say(f"{label}: ftlab_isolated installed in {time.monotonic() - t0:.0f} s")


def build_and_install_tsan(label: str, info: Info) -> Path:
    """The TSan venv `<label>-tsan`: ftlab (seeded-bugs feature) built with -Zsanitizer=thread."""
    tsan_env.ensure_libtsan(install=True)
    tsan_env.build_shim()
    venv = ensure_venv(f"{label}-tsan", info)
    py = venv / "bin" / "python"
    stamp = venv / ".ftlab-build-tsan"
    digest = source_digest("tsan:seeded-bugs:" + tsan_build.RUSTFLAGS)
    if stamp.exists() and stamp.read_text() == digest:
        say(f"{label}: ftlab (tsan) is up to date")
        return venv
    t0 = time.monotonic()
    say(f"{label}: building ftlab with ThreadSanitizer (seeded-bugs) for {py}")
    wheel = tsan_build.build_wheel(ROOT / "Cargo.toml", str(py), ROOT / "target" / "wheels" / label / "tsan",
                                   ROOT / "target" / "tsan" / label, features=["seeded-bugs"])
    sh([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "--force-reinstall", wheel])
    shutil.rmtree(venv / "seeded", ignore_errors=True)
    sh([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "--target", venv / "seeded",
        wheel])
    stamp.write_text(digest)
    say(f"{label}: ftlab (tsan) installed in {time.monotonic() - t0:.0f} s")
    return venv


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="ci/envs", description=(__doc__ or "").split("\n")[0])
    ap.add_argument("labels", nargs="+")
    ap.add_argument("--seeded", action="store_true", help="also build the seeded-bugs variant")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--tsan", action="store_true",
                    help="only the ThreadSanitizer build (ftlab + seeded twins) into .venvs/<label>-tsan")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    for label in args.labels:
        try:
            labels.interpreter(label)
        except labels.BadLabel as e:
            print(f"envs: error: {e}", file=sys.stderr)
            return 2
    rc = 0
    for label in args.labels:
        try:
            info = interpreter(label)
            if args.tsan:
                venv = build_and_install_tsan(label, info)
                if args.json:
                    print(json_line(f"{label}-tsan", venv, venv / "seeded", info), flush=True)
                continue
            venv = ensure_venv(label, info)
            build_and_install(label, venv, seeded=False)
            build_and_install_isolated(label, venv)
            seeded = build_and_install(label, venv, seeded=True) if args.seeded else None
        except (subprocess.CalledProcessError, NoInterpreter, StopIteration, RuntimeError) as e:
            print(f"envs: error: {label}: {e}", file=sys.stderr)
            rc = 1
            continue
        if args.json:
            print(json_line(label, venv, seeded, info), flush=True)
    return rc
