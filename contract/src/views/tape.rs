//! The tape: `GET /streams/{name}/messages`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One page of a stream's messages, oldest first, and the stream's ends when it was read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TapePage {
    pub stream: String,
    pub first_seq: u64,
    pub last_seq: u64,
    pub messages: Vec<TapeMessage>,
}

/// One stored message, whole: for an event, `body` is its CloudEvent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TapeMessage {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub subject: String,
    /// The event's type, when the message is an event (dead-letter records are not).
    #[serde(default)]
    pub event_type: Option<String>,
    /// A few words for the row: a title, a comment's words and status.
    #[serde(default)]
    pub summary: String,
    /// The payload as JSON, or as a string when it is not JSON.
    pub body: serde_json::Value,
}
