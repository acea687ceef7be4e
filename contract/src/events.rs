//! The events: every event is one JSON message, a CloudEvents 1.0 event in structured
//! mode. The original course's `{type, data}` shape is kept; the standard attributes
//! (`specversion`, `id`, `source`, `time`, `datacontenttype`) and two extensions
//! (`correlationid`, `causationid`) are added so any CloudEvents tooling can read the streams
//! and one user action can be followed across services.

use crate::ids::{CommentId, CorrelationId, EventId, PostId};
use crate::names::{ServiceName, StreamDef};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One event as it travels on the wire.
///
/// Reading goes through [`WireEvent`]: serde's `flatten` (used for writing) would first
/// buffer every field into a generic tree, which is the slowest part of replaying a million
/// events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "WireEvent")]
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

/// The envelope as read: `data` is kept as raw JSON until `type` says what it holds.
#[derive(Deserialize)]
struct WireEvent {
    specversion: String,
    id: EventId,
    source: String,
    time: DateTime<Utc>,
    datacontenttype: String,
    correlationid: CorrelationId,
    #[serde(default)]
    causationid: Option<EventId>,
    #[serde(rename = "type")]
    event_type: String,
    data: Box<serde_json::value::RawValue>,
}

impl TryFrom<WireEvent> for Event {
    type Error = String;

    fn try_from(wire: WireEvent) -> Result<Event, String> {
        fn data<T: serde::de::DeserializeOwned>(wire: &WireEvent) -> Result<T, String> {
            serde_json::from_str(wire.data.get())
                .map_err(|e| format!("bad {} data: {e}", wire.event_type))
        }
        let body = match wire.event_type.as_str() {
            "PostCreated" => EventBody::PostCreated(data(&wire)?),
            "CommentCreated" => EventBody::CommentCreated(data(&wire)?),
            "CommentModerated" => EventBody::CommentModerated(data(&wire)?),
            "CommentUpdated" => {
                let update: CommentUpdated = data(&wire)?;
                if !(1..=CommentUpdated::MAX_VERSION).contains(&update.version) {
                    return Err(format!(
                        "CommentUpdated version {} is outside 1..={}",
                        update.version,
                        CommentUpdated::MAX_VERSION
                    ));
                }
                EventBody::CommentUpdated(update)
            }
            other => return Err(format!("unknown event type {other:?}")),
        };
        Ok(Event {
            specversion: wire.specversion,
            id: wire.id,
            source: wire.source,
            time: wire.time,
            datacontenttype: wire.datacontenttype,
            correlationid: wire.correlationid,
            causationid: wire.causationid,
            body,
        })
    }
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

/// An event type: its name, and the stream (so the service) that publishes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventType {
    /// The CloudEvents `type`, also the middle token of the subject.
    pub name: &'static str,
    pub stream: StreamDef,
}

impl EventType {
    pub const POST_CREATED: EventType = EventType {
        name: "PostCreated",
        stream: StreamDef::Posts,
    };
    pub const COMMENT_CREATED: EventType = EventType {
        name: "CommentCreated",
        stream: StreamDef::Comments,
    };
    pub const COMMENT_MODERATED: EventType = EventType {
        name: "CommentModerated",
        stream: StreamDef::Moderation,
    };
    pub const COMMENT_UPDATED: EventType = EventType {
        name: "CommentUpdated",
        stream: StreamDef::Comments,
    };

    /// Every event type there is.
    pub const ALL: [EventType; 4] = [
        EventType::POST_CREATED,
        EventType::COMMENT_CREATED,
        EventType::COMMENT_MODERATED,
        EventType::COMMENT_UPDATED,
    ];

    /// The type called `name`, if there is one.
    pub fn named(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.name == name)
    }

    /// The service that publishes it.
    pub fn publisher(self) -> ServiceName {
        self.stream.owner()
    }
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
        serde_json::from_slice(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn comment_created() -> Event {
        Event::new(
            EventBody::CommentCreated(CommentCreated {
                id: CommentId::new(),
                post_id: PostId::new(),
                content: "hello".into(),
                status: CommentStatus::Pending,
            }),
            CorrelationId::new(),
        )
    }

    #[test]
    fn serializes_as_a_structured_cloudevent_with_camel_case_data() {
        let event = comment_created();
        let wire: Value = serde_json::from_slice(&event.to_json()).expect("valid json");
        assert_eq!(wire["specversion"], "1.0");
        assert_eq!(wire["type"], "CommentCreated");
        assert_eq!(wire["source"], "/comments");
        assert_eq!(wire["datacontenttype"], "application/json");
        assert_eq!(wire["data"]["status"], "pending");
        assert_eq!(wire["data"]["content"], "hello");
        assert!(wire["data"]["postId"].is_string());
        assert!(wire.get("causationid").is_none());
    }

    #[test]
    fn round_trips() {
        let event = comment_created();
        assert_eq!(Event::from_json(&event.to_json()).ok(), Some(event));
    }

    #[test]
    fn reads_an_event_written_by_another_language() {
        let wire = json!({
            "specversion": "1.0", "id": "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c01",
            "source": "/posts", "type": "PostCreated", "time": "2026-11-22T10:00:00.123Z",
            "datacontenttype": "application/json",
            "correlationid": "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c02",
            "someextension": "ignored",
            "data": {"id": "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c03", "title": "Hi"}
        });
        let event = Event::from_json(wire.to_string().as_bytes()).expect("decodes");
        assert!(matches!(event.body, EventBody::PostCreated(ref p) if p.title == "Hi"));
    }

    #[test]
    fn rejects_unknown_types_and_missing_data() {
        let unknown = json!({"specversion": "1.0", "id": "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c01",
            "source": "/x", "type": "PostDeleted", "time": "2026-11-22T10:00:00Z",
            "datacontenttype": "application/json",
            "correlationid": "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c02", "data": {}});
        assert!(Event::from_json(unknown.to_string().as_bytes()).is_err());
        assert!(Event::from_json(b"not json").is_err());
    }

    #[test]
    fn a_caused_event_has_a_derived_id_and_joins_the_chain() {
        let cause = comment_created();
        let body = EventBody::CommentModerated(CommentModerated {
            id: CommentId::new(),
            post_id: PostId::new(),
            content: "hello".into(),
            status: CommentStatus::Approved,
        });
        let first = Event::caused_by(&cause, body.clone());
        let again = Event::caused_by(&cause, body);
        assert_eq!(first.id, again.id);
        assert_eq!(first.correlationid, cause.correlationid);
        assert_eq!(first.causationid, Some(cause.id));
        assert_eq!(first.source, "/moderation");
    }

    #[test]
    fn an_update_with_an_impossible_version_is_not_a_valid_event() {
        let update = |version: u64| {
            json!({"specversion": "1.0", "id": "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c01",
                "source": "/comments", "type": "CommentUpdated", "time": "2026-11-22T10:00:00Z",
                "datacontenttype": "application/json",
                "correlationid": "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c02",
                "data": {"id": "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c03",
                         "postId": "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c04",
                         "content": "x", "status": "approved", "version": version}})
            .to_string()
        };
        assert!(Event::from_json(update(1).as_bytes()).is_ok());
        assert!(Event::from_json(update(CommentUpdated::MAX_VERSION).as_bytes()).is_ok());
        assert!(Event::from_json(update(u64::MAX).as_bytes()).is_err());
        assert!(Event::from_json(update(0).as_bytes()).is_err());
    }

    #[test]
    fn every_event_type_is_listed_once_with_its_publisher() {
        let names: std::collections::HashSet<_> = EventType::ALL.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), EventType::ALL.len());
        assert_eq!(
            EventType::named("CommentModerated").map(EventType::publisher),
            Some(ServiceName::Moderation)
        );
        assert_eq!(EventType::named("PostDeleted"), None);
    }

    #[test]
    fn subjects_name_stream_type_and_entity() {
        let event = comment_created();
        let EventBody::CommentCreated(ref c) = event.body else {
            unreachable!("built as CommentCreated")
        };
        assert_eq!(
            event.body.subject(),
            format!("comments.CommentCreated.{}", c.id)
        );
    }
}
