//! Shared harness for the loom models in `tests/loom_*.rs` (included with `#[path]`, so it
//! is not a test target of its own).
//!
//! * [`check`] explores a correct model and must finish without a panic.
//! * [`expect_rejected`] explores a model of a deliberately broken twin and passes only if
//!   loom rejects it *for the expected reason* (the panic message must contain a given
//!   substring: an assertion of the model, `"deadlock"`, `"Causality violation"`). A twin
//!   loom does not catch fails the test: a model that cannot fail is a defect.
//!
//! Both print one machine-readable line that `ci/loom` turns into its table:
//! `loom-model: name=<model> result=<pass|caught> executions=<n>` — `executions` is the number
//! of interleavings loom ran (for a rejected twin: up to and including the failing one).
//!
//! The preemption bound comes from `LOOM_MAX_PREEMPTIONS`; when it is unset we use
//! [`DEFAULT_PREEMPTIONS`] rather than loom's unbounded default, so a plain `cargo test` under
//! the loom cfg finishes in seconds.
//!
//! The execution counter is a `std` atomic on purpose: it counts loom executions from the
//! outside and is not part of any model, so it must not be a loom object.

#![allow(dead_code)] // each test file uses a subset

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc as StdArc;

/// Preemption bound when `LOOM_MAX_PREEMPTIONS` is not set.
pub const DEFAULT_PREEMPTIONS: usize = 3;

fn builder() -> loom::model::Builder {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(DEFAULT_PREEMPTIONS);
    }
    builder
}

/// Runs `model` under loom; returns how many executions were explored.
fn explore(model: impl Fn() + Sync + Send + 'static) -> (StdArc<AtomicUsize>, impl FnOnce()) {
    let executions = StdArc::new(AtomicUsize::new(0));
    let counter = StdArc::clone(&executions);
    let run = move || {
        builder().check(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            model();
        })
    };
    (executions, run)
}

/// Explores every interleaving of a correct model (within the preemption bound); panics
/// (fails the test) if any of them panics.
pub fn check(name: &str, model: impl Fn() + Sync + Send + 'static) {
    let (executions, run) = explore(model);
    run();
    println!(
        "loom-model: name={name} result=pass executions={}",
        executions.load(Ordering::Relaxed)
    );
}

/// Explores a broken twin's model and returns normally only if loom rejects it with a panic
/// whose message contains `expected`.
///
/// The model runs in a child process (this test binary, re-run on just the calling test): when
/// loom reports a deadlock it panics with the model's threads still blocked, and unwinding
/// them panics again inside a destructor, which aborts the process. The child records the
/// *first* panic (the verdict) from a panic hook before any of that, and the parent reads it.
/// Must be called from a `#[test]` function (the child is selected by the test's name, which
/// libtest gives to the thread running it).
pub fn expect_rejected(name: &str, expected: &str, model: impl Fn() + Sync + Send + 'static) {
    if std::env::var_os(CHILD_ENV).is_some() {
        // In the child: explore and report; never spawn a grandchild.
        run_as_child(model);
        return;
    }
    let test = std::thread::current()
        .name()
        .expect("expect_rejected must run on a libtest test thread")
        .to_owned();
    let output = std::process::Command::new(std::env::current_exe().expect("test binary path"))
        .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("could not re-run the test binary for the broken twin");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let verdict = stderr
        .lines()
        .find_map(|line| line.strip_prefix(VERDICT_PREFIX))
        .unwrap_or_else(|| {
            panic!(
                "loom did NOT reject the broken twin `{name}` (child exit {:?}):\n{stderr}",
                output.status
            )
        });
    let (executions, reason) = verdict.split_once(' ').unwrap_or((verdict, ""));
    assert!(
        reason.contains(expected),
        "loom rejected `{name}`, but for the wrong reason: expected {expected:?} in {reason:?}"
    );
    println!("loom-model: name={name} result=caught executions={executions} reason={reason}");
}

/// Set in the child process that runs a broken twin's model.
const CHILD_ENV: &str = "FTLAB_LOOM_REJECT_CHILD";
/// Prefix of the child's verdict line on stderr: `<executions> <first line of the panic>`.
const VERDICT_PREFIX: &str = "loom-verdict: executions=";

/// In the child: run the model with a panic hook that reports the first panic. Returns
/// normally only if loom explored every interleaving without a panic (no verdict line is
/// printed, so the parent fails the test); otherwise the child test fails or aborts.
fn run_as_child(model: impl Fn() + Sync + Send + 'static) {
    let (executions, run) = explore(model);
    let reported = StdArc::new(AtomicUsize::new(0));
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if reported.fetch_add(1, Ordering::Relaxed) == 0 {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("<non-string panic>");
            eprintln!(
                "{VERDICT_PREFIX}{} {}",
                executions.load(Ordering::Relaxed),
                message.lines().next().unwrap_or("")
            );
        }
        default_hook(info);
    }));
    run();
}
