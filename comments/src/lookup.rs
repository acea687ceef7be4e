//! "Does this post exist? Does this comment?" — asked of the streams themselves.
//!
//! The subject of an entity's creation names it (`posts.PostCreated.<id>`), so JetStream can
//! answer with a direct get of the last message on that subject: one small request, and
//! always up to date. A post created a millisecond ago by the posts service is already
//! there, which a local copy of the stream could still be missing. Posts are never deleted,
//! so a post found once is remembered and not asked about again.

use async_nats::connection::State;
use async_nats::jetstream::{self, stream::DirectGetErrorKind};
use bus::{CommentId, Event, PostId, StreamDef};
use parking_lot::RwLock;
use std::collections::HashSet;
use std::sync::Arc;

#[derive(Clone)]
pub struct Lookup {
    js: jetstream::Context,
    known_posts: Arc<RwLock<HashSet<PostId>>>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot ask the stream: {0}")]
pub struct LookupError(String);

impl Lookup {
    pub fn new(js: jetstream::Context) -> Lookup {
        Lookup { js, known_posts: Arc::default() }
    }

    pub async fn post_exists(&self, post: PostId) -> Result<bool, LookupError> {
        if self.known_posts.read().contains(&post) {
            return Ok(true);
        }
        let found = self.has_event(StreamDef::Posts, "PostCreated", &post.to_string()).await?;
        if found {
            self.known_posts.write().insert(post);
        }
        Ok(found)
    }

    /// The comment's `CommentCreated` event, if the stream holds one.
    pub async fn comment_created(&self, comment: CommentId) -> Result<Option<Event>, LookupError> {
        let found = self.last_event(StreamDef::Comments, "CommentCreated", &comment.to_string()).await?;
        Ok(found.and_then(|payload| Event::from_json(&payload).ok()))
    }

    /// Whether `stream` holds a `event_type` event about `entity`.
    async fn has_event(&self, stream: StreamDef, event_type: &str, entity: &str) -> Result<bool, LookupError> {
        Ok(self.last_event(stream, event_type, entity).await?.is_some())
    }

    /// The payload of the last `event_type` event about `entity` in `stream`.
    async fn last_event(
        &self,
        stream: StreamDef,
        event_type: &str,
        entity: &str,
    ) -> Result<Option<bytes::Bytes>, LookupError> {
        // While disconnected the request would only time out; say so at once.
        if self.js.client().connection_state() != State::Connected {
            return Err(LookupError("not connected to nats-server".into()));
        }
        let handle = self
            .js
            .get_stream_no_info(stream.name())
            .await
            .map_err(|e| LookupError(e.to_string()))?;
        match handle.direct_get_last_for_subject(stream.subject(event_type, entity)).await {
            Ok(message) => Ok(Some(message.payload)),
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(None),
            Err(e) => Err(LookupError(e.to_string())),
        }
    }
}
