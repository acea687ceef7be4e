//! Turning moderation decisions into comment updates: the durable consumer `comments` on
//! the MODERATION stream.
//!
//! decode (in `bus`) → [`handle`] (pure: decides from the current comments) →
//! [`interpret`] (publishes, waits for the update to come back through our own stream) →
//! ack (in `bus`).

use crate::domain::Comments;
use crate::routes::AppState;
use bus::consume::{Delivery, Outcome};
use bus::{CommentId, CommentModerated, CommentUpdated, Event, EventBody};

/// What to do about one `CommentModerated` event.
#[derive(Debug, PartialEq)]
pub enum Decision {
    /// Publish this `CommentUpdated`.
    Publish(Event),
    /// This decision was already turned into an update (a redelivery): nothing to do.
    AlreadyApplied,
    /// The comment is not in our state: either our state lags behind the stream (try again
    /// later) or the comment never existed (reject).
    UnknownComment(CommentId),
    /// Not a moderation decision; nothing to do.
    Ignore,
}

/// Decides, from the comments we know, what a moderation decision means for its comment.
pub fn handle(comments: &Comments, decision: &Event) -> Decision {
    let EventBody::CommentModerated(CommentModerated { id, status, .. }) = &decision.body else {
        return Decision::Ignore;
    };
    let Some(comment) = comments.get(*id) else {
        return Decision::UnknownComment(*id);
    };
    if comment.applied_decisions.contains(&decision.id) {
        return Decision::AlreadyApplied;
    }
    // The update's id is derived from the decision's id: if this decision is handled twice
    // before the first update is back in our state, JetStream drops the second publish.
    Decision::Publish(Event::caused_by(
        decision,
        EventBody::CommentUpdated(CommentUpdated {
            id: comment.id,
            post_id: comment.post_id,
            content: comment.content.clone(),
            status: *status,
            version: comment.version + 1,
        }),
    ))
}

/// Performs the decision and says whether the message can be acked.
pub async fn interpret(decision: Decision, decision_event: &Event, app: &AppState) -> Outcome {
    let retry = |reason: String| Outcome::Retry { reason };
    match decision {
        Decision::Publish(update) => match app.publisher.publish(&update).await {
            Ok(stored) => {
                // Apply the stored update before the ack, so a redelivery of this decision
                // is recognised as already applied (the follower brings it again: no-op).
                app.comments.write().apply(&update);
                tracing::debug!(sequence = stored.sequence, "applied our own stored update");
                tracing::info!(event_id = %update.id, correlation_id = %update.correlationid,
                    "comment updated");
                Outcome::Done
            }
            Err(error) => retry(error.to_string()),
        },
        Decision::AlreadyApplied | Decision::Ignore => Outcome::Done,
        // Our copy of the stream lags (the decision overtook the comment's own event on its
        // way to us, or the broker just restarted): fetch the comment from the stream
        // itself, apply it — idempotent, the follower will bring it again — and decide anew.
        Decision::UnknownComment(id) => match app.lookup.comment_created(id).await {
            Ok(Some(created)) => {
                app.comments.write().apply(&created);
                // (Decided in its own statement: the read lock must be released before the
                // publish below awaits.)
                let decision = handle(&app.comments.read(), decision_event);
                match decision {
                    Decision::UnknownComment(_) => retry("the comment is still unknown".into()),
                    decision => Box::pin(interpret(decision, decision_event, app)).await,
                }
            }
            Ok(None) => Outcome::Reject { reason: format!("no comment {id} was ever created") },
            Err(error) => retry(error.to_string()),
        },
    }
}

/// The handler the consumer loop calls for each event.
pub async fn on_event(event: Event, _delivery: Delivery, app: &AppState) -> Outcome {
    let decision = handle(&app.comments.read(), &event);
    interpret(decision, &event, app).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use bus::{CommentCreated, CommentStatus, CorrelationId, PostId};

    fn given_a_comment() -> (Comments, CommentId, PostId) {
        let (id, post) = (CommentId::new(), PostId::new());
        let mut comments = Comments::default();
        comments.apply(&Event::new(
            EventBody::CommentCreated(CommentCreated {
                id,
                post_id: post,
                content: "I like orange".into(),
                status: CommentStatus::Pending,
            }),
            CorrelationId::new(),
        ));
        (comments, id, post)
    }

    fn decision(id: CommentId, post: PostId, status: CommentStatus) -> Event {
        Event::new(
            EventBody::CommentModerated(CommentModerated {
                id,
                post_id: post,
                content: "I like orange".into(),
                status,
            }),
            CorrelationId::new(),
        )
    }

    #[test]
    fn a_decision_becomes_version_1_of_the_comment_with_a_derived_id() {
        let (comments, id, post) = given_a_comment();
        let moderated = decision(id, post, CommentStatus::Rejected);
        let Decision::Publish(update) = handle(&comments, &moderated) else {
            panic!("expected an update")
        };
        assert_eq!(update.id, moderated.id.derive("CommentUpdated"));
        assert_eq!(update.causationid, Some(moderated.id));
        let EventBody::CommentUpdated(u) = update.body else { panic!("expected CommentUpdated") };
        assert_eq!((u.status, u.version), (CommentStatus::Rejected, 1));
    }

    #[test]
    fn a_redelivered_decision_is_recognised_once_its_update_is_applied() {
        let (mut comments, id, post) = given_a_comment();
        let moderated = decision(id, post, CommentStatus::Approved);
        let Decision::Publish(update) = handle(&comments, &moderated) else {
            panic!("expected an update")
        };
        comments.apply(&update);
        assert_eq!(handle(&comments, &moderated), Decision::AlreadyApplied);
    }

    #[test]
    fn a_decision_about_an_unknown_comment_waits() {
        let comments = Comments::default();
        let moderated = decision(CommentId::new(), PostId::new(), CommentStatus::Approved);
        let EventBody::CommentModerated(ref m) = moderated.body else { unreachable!() };
        assert_eq!(handle(&comments, &moderated), Decision::UnknownComment(m.id));
    }
}
