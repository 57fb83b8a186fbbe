"""ftlab's main job: the stress matrix across interpreters, benchmarks, and an illustrated report.

Usage:
    ci/stress-matrix                          # every interpreter found; writes out/
    ci/stress-matrix --quick                  # 3.13, 3.13t, 3.13t+gil; short durations (smoke test)
    ci/stress-matrix --only 3.13t,3.13t+gil --out /tmp/m
    ci/stress-matrix --python 3.14t=/opt/hostedtoolcache/.../python3.14t   # (CI) an explicit interpreter
    ci/stress-matrix --skip bench,hunt        # leave steps out (reported as skipped)

Configurations (ftlab_ci.labels): every GIL build found (3.9 .. 3.13), and for every
free-threaded interpreter two: `3.13t` (GIL off: PYTHON_GIL unset) and `3.13t+gil`
(PYTHON_GIL=1). 3.13 and 3.13t are required; 3.14/3.14t join only when given with --python.

Per interpreter: ftlab_ci.provision finds (or builds) it, `ci/envs` makes its venv and builds
ftlab into it (plus the seeded-bugs variant where the hunt runs). Per configuration: an import
probe (version, GIL state after importing ftlab), pytest (python-tests/), the stress suite
(`ftlab-harness run`), the seeded-bug hunt (`ftlab-harness hunt`, on the free-threaded
configuration and on 3.13; on 3.13t only under --quick) and the benchmarks (`ftlab-harness bench`).
Once per run, when both 3.13 and 3.13t were set up: the four-models sub-interpreter benchmark
(`python -m ftlab_harness.bench.subinterp_models`, step `subinterp`, its calibration measured
under each model). Everything lands in `OUT/results.jsonl` as it finishes (one record per line,
each with a `kind`); then `ftlab-harness report` renders `OUT/report.md` and the
self-contained `OUT/report.html` (plots embedded) in a separate venv with matplotlib
(`ci/requirements-report.txt`, venv `.venvs/report`).

One configuration failing (no interpreter, a failed build, a crashing step) is a row in the
report, never the end of the run. Bad input (an unknown label in --only, an unwritable --out, an
explicit interpreter that does not exist) is reported in one line; the rest still runs and the
report says what was skipped and why.

Exit status: 0 when every step that ran passed; 1 when something failed; 2 when the input was
bad (after running the rest). How long the quick and the full run take: the README's timing
table (measured figures with their commands; docs/report.md for the full run's breakdown).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from ftlab_harness import records

from . import junit, labels, provision, repo
from .proc import TIMEOUT, run_logged

#: A JSON object (an interpreter probe, a JSONL record).
Record = Dict[str, Any]

ROOT = repo.ROOT
ENVS = repo.CI / "envs"
REPORT_REQUIREMENTS = repo.CI / "requirements-report.txt"
STEPS = ("pytest", "stress", "hunt", "bench", "subinterp")
#: The configuration name the once-per-run sub-interpreter step is recorded under.
SUBINTERP_CONFIG = "3.13+3.13t"

PROBE = r"""
import json, os, sys, sysconfig
out = {"version": ".".join(map(str, sys.version_info[:3])),
       "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
       "executable": sys.executable, "PYTHON_GIL": os.environ.get("PYTHON_GIL")}
gil = getattr(sys, "_is_gil_enabled", lambda: True)
out["gil_enabled_before_import"] = gil()
try:
    import ftlab
    out["ftlab_version"] = ftlab.__version__
    out["ftlab_names"] = sorted(n for n in dir(ftlab) if not n.startswith("__"))
except Exception as e:
    out["ftlab_error"] = f"{type(e).__name__}: {e}"
out["gil_enabled"] = gil()
print(json.dumps(out))
"""


def say(msg: str) -> None:
    print(f"[stress-matrix] {msg}", file=sys.stderr, flush=True)


def header(msg: str) -> None:
    print(f"\n---------- {msg} ----------", file=sys.stderr, flush=True)


def error(msg: str) -> None:
    print(f"stress-matrix: error: {msg}", file=sys.stderr)


class Results:
    """results.jsonl, appended and flushed record by record (a crash loses nothing written)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.write_text("")

    def add(self, rec: Record) -> Record:
        with open(self.path, "a") as fh:
            fh.write(json.dumps(rec) + "\n")
        return rec


# ----------------------------------------------------------------------------- the plan (pure)


@dataclass
class Plan:
    """What the arguments ask for, checked: which interpreters, which configurations, which steps.

    `bad_input` holds one-line messages (exit 2 at the end; the rest still runs) and
    `skip_records` the records that say a requested configuration was not run.
    """

    quick: bool
    interpreters: List[str]
    only: List[str]
    skip_steps: List[str]
    explicit: Dict[str, str]
    env_overrides: Dict[str, str] = field(default_factory=dict)
    bad_input: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    skip_records: List[Record] = field(default_factory=list)

    def wants(self, config: str) -> bool:
        return not self.only or config in self.only

    def hunts(self, label: str) -> bool:
        """The seeded build and the hunt: free-threaded builds and 3.13 (3.13 not under --quick)."""
        if "hunt" in self.skip_steps:
            return False
        interp = labels.Interpreter(label)
        if interp.free_threaded:
            return True
        return label == "3.13" and not self.quick


def plan(quick: bool, only: str, skip: str, pythons: List[str], environ: Dict[str, str]) -> Plan:
    """Checks --quick/--only/--skip/--python against the labels of ftlab_ci.labels."""
    p = Plan(quick=quick, interpreters=[], only=[], skip_steps=[], explicit={})
    for item in pythons:
        try:
            label, path = labels.explicit_path(item)
        except labels.BadLabel as e:
            p.bad_input.append(f"--python {item!r}: {e}")
            continue
        p.explicit[label] = path
        p.env_overrides[labels.env_var(label)] = path
    for label in labels.EXPLICIT_ONLY:
        if environ.get(labels.env_var(label)):
            p.explicit.setdefault(label, environ[labels.env_var(label)])
    for s in labels.split_list(skip):
        if s in STEPS:
            p.skip_steps.append(s)
        else:
            p.bad_input.append(f"--skip {s!r}: unknown step (known: {', '.join(STEPS)})")
    interps = list(labels.QUICK if quick else labels.SEARCHED)
    interps += [lb for lb in labels.KNOWN if lb in p.explicit and lb not in interps]
    for text in labels.split_list(only):
        try:
            p.only.append(labels.configuration(text).name)
        except labels.BadLabel as e:
            msg = f"--only {text!r}: {e}"
            p.bad_input.append(msg)
            p.skip_records.append({"kind": "skip", "config": text, "step": "all", "reason": msg})
    if labels.split_list(only):
        wanted = {labels.configuration(c).label for c in p.only}
        for label in p.explicit:
            if label not in wanted:
                p.notes.append(f"note: --python {label}=... is not used: --only selects no {label} configuration")
        interps = [lb for lb in labels.KNOWN if lb in wanted]
        if not interps:
            p.notes.append("--only selected no known configuration; nothing to run")
    p.interpreters = interps
    return p


# ----------------------------------------------------------------------------- commands (pure)


def envs_command(label: str, seeded: bool) -> List[str]:
    return [sys.executable, str(ENVS), "--json"] + (["--seeded"] if seeded else []) + [label]


def pytest_command(python: str, junit_xml: Path) -> List[str]:
    return [python, "-m", "pytest", "python-tests", "-q", "-p", "no:cacheprovider", "--timeout=300",
            f"--junitxml={junit_xml}"]


def stress_command(python: str, config: str, jsonl: Path, quick: bool) -> List[str]:
    return [python, "-m", "ftlab_harness", "run", "--label", config, "--jsonl", str(jsonl)] + \
        (["--quick"] if quick else [])


def hunt_command(python: str, cfg: Record, jsonl: Path, quick: bool) -> List[str]:
    cmd = [python, "-m", "ftlab_harness", "hunt", "--label", cfg["config"], "--jsonl", str(jsonl)]
    if cfg.get("seeded_path"):
        cmd += ["--seeded-path", cfg["seeded_path"]]
    if quick:
        cmd.append("--quick")
    elif cfg["PYTHON_GIL"] is None and cfg["free_threaded"]:
        cmd.append("--compare-pytest")  # the pytest-run-parallel side-by-side, where the GIL is off
    return cmd


def bench_command(python: str, config: str, jsonl: Path, quick: bool) -> List[str]:
    return [python, "-m", "ftlab_harness", "bench", "--label", config, "--jsonl", str(jsonl)] + \
        (["--quick"] if quick else [])


def subinterp_command(gil_python: str, ft_python: str, jsonl: Path, quick: bool) -> List[str]:
    """The four-models benchmark: driven from the GIL build, one server per interpreter."""
    return [gil_python, "-m", "ftlab_harness.bench.subinterp_models", "--gil-python", gil_python,
            "--ft-python", ft_python, "--jsonl", str(jsonl)] + (["--quick"] if quick else [])


def step_timeout(quick: bool) -> float:
    return 900 if quick else 3600


# ----------------------------------------------------------------------------- parsing (pure)


def read_jsonl(path: Path) -> List[Record]:
    """Every record of a JSONL file as flat dicts, through the harness's typed records (a line
    that is not JSON becomes an `unparsed` record)."""
    if not path.exists():
        return []
    return list(records.read_jsonl_dicts(path))


#: Record kinds another run may contribute to the report through --import-jsonl: results, not
#: the matrix's own bookkeeping (run, run_end, interpreter and step records stay this run's).
IMPORTABLE_KINDS = ("hunt", "hunt-clean", "pytest-twins", "zerocode", "tsan", "tsan-lane", "stress-run")


def imported_records(path: Path) -> tuple[List[Record], str]:
    """The records of `path` that --import-jsonl takes, each marked with where it came from.

    Returns (records, error); error is a one-line message when the file is missing or holds no
    importable record (a typo must not pass as an empty table).
    """
    if not path.is_file():
        return [], f"--import-jsonl {path}: no such file"
    # The report groups by `config`, which the matrix sets on its own steps' records; another
    # run's records name their configuration `label` (ci/load-test: "3.13t-loaded").
    taken = [dict(r, imported_from=str(path), config=str(r.get("config") or r.get("label") or path.stem))
             for r in read_jsonl(path) if r.get("kind") in IMPORTABLE_KINDS]
    if not taken:
        return [], f"--import-jsonl {path}: no record of a kind the report takes ({', '.join(IMPORTABLE_KINDS)})"
    return taken, ""


def envs_json(log_text: str) -> Optional[Record]:
    """The last `ci/envs --json` object in a log (None if there is none)."""
    found = None
    for line in log_text.splitlines():
        if line.startswith("{") and '"venv"' in line:
            try:
                found = json.loads(line)
            except ValueError:
                continue
    return found


def probe_result(stdout: str, stderr: str) -> Record:
    """The import probe's JSON, or {"ftlab_error": <last stderr line>}."""
    try:
        rec = json.loads(stdout.strip().splitlines()[-1])
        if isinstance(rec, dict):
            return rec
    except (ValueError, IndexError):
        pass
    return {"ftlab_error": (stderr.strip().splitlines() or ["probe failed"])[-1]}


def usable_out(requested: Path, default: Path) -> tuple[Path, str]:
    """The out folder to use, and a note if `requested` could not be used."""
    note = ""
    for candidate in (requested, default, Path(tempfile.gettempdir()) / "ftlab-stress-matrix"):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            probe = candidate / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as e:
            if candidate == requested:
                note = f"--out {requested} is not writable ({e.strerror or e}); writing to "
            continue
        if candidate == requested:
            return candidate, ""
        return candidate, note + str(candidate)
    raise SystemExit("stress-matrix: error: no writable output folder (tried --out, out/, and the temp dir)")


# ----------------------------------------------------------------------------- the run


class Matrix:
    """One run: interpreters set up, configurations stepped through, records written."""

    def __init__(self, p: Plan, out: Path, env: Dict[str, str], no_build: bool) -> None:
        self.plan = p
        self.out = out
        self.logs = out / "logs"
        self.logs.mkdir(exist_ok=True)
        for stale in list(out.glob("*.jsonl")) + list((out / "plots").glob("*.png")):
            stale.unlink()
        self.results = Results(out / "results.jsonl")
        self.env = env
        self.no_build = no_build
        self.failed = False
        self.configs: List[Record] = []
        self.venv_pythons: Dict[str, str] = {}

    # -------------------------------------------------------------- interpreters
    def provision(self, label: str, required: bool) -> Optional[Record]:
        allow_build = not self.no_build and (label in self.plan.explicit or label in labels.REQUIRED)
        try:
            # --python LABEL=PATH and FTLAB_PYTHON_<LABEL> alike (the former are in self.env too),
            # exactly as the `ci/envs` child will see them.
            explicit = {k: v for k, v in labels.explicit_paths([], self.env).items() if k == label}
            found, missing = provision.provision([label], explicit, allow_build)
        except provision.BadInput as e:
            found, missing = [], [(label, str(e))]
            self.plan.bad_input.append(f"{label}: {e}")
        if found:
            return found[0]
        reason = missing[0][1] if missing else "not found"
        if required:
            self.failed = True
        self.results.add({"kind": "interpreter", "label": label, "status": "missing", "required": required,
                          "detail": reason})
        say(f"{label}: {'MISSING' if required else 'not found (optional)'}: {reason}")
        return None

    def setup(self, label: str) -> None:
        header(f"interpreter {label}")
        required = label in labels.REQUIRED or label in self.plan.explicit
        info = self.provision(label, required)
        if info is None:
            return
        seeded = self.plan.hunts(label)
        log = self.logs / f"envs-{label}.log"
        say(f"{label}: ci/envs {'--seeded ' if seeded else ''}{label} (log {log})")
        done = run_logged(envs_command(label, seeded), log, self.env, timeout=3600, cwd=ROOT)
        env_info = envs_json(log.read_text(errors="replace"))
        rec = {"kind": "interpreter", "label": label, "version": info["version"],
               "free_threaded": info["free_threaded"], "path": info["path"], "source": info["source"],
               "required": required, "build_seconds": round(done.seconds, 1), "log": str(log)}
        status = "ok"
        if done.rc != 0 or env_info is None:
            self.failed = True
            venv_py = repo.venv_python(label, self.env)
            # ci/envs builds more than ftlab (e.g. ftlab_isolated); if ftlab itself is installed and
            # imports, the steps still run and the row says the build was only partly done.
            usable = venv_py.exists() and subprocess.run(
                [str(venv_py), "-c", "import ftlab"], capture_output=True, cwd="/", check=False).returncode == 0
            if not usable:
                self.results.add({**rec, "status": "build_failed",
                                  "detail": f"ci/envs exit {done.rc}: {done.tail[-600:]}"})
                say(f"{label}: build FAILED (exit {done.rc}); see {log}")
                return
            seeded_dir = venv_py.parent.parent / "seeded"
            env_info = {"python": str(venv_py), "seeded_path": str(seeded_dir) if seeded_dir.is_dir() else None}
            status = "build_partial"
            rec["detail"] = f"ci/envs exit {done.rc}, but ftlab imports, so the steps ran: {done.tail[-500:]}"
            say(f"{label}: ci/envs FAILED (exit {done.rc}) but ftlab imports; running the steps; see {log}")
        self.results.add({**rec, "status": status, "python": env_info["python"],
                          "seeded_path": env_info.get("seeded_path")})
        self.venv_pythons[label] = env_info["python"]
        for c in labels.Interpreter(label).configurations():
            if not self.plan.wants(c.name):
                continue
            self.configs.append({"config": c.name, "label": label, "python": env_info["python"],
                                 "PYTHON_GIL": c.python_gil, "free_threaded": info["free_threaded"],
                                 "seeded_path": env_info.get("seeded_path"),
                                 "hunt": seeded and (c.python_gil != "1" or not self.plan.quick)})

    # -------------------------------------------------------------- steps
    def skipped(self, config: str, step_name: str, detail: str) -> None:
        self.results.add({"kind": "step", "config": config, "step": step_name, "outcome": "skipped",
                          "detail": detail})

    def step(self, config: str, step_name: str, cmd: List[str], env: Dict[str, str],
             jsonl: Optional[Path] = None, kind: str = "",
             after: Optional[Callable[[Record], None]] = None) -> None:
        if step_name in self.plan.skip_steps:
            self.skipped(config, step_name, "left out with --skip")
            return
        log = self.logs / f"{step_name}-{config}.log"
        say(f"{config}: {step_name}: {' '.join(map(str, cmd[1:]))}")
        done = run_logged(cmd, log, env, step_timeout(self.plan.quick), cwd=ROOT)
        rec: Dict[str, Any] = {"kind": "step", "config": config, "step": step_name, "exit": done.rc,
                               "seconds": round(done.seconds, 1), "log": str(log.relative_to(self.out))}
        if jsonl is not None:
            recs = read_jsonl(jsonl)
            for r in recs:
                r.setdefault("kind", kind)
                r["config"] = config
                self.results.add(r)
            rec["records"] = len(recs)
        rec["outcome"] = "pass" if done.ok else ("timeout" if done.rc == TIMEOUT else "fail")
        if not done.ok:
            self.failed = True
            rec["detail"] = done.tail[-800:]
        self.results.add(rec)
        if after is not None:
            after(rec)
        say(f"{config}: {step_name}: {rec['outcome']} in {done.seconds:.0f} s")

    def run_config(self, cfg: Record) -> None:
        name, py = cfg["config"], cfg["python"]
        header(f"configuration {name}")
        cenv = labels.Configuration(cfg["label"], cfg["PYTHON_GIL"]).env(self.env)
        cenv["PYTHONDONTWRITEBYTECODE"] = "1"
        p = subprocess.run([py, "-c", PROBE], capture_output=True, text=True, env=cenv, cwd="/", check=False)
        probe = probe_result(p.stdout, p.stderr)
        self.results.add({"kind": "config", **{k: v for k, v in cfg.items() if k != "seeded_path"}, **probe})
        if "ftlab_error" in probe:
            self.failed = True
            say(f"{name}: ftlab does not import: {probe['ftlab_error']}")
        say(f"{name}: {probe.get('version')} free_threaded={probe.get('free_threaded')} "
            f"gil_enabled={probe.get('gil_enabled')} PYTHON_GIL={cfg['PYTHON_GIL']}")
        quick, out = self.plan.quick, self.out

        if not any(repo.PYTHON_TESTS.glob("test_*.py")):
            self.skipped(name, "pytest", "no python-tests/test_*.py in this checkout")
        else:
            xml = self.logs / f"pytest-{name}.xml"

            def pytest_counts(_: Record) -> None:
                cases = junit.read_junit(xml)
                if cases:
                    self.results.add({"kind": "pytest", "config": name, **junit.counts(cases)})

            self.step(name, "pytest", pytest_command(py, xml), cenv, after=pytest_counts)
        jsonl = out / f"stress-{name}.jsonl"
        self.step(name, "stress", stress_command(py, name, jsonl, quick), cenv, jsonl=jsonl, kind="stress-run")
        if "hunt" in self.plan.skip_steps:
            self.skipped(name, "hunt", "left out with --skip")
        elif not cfg["hunt"]:
            self.skipped(name, "hunt", "by design: the hunt runs on the free-threaded configurations (GIL off"
                         + (")" if quick else " and PYTHON_GIL=1) and on 3.13"))
        else:
            jsonl = out / f"hunt-{name}.jsonl"
            self.step(name, "hunt", hunt_command(py, cfg, jsonl, quick), cenv, jsonl=jsonl, kind="hunt")
        jsonl = out / f"bench-{name}.jsonl"
        self.step(name, "bench", bench_command(py, name, jsonl, quick), cenv, jsonl=jsonl, kind="bench")

    def run_subinterp(self) -> None:
        """The four-models benchmark, once: it needs the 3.13 and the 3.13t venvs."""
        header("sub-interpreters: the four models")
        missing = [lb for lb in ("3.13", "3.13t") if lb not in self.venv_pythons]
        if "subinterp" in self.plan.skip_steps:
            self.skipped(SUBINTERP_CONFIG, "subinterp", "left out with --skip")
        elif missing:
            self.skipped(SUBINTERP_CONFIG, "subinterp", f"needs the 3.13 and 3.13t venvs; not set up in this run: "
                         f"{', '.join(missing)}")
        else:
            jsonl = self.out / "subinterp-models.jsonl"
            cmd = subinterp_command(self.venv_pythons["3.13"], self.venv_pythons["3.13t"], jsonl, self.plan.quick)
            env = {k: v for k, v in self.env.items() if k != "PYTHON_GIL"}
            self.step(SUBINTERP_CONFIG, "subinterp", cmd, env, jsonl=jsonl, kind="subinterp_models")

    # -------------------------------------------------------------- report
    def report(self, t_start: float) -> None:
        header("report")
        wall = time.monotonic() - t_start
        self.results.add({"kind": "run_end", "seconds_before_report": round(wall, 1),
                          "bad_input": self.plan.bad_input, "configs": [c["config"] for c in self.configs]})
        report_py, note = report_python(self.env, self.logs, self.configs)
        if note:
            say(note)
            self.results.add({"kind": "skip", "config": "-", "step": "plots", "reason": note})
        done = run_logged([report_py, "-m", "ftlab_harness", "report", "--results", self.out / "results.jsonl",
                           "--out", self.out] + ([] if not note else ["--no-plots"]),
                          self.logs / "report.log", self.env, 600, cwd=ROOT)
        if not done.ok:
            self.failed = True
            error(f"the report step failed (exit {done.rc}):\n{done.tail}")


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="ci/stress-matrix", description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="3.13, 3.13t, 3.13t+gil with short durations")
    ap.add_argument("--out", default=str(ROOT / "out"), help="output folder (default: out/ in the repo, git-ignored)")
    ap.add_argument("--only", default="", help="comma-separated configuration labels, e.g. 3.13,3.13t,3.13t+gil")
    ap.add_argument("--python", action="append", default=[], metavar="LABEL=PATH",
                    help="use this interpreter for LABEL (also 3.14 / 3.14t); same as FTLAB_PYTHON_<LABEL>")
    ap.add_argument("--skip", default="", help=f"comma-separated steps to leave out (of: {', '.join(STEPS)})")
    ap.add_argument("--no-build", action="store_true", help="never build an interpreter from source")
    ap.add_argument("--import-jsonl", action="append", default=[], metavar="FILE",
                    help="add the result records (hunt, zerocode, tsan, ...) of another run to this report, "
                         "e.g. ci/load-test's hunt (ci/test uses it instead of hunting twice)")
    args = ap.parse_args(argv)
    t_start = time.monotonic()
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    p = plan(args.quick, args.only, args.skip, args.python, env)
    env.update(p.env_overrides)
    out, out_note = usable_out(Path(args.out).expanduser().resolve(), ROOT / "out")
    if out_note:
        p.bad_input.insert(0, out_note)
    for msg in p.bad_input:
        error(msg)
    for msg in p.notes:
        say(msg)
    m = Matrix(p, out, env, args.no_build)
    for rec in p.skip_records:
        m.results.add(rec)
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=ROOT, check=False).stdout.strip()
    except OSError:
        commit = ""
    m.results.add({"kind": "run", "quick": args.quick, "argv": argv, "out": str(out), "commit": commit,
                   "started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "cores": os.cpu_count(),
                   "loadavg_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
                   "bad_input": p.bad_input, "skip_steps": p.skip_steps})
    for label in p.interpreters:
        m.setup(label)
    for cfg in m.configs:
        m.run_config(cfg)
    m.run_subinterp()
    for name in args.import_jsonl:
        taken, problem = imported_records(Path(name).expanduser().resolve())
        if problem:
            p.bad_input.append(problem)
            error(problem)
        else:
            say(f"imported {len(taken)} records from {name}")
        for rec in taken:
            m.results.add(rec)
    m.report(t_start)
    total = time.monotonic() - t_start
    print(f"\nstress-matrix: {len(m.configs)} configurations in {total:.0f} s; "
          f"report: {out / 'report.md'} and {out / 'report.html'}; records: {out / 'results.jsonl'}")
    for msg in p.bad_input:
        print(f"stress-matrix: bad input: {msg}", file=sys.stderr)
    if p.bad_input:
        return 2
    return 1 if m.failed else 0


def report_python(env: Dict[str, str], logs: Path, configs: List[Record]) -> tuple[str, str]:
    """The python of the reporting venv (.venvs/report, matplotlib), made on first use.

    Returns (python, note); note is non-empty when plots cannot be drawn, and then the python
    is any interpreter that can still render the tables.
    """
    venv = repo.venvs(env) / "report"
    py = venv / "bin" / "python"
    base = next((c["python"] for c in configs if c["label"] == "3.13"), None)
    try:
        found, _ = provision.provision(["3.13"], {}, allow_build=False)
        base_interp = found[0]["path"] if found else None
    except provision.BadInput:
        base_interp = None
    # matplotlib ships wheels for every GIL build; prefer one (a free-threaded CPython may lack them).
    creator = sys.executable
    for cand in [base_interp, shutil.which("python3"), "/usr/bin/python3", sys.executable]:
        if not cand or not os.path.exists(cand):
            continue
        p = subprocess.run([cand, "-c", "import sysconfig, venv; print(sysconfig.get_config_var('Py_GIL_DISABLED'))"],
                           capture_output=True, text=True, check=False)
        if p.returncode == 0 and p.stdout.strip() in ("0", "None"):
            creator = cand
            break
    log = logs / "report-venv.log"
    try:
        if not py.exists():
            say(f"creating the reporting venv {venv} from {creator}")
            subprocess.run([creator, "-m", "venv", str(venv)], check=True, capture_output=True)
        stamp = venv / ".ftlab-requirements"
        want = REPORT_REQUIREMENTS.read_text()
        if not stamp.exists() or stamp.read_text() != want:
            say(f"installing {REPORT_REQUIREMENTS.name} into {venv}")
            done = run_logged([py, "-m", "pip", "install", "-q", "--only-binary=:all:", "-r", REPORT_REQUIREMENTS],
                              log, env, 900)
            if not done.ok:
                raise RuntimeError(f"pip install failed (exit {done.rc}): {done.tail[-300:]}")
            stamp.write_text(want)
        hstamp = venv / ".ftlab-harness"
        hwant = (repo.HARNESS / "pyproject.toml").read_text()
        if not hstamp.exists() or hstamp.read_text() != hwant:
            say(f"installing the harness (pip install -e python/) into {venv}")
            done = run_logged([py, "-m", "pip", "install", "-q", "--no-deps", "-e", repo.HARNESS], log, env, 900)
            if not done.ok:
                raise RuntimeError(f"pip install -e python failed (exit {done.rc}): {done.tail[-300:]}")
            hstamp.write_text(hwant)
        return str(py), ""
    except (OSError, subprocess.CalledProcessError, RuntimeError) as e:
        fallback = base or sys.executable
        return fallback, f"no plots: the reporting venv with matplotlib could not be set up ({e})"
