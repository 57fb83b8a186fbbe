"""The typed contract (`ftlab_harness.records`): round trips, flat field names, unknown kinds/keys."""

from __future__ import annotations

import json

import pytest

from ftlab_harness import records as R


def stress_record() -> R.StressRunRecord:
    return R.StressRunRecord(
        interp=R.Interpreter("cpython-3.13.5t", "3.13.5", True, "/venv/bin/python", None), label="3.13t",
        scenario="counter.atomic", target="ftlab:AtomicCounter", threads=4, seed=7, duration=1.0, repeat=0,
        result=R.ScenarioResult(outcome="violation", detail="counter_total x1", ops=10, seconds=0.5, violations=1,
                                violation_details={"counter_total": {"count": 1, "details": ["lost 3"]}}).with_rate(),
    )


@pytest.mark.parametrize("record", [
    stress_record(),
    R.HuntRecord(interp=R.Interpreter("cpython-3.13.5t"), bug="lost_update", twin="LostUpdateCounter", detected=True,
                 result=R.ScenarioResult(outcome="violation", detector="counter_total", seconds_to_detect=0.25)),
    R.HuntCleanRecord(interp=R.Interpreter("cpython-3.13.5"), bug="lost_update", scenario="counter.atomic",
                      result=R.ScenarioResult(outcome="pass", ops=5, seconds=1.0)),
    R.PytestTwinsRecord(interp=R.Interpreter("cpython-3.13.5t"), bug="x", tests={"t": "passed"}),
    R.BenchRecord(label="3.13t", interpreter="cpython-3.13.5t", executable="/v/bin/python", group="counters",
                  case="atomic", status="ok", extra={"threads": 2, "ops_per_s": 1.5e6}),
    R.OtherRecord(kind="config", extra={"config": "3.13t"}),
])
def test_round_trip_through_json(record):
    line = json.dumps(record.to_json())
    back = R.parse_record(json.loads(line))
    assert back == record
    assert type(back) is type(record)


def test_records_are_flat_with_kind_and_schema_version():
    data = stress_record().to_json()
    assert data["kind"] == "stress-run" and data["schema_version"] == R.SCHEMA_VERSION
    # the README's field names, flat (Interpreter and ScenarioResult are inlined)
    for key in ("interpreter", "version", "free_threaded", "executable", "python_gil_env", "label", "scenario",
                "target", "threads", "seed", "duration", "ops", "seconds", "ops_per_s", "violations",
                "violation_details", "outcome", "detail"):
        assert key in data, key
    assert data["interpreter"] == "cpython-3.13.5t" and data["executable"] == "/venv/bin/python"
    assert data["ops_per_s"] == 20.0


def test_unknown_keys_survive_and_unknown_kinds_are_kept():
    data = stress_record().to_json()
    data["from_the_future"] = 1
    back = R.parse_record(data)
    assert back.to_json()["from_the_future"] == 1
    other = R.parse_record({"kind": "step", "config": "3.13t", "exit": 0})
    assert isinstance(other, R.OtherRecord) and other.to_json() == {"kind": "step", "config": "3.13t", "exit": 0}


def test_read_jsonl_never_raises_on_a_torn_line(tmp_path):
    path = tmp_path / "r.jsonl"
    with R.JsonlWriter(path) as w:
        w.write(stress_record())
        w.write({"kind": "run", "quick": True})
    with open(path, "a") as f:
        f.write('{"kind": "stress-run", "scen')  # a crash mid-line
    got = R.read_jsonl(path)
    assert isinstance(got[0], R.StressRunRecord) and got[0] == stress_record()
    assert isinstance(got[1], R.OtherRecord) and got[1].kind == "run"
    assert isinstance(got[2], R.OtherRecord) and got[2].kind == "unparsed" and got[2].extra["line_number"] == 3


def test_run_spec_and_child_events(tmp_path):
    spec = R.RunSpec(source_kind="file", source_ref="/x.py", scenario="s", target="", threads=2, duration=0.5)
    spec.write(tmp_path / "spec.json")
    assert R.RunSpec.read(tmp_path / "spec.json") == spec
    ev = tmp_path / "events.jsonl"
    ev.write_bytes(R.ChildEvent(event="violation", invariant="inv", detail="d", at=0.1).line()
                   + R.ChildEvent(event="progress", ops=5, seconds=0.2, rounds=1).line() + b'{"event": "prog')
    got = R.read_events(ev)
    assert [e.event for e in got] == ["violation", "progress"] and got[1].ops == 5


def test_bench_records_name_the_interpreter_tag_and_the_executable_distinctly():
    from ftlab_harness.bench import harness

    rec = harness.interpreter_record("x")
    assert rec["interpreter"].startswith("cpython-") and "/" not in rec["interpreter"]
    assert rec["executable"].endswith(("python", "python3")) or "/" in rec["executable"]
