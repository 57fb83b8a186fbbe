//! Loom models of `core::queue::WorkQueue`: exactly-once hand-over under a capacity bound,
//! and close waking every blocked producer and consumer.
//!
//! They run the real `src/core/queue.rs` through the loom shim (storage: `Mutex<VecDeque>`
//! instead of crossbeam, see the module docs), 2–3 threads, preemption bound 3 unless
//! `LOOM_MAX_PREEMPTIONS` says otherwise. A missed wake-up shows up as a loom deadlock; a lost
//! or duplicated item fails the multiset assertions. The broken twin `LossyWorkQueue` must be
//! rejected. Run: `RUSTFLAGS="--cfg ftlab_loom" CARGO_TARGET_DIR=target/loom
//! cargo test --release --test loom_queue`.
#![cfg(ftlab_loom)]

use ftlab::core::queue::broken::LossyWorkQueue;
use ftlab::core::queue::{GetError, PutError, WorkQueue};
use ftlab::sync::{thread, Arc};

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}

fn rejection(f: impl Fn() + Sync + Send + 'static) -> String {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model(f)));
    match result {
        Ok(()) => panic!("loom accepted a model of a broken protocol"),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    }
}

#[test]
fn two_producers_one_consumer_capacity_one_every_item_exactly_once() {
    model(|| {
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
fn close_wakes_blocked_consumers_and_queued_items_are_delivered_once() {
    model(|| {
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
fn close_wakes_every_consumer_blocked_on_an_empty_queue() {
    model(|| {
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
fn close_wakes_a_blocked_producer_and_put_after_close_fails() {
    model(|| {
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
fn loom_rejects_get_that_reads_then_removes_in_two_steps() {
    let msg = rejection(|| {
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
    assert!(
        msg.contains("item lost or duplicated"),
        "unexpected failure: {msg}"
    );
}
