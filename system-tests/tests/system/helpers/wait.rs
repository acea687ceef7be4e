//! Waiting for eventual consistency: poll, with a deadline, and say what was awaited when
//! the deadline passes. No test waits with a bare sleep or an unbounded loop.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long any eventual-consistency wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// How long to wait between two polls.
const POLL_EVERY: Duration = Duration::from_millis(25);

/// Polls `check` until it holds, failing the test (naming `what`) after [`DEADLINE`].
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually_some(what, || {
        let answer = check();
        async move { answer.await.then_some(()).ok_or("not yet") }
    })
    .await
}

/// Polls `attempt` until it gives `Ok(value)`, and returns that value. After [`DEADLINE`]
/// the test fails naming `what` and the last `Err` (the last answer seen, say).
pub async fn eventually_some<T, E, F, Fut>(what: &str, attempt: F) -> T
where
    E: std::fmt::Display,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    eventually_within(DEADLINE, what, attempt).await
}

/// [`eventually_some`] with a deadline of its own, for the few waits that are known to
/// take longer than [`DEADLINE`] (say, a chain of backoffs).
pub async fn eventually_within<T, E, F, Fut>(within: Duration, what: &str, attempt: F) -> T
where
    E: std::fmt::Display,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + within;
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(last) => assert!(
                Instant::now() < deadline,
                "timed out after {within:?} waiting for {what}; last: {last}"
            ),
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
