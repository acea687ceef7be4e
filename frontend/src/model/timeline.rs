//! One comment's timeline, as query's `GET /comments/{id}/timeline` sends it: each event
//! of the chain the comment's creation started, who published it, when, and how long after
//! the one before — plus the rule for when a shown timeline is worth asking for again.

use super::time;
use super::Status;
use contract::EventType;

/// The shapes: the wire contract's, as query serializes them.
pub use contract::views::{HopView as Hop, TimelineView as Timeline};

/// How the page writes one hop.
pub trait HopText {
    /// `+3 ms` for a hop after the first; nothing for the first.
    fn delay_text(&self) -> Option<String>;
}

impl HopText for Hop {
    fn delay_text(&self) -> Option<String> {
        self.since_previous_ms.map(time::hop)
    }
}

/// What the page reads in a timeline.
pub trait TimelineRules {
    /// The whole chain on one line:
    /// `CommentCreated → CommentModerated +3 ms → CommentUpdated +1 ms`.
    fn summary(&self) -> String;
    /// From the first event to the last, when there are at least two.
    fn total_ms(&self) -> Option<i64>;
    /// Whether this timeline holds everything a comment with `status` must have behind it.
    ///
    /// Query reads each stream with its own consumer, so the comment's status (from
    /// `CommentUpdated`, on COMMENTS) can change a moment before query has read the
    /// `CommentModerated` that caused it (on MODERATION). A timeline fetched in that
    /// moment lacks a hop; the page asks again rather than show a chain with a gap.
    fn is_complete_for(&self, status: Status) -> bool;
}

impl TimelineRules for Timeline {
    fn summary(&self) -> String {
        self.events
            .iter()
            .map(|hop| match hop.delay_text() {
                Some(delay) => format!("{} {delay}", hop.event_type),
                None => hop.event_type.clone(),
            })
            .collect::<Vec<_>>()
            .join(" → ")
    }

    fn total_ms(&self) -> Option<i64> {
        if self.events.len() < 2 {
            return None;
        }
        Some(self.events.iter().filter_map(|h| h.since_previous_ms).sum())
    }

    fn is_complete_for(&self, status: Status) -> bool {
        let has = |t: EventType| self.events.iter().any(|hop| hop.event_type == t.name);
        match status {
            Status::Pending => has(EventType::COMMENT_CREATED),
            Status::Approved | Status::Rejected => [
                EventType::COMMENT_CREATED,
                EventType::COMMENT_MODERATED,
                EventType::COMMENT_UPDATED,
            ]
            .into_iter()
            .all(has),
        }
    }
}

/// How many times an expanded timeline is fetched before the page stops asking by itself
/// (the learner can still ask with the Refresh button).
pub const MAX_ATTEMPTS: u32 = 12;

/// After fetch number `attempt` (1, 2, …), how long to wait before the next one, or `None`
/// when there is no need (the timeline is `settled`: complete for the comment's status) or
/// no point (the attempts are used up). A status change starts the count again.
pub fn next_fetch_in_ms(attempt: u32, settled: bool) -> Option<u32> {
    if settled || attempt >= MAX_ATTEMPTS {
        return None;
    }
    // 0.5 s, 1 s, 1.5 s, … up to 3 s: quick while query is a hop behind, gentle after.
    Some((500 * attempt).min(3_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const C1: &str = "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c01";
    const R1: &str = "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c02";
    const JSON: &str = r#"{"commentId":"01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c01","correlationId":"01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c02","events":[
        {"type":"CommentCreated","source":"comments","eventId":"01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c03","time":"2026-11-22T10:00:00.000Z","sincePreviousMs":null},
        {"type":"CommentModerated","source":"moderation","eventId":"01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c04","time":"2026-11-22T10:00:00.003Z","sincePreviousMs":3},
        {"type":"CommentUpdated","source":"comments","eventId":"01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c05","time":"2026-11-22T10:00:01.250Z","sincePreviousMs":1247}],
        "summary":"CommentCreated → CommentModerated +3 ms → CommentUpdated +1247 ms"}"#;

    fn timeline() -> Timeline {
        serde_json::from_str(JSON).expect("valid")
    }

    #[test]
    fn reads_querys_json() {
        let t = timeline();
        assert_eq!(t.correlation_id.map(|c| c.to_string()).as_deref(), Some(R1));
        assert_eq!(t.comment_id.to_string(), C1);
        assert_eq!(t.events[1].source, "moderation");
        assert_eq!(t.events[0].since_previous_ms, None);
        let bare: Timeline = serde_json::from_str(&format!(
            r#"{{"commentId":"{C1}","correlationId":null,"events":[]}}"#
        ))
        .expect("valid");
        assert_eq!(bare.correlation_id, None);
    }

    #[test]
    fn the_summary_names_each_hop_with_its_delay() {
        assert_eq!(
            timeline().summary(),
            "CommentCreated → CommentModerated +3 ms → CommentUpdated +1.2 s"
        );
        assert_eq!(timeline().events[0].delay_text(), None);
        assert_eq!(timeline().total_ms(), Some(1_250));
    }

    #[test]
    fn a_decided_comment_needs_the_whole_chain() {
        let mut t = timeline();
        assert!(t.is_complete_for(Status::Approved));
        assert!(t.is_complete_for(Status::Pending));
        // Query has the update but has not yet read the moderation decision.
        t.events.remove(1);
        assert!(!t.is_complete_for(Status::Rejected));
        assert!(t.is_complete_for(Status::Pending));
        t.events.clear();
        assert!(!t.is_complete_for(Status::Pending));
        assert_eq!(t.total_ms(), None);
    }

    #[test]
    fn fetching_again_stops_when_settled_or_after_the_last_attempt() {
        assert_eq!(next_fetch_in_ms(1, true), None);
        assert_eq!(next_fetch_in_ms(1, false), Some(500));
        assert_eq!(next_fetch_in_ms(4, false), Some(2_000));
        assert_eq!(next_fetch_in_ms(MAX_ATTEMPTS - 1, false), Some(3_000));
        assert_eq!(next_fetch_in_ms(MAX_ATTEMPTS, false), None);
    }
}
