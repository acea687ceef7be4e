//! The envelope on the wire, decoding with its validation, and the event types list.

use super::*;
use crate::names::ServiceName;
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

#[test]
fn reads_the_same_event_whatever_the_order_of_its_fields() {
    let event = comment_created();
    let ours = event.to_json();
    // serde_json's own maps sort their keys: `data` before `type`, the slower path.
    let sorted: Value = serde_json::from_slice(&ours).expect("valid json");
    let sorted = sorted.to_string();
    assert!(sorted.find("\"data\"") < sorted.find("\"type\""));
    assert_eq!(Event::from_json(&ours).ok(), Some(event.clone()));
    assert_eq!(Event::from_json(sorted.as_bytes()).ok(), Some(event));
}

#[test]
fn a_bad_event_is_refused_with_a_reason_whatever_the_order_of_its_fields() {
    let event = comment_created().to_json();
    let mut wire: Value = serde_json::from_slice(&event).expect("valid json");
    wire["data"]["status"] = json!("maybe");
    let sorted = wire.to_string();
    let ours = String::from_utf8(event)
        .expect("utf-8")
        .replace("\"pending\"", "\"maybe\"");
    for text in [ours, sorted] {
        let error = Event::from_json(text.as_bytes())
            .map(|_| ())
            .expect_err("refused")
            .to_string();
        assert!(error.contains("bad CommentCreated data"), "{error}");
        assert!(error.contains("maybe"), "{error}");
    }
    wire["time"] = json!("yesterday");
    let error = Event::from_json(wire.to_string().as_bytes())
        .map(|_| ())
        .expect_err("refused");
    assert!(
        error.to_string().contains("time") || error.to_string().contains("input"),
        "{error}"
    );
    assert!(Event::from_json(b"{\"specversion\": \"1.0\"}").is_err());
}

#[test]
fn reads_a_timestamp_in_any_form_it_read_before() {
    let at = |time: &str| {
        let mut wire: Value = serde_json::from_slice(&comment_created().to_json()).expect("json");
        wire["time"] = json!(time);
        Event::from_json(wire.to_string().as_bytes()).map(|e| e.time.to_rfc3339())
    };
    assert_eq!(
        at("2026-11-22T10:00:00.123Z").ok().as_deref(),
        Some("2026-11-22T10:00:00.123+00:00")
    );
    assert_eq!(
        at("2026-11-22T11:00:00+01:00").ok().as_deref(),
        Some("2026-11-22T10:00:00+00:00")
    );
    // Not strict RFC 3339, but chrono's serde reading took it, so it still does.
    assert_eq!(
        at("2026-11-22 10:00:00Z").ok().as_deref(),
        Some("2026-11-22T10:00:00+00:00")
    );
}
