//! A bounded multi-producer multi-consumer work queue that can be closed: [`WorkQueue`].
//!
//! Guarantees (checked by `tests/loom_queue.rs` and the proptest below):
//! * every item whose `put` succeeded is returned by exactly one `get` (none lost, none
//!   duplicated), in FIFO order with respect to the single storage;
//! * `put` blocks while `capacity` items are queued; `get` blocks while the queue is empty;
//!   neither busy-waits (they sleep on `Condvar`s);
//! * after `close`: `put` fails and hands the item back; `get` keeps returning queued items,
//!   then reports [`GetError::Closed`]; every blocked producer and consumer is woken.
//!
//! Protocol: the decisions (is there room? is there an item? is it closed?) and the counters
//! they rest on live in `state`, one `Mutex`. The items themselves live in a FIFO storage.
//! An item is pushed/popped in the same critical section that updates `state.len`, so
//! `state.len` always equals the number of stored items, and a thread that went to sleep
//! because of what it saw under the lock is woken by whoever changes that (put wakes one
//! consumer, get wakes one producer, close wakes all). Waiters re-check the condition in a
//! loop (spurious wake-ups), and a waiter whose timeout expires re-checks *before* giving up,
//! so a notification is never swallowed by a timing-out waiter.
//!
//! Storage: in the normal build it is a `crossbeam_channel` (unbounded: the *bound* is ours,
//! enforced with `state.len`, so `capacity` costs no memory up front and huge capacities are
//! fine). crossbeam has no loom model that our `cfg(ftlab_loom)` flag would switch on, so
//! under loom the storage is a `Mutex<VecDeque<T>>` from the shim behind the same three
//! methods. That swap does not weaken the model: the protocol never relies on the storage's
//! own synchronisation (every storage access happens under `state`'s lock), only on it being
//! a FIFO, which both are. What loom checks is the part the project owns: the bound, the
//! hand-off, the wake-ups and close.
//!
//! The broken twin (`broken::LossyWorkQueue`, only with `cfg(ftlab_loom)` or `seeded-bugs`)
//! reads the head and removes it in two critical sections; loom rejects it.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use super::wake::{Notify, Wake};
use crate::sync::{Condvar, Mutex, MutexGuard};

#[cfg(any(ftlab_loom, feature = "seeded-bugs"))]
pub mod broken;

#[cfg(not(ftlab_loom))]
mod storage {
    //! FIFO storage for the normal build: one crossbeam channel, both ends kept here.

    /// An unbounded crossbeam channel used as a FIFO. Never disconnects (we own both ends).
    pub struct FifoStorage<T> {
        tx: crossbeam_channel::Sender<T>,
        rx: crossbeam_channel::Receiver<T>,
    }

    impl<T> FifoStorage<T> {
        pub fn new() -> Self {
            let (tx, rx) = crossbeam_channel::unbounded();
            FifoStorage { tx, rx }
        }
        pub fn push(&self, item: T) {
            // Cannot fail: the receiver lives as long as the sender, and it is unbounded.
            if self.tx.send(item).is_err() {
                unreachable!("FifoStorage keeps its own receiver alive");
            }
        }
        pub fn pop(&self) -> Option<T> {
            self.rx.try_recv().ok()
        }
    }
}

#[cfg(ftlab_loom)]
mod storage {
    //! FIFO storage for loom models: a `VecDeque` behind the shim's (loom) mutex.

    use crate::sync::Mutex;
    use std::collections::VecDeque;

    /// A `Mutex<VecDeque<T>>` with the crossbeam storage's interface.
    pub struct FifoStorage<T> {
        items: Mutex<VecDeque<T>>,
    }

    impl<T> FifoStorage<T> {
        pub fn new() -> Self {
            FifoStorage {
                items: Mutex::new(VecDeque::new()),
            }
        }
        pub fn push(&self, item: T) {
            self.items.lock().push_back(item);
        }
        pub fn pop(&self) -> Option<T> {
            self.items.lock().pop_front()
        }
    }
}

use storage::FifoStorage;

/// Why a `put` did not enqueue; the item is handed back.
#[derive(Debug, PartialEq, Eq)]
pub enum PutError<T> {
    /// The queue is closed.
    Closed(T),
    /// The queue stayed full until the timeout.
    Timeout(T),
}

impl<T> PutError<T> {
    /// The item that was not enqueued.
    pub fn into_inner(self) -> T {
        match self {
            PutError::Closed(t) | PutError::Timeout(t) => t,
        }
    }
}

/// Why a `get` returned no item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetError {
    /// The queue is closed and drained: no item will ever come.
    Closed,
    /// The queue stayed empty until the timeout.
    Timeout,
}

#[derive(Debug)]
struct State {
    /// Number of items in the storage (kept equal to it: both change in one critical section).
    len: usize,
    closed: bool,
}

/// A bounded, closable MPMC FIFO. See the module docs for the protocol.
pub struct WorkQueue<T, W = Notify> {
    capacity: usize,
    items: FifoStorage<T>,
    state: Mutex<State>,
    /// Consumers sleep here while the queue is empty.
    not_empty: Condvar,
    /// Producers sleep here while the queue is full.
    not_full: Condvar,
    /// How `put` wakes a sleeping consumer: [`Notify`], or the seeded lost-wake-up twin's.
    wake: PhantomData<W>,
}

impl<T, W> std::fmt::Debug for WorkQueue<T, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock();
        f.debug_struct("WorkQueue")
            .field("capacity", &self.capacity)
            .field("len", &state.len)
            .field("closed", &state.closed)
            .finish()
    }
}

/// Sleeps on `cv` until notified or `deadline`; `None` deadline: no limit. Returns the guard
/// and `false` if the deadline had already passed (nothing was waited for).
fn wait_until<'a, S>(
    cv: &Condvar,
    guard: MutexGuard<'a, S>,
    deadline: Option<Instant>,
) -> (MutexGuard<'a, S>, bool) {
    match deadline {
        None => (cv.wait(guard), true),
        Some(deadline) => {
            let now = Instant::now();
            if now >= deadline {
                return (guard, false);
            }
            (cv.wait_timeout(guard, deadline - now).0, true)
        }
    }
}

fn deadline_after(timeout: Option<Duration>) -> Option<Instant> {
    // A timeout too large to represent is treated as "no limit".
    timeout.and_then(|t| Instant::now().checked_add(t))
}

impl<T> WorkQueue<T> {
    /// Creates an empty, open queue holding at most `capacity` items (panics if 0).
    pub fn new(capacity: usize) -> Self {
        WorkQueue::with_wake(capacity)
    }
}

impl<T, W: Wake> WorkQueue<T, W> {
    /// Creates an open, empty queue holding at most `capacity` items, whose `put` wakes
    /// consumers with policy `W` (see [`super::wake`]).
    ///
    /// # Panics
    /// If `capacity == 0` (a queue that can hold nothing can never hand anything over).
    pub fn with_wake(capacity: usize) -> Self {
        assert!(capacity > 0, "WorkQueue capacity must be at least 1");
        WorkQueue {
            capacity,
            items: FifoStorage::new(),
            state: Mutex::new(State {
                len: 0,
                closed: false,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            wake: PhantomData,
        }
    }

    /// The maximum number of queued items.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The number of queued items right now.
    pub fn len(&self) -> usize {
        self.state.lock().len
    }

    /// Whether no item is queued right now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `close` has been called.
    pub fn is_closed(&self) -> bool {
        self.state.lock().closed
    }

    /// Closes the queue and wakes every blocked producer and consumer. Returns `true` if this
    /// call closed it (`false` if it was already closed).
    pub fn close(&self) -> bool {
        let mut state = self.state.lock();
        let newly = !state.closed;
        state.closed = true;
        // Everyone must re-examine: producers will fail, consumers drain then see Closed.
        self.not_empty.notify_all();
        self.not_full.notify_all();
        newly
    }

    /// Enqueues `item`, blocking while the queue is full, at most `timeout` (`None`: no limit,
    /// `Some(ZERO)`: never block).
    pub fn put_timeout(&self, item: T, timeout: Option<Duration>) -> Result<(), PutError<T>> {
        let deadline = deadline_after(timeout);
        let mut state = self.state.lock();
        loop {
            if state.closed {
                return Err(PutError::Closed(item));
            }
            if state.len < self.capacity {
                self.items.push(item);
                state.len += 1;
                // One item, so at most one consumer can use it.
                W::wake_one(&self.not_empty);
                return Ok(());
            }
            let (guard, waited) = wait_until(&self.not_full, state, deadline);
            state = guard;
            if !waited {
                return Err(PutError::Timeout(item));
            }
        }
    }

    /// Dequeues the oldest item, blocking while the queue is empty and open, at most `timeout`
    /// (`None`: no limit, `Some(ZERO)`: never block).
    pub fn get_timeout(&self, timeout: Option<Duration>) -> Result<T, GetError> {
        let deadline = deadline_after(timeout);
        let mut state = self.state.lock();
        loop {
            if state.len > 0 {
                let item = match self.items.pop() {
                    Some(item) => item,
                    None => unreachable!("state.len > 0 but the storage is empty"),
                };
                state.len -= 1;
                // One free slot, so at most one producer can use it.
                self.not_full.notify_one();
                return Ok(item);
            }
            if state.closed {
                return Err(GetError::Closed);
            }
            let (guard, waited) = wait_until(&self.not_empty, state, deadline);
            state = guard;
            if !waited {
                return Err(GetError::Timeout);
            }
        }
    }

    /// Enqueues `item`, blocking while full; fails (handing it back) only if closed.
    pub fn put(&self, item: T) -> Result<(), T> {
        self.put_timeout(item, None).map_err(PutError::into_inner)
    }

    /// Dequeues the oldest item, blocking while empty; `None` once closed and drained.
    pub fn get(&self) -> Option<T> {
        self.get_timeout(None).ok()
    }
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use crate::sync::{thread, Arc};
    use proptest::prelude::*;
    use std::collections::VecDeque;

    #[derive(Debug, Clone)]
    enum Op {
        Put(u32),
        Get,
        Close,
    }

    proptest! {
        /// Non-blocking use against a `VecDeque` with a capacity and a closed flag.
        #[test]
        fn queue_matches_bounded_vecdeque(capacity in 1usize..5, ops in proptest::collection::vec(
            prop_oneof![any::<u32>().prop_map(Op::Put), Just(Op::Get), Just(Op::Close)], 0..60)) {
            let q = WorkQueue::new(capacity);
            let mut model: VecDeque<u32> = VecDeque::new();
            let mut closed = false;
            for op in ops {
                match op {
                    Op::Put(x) => {
                        let got = q.put_timeout(x, Some(Duration::ZERO));
                        let want = if closed { Err(PutError::Closed(x)) }
                            else if model.len() == capacity { Err(PutError::Timeout(x)) }
                            else { model.push_back(x); Ok(()) };
                        prop_assert_eq!(got, want);
                    }
                    Op::Get => {
                        let got = q.get_timeout(Some(Duration::ZERO));
                        let want = match model.pop_front() {
                            Some(x) => Ok(x),
                            None if closed => Err(GetError::Closed),
                            None => Err(GetError::Timeout),
                        };
                        prop_assert_eq!(got, want);
                    }
                    Op::Close => { prop_assert_eq!(q.close(), !closed); closed = true; }
                }
                prop_assert_eq!(q.len(), model.len());
                prop_assert_eq!(q.is_closed(), closed);
            }
        }
    }

    #[test]
    fn producers_and_consumers_hand_over_every_item_exactly_once() {
        let q = Arc::new(WorkQueue::new(3));
        let producers: Vec<_> = (0..3u64)
            .map(|p| {
                let q = Arc::clone(&q);
                thread::spawn(move || {
                    for i in 0..2000 {
                        q.put(p * 1_000_000 + i).unwrap();
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let q = Arc::clone(&q);
                thread::spawn(move || std::iter::from_fn(|| q.get()).collect::<Vec<_>>())
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        q.close();
        let mut all: Vec<u64> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        all.sort_unstable();
        let mut want: Vec<u64> = (0..3u64)
            .flat_map(|p| (0..2000).map(move |i| p * 1_000_000 + i))
            .collect();
        want.sort_unstable();
        assert_eq!(all, want);
    }

    #[test]
    fn close_wakes_blocked_consumers_and_producers() {
        let empty = Arc::new(WorkQueue::<u8>::new(1));
        let full = Arc::new(WorkQueue::<u8>::new(1));
        full.put(0).unwrap();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let q = Arc::clone(&empty);
                thread::spawn(move || q.get_timeout(Some(Duration::from_secs(30))))
            })
            .collect();
        let producer = {
            let q = Arc::clone(&full);
            thread::spawn(move || q.put_timeout(1, Some(Duration::from_secs(30))))
        };
        thread::sleep(Duration::from_millis(20));
        assert!(empty.close());
        assert!(full.close());
        for c in consumers {
            assert_eq!(c.join().unwrap(), Err(GetError::Closed));
        }
        assert_eq!(producer.join().unwrap(), Err(PutError::Closed(1)));
        // The item queued before close is still delivered, then Closed.
        assert_eq!(full.get(), Some(0));
        assert_eq!(full.get(), None);
    }

    #[test]
    fn timeouts_expire() {
        let q = WorkQueue::new(1);
        assert_eq!(
            q.get_timeout(Some(Duration::from_millis(5))),
            Err(GetError::Timeout)
        );
        q.put(1).unwrap();
        assert_eq!(
            q.put_timeout(2, Some(Duration::from_millis(5))),
            Err(PutError::Timeout(2))
        );
    }
}
