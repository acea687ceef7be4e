//! Writes that can be retried safely: the same `Idempotency-Key` sent again — at once, at
//! the same time, after a restart, after JetStream's duplicate window — answers the same 201
//! with the same body and stores nothing new. Another request under a used key is refused.

use crate::helpers::{Service, TestSystem};
use bus::StreamDef;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_twice_creates_one_post_and_answers_the_same() {
    let system = TestSystem::start().await;
    let body = json!({"title": "retried"});
    let first = system
        .post_with_key(Service::Posts, "/posts", "key-1", body.clone())
        .await;
    let again = system
        .post_with_key(Service::Posts, "/posts", "key-1", body)
        .await;
    assert_eq!(first.0, 201, "{}", first.1);
    assert_eq!(again, first);
    assert_eq!(system.count(StreamDef::Posts, "PostCreated").await, 1);
    // Without a key, each request is a new post, as before.
    system.create_post("retried").await;
    assert_eq!(system.count(StreamDef::Posts, "PostCreated").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_with_one_key_store_one_post() {
    let system = TestSystem::start().await;
    let body = json!({"title": "double click"});
    let attempts =
        (0..8).map(|_| system.post_with_key(Service::Posts, "/posts", "same", body.clone()));
    let answers = futures::future::join_all(attempts).await;
    assert!(answers.iter().all(|answer| answer.0 == 201), "{answers:?}");
    assert!(
        answers.iter().all(|answer| *answer == answers[0]),
        "{answers:?}"
    );
    assert_eq!(system.count(StreamDef::Posts, "PostCreated").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_used_for_another_request_is_refused_and_stores_nothing() {
    let system = TestSystem::start().await;
    let (status, _) = system
        .post_with_key(Service::Posts, "/posts", "k", json!({"title": "one"}))
        .await;
    assert_eq!(status, 201);
    let (status, body) = system
        .post_with_key(Service::Posts, "/posts", "k", json!({"title": "two"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("Idempotency-Key"),
        "{body}"
    );
    assert_eq!(system.count(StreamDef::Posts, "PostCreated").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_key_is_a_400_json_error() {
    let system = TestSystem::start().await;
    let too_long = "k".repeat(101);
    for key in ["", "has space", too_long.as_str()] {
        let (status, body) = system
            .post_with_key(Service::Posts, "/posts", key, json!({"title": "t"}))
            .await;
        assert_eq!(status, 400, "key {key:?}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap_or_default()
                .contains("Idempotency-Key"),
            "{body}"
        );
    }
    assert_eq!(system.count(StreamDef::Posts, "PostCreated").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_holds_after_a_restart_and_beyond_the_duplicate_window() {
    let mut system = TestSystem::start().await;
    let (status, first) = system
        .post_with_key(Service::Posts, "/posts", "late", json!({"title": "t"}))
        .await;
    assert_eq!(status, 201);
    let post = first["id"].as_str().unwrap_or_default().to_owned();
    let comments = format!("/posts/{post}/comments");
    let (status, comment) = system
        .post_with_key(
            Service::Comments,
            &comments,
            "late-c",
            json!({"content": "c"}),
        )
        .await;
    assert_eq!(status, 201);

    // JetStream no longer remembers the event ids; the services must, from their streams.
    system
        .shorten_duplicate_window(StreamDef::Posts, Duration::from_millis(200))
        .await;
    system
        .shorten_duplicate_window(StreamDef::Comments, Duration::from_millis(200))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await; // the window running out, not a wait for state
    system.kill(Service::Posts).await;
    system.kill(Service::Comments).await;
    system.start_service(Service::Posts).await;
    system.start_service(Service::Comments).await;

    let again = system
        .post_with_key(Service::Posts, "/posts", "late", json!({"title": "t"}))
        .await;
    assert_eq!(again, (201, first));
    let again = system
        .post_with_key(
            Service::Comments,
            &comments,
            "late-c",
            json!({"content": "c"}),
        )
        .await;
    assert_eq!(again, (201, comment));
    assert_eq!(system.count(StreamDef::Posts, "PostCreated").await, 1);
    assert_eq!(system.count(StreamDef::Comments, "CommentCreated").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_honour_keys_and_refuse_them_for_another_post() {
    let system = TestSystem::start().await;
    let (one, two) = (
        system.create_post("one").await,
        system.create_post("two").await,
    );
    let path = |post: &str| format!("/posts/{post}/comments");
    let body = json!({"content": "hello"});
    let first = system
        .post_with_key(Service::Comments, &path(&one), "c-1", body.clone())
        .await;
    let again = system
        .post_with_key(Service::Comments, &path(&one), "c-1", body.clone())
        .await;
    assert_eq!(first.0, 201, "{}", first.1);
    assert_eq!(first.1["status"], "pending");
    assert_eq!(again, first);
    let elsewhere = system
        .post_with_key(Service::Comments, &path(&two), "c-1", body)
        .await;
    assert_eq!(elsewhere.0, 422, "{}", elsewhere.1);
    assert_eq!(system.count(StreamDef::Comments, "CommentCreated").await, 1);
}
