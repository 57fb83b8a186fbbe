//! The Rust kernels `ftlab_isolated` exposes: word count and sum of squares.
//!
//! PROVISIONAL: these mirror the kernels the main module gets in `ftlab::core` (word count
//! and the numeric kernel); once those land on main this file re-exports them so both
//! modules run literally the same code. Pure Rust, no Python: safe to run detached.
//!
//! `word_count` splits exactly like Python's `str.split()` with no argument: on runs of
//! characters for which `str.isspace()` is true. That set is Unicode's White_Space property
//! (`char::is_whitespace`) plus the ASCII information separators U+001C..U+001F, which
//! Python also treats as whitespace.

use std::collections::HashMap;

/// True for exactly the characters Python's `str.isspace()` accepts.
pub fn is_python_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Word -> occurrences, splitting like `str.split()` (same result as
/// `collections.Counter(text.split())`).
pub fn word_count(text: &str) -> HashMap<&str, u64> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for word in text.split(is_python_whitespace).filter(|w| !w.is_empty()) {
        *counts.entry(word).or_insert(0) += 1;
    }
    counts
}

/// Sum of `x * x` over `data`, with four independent accumulators (so the loop vectorises;
/// the result can differ from a strictly left-to-right sum in the last bits).
pub fn sum_of_squares(data: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += x * x;
        }
    }
    let mut total = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for x in tail {
        total += x * x;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_count_splits_like_python() {
        let counts = word_count("a b\ta\u{1c}b\u{a0}c  \n a\u{200b}x");
        assert_eq!(counts["a"], 2);
        assert_eq!(counts["b"], 2);
        assert_eq!(counts["c"], 1);
        // U+200B (zero-width space) is not whitespace for Python either.
        assert_eq!(counts["a\u{200b}x"], 1);
        assert!(word_count(" \t\n").is_empty());
    }

    #[test]
    fn sum_of_squares_matches_naive_sum() {
        let data: Vec<f64> = (0..1003).map(|i| i as f64 * 0.5).collect();
        let naive: f64 = data.iter().map(|x| x * x).sum();
        assert!((sum_of_squares(&data) - naive).abs() <= 1e-9 * naive);
        assert_eq!(sum_of_squares(&[]), 0.0);
        assert_eq!(sum_of_squares(&[3.0]), 9.0);
    }
}
