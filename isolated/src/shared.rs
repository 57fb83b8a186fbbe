//! Immutable Rust data shared by every interpreter in the process: one [`Lexicon`] behind a
//! process-wide `Arc`, built once (by whichever interpreter imports the module first) and
//! never mutated afterwards.
//!
//! Why this is sound across interpreters with their own GILs (and on 3.13t): the lexicon
//! is plain Rust data (`Send + Sync`, no `PyObject` inside), it is immutable after
//! construction, and `OnceLock` publishes it with release/acquire ordering. Interpreters
//! only *read* it and copy what they read into their own Python objects. Each module state
//! holds one `Arc` clone, so `Arc::strong_count - 1` is the number of live module states
//! that hold it: the tests watch it fall back when sub-interpreters are destroyed.
//!
//! This crate is not a loom-modelled protocol, so besides the shim's `Arc` it uses std's
//! `OnceLock` directly for the one-time, process-wide construction.

use std::collections::HashMap;
use std::sync::OnceLock;

use ftlab::sync::{Arc, AtomicUsize, Ordering};

/// Number of entries in the lexicon (large enough that a per-interpreter copy would show in
/// RSS: a few MB).
pub const LEXICON_ENTRIES: usize = 50_000;

/// A read-only word -> frequency table, deterministic so tests can check lookups.
#[derive(Debug)]
pub struct Lexicon {
    entries: HashMap<String, u64>,
    /// ID of the interpreter whose import built the table.
    pub built_by_interpreter: i64,
}

impl Lexicon {
    /// Builds the deterministic table: `w00000` .. `w49999`, with [`expected_frequency`].
    pub fn build(built_by_interpreter: i64) -> Self {
        let entries = (0..LEXICON_ENTRIES)
            .map(|i| (format!("w{i:05}"), expected_frequency(i)))
            .collect();
        Lexicon {
            entries,
            built_by_interpreter,
        }
    }

    /// The frequency of `word`, if it is in the table.
    pub fn get(&self, word: &str) -> Option<u64> {
        self.entries.get(word).copied()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The frequency stored for word `w{i:05}` (a fixed multiplicative hash, mod 1000).
pub fn expected_frequency(i: usize) -> u64 {
    (i as u64).wrapping_mul(2_654_435_761) % 1000
}

static LEXICON: OnceLock<Arc<Lexicon>> = OnceLock::new();
static BUILDS: AtomicUsize = AtomicUsize::new(0);

/// A new handle on the process-wide lexicon, building it on first use.
pub fn lexicon(importing_interpreter: i64) -> Arc<Lexicon> {
    LEXICON
        .get_or_init(|| {
            BUILDS.fetch_add(1, Ordering::SeqCst);
            Arc::new(Lexicon::build(importing_interpreter))
        })
        .clone()
}

/// How many times the lexicon was built (1 once anyone imported the module: never per
/// interpreter).
pub fn build_count() -> usize {
    BUILDS.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicon_is_built_once_and_shared_by_every_handle() {
        let handles: Vec<Arc<Lexicon>> = (0..8)
            .map(|i| std::thread::spawn(move || lexicon(i)))
            .map(|t| t.join().unwrap())
            .collect();
        assert_eq!(build_count(), 1);
        for h in &handles {
            assert!(Arc::ptr_eq(h, &handles[0]));
        }
        assert!(Arc::strong_count(&handles[0]) > handles.len());
        assert_eq!(handles[0].len(), LEXICON_ENTRIES);
        assert_eq!(handles[0].get("w00042"), Some(expected_frequency(42)));
        assert_eq!(handles[0].get("nope"), None);
    }
}
