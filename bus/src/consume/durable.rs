//! What a durable consumer is: its stream, name and filter, how patiently it retries, how
//! long the server waits for an ack, and how many messages it works on at once.

use crate::streams::StreamDef;
use async_nats::jetstream::{self, consumer::pull};
use std::time::Duration;

/// How often, and how patiently, a failing message is retried.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// The delay before attempt 2, 3, …; the last entry repeats.
    pub backoff: Vec<Duration>,
    /// Deliveries in all, after which JetStream gives up on the message.
    pub max_deliver: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            backoff: [250, 1_000, 2_000, 4_000]
                .map(Duration::from_millis)
                .to_vec(),
            max_deliver: 5,
        }
    }
}

impl RetryPolicy {
    /// The nak delay after a failed `attempt` (1-based).
    pub fn delay_after(&self, attempt: i64) -> Duration {
        let index = usize::try_from(attempt.max(1) - 1).unwrap_or(0);
        self.backoff
            .get(index)
            .or(self.backoff.last())
            .copied()
            .unwrap_or(Duration::ZERO)
    }
}

/// A durable pull consumer and how to run it.
#[derive(Clone, Debug)]
pub struct Durable {
    /// The stream's name.
    pub stream: &'static str,
    pub config: pull::Config,
    pub retry: RetryPolicy,
    /// How many entities may be handled at once (1: strictly one message at a time).
    pub concurrency: usize,
    /// A projection's consumer (see [`Durable::for_projection`]): its handler is instant
    /// and never fails, so no in-progress acks while it works.
    pub projection: bool,
    /// The priority group pulls join, when the server pins one instance at a time (see
    /// [`Durable::with_pinned_group`]).
    pub pinned_group: Option<String>,
}

impl Durable {
    /// The durable consumer `name` on `stream`, optionally filtered: explicit acks, the
    /// default retry policy, one message at a time.
    pub fn new(stream: StreamDef, name: &str, filter_subject: Option<String>) -> Durable {
        Durable::on_stream(stream.name(), name, filter_subject)
    }

    /// Like [`Durable::new`], on a stream known by name only (a partitioned work stream,
    /// see [`crate::partitions`]).
    pub fn on_stream(stream: &'static str, name: &str, filter_subject: Option<String>) -> Durable {
        let retry = RetryPolicy::default();
        let config = pull::Config {
            durable_name: Some(name.to_owned()),
            filter_subject: filter_subject.unwrap_or_default(),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ack_wait: Duration::from_secs(30),
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            max_deliver: retry.max_deliver,
            // No more unacked messages than are being worked on: a message the client holds
            // in its buffer, waiting for a free worker, would run out its ack wait there and
            // be handed out a second time behind a slow handler.
            max_ack_pending: 1,
            ..Default::default()
        };
        Durable {
            stream,
            config,
            retry,
            concurrency: 1,
            projection: false,
            pinned_group: None,
        }
    }

    /// Several instances pull from this consumer, but the server hands its messages to one
    /// of them at a time: the one it has *pinned* (a NATS priority group with the
    /// pinned-client policy). The others wait on standby; when the pinned instance stops
    /// pulling for `takeover_after`, the server pins a standby one. With one message at a
    /// time, that keeps the consumer's messages in stream order even across instances.
    pub fn with_pinned_group(mut self, group: &str, takeover_after: Duration) -> Durable {
        self.config.priority_policy = jetstream::consumer::PriorityPolicy::PinnedClient;
        self.config.priority_groups = vec![group.to_owned()];
        self.config.priority_timeout = takeover_after;
        self.pinned_group = Some(group.to_owned());
        self
    }

    pub fn with_concurrency(mut self, concurrency: usize) -> Durable {
        self.concurrency = concurrency.max(1);
        // Exactly as many unacked as can be worked on at once (see `Durable::new`).
        self.config.max_ack_pending = i64::try_from(self.concurrency).unwrap_or(i64::MAX);
        self
    }

    /// For a handler that is instant and never fails (query's projection): many messages
    /// on their way at once (the server's default, 1000 unacked), each acked on its own.
    ///
    /// Not `AckPolicy::All` with one ack per batch, though that takes fewer acks: a message
    /// lost on its way (delivered through a node that died with it) would be confirmed by
    /// the next message's ack and never come again. That is how a query instance showed a
    /// comment "pending" for ever in the cluster test that kills the stream leader
    /// (`node_loss`). With an ack of its own, it comes again after the ack wait.
    pub fn for_projection(mut self) -> Durable {
        self.config.max_ack_pending = 0;
        self.concurrency = 1;
        self.projection = true;
        self
    }

    /// Starts a *new* consumer at stream sequence `sequence` rather than at the first
    /// message (an existing consumer keeps its position). Query hands over to its durable
    /// this way after replaying the history before `sequence` (see `bus::follow::replay`).
    pub fn starting_at(mut self, sequence: u64) -> Durable {
        self.config.deliver_policy = jetstream::consumer::DeliverPolicy::ByStartSequence {
            start_sequence: sequence.max(1),
        };
        self
    }

    /// How long the server waits for an ack before redelivering (see
    /// [`crate::BusConfig::ack_wait`]); in-progress acks are sent at a third of it.
    pub fn with_ack_wait(mut self, ack_wait: Duration) -> Durable {
        self.config.ack_wait = ack_wait;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Durable {
        self.config.max_deliver = retry.max_deliver;
        self.retry = retry;
        self
    }

    pub(super) fn name(&self) -> String {
        self.config.durable_name.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_grows_and_then_repeats_its_last_step() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_after(1), Duration::from_millis(250));
        assert_eq!(policy.delay_after(2), Duration::from_secs(1));
        assert_eq!(policy.delay_after(9), Duration::from_secs(4));
    }
}
