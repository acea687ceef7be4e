//! "Does this post exist?" — asked of the POSTS stream itself.
//!
//! The subject of a post's creation names the post (`posts.PostCreated.<id>`), so JetStream
//! can answer with a direct get of the last message on that subject: one small request, and
//! always up to date — a post created a millisecond ago by the posts service is already
//! there, which a local copy of the stream could still be missing. Posts are never deleted,
//! so a post found once is remembered and not asked about again.

use async_nats::jetstream::{self, stream::DirectGetErrorKind};
use bus::{PostId, StreamDef};
use parking_lot::RwLock;
use std::collections::HashSet;
use std::sync::Arc;

#[derive(Clone)]
pub struct PostDirectory {
    js: jetstream::Context,
    known: Arc<RwLock<HashSet<PostId>>>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot ask the POSTS stream: {0}")]
pub struct LookupError(String);

impl PostDirectory {
    pub fn new(js: jetstream::Context) -> PostDirectory {
        PostDirectory { js, known: Arc::default() }
    }

    pub async fn exists(&self, post: PostId) -> Result<bool, LookupError> {
        if self.known.read().contains(&post) {
            return Ok(true);
        }
        let stream = self
            .js
            .get_stream_no_info(StreamDef::Posts.name())
            .await
            .map_err(|e| LookupError(e.to_string()))?;
        let subject = StreamDef::Posts.subject("PostCreated", &post.to_string());
        match stream.direct_get_last_for_subject(subject).await {
            Ok(_) => {
                self.known.write().insert(post);
                Ok(true)
            }
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(false),
            Err(e) => Err(LookupError(e.to_string())),
        }
    }
}
