//! Loom models of `core::queue::WorkQueue`: exactly-once hand-over under a capacity bound,
//! and close waking every blocked producer and consumer.
//!
//! They run the real `src/core/queue.rs` through the loom shim (storage: `Mutex<VecDeque>`
//! instead of crossbeam, see the module docs), 2–3 threads, preemption bound 3 unless
//! `LOOM_MAX_PREEMPTIONS` says otherwise. A missed wake-up shows up as a loom deadlock; a lost
//! or duplicated item fails the multiset assertions. The broken twins `LossyWorkQueue` and
//! `LostWakeupWorkQueue` (a `put` that forgets to wake the consumer) must be rejected. Run: `RUSTFLAGS="--cfg ftlab_loom" CARGO_TARGET_DIR=target/loom
//! cargo test --release --no-default-features --test loom_queue`, or `ci/loom queue`.
#![cfg(ftlab_loom)]

#[path = "support/loom_harness.rs"]
mod loom_harness;

use ftlab::core::queue::broken::{LossyWorkQueue, LostWakeupWorkQueue};
use ftlab::core::queue::{GetError, PutError, WorkQueue};
use loom_harness::{check, expect_rejected};

use ftlab::sync::{thread, Arc};
use std::time::Duration;

/// The Python binding waits in bounded slices (`get_timeout`/`put_timeout` with `Some`); loom
/// has no time, so a timed wait is modelled as an untimed one — this checks the timed code path.
const SLICE: Option<Duration> = Some(Duration::from_secs(3600));

#[test]
fn capacity_one_every_item_exactly_once() {
    check("queue_exactly_once_capacity_one", || {
        let q = Arc::new(WorkQueue::new(1));
        let producers: Vec<_> = [1u32, 2]
            .into_iter()
            .map(|item| {
                let q = Arc::clone(&q);
                thread::spawn(move || q.put(item).unwrap())
            })
            .collect();
        let mut got = vec![q.get().unwrap(), q.get().unwrap()];
        for p in producers {
            p.join().unwrap();
        }
        got.sort_unstable();
        assert_eq!(got, vec![1, 2]);
        assert!(q.is_empty());
    });
}

#[test]
fn close_delivers_queued_item_once_wakes_rest() {
    check("queue_close_delivers_queued_item_once", || {
        let q = Arc::new(WorkQueue::new(1));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let q = Arc::clone(&q);
                thread::spawn(move || q.get()) // must return: an item or Closed
            })
            .collect();
        q.put(7u32).unwrap();
        assert!(q.close());
        let got: Vec<_> = consumers
            .into_iter()
            .filter_map(|c| c.join().unwrap())
            .collect();
        assert_eq!(got, vec![7]);
        assert_eq!(q.get_timeout(None), Err(GetError::Closed));
    });
}

#[test]
fn close_wakes_every_blocked_consumer() {
    check("queue_close_wakes_every_consumer", || {
        let q = Arc::new(WorkQueue::<u32>::new(1));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let q = Arc::clone(&q);
                thread::spawn(move || q.get_timeout(None))
            })
            .collect();
        q.close();
        for c in consumers {
            assert_eq!(c.join().unwrap(), Err(GetError::Closed));
        }
    });
}

#[test]
fn close_wakes_blocked_producer_put_fails() {
    check("queue_close_wakes_blocked_producer", || {
        let q = Arc::new(WorkQueue::new(1));
        q.put(1u32).unwrap();
        let producer = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.put_timeout(2, None))
        };
        q.close();
        let put = producer.join().unwrap();
        // Either the producer found the queue full and was woken by close, or it ran first and
        // blocked... on a full queue, which only close can end: it must fail.
        assert_eq!(put, Err(PutError::Closed(2)));
        assert_eq!(q.get(), Some(1));
        assert_eq!(q.get(), None);
    });
}

#[test]
fn timed_waits_hand_over_and_close() {
    check("queue_timed_waits", || {
        let q = Arc::new(WorkQueue::new(1));
        let producer = {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                q.put_timeout(1u32, SLICE).unwrap();
                q.put_timeout(2u32, SLICE).unwrap();
                q.close();
            })
        };
        assert_eq!(q.get_timeout(SLICE), Ok(1));
        assert_eq!(q.get_timeout(SLICE), Ok(2));
        assert_eq!(q.get_timeout(SLICE), Err(GetError::Closed));
        producer.join().unwrap();
    });
}

#[test]
fn rejects_queue_drop_or_duplicate() {
    expect_rejected("queue_drop_or_duplicate", "item lost or duplicated", || {
        let q = Arc::new(LossyWorkQueue::new(2));
        q.put(1u32).unwrap();
        q.put(2u32).unwrap();
        let other = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get().unwrap())
        };
        let mine = q.get().unwrap();
        let theirs = other.join().unwrap();
        let mut got = vec![mine, theirs];
        got.sort_unstable();
        assert_eq!(got, vec![1, 2], "item lost or duplicated");
    });
}

/// `lost_wakeup_queue`: `put` never wakes a consumer already asleep in `get`: a deadlock.
#[test]
fn rejects_lost_wakeup_queue() {
    expect_rejected("lost_wakeup_queue", "deadlock", || {
        let q = Arc::new(LostWakeupWorkQueue::<u32>::with_wake(1));
        let consumer = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get_timeout(SLICE))
        };
        q.put(7).unwrap();
        assert_eq!(consumer.join().unwrap(), Ok(7));
    });
}
