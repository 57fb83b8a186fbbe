"""WorkQueue (`src/py/queue.rs`): every item put is delivered exactly once, then close.

Half the workers produce tagged items `(producer, seq)` into a small bounded queue (capacity 8,
so producers block and contend), the other half consume with short timeouts. At the end the
queue is closed and drained.
Invariants:
  during  `bounded`: `len(queue)` never exceeds the capacity;
  after   `delivered_at_most_once`: no item is delivered twice;
          `delivered_at_least_once`: every item whose `put` returned is delivered;
          `no_phantom_items`: nothing is delivered whose `put` raised (TimeoutError) or that was
          never put;
          `close_drains_then_raises`: after `close()`, `get` drains what is left, then raises
          QueueClosed (not TimeoutError); `put_after_close_rejected`: `put` raises QueueClosed.
Seeded twin hunted here: `queue_drop_or_duplicate`.
"""

from __future__ import annotations

from collections import Counter

from ftlab_harness import Run, Scenario, Worker

CAPACITY = 8


class ExactlyOnceDelivery(Scenario):
    """WorkQueue: MPMC, bounded, every item delivered exactly once, close drains."""

    def setup(self, run: Run) -> None:
        import ftlab

        self.closed_error = ftlab.QueueClosed
        self.queue = run.target(CAPACITY)

    def thread_setup(self, w: Worker) -> None:
        producers = max(1, w.run.threads // 2)
        w.producer = w.index < producers
        w.consumer = not w.producer or w.run.threads == 1
        w.seq = 0
        w.timed_out = set()
        w.got = []

    def step(self, w: Worker) -> None:
        if w.producer and (not w.consumer or w.ops % 2 == 0):
            try:
                self.queue.put((w.index, w.seq), timeout=0.05)
            except TimeoutError:
                w.timed_out.add(w.seq)  # this item must never be delivered
            w.seq += 1
        else:
            try:
                w.got.append(self.queue.get(timeout=0.05))
            except TimeoutError:
                pass
            if w.ops & 63 == 0:
                size = len(self.queue)
                w.check(size <= CAPACITY, "bounded", lambda: f"len(queue) = {size} > capacity {CAPACITY}")

    def finish(self, run: Run) -> None:
        queue = self.queue
        queue.close()
        run.check(queue.closed, "close_drains_then_raises", "closed is False after close()")
        drained = []
        while True:
            try:
                drained.append(queue.get(timeout=2.0))
            except self.closed_error:
                break
            except TimeoutError:
                run.violation("close_drains_then_raises", "get() on a closed, drained queue timed out instead of "
                              "raising QueueClosed")
                break
        try:
            queue.put(("late", 0), timeout=0.1)
            run.violation("put_after_close_rejected", "put() on a closed queue succeeded")
        except self.closed_error:
            pass
        except TimeoutError:
            run.violation("put_after_close_rejected", "put() on a closed queue timed out instead of raising QueueClosed")
        delivered = Counter(item for w in run.workers for item in w.got)
        delivered.update(drained)
        produced = {(w.index, s) for w in run.workers if w.producer for s in range(w.seq) if s not in w.timed_out}
        dupes = {item: n for item, n in delivered.items() if n > 1}
        run.check(not dupes, "delivered_at_most_once",
                  lambda: f"{len(dupes)} item(s) delivered more than once, e.g. {sorted(dupes.items())[:3]}")
        missing = produced - set(delivered)
        run.check(not missing, "delivered_at_least_once",
                  lambda: f"{len(missing)} of {len(produced)} items never delivered, e.g. {sorted(missing)[:3]}")
        phantom = set(delivered) - produced
        run.check(not phantom, "no_phantom_items",
                  lambda: f"{len(phantom)} delivered item(s) were never put, e.g. {sorted(phantom)[:3]}")
        run.note("items", len(produced))


SCENARIOS = [ExactlyOnceDelivery("work_queue", target="ftlab:WorkQueue", hunts=["queue_drop_or_duplicate"])]
