//! The events: every event is one JSON message, a CloudEvents 1.0 event in structured
//! mode. The original course's `{type, data}` shape is kept; the standard attributes
//! (`specversion`, `id`, `source`, `time`, `datacontenttype`) and two extensions
//! (`correlationid`, `causationid`) are added so any CloudEvents tooling can read the streams
//! and one user action can be followed across services.

use crate::ids::{CommentId, CorrelationId, EventId, PostId};
use crate::names::StreamDef;

mod types;
mod wire;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
pub use types::EventType;

/// One event as it travels on the wire.
///
/// Written by serde's derive; read by hand, in one pass (see `wire`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub specversion: String,
    pub id: EventId,
    /// The publishing service, as a URI reference: `/posts`, `/comments`, `/moderation`.
    pub source: String,
    pub time: DateTime<Utc>,
    pub datacontenttype: String,
    /// The user request that started the chain this event belongs to.
    pub correlationid: CorrelationId,
    /// The event that caused this one, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causationid: Option<EventId>,
    /// `type` and `data`, flattened into the envelope.
    #[serde(flatten)]
    pub body: EventBody,
}

/// The four event types, as `{"type": "...", "data": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum EventBody {
    PostCreated(PostCreated),
    CommentCreated(CommentCreated),
    CommentModerated(CommentModerated),
    CommentUpdated(CommentUpdated),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostCreated {
    pub id: PostId,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentCreated {
    pub id: CommentId,
    pub post_id: PostId,
    pub content: String,
    /// Always `pending`: a new comment waits for moderation.
    pub status: CommentStatus,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentModerated {
    pub id: CommentId,
    pub post_id: PostId,
    pub content: String,
    /// `approved` or `rejected`.
    pub status: CommentStatus,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentUpdated {
    pub id: CommentId,
    pub post_id: PostId,
    pub content: String,
    pub status: CommentStatus,
    /// 1, 2, … per comment; a reader keeps the highest it has seen, so an update that
    /// arrives late or twice never overwrites a newer one.
    pub version: u64,
}

impl CommentUpdated {
    /// The highest version an update may carry: 2^53 - 1, the largest integer JavaScript
    /// (the web client, and any JSON reader using doubles) represents exactly. A version
    /// beyond it cannot come from our services, only from a forged message; decoding refuses
    /// it, so nothing downstream can overflow on `version + 1`.
    pub const MAX_VERSION: u64 = (1 << 53) - 1;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommentStatus {
    Pending,
    Approved,
    Rejected,
}

impl EventBody {
    pub fn event_type(&self) -> EventType {
        match self {
            EventBody::PostCreated(_) => EventType::POST_CREATED,
            EventBody::CommentCreated(_) => EventType::COMMENT_CREATED,
            EventBody::CommentModerated(_) => EventType::COMMENT_MODERATED,
            EventBody::CommentUpdated(_) => EventType::COMMENT_UPDATED,
        }
    }

    /// The CloudEvents `type`, which is also the middle token of the subject.
    pub fn type_name(&self) -> &'static str {
        self.event_type().name
    }

    /// The stream of the service that owns (publishes) this event type.
    pub fn stream(&self) -> StreamDef {
        self.event_type().stream
    }

    /// The id of the entity the event is about: the last token of the subject.
    pub fn entity_id(&self) -> String {
        match self {
            EventBody::PostCreated(e) => e.id.to_string(),
            EventBody::CommentCreated(e) => e.id.to_string(),
            EventBody::CommentModerated(e) => e.id.to_string(),
            EventBody::CommentUpdated(e) => e.id.to_string(),
        }
    }

    /// The subject the event is published on: `<stream prefix>.<type>.<entity id>`.
    pub fn subject(&self) -> String {
        self.stream().subject(self.type_name(), &self.entity_id())
    }
}

#[cfg(feature = "generate")]
impl Event {
    /// A new event that starts or continues the chain of `correlation`.
    pub fn new(body: EventBody, correlation: CorrelationId) -> Event {
        Event {
            specversion: "1.0".to_owned(),
            id: EventId::new(),
            source: body.stream().source().to_owned(),
            time: Utc::now(),
            datacontenttype: "application/json".to_owned(),
            correlationid: correlation,
            causationid: None,
            body,
        }
    }

    /// A new event whose id is `id` rather than a fresh one: a write retried with the same
    /// idempotency key gets the same event id (see [`EventId::for_request`]).
    pub fn with_id(mut self, id: EventId) -> Event {
        self.id = id;
        self
    }

    /// The same event, stamped with the time now: for an effect decided only after a wait
    /// (a slow moderator), whose time must say when it was decided, not when work began.
    pub fn stamped_now(mut self) -> Event {
        self.time = Utc::now();
        self
    }

    /// An event caused by `cause`: its id is derived from the cause's id (so a redelivered
    /// cause yields the same id, which JetStream deduplicates) and it joins the cause's chain.
    pub fn caused_by(cause: &Event, body: EventBody) -> Event {
        let mut event = Event::new(body, cause.correlationid);
        event.id = cause.id.derive(event.body.type_name());
        event.causationid = Some(cause.id);
        event
    }
}

impl Event {
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing these plain structs cannot fail: every key is a string and every
        // value is a string, a number or a nested struct of those.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_json(bytes: &[u8]) -> Result<Event, serde_json::Error> {
        // Checked as UTF-8 once, whole, then read as text: read as bytes, serde_json checks
        // each string on its own, which cost a fifth of the decoding. (Not UTF-8: the byte
        // reader gives the precise error.)
        match std::str::from_utf8(bytes) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(bytes),
        }
    }
}

#[cfg(test)]
mod tests;
