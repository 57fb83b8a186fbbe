//! Broken twin of [`super::WorkQueue`]: `queue_drop_or_duplicate`. DELIBERATELY WRONG.
//!
//! Also the `lost_wakeup_queue` twin (a type alias at the end of this file): the correct protocol
//! with its notification dropped, through the wake-up policy of `core::wake`.
//!
//! Compiled only under `cfg(ftlab_loom)` (for `tests/loom_queue.rs`, which shows loom rejects
//! it) or the `seeded-bugs` feature (for `ftlab._seeded.LossyWorkQueue`). Never part of a
//! default build.
//!
//! The bug: `get` reads the head in one critical section and removes "the head" in a second
//! one, releasing the lock in between (the shape of a refactoring that moved the expensive
//! part — here, cloning the item — out of the lock). Two consumers can read the same head:
//! that item is delivered twice, and their two removals take away the next item too, which
//! nobody ever receives. Everything else (bound, blocking, close) is the correct protocol.
//!
//! The window is a lock release and re-acquisition, widened by `widen_race_window` (a short
//! spin that stands for the preemption a loaded machine delivers there; it makes the stress
//! suite hit the window within seconds; a no-op under loom, where the lock operations already
//! are scheduling points).
//! Items are handed out by clone, so the twin stays memory-safe: it breaks the exactly-once
//! guarantee, not Rust's aliasing rules.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{GetError, PutError};
use crate::sync::{widen_race_window, Condvar, Mutex};

#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    closed: bool,
}

/// A bounded closable queue whose `get` can duplicate one item and drop another.
#[derive(Debug)]
pub struct LossyWorkQueue<T> {
    capacity: usize,
    state: Mutex<State<T>>,
    not_empty: Condvar,
    not_full: Condvar,
}

impl<T: Clone> LossyWorkQueue<T> {
    /// Creates an open, empty queue holding at most `capacity` items.
    ///
    /// # Panics
    /// If `capacity == 0`.
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "WorkQueue capacity must be at least 1");
        LossyWorkQueue {
            capacity,
            state: Mutex::new(State {
                items: VecDeque::new(),
                closed: false,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
        }
    }

    /// The maximum number of queued items.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The number of queued items right now.
    pub fn len(&self) -> usize {
        self.state.lock().items.len()
    }

    /// Whether no item is queued right now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `close` has been called.
    pub fn is_closed(&self) -> bool {
        self.state.lock().closed
    }

    /// Closes the queue and wakes everyone; `true` if this call closed it.
    pub fn close(&self) -> bool {
        let mut state = self.state.lock();
        let newly = !state.closed;
        state.closed = true;
        self.not_empty.notify_all();
        self.not_full.notify_all();
        newly
    }

    /// Enqueues `item` (correct, same as `WorkQueue::put_timeout`).
    pub fn put_timeout(&self, item: T, timeout: Option<Duration>) -> Result<(), PutError<T>> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut state = self.state.lock();
        loop {
            if state.closed {
                return Err(PutError::Closed(item));
            }
            if state.items.len() < self.capacity {
                state.items.push_back(item);
                self.not_empty.notify_one();
                return Ok(());
            }
            state = match deadline {
                None => self.not_full.wait(state),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(PutError::Timeout(item));
                    }
                    self.not_full.wait_timeout(state, d - now).0
                }
            };
        }
    }

    /// Dequeues "the head". BUG: reads it and removes it in two separate critical sections.
    pub fn get_timeout(&self, timeout: Option<Duration>) -> Result<T, GetError> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut state = self.state.lock();
        let item = loop {
            if let Some(head) = state.items.front() {
                break head.clone();
            }
            if state.closed {
                return Err(GetError::Closed);
            }
            state = match deadline {
                None => self.not_empty.wait(state),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(GetError::Timeout);
                    }
                    self.not_empty.wait_timeout(state, d - now).0
                }
            };
        };
        // BUG: the lock is released here; another consumer can read the same head.
        drop(state);
        widen_race_window();
        let mut state = self.state.lock();
        // Removes whatever is at the head now: maybe our item, maybe the next one (dropped).
        if state.items.pop_front().is_some() {
            self.not_full.notify_one();
        }
        Ok(item)
    }

    /// Blocking `put`; fails only if closed.
    pub fn put(&self, item: T) -> Result<(), T> {
        self.put_timeout(item, None).map_err(PutError::into_inner)
    }

    /// Blocking `get`; `None` once closed and drained.
    pub fn get(&self) -> Option<T> {
        self.get_timeout(None).ok()
    }
}

/// Broken twin of [`super::WorkQueue`] (`lost_wakeup_queue`): `put` stores the item but never
/// wakes a sleeping consumer, which then finds the item only when its timed wait runs out.
pub type LostWakeupWorkQueue<T> = super::WorkQueue<T, crate::core::wake::LoseWakeup>;
