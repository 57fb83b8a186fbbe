//! The one synchronization shim of the crate.
//!
//! Everything in `src/core` takes its `Arc`, `Mutex`, `RwLock`, `Condvar`, atomics,
//! `UnsafeCell` and `thread` from here and from nowhere else (house rule: no other file names
//! `std::sync` or `parking_lot`). Normally the primitives are parking_lot's locks and std's
//! atomics; when the crate is compiled with `--cfg ftlab_loom` they are loom's, so the loom
//! models in `tests/loom_*.rs` run the *real* protocol code under loom's scheduler.
//!
//! Both backends expose the same, poison-free API (as tokio's `loom` shim does): `lock()`,
//! `read()` and `write()` return guards directly, `Condvar::wait` takes and returns the guard.
//! parking_lot has no loom model, so it is wrapped behind this std-shaped surface.
//! `UnsafeCell` follows loom's closure API (`with` / `with_mut`) so that loom can track every
//! access to the cell's contents.
//!
//! [`thread_shard_hint`] gives each thread a small, stable number for spreading work over
//! shards (round-robin per OS thread normally; loom's thread number under loom, so a model is
//! deterministic). [`thread_local!`] is std's macro normally and loom's under loom (loom gives
//! every model thread its own value and drops it when the thread ends). [`unique_id`] numbers
//! objects that a thread-local cache must tell apart; it is identity, not synchronization, so
//! it is a plain std counter under both backends (like the loom harness's execution counter).
//!
//! We use a crate-specific flag (`ftlab_loom`) rather than `cfg(loom)` so that dependencies
//! which know `cfg(loom)` are not flipped into loom mode behind our back (crossbeam's lesson).

#[cfg(not(ftlab_loom))]
mod imp {
    pub use std::sync::atomic::{
        fence, AtomicBool, AtomicI64, AtomicIsize, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize,
        Ordering,
    };
    pub use std::sync::Arc;
    pub use std::thread;
    pub use std::thread_local;

    /// A mutual-exclusion lock (parking_lot; no poisoning).
    #[derive(Debug, Default)]
    pub struct Mutex<T: ?Sized>(parking_lot::Mutex<T>);
    /// Guard returned by [`Mutex::lock`].
    pub type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        /// Creates a new unlocked mutex.
        pub fn new(value: T) -> Self {
            Mutex(parking_lot::Mutex::new(value))
        }
        /// Consumes the mutex, returning the value.
        pub fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }
    impl<T: ?Sized> Mutex<T> {
        /// Blocks until the lock is acquired.
        pub fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock()
        }
        /// Acquires the lock if it is free right now.
        pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            self.0.try_lock()
        }
    }

    /// A reader-writer lock (parking_lot; no poisoning, writer-fair).
    #[derive(Debug, Default)]
    pub struct RwLock<T: ?Sized>(parking_lot::RwLock<T>);
    /// Shared guard returned by [`RwLock::read`].
    pub type RwLockReadGuard<'a, T> = parking_lot::RwLockReadGuard<'a, T>;
    /// Exclusive guard returned by [`RwLock::write`].
    pub type RwLockWriteGuard<'a, T> = parking_lot::RwLockWriteGuard<'a, T>;

    impl<T> RwLock<T> {
        /// Creates a new unlocked reader-writer lock.
        pub fn new(value: T) -> Self {
            RwLock(parking_lot::RwLock::new(value))
        }
    }
    impl<T: ?Sized> RwLock<T> {
        /// Blocks until shared access is acquired.
        pub fn read(&self) -> RwLockReadGuard<'_, T> {
            self.0.read()
        }
        /// Acquires shared access if that is possible right now.
        pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
            self.0.try_read()
        }
        /// Blocks until exclusive access is acquired.
        pub fn write(&self) -> RwLockWriteGuard<'_, T> {
            self.0.write()
        }
    }

    /// A condition variable paired with [`Mutex`].
    #[derive(Debug, Default)]
    pub struct Condvar(parking_lot::Condvar);

    impl Condvar {
        /// Creates a new condition variable.
        pub fn new() -> Self {
            Condvar(parking_lot::Condvar::new())
        }
        /// Atomically releases the guard's lock and waits for a notification.
        pub fn wait<'a, T>(&self, mut guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(&mut guard);
            guard
        }
        /// Like [`Condvar::wait`] with a deadline; the flag is `true` if it timed out.
        pub fn wait_timeout<'a, T>(
            &self,
            mut guard: MutexGuard<'a, T>,
            timeout: std::time::Duration,
        ) -> (MutexGuard<'a, T>, bool) {
            let timed_out = self.0.wait_for(&mut guard, timeout).timed_out();
            (guard, timed_out)
        }
        /// Wakes one waiter.
        pub fn notify_one(&self) {
            self.0.notify_one();
        }
        /// Wakes every waiter.
        pub fn notify_all(&self) {
            self.0.notify_all();
        }
    }

    /// A small number, stable for the calling thread, for picking a shard: threads are
    /// numbered round-robin in the order they first ask, so the first `n` threads asking get
    /// `0..n` (perfect spread over `n` shards).
    pub fn thread_shard_hint() -> usize {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        std::thread_local! {
            static HINT: usize = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        HINT.with(|hint| *hint)
    }

    /// How long [`widen_race_window`] keeps the calling thread inside a race window.
    pub const RACE_WINDOW: std::time::Duration = std::time::Duration::from_micros(20);

    /// One race window in `PREEMPT_EVERY` (counted over all threads) also gives up its core
    /// once (see [`widen_race_window`]).
    pub const PREEMPT_EVERY: u32 = 64;

    /// Called by the deliberately broken twins (`core::*::broken`) inside their race window
    /// (between a check and the act that relies on it), so that another thread lands in it.
    /// Without it the window is a few nanoseconds and a Python-level stress test often never
    /// hits it. Two ways in, because a loaded machine may run the racing threads on one core:
    ///
    /// * it spins for [`RACE_WINDOW`] of wall time, so a thread on *another* core lands in the
    ///   window; a spin costs the same 20 µs whatever else runs;
    /// * one window in [`PREEMPT_EVERY`] also calls `yield_now` first: the preemption a busy
    ///   machine delivers at random, delivered inside the window, so a thread waiting for the
    ///   *same* core runs there. Without it, threads packed onto one core (`taskset -c 0`, or
    ///   a machine whose other core is busy) only switch at blocking points, and some
    ///   detectors missed their twin in 5 rounds out of 5. A yield on a busy core can cost a
    ///   whole time slice, so it is rationed: about one slice per 64 windows, bounded whatever
    ///   the load (yielding every time made detectors' durations follow the load).
    ///
    /// The count is one relaxed atomic, not a thread-local: under ThreadSanitizer a
    /// thread-local of a finished thread whose TLS block ld.so hands to a new thread is
    /// reported as a race (the `torn_multi_key_update` twin was, in the TSan lane), and a
    /// relaxed counter orders nothing, so it hides no race TSan should see.
    ///
    /// The correct protocols never call it.
    pub fn widen_race_window() {
        open_race_window(PREEMPT_EVERY);
    }

    /// [`widen_race_window`] for a window that is entered only a few times per run (a one-shot
    /// publication): yields every time, which costs little there and is the only way such a
    /// window is ever hit on one core.
    pub fn widen_rare_race_window() {
        open_race_window(1);
    }

    fn open_race_window(preempt_every: u32) {
        static ENTERED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        if ENTERED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % preempt_every == 0 {
            std::thread::yield_now();
        }
        let start = std::time::Instant::now();
        while start.elapsed() < RACE_WINDOW {
            std::hint::spin_loop();
        }
    }

    /// `UnsafeCell` with loom's closure-based API, so loom can check every access.
    #[derive(Debug, Default)]
    pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        /// Wraps a value.
        pub const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }
        /// Gives the closure a shared raw pointer to the contents.
        pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }
        /// Gives the closure a mutable raw pointer to the contents.
        pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

#[cfg(ftlab_loom)]
mod imp {
    pub use loom::cell::UnsafeCell;
    pub use loom::sync::atomic::{
        fence, AtomicBool, AtomicI64, AtomicIsize, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize,
        Ordering,
    };
    pub use loom::sync::Arc;
    pub use loom::thread;
    pub use loom::thread_local;

    /// A small number, stable for the calling (loom) thread: loom's thread number (0 for the
    /// model's main thread, then 1, 2, … in spawn order), mirroring the round-robin numbering
    /// of the normal backend. loom threads share one OS thread, so `std::thread_local!` would
    /// give them all the same hint. loom exposes the number only through `Debug`
    /// (`ThreadId(n)`); hashing the id instead would depend on how many executions the process
    /// ran before, making models irreproducible.
    pub fn thread_shard_hint() -> usize {
        let id = format!("{:?}", loom::thread::current().id());
        id.chars().filter(char::is_ascii_digit).fold(0, |n, digit| {
            n * 10 + digit.to_digit(10).unwrap_or(0) as usize
        })
    }

    /// Nothing under loom: loom already explores every interleaving at every synchronization
    /// point, so the broken twins are modelled exactly as written, without extra waits.
    pub fn widen_race_window() {}

    /// Nothing under loom, as [`widen_race_window`].
    pub fn widen_rare_race_window() {}

    /// loom's mutex behind the same poison-free API as the parking_lot backend.
    #[derive(Debug)]
    pub struct Mutex<T>(loom::sync::Mutex<T>);
    /// Guard returned by [`Mutex::lock`].
    pub type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        /// Creates a new unlocked mutex.
        pub fn new(value: T) -> Self {
            Mutex(loom::sync::Mutex::new(value))
        }
        /// Consumes the mutex, returning the value.
        pub fn into_inner(self) -> T {
            self.0.into_inner().unwrap()
        }
        /// Blocks until the lock is acquired.
        pub fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap()
        }
        /// Acquires the lock if it is free right now.
        pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            self.0.try_lock().ok()
        }
    }
    impl<T: Default> Default for Mutex<T> {
        fn default() -> Self {
            Mutex::new(T::default())
        }
    }

    /// loom's reader-writer lock behind the poison-free API.
    #[derive(Debug)]
    pub struct RwLock<T>(loom::sync::RwLock<T>);
    /// Shared guard returned by [`RwLock::read`].
    pub type RwLockReadGuard<'a, T> = loom::sync::RwLockReadGuard<'a, T>;
    /// Exclusive guard returned by [`RwLock::write`].
    pub type RwLockWriteGuard<'a, T> = loom::sync::RwLockWriteGuard<'a, T>;

    impl<T> RwLock<T> {
        /// Creates a new unlocked reader-writer lock.
        pub fn new(value: T) -> Self {
            RwLock(loom::sync::RwLock::new(value))
        }
        /// Blocks until shared access is acquired.
        pub fn read(&self) -> RwLockReadGuard<'_, T> {
            self.0.read().unwrap()
        }
        /// Acquires shared access if that is possible right now.
        pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
            self.0.try_read().ok()
        }
        /// Blocks until exclusive access is acquired.
        pub fn write(&self) -> RwLockWriteGuard<'_, T> {
            self.0.write().unwrap()
        }
    }
    impl<T: Default> Default for RwLock<T> {
        fn default() -> Self {
            RwLock::new(T::default())
        }
    }

    /// loom's condition variable behind the poison-free API.
    #[derive(Debug, Default)]
    pub struct Condvar(loom::sync::Condvar);

    impl Condvar {
        /// Creates a new condition variable.
        pub fn new() -> Self {
            Condvar(loom::sync::Condvar::new())
        }
        /// Atomically releases the guard's lock and waits for a notification.
        pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap()
        }
        /// loom has no time: a timed wait is modelled as a plain wait that never times out
        /// (the protocol must be correct without relying on timeouts).
        pub fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            _timeout: std::time::Duration,
        ) -> (MutexGuard<'a, T>, bool) {
            (self.0.wait(guard).unwrap(), false)
        }
        /// Wakes one waiter.
        pub fn notify_one(&self) {
            self.0.notify_one();
        }
        /// Wakes every waiter.
        pub fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

pub use imp::*;

/// A number no other call in this process returns (starting at 1): an identity for objects
/// that per-thread caches key on (`core::per_thread`). Not a synchronization point of any
/// protocol, so the same std counter serves both backends.
pub fn unique_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}
