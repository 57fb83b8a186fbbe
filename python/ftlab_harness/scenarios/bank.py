"""Bank (`src/py/bank.rs`): money is never created, destroyed or overdrawn, whoever transfers.

A few accounts (so transfers collide) start with 100 each; workers transfer random amounts
between random pairs (both directions, so a bank that locks src-then-dst deadlocks), take
snapshots and read totals. Amounts up to 60 make `OverdraftError` common, so a bank that checks
the balance and debits it in two separate lock acquisitions gets caught overdrawing.
Invariants:
  during  `snapshot_total`: every `snapshot()` sums to the initial total;
          `total_conserved`: `total()` is always the initial total;
          `no_overdraft`: no balance in a snapshot is ever negative;
  after   `balances_accounted`: each final balance = initial + the successful transfers in and
          out (every thread records what it moved);
          `balance_matches_snapshot`, `accounts_listed`: the other readers agree.
A hang (two transfers waiting on each other's locks) is caught by the harness's watchdog.
Seeded twins hunted here: `check_then_act`, `lock_order_inversion`.
"""

from __future__ import annotations

from ftlab_harness import Run, Scenario, Worker

INITIAL = 100


class BankConservation(Scenario):
    """Bank: total conserved, snapshots consistent, no overdraft, every transfer accounted for."""

    def setup(self, run: Run) -> None:
        import ftlab  # the exception class lives in ftlab whichever twin is the target

        self.overdraft = ftlab.OverdraftError
        self.names = [f"acct{i}" for i in range(self.params.get("accounts", 4))]
        self.bank = run.target({n: INITIAL for n in self.names})
        self.total = INITIAL * len(self.names)

    def thread_setup(self, w: Worker) -> None:
        w.moved = {n: 0 for n in self.names}
        w.overdrafts = 0

    def _check_snapshot(self, w: Worker, snap: dict) -> None:
        w.check(sum(snap.values()) == self.total, "snapshot_total",
                lambda: f"snapshot {snap} sums to {sum(snap.values())}, not {self.total}")
        w.check(all(v >= 0 for v in snap.values()), "no_overdraft", lambda: f"negative balance in snapshot {snap}")

    def step(self, w: Worker) -> None:
        r = w.rng.random()
        if r < 0.85:
            src, dst = w.rng.sample(self.names, 2)
            amount = w.rng.randint(1, 60)
            try:
                self.bank.transfer(src, dst, amount)
            except self.overdraft:
                w.overdrafts += 1
                return
            w.moved[src] -= amount
            w.moved[dst] += amount
        elif r < 0.95:
            self._check_snapshot(w, self.bank.snapshot())
        else:
            total = self.bank.total()
            w.check(total == self.total, "total_conserved", lambda: f"total() = {total}, not {self.total}")

    def finish(self, run: Run) -> None:
        snap = self.bank.snapshot()
        expected = {n: INITIAL + sum(w.moved[n] for w in run.workers) for n in self.names}
        run.check(snap == expected, "balances_accounted",
                  lambda: f"final balances {snap} != initial + successful transfers {expected}")
        run.check(all(v >= 0 for v in snap.values()), "no_overdraft", lambda: f"final balances {snap}")
        run.check(self.bank.total() == self.total, "total_conserved", lambda: f"final total() {self.bank.total()}")
        for n in self.names:
            run.check(self.bank.balance(n) == snap[n], "balance_matches_snapshot",
                      lambda: f"balance({n!r}) = {self.bank.balance(n)}, snapshot says {snap[n]}")
        run.check(sorted(self.bank.accounts()) == sorted(self.names), "accounts_listed",
                  lambda: f"accounts() = {self.bank.accounts()}")
        run.note("overdrafts_refused", sum(w.overdrafts for w in run.workers))


SCENARIOS = [BankConservation("bank", target="ftlab:Bank", hunts=["check_then_act", "lock_order_inversion"])]
