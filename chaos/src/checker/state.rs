//! What the checker is given about the system after the run: its views (each a list of
//! posts and comments) and what the streams hold.

use std::collections::HashMap;
use std::time::Duration;

/// One view of the system's data, as a list of posts and comments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub name: String,
    /// Whether this view holds posts, comments, or both.
    pub holds: Holds,
    pub posts: Vec<PostEntry>,
    pub comments: Vec<CommentEntry>,
    /// A query instance's read model: compared with the other instances'.
    pub is_read_model: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Holds {
    #[default]
    Both,
    Posts,
    Comments,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PostEntry {
    pub id: String,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CommentEntry {
    pub id: String,
    pub post_id: String,
    pub content: String,
    pub status: String,
}

/// What the streams hold, beside what is created (which becomes the "streams" view).
#[derive(Clone, Debug, Default)]
pub struct StreamFacts {
    pub posts_created: Vec<PostEntry>,
    /// Status `pending`, as created.
    pub comments_created: Vec<CommentEntry>,
    /// `CommentModerated`: comment id and decided status.
    pub moderated: Vec<(String, String)>,
    /// `CommentUpdated`: comment id, status, version.
    pub updated: Vec<(String, String, u64)>,
}

/// Everything observed after the run.
#[derive(Clone, Debug, Default)]
pub struct FinalState {
    pub views: Vec<View>,
    pub streams: StreamFacts,
    /// Time from the last fault (or last write) to a quiet, settled system; `None` if it
    /// never settled before the deadline.
    pub converged: Option<Duration>,
    /// Processes that exited although no fault stopped them.
    pub crashes: Vec<String>,
}

/// The streams as one more view: posts and comments as created, each comment with the
/// status of its newest `CommentUpdated` (or `pending` without one).
pub fn streams_view(facts: &StreamFacts) -> View {
    let mut newest: HashMap<&str, (u64, &str)> = HashMap::new();
    for (id, status, version) in &facts.updated {
        let entry = newest.entry(id).or_insert((*version, status));
        if *version > entry.0 {
            *entry = (*version, status);
        }
    }
    let comments = facts
        .comments_created
        .iter()
        .map(|c| CommentEntry {
            status: newest
                .get(c.id.as_str())
                .map_or("pending", |(_, s)| s)
                .to_owned(),
            ..c.clone()
        })
        .collect();
    View {
        name: "streams".into(),
        holds: Holds::Both,
        posts: facts.posts_created.clone(),
        comments,
        is_read_model: false,
    }
}
