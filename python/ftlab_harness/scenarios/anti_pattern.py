"""The `&mut self` anti-pattern (`src/py/anti_pattern.rs`): UnsyncCounter is not frozen, so PyO3
guards each call with a runtime borrow flag. Shared between threads it must fail LOUDLY and
SAFELY: a concurrent call raises PyO3's borrow RuntimeError ("Already borrowed" / "Already
mutably borrowed"); it never corrupts the count.

Invariants:
  during  `only_borrow_errors`: `add` and `.value` either succeed or raise that RuntimeError;
  after   `never_corrupts`: the final value is start + the successful adds.
The number of borrow errors is reported as a note: hundreds of thousands per second on every
interpreter, because `add` detaches while it holds `&mut self` (see the Rust file), so calls
overlap on the GIL build too.
"""

from __future__ import annotations

from ftlab_harness import Run, Scenario, Worker

START = 7


class BorrowErrorsOnly(Scenario):
    """UnsyncCounter shared by all threads: borrow errors are raised, counts never corrupt."""

    def setup(self, run: Run) -> None:
        self.counter = run.target(START)

    def thread_setup(self, w: Worker) -> None:
        w.ok = 0
        w.borrow_errors = 0

    def _borrow_error(self, w: Worker, e: BaseException, call: str) -> None:
        if isinstance(e, RuntimeError) and "borrow" in str(e).lower():
            w.borrow_errors += 1
        else:
            w.violation("only_borrow_errors", f"{call} raised {type(e).__name__}: {e}")

    def step(self, w: Worker) -> None:
        try:
            self.counter.add(1)
            w.ok += 1
        except BaseException as e:  # PyO3's PanicException is a BaseException
            self._borrow_error(w, e, "add()")
        if w.ops & 7 == 0:
            try:
                self.counter.value
            except BaseException as e:
                self._borrow_error(w, e, ".value")

    def finish(self, run: Run) -> None:
        expected = START + sum(w.ok for w in run.workers)
        value = self.counter.value
        run.check(value == expected, "never_corrupts",
                  lambda: f"value {value} != start + successful adds {expected}")
        run.note("borrow_errors", sum(w.borrow_errors for w in run.workers))


SCENARIOS = [BorrowErrorsOnly("anti_pattern", target="ftlab:UnsyncCounter")]
