//! Every post the page shows, and the pure rules for folding what query sends (the first
//! page, one post at a time, older pages the reader asks for) and what the user just wrote
//! into it.

use super::{Comment, Post, Status};

/// The posts the page knows: the newest ones, and the older pages the reader asked for.
///
/// Ids are uuid v7 strings, whose text order is their time order, so the posts are kept
/// sorted by id (oldest first) and an incoming post finds its place by a binary search.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Board {
    posts: Vec<Post>,
    /// Whether query's state has arrived at least once (to tell "loading" from "no posts").
    loaded: bool,
    /// Where the older posts continue (the `after` of their page), if any are not shown.
    older_posts: Option<String>,
}

impl Board {
    /// Oldest first.
    pub fn posts(&self) -> &[Post] {
        &self.posts
    }

    pub fn post(&self, id: &str) -> Option<&Post> {
        self.position(id).ok().map(|i| &self.posts[i])
    }

    /// Newest first, as the page lists them.
    pub fn ids(&self) -> Vec<String> {
        self.posts.iter().rev().map(|p| p.id.clone()).collect()
    }

    pub fn older_posts(&self) -> Option<&str> {
        self.older_posts.as_deref()
    }

    /// Takes query's first page (its `page` event, sent on every (re)connect), like a
    /// snapshot of the newest posts; `older` is where the rest continue. Older pages read
    /// before are dropped: the reader can ask for them again.
    pub fn replace_first_page(&mut self, page: Vec<Post>, older: Option<String>) {
        self.replace_all(page);
        self.older_posts = older;
    }

    /// Adds a page of older posts the reader asked for; `older` is where the rest continue.
    pub fn add_older_posts(&mut self, page: Vec<Post>, older: Option<String>) {
        for post in page {
            if let Err(i) = self.position(&post.id) {
                self.posts.insert(i, post);
            }
        }
        self.older_posts = older;
    }

    /// Adds a page of a post's older comments the reader asked for (`page` is the post with
    /// those comments).
    pub fn add_older_comments(&mut self, page: Post) {
        let Ok(i) = self.position(&page.id) else {
            return;
        };
        let post = &mut self.posts[i];
        for comment in page.comments {
            if let Err(at) = post.comments.binary_search_by(|c| c.id.cmp(&comment.id)) {
                post.comments.insert(at, comment);
            }
        }
        post.older_comments = page.older_comments;
        post.comment_count = post.comment_count.max(page.comment_count);
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

    /// Takes one post from query (its `post` event): it replaces the post with that id —
    /// keeping the older comments the reader asked for, which a post's newest comments do
    /// not repeat — or is inserted in order, unless it is older than every post shown while
    /// older pages are still to be read (it will come with its page).
    pub fn merge_post(&mut self, mut incoming: Post) {
        incoming.unconfirmed = false;
        incoming.comments.sort_by(|a, b| a.id.cmp(&b.id));
        match self.position(&incoming.id) {
            Ok(i) => {
                let old = std::mem::replace(&mut self.posts[i], incoming);
                keep_older_comments(&mut self.posts[i], &old);
                keep_unconfirmed_comments(&mut self.posts[i], old);
            }
            Err(0) if self.older_posts.is_some() && !self.posts.is_empty() => {}
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
                comment_count: 0,
                older_comments: None,
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

/// Carries over into `new` the older comments `old` showed (read from older pages, or
/// pushed out of the newest by later ones), and where the still older ones continue.
fn keep_older_comments(new: &mut Post, old: &Post) {
    let Some(first) = new.comments.first().map(|c| c.id.clone()) else {
        return;
    };
    let older: Vec<Comment> = old
        .comments
        .iter()
        .filter(|c| !c.unconfirmed && c.id < first)
        .cloned()
        .collect();
    if !older.is_empty() {
        new.comments.splice(0..0, older);
        new.older_comments.clone_from(&old.older_comments);
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
            comment_count: comments.len(),
            comments,
            older_comments: None,
            unconfirmed: false,
        }
    }

    /// A post as a page shows it: its newest `comments` of `count`, older ones after `older`.
    fn paged(id: &str, comments: Vec<Comment>, count: usize, older: Option<&str>) -> Post {
        Post {
            comment_count: count,
            older_comments: older.map(str::to_owned),
            ..post(id, comments)
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
    fn pages_list_newest_first_and_older_pages_add_to_the_end() {
        let mut board = Board::default();
        board.replace_first_page(vec![post("d", vec![]), post("c", vec![])], Some("c".into()));
        assert_eq!(board.ids(), ["d", "c"]);
        assert_eq!(board.older_posts(), Some("c"));
        board.add_older_posts(vec![post("b", vec![]), post("a", vec![])], None);
        assert_eq!(board.ids(), ["d", "c", "b", "a"]);
        assert_eq!(board.older_posts(), None);
    }

    #[test]
    fn a_changed_post_older_than_the_pages_read_waits_for_its_page() {
        let mut board = Board::default();
        board.replace_first_page(vec![post("d", vec![]), post("c", vec![])], Some("c".into()));
        board.merge_post(post("a", vec![]));
        assert_eq!(board.ids(), ["d", "c"], "post a comes with its page");
        board.merge_post(post("e", vec![]));
        assert_eq!(board.ids(), ["e", "d", "c"], "a new post shows at once");
    }

    #[test]
    fn older_comments_read_stay_when_the_newest_change() {
        let c = |id: &str| comment(id, Status::Approved);
        let mut board = Board::default();
        board.replace_first_page(
            vec![paged("p", vec![c("c3"), c("c4")], 4, Some("c3"))],
            None,
        );
        assert_eq!(board.post("p").map(Post::comments_not_shown), Some(2));
        board.add_older_comments(paged("p", vec![c("c2")], 4, Some("c2")));
        assert_eq!(comment_ids(&board, "p"), ["c2", "c3", "c4"]);

        // A new comment pushes c3 out of the newest two: c2 and c3 stay, and so does
        // where the still older ones continue.
        board.merge_post(paged("p", vec![c("c4"), c("c5")], 5, Some("c4")));
        assert_eq!(comment_ids(&board, "p"), ["c2", "c3", "c4", "c5"]);
        let p = board.post("p").cloned();
        assert_eq!(
            p.as_ref().and_then(|p| p.older_comments.as_deref()),
            Some("c2")
        );
        assert_eq!(p.map(|p| p.comments_not_shown()), Some(1));

        board.add_older_comments(paged("p", vec![c("c1")], 5, None));
        assert_eq!(comment_ids(&board, "p"), ["c1", "c2", "c3", "c4", "c5"]);
        assert_eq!(board.post("p").map(Post::comments_not_shown), Some(0));
    }

    #[test]
    fn a_comment_for_an_unknown_post_is_ignored() {
        let mut board = Board::default();
        board.add_own_comment("nope", "c1".into(), "x".into());
        assert!(board.posts().is_empty());
    }
}
