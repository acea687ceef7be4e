//! Exercise 04 — idempotency. (Read `workshop/04-idempotency/README.md` first.)
//!
//! Moderation's decision about a new comment. JetStream delivers each `CommentCreated` at
//! least once: after a crash, a timeout or a consumer reset, the same comment comes again,
//! and this function runs again for it. Make the decision it returns the *same* event each
//! time, so that publishing it twice stores it once.
//!
//! Only this file is yours to change. `make check EX=04` runs the checks in
//! `tests/check.rs` against a real nats-server.

use contract::{CommentModerated, CommentStatus, CorrelationId, Event, EventBody};

/// The decision about the comment `created` created: rejected if it mentions "orange",
/// approved otherwise. `None` for any other event.
pub fn decide(created: &Event) -> Option<Event> {
    let EventBody::CommentCreated(comment) = &created.body else {
        return None;
    };
    let status = if comment.content.to_lowercase().contains("orange") {
        CommentStatus::Rejected
    } else {
        CommentStatus::Approved
    };
    let decision = EventBody::CommentModerated(CommentModerated {
        id: comment.id,
        post_id: comment.post_id,
        content: comment.content.clone(),
        status,
    });
    // A brand-new event: a fresh id, a fresh chain.
    Some(Event::new(decision, CorrelationId::new()))
}
