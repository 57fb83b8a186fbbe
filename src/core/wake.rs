//! How a blocking protocol wakes its sleepers, as a type parameter: [`Notify`] for every
//! correct protocol, [`LoseWakeup`] for the seeded `lost_wakeup_*` twins only.
//!
//! The lost wake-up is the classic blocking-protocol bug: the state changes and the sleeper
//! is never told. ftlab's bindings wait in bounded slices (see `py::wait`), so in Python such a
//! bug does not hang: the waiter just returns up to one slice late, which a test that only
//! checks results passes. Making the notification a type parameter keeps each twin identical
//! to its correct protocol except at exactly the one notification it drops, and costs the
//! correct protocol nothing (the call is monomorphised to `notify_*`).

use crate::sync::Condvar;

/// The notification step of a blocking protocol (`Latch::set`, `WorkQueue::put`,
/// `Once` completing its init).
pub trait Wake: Send + Sync + 'static {
    /// Wake every thread sleeping on `cv`.
    fn wake_all(cv: &Condvar);
    /// Wake one thread sleeping on `cv`.
    fn wake_one(cv: &Condvar);
}

/// The correct policy: notify.
#[derive(Debug, Default, Clone, Copy)]
pub struct Notify;

impl Wake for Notify {
    #[inline]
    fn wake_all(cv: &Condvar) {
        cv.notify_all();
    }
    #[inline]
    fn wake_one(cv: &Condvar) {
        cv.notify_one();
    }
}

/// THE BUG of the `lost_wakeup_*` twins: the notification is forgotten. Sleepers wake only
/// when their timed wait runs out. Only with `cfg(ftlab_loom)` or the `seeded-bugs` feature.
#[cfg(any(ftlab_loom, feature = "seeded-bugs"))]
#[derive(Debug, Default, Clone, Copy)]
pub struct LoseWakeup;

#[cfg(any(ftlab_loom, feature = "seeded-bugs"))]
impl Wake for LoseWakeup {
    fn wake_all(_cv: &Condvar) {}
    fn wake_one(_cv: &Condvar) {}
}
