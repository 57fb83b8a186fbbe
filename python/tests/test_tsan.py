"""Tests for `ftlab_harness.tsan`: the report parser, target classification, suppressions (which can
never hide a race in the target's code), the preload environment and the JUnit output.

The parser tests run on report text captured from real runs (python/tests/data/tsan/, stock
3.13.5t + libtsan.so.2 + ftlab built with -Zsanitizer=thread) and need no TSan. The end-to-end
test at the bottom runs the `unsafe_shared_mut` twin under TSan; it needs the TSan venv
(`ci/envs --tsan 3.13t`) and is skipped without it (FTLAB_TSAN_PYTHON overrides its location).
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

try:
    import ftlab_harness.tsan  # noqa: F401
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ftlab_harness.tsan import env as tsan_env
from ftlab_harness.tsan import junit, suppress
from ftlab_harness.tsan.parse import Frame, Target, dedup, is_library_frame, parse_file, parse_text
from ftlab_harness.tsan.session import run as run_under_tsan

DATA = Path(__file__).parent / "data" / "tsan"
REPO = Path(__file__).resolve().parents[2]
FTLAB = Target.of(["ftlab"], sources=[str(REPO)])


def reports(name: str, target: Target = FTLAB):
    return parse_file(str(DATA / name), target)


def test_parses_a_data_race_with_both_access_stacks_symbolised():
    found = reports("unsafe_shared_mut.log")
    assert [r.kind for r in found] == ["data race", "data race"]
    race = found[0]
    assert race.pid is not None and race.summary.startswith("data race src/core/counter/broken.rs:77")
    access = race.access_stacks
    assert [s.title.split(" of ")[0] for s in access] == ["Read", "Previous write"]
    top = access[0].frames[0]
    assert (top.function, top.file, top.line) == ("{closure#0}", "src/core/counter/broken.rs", 77)
    assert top.module == "ftlab.cpython-313t-x86_64-linux-gnu.so" and top.offset == "0x9fd22"
    # thread-creation stacks are context, never access
    assert all(s.role == "context" for s in race.stacks if s.title.startswith("Thread T"))


def test_function_names_with_spaces_parse_from_the_right():
    line = ("    #9 catch_unwind<core::result::Result<*mut pyo3_ffi::object::PyObject, pyo3::err::PyErr>> "
            "/rustc/abc/library/std/src/panicking.rs:544 (ftlab.so+0x61fe3)")
    text = f"WARNING: ThreadSanitizer: data race (pid=1)\n  Write of size 8 at 0x1 by main thread:\n{line}\n" + "=" * 18
    (r,) = parse_text(text)
    f = r.stacks[0].frames[0]
    assert f.function.startswith("catch_unwind<core::result::Result<*mut") and f.function.endswith("PyErr>>")
    assert (f.file, f.line, f.module) == ("/rustc/abc/library/std/src/panicking.rs", 544, "ftlab.so")


def test_null_locations_and_an_unfinished_block():
    text = ("WARNING: ThreadSanitizer: data race (pid=7)\n  Read of size 8 at 0x2 by thread T1:\n"
            "    #0 __rust_try <null> (ftlab.so+0x69a71)\n" + "=" * 18 + "\n"
            "WARNING: ThreadSanitizer: data race (pid=7)\n  Read of size 8 at 0x3 by thread T1:\n")  # still being written
    (r,) = parse_text(text)
    f = r.stacks[0].frames[0]
    assert (f.function, f.file, f.line) == ("__rust_try", None, None)


def test_the_racy_twin_is_in_ftlab_and_the_interpreter_false_positive_is_not():
    race, brc = reports("unsafe_shared_mut.log")
    assert race.in_target
    assert "{closure#0} src/core/counter/broken.rs:77" in race.target_frames
    assert "__pymethod_add__ src/py/seeded/unsafe_shared_mut.rs:19" in race.target_frames
    assert not brc.in_target and brc.target_frames == ()
    assert "_Py_brc_merge_refcounts" in brc.text


def test_a_std_generic_inlined_on_top_still_counts_as_the_targets_access():
    # relaxed_publication: the reader's top frame is `Option<Vec>::clone` (std), then ftlab's code.
    found = reports("relaxed_publication.log")
    target = [r for r in found if r.in_target]
    assert target and all(any("src/core/latch/broken.rs" in f for f in r.target_frames) for r in target)
    assert any(r.access_stacks[0].frames[0].file.startswith("/rustc/") for r in target)


def test_pyo3_frames_with_relative_paths_are_not_ftlab_given_the_source_root():
    tls, leak = reports("interpreter_false_positives.log")
    # `src/internal/state.rs` is PyO3's (relative, like ftlab's own `src/...`): not in ftlab's tree.
    assert not tls.in_target and tls.target_frames == ()
    assert leak.kind == "thread leak" and not leak.in_target
    # without a source root every non-dependency file in ftlab.so counts: the conservative side
    conservative = reports("interpreter_false_positives.log", Target.of(["ftlab"]))[0]
    assert "{closure#0} src/internal/state.rs:362" in conservative.target_frames


def test_library_frames():
    assert is_library_frame(Frame(0, "replace<isize>", "/rustc/x/library/core/src/mem/mod.rs", 902, "ftlab.so"))
    assert is_library_frame(Frame(0, "free", "../include/rtld-malloc.h", 50, "ld-linux-x86-64.so.2"))
    assert is_library_frame(Frame(0, "__tsan_memcpy", None, None, "libftlab_tsan_shim.so"))
    assert not is_library_frame(Frame(0, "add", "src/core/counter/broken.rs", 77, "ftlab.so"))


def test_target_module_matching():
    t = Target.of(["ftlab", "/opt/ext/libmyext.so", "pkg._native"])
    assert t.module_matches("ftlab.cpython-313t-x86_64-linux-gnu.so")
    assert t.module_matches("libmyext.so") and t.module_matches("_native.cpython-313t-x86_64-linux-gnu.so")
    assert not t.module_matches("ftlab_isolated.cpython-313t-x86_64-linux-gnu.so")
    assert not t.module_matches("python3.13t") and not t.module_matches("libtsan.so.2")


def test_signatures_are_stable_across_runs_and_dedup_counts():
    brc_a = reports("unsafe_shared_mut.log")[1]
    brc_b = [r for r in reports("relaxed_publication.log") if "_Py_brc_merge_refcounts" in r.text][0]
    assert brc_a.signature == brc_b.signature  # different pids, addresses, thread ids
    both = reports("unsafe_shared_mut.log") + reports("relaxed_publication.log")
    counts = {r.signature: n for r, n in dedup(both)}
    assert counts[brc_a.signature] == 2 and sum(counts.values()) == len(both)


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "sup.txt"
    p.write_text(text)
    return p


def test_every_default_suppression_has_a_reason_and_loads():
    entries = suppress.load(suppress.default_path())
    assert entries and all(e.reason for e in entries)
    assert any(e.name == "race:_Py_brc_merge_refcounts" for e in entries)
    cpython = suppress.load(suppress.default_path().with_name("suppressions-cpython-tsan.txt"))
    assert cpython and all(e.reason for e in cpython)


def test_an_entry_without_a_reason_is_rejected(tmp_path):
    with pytest.raises(suppress.SuppressionError, match="no reason"):
        suppress.load(write(tmp_path, "race:foo\n"))
    with pytest.raises(suppress.SuppressionError, match="expected"):
        suppress.load(write(tmp_path, "# why\nrace foo\n"))


def test_default_suppressions_silence_the_interpreter_false_positives():
    found = suppress.apply(reports("unsafe_shared_mut.log") + reports("interpreter_false_positives.log"),
                           suppress.load(suppress.default_path()))
    race, brc, tls, leak = found
    assert race.suppressed_by is None
    assert brc.suppressed_by == "race:_Py_brc_merge_refcounts"
    assert tls.suppressed_by == "race:_dl_deallocate_tls"
    assert leak.suppressed_by == "thread:do_start_joinable_thread"


def test_suppressions_can_never_hide_a_race_in_the_targets_code(tmp_path):
    hostile = suppress.load(write(tmp_path, "# matches everything\nrace:*\n# the racy function itself\nrace:add\n"
                                            "# its file\nrace:broken.rs\n# the module\nrace:ftlab\n"))
    found = suppress.apply(reports("unsafe_shared_mut.log") + reports("relaxed_publication.log"), hostile)
    target = [r for r in found if r.in_target]
    assert target and all(r.suppressed_by is None for r in target)
    assert all(r.suppressed_by for r in found if not r.in_target)  # the rest is fair game


def test_race_entries_look_at_access_stacks_only(tmp_path):
    # Every report made in a Python thread has `do_start_joinable_thread` on its thread-creation
    # stack; a race entry naming it must not silence a report whose accesses are elsewhere.
    (race, _brc) = reports("unsafe_shared_mut.log", Target.of(["not_ftlab"]))
    entries = suppress.load(write(tmp_path, "# thread start\nrace:do_start_joinable_thread\n"))
    assert suppress.apply([race], entries)[0].suppressed_by is None
    top = suppress.load(write(tmp_path, "# top frame only\nrace_top:{closure#0}\n"))
    assert suppress.apply([race], top)[0].suppressed_by == "race_top:{closure#0}"


def test_tsan_env_preloads_runtime_then_shim_and_logs_per_process(tmp_path):
    base = {"LD_PRELOAD": "/x/other.so", "TSAN_OPTIONS": "history_size=7", "PATH": "/bin"}
    env = tsan_env.tsan_env(tmp_path, base=base, libtsan="/l/libtsan.so.2", shim="/c/shim.so")
    assert env["LD_PRELOAD"] == "/l/libtsan.so.2:/c/shim.so:/x/other.so"
    opts = env["TSAN_OPTIONS"].split()
    assert f"log_path={tmp_path}/tsan" in opts and "halt_on_error=0" in opts and "exitcode=0" in opts
    assert opts[-1] == "history_size=7"  # the caller's options come last and win
    assert env["PATH"] == "/bin"


def test_log_files_are_ordered_by_pid(tmp_path):
    for pid in (120, 13, 9):
        (tmp_path / f"tsan.{pid}").write_text("")
    assert [Path(p).name for p in tsan_env.log_files(tmp_path)] == ["tsan.9", "tsan.13", "tsan.120"]


def test_shim_source_defines_the_three_functions():
    src = tsan_env.shim_source().decode()
    for name in ("__tsan_memcpy", "__tsan_memmove", "__tsan_memset"):
        assert f"void *{name}(" in src


def test_junit_has_a_failure_per_unexpected_verdict(tmp_path):
    path = tmp_path / "tsan.xml"
    junit.write(str(path), [{"name": "unsafe_shared_mut", "ok": True, "seconds": 1.5},
                            {"name": "clean-run-0", "ok": False, "message": "2 unsuppressed", "detail": "x"}])
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite.get("name") == "tsan" and suite.get("tests") == "2" and suite.get("failures") == "1"
    assert suite.findall("testcase")[1].find("failure").get("message") == "2 unsuppressed"


def tsan_python() -> Path:
    return Path(os.environ.get("FTLAB_TSAN_PYTHON", REPO / ".venvs" / "3.13t-tsan" / "bin" / "python"))


RACE_PROBE = """
import threading, ftlab._seeded as s
c = s.UnsafeCellCounter()
start = threading.Barrier(4)
def hammer():
    start.wait()  # overlap the threads' adds even on a loaded machine
    for _ in range(50000):
        c.add(1)
threads = [threading.Thread(target=hammer) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
"""


@pytest.mark.skipif(not tsan_python().exists() or tsan_env.find_libtsan() is None,
                    reason="needs the TSan venv (ci/envs --tsan 3.13t) and libtsan.so.2")
def test_end_to_end_hostile_suppressions_do_not_hide_the_racy_twin(tmp_path):
    """The racy twin under real TSan, with the shipped suppressions plus entries matching every frame."""
    probe = subprocess.run([str(tsan_python()), "-c", "import ftlab._seeded"], capture_output=True,
                           env=tsan_env.tsan_env(tmp_path / "probe"))
    if probe.returncode != 0:
        pytest.skip("the TSan venv has no seeded build")
    sups = suppress.load(suppress.default_path()) + suppress.load(
        write(tmp_path, "# hostile: everything\nrace:*\n# hostile: the interpreter\nrace:python3.13t\n"))
    s = run_under_tsan([str(tsan_python()), "-c", RACE_PROBE], FTLAB, sups, log_dir=str(tmp_path / "logs"),
                       timeout=300)
    assert s.returncode == 0, s.stdout_tail
    target = s.unique(s.target_reports)
    assert target, f"TSan reported nothing in ftlab: {s.summary()}"
    assert all(r.suppressed_by is None for r, _ in target)
    assert any("src/core/counter/broken.rs" in f for r, _ in target for f in r.target_frames)
    assert all(r.suppressed_by for r in s.reports if not r.in_target)


def test_run_tsan_attaches_the_childs_log_to_its_record(tmp_path):
    from ftlab_harness.tsan.attach import ChildTsan

    tsan = ChildTsan(["ftlab"], [str(REPO)], log_dir=str(tmp_path))
    (tmp_path / "tsan.4242").write_text((DATA / "unsafe_shared_mut.log").read_text())
    record = {"scenario": "counter.mutex", "target": "ftlab._seeded:UnsafeCellCounter", "detector": None}
    findings = tsan.attach(record, 4242)
    assert record["tsan_detected"] and record["tsan_target"] == 1 and record["tsan_unsuppressed"] == 1
    assert record["tsan_reports"] == 2 and record["detector"] == "tsan"
    assert record["tsan_first"].startswith("data race: {closure#0} src/core/counter/broken.rs:77")
    assert [f["kind"] for f in findings] == ["tsan", "tsan"] and findings[0]["scenario"] == "counter.mutex"
    assert findings[1]["suppressed_by"] == "race:_Py_brc_merge_refcounts"
    quiet = {"scenario": "point", "detector": None}
    assert tsan.attach(quiet, 99) == [] and quiet["tsan_reports"] == 0 and quiet["detector"] is None
    environ = {"LD_PRELOAD": "/x.so"}
    tsan.install(environ)
    assert environ["LD_PRELOAD"].endswith(":/x.so") and f"log_path={tmp_path}/tsan" in environ["TSAN_OPTIONS"]


def test_report_has_a_tsan_column_and_section():
    from ftlab_harness.report import tsan as tsan_report
    from ftlab_harness.report.document import Document
    from ftlab_harness.report.results import Results

    res = Results([
        {"kind": "tsan-lane", "mode": "twin", "bug": "racy_statistics", "tsan": True, "tsan_seconds": 2.2,
         "expected": True, "ok": True, "invariants": False, "frame": "{closure#1} src/core/counter/broken.rs:123"},
        {"kind": "tsan-lane", "mode": "twin", "bug": "lost_update", "tsan": False, "expected": False, "ok": True},
        {"kind": "tsan-lane", "mode": "clean", "run": 0, "scenarios": 16, "unique_reports": 30, "suppressed": 30,
         "unsuppressed": 0, "ok": True, "skipped": ["frozen_map"]},
    ])
    assert tsan_report.twin_cell(res, "racy_statistics").startswith("caught in 2.2 s")
    assert tsan_report.twin_cell(res, "lost_update") == "not reported (expected)"
    assert tsan_report.twin_cell(res, "check_then_act") == "–"
    doc = Document("t")
    tsan_report.section(doc, res)
    text = doc.markdown(None)
    assert "ThreadSanitizer lane" in text and "racy_statistics" in text and "`frozen_map`" in text
