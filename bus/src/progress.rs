//! How far a service has applied a stream, shared between the task that applies events and
//! the HTTP handlers that need to know.
//!
//! Two facts are kept: the highest stream sequence applied (so a reader that has to reopen
//! the stream resumes right after it), and whether the replay that started with the service
//! has caught up (`/health` says ready only then).
//!
//! Only the second is *announced* to waiting tasks, once, when it becomes true. Announcing
//! every applied sequence would wake every waiter for each of the million events of a
//! replay — measurably slower, for news nobody waits for.

use tokio::sync::watch;

/// What a replay through a given sequence read (see [`crate::follow::replay`]), once done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replayed {
    /// The sequence it read through: the stream's end when it began.
    pub through: u64,
    /// How many messages it read.
    pub messages: u64,
    pub millis: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Position {
    /// The highest stream sequence applied so far.
    applied: u64,
    /// True once the replay that started with the service has reached the stream's end.
    caught_up: bool,
    /// False while the stream cannot be read at all (its consumer cannot be opened: the
    /// stream is missing, or the broker refuses): `/health` is not ready then.
    blocked: bool,
    /// Set once a replay through a sequence is done.
    replayed: Option<Replayed>,
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
        Progress {
            position: watch::Sender::new(Position::default()),
        }
    }

    /// A reader that starts after `sequence` — one part of a replay split by sequence
    /// ranges (see `query::consumer`).
    pub fn starting_after(sequence: u64) -> Progress {
        let position = Position {
            applied: sequence,
            ..Position::default()
        };
        Progress {
            position: watch::Sender::new(position),
        }
    }

    /// Records that everything up to `sequence` has been applied. `remaining` is how many
    /// messages the server says are still pending after this one.
    pub fn applied(&self, sequence: u64, remaining: u64) {
        self.position.send_if_modified(|p| {
            p.applied = p.applied.max(sequence);
            let newly_caught_up = !p.caught_up && remaining == 0;
            p.caught_up |= remaining == 0;
            newly_caught_up
        });
    }

    /// Marks the replay as caught up (used when the stream was empty at startup).
    pub fn mark_caught_up(&self) {
        self.position
            .send_if_modified(|p| !std::mem::replace(&mut p.caught_up, true));
    }

    /// Marks the replay caught up, with what it read: everything through `replayed.through`
    /// is applied (what it did not read there had been deleted).
    pub fn replay_done(&self, replayed: Replayed) {
        self.position.send_if_modified(|p| {
            p.applied = p.applied.max(replayed.through);
            p.replayed = Some(replayed);
            !std::mem::replace(&mut p.caught_up, true)
        });
    }

    /// What the replay read, once done (`None` for a reader that follows from the start).
    pub fn replayed(&self) -> Option<Replayed> {
        self.position.borrow().replayed
    }

    pub fn is_caught_up(&self) -> bool {
        self.position.borrow().caught_up
    }

    /// Records whether the stream can be read right now (see [`Progress::is_reading`]).
    pub fn set_reading(&self, reading: bool) {
        self.position
            .send_if_modified(|p| std::mem::replace(&mut p.blocked, !reading) == reading);
    }

    /// False while its consumer cannot be opened; true otherwise.
    pub fn is_reading(&self) -> bool {
        !self.position.borrow().blocked
    }

    /// Caught up with the startup replay, and reading: what `/health` calls ready.
    pub fn is_ready(&self) -> bool {
        let p = *self.position.borrow();
        p.caught_up && !p.blocked
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waiters_learn_when_the_replay_catches_up() {
        let progress = Progress::new();
        let waiter = {
            let progress = progress.clone();
            tokio::spawn(async move { progress.wait_caught_up().await })
        };
        progress.applied(2, 1);
        assert!(!progress.is_caught_up());
        progress.applied(3, 0);
        let woke = tokio::time::timeout(Duration::from_secs(5), waiter).await;
        assert!(woke.is_ok_and(|joined| joined.is_ok()));
        assert!(progress.is_caught_up());
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
