//! The read model: every post with its comments, as a pure fold of events.
//!
//! Delivery is at-least-once and POSTS and COMMENTS are separate streams, so events arrive
//! in no guaranteed order across them and some arrive twice. The fold is built so that none
//! of that matters — the same set of events gives the same model in any order:
//!
//! - a post is keyed by its id (a time-ordered uuid), so "oldest first" is the key order,
//!   not the arrival order;
//! - a comment is kept under its post id even before the post itself has arrived, and shows
//!   up as soon as it does;
//! - a comment keeps its highest version (`CommentCreated` is version 0): an update that
//!   arrives late or twice never overwrites a newer one.

use crate::timeline::{TimelineView, Timelines};
use bus::{
    CommentCreated, CommentId, CommentStatus, CommentUpdated, Event, EventBody, PostCreated,
    PostId, StreamDef,
};
use foldhash::HashMap;
use std::collections::BTreeMap;

/// What `/posts` answers, from the wire contract. A `CommentView`'s `moderation` is never
/// set by the fold: the dead letters are joined in when a view is asked for (see
/// [`crate::gave_up`]), so the fold stays pure.
pub use contract::views::{CommentView, PagedPost, PostView};

#[derive(Clone, Debug, PartialEq)]
struct CommentState {
    content: String,
    status: CommentStatus,
    version: u64,
}

#[derive(Debug, Default, PartialEq)]
pub struct ReadModel {
    titles: BTreeMap<PostId, String>,
    /// Comments by post, including posts not seen yet.
    comments: HashMap<PostId, BTreeMap<CommentId, CommentState>>,
    /// Each comment's event history.
    timelines: Timelines,
}

impl ReadModel {
    /// Applies one event. Returns the post whose view changed, if any (a duplicate or an
    /// outdated update changes nothing).
    pub fn apply(&mut self, event: &Event) -> Option<PostId> {
        self.apply_stored(event, None)
    }

    /// [`ReadModel::apply`], knowing where the event is stored (its stream and sequence),
    /// which its timeline hop links to.
    pub fn apply_stored(
        &mut self,
        event: &Event,
        stored_at: Option<(StreamDef, u64)>,
    ) -> Option<PostId> {
        self.timelines.record(
            event.id,
            event.time,
            event.correlationid,
            &event.body,
            stored_at,
        );
        match &event.body {
            EventBody::PostCreated(PostCreated { id, title }) => {
                let is_new = !self.titles.contains_key(id);
                if is_new {
                    self.titles.insert(*id, title.clone());
                }
                is_new.then_some(*id)
            }
            EventBody::CommentCreated(CommentCreated {
                id,
                post_id,
                content,
                status,
            }) => {
                let state = CommentState {
                    content: content.clone(),
                    status: *status,
                    version: 0,
                };
                self.merge(*post_id, *id, state).then_some(*post_id)
            }
            EventBody::CommentUpdated(CommentUpdated {
                id,
                post_id,
                content,
                status,
                version,
            }) => {
                let state = CommentState {
                    content: content.clone(),
                    status: *status,
                    version: *version,
                };
                self.merge(*post_id, *id, state).then_some(*post_id)
            }
            // Query reads the outcome from CommentUpdated; the decision itself is not news.
            EventBody::CommentModerated(_) => None,
        }
    }

    /// Keeps whichever of the known and the incoming state has the higher version.
    fn merge(&mut self, post: PostId, comment: CommentId, incoming: CommentState) -> bool {
        let comments = self.comments.entry(post).or_default();
        match comments.get(&comment) {
            Some(known) if known.version >= incoming.version => false,
            _ => {
                comments.insert(comment, incoming);
                true
            }
        }
    }

    pub fn timeline(&self, comment: CommentId) -> Option<TimelineView> {
        self.timelines.view(comment)
    }

    /// The post `comment` belongs to (a scan: asked only when a dead letter arrives).
    pub fn post_of(&self, comment: CommentId) -> Option<PostId> {
        self.comments
            .iter()
            .find(|(_, comments)| comments.contains_key(&comment))
            .map(|(post, _)| *post)
    }

    pub fn post_count(&self) -> usize {
        self.titles.len()
    }

    /// Every post, oldest first, with its comments, oldest first.
    pub fn posts(&self) -> Vec<PostView> {
        self.titles.keys().filter_map(|id| self.post(*id)).collect()
    }

    pub fn post(&self, id: PostId) -> Option<PostView> {
        let title = self.titles.get(&id)?;
        let comments = self
            .comments
            .get(&id)
            .map(|comments| comments.iter().map(comment_view).collect())
            .unwrap_or_default();
        Some(PostView {
            id,
            title: title.clone(),
            comments,
        })
    }

    /// The ids of up to `limit` posts, newest first, older than `after` (the newest when
    /// `None`); and the `after` of the next page, if any. A range of the id-ordered map: as
    /// quick with a million posts as with ten.
    pub fn page_ids(&self, limit: usize, after: Option<PostId>) -> (Vec<PostId>, Option<PostId>) {
        let older = match after {
            Some(after) => self.titles.range(..after),
            None => self.titles.range(..),
        };
        let mut ids: Vec<PostId> = older.rev().take(limit + 1).map(|(id, _)| *id).collect();
        let more = ids.len() > limit;
        ids.truncate(limit);
        let next = more.then(|| ids.last().copied()).flatten();
        (ids, next)
    }

    /// Post `id` with up to `limit` of its comments: those just older than `before` (its
    /// newest when `None`), oldest first.
    pub fn paged_post(
        &self,
        id: PostId,
        limit: usize,
        before: Option<CommentId>,
    ) -> Option<PagedPost> {
        let title = self.titles.get(&id)?;
        let none = BTreeMap::new();
        let all = self.comments.get(&id).unwrap_or(&none);
        let older = match before {
            Some(before) => all.range(..before),
            None => all.range(..),
        };
        let mut comments: Vec<CommentView> =
            older.rev().take(limit + 1).map(comment_view).collect();
        let more = comments.len() > limit;
        comments.truncate(limit);
        comments.reverse();
        Some(PagedPost {
            id,
            title: title.clone(),
            older_comments: more.then(|| comments.first().map(|c| c.id)).flatten(),
            comments,
            comment_count: all.len(),
        })
    }
}

/// A comment as the views show it (the dead letters are joined in later: [`crate::gave_up`]).
fn comment_view((id, state): (&CommentId, &CommentState)) -> CommentView {
    CommentView {
        id: *id,
        content: state.content.clone(),
        status: state.status,
        moderation: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bus::CorrelationId;
    use proptest::prelude::*;

    fn event(body: EventBody) -> Event {
        Event::new(body, CorrelationId::new())
    }

    fn post(id: PostId) -> Event {
        event(EventBody::PostCreated(PostCreated {
            id,
            title: format!("post {id}"),
        }))
    }

    fn created(post_id: PostId, id: CommentId) -> Event {
        event(EventBody::CommentCreated(CommentCreated {
            id,
            post_id,
            content: "hi".into(),
            status: CommentStatus::Pending,
        }))
    }

    fn updated(post_id: PostId, id: CommentId, status: CommentStatus, version: u64) -> Event {
        event(EventBody::CommentUpdated(CommentUpdated {
            id,
            post_id,
            content: "hi".into(),
            status,
            version,
        }))
    }

    #[test]
    fn a_comment_that_arrives_before_its_post_shows_once_the_post_arrives() {
        let (p, c) = (PostId::new(), CommentId::new());
        let mut model = ReadModel::default();
        model.apply(&created(p, c));
        assert!(model.posts().is_empty());
        model.apply(&post(p));
        assert_eq!(model.posts()[0].comments.len(), 1);
    }

    #[test]
    fn a_late_pending_never_hides_an_approval() {
        let (p, c) = (PostId::new(), CommentId::new());
        let mut model = ReadModel::default();
        model.apply(&post(p));
        model.apply(&updated(p, c, CommentStatus::Approved, 1));
        assert_eq!(
            model.apply(&created(p, c)),
            None,
            "an older version changes nothing"
        );
        assert_eq!(model.posts()[0].comments[0].status, CommentStatus::Approved);
    }

    /// A history as the system would write it: posts, each comment created and then
    /// updated through versions 1..=n.
    fn history() -> impl Strategy<Value = Vec<Event>> {
        let statuses = prop_oneof![Just(CommentStatus::Approved), Just(CommentStatus::Rejected)];
        let comment = (proptest::collection::vec(statuses, 0..3), any::<bool>());
        let comments = proptest::collection::vec(comment, 0..4);
        proptest::collection::vec((comments, any::<bool>()), 1..5).prop_map(|posts| {
            let mut events = Vec::new();
            for (comments, post_published) in posts {
                let p = PostId::new();
                // Sometimes the post is missing: its comments must stay hidden.
                if post_published {
                    events.push(post(p));
                }
                for (updates, _) in comments {
                    let c = CommentId::new();
                    events.push(created(p, c));
                    for (i, status) in updates.into_iter().enumerate() {
                        events.push(updated(p, c, status, i as u64 + 1));
                    }
                }
            }
            events
        })
    }

    fn fold(events: &[Event]) -> (Vec<PostView>, Vec<Option<TimelineView>>) {
        let mut model = ReadModel::default();
        for event in events {
            model.apply(event);
        }
        let mut comments: Vec<CommentId> = model
            .comments
            .values()
            .flat_map(|c| c.keys().copied())
            .collect();
        comments.sort();
        (
            model.posts(),
            comments.into_iter().map(|c| model.timeline(c)).collect(),
        )
    }

    proptest! {
        #[test]
        fn any_order_and_any_duplication_give_the_same_read_model(
            (events, delivered) in history().prop_flat_map(|events| {
                // Deliver each event one to three times, in a shuffled order.
                let n = events.len();
                let copies = proptest::collection::vec(1usize..=3, n);
                (Just(events), copies).prop_flat_map(|(events, copies)| {
                    let delivered: Vec<Event> = events
                        .iter()
                        .zip(copies)
                        .flat_map(|(e, k)| std::iter::repeat_n(e.clone(), k))
                        .collect();
                    (Just(events), Just(delivered).prop_shuffle())
                })
            })
        ) {
            prop_assert_eq!(fold(&events), fold(&delivered));
        }
    }
}
