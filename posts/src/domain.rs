//! What a post is, and the list of posts as a projection of the POSTS stream.

use bus::{Event, EventBody, EventId, PostCreated, PostId};
use std::collections::{BTreeMap, HashMap};

/// A title that has been checked: not blank, at most [`PostTitle::MAX_CHARS`] characters.
#[derive(Clone, Debug, PartialEq)]
pub struct PostTitle(String);

impl PostTitle {
    pub const MAX_CHARS: usize = 200;

    /// Trims surrounding whitespace and checks the length.
    pub fn parse(raw: &str) -> Result<PostTitle, String> {
        let title = raw.trim();
        if title.is_empty() {
            return Err("title must not be empty".into());
        }
        let chars = title.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(format!(
                "title is {chars} characters; the limit is {}",
                Self::MAX_CHARS
            ));
        }
        Ok(PostTitle(title.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A post, as the wire contract spells it.
pub use contract::api::Post;

/// Every post the stream holds, oldest first (ids are time-ordered uuids).
#[derive(Debug, Default)]
pub struct Posts {
    by_id: BTreeMap<PostId, Post>,
    /// Which post each `PostCreated` event created. A write retried with the same
    /// idempotency key carries the same event id, so this answers "did that write happen
    /// already, and what did it create?" — rebuilt from the stream, so across restarts too.
    by_event: HashMap<EventId, PostId>,
}

impl Posts {
    /// Applies one event. Idempotent: applying a `PostCreated` twice changes nothing.
    pub fn apply(&mut self, event: &Event) {
        if let EventBody::PostCreated(PostCreated { id, title }) = &event.body {
            self.by_id.entry(*id).or_insert_with(|| Post {
                id: *id,
                title: title.clone(),
            });
            self.by_event.entry(event.id).or_insert(*id);
        }
    }

    /// The post the event `event` created, if it has been applied.
    pub fn created_by(&self, event: EventId) -> Option<&Post> {
        self.by_event.get(&event).and_then(|id| self.by_id.get(id))
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn list(&self) -> Vec<Post> {
        self.by_id.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_is_trimmed_and_must_not_be_blank_or_too_long() {
        assert_eq!(
            PostTitle::parse("  Hello ").map(PostTitle::into_inner),
            Ok("Hello".into())
        );
        assert!(PostTitle::parse("   ").is_err());
        assert!(PostTitle::parse(&"é".repeat(200)).is_ok());
        let error = PostTitle::parse(&"x".repeat(201)).err().unwrap_or_default();
        assert!(error.contains("limit is 200"), "{error}");
    }

    fn created(id: PostId, title: &str) -> Event {
        Event::new(
            EventBody::PostCreated(PostCreated {
                id,
                title: title.into(),
            }),
            bus::CorrelationId::new(),
        )
    }

    #[test]
    fn replaying_a_post_twice_lists_it_once() {
        let created = created(PostId::new(), "A");
        let mut posts = Posts::default();
        posts.apply(&created);
        posts.apply(&created);
        assert_eq!(posts.list().len(), 1);
    }

    #[test]
    fn the_event_that_created_a_post_finds_it() {
        let event = created(PostId::new(), "A").with_id(EventId::for_request("posts", "key-1"));
        let mut posts = Posts::default();
        assert!(posts.created_by(event.id).is_none());
        posts.apply(&event);
        assert_eq!(
            posts
                .created_by(EventId::for_request("posts", "key-1"))
                .map(|p| p.title.as_str()),
            Some("A")
        );
    }

    #[test]
    fn posts_are_listed_oldest_first_whatever_the_order_applied() {
        let (older, newer) = (PostId::new(), PostId::new());
        let mut posts = Posts::default();
        posts.apply(&created(newer, "new"));
        posts.apply(&created(older, "old"));
        let ids: Vec<_> = posts.list().into_iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![older, newer]);
    }
}
