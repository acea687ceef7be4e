//! The checks of exercise 04. Each test is one point `make check EX=04` reports.
#![cfg(feature = "check")]

use bus::testing::TestNats;
use bus::{Publisher, StreamDef};
use contract::{CommentCreated, CommentId, CommentStatus, CorrelationId, Event, EventBody, PostId};
use workshop_idempotency::decide;

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
fn an_orange_comment_is_rejected_and_others_approved() {
    let status = |content: &str| match decide(&comment(content)).map(|e| e.body) {
        Some(EventBody::CommentModerated(decision)) => Some(decision.status),
        _ => None,
    };
    assert_eq!(status("I like Orange juice"), Some(CommentStatus::Rejected));
    assert_eq!(status("hello"), Some(CommentStatus::Approved));
}

#[tokio::test]
async fn a_decision_published_twice_is_stored_once() {
    let nats = TestNats::start();
    let client = bus::connect::connect(&nats.bus_config(bus::auth::ADMIN)).await;
    let publisher = Publisher::new(client.clone());
    let created = comment("hello");
    // The same comment delivered twice: moderation decides twice and publishes twice.
    for delivery in 1..=2 {
        let decision = decide(&created).expect("a decision");
        publisher
            .publish(&decision)
            .await
            .unwrap_or_else(|e| panic!("delivery {delivery}: publish failed: {e}"));
    }
    let js = async_nats::jetstream::new(client);
    let mut stream = js
        .get_stream(StreamDef::Moderation.name())
        .await
        .expect("the MODERATION stream");
    let stored = stream.info().await.map(|i| i.state.messages).unwrap_or(0);
    assert_eq!(
        stored, 1,
        "the comment was decided twice and MODERATION now holds {stored} decisions: \
         each delivery made an event with a new id, so JetStream could not tell they were \
         the same"
    );
}

#[test]
fn the_decision_joins_the_chain_of_its_comment() {
    let created = comment("hello");
    let decision = decide(&created).expect("a decision");
    assert_eq!(
        (decision.correlationid, decision.causationid),
        (created.correlationid, Some(created.id)),
        "the decision should carry the comment's correlation id and name the comment's \
         event as its cause, so the timeline can follow the chain"
    );
}
