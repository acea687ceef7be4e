//! Every post the page shows, and the pure rules for folding what query sends (a snapshot,
//! one post at a time) and what the user just wrote into it.

use super::{Comment, Post, Status};

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
    use crate::model::tests::comment;

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
