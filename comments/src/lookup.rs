//! "Does this post exist? What does the stream hold about this comment?" — asked of the
//! streams themselves (see [`bus::lookup`]).
//!
//! The subject of an entity's creation names it (`posts.PostCreated.<id>`), so JetStream can
//! answer with a direct get of the last message on that subject. A post created a
//! millisecond ago by the posts service is already there, which a local copy of the stream
//! could still be missing. Posts are never deleted, so a post found once is remembered and
//! not asked about again.

use bus::lookup::{last_event, last_on_subject, LookupError};
use bus::{CommentId, Event, PostId, Publisher, StreamDef};
use parking_lot::RwLock;
use std::collections::HashSet;
use std::sync::Arc;

#[derive(Clone)]
pub struct Lookup {
    /// Its JetStream context (the publisher's: shared, so cloning a lookup is cheap).
    publisher: Publisher,
    known_posts: Arc<RwLock<HashSet<PostId>>>,
}

impl Lookup {
    pub fn new(publisher: Publisher) -> Lookup {
        Lookup {
            publisher,
            known_posts: Arc::default(),
        }
    }

    pub async fn post_exists(&self, post: PostId) -> Result<bool, LookupError> {
        if self.known_posts.read().contains(&post) {
            return Ok(true);
        }
        let subject = StreamDef::Posts.subject("PostCreated", &post.to_string());
        let found = last_on_subject(self.publisher.jetstream(), StreamDef::Posts, subject)
            .await?
            .is_some();
        if found {
            self.known_posts.write().insert(post);
        }
        Ok(found)
    }

    /// The comment's `CommentCreated` event, if the stream holds one.
    pub async fn comment_created(&self, comment: CommentId) -> Result<Option<Event>, LookupError> {
        last_event(
            self.publisher.jetstream(),
            StreamDef::Comments,
            "CommentCreated",
            &comment.to_string(),
        )
        .await
    }

    /// The comment's latest `CommentUpdated` event, if it has been updated at all.
    pub async fn latest_update(&self, comment: CommentId) -> Result<Option<Event>, LookupError> {
        last_event(
            self.publisher.jetstream(),
            StreamDef::Comments,
            "CommentUpdated",
            &comment.to_string(),
        )
        .await
    }
}
