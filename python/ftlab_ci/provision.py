"""Find or build the CPython interpreters of ftlab's matrix and print them.

Usage:
    ci/provision-python                       # 3.13 + 3.13t (built if missing) and any 3.9-3.12 found
    ci/provision-python 3.13t                 # just one label
    ci/provision-python --python 3.13t=/opt/py/bin/python3.13t
    ci/provision-python --json                # machine-readable, one object per interpreter
    ci/provision-python --no-build            # never build; report what is missing

Labels: 3.9 3.10 3.11 3.12 3.13 (GIL builds) and 3.13t (free-threaded). 3.13 and 3.13t are
required; the others are optional and only reported when found. 3.14 and 3.14t are accepted
only with an explicit path (e.g. what actions/setup-python installed in CI).

Search order per label (first hit wins):
  1. an explicit path: `--python LABEL=PATH` or env `FTLAB_PYTHON_<LABEL>` (dots -> `_`,
     e.g. FTLAB_PYTHON_3_13T=/usr/bin/python3.13t);
  2. `pythonX.Y[t]` on PATH, then pyenv's versions (~/.pyenv/versions/X.Y.*[t]);
  3. ftlab's own cache: $FTLAB_CACHE, else $XDG_CACHE_HOME/ftlab, else ~/.cache/ftlab;
  4. a build from source (3.13 and 3.13t only): Debian trixie's `python3.13` source package,
     fetched by `apt-get source --download-only` through a private apt configuration whose
     deb-src entry reuses the mirror URI of this machine's own apt sources (apt checks the
     signature of the index the tarball's hash comes from). `./configure [--disable-gil]`,
     `make -j$(nproc)`, `make install` into the cache.

Re-running is idempotent (each candidate is probed by running it once). Stdlib only, so it
runs on whatever python3 the machine has. How long a build or a cached run takes: the README's
timing table ("Other entry points"), with the command that measured it.
Exit status: 0 when every required label was provisioned, 1 when one could not be, 2 on bad input.
"""

from __future__ import annotations

import argparse
import fcntl
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Optional

from . import labels, repo

#: A JSON object (an interpreter probe, a JSONL record).
Info = Dict[str, Any]

BUILDABLE = set(labels.BUILDABLE)
DEBIAN_SUITE = "trixie"
DEBIAN_SOURCE_PACKAGE = "python3.13"

PROBE = (
    "import json, sys, sysconfig; "
    "print(json.dumps({'version': '.'.join(map(str, sys.version_info[:3])), "
    "'minor': '%d.%d' % sys.version_info[:2], "
    "'free_threaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED')), "
    "'executable': sys.executable, "
    "'implementation': sys.implementation.name}))"
)


class ProvisionError(Exception):
    """A route failed; the message says which and what to do."""


class BadInput(Exception):
    """The user asked for something that cannot be (exit 2)."""


def say(msg: str) -> None:
    """Progress goes to stderr so that stdout stays the result (table or JSON)."""
    print(f"[provision-python] {msg}", file=sys.stderr, flush=True)


def probe(path: str) -> Info | None:
    """Run the candidate once; None if it is not a working CPython."""
    try:
        out = subprocess.run(
            [path, "-I", "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=30,
            env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    try:
        info = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    if not isinstance(info, dict) or info.get("implementation") != "cpython":
        return None
    info["path"] = path
    return info


def label_of(info: Info) -> str:
    return labels.label_for(info["minor"], info["free_threaded"])


def explicit_paths(cli: list[str]) -> dict[str, str]:
    """Label -> path from FTLAB_PYTHON_<LABEL> and --python LABEL=PATH (BadInput if malformed)."""
    try:
        return labels.explicit_paths(cli, dict(os.environ))
    except labels.BadLabel as e:
        raise BadInput(str(e)) from None


def check_explicit(label: str, path: str) -> Info:
    resolved = shutil.which(path) or path
    if not os.path.exists(resolved):
        raise BadInput(f"{label}: {path} does not exist")
    info = probe(resolved)
    if info is None:
        raise BadInput(f"{label}: {path} is not a working CPython interpreter")
    if label_of(info) != label:
        kind = "free-threaded" if info["free_threaded"] else "GIL-enabled"
        want = "free-threaded" if label.endswith("t") else "GIL-enabled"
        raise BadInput(
            f"{label}: {path} is a {kind} CPython {info['version']}, but {label} needs a {want} "
            f"{label.rstrip('t')}"
        )
    info["source"] = "explicit"
    return info


def candidates_on_path(label: str) -> list[str]:
    names = [f"python{label}"]
    out = []
    for name in names:
        p = shutil.which(name)
        if p and "/.pyenv/shims/" not in p:  # pyenv shims are handled below, by version dir
            out.append(p)
    return out


def candidates_in_pyenv(label: str) -> list[str]:
    root = Path(os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))) / "versions"
    minor, ft = label.rstrip("t"), label.endswith("t")
    out = []
    for d in sorted(glob.glob(str(root / f"{minor}.*")), reverse=True):
        name = os.path.basename(d)
        if not re.fullmatch(re.escape(minor) + r"\.\d+" + ("t" if ft else ""), name):
            continue
        exe = Path(d) / "bin" / f"python{label}"
        if exe.exists():
            out.append(str(exe))
    return out


def candidates_in_cache(label: str) -> list[str]:
    out = []
    for d in sorted(glob.glob(str(repo.cache_root() / "python" / f"cpython-{label.rstrip('t')}.*")), reverse=True):
        name = os.path.basename(d)
        if name.endswith("t") != label.endswith("t"):
            continue
        exe = Path(d) / "bin" / f"python{label}"
        if exe.exists():
            out.append(str(exe))
    return out


def find(label: str) -> Info | None:
    for source, cands in (
        ("PATH", candidates_on_path(label)),
        ("pyenv", candidates_in_pyenv(label)),
        ("cache", candidates_in_cache(label)),
    ):
        for path in cands:
            info = probe(path)
            if info and label_of(info) == label:
                info["source"] = source
                return info
    return None


# ----------------------------------------------------------------------------- building


def system_mirror_uri() -> str:
    """The Debian mirror URI this machine's apt already uses (never hard-coded here)."""
    uris: list[str] = []
    for f in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        text = Path(f).read_text(errors="replace")
        for stanza in re.split(r"\n\s*\n", text):
            if re.search(r"^Suites:.*\b(bookworm|trixie|sid|stable|testing|unstable)\b(?![-\w])", stanza, re.M) and \
               re.search(r"^Components:.*\bmain\b", stanza, re.M):
                m = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
                if m:
                    uris.append(m.group(1))
    for f in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            text = Path(f).read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            m = re.match(r"^\s*deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+.*\bmain\b", line)
            if m and re.fullmatch(r"(bookworm|trixie|sid|stable|testing|unstable)", m.group(2)):
                uris.append(m.group(1))
    uris = [u for u in uris if "security" not in u]
    if not uris:
        raise ProvisionError(
            "could not find a Debian mirror in /etc/apt/sources.list{,.d/}; cannot fetch the "
            "python3.13 source package"
        )
    return uris[0]


def fetch_source(work: Path) -> Path:
    """apt-get source --download-only python3.13 from trixie; returns the orig tarball."""
    if not shutil.which("apt-get"):
        raise ProvisionError("apt-get is not available, so the Debian source route cannot be used")
    apt = work / "apt"
    for sub in ("lists/partial", "cache/archives/partial", "sources.list.d"):
        (apt / sub).mkdir(parents=True, exist_ok=True)
    uri = system_mirror_uri()
    keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
    signed = f"Signed-By: {keyring}\n" if os.path.exists(keyring) else ""
    (apt / "sources.list.d" / "ftlab-src.sources").write_text(
        f"Types: deb-src\nURIs: {uri}\nSuites: {DEBIAN_SUITE}\nComponents: main\n{signed}"
    )
    opts = [
        "-o", "Dir::Etc::SourceList=/dev/null",
        "-o", f"Dir::Etc::SourceParts={apt / 'sources.list.d'}",
        "-o", f"Dir::State::Lists={apt / 'lists'}",
        "-o", f"Dir::Cache={apt / 'cache'}",
        "-o", "APT::Sandbox::User=root",
        "-o", "Debug::NoLocking=1",
    ]
    say(f"fetching the signed source index for Debian {DEBIAN_SUITE} (private apt config in {apt})")
    run(["apt-get", *opts, "-q", "update"], work / "apt-update.log")
    src = work / "src"
    src.mkdir(exist_ok=True)
    say(f"apt-get source --download-only {DEBIAN_SOURCE_PACKAGE} (hash-checked against the signed index)")
    run(["apt-get", *opts, "-q", "source", "--download-only", DEBIAN_SOURCE_PACKAGE], work / "apt-source.log", cwd=src)
    tarballs = upstream_tarballs(src)
    if not tarballs:
        raise ProvisionError(f"apt-get source produced no orig tarball in {src}")
    return tarballs[-1]


def upstream_tarballs(src: Path) -> list[Path]:
    """The upstream source tarballs in `src` (not their detached `.asc` signatures)."""
    return sorted(p for p in src.glob(f"{DEBIAN_SOURCE_PACKAGE}_*.orig.tar.*") if not p.name.endswith(".asc"))


def run(cmd: list[str], log: Path, cwd: Path | None = None) -> None:
    with open(log, "ab") as fh:
        fh.write(("\n$ " + " ".join(cmd) + "\n").encode())
        fh.flush()
        rc = subprocess.call(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=cwd)
    if rc != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise ProvisionError(
            f"`{' '.join(cmd[:3])} …` failed (exit {rc}); last lines of {log}:\n    " + "\n    ".join(tail)
        )


def build(label: str) -> Info:
    root = repo.cache_root()
    (root / "python").mkdir(parents=True, exist_ok=True)
    lock_path = root / "python" / ".build.lock"
    with open(lock_path, "w") as lock:
        say(f"{label}: waiting for the build lock {lock_path}")
        fcntl.flock(lock, fcntl.LOCK_EX)
        again = find(label)  # another process may have built it meanwhile
        if again:
            return again
        work = root / "build"
        work.mkdir(parents=True, exist_ok=True)
        tarball = next(iter(upstream_tarballs(work / "src")), None) if (work / "src").exists() else None
        if tarball is None:
            tarball = fetch_source(work)
        m = re.search(r"_(\d+\.\d+\.\d+)\.orig", tarball.name)
        if m is None:
            raise ProvisionError(f"cannot read the version from the source tarball's name {tarball.name}")
        version = m.group(1)
        ft = label.endswith("t")
        prefix = root / "python" / f"cpython-{version}{'t' if ft else ''}"
        tree = Path(tempfile.mkdtemp(prefix=f"cpython-{label}-", dir=work))
        log = work / f"build-{label}.log"
        log.write_text("")
        t0 = time.monotonic()
        try:
            say(f"{label}: unpacking {tarball.name}")
            run(["tar", "-xf", str(tarball), "-C", str(tree), "--strip-components=1"], log)
            flags = ["--disable-gil"] if ft else []
            say(f"{label}: ./configure {' '.join(flags + ['--prefix=' + str(prefix)])} (log: {log})")
            run(["./configure", *flags, f"--prefix={prefix}", "--with-ensurepip=install"], log, cwd=tree)
            jobs = str(os.cpu_count() or 2)
            say(f"{label}: make -j{jobs} (the long part; progress in the log)")
            run(["make", f"-j{jobs}"], log, cwd=tree)
            say(f"{label}: make install -> {prefix}")
            run(["make", "install"], log, cwd=tree)
        except ProvisionError:
            shutil.rmtree(prefix, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(tree, ignore_errors=True)
        say(f"{label}: built in {time.monotonic() - t0:.0f} s")
        info = probe(str(prefix / "bin" / f"python{label}"))
        if not info or label_of(info) != label:
            raise ProvisionError(f"{label}: the build in {prefix} does not run as a {label} interpreter")
        info["source"] = "built"
        return info


# ----------------------------------------------------------------------------- main


def provision(wanted: list[str], explicit: dict[str, str],
              allow_build: bool) -> tuple[list[Info], list[tuple[str, str]]]:
    """Finds (or, for BUILDABLE labels and `allow_build`, builds) each label: (found, missing with why).
    BadInput if an explicit path is not the interpreter its label says."""
    found: list[Info] = []
    missing: list[tuple[str, str]] = []
    for label in wanted:
        if label in explicit:
            found.append(check_explicit(label, explicit[label]))
            continue
        info = find(label)
        if info is None and label in BUILDABLE and allow_build:
            say(f"{label}: not on PATH, under pyenv or in {repo.cache_root() / 'python'}; building from source")
            try:
                info = build(label)
            except ProvisionError as e:
                missing.append((label, f"build from source failed: {e}"))
                continue
        if info is None:
            why = "not found on PATH, under pyenv or in the cache"
            if label in BUILDABLE and not allow_build:
                why += " (building was disabled by --no-build)"
            missing.append((label, why))
            continue
        found.append(info)
    return found, missing


def requested_labels(given: list[str], explicit: dict[str, str]) -> list[str]:
    """The labels to provision: `given` (each checked), else every searched label plus the
    explicit-only labels that have a path. BadInput on an unknown label or on an explicit-only
    label without a path."""
    for label in given:
        if label in labels.EXPLICIT_ONLY and label not in explicit:
            raise BadInput(f"{label} is only used from an explicit path: --python {label}=PATH "
                           f"or {labels.env_var(label)}=PATH")
        if label not in labels.KNOWN:
            raise BadInput(f"unknown interpreter label {label!r} (known: {' '.join(labels.SEARCHED)}; "
                           f"{' '.join(labels.EXPLICIT_ONLY)} with an explicit path)")
    return list(given) or list(labels.SEARCHED) + [lb for lb in labels.EXPLICIT_ONLY if lb in explicit]


def row(info: Info) -> str:
    """One line of the table `ci/provision-python` prints."""
    return (f"{label_of(info):7} {info['version']:9} {'yes' if info['free_threaded'] else 'no':14} "
            f"{info['source']:9} {info['path']}")


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="ci/provision-python", description=(__doc__ or "").split("\n")[0])
    ap.add_argument("labels", nargs="*", help=f"labels to provision (default: all of {' '.join(labels.SEARCHED)})")
    ap.add_argument("--python", action="append", default=[], metavar="LABEL=PATH",
                    help="use this interpreter for LABEL")
    ap.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    ap.add_argument("--no-build", action="store_true", help="never build from source")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        explicit = explicit_paths(args.python)
        wanted = requested_labels(args.labels, explicit)
        required = [lb for lb in wanted if lb in labels.REQUIRED or args.labels]
        found, missing = provision(wanted, explicit, not args.no_build)
    except BadInput as e:
        print(f"provision-python: error: {e}", file=sys.stderr)
        return 2
    if args.json:
        for info in found:
            print(json.dumps({"label": label_of(info), **info}))
    else:
        print(f"{'label':7} {'version':9} {'free-threaded':14} {'source':9} path")
        for info in found:
            print(row(info))
    failed = False
    for label, why in missing:
        if label in required:
            failed = True
            print(
                f"provision-python: error: {label}: {why}.\n"
                f"  Fix: install one and point at it, e.g. "
                f"`ci/provision-python --python {label}=/path/to/python{label}` "
                f"or {labels.env_var(label)}=/path/to/python{label}; a `python{label}` on PATH is also found.",
                file=sys.stderr,
            )
        else:
            say(f"{label}: skipped ({why})")
    return 1 if failed else 0
