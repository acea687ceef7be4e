//! The three streams. One per owning service; the subject names the event type and the
//! entity, e.g. `comments.CommentCreated.<commentId>`. Their configuration lives here and
//! only here; [`crate::provision`] creates them from it.

use async_nats::jetstream::{self, stream};
use std::time::Duration;

/// How long JetStream remembers a `Nats-Msg-Id` to drop a re-publish of the same event.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamDef {
    Posts,
    Comments,
    Moderation,
}

impl StreamDef {
    pub const ALL: [StreamDef; 3] = [StreamDef::Posts, StreamDef::Comments, StreamDef::Moderation];

    pub fn name(self) -> &'static str {
        match self {
            StreamDef::Posts => "POSTS",
            StreamDef::Comments => "COMMENTS",
            StreamDef::Moderation => "MODERATION",
        }
    }

    /// The first subject token, which is also the owning service's name.
    pub fn prefix(self) -> &'static str {
        match self {
            StreamDef::Posts => "posts",
            StreamDef::Comments => "comments",
            StreamDef::Moderation => "moderation",
        }
    }

    /// The CloudEvents `source` of events in this stream.
    pub fn source(self) -> &'static str {
        match self {
            StreamDef::Posts => "/posts",
            StreamDef::Comments => "/comments",
            StreamDef::Moderation => "/moderation",
        }
    }

    pub fn subject(self, event_type: &str, entity_id: &str) -> String {
        format!("{}.{event_type}.{entity_id}", self.prefix())
    }

    /// All subjects of one event type, for a consumer filter: `comments.CommentCreated.>`.
    pub fn subjects_of(self, event_type: &str) -> String {
        format!("{}.{event_type}.>", self.prefix())
    }

    /// The stream's configuration: file storage, history kept forever (the streams are the
    /// system of record), a two-minute duplicate window.
    pub fn config(self, replicas: usize) -> stream::Config {
        stream::Config {
            name: self.name().to_owned(),
            subjects: vec![format!("{}.>", self.prefix())],
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
}

/// Creates the given streams if they do not exist yet. Idempotent. Needs a user allowed to
/// create streams (`admin`): see [`crate::provision`].
pub async fn ensure(
    js: &jetstream::Context,
    streams: &[StreamDef],
    replicas: usize,
) -> Result<(), jetstream::context::CreateStreamError> {
    for def in streams {
        js.get_or_create_stream(def.config(replicas)).await?;
    }
    Ok(())
}
