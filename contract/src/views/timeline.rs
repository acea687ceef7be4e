//! Timelines: `GET /comments/{id}/timeline`.

use crate::ids::{CommentId, CorrelationId, EventId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A comment's history, hop by hop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineView {
    pub comment_id: CommentId,
    #[serde(default)]
    pub correlation_id: Option<CorrelationId>,
    pub events: Vec<HopView>,
    /// The whole chain on one line, for people.
    #[serde(default)]
    pub summary: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HopView {
    #[serde(rename = "type")]
    pub event_type: String,
    /// The publishing service.
    pub source: String,
    pub event_id: EventId,
    pub time: DateTime<Utc>,
    /// Milliseconds since the previous event of this comment (absent for the first).
    #[serde(default)]
    pub since_previous_ms: Option<i64>,
    /// Where the event is stored, for a link to it on the Streams page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_at: Option<StoredAt>,
}

/// A message's place: its stream and its sequence in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredAt {
    pub stream: String,
    pub seq: u64,
}
