//! Partitions: ordered parallelism *across* instances.
//!
//! Several instances on one durable consumer (competing consumers) share the work, but two
//! of them may then handle two events about the same entity at the same moment, and finish
//! them out of order. Kafka's answer is partitions. NATS builds the same thing from two of
//! its own pieces:
//!
//! 1. **A subject transform with the partition function.** A work stream *sources* one
//!    event type from its stream and rewrites each copy's subject with a partition number
//!    computed from the entity id: `comments.CommentCreated.<id>` is stored as
//!    `work.moderation.<p>.CommentCreated.<id>`, where `<p> = {{partition(P, 1)}}`, a hash
//!    of the id into `0 … P-1`. The same id always lands in the same partition.
//! 2. **One durable consumer per partition, in a pinned priority group.** Every instance
//!    pulls from every partition's consumer; the server hands each partition to one
//!    instance at a time (the pinned one) and, when that instance stops pulling, to a
//!    standby (see [`crate::consume::Durable::with_pinned_group`]).
//!
//! Within a partition, one message at a time, in stream order: every event about one
//! entity is handled in order, by one instance at a time. Different partitions run in
//! parallel, on whichever instances hold them. The price: a partition is serial, so P
//! bounds the parallelism, and one slow entity holds up its whole partition.

use crate::consume::{consume, Delivery, Durable, Outcome};
use crate::event::Event;
use crate::progress::Progress;
use crate::streams::{StreamDef, DUPLICATE_WINDOW};
use async_nats::jetstream::{self, stream};
use futures::future::join_all;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A work stream: one event type of `source`, copied with a partition in each subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partitioned {
    pub name: &'static str,
    pub source: StreamDef,
    pub event_type: &'static str,
    /// How many partitions (the partition function's P).
    pub partitions: u32,
    /// The subjects' first tokens: `work.moderation`.
    pub prefix: &'static str,
}

/// Moderation's partitioned work: every `CommentCreated`, by comment id.
pub const MODERATION_WORK: Partitioned = Partitioned {
    name: "MODERATION_WORK",
    source: StreamDef::Comments,
    event_type: "CommentCreated",
    partitions: 4,
    prefix: "work.moderation",
};

/// Every work stream [`crate::provision`] creates.
pub const ALL: [Partitioned; 1] = [MODERATION_WORK];

impl Partitioned {
    /// The transform's destination: `work.moderation.{{partition(4,1)}}.CommentCreated.{{wildcard(1)}}`.
    fn destination(&self) -> String {
        format!(
            "{}.{{{{partition({},1)}}}}.{}.{{{{wildcard(1)}}}}",
            self.prefix, self.partitions, self.event_type
        )
    }

    /// The stream: sourced from `source` through the transform, and listening on its own
    /// subjects too, so a dead letter's copy can be put back into it.
    pub fn config(&self, replicas: usize) -> stream::Config {
        let transform = stream::SubjectTransform {
            source: format!("{}.{}.*", self.source.prefix(), self.event_type),
            destination: self.destination(),
        };
        stream::Config {
            name: self.name.to_owned(),
            subjects: vec![format!("{}.>", self.prefix)],
            sources: Some(vec![stream::Source {
                name: self.source.name().to_owned(),
                subject_transforms: vec![transform],
                ..Default::default()
            }]),
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            duplicate_window: DUPLICATE_WINDOW,
            num_replicas: replicas,
            ..Default::default()
        }
    }

    /// The partition an entity id lands in, as the server computes it: the FNV-1a hash of
    /// the id, modulo the number of partitions. (For tests and the lab's display; the
    /// server's transform is what decides.)
    pub fn partition_of(&self, entity_id: &str) -> String {
        let hash = entity_id.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
            (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
        });
        (hash % self.partitions).to_string()
    }

    /// The subjects of partition `p`: `work.moderation.2.>`.
    pub fn filter(&self, partition: u32) -> String {
        format!("{}.{partition}.>", self.prefix)
    }

    /// The consumer of partition `p` that every instance named `consumer` pulls, one at a
    /// time (`moderation-p2`): one message at a time, handed to a standby instance once
    /// the pinned one has stopped pulling for `takeover_after`.
    pub fn durable(&self, consumer: &str, partition: u32, takeover_after: Duration) -> Durable {
        let name = format!("{consumer}-p{partition}");
        Durable::on_stream(self.name, &name, Some(self.filter(partition)))
            .with_pinned_group(consumer, takeover_after)
    }
}

/// How one instance takes part in a partitioned consumer.
#[derive(Clone, Debug)]
pub struct Membership {
    /// The partitions this instance pulls at once; it joins the others `standby_after`
    /// later. When every instance starts together, each gets the pins of its own
    /// partitions first (the server pins whoever pulls first), and stands by for the rest.
    pub preferred: Vec<u32>,
    pub standby_after: Duration,
    /// How long a pinned instance may stop pulling before a standby one takes over.
    pub takeover_after: Duration,
    pub ack_wait: Duration,
}

impl Membership {
    /// Instance `index` (0-based) of `instances`: partitions `index`, `index + instances`, …
    pub fn spread(index: u32, instances: u32, partitions: u32) -> Vec<u32> {
        let instances = instances.max(1);
        (0..partitions)
            .filter(|p| p % instances == index % instances)
            .collect()
    }
}

/// Consumes every partition of `work` as one member of the group `consumer`, until
/// `shutdown`: one message at a time per partition, partitions in parallel.
pub async fn consume_partitions<H, Fut>(
    js: jetstream::Context,
    work: Partitioned,
    consumer: &str,
    membership: Membership,
    reading: Option<Progress>,
    shutdown: CancellationToken,
    handler: H,
) where
    H: Fn(Event, Delivery) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let handler = &handler;
    let partitions = (0..work.partitions).map(|partition| {
        let durable = work
            .durable(consumer, partition, membership.takeover_after)
            .with_ack_wait(membership.ack_wait);
        let (js, reading, shutdown) = (js.clone(), reading.clone(), shutdown.clone());
        let wait = match membership.preferred.contains(&partition) {
            true => Duration::ZERO,
            false => membership.standby_after,
        };
        async move {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            consume(js, durable, reading, shutdown, |event, delivery| {
                handler(event, delivery)
            })
            .await
        }
    });
    join_all(partitions).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_partition_has_its_own_subjects_and_consumer() {
        assert_eq!(
            MODERATION_WORK.destination(),
            "work.moderation.{{partition(4,1)}}.CommentCreated.{{wildcard(1)}}"
        );
        let durable = MODERATION_WORK.durable("moderation", 2, Duration::from_secs(5));
        assert_eq!(durable.stream, "MODERATION_WORK");
        assert_eq!(
            durable.config.durable_name.as_deref(),
            Some("moderation-p2")
        );
        assert_eq!(durable.config.filter_subject, "work.moderation.2.>");
        assert_eq!(durable.config.max_ack_pending, 1, "a partition is serial");
    }

    #[test]
    fn instances_spread_the_partitions_between_them() {
        assert_eq!(Membership::spread(0, 2, 4), vec![0, 2]);
        assert_eq!(Membership::spread(1, 2, 4), vec![1, 3]);
        assert_eq!(Membership::spread(0, 1, 4), vec![0, 1, 2, 3]);
        assert_eq!(Membership::spread(4, 5, 4), Vec::<u32>::new());
    }
}
