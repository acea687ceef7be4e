//! The durable consumer `comments` on the MODERATION stream: each decision becomes one
//! `CommentUpdated`.
//!
//! The same steps as every consumer here: decode (in `bus`) → [`refresh`] (look at what the
//! stream already holds about the comment) → [`handle`] (pure: decides from the comments we
//! know) → [`interpret`] (publishes the update and applies it) → ack (in `bus`).
//!
//! Why the refresh: our copy of the COMMENTS stream may lag behind it (the decision overtook
//! the comment on its way to us), and a decision may come again long after it was handled —
//! a consumer reset, a dead letter retried hours later — when JetStream's two-minute
//! duplicate window no longer drops a second update. Reading the comment's creation and its
//! latest update from the stream itself before deciding makes the handler look at what is
//! already stored, so each decision becomes exactly one `CommentUpdated`.

use crate::domain::Comments;
use crate::state::AppState;
use bus::consume::{consume, Delivery, Durable, Outcome};
use bus::lookup::LookupError;
use bus::{CommentId, CommentModerated, CommentUpdated, Event, EventBody, StreamDef};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The durable consumer on MODERATION; it resumes from its last ack after a restart.
pub const CONSUMER: &str = "comments";

/// Consumes the decisions until `shutdown`, once our comments are replayed: decisions are
/// judged against them.
pub async fn run(app: AppState, ack_wait: Duration, shutdown: CancellationToken) {
    tokio::select! {
        _ = shutdown.cancelled() => return,
        _ = app.progress.wait_caught_up() => {}
    }
    let durable = Durable::new(StreamDef::Moderation, CONSUMER, None).with_ack_wait(ack_wait);
    let reading = Some(app.decisions.clone());
    consume(
        app.publisher.jetstream().clone(),
        durable,
        reading,
        shutdown,
        |event, delivery| {
            let app = app.clone();
            async move { on_event(event, delivery, &app).await }
        },
    )
    .await
}

/// What to do about one `CommentModerated` event.
#[derive(Debug, PartialEq)]
pub enum Decision {
    /// Publish this `CommentUpdated`.
    Publish(Event),
    /// This decision was already turned into an update (a redelivery): nothing to do.
    AlreadyApplied,
    /// The stream holds no such comment: the decision can never apply.
    UnknownComment(CommentId),
    /// The comment cannot take another version (only a forged history gets here).
    NoVersionLeft(CommentId),
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
    if comment.version >= CommentUpdated::MAX_VERSION {
        return Decision::NoVersionLeft(*id);
    }
    // The update's id is derived from the decision's id: if two instances handle this
    // decision at once, JetStream drops the second publish.
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

/// Applies to our state what the stream holds about the decision's comment: its creation
/// (if we have not seen it yet) and its latest update. Applying is idempotent, so this
/// never changes a comment we already knew in full.
pub async fn refresh(decision: &Event, app: &AppState) -> Result<(), LookupError> {
    let EventBody::CommentModerated(CommentModerated { id, .. }) = &decision.body else {
        return Ok(());
    };
    if app.comments.read().get(*id).is_none() {
        if let Some(created) = app.lookup.comment_created(*id).await? {
            app.comments.write().apply(&created);
        }
    }
    if let Some(latest) = app.lookup.latest_update(*id).await? {
        app.comments.write().apply(&latest);
    }
    Ok(())
}

/// Performs the decision and says whether the message can be acked.
pub async fn interpret(decision: Decision, app: &AppState) -> Outcome {
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
            Err(error) => Outcome::retry_because(&error),
        },
        Decision::AlreadyApplied => {
            tracing::info!("decision already applied (a redelivery); nothing to publish");
            Outcome::Done
        }
        Decision::Ignore => Outcome::Done,
        Decision::UnknownComment(id) => Outcome::Reject {
            reason: format!("no comment {id} was ever created"),
        },
        Decision::NoVersionLeft(id) => Outcome::Reject {
            reason: format!("comment {id} is at the highest version already"),
        },
    }
}

/// The handler the consumer loop calls for each event.
pub async fn on_event(event: Event, _delivery: Delivery, app: &AppState) -> Outcome {
    if let Err(error) = refresh(&event, app).await {
        return Outcome::retry_because(&error);
    }
    // (Decided in its own statement: the read lock must be released before the publish in
    // `interpret` awaits.)
    let decision = handle(&app.comments.read(), &event);
    interpret(decision, app).await
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
        let EventBody::CommentUpdated(u) = update.body else {
            panic!("expected CommentUpdated")
        };
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
    fn a_comment_at_the_highest_version_takes_no_more() {
        let (mut comments, id, post) = given_a_comment();
        comments.apply(&Event::new(
            EventBody::CommentUpdated(CommentUpdated {
                id,
                post_id: post,
                content: "I like orange".into(),
                status: CommentStatus::Rejected,
                version: CommentUpdated::MAX_VERSION,
            }),
            CorrelationId::new(),
        ));
        let moderated = decision(id, post, CommentStatus::Approved);
        assert_eq!(handle(&comments, &moderated), Decision::NoVersionLeft(id));
    }

    #[test]
    fn a_decision_about_an_unknown_comment_is_named() {
        let comments = Comments::default();
        let moderated = decision(CommentId::new(), PostId::new(), CommentStatus::Approved);
        let EventBody::CommentModerated(ref m) = moderated.body else {
            unreachable!()
        };
        assert_eq!(
            handle(&comments, &moderated),
            Decision::UnknownComment(m.id)
        );
    }
}
