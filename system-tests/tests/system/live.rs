//! The web client's side door: the server-sent-events stream on query, and CORS.

use crate::helpers::{Service, TestSystem, DEADLINE};
use std::time::Instant;

/// Reads SSE frames from `response` until one satisfies `want`; returns it.
async fn next_frame(
    response: &mut reqwest::Response,
    buffer: &mut String,
    want: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + DEADLINE;
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            if want(&frame) {
                return frame;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no matching event; have {buffer:?}"
        );
        let chunk = tokio::time::timeout(DEADLINE, response.chunk()).await;
        match chunk {
            Ok(Ok(Some(bytes))) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
            other => panic!("the event stream ended: {other:?}"),
        }
    }
}

/// Opens query's event stream at `path` (which must answer 200).
async fn open_stream(system: &TestSystem, path: &str) -> reqwest::Response {
    let response = system
        .http
        .get(system.url(Service::Query, path))
        .timeout(DEADLINE * 2)
        .send()
        .await
        .expect("query answers");
    assert_eq!(response.status(), 200, "GET {path}");
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_starts_with_a_snapshot_and_then_follows_changes() {
    let system = TestSystem::start().await;
    let existing = system.create_post("already there").await;
    system
        .query_until("query has the post", |p| p.to_string().contains(&existing))
        .await;

    let mut response = open_stream(&system, "/posts/events").await;
    let mut buffer = String::new();
    let snapshot = next_frame(&mut response, &mut buffer, |f| {
        f.contains("event: snapshot")
    })
    .await;
    assert!(snapshot.contains(&existing), "{snapshot}");

    let post = system.create_post("live").await;
    let comment = system.create_comment(&post, "an orange one").await;
    let created = next_frame(&mut response, &mut buffer, |f| {
        f.contains("event: post") && f.contains(&post)
    })
    .await;
    assert!(created.contains("\"title\":\"live\""), "{created}");
    let rejected = next_frame(&mut response, &mut buffer, |f| {
        f.contains(&comment) && f.contains("rejected")
    })
    .await;
    assert!(rejected.contains("event: post"), "{rejected}");

    // A graceful stop does not wait forever for the open stream: it ends it.
    let mut system = system;
    system.stop(Service::Query).await;
    let ended = tokio::time::timeout(DEADLINE, async {
        while let Ok(Some(_)) = response.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the event stream ended with the stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_admits_the_web_client_origin_only() {
    let system = TestSystem::start().await;
    for (origin, allowed) in [
        ("http://127.0.0.1:3000", true),
        ("http://evil.example", false),
    ] {
        let response = system
            .http
            .request(
                reqwest::Method::OPTIONS,
                system.url(Service::Posts, "/posts"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .expect("posts answers");
        let header = response
            .headers()
            .get("access-control-allow-origin")
            .cloned();
        assert_eq!(
            header.is_some_and(|h| h == origin),
            allowed,
            "origin {origin}"
        );
    }
}

/// Each query instance serves a bounded number of live connections; one more gets a JSON
/// 503 rather than a share of a server stretched thin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_connections_are_bounded() {
    let system = crate::helpers::TestSystem::start_configured(|system| {
        system.query_live_clients = 2;
    })
    .await;
    let open = |path: &str| system.http.get(system.url(Service::Query, path)).send();
    let first = open("/posts/events").await.expect("answers");
    let second = open("/system/events").await.expect("answers");
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    let third = open("/posts/events").await.expect("answers");
    assert_eq!(third.status().as_u16(), 503);
    let body: serde_json::Value = third.json().await.unwrap_or_default();
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("live connections"),
        "{body}"
    );
    // A place comes free when a client leaves.
    drop(first);
    crate::helpers::eventually("a free place after a client left", || async {
        open("/posts/events").await.is_ok_and(|r| r.status() == 200)
    })
    .await;
}

/// The JSON of a frame's `data:` line.
fn data_of(frame: &str) -> serde_json::Value {
    let data = frame
        .lines()
        .find_map(|line| line.strip_prefix("data: "))
        .unwrap_or_default();
    serde_json::from_str(data).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_limit_the_stream_starts_with_the_first_page_and_sends_posts_as_pages_show_them() {
    let system = TestSystem::start().await;
    let busy = system.create_post("a busy post").await;
    for i in 0..25 {
        system.create_comment(&busy, &format!("comment {i}")).await;
    }
    let newer = system.create_post("newer").await;
    let newest = system.create_post("newest").await;
    system
        .query_until("query has every comment", |p| {
            p[0]["comments"].as_array().map(Vec::len) == Some(25) && p.to_string().contains(&newest)
        })
        .await;

    let mut response = open_stream(&system, "/posts/events?limit=2").await;
    let mut buffer = String::new();
    let first = next_frame(&mut response, &mut buffer, |f| f.contains("event: ")).await;
    assert!(first.contains("event: page"), "the first event: {first}");
    let page = data_of(&first);
    let ids: Vec<&str> = page["posts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [newest.as_str(), newer.as_str()],
        "the newest two, newest first"
    );
    assert_eq!(page["next"], newer.as_str());

    // A new comment on the busy post (not on the first page): the post as a page shows
    // it, twenty comments of 26, never the whole post.
    let late = system.create_comment(&busy, "one more").await;
    let changed = next_frame(&mut response, &mut buffer, |f| {
        f.contains("event: post") && f.contains(&late)
    })
    .await;
    let post = data_of(&changed);
    assert_eq!(post["id"], busy.as_str());
    assert_eq!(post["commentCount"], 26);
    assert_eq!(post["comments"].as_array().map(Vec::len), Some(20));
    assert_eq!(post["comments"][19]["id"], late.as_str());
    // Then its moderation.
    let moderated = next_frame(&mut response, &mut buffer, |f| {
        f.contains("event: post") && data_of(f)["comments"][19]["status"] == "approved"
    })
    .await;
    assert_eq!(data_of(&moderated)["comments"][19]["id"], late.as_str());

    for path in [
        "/posts/events?limit=0",
        &format!("/posts/events?limit=2&after={newer}"),
    ] {
        let (status, body) = system.get_json(Service::Query, path).await;
        assert_eq!(status, 400, "GET {path}: {body}");
    }
}
