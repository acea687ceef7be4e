//! How far a service has applied a stream, shared between the task that applies events and
//! the HTTP handlers that need to know.
//!
//! Two questions are answered here:
//! - *Has the startup replay caught up?* (`/health` says ready only then.)
//! - *Has my own write been applied yet?* A handler that published an event at stream
//!   sequence N waits until the state has applied N before answering 201, so a client that
//!   reads right after its write sees it (read-your-writes), even though the state is
//!   built only from the stream.

use std::time::Duration;
use tokio::sync::watch;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Position {
    /// The highest stream sequence applied so far.
    applied: u64,
    /// True once the replay that started with the service has reached the stream's end.
    caught_up: bool,
}

/// A cheap-to-clone handle on one stream's progress.
#[derive(Clone, Debug)]
pub struct Progress {
    position: watch::Sender<Position>,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    pub fn new() -> Progress {
        Progress { position: watch::Sender::new(Position::default()) }
    }

    /// Records that everything up to `sequence` has been applied. `remaining` is how many
    /// messages the server says are still pending after this one.
    pub fn applied(&self, sequence: u64, remaining: u64) {
        self.position.send_modify(|p| {
            p.applied = p.applied.max(sequence);
            p.caught_up |= remaining == 0;
        });
    }

    /// Marks the replay as caught up (used when the stream was empty at startup).
    pub fn mark_caught_up(&self) {
        self.position.send_modify(|p| p.caught_up = true);
    }

    pub fn is_caught_up(&self) -> bool {
        self.position.borrow().caught_up
    }

    pub fn applied_sequence(&self) -> u64 {
        self.position.borrow().applied
    }

    /// Waits until the replay has caught up.
    pub async fn wait_caught_up(&self) {
        let mut rx = self.position.subscribe();
        // `wait_for` only fails if the sender is gone, and `self` holds it.
        let _ = rx.wait_for(|p| p.caught_up).await;
    }

    /// Waits until `sequence` has been applied; false if that takes longer than `timeout`.
    pub async fn wait_applied(&self, sequence: u64, timeout: Duration) -> bool {
        let mut rx = self.position.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|p| p.applied >= sequence))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_a_sequence_and_times_out_when_it_never_comes() {
        let progress = Progress::new();
        let waiter = {
            let progress = progress.clone();
            tokio::spawn(async move { progress.wait_applied(3, Duration::from_secs(5)).await })
        };
        progress.applied(2, 1);
        progress.applied(3, 0);
        assert!(waiter.await.unwrap_or(false));
        assert!(progress.is_caught_up());
        assert!(!progress.wait_applied(10, Duration::from_millis(20)).await);
    }

    #[test]
    fn the_applied_sequence_never_goes_back() {
        let progress = Progress::new();
        progress.applied(5, 3);
        progress.applied(4, 3);
        assert_eq!(progress.applied_sequence(), 5);
        assert!(!progress.is_caught_up());
    }
}
