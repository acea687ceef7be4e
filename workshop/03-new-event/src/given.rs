//! What the exercise gives you, as the rest of the system would: read it, no need to
//! change it. (`src/lib.rs` is the file to work in.)

use crate::{PostDeleted, ReadModel};
use contract::views::PostView;
use contract::{CommentId, Event, EventType, PostId, StreamDef};
use serde::{Deserialize, Serialize};

/// What a reader of the streams gets: one of the contract's events, or one of the two new
/// ones (the check decodes each stored message into one of these).
#[derive(Clone, Debug, PartialEq)]
pub enum Fact {
    Known(Event),
    PostDeleted(PostDeleted),
    CommentDeleted(CommentDeleted),
}

/// The compensating event: this comment went with its post. Comments publishes it, so its
/// own stream says the comment is gone, for every reader of COMMENTS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentDeleted {
    pub id: CommentId,
    pub post_id: PostId,
}

/// Its event type, the model for PIECE 1: a past-tense name, and the owner's stream.
pub const COMMENT_DELETED: EventType = EventType {
    name: "CommentDeleted",
    stream: StreamDef::Comments,
};

impl ReadModel {
    /// What query answers for one post: its view, if it is shown.
    pub fn post(&self, id: PostId) -> Option<PostView> {
        let title = self.titles.get(&id)?.clone();
        let comments = self
            .comments
            .get(&id)
            .map(|c| c.values().cloned().collect());
        Some(PostView {
            id,
            title,
            comments: comments.unwrap_or_default(),
        })
    }

    /// What query answers for `GET /posts`: every post shown, oldest first.
    pub fn posts(&self) -> Vec<PostView> {
        self.titles.keys().filter_map(|id| self.post(*id)).collect()
    }
}
