//! The durable consumer `moderation`: one `CommentModerated` per `CommentCreated`.
//!
//! The same steps as every consumer here: decode (in `bus`) → [`already_decided`] (look at
//! what the MODERATION stream holds about this comment) → [`handle`] (pure: decides) →
//! [`interpret`] (publishes) → ack (in `bus`).
//!
//! A decision is published at most once per comment, however late a `CommentCreated` comes
//! again (a consumer reset or recreated, a dead letter retried hours later): the handler
//! looks for a stored decision first. The derived event id stays as the second guard, for
//! two instances deciding the same comment at the same moment: JetStream then drops the
//! second publish.
//!
//! The knobs are live ([`crate::knobs`]): each comment is handled with the knobs in force
//! when it arrives, and a new concurrency restarts the consumer loop (what is in flight
//! finishes first). With the `manual` knob on, a comment is put on the waiting list for a
//! person ([`crate::waiting`]) and acked.

use crate::config::Knobs;
use crate::config::{Mode, Settings};
use crate::knobs::{Applied, Live};
use crate::policy::Policy;
use bus::consume::{consume, Delivery, Durable, Outcome};
use bus::lookup::{last_event, LookupError};
use bus::partitions::{self, Membership};
use bus::progress::Progress;
use bus::{CommentCreated, CommentModerated, Event, EventBody, EventId, Publisher, StreamDef};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The durable consumer's name. Several moderation instances share it and so share the
/// work (competing consumers).
pub const CONSUMER: &str = "moderation";

/// Moderates new comments until `shutdown`, with the knobs `live` holds: up to their
/// concurrency at once, those about one comment in order. `reading` says whether the
/// consumer can be read (for `/health`). A change of concurrency stops the consumer loop
/// (what is in flight finishes and is acked) and starts it again with the new one.
pub async fn run(
    settings: Settings,
    publisher: Publisher,
    reading: Progress,
    mut live: Live,
    shutdown: CancellationToken,
) {
    // The handlers read the knobs through their own receiver; this one watches for changes.
    let for_handlers = live.clone();
    while !shutdown.is_cancelled() {
        let concurrency = live.borrow_and_update().concurrency();
        let this_round = shutdown.child_token();
        let consuming = consume_with(
            &settings,
            concurrency,
            &publisher,
            &reading,
            &for_handlers,
            this_round.clone(),
        );
        tokio::pin!(consuming);
        loop {
            tokio::select! {
                _ = &mut consuming => break,
                changed = live.changed() => {
                    if changed.is_err() {
                        // The knobs' sender is gone: the service is stopping.
                        this_round.cancel();
                    } else if live.borrow().concurrency() != concurrency {
                        tracing::info!(from = concurrency, to = live.borrow().concurrency(),
                            "concurrency changed; restarting the consumer");
                        this_round.cancel();
                    }
                }
            }
        }
    }
}

/// One round of consuming, with `concurrency` fixed, until `stop`.
async fn consume_with(
    settings: &Settings,
    concurrency: usize,
    publisher: &Publisher,
    reading: &Progress,
    live: &Live,
    stop: CancellationToken,
) {
    let service = &settings.service;
    let js = publisher.jetstream().clone();
    let handler = |event, delivery| {
        let applied = live.borrow().clone();
        async move { on_event(event, delivery, &applied, publisher).await }
    };
    let reading = reading.clone();
    let shutdown = stop;
    match settings.mode {
        Mode::Shared => {
            let durable = Durable::new(
                StreamDef::Comments,
                CONSUMER,
                Some(StreamDef::Comments.subjects_of("CommentCreated")),
            )
            .with_concurrency(concurrency)
            .with_ack_wait(service.bus.ack_wait);
            consume(js, durable, Some(reading), shutdown, handler).await
        }
        Mode::Partitioned { index, instances } => {
            let work = partitions::MODERATION_WORK;
            let membership = Membership {
                preferred: Membership::spread(index, instances, work.partitions),
                standby_after: STANDBY_AFTER,
                takeover_after: TAKEOVER_AFTER,
                ack_wait: service.bus.ack_wait,
            };
            // Provisioned only when asked for (`bus::provision::WorkStreams`): say how.
            if let Err(error) = js.get_stream(work.name).await {
                tracing::error!(stream = work.name, %error,
                    "partitioned mode needs its work stream: provision it with \
                     MODERATION_MODE=partitioned (make run does, when started so); \
                     waiting for it");
            }
            let reading = Some(reading);
            partitions::consume_partitions(
                js, work, CONSUMER, membership, reading, shutdown, handler,
            )
            .await
        }
    }
}

/// Partitioned: how long an instance waits before it also pulls the partitions that are
/// not its own (so that instances started together each get theirs first).
const STANDBY_AFTER: Duration = Duration::from_secs(2);
/// Partitioned: how long a silent instance keeps its partitions before another takes over.
const TAKEOVER_AFTER: Duration = Duration::from_secs(5);

/// Decides the `CommentModerated` event for a `CommentCreated` (pure), unless `stored` — the
/// decision already in the stream for this comment — says it was decided before. Its id is
/// derived from the cause's id, so moderating the same comment twice at once publishes the
/// same event id and JetStream stores it once.
pub fn handle(event: &Event, policy: &Policy, stored: Option<&Event>) -> Option<Event> {
    let EventBody::CommentCreated(CommentCreated {
        id,
        post_id,
        content,
        ..
    }) = &event.body
    else {
        return None;
    };
    if stored.is_some() {
        return None;
    }
    Some(Event::caused_by(
        event,
        EventBody::CommentModerated(CommentModerated {
            id: *id,
            post_id: *post_id,
            content: content.clone(),
            status: policy.moderate(content),
        }),
    ))
}

/// The decision the MODERATION stream already holds about the comment `event` created.
pub async fn already_decided(
    event: &Event,
    publisher: &Publisher,
) -> Result<Option<Event>, LookupError> {
    let EventBody::CommentCreated(CommentCreated { id, .. }) = &event.body else {
        return Ok(None);
    };
    let js = publisher.jetstream();
    last_event(
        js,
        StreamDef::Moderation,
        "CommentModerated",
        &id.to_string(),
    )
    .await
}

/// The whole pipeline for one message, with the knobs in force.
pub async fn on_event(
    event: Event,
    delivery: Delivery,
    applied: &Applied,
    publisher: &Publisher,
) -> Outcome {
    let (policy, knobs) = (&applied.policy, &applied.knobs);
    if knobs.fresh_ids {
        // The deliberately broken moderation (`MODERATION_TEST_FAULT=fresh-ids`): no look at
        // the stream, and a fresh id, so a redelivery stores a second decision.
        let decision = handle(&event, policy, None).map(|d| d.with_id(EventId::new()));
        return interpret(decision, delivery, knobs, publisher).await;
    }
    let stored = match already_decided(&event, publisher).await {
        Ok(stored) => stored,
        Err(error) => return Outcome::retry_because(&error),
    };
    if let Some(stored) = &stored {
        tracing::info!(decision = %stored.id, "already decided (a redelivery); nothing to publish");
    }
    if stored.is_none() && applied.manual() {
        // A person decides: the comment waits in the KV bucket, not in an unacked message.
        return match crate::waiting::enqueue(publisher.jetstream(), &event).await {
            Ok(()) => Outcome::Done,
            Err(error) => Outcome::Retry {
                reason: format!("cannot put the comment on the waiting list: {error:#}"),
            },
        };
    }
    let decision = handle(&event, policy, stored.as_ref());
    interpret(decision, delivery, knobs, publisher).await
}

/// Publishes the decision — after the workshop knobs have had their say (a delay, a
/// simulated transient failure), and stamped with the time it is published, so that a slow
/// moderator's decision says when it was made. A failure is retried by the consumer loop.
pub async fn interpret(
    decision: Option<Event>,
    delivery: Delivery,
    knobs: &Knobs,
    publisher: &Publisher,
) -> Outcome {
    let Some(decision) = decision else {
        return Outcome::Done;
    };
    if let Err(reason) = simulate_human(knobs, delivery).await {
        return Outcome::Retry { reason };
    }
    let decision = decision.stamped_now();
    match publisher.publish(&decision).await {
        Ok(stored) => {
            tracing::info!(event_id = %decision.id, correlation_id = %decision.correlationid,
                duplicate = stored.duplicate, "comment moderated");
            Outcome::Done
        }
        Err(error) => Outcome::retry_because(&error),
    }
}

/// The knobs: wait `delay`, then fail if this is one of the first `fail_first` attempts,
/// or with probability `fail_rate`.
async fn simulate_human(knobs: &Knobs, delivery: Delivery) -> Result<(), String> {
    if !knobs.delay.is_zero() {
        tokio::time::sleep(knobs.delay).await;
    }
    if delivery.attempt <= knobs.fail_first {
        return Err(format!(
            "simulated failure (MODERATION_FAIL_FIRST={})",
            knobs.fail_first
        ));
    }
    // A uniform number in [0, 1) from a random uuid: no extra dependency for a coin toss.
    let draw = (uuid::Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64;
    if draw < knobs.fail_rate {
        return Err(format!(
            "simulated failure (MODERATION_FAIL_RATE={})",
            knobs.fail_rate
        ));
    }
    Ok(())
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
        let decision = handle(&created, &Policy::default(), None).expect("a decision");
        assert_eq!(decision.id, created.id.derive("CommentModerated"));
        assert_eq!(decision.correlationid, created.correlationid);
        let EventBody::CommentModerated(m) = decision.body else {
            panic!("not a decision")
        };
        assert_eq!(m.status, CommentStatus::Rejected);
    }

    #[test]
    fn other_events_are_ignored() {
        let post = Event::new(
            EventBody::PostCreated(bus::PostCreated {
                id: PostId::new(),
                title: "t".into(),
            }),
            CorrelationId::new(),
        );
        assert!(handle(&post, &Policy::default(), None).is_none());
    }

    #[test]
    fn given_a_stored_decision_when_the_comment_comes_again_then_nothing() {
        let created = comment("hello");
        let first = handle(&created, &Policy::default(), None).expect("a decision");
        assert_eq!(handle(&created, &Policy::default(), Some(&first)), None);
    }

    #[tokio::test]
    async fn the_first_attempts_fail_when_asked_to() {
        let knobs = Knobs {
            fail_first: 2,
            ..Knobs::default()
        };
        let attempt = |n| Delivery {
            stream_sequence: 1,
            attempt: n,
        };
        assert!(simulate_human(&knobs, attempt(2)).await.is_err());
        assert!(simulate_human(&knobs, attempt(3)).await.is_ok());
        let always = Knobs {
            fail_rate: 1.0,
            ..Knobs::default()
        };
        assert!(simulate_human(&always, attempt(9)).await.is_err());
    }
}
