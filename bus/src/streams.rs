//! The three streams' configuration. Their names and subjects are part of the wire contract
//! ([`contract::names::StreamDef`]); how JetStream stores them lives here and only here, and
//! [`crate::provision`] creates them from it.

use async_nats::jetstream::{self, stream};
use std::time::Duration;

/// How long JetStream remembers a `Nats-Msg-Id` to drop a re-publish of the same event.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

pub use contract::names::StreamDef;

/// A stream's configuration: file storage, history kept forever (the streams are the system
/// of record), a two-minute duplicate window.
pub fn config(stream: StreamDef, replicas: usize) -> stream::Config {
    stream::Config {
        name: stream.name().to_owned(),
        subjects: vec![format!("{}.>", stream.prefix())],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        duplicate_window: DUPLICATE_WINDOW,
        num_replicas: replicas,
        // Lets a service look up "the last event on this subject" cheaply, e.g. comments
        // asking whether a post exists.
        allow_direct: true,
        ..Default::default()
    }
}

/// Creates the given streams if they do not exist yet. Idempotent. Needs a user allowed to
/// create streams (`admin`): see [`crate::provision`].
pub async fn ensure(
    js: &jetstream::Context,
    streams: &[StreamDef],
    replicas: usize,
) -> Result<(), jetstream::context::CreateStreamError> {
    for def in streams {
        js.get_or_create_stream(config(*def, replicas)).await?;
    }
    Ok(())
}
