"""The pytest plugin (`pytest11` entry point `ftlab_harness`): run harness checks from a test suite.

Placeholder for the fixture that runs a scenario in an isolated child (see `stress_run`).
"""
