//! The durable consumer `moderation`: one `CommentModerated` per `CommentCreated`.

use crate::policy::moderate;
use bus::consume::Outcome;
use bus::{CommentCreated, CommentModerated, Event, EventBody, Publisher};
use std::time::Duration;

/// The durable consumer's name. Several moderation instances share it and so share the
/// work (competing consumers).
pub const CONSUMER: &str = "moderation";

/// Decides the `CommentModerated` event for a `CommentCreated` (pure). Its id is derived
/// from the cause's id, so moderating the same comment twice publishes the same event id and
/// JetStream stores it once.
pub fn handle(event: &Event) -> Option<Event> {
    let EventBody::CommentCreated(CommentCreated { id, post_id, content, .. }) = &event.body
    else {
        return None;
    };
    Some(Event::caused_by(
        event,
        EventBody::CommentModerated(CommentModerated {
            id: *id,
            post_id: *post_id,
            content: content.clone(),
            status: moderate(content),
        }),
    ))
}

/// Publishes the decision. A broker hiccup is retried; nothing else can fail.
pub async fn interpret(decision: Option<Event>, publisher: &Publisher) -> Outcome {
    let Some(decision) = decision else {
        return Outcome::Done;
    };
    match publisher.publish(&decision).await {
        Ok(stored) => {
            tracing::info!(event_id = %decision.id, duplicate = stored.duplicate, "comment moderated");
            Outcome::Done
        }
        Err(error) => Outcome::Retry { after: Duration::from_secs(1), reason: error.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bus::{CommentId, CommentStatus, CorrelationId, PostId};

    fn comment(content: &str) -> Event {
        Event::new(
            EventBody::CommentCreated(CommentCreated {
                id: CommentId::new(),
                post_id: PostId::new(),
                content: content.into(),
                status: CommentStatus::Pending,
            }),
            CorrelationId::new(),
        )
    }

    #[test]
    fn given_a_comment_when_moderated_then_one_decision_with_a_derived_id() {
        let created = comment("an orange cat");
        let decision = handle(&created).expect("a decision");
        assert_eq!(decision.id, created.id.derive("CommentModerated"));
        assert_eq!(decision.correlationid, created.correlationid);
        let EventBody::CommentModerated(m) = decision.body else { panic!("not a decision") };
        assert_eq!(m.status, CommentStatus::Rejected);
        assert_eq!(handle(&created).map(|d| d.id), Some(created.id.derive("CommentModerated")));
    }

    #[test]
    fn other_events_are_ignored() {
        let post = Event::new(
            EventBody::PostCreated(bus::PostCreated { id: PostId::new(), title: "t".into() }),
            CorrelationId::new(),
        );
        assert!(handle(&post).is_none());
    }
}
