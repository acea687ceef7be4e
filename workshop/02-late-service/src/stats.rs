//! The counts, folded from events. Counting each comment's *latest* status (not each
//! decision event) keeps the fold idempotent: an event applied twice changes nothing.

use contract::{CommentStatus, Event, EventBody, PostId};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What `GET /stats` answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub posts: u64,
    pub comments: u64,
    pub approved: u64,
    pub rejected: u64,
    /// Per post (by id): comments, approved, rejected.
    pub per_post: BTreeMap<PostId, PostCounts>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PostCounts {
    pub comments: u64,
    pub approved: u64,
    pub rejected: u64,
}

#[derive(Debug, Default)]
pub struct Stats {
    posts: BTreeMap<PostId, ()>,
    /// Each comment's post, status and version (0 when created).
    comments: HashMap<contract::CommentId, (PostId, CommentStatus, u64)>,
}

impl Stats {
    pub fn apply(&mut self, event: &Event) {
        match &event.body {
            EventBody::PostCreated(post) => {
                self.posts.insert(post.id, ());
            }
            EventBody::CommentCreated(c) => {
                self.comments
                    .entry(c.id)
                    .or_insert((c.post_id, c.status, 0));
            }
            EventBody::CommentUpdated(u) => {
                let known = self.comments.get(&u.id).map(|(_, _, version)| *version);
                if known.is_none_or(|version| u.version > version) {
                    self.comments.insert(u.id, (u.post_id, u.status, u.version));
                }
            }
            EventBody::CommentModerated(_) => {}
        }
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts {
            posts: self.posts.len() as u64,
            ..Counts::default()
        };
        for (post, status, _) in self.comments.values() {
            let per_post = counts.per_post.entry(*post).or_default();
            counts.comments += 1;
            per_post.comments += 1;
            match status {
                CommentStatus::Approved => {
                    counts.approved += 1;
                    per_post.approved += 1;
                }
                CommentStatus::Rejected => {
                    counts.rejected += 1;
                    per_post.rejected += 1;
                }
                CommentStatus::Pending => {}
            }
        }
        counts
    }
}
