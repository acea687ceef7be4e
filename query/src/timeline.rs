//! Each comment's history: which events happened to it, who published them, when, and how
//! long each hop took — `CommentCreated → CommentModerated +3 ms → CommentUpdated +1 ms`.
//! The correlation id ties the chain to the user request that started it.

use bus::{CommentId, CorrelationId, EventBody, EventId, StreamDef};
use chrono::{DateTime, Utc};
use contract::EventType;
use foldhash::HashMap;

/// One event in a comment's history (kept small: there is one per event in the streams, so
/// a million events keep a million of these). 40 bytes: three fit in 120, the allocator's
/// 128-byte class, where the 48 bytes of `Option<(StreamDef, u64)>` for the place made
/// 144 and a 160-byte class — 10 MB more after a million events.
#[derive(Clone, Debug, PartialEq)]
struct Hop {
    /// Which of [`EventType::ALL`]: one byte, where the type's name would take sixteen.
    kind: u8,
    event_id: EventId,
    time: DateTime<Utc>,
    /// Its sequence in its type's stream (every type has one stream), once a delivery has
    /// said, for the link to the Streams page; 0 until then (sequences start at 1).
    stored_seq: u64,
}

impl Hop {
    fn event_type(&self) -> Option<EventType> {
        EventType::ALL.get(usize::from(self.kind)).copied()
    }
}

/// The hops of a comment's usual life: created, moderated, updated. Allocated at that size
/// rather than grown to the next (four): a quarter less memory per comment.
const USUAL_HOPS: usize = 3;

#[derive(Clone, Debug, Default, PartialEq)]
struct History {
    correlation: Option<CorrelationId>,
    /// In time order; each event once, however often it was delivered.
    hops: Vec<Hop>,
}

#[derive(Debug, Default, PartialEq)]
pub struct Timelines {
    /// foldhash rather than std's SipHash (see the workspace's Cargo.toml): the replay
    /// hashes a comment id for every comment event.
    by_comment: HashMap<CommentId, History>,
}

/// The view's shapes, from the wire contract.
pub use contract::views::{HopView, StoredAt, TimelineView};

impl Timelines {
    /// Records a comment event, stored at `stored_at` if known (its type's stream, so only
    /// the sequence is kept); returns false for other events and for ones already known.
    pub fn record(
        &mut self,
        id: EventId,
        time: DateTime<Utc>,
        correlation: CorrelationId,
        body: &EventBody,
        stored_at: Option<(StreamDef, u64)>,
    ) -> bool {
        let comment = match body {
            EventBody::CommentCreated(c) => c.id,
            EventBody::CommentModerated(c) => c.id,
            EventBody::CommentUpdated(c) => c.id,
            EventBody::PostCreated(_) => return false,
        };
        let history = self.by_comment.entry(comment).or_insert_with(|| History {
            correlation: None,
            hops: Vec::with_capacity(USUAL_HOPS),
        });
        if let Some(known) = history.hops.iter_mut().find(|hop| hop.event_id == id) {
            // A redelivery of an event re-published (a dead letter retried) names its first
            // copy's place or the newer one; either is a true link, so the first is kept.
            if known.stored_seq == 0 {
                known.stored_seq = stored_at.map_or(0, |(_, seq)| seq);
            }
            return false;
        }
        let kind = EventType::ALL
            .iter()
            .position(|t| *t == body.event_type())
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(u8::MAX);
        let hop = Hop {
            kind,
            event_id: id,
            time,
            stored_seq: stored_at.map_or(0, |(_, seq)| seq),
        };
        // Keep time order whatever the arrival order (ties: by id, so it is deterministic).
        let at = history
            .hops
            .partition_point(|h| (h.time, h.event_id) < (time, id));
        history.hops.insert(at, hop);
        // The chain's correlation is the first event's (all of a chain's events share it;
        // taking the earliest, not the first to arrive, keeps the answer order-independent).
        if at == 0 {
            history.correlation = Some(correlation);
        }
        true
    }

    pub fn view(&self, comment: CommentId) -> Option<TimelineView> {
        let history = self.by_comment.get(&comment)?;
        let mut previous: Option<DateTime<Utc>> = None;
        let events: Vec<HopView> = history
            .hops
            .iter()
            .map(|hop| {
                let since_previous_ms = previous.map(|p| (hop.time - p).num_milliseconds());
                previous = Some(hop.time);
                let event_type = hop.event_type();
                HopView {
                    event_type: event_type.map_or("?", |t| t.name).to_owned(),
                    source: event_type.map_or("?", |t| t.publisher().name()).to_owned(),
                    event_id: hop.event_id,
                    time: hop.time,
                    since_previous_ms,
                    stored_at: event_type.filter(|_| hop.stored_seq > 0).map(|t| StoredAt {
                        stream: t.stream.name().to_owned(),
                        seq: hop.stored_seq,
                    }),
                }
            })
            .collect();
        let summary = events
            .iter()
            .map(|e| match e.since_previous_ms {
                Some(ms) => format!("{} +{ms} ms", e.event_type),
                None => e.event_type.clone(),
            })
            .collect::<Vec<_>>()
            .join(" → ");
        Some(TimelineView {
            comment_id: comment,
            correlation_id: history.correlation,
            events,
            summary,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bus::{CommentCreated, CommentModerated, CommentStatus, PostId};
    use chrono::Duration;

    #[test]
    fn a_chain_is_told_in_time_order_with_the_time_between_hops() {
        let (comment, post, correlation) = (CommentId::new(), PostId::new(), CorrelationId::new());
        let start = Utc::now();
        let created = EventBody::CommentCreated(CommentCreated {
            id: comment,
            post_id: post,
            content: "x".into(),
            status: CommentStatus::Pending,
        });
        let moderated = EventBody::CommentModerated(CommentModerated {
            id: comment,
            post_id: post,
            content: "x".into(),
            status: CommentStatus::Approved,
        });
        let mut timelines = Timelines::default();
        let moderated_id = EventId::new();
        // Arrives first, happened second; and is delivered twice.
        assert!(timelines.record(
            moderated_id,
            start + Duration::milliseconds(3),
            correlation,
            &moderated,
            None
        ));
        assert!(!timelines.record(
            moderated_id,
            start + Duration::milliseconds(3),
            correlation,
            &moderated,
            Some((StreamDef::Moderation, 7))
        ));
        assert!(timelines.record(EventId::new(), start, correlation, &created, None));
        let view = timelines.view(comment).expect("a timeline");
        assert_eq!(view.summary, "CommentCreated → CommentModerated +3 ms");
        assert_eq!(view.events[1].source, "moderation");
        assert_eq!(view.correlation_id, Some(correlation));
        let stored = view.events[1].stored_at.as_ref();
        assert_eq!(
            stored.map(|s| (s.stream.as_str(), s.seq)),
            Some(("MODERATION", 7)),
            "the redelivery said where it is stored"
        );
        assert_eq!(view.events[0].stored_at, None);
    }

    #[test]
    fn three_hops_fit_the_allocators_128_byte_class() {
        assert!(3 * std::mem::size_of::<Hop>() <= 128);
    }
}
