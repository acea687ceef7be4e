//! Broker down: writes answer 503 and change nothing; when it returns, services reconnect
//! by themselves. Services started before the broker wait for it.

use crate::helpers::{
    build_service, eventually, eventually_some, statuses, Service, TestSystem, DEADLINE,
};
use bus::StreamDef;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_answer_503_while_the_broker_is_down_and_work_again_after() {
    // A message the server had handed to query's consumer just before it died never
    // arrives; the server hands it out again after the ack wait. Short here, so the test
    // can wait for it.
    let mut system = TestSystem::start_configured(|s| s.ack_wait = Duration::from_secs(2)).await;
    let post = system.create_post("before the outage").await;

    system.nats.stop();
    // Once a service knows the broker is gone it refuses writes without sending anything.
    // (A write already in flight when the connection broke gets a 503 that says its
    // outcome is unknown: the client re-sends it after reconnecting.)
    for service in [Service::Posts, Service::Comments] {
        system
            .get_until(
                service,
                "/health",
                "the broker reported disconnected",
                |h| h["broker"] == "disconnected",
            )
            .await;
    }
    let (status, body) = system.try_create_post("lost?").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("unavailable")),
        "{body}"
    );
    let (status, body) = system.try_create_comment(&post, "lost?").await;
    assert_eq!(status, 503, "{body}");
    assert!(body["error"].is_string());

    system.nats.restart();
    // No service is restarted: they reconnect by themselves.
    let second = eventually_some("posts to reconnect and accept a write", || async {
        match system.try_create_post("after").await {
            (201, body) => Ok(body["id"].as_str().unwrap_or_default().to_owned()),
            (status, body) => {
                assert_eq!(status, 503, "while reconnecting the answer is 503: {body}");
                Err(format!("{status} {body}"))
            }
        }
    })
    .await;
    let comment = system.create_comment(&second, "we are back").await;
    let posts = system
        .query_until("both posts, the new comment approved", |p| {
            let approved = statuses(p).get(&comment).is_some_and(|s| s == "approved");
            approved && p.as_array().map(Vec::len) == Some(2)
        })
        .await;
    // Exactly the two acknowledged posts exist; the 503s wrote nothing.
    assert_eq!(posts.as_array().map(Vec::len), Some(2), "{posts}");
    assert_eq!(system.count(StreamDef::Posts, "PostCreated").await, 2);
    assert_eq!(system.count(StreamDef::Comments, "CommentCreated").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_started_before_the_broker_waits_for_it() {
    let mut system = TestSystem::with_broker_only();
    system.nats.stop();
    let settings = system.settings(Service::Posts);
    let building = tokio::spawn(build_service(Service::Posts, settings, Default::default()));
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !building.is_finished(),
        "posts must wait for the broker, not exit"
    );

    system.nats.restart();
    let (port, _client, run) = tokio::time::timeout(DEADLINE, building)
        .await
        .expect("posts connects once the broker is up")
        .expect("the build task does not panic");
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(run(stop.clone()));
    let url = format!("http://127.0.0.1:{port}/posts");
    eventually("posts to serve a write", || async {
        let answer = system
            .http
            .post(&url)
            .json(&json!({"title": "late start"}))
            .send()
            .await;
        answer.is_ok_and(|r| r.status() == 201)
    })
    .await;
    stop.cancel();
    let _ = task.await;
}
