//! At-least-once delivery made exactly-once in effect. Events are re-published with fresh
//! message ids (as a redelivery after the duplicate window would look, which JetStream
//! cannot catch) and a consumer is reset to redeliver its whole history: the services add
//! no second decision or update, and the read model holds each comment once.

use crate::helpers::{comment_ids, statuses, Service, TestSystem};
use async_nats::jetstream::message::PublishMessage;
use bus::{EventId, StreamDef};
use std::future::IntoFuture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivered_and_republished_events_have_no_second_effect() {
    let mut system = TestSystem::start().await;
    let post = system.create_post("once only").await;
    for content in ["a", "b", "orange c", "d"] {
        system.create_comment(&post, content).await;
    }
    let settled = system
        .query_until("all moderated", |p| {
            let s = statuses(p);
            s.len() == 4 && s.values().all(|s| s != "pending")
        })
        .await;
    system.wait_drained(StreamDef::Moderation, "comments").await;

    // 1. Re-publish every CommentCreated and CommentModerated under a new message id.
    let js = system.jetstream().await;
    let mut republished = 0;
    for stream in [StreamDef::Comments, StreamDef::Moderation] {
        let handle = js.get_stream(stream.name()).await.expect("stream");
        let last = handle.get_info().await.expect("info").state.last_sequence;
        for sequence in 1..=last {
            let message = handle.get_raw_message(sequence).await.expect("message");
            if message.subject.contains("CommentUpdated") {
                continue;
            }
            let copy = PublishMessage::build()
                .payload(message.payload.clone())
                .message_id(EventId::new().to_string());
            js.send_publish(message.subject.to_string(), copy)
                .await
                .expect("publish")
                .into_future()
                .await
                .expect("stored");
            republished += 1;
        }
    }
    assert_eq!(republished, 8);

    // 2. Make moderation see its whole history again, as after losing its consumer.
    system.stop(Service::Moderation).await;
    js.delete_consumer_from_stream("moderation", StreamDef::Comments.name())
        .await
        .expect("delete the moderation consumer");
    system.start_service(Service::Moderation).await;

    system.wait_drained(StreamDef::Comments, "moderation").await;
    system.wait_drained(StreamDef::Moderation, "comments").await;
    system.wait_drained(StreamDef::Comments, "query").await;

    // Only our 4 copies were added to each stream: no service published anything new.
    assert_eq!(
        system
            .count(StreamDef::Moderation, "CommentModerated")
            .await,
        4 + 4
    );
    assert_eq!(
        system.count(StreamDef::Comments, "CommentCreated").await,
        4 + 4
    );
    assert_eq!(system.count(StreamDef::Comments, "CommentUpdated").await, 4);
    let now = system.query_posts(Service::Query).await;
    assert_eq!(comment_ids(&now).len(), 4, "each comment once: {now}");
    assert_eq!(now, settled);
}

/// The duplicate window is only a first guard: once it has passed, a consumer deleted and
/// recreated (it then sees its whole history again, as after a reset or a dead letter
/// retried hours later) must still add no second decision and no second update, because
/// the handlers look at what is stored before they publish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_second_effect_after_the_duplicate_window_when_consumers_start_over() {
    let system = TestSystem::start().await;
    let post = system.create_post("late redelivery").await;
    for content in ["a", "orange b", "c"] {
        system.create_comment(&post, content).await;
    }
    system
        .query_until("all moderated", |p| {
            let s = statuses(p);
            s.len() == 3 && s.values().all(|s| s != "pending")
        })
        .await;
    system.wait_drained(StreamDef::Moderation, "comments").await;

    for stream in [StreamDef::Comments, StreamDef::Moderation] {
        system
            .shorten_duplicate_window(stream, std::time::Duration::from_millis(200))
            .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // the window running out
                                                                     // Delete both durable consumers under the running services: they create them again,
                                                                     // from the first message.
    let js = system.jetstream().await;
    js.delete_consumer_from_stream("moderation", StreamDef::Comments.name())
        .await
        .expect("delete the moderation consumer");
    js.delete_consumer_from_stream("comments", StreamDef::Moderation.name())
        .await
        .expect("delete the comments consumer");
    system
        .get_until(
            Service::Moderation,
            "/health",
            "moderation to read again",
            |_| true,
        )
        .await;
    system.wait_drained(StreamDef::Comments, "moderation").await;
    system.wait_drained(StreamDef::Moderation, "comments").await;

    assert_eq!(
        system
            .count(StreamDef::Moderation, "CommentModerated")
            .await,
        3
    );
    assert_eq!(system.count(StreamDef::Comments, "CommentUpdated").await, 3);
    let posts = system.query_posts(Service::Query).await;
    assert_eq!(comment_ids(&posts).len(), 3);
}
