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
//! history) and [`time`] (how times and durations are written on the page). And
//! [`submit_key`]: one idempotency key per submit, reused when that submit is retried.

pub mod redrive;
pub mod submit_key;
pub mod system;
pub mod time;
pub mod timeline;

use contract::views::{CommentView, PostView};
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
    pub comments: Vec<Comment>,
    /// Created from this page and not yet seen in anything query sent.
    pub unconfirmed: bool,
}

impl From<PostView> for Post {
    fn from(view: PostView) -> Post {
        Post {
            id: view.id.to_string(),
            title: view.title,
            comments: view.comments.into_iter().map(Comment::from).collect(),
            unconfirmed: false,
        }
    }
}

/// Every post the page knows, oldest first.
///
/// Ids are uuid v7 strings, whose text order is their time order, so "oldest first" is
/// "sorted by id" and an incoming post finds its place by a binary search.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Board {
    posts: Vec<Post>,
    /// Whether query's state has arrived at least once (to tell "loading" from "no posts").
    loaded: bool,
}

impl Board {
    pub fn posts(&self) -> &[Post] {
        &self.posts
    }

    pub fn post(&self, id: &str) -> Option<&Post> {
        self.position(id).ok().map(|i| &self.posts[i])
    }

    pub fn ids(&self) -> Vec<String> {
        self.posts.iter().map(|p| p.id.clone()).collect()
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// Takes query's whole state (its `snapshot` event, sent on every (re)connect).
    ///
    /// Query's list wins, except for this page's own writes that it does not have yet: they
    /// are kept, since the write was acknowledged and query will send them shortly.
    pub fn replace_all(&mut self, snapshot: Vec<Post>) {
        let old = std::mem::take(&mut self.posts);
        self.posts = snapshot;
        self.posts.sort_by(|a, b| a.id.cmp(&b.id));
        self.posts.dedup_by(|a, b| a.id == b.id);
        for old_post in old {
            match self.position(&old_post.id) {
                Ok(i) => keep_unconfirmed_comments(&mut self.posts[i], old_post),
                Err(i) if old_post.unconfirmed => self.posts.insert(i, old_post),
                Err(_) => {}
            }
        }
        self.loaded = true;
    }

    /// Takes one post from query (its `post` event): it replaces the post with that id, or
    /// is inserted in order.
    pub fn merge_post(&mut self, mut incoming: Post) {
        incoming.unconfirmed = false;
        incoming.comments.sort_by(|a, b| a.id.cmp(&b.id));
        match self.position(&incoming.id) {
            Ok(i) => {
                let old = std::mem::replace(&mut self.posts[i], incoming);
                keep_unconfirmed_comments(&mut self.posts[i], old);
            }
            Err(i) => self.posts.insert(i, incoming),
        }
    }

    /// Shows a post this page just created. If query already sent it (its event can beat
    /// the HTTP answer), query's version stays.
    pub fn add_own_post(&mut self, id: String, title: String) {
        if let Err(i) = self.position(&id) {
            let post = Post {
                id,
                title,
                comments: Vec::new(),
                unconfirmed: true,
            };
            self.posts.insert(i, post);
        }
    }

    /// Shows a comment this page just wrote, as pending. If query already sent it — perhaps
    /// already moderated — query's version stays: a late HTTP answer must not turn an
    /// approved comment back into a pending one.
    pub fn add_own_comment(&mut self, post_id: &str, id: String, content: String) {
        let Ok(i) = self.position(post_id) else {
            return;
        };
        let comments = &mut self.posts[i].comments;
        if let Err(at) = comments.binary_search_by(|c| c.id.as_str().cmp(&id)) {
            let comment = Comment {
                id,
                content,
                status: Status::Pending,
                moderation: None,
                unconfirmed: true,
            };
            comments.insert(at, comment);
        }
    }

    fn position(&self, id: &str) -> Result<usize, usize> {
        self.posts.binary_search_by(|p| p.id.as_str().cmp(id))
    }
}

/// Carries over into `new` the comments of `old` that this page wrote and `new` lacks.
fn keep_unconfirmed_comments(new: &mut Post, old: Post) {
    let missing: Vec<Comment> = old
        .comments
        .into_iter()
        .filter(|c| c.unconfirmed && !new.comments.iter().any(|n| n.id == c.id))
        .collect();
    if !missing.is_empty() {
        new.comments.extend(missing);
        new.comments.sort_by(|a, b| a.id.cmp(&b.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: &str, status: Status) -> Comment {
        Comment {
            id: id.into(),
            content: format!("text of {id}"),
            status,
            moderation: None,
            unconfirmed: false,
        }
    }

    fn post(id: &str, comments: Vec<Comment>) -> Post {
        Post {
            id: id.into(),
            title: format!("title of {id}"),
            comments,
            unconfirmed: false,
        }
    }

    fn ids(board: &Board) -> Vec<&str> {
        board.posts().iter().map(|p| p.id.as_str()).collect()
    }

    fn comment_ids(board: &Board, post: &str) -> Vec<String> {
        board
            .post(post)
            .map(|p| p.comments.iter().map(|c| c.id.clone()).collect())
            .unwrap_or_default()
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

    #[test]
    fn a_snapshot_is_sorted_oldest_first_and_marks_the_board_loaded() {
        let mut board = Board::default();
        assert!(!board.is_loaded());
        board.replace_all(vec![
            post("b", vec![]),
            post("a", vec![]),
            post("c", vec![]),
        ]);
        assert_eq!(ids(&board), ["a", "b", "c"]);
        assert!(board.is_loaded());
    }

    #[test]
    fn a_post_event_replaces_the_post_with_its_id() {
        let mut board = Board::default();
        board.replace_all(vec![
            post("a", vec![comment("c1", Status::Pending)]),
            post("b", vec![]),
        ]);
        board.merge_post(post("a", vec![comment("c1", Status::Approved)]));
        assert_eq!(ids(&board), ["a", "b"]);
        assert_eq!(
            board.post("a").map(|p| p.comments[0].status),
            Some(Status::Approved)
        );
    }

    #[test]
    fn a_post_event_for_a_new_id_is_inserted_in_order() {
        let mut board = Board::default();
        board.replace_all(vec![post("a", vec![]), post("c", vec![])]);
        board.merge_post(post("b", vec![]));
        board.merge_post(post("d", vec![]));
        board.merge_post(post("0", vec![]));
        assert_eq!(ids(&board), ["0", "a", "b", "c", "d"]);
    }

    #[test]
    fn own_comment_shows_at_once_as_pending_and_survives_an_older_post_event() {
        let mut board = Board::default();
        board.replace_all(vec![post("a", vec![comment("c1", Status::Approved)])]);
        board.add_own_comment("a", "c2".into(), "mine".into());
        let mine = board.post("a").map(|p| p.comments[1].clone());
        assert_eq!(
            mine.map(|c| (c.status, c.unconfirmed)),
            Some((Status::Pending, true))
        );

        // Query sends post "a" as it was before it saw c2 (say, c1 edited): c2 stays.
        board.merge_post(post("a", vec![comment("c1", Status::Rejected)]));
        assert_eq!(comment_ids(&board, "a"), ["c1", "c2"]);

        // Query's own version of c2 takes over.
        board.merge_post(post(
            "a",
            vec![
                comment("c1", Status::Rejected),
                comment("c2", Status::Approved),
            ],
        ));
        let c2 = board.post("a").map(|p| p.comments[1].clone());
        assert_eq!(
            c2.map(|c| (c.status, c.unconfirmed)),
            Some((Status::Approved, false))
        );

        // Once confirmed, query alone decides: a later event without it would remove it.
        board.merge_post(post("a", vec![comment("c1", Status::Rejected)]));
        assert_eq!(comment_ids(&board, "a"), ["c1"]);
    }

    #[test]
    fn a_late_http_answer_never_downgrades_what_query_sent() {
        let mut board = Board::default();
        board.replace_all(vec![post("a", vec![comment("c1", Status::Approved)])]);
        board.add_own_comment("a", "c1".into(), "text of c1".into());
        let c1 = board.post("a").map(|p| p.comments[0].clone());
        assert_eq!(
            c1.map(|c| (c.status, c.unconfirmed)),
            Some((Status::Approved, false))
        );
        assert_eq!(comment_ids(&board, "a"), ["c1"]);
    }

    #[test]
    fn own_post_survives_a_snapshot_that_predates_it_and_is_then_confirmed() {
        let mut board = Board::default();
        board.replace_all(vec![post("a", vec![])]);
        board.add_own_post("b".into(), "mine".into());
        board.add_own_comment("b", "c9".into(), "first!".into());
        board.replace_all(vec![post("a", vec![])]);
        assert_eq!(ids(&board), ["a", "b"]);
        assert_eq!(comment_ids(&board, "b"), ["c9"]);

        board.replace_all(vec![
            post("a", vec![]),
            post("b", vec![comment("c9", Status::Pending)]),
        ]);
        assert_eq!(board.post("b").map(|p| p.unconfirmed), Some(false));
        // Confirmed posts that vanish from a snapshot go (query is the source of truth).
        board.replace_all(vec![post("b", vec![])]);
        assert_eq!(ids(&board), ["b"]);
    }

    #[test]
    fn own_post_does_not_replace_what_query_already_sent() {
        let mut board = Board::default();
        board.merge_post(post("a", vec![comment("c1", Status::Pending)]));
        board.add_own_post("a".into(), "title of a".into());
        assert_eq!(comment_ids(&board, "a"), ["c1"]);
        assert_eq!(board.post("a").map(|p| p.unconfirmed), Some(false));
    }

    #[test]
    fn a_comment_for_an_unknown_post_is_ignored() {
        let mut board = Board::default();
        board.add_own_comment("nope", "c1".into(), "x".into());
        assert!(board.posts().is_empty());
    }
}
