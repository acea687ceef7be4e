//! Bad input gets a clear JSON error and publishes nothing; garbage on a subject is
//! skipped and never blocks what comes after it.

use crate::helpers::{statuses, Service, TestSystem};
use bus::StreamDef;
use serde_json::{json, Value};

async fn send_raw(
    system: &TestSystem,
    service: Service,
    path: &str,
    body: String,
    json_type: bool,
) -> (u16, Value) {
    let mut request = system.http.post(system.url(service, path)).body(body);
    if json_type {
        request = request.header("content-type", "application/json");
    }
    let response = request.send().await.expect("answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let system = TestSystem::start().await;
    let post = system.create_post("the only post").await;
    let comments = format!("/posts/{post}/comments");
    let long_title = json!({"title": "t".repeat(201)}).to_string();
    let long_content = json!({"content": "c".repeat(1001)}).to_string();
    let huge = json!({"title": "x".repeat(17 * 1024)}).to_string();
    let cases: Vec<(Service, String, String, bool, u16, &str)> = vec![
        (
            Service::Posts,
            "/posts".into(),
            "{".into(),
            true,
            400,
            "parse",
        ),
        (
            Service::Posts,
            "/posts".into(),
            "{}".into(),
            true,
            422,
            "title",
        ),
        (
            Service::Posts,
            "/posts".into(),
            r#"{"title": 5}"#.into(),
            true,
            422,
            "title",
        ),
        (
            Service::Posts,
            "/posts".into(),
            r#"{"title": "  "}"#.into(),
            true,
            422,
            "empty",
        ),
        (
            Service::Posts,
            "/posts".into(),
            long_title,
            true,
            422,
            "limit is 200",
        ),
        (Service::Posts, "/posts".into(), huge, true, 413, "limit"),
        (
            Service::Posts,
            "/posts".into(),
            r#"{"title": "x"}"#.into(),
            false,
            415,
            "Content-Type",
        ),
        (
            Service::Comments,
            comments.clone(),
            "not json".into(),
            true,
            400,
            "parse",
        ),
        (
            Service::Comments,
            comments.clone(),
            r#"{"content": ""}"#.into(),
            true,
            422,
            "empty",
        ),
        (
            Service::Comments,
            comments.clone(),
            long_content,
            true,
            422,
            "limit is 1000",
        ),
        (
            Service::Comments,
            "/posts/0193aaaa-0000-7000-8000-000000000000/comments".into(),
            r#"{"content": "hi"}"#.into(),
            true,
            404,
            "no post",
        ),
        (
            Service::Comments,
            "/posts/not-an-id/comments".into(),
            r#"{"content": "hi"}"#.into(),
            true,
            404,
            "no post",
        ),
    ];
    for (service, path, body, json_type, expected, mention) in cases {
        let (status, answer) = send_raw(&system, service, &path, body, json_type).await;
        assert_eq!(status, expected, "{service:?} {path}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(mention),
            "{service:?} {path}: error {error:?} should mention {mention:?}"
        );
    }
    assert_eq!(
        system.count(StreamDef::Posts, "PostCreated").await,
        1,
        "no post published"
    );
    assert_eq!(
        system.count(StreamDef::Comments, "CommentCreated").await,
        0,
        "no comment published"
    );
    let (status, one) = system.query_post("not-an-id").await;
    assert_eq!(status, 404, "{one}");

    // Wrong routes, wrong methods and paths that are not text answer JSON too.
    let requests = [
        (
            Service::Posts,
            reqwest::Method::GET,
            "/nowhere",
            404,
            "no such route",
        ),
        (
            Service::Query,
            reqwest::Method::POST,
            "/posts",
            405,
            "method",
        ),
        (
            Service::Moderation,
            reqwest::Method::DELETE,
            "/health",
            405,
            "method",
        ),
        (
            Service::Comments,
            reqwest::Method::GET,
            "/posts/%FF%FE/comments",
            400,
            "UTF-8",
        ),
    ];
    for (service, method, path, expected, mention) in requests {
        let response = system
            .http
            .request(method.clone(), system.url(service, path))
            .send()
            .await;
        let response = response.expect("answers");
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, expected, "{method} {service:?} {path}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(mention),
            "{method} {path}: {error:?} should mention {mention:?}"
        );
    }
}

/// A forged `CommentUpdated` whose version no service could have written (u64::MAX) is not
/// an event: readers terminate it to the dead letters, nothing overflows, and the comment's
/// real decision still applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_update_with_an_impossible_version_is_dead_lettered() {
    let system = TestSystem::start().await;
    let post = system.create_post("forgery").await;
    let comment = system.create_comment(&post, "genuine").await;
    system
        .query_until("approved", |p| {
            statuses(p).get(&comment).is_some_and(|s| s == "approved")
        })
        .await;
    let forged = json!({"specversion": "1.0", "id": "0193aaaa-0000-7000-8000-000000000001",
        "source": "/comments", "type": "CommentUpdated", "time": "2026-11-22T10:00:00Z",
        "datacontenttype": "application/json",
        "correlationid": "0193aaaa-0000-7000-8000-000000000002",
        "data": {"id": comment, "postId": post, "content": "forged", "status": "rejected",
                 "version": u64::MAX}});
    let js = system.jetstream().await;
    js.publish(
        format!("comments.CommentUpdated.{comment}"),
        forged.to_string().into(),
    )
    .await
    .expect("publish")
    .await
    .expect("stored");
    let view = system
        .system_until("the forgery dead-lettered", |s| {
            s["deadLetters"].as_array().is_some_and(|letters| {
                letters
                    .iter()
                    .any(|l| l["stream"] == "COMMENTS" && l["consumer"] == "query")
            })
        })
        .await;
    let letter = &view["deadLetters"][0];
    assert!(
        letter["error"]
            .as_str()
            .unwrap_or_default()
            .contains("version"),
        "{letter}"
    );
    // Still approved, still healthy, and new comments still work.
    let later = system.create_comment(&post, "after the forgery").await;
    let posts = system
        .query_until("the later comment approved", |p| {
            statuses(p).get(&later).is_some_and(|s| s == "approved")
        })
        .await;
    assert_eq!(
        statuses(&posts).get(&comment).map(String::as_str),
        Some("approved")
    );
    for service in Service::ALL {
        system.wait_healthy(service).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_a_subject_is_skipped_and_never_blocks_what_follows() {
    let system = TestSystem::start().await;
    let js = system.jetstream().await;
    for subject in [
        "posts.PostCreated.junk",
        "comments.CommentCreated.junk",
        "moderation.CommentModerated.junk",
    ] {
        js.publish(subject, "this is not an event".into())
            .await
            .expect("publish")
            .await
            .expect("stored");
    }
    let post = system.create_post("after the garbage").await;
    let comment = system.create_comment(&post, "still works").await;
    let posts = system
        .query_until("the comment approved", |p| {
            statuses(p).get(&comment).is_some_and(|s| s == "approved")
        })
        .await;
    assert_eq!(posts.as_array().map(Vec::len), Some(1));
    system.wait_drained(StreamDef::Comments, "moderation").await;
    system.wait_drained(StreamDef::Moderation, "comments").await;
    for service in Service::ALL {
        system.wait_healthy(service).await;
    }
}
