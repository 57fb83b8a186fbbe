//! Numeric kernels with a sequential and a rayon-parallel version that agree bit for bit.
//!
//! Floating-point addition is not associative, so a naive parallel sum (`par_iter().sum()`)
//! depends on how rayon happens to split the work and can differ from the sequential sum in the
//! last bits, from run to run. Here both versions use the *same* summation tree: the data is cut
//! into fixed blocks of [`BLOCK`] elements, each block is summed left to right, and the block
//! sums are added left to right. The parallel version only computes the block sums on rayon's
//! workers; the final fold runs in order on the caller. So `parallel == sequential` exactly, for
//! every input (property-tested below), and the result is deterministic.
//!
//! The module also holds [`panic_in_rayon_task`], a deliberate panic inside a rayon task used
//! to prove that such panics reach the caller (rayon re-raises them) instead of aborting.

use rayon::prelude::*;

/// Elements per block of the summation tree (32 KiB of f64: fits in L1/L2).
pub const BLOCK: usize = 4096;

fn block_sum_of_squares(block: &[f64]) -> f64 {
    block.iter().fold(0.0, |acc, x| acc + x * x)
}

/// Σ x² over `data`, on the calling thread.
pub fn sum_of_squares(data: &[f64]) -> f64 {
    data.chunks(BLOCK)
        .map(block_sum_of_squares)
        .fold(0.0, |acc, s| acc + s)
}

/// Σ x² over `data`, block sums computed by rayon; bit-identical to [`sum_of_squares`].
pub fn sum_of_squares_parallel(data: &[f64]) -> f64 {
    let block_sums: Vec<f64> = data.par_chunks(BLOCK).map(block_sum_of_squares).collect();
    block_sums.into_iter().fold(0.0, |acc, s| acc + s)
}

/// Runs a rayon parallel loop in which one task panics. rayon catches the panic on its worker
/// and resumes it on the thread that started the loop, so this function panics (it never
/// returns); the worker survives and the pool stays usable.
pub fn panic_in_rayon_task() {
    (0..64u32).into_par_iter().for_each(|i| {
        if i == 37 {
            panic!("deliberate panic inside a rayon task (ftlab.trigger_panic('rayon'))");
        }
    });
}

#[cfg(all(test, not(ftlab_loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Inputs run to 12k floats; 64 cases keep the debug-build test under a few seconds.
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Parallel and sequential agree exactly, on lengths that straddle block boundaries.
        /// Moderate values with fractional parts, where the association order changes the
        /// rounding (among arbitrary f64s one infinite square or a NaN hides every other term,
        /// so those get their own property below).
        #[test]
        fn parallel_is_bit_identical_to_sequential(
            data in proptest::collection::vec(-1e3f64..1e3, 0..3 * BLOCK + 7)
        ) {
            let (s, p) = (sum_of_squares(&data), sum_of_squares_parallel(&data));
            prop_assert_eq!(s.to_bits(), p.to_bits(), "{} vs {}", s, p);
        }

        /// Special values (inf, NaN, subnormals, -0.0) give the same result both ways.
        #[test]
        fn parallel_matches_sequential_on_special_values(
            data in proptest::collection::vec(any::<f64>(), 0..64)
        ) {
            let (s, p) = (sum_of_squares(&data), sum_of_squares_parallel(&data));
            prop_assert!(s.to_bits() == p.to_bits() || (s.is_nan() && p.is_nan()), "{} vs {}", s, p);
        }

        /// On small integers every partial sum is exact, so the kernel equals the exact value.
        #[test]
        fn exact_on_small_integers(data in proptest::collection::vec(-1000i32..1000, 0..2 * BLOCK + 3)) {
            let floats: Vec<f64> = data.iter().map(|&i| f64::from(i)).collect();
            let exact: i64 = data.iter().map(|&i| i64::from(i) * i64::from(i)).sum();
            prop_assert_eq!(sum_of_squares(&floats), exact as f64);
            prop_assert_eq!(sum_of_squares_parallel(&floats), exact as f64);
        }

        /// On arbitrary finite inputs it is within the usual error bound of an exact sum.
        #[test]
        fn close_to_naive_sum(data in proptest::collection::vec(-1e6f64..1e6, 0..BLOCK + 100)) {
            let naive: f64 = data.iter().map(|x| x * x).sum();
            // Each left-to-right sum of n non-negative terms is within (n-1)·ε/2 relative
            // error of the exact value; the two sums are within n·ε of each other.
            let bound = data.len() as f64 * f64::EPSILON * naive;
            prop_assert!((sum_of_squares(&data) - naive).abs() <= bound);
        }
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(sum_of_squares(&[]).to_bits(), 0.0f64.to_bits());
        assert_eq!(sum_of_squares_parallel(&[]).to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn rayon_task_panic_reaches_the_caller_and_the_pool_survives() {
        let caught = std::panic::catch_unwind(panic_in_rayon_task);
        let payload = caught.expect_err("the panic must propagate to the caller");
        let message = payload.downcast_ref::<&str>().copied().unwrap_or_default();
        assert!(message.contains("deliberate panic"), "{message}");
        let data = vec![2.0; 10 * BLOCK];
        assert_eq!(sum_of_squares_parallel(&data), 4.0 * data.len() as f64);
    }
}
