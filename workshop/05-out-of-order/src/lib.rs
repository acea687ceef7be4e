//! Exercise 05 — out of order. (Read `workshop/05-out-of-order/README.md` first.)
//!
//! A projection of comments, built by applying events one by one. This version trusts the
//! order they arrive in: whatever arrives last wins. JetStream delivers at least once, and a
//! reader may read one stream in parts side by side (query replays a long history that way),
//! so the order you get is not the order things happened in. Make [`Board::apply`] reach the same state whatever the order and
//! however often an event comes.
//!
//! Only this file is yours to change. `make check EX=05` runs the checks in
//! `tests/check.rs`.

use contract::{CommentId, CommentStatus, Event, EventBody};
use std::collections::BTreeMap;

/// What the board shows of one comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub content: String,
    pub status: CommentStatus,
}

/// Every comment the board knows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Board {
    comments: BTreeMap<CommentId, Shown>,
}

impl Board {
    pub fn get(&self, id: CommentId) -> Option<&Shown> {
        self.comments.get(&id)
    }

    pub fn len(&self) -> usize {
        self.comments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.comments.is_empty()
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &Event) {
        match &event.body {
            EventBody::CommentCreated(created) => {
                self.comments.insert(
                    created.id,
                    Shown {
                        content: created.content.clone(),
                        status: created.status,
                    },
                );
            }
            EventBody::CommentUpdated(updated) => {
                // Trusts that the comment was created first, and that this update is newer
                // than anything seen before.
                if let Some(shown) = self.comments.get_mut(&updated.id) {
                    shown.status = updated.status;
                }
            }
            EventBody::PostCreated(_) | EventBody::CommentModerated(_) => {}
        }
    }
}
