//! What query serves: the read model, the live system view, dead letters and timelines.
//!
//! The `#[serde(default)]`s and `#[serde(other)]`s are for the reader (the web client): a
//! field or a value it does not know yet is tolerated, not an error that blanks the page.

use crate::events::CommentStatus;
use crate::ids::{CommentId, CorrelationId, EventId, PostId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

// ---- The read model: `GET /posts`, `GET /posts/{id}`, `/posts/events` ----

/// The server-sent events of `/posts/events`: a snapshot (every post) on each (re)connect,
/// then one post per change.
pub const LIVE_SNAPSHOT: &str = "snapshot";
pub const LIVE_POST: &str = "post";
/// Sent every few seconds on a quiet stream, so a client can tell it from a hung server.
pub const LIVE_PING: &str = "ping";
/// The server-sent event of `/system/events`: the whole system view.
pub const LIVE_SYSTEM: &str = "system";

/// A post with its comments, oldest comment first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostView {
    pub id: PostId,
    pub title: String,
    #[serde(default)]
    pub comments: Vec<CommentView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommentView {
    pub id: CommentId,
    pub content: String,
    pub status: CommentStatus,
    /// Why a pending comment is stuck, if its moderation was dead-lettered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderation: Option<ModerationIssue>,
}

/// Why a pending comment is stuck: the dead letter about its moderation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModerationIssue {
    /// Always true: moderation (or applying its decision) gave up on this comment.
    #[serde(default)]
    pub gave_up: bool,
    /// The dead letter, as `/system` lists it (its id is what a Retry refers to).
    pub dead_letter: u64,
    /// Who gave up: `moderation` (deciding) or `comments` (applying the decision).
    #[serde(default)]
    pub consumer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Automatic retries: done, the bound, and when the next is due.
    #[serde(flatten)]
    pub redrive: Redrive,
}

// ---- Dead letters and their re-drive ----

/// Where a dead letter stands with automatic retries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Redrive {
    pub state: RedriveState,
    /// Retries so far along this letter's chain (its generation).
    #[serde(default)]
    pub retries: u32,
    /// The bound on automatic retries.
    #[serde(default)]
    pub max_retries: u32,
    /// When the next automatic retry is due (only while `scheduled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_retry_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RedriveState {
    /// An automatic retry is due at `nextRetryAt`.
    Scheduled,
    /// Retried (by a person or automatically): its copy is back in the stream.
    Retried,
    /// The bound is reached: it stays until a person retries it.
    Exhausted,
    /// Never retried automatically (terminated by its consumer, or re-drive is off).
    #[default]
    Manual,
    /// A state this reader does not know yet.
    #[serde(other)]
    Other,
}

/// Why a consumer gave up on a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Cause {
    /// Every allowed delivery failed.
    MaxDeliveries,
    /// The consumer terminated it (it could never succeed, or was not an event).
    Terminated,
    /// A cause this reader does not know yet: still shown, not dropped.
    #[serde(other)]
    Other,
}

/// One message a consumer gave up on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// Its sequence in DEADLETTERS: the id a retry refers to.
    pub id: u64,
    pub cause: Cause,
    pub stream: String,
    pub consumer: String,
    /// Where the message itself is: its sequence in `stream`, and its subject (if the
    /// consumer left a note).
    pub stream_sequence: u64,
    #[serde(default)]
    pub subject: Option<String>,
    pub deliveries: u64,
    #[serde(default)]
    pub error: Option<String>,
    pub time: DateTime<Utc>,
    #[serde(default)]
    pub retried: bool,
}

/// A dead letter as `/system` lists it: the letter, and where it stands with retries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LetterView {
    #[serde(flatten)]
    pub letter: DeadLetter,
    #[serde(default)]
    pub redrive: Redrive,
}

// ---- The system view: `GET /system`, `/system/events` ----

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SystemView {
    /// Whether query itself is connected to nats-server.
    pub broker_connected: bool,
    pub services: Vec<ServiceView>,
    pub streams: Vec<StreamView>,
    /// Newest first, each with where it stands with automatic retries.
    pub dead_letters: Vec<LetterView>,
    /// The broker's nodes, as the streams' replica groups see them: one on a single server,
    /// three in a cluster.
    pub nodes: Vec<NodeView>,
}

/// One nats-server node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeView {
    pub name: String,
    /// Leads a stream, or is a replica its group does not count as offline.
    pub up: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceView {
    pub name: String,
    /// Answered the last ping in time.
    pub up: bool,
    /// How many instances answered.
    #[serde(default)]
    pub instances: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamView {
    pub name: String,
    pub messages: u64,
    /// The sequence of the oldest and of the newest message it holds (0 when empty): the
    /// two ends of its tape on the Streams page.
    #[serde(default)]
    pub first_seq: u64,
    #[serde(default)]
    pub last_seq: u64,
    /// Durable consumers only, by name.
    #[serde(default)]
    pub consumers: Vec<ConsumerView>,
    /// Who leads the stream and how its replicas are doing (absent before it has a leader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<StreamCluster>,
}

/// A stream's replica group.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamCluster {
    /// The node that leads it (takes its writes), if one does right now.
    #[serde(default)]
    pub leader: Option<String>,
    /// The other nodes that hold a copy.
    #[serde(default)]
    pub replicas: Vec<ReplicaView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaView {
    pub name: String,
    /// Has everything the leader has.
    pub current: bool,
    /// Not heard from: its node is down or cut off.
    #[serde(default)]
    pub offline: bool,
    /// How many operations it is behind the leader.
    #[serde(default)]
    pub lag: u64,
    /// Milliseconds since the leader last heard from it.
    #[serde(default)]
    pub seen_ms_ago: u64,
}

impl ReplicaView {
    /// How long a replica may stay silent before its node counts as down.
    pub const SILENT_AFTER_MS: u64 = 5_000;

    /// Whether its node seems up: not offline, and either current or heard from lately. (A
    /// leader elected after a node died has never heard from it: 0 ms, and not current.)
    pub fn seems_up(&self) -> bool {
        let heard_lately = self.seen_ms_ago > 0 && self.seen_ms_ago < Self::SILENT_AFTER_MS;
        !self.offline && (self.current || heard_lately)
    }
}

/// A durable consumer's backlog.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerView {
    pub name: String,
    /// In the stream, not yet delivered to it.
    pub pending: u64,
    /// Delivered, not yet acknowledged (being worked on, or waiting for a retry).
    pub ack_pending: u64,
    /// Delivered more than once.
    pub redelivered: u64,
    /// Its two cursors on the stream's tape: the last stream sequence delivered to it, and
    /// the acknowledgement floor (every message up to it is acknowledged).
    #[serde(default)]
    pub delivered_seq: u64,
    #[serde(default)]
    pub ack_floor_seq: u64,
    /// The subjects it reads (none: the whole stream); a message on another subject is
    /// never pending for it.
    #[serde(default)]
    pub filters: Vec<String>,
}

// ---- Timelines: `GET /comments/{id}/timeline` ----

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

// ---- The tape: `GET /streams/{name}/messages` ----

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

#[cfg(test)]
mod tests;
