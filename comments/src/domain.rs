//! What a comment is, and the comments as a projection of the COMMENTS stream.

use bus::{
    CommentCreated, CommentId, CommentStatus, CommentUpdated, Event, EventBody, EventId, PostId,
};
use std::collections::{BTreeSet, HashMap};

/// Comment text that has been checked: not blank, at most [`CommentContent::MAX_CHARS`]
/// characters.
#[derive(Clone, Debug, PartialEq)]
pub struct CommentContent(String);

impl CommentContent {
    pub const MAX_CHARS: usize = 1000;

    pub fn parse(raw: &str) -> Result<CommentContent, String> {
        let content = raw.trim();
        if content.is_empty() {
            return Err("content must not be empty".into());
        }
        let chars = content.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(format!(
                "content is {chars} characters; the limit is {}",
                Self::MAX_CHARS
            ));
        }
        Ok(CommentContent(content.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A comment as comments knows it: what the wire shows of it ([`Comment::to_wire`]), and
/// what only this service needs to apply each decision once.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub id: CommentId,
    pub post_id: PostId,
    pub content: String,
    pub status: CommentStatus,
    /// 0 when created; each `CommentUpdated` carries the next version.
    pub version: u64,
    /// The `CommentModerated` events already turned into an update (from `causationid`),
    /// so a redelivered decision is recognised and not applied twice.
    pub applied_decisions: Vec<EventId>,
}

impl Comment {
    /// The comment as comments answers it over HTTP.
    pub fn to_wire(&self) -> contract::api::Comment {
        contract::api::Comment {
            id: self.id,
            post_id: self.post_id,
            content: self.content.clone(),
            status: self.status,
        }
    }
}

/// Every comment in the COMMENTS stream, by id and by post.
#[derive(Debug, Default)]
pub struct Comments {
    by_id: HashMap<CommentId, Comment>,
    by_post: HashMap<PostId, BTreeSet<CommentId>>,
    /// Which comment each `CommentCreated` event created: how a write retried with the same
    /// idempotency key (hence the same event id) finds what its first attempt created.
    by_event: HashMap<EventId, CommentId>,
}

impl Comments {
    /// Applies one event. Idempotent, and an update never goes back to an older version.
    pub fn apply(&mut self, event: &Event) {
        match &event.body {
            EventBody::CommentCreated(CommentCreated {
                id,
                post_id,
                content,
                status,
            }) => {
                self.entry(*id, *post_id, content, *status);
                self.by_event.entry(event.id).or_insert(*id);
            }
            EventBody::CommentUpdated(update) => self.apply_update(update, event.causationid),
            EventBody::PostCreated(_) | EventBody::CommentModerated(_) => {}
        }
    }

    fn apply_update(&mut self, update: &CommentUpdated, cause: Option<EventId>) {
        let CommentUpdated {
            id,
            post_id,
            content,
            status,
            version,
        } = update;
        let comment = self.entry(*id, *post_id, content, *status);
        if *version > comment.version {
            comment.content.clone_from(content);
            comment.status = *status;
            comment.version = *version;
        }
        if let Some(cause) = cause {
            if !comment.applied_decisions.contains(&cause) {
                comment.applied_decisions.push(cause);
            }
        }
    }

    /// The comment `id`, created at version 0 from these fields if it is new.
    fn entry(
        &mut self,
        id: CommentId,
        post_id: PostId,
        content: &str,
        status: CommentStatus,
    ) -> &mut Comment {
        self.by_post.entry(post_id).or_default().insert(id);
        self.by_id.entry(id).or_insert_with(|| Comment {
            id,
            post_id,
            content: content.to_owned(),
            status,
            version: 0,
            applied_decisions: Vec::new(),
        })
    }

    /// The comment the `CommentCreated` event `event` created, as it was created.
    pub fn created_by(&self, event: EventId) -> Option<Comment> {
        let comment = self
            .by_event
            .get(&event)
            .and_then(|id| self.by_id.get(id))?;
        Some(Comment {
            status: CommentStatus::Pending,
            version: 0,
            applied_decisions: Vec::new(),
            ..comment.clone()
        })
    }

    pub fn get(&self, id: CommentId) -> Option<&Comment> {
        self.by_id.get(&id)
    }

    /// A post's comments, oldest first.
    pub fn for_post(&self, post: PostId) -> Vec<Comment> {
        self.by_post
            .get(&post)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.by_id.get(id))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bus::CorrelationId;

    fn created(post: PostId) -> Event {
        Event::new(
            EventBody::CommentCreated(CommentCreated {
                id: CommentId::new(),
                post_id: post,
                content: "hi".into(),
                status: CommentStatus::Pending,
            }),
            CorrelationId::new(),
        )
    }

    fn updated(comment: &Comment, status: CommentStatus, version: u64) -> Event {
        Event::new(
            EventBody::CommentUpdated(CommentUpdated {
                id: comment.id,
                post_id: comment.post_id,
                content: comment.content.clone(),
                status,
                version,
            }),
            CorrelationId::new(),
        )
    }

    #[test]
    fn content_must_not_be_blank_or_too_long() {
        assert!(CommentContent::parse(" ").is_err());
        assert!(CommentContent::parse(&"x".repeat(1000)).is_ok());
        assert!(CommentContent::parse(&"x".repeat(1001)).is_err());
    }

    #[test]
    fn a_new_comment_is_pending_and_listed_under_its_post() {
        let post = PostId::new();
        let mut comments = Comments::default();
        comments.apply(&created(post));
        let listed = comments.for_post(post);
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].status, CommentStatus::Pending);
        assert!(comments.for_post(PostId::new()).is_empty());
    }

    #[test]
    fn an_older_update_never_overwrites_a_newer_one() {
        let post = PostId::new();
        let mut comments = Comments::default();
        let creation = created(post);
        comments.apply(&creation);
        let comment = comments.for_post(post)[0].clone();
        comments.apply(&updated(&comment, CommentStatus::Rejected, 2));
        comments.apply(&updated(&comment, CommentStatus::Approved, 1));
        comments.apply(&creation);
        let now = &comments.for_post(post)[0];
        assert_eq!((now.status, now.version), (CommentStatus::Rejected, 2));
    }
}
