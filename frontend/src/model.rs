//! What the page shows, as plain data: the posts with their comments, and the pure rules
//! for folding what query sends (and what the user just wrote) into it.
//!
//! Nothing here touches the browser, so it is all tested on the host.
//!
//! Two sources feed the list:
//!
//! - **query**, the only source of truth for reads: a `snapshot` (the whole list) on every
//!   (re)connect, then one `post` at a time as the read model changes;
//! - **the user's own writes**: posts and comments answers 201 before query has seen the
//!   event, so a just-written item is shown at once, marked `unconfirmed`, and kept until
//!   query's version of it arrives. Without that, a snapshot or a `post` event that was
//!   computed a moment before the write would make the new item blink out and back in.
//!
//! The recovery lab's data lives beside it: [`system`] (query's `/system` view: services,
//! streams, backlogs, dead letters), [`redrive`] (a dead letter's automatic retries, and
//! what a comment whose moderation gave up says), [`timeline`] (one comment's event
//! history), [`tape`] (a stream's messages with the consumers' cursors among them) and
//! [`time`] (how times and durations are written on the page). And
//! [`submit_key`]: one idempotency key per submit, reused when that submit is retried.

pub mod board;
pub mod health;
pub mod redrive;
pub mod submit_key;
pub mod system;
pub mod tape;
pub mod time;
pub mod timeline;

use contract::views::{CommentView, PagedPost, PostView};
use redrive::ModerationIssue;

/// How the page's link to one of query's live streams is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Before the first event.
    Connecting,
    /// An event arrived on the current connection.
    Live,
    /// The last connection failed or dropped; a retry is under way.
    Down,
}

/// A comment's moderation state: the wire contract's.
pub use contract::CommentStatus as Status;

/// How the page names a status.
pub trait StatusName {
    /// The lowercase name, for CSS classes and `data-status` attributes.
    fn name(self) -> &'static str;
}

impl StatusName for Status {
    fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }
}

/// A comment as the page shows it: query's view of it, and whether query has sent it yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub id: String,
    pub content: String,
    pub status: Status,
    /// Why it is stuck pending, when moderation gave up on it (query sends it then only).
    pub moderation: Option<ModerationIssue>,
    /// Written from this page and not yet seen in anything query sent.
    pub unconfirmed: bool,
}

impl From<CommentView> for Comment {
    fn from(view: CommentView) -> Comment {
        Comment {
            id: view.id.to_string(),
            content: view.content,
            status: view.status,
            moderation: view.moderation,
            unconfirmed: false,
        }
    }
}

impl Comment {
    /// What the page shows for this comment. Only an approved comment shows its content, as
    /// in the original course: a rejected one must not leak, and a pending one is not yet
    /// known to be acceptable.
    pub fn display_text(&self) -> &str {
        match self.status {
            Status::Approved => &self.content,
            Status::Pending => "This comment is awaiting moderation",
            Status::Rejected => "This comment has been rejected",
        }
    }
}

/// A post as the page shows it: query's view of it, and whether query has sent it yet. Ids
/// are kept as text, the form the page compares, sorts and puts in the DOM.
#[derive(Clone, Debug, PartialEq)]
pub struct Post {
    pub id: String,
    pub title: String,
    /// The comments shown, oldest first: the newest, and the older ones the reader asked for.
    pub comments: Vec<Comment>,
    /// How many comments query knows the post has (more than shown when some are older).
    pub comment_count: usize,
    /// Where the older comments continue (the `before` of their page), if any are left.
    pub older_comments: Option<String>,
    /// Created from this page and not yet seen in anything query sent.
    pub unconfirmed: bool,
}

impl From<PostView> for Post {
    fn from(view: PostView) -> Post {
        Post {
            id: view.id.to_string(),
            title: view.title,
            comment_count: view.comments.len(),
            comments: view.comments.into_iter().map(Comment::from).collect(),
            older_comments: None,
            unconfirmed: false,
        }
    }
}

impl From<PagedPost> for Post {
    fn from(view: PagedPost) -> Post {
        Post {
            id: view.id.to_string(),
            title: view.title,
            comments: view.comments.into_iter().map(Comment::from).collect(),
            comment_count: view.comment_count,
            older_comments: view.older_comments.map(|id| id.to_string()),
            unconfirmed: false,
        }
    }
}

impl Post {
    /// How many older comments are not shown yet.
    pub fn comments_not_shown(&self) -> usize {
        let confirmed = self.comments.iter().filter(|c| !c.unconfirmed).count();
        self.comment_count.saturating_sub(confirmed)
    }
}

pub use board::Board;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A confirmed comment with text made from its id (the board's tests use it too).
    pub(crate) fn comment(id: &str, status: Status) -> Comment {
        Comment {
            id: id.into(),
            content: format!("text of {id}"),
            status,
            moderation: None,
            unconfirmed: false,
        }
    }

    #[test]
    fn each_status_has_its_text_and_only_approved_shows_content() {
        let mut c = comment("c1", Status::Approved);
        c.content = "<b>hello</b>".into();
        assert_eq!(c.display_text(), "<b>hello</b>");
        c.status = Status::Pending;
        assert_eq!(c.display_text(), "This comment is awaiting moderation");
        c.status = Status::Rejected;
        assert_eq!(c.display_text(), "This comment has been rejected");
    }

    #[test]
    fn decodes_query_json_and_rejects_an_unknown_status() {
        let json = r#"[{"id":"01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c01","title":"Hi","comments":[
            {"id":"01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c02","content":"x","status":"approved"}]}]"#;
        let views: Vec<PostView> = serde_json::from_str(json).expect("valid");
        let posts: Vec<Post> = views.into_iter().map(Post::from).collect();
        assert_eq!(posts[0].id, "01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c01");
        assert_eq!(posts[0].comments[0].status, Status::Approved);
        assert!(!posts[0].comments[0].unconfirmed);
        assert_eq!(posts[0].comments[0].moderation, None);
        let stuck = r#"{"id":"01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c02","content":"x","status":"pending","moderation":{"gaveUp":true,
            "deadLetter":4,"consumer":"moderation","error":"boom","state":"exhausted","retries":3,"maxRetries":3}}"#;
        let stuck = Comment::from(serde_json::from_str::<CommentView>(stuck).expect("valid"));
        assert_eq!(
            stuck.moderation.map(|m| (m.dead_letter, m.redrive.retries)),
            Some((4, 3))
        );
        let odd = r#"{"id":"01937c4e-7f3a-7cc2-b2a5-3f1e6a1d9c02","content":"x","status":"maybe"}"#;
        assert!(serde_json::from_str::<CommentView>(odd).is_err());
    }
}
