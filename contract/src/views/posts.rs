//! The read model: `GET /posts`, `GET /posts/{id}`, `/posts/events`.

use crate::events::CommentStatus;
use crate::ids::{CommentId, PostId};
use serde::{Deserialize, Serialize};

use super::Redrive;

/// The server-sent events of `/posts/events`: a snapshot (every post) on each (re)connect,
/// then one post per change.
pub const LIVE_SNAPSHOT: &str = "snapshot";
pub const LIVE_POST: &str = "post";
/// With `?limit=N`, `/posts/events` sends the first page instead of a snapshot (a
/// [`PostsPage`]), then one changed post at a time as a page shows it (a [`PagedPost`]).
pub const LIVE_PAGE: &str = "page";
/// Sent every few seconds on a quiet stream, so a client can tell it from a hung server.
pub const LIVE_PING: &str = "ping";
/// The server-sent event of `/system/events`: the whole system view.
pub const LIVE_SYSTEM: &str = "system";

/// A post with its comments, oldest comment first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostView {
    pub id: PostId,
    pub title: String,
    #[serde(default)]
    pub comments: Vec<CommentView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommentView {
    pub id: CommentId,
    pub content: String,
    pub status: CommentStatus,
    /// Why a pending comment is stuck, if its moderation was dead-lettered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderation: Option<ModerationIssue>,
}

/// Why a pending comment is stuck: the dead letter about its moderation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModerationIssue {
    /// Always true: moderation (or applying its decision) gave up on this comment.
    #[serde(default)]
    pub gave_up: bool,
    /// The dead letter, as `/system` lists it (its id is what a Retry refers to).
    pub dead_letter: u64,
    /// Who gave up: `moderation` (deciding) or `comments` (applying the decision).
    #[serde(default)]
    pub consumer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Automatic retries: done, the bound, and when the next is due.
    #[serde(flatten)]
    pub redrive: Redrive,
}

/// One page of `GET /posts?limit=N&after=<post id>`: the newest posts first, each with
/// only its newest comments. `next` is the `after` of the following page (`null` on the
/// last). Post ids are time-ordered, so a cursor stays valid however many posts arrive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostsPage {
    pub posts: Vec<PagedPost>,
    pub next: Option<PostId>,
}

/// A post with one page of its comments — its newest, or those before a cursor
/// (`GET /posts/{id}?limit=N&before=<comment id>`) — oldest first, like [`PostView`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PagedPost {
    pub id: PostId,
    pub title: String,
    pub comments: Vec<CommentView>,
    /// How many comments the post has in all.
    pub comment_count: usize,
    /// The `before` that pages to the older comments (the oldest one shown), or `null`
    /// when none are older.
    pub older_comments: Option<CommentId>,
}
