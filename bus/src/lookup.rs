//! Asking a stream what it already holds: "the last event on this subject" and "the event at
//! this sequence".
//!
//! Subjects name the event type and the entity (`moderation.CommentModerated.<id>`), so a
//! direct get of the last message on a subject answers questions such as "was this comment
//! already moderated?" with one small request, always up to date. That is how handlers keep
//! their effects single however late a redelivery comes: they look before they publish,
//! rather than trusting JetStream's two-minute duplicate window alone.

use crate::event::Event;
use crate::streams::StreamDef;
use async_nats::connection::State;
use async_nats::jetstream::{self, stream::DirectGetErrorKind};
use bytes::Bytes;

#[derive(Debug, thiserror::Error)]
#[error("cannot ask the stream: {0}")]
pub struct LookupError(String);

/// The payload of the last message on `subject` in `stream`, if there is one.
pub async fn last_on_subject(
    js: &jetstream::Context,
    stream: StreamDef,
    subject: String,
) -> Result<Option<Bytes>, LookupError> {
    // While disconnected the request would only time out; say so at once.
    if js.client().connection_state() != State::Connected {
        return Err(LookupError("not connected to nats-server".into()));
    }
    let handle = js
        .get_stream_no_info(stream.name())
        .await
        .map_err(|e| LookupError(e.to_string()))?;
    match handle.direct_get_last_for_subject(subject).await {
        Ok(message) => Ok(Some(message.payload)),
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(None),
        Err(e) => Err(LookupError(e.to_string())),
    }
}

/// The last `event_type` event about `entity` in `stream`, if the stream holds one. A
/// message there that is not a valid event counts as none.
pub async fn last_event(
    js: &jetstream::Context,
    stream: StreamDef,
    event_type: &str,
    entity: &str,
) -> Result<Option<Event>, LookupError> {
    let payload = last_on_subject(js, stream, stream.subject(event_type, entity)).await?;
    Ok(payload.and_then(|payload| Event::from_json(&payload).ok()))
}

/// The event stored at `sequence` in `stream`.
pub async fn event_at(
    js: &jetstream::Context,
    stream: StreamDef,
    sequence: u64,
) -> Result<Event, LookupError> {
    let handle = js
        .get_stream_no_info(stream.name())
        .await
        .map_err(|e| LookupError(e.to_string()))?;
    let message = handle
        .direct_get(sequence)
        .await
        .map_err(|e| LookupError(e.to_string()))?;
    Event::from_json(&message.payload)
        .map_err(|e| LookupError(format!("{} sequence {sequence}: {e}", stream.name())))
}
