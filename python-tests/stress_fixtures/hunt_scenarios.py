"""Scenarios for the hunt's own test (`test_stress_harness.py`): the built-in counter scenario
hunting a Python twin, and one that hunts a deadlocking twin (detected by the hang watchdog)."""

from ftlab_harness.scenarios.counter import CounterTotal

SCENARIOS = [
    CounterTotal("hunt_test.lost", target="ftlab:AtomicCounter", hunts=["fake_lost_update"]),
    CounterTotal("hunt_test.deadlock", target="ftlab:AtomicCounter", hunts=["fake_deadlock"]),
]
