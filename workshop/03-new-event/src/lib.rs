//! Exercise 03 — a new event end to end. (Read `workshop/03-new-event/README.md` first.)
//!
//! A post can now be deleted, and its comments go with it. A new event touches every
//! layer: each is one `PIECE` below, which starts out doing nothing, and its doc comment
//! names the real code that plays its role. Do them in order. `given.rs` holds the rest.
//!
//! Only this file is yours to change. `make check EX=03` runs the pieces against a real
//! nats-server, as the services would.

mod given;

pub use given::{CommentDeleted, Fact, COMMENT_DELETED};

use contract::views::{CommentView, PostView};
use contract::{CommentId, EventBody, EventId, EventType, PostId, StreamDef};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The new event's data, shaped like the contract's (`contract/src/events/mod.rs`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostDeleted {
    pub id: PostId,
}

/// PIECE 1 — the contract (`contract/src/events/types.rs`): the new event type's name (the
/// CloudEvents `type`, and the subject's middle token) and the stream of its owner.
pub const POST_DELETED: EventType = EventType {
    name: "",                    // to do
    stream: StreamDef::Comments, // wrong on purpose (a field must hold something): to do
};

/// PIECE 2 — the owner (posts: `posts/src/routes.rs` decides, on the state it replays from
/// POSTS). Given POSTS's history, the deletion of post `id`, if it should happen.
pub fn delete(history: &[Fact], id: PostId) -> Option<PostDeleted> {
    let _ = (history, id);
    None
}

/// PIECE 3 — the compensation (comments: `comments/src/consumer.rs`). For the deletion
/// event `cause`, a `CommentDeleted` for each of the post's `comments`, with its event id.
pub fn compensate(
    cause: EventId,
    deleted: &PostDeleted,
    comments: &[CommentId],
) -> Vec<(EventId, CommentDeleted)> {
    let _ = (cause, deleted, comments);
    Vec::new()
}

/// PIECE 4 — the read model (query: `query/src/projection.rs`): posts and their comments,
/// folded in whatever order the two streams deliver them.
#[derive(Debug, Default)]
pub struct ReadModel {
    titles: BTreeMap<PostId, String>,
    comments: BTreeMap<PostId, BTreeMap<CommentId, CommentView>>,
}

impl ReadModel {
    /// Applies one fact; returns the post whose view changed, for query to announce.
    pub fn apply(&mut self, fact: &Fact) -> Option<PostId> {
        match fact {
            Fact::Known(event) => match &event.body {
                EventBody::PostCreated(post) => {
                    self.titles.insert(post.id, post.title.clone());
                    Some(post.id)
                }
                EventBody::CommentCreated(c) => {
                    let (id, content, status) = (c.id, c.content.clone(), c.status);
                    let view = CommentView {
                        id,
                        content,
                        status,
                        moderation: None,
                    };
                    self.comments.entry(c.post_id).or_default().insert(id, view);
                    Some(c.post_id)
                }
                // Moderation's outcome, and versions: exercise 05.
                EventBody::CommentModerated(_) | EventBody::CommentUpdated(_) => None,
            },
            Fact::PostDeleted(_) | Fact::CommentDeleted(_) => None,
        }
    }
}

/// PIECE 5 — the web client (`frontend/src/model/board.rs`, `merge_post`). Query announces
/// each post whose view changed, with its view now; a deleted post has none.
pub fn show(page: &mut BTreeMap<PostId, PostView>, changed: PostId, view: Option<PostView>) {
    if let Some(view) = view {
        page.insert(changed, view);
    }
}
