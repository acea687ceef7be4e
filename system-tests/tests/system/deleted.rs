//! A consumer or a stream deleted under running services (as a learner might, from a NATS
//! client): the services notice within seconds, create again what they own (their
//! consumers), and say they are not ready while they cannot read. Nothing stays silently
//! stuck.

use crate::helpers::{statuses, Service, TestSystem};
use bus::StreamDef;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_consumers_are_created_again_and_the_work_goes_on() {
    let system = TestSystem::start().await;
    let post = system.create_post("before").await;
    let js = system.jetstream().await;
    js.delete_consumer_from_stream("moderation", StreamDef::Comments.name())
        .await
        .expect("delete moderation's consumer");
    js.delete_consumer_from_stream("query", StreamDef::Comments.name())
        .await
        .expect("delete query's consumer");
    js.delete_consumer_from_stream("comments", StreamDef::Moderation.name())
        .await
        .expect("delete comments' consumer");

    let comment = system.create_comment(&post, "after the deletion").await;
    system
        .query_until("the new comment moderated", |p| {
            statuses(p).get(&comment).map(String::as_str) == Some("approved")
        })
        .await;
    for (stream, consumer) in [
        (StreamDef::Comments, "moderation"),
        (StreamDef::Comments, "query"),
        (StreamDef::Moderation, "comments"),
    ] {
        system.wait_drained(stream, consumer).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_whose_stream_is_deleted_is_not_ready() {
    let system = TestSystem::start().await;
    system.create_post("soon gone").await;
    let js = system.jetstream().await;
    js.delete_stream(StreamDef::Posts.name())
        .await
        .expect("delete POSTS");
    let health = system.url(Service::Posts, "/health");
    let http = system.http.clone();
    crate::helpers::eventually("posts to say it is not ready", || {
        let (http, health) = (http.clone(), health.clone());
        async move {
            http.get(&health)
                .send()
                .await
                .is_ok_and(|r| r.status() == 503)
        }
    })
    .await;
}

/// An operator parks comments' consumer at the end of MODERATION (as a learner resetting a
/// backlog would: deliver policy "new", the server's default settings). When comments is
/// started, it brings the consumer's settings up to its own — all but where it started,
/// which the server refuses to change — and works on from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_created_elsewhere_with_other_settings_is_taken_over() {
    use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
    let mut system = TestSystem::start().await;
    let post = system.create_post("parked").await;
    system.stop(Service::Comments).await;
    let js = system.jetstream().await;
    js.delete_consumer_from_stream("comments", StreamDef::Moderation.name())
        .await
        .expect("delete comments' consumer");
    js.get_stream(StreamDef::Moderation.name())
        .await
        .expect("MODERATION")
        .create_consumer(pull::Config {
            durable_name: Some("comments".into()),
            ack_policy: AckPolicy::Explicit,
            deliver_policy: DeliverPolicy::New,
            ..Default::default()
        })
        .await
        .expect("park comments' consumer at the end");
    system.start_service(Service::Comments).await;

    let comment = system.create_comment(&post, "after the parking").await;
    system
        .query_until("the new comment approved", |p| {
            statuses(p).get(&comment).map(String::as_str) == Some("approved")
        })
        .await;
}
