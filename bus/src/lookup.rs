//! Asking a stream what it already holds: "the last event on this subject" and "the event at
//! this sequence".
//!
//! Subjects name the event type and the entity (`moderation.CommentModerated.<id>`), so a
//! direct get of the last message on a subject answers questions such as "was this comment
//! already moderated?" with one small request (any replica may answer; a "none" is asked
//! again of the stream's leader, see [`last_on_subject`]). That is how handlers keep
//! their effects single however late a redelivery comes: they look before they publish,
//! rather than trusting JetStream's two-minute duplicate window alone.

use crate::event::Event;
use crate::streams::StreamDef;
use async_nats::connection::State;
use async_nats::jetstream::{
    self,
    stream::{DirectGetErrorKind, LastRawMessageError, LastRawMessageErrorKind},
};
use bytes::Bytes;

/// Why a stream could not answer. Each variant keeps the client's own error as its source,
/// so a log line (`{error:#}`) shows the whole chain.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("cannot ask the stream: not connected to nats-server")]
    NotConnected,
    #[error("cannot ask the stream {stream}")]
    Stream {
        stream: &'static str,
        #[source]
        source: jetstream::context::GetStreamError,
    },
    #[error("cannot read from the stream {stream}")]
    Read {
        stream: &'static str,
        #[source]
        source: jetstream::stream::DirectGetError,
    },
    #[error("cannot read from the leader of the stream {stream}")]
    Leader {
        stream: &'static str,
        #[source]
        source: LastRawMessageError,
    },
    #[error("cannot read from the leader of the stream {stream}")]
    LeaderBySequence {
        stream: &'static str,
        #[source]
        source: jetstream::stream::RawMessageError,
    },
    #[error("{stream} sequence {sequence} does not hold a valid event")]
    NotAnEvent {
        stream: &'static str,
        sequence: u64,
        #[source]
        source: serde_json::Error,
    },
}

/// The stream's handle, without asking the server for its info.
async fn stream_handle(
    js: &jetstream::Context,
    stream: StreamDef,
) -> Result<jetstream::stream::Stream<()>, LookupError> {
    js.get_stream_no_info(stream.name())
        .await
        .map_err(|source| LookupError::Stream {
            stream: stream.name(),
            source,
        })
}

/// The payload of the last message on `subject` in `stream`, if there is one.
pub async fn last_on_subject(
    js: &jetstream::Context,
    stream: StreamDef,
    subject: String,
) -> Result<Option<Bytes>, LookupError> {
    // While disconnected the request would only time out; say so at once.
    if js.client().connection_state() != State::Connected {
        return Err(LookupError::NotConnected);
    }
    let handle = stream_handle(js, stream).await?;
    match handle.direct_get_last_for_subject(subject.clone()).await {
        Ok(message) => Ok(Some(message.payload)),
        // In a cluster any replica answers a direct get, and one that is behind says "not
        // found" for a message the stream already holds: comments answered 404 for a post
        // created a moment before, for as long as the replica near it lagged (a benchmark
        // on three nodes saw it for whole minutes). "None" is a decision — a 404, a
        // publish — so it is asked again of the stream's leader, which is never behind.
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => {
            match handle.get_last_raw_message_by_subject(&subject).await {
                Ok(message) => Ok(Some(message.payload)),
                Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
                Err(source) => Err(LookupError::Leader {
                    stream: stream.name(),
                    source,
                }),
            }
        }
        Err(source) => Err(LookupError::Read {
            stream: stream.name(),
            source,
        }),
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
    let handle = stream_handle(js, stream).await?;
    let payload = match handle.direct_get(sequence).await {
        Ok(message) => message.payload,
        // A replica that is behind has not got it yet (see `last_on_subject`): the leader has.
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => {
            handle
                .get_raw_message(sequence)
                .await
                .map_err(|source| LookupError::LeaderBySequence {
                    stream: stream.name(),
                    source,
                })?
                .payload
        }
        Err(source) => {
            return Err(LookupError::Read {
                stream: stream.name(),
                source,
            })
        }
    };
    Event::from_json(&payload).map_err(|source| LookupError::NotAnEvent {
        stream: stream.name(),
        sequence,
        source,
    })
}
