//! The Streams page's data: a stream's messages a page at a time, whole, read by query with
//! its own (read-only) user; each consumer's cursors in `/system`; and each timeline hop's
//! place on the tape.

use crate::helpers::{consumer, Service, TestSystem};
use serde_json::Value;

/// The sequences of a tape page, oldest first.
fn seqs(page: &Value) -> Vec<u64> {
    page["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["seq"].as_u64())
        .collect()
}

async fn tape(system: &TestSystem, path: &str) -> Value {
    let (status, page) = system.get_json(Service::Query, path).await;
    assert_eq!(status, 200, "{path}: {page}");
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tape_shows_pending_comments_after_moderations_cursor_until_it_catches_up() {
    let mut system = TestSystem::start().await;
    let post = system.create_post("On tape").await;
    system.kill(Service::Moderation).await;
    let mut comments = Vec::new();
    for words in ["one", "two", "three"] {
        comments.push(system.create_comment(&post, words).await);
    }

    let page = tape(&system, "/streams/COMMENTS/messages").await;
    assert_eq!(seqs(&page), [1, 2, 3], "{page}");
    assert_eq!(
        (page["firstSeq"].as_u64(), page["lastSeq"].as_u64()),
        (Some(1), Some(3))
    );
    let first = &page["messages"][0];
    assert_eq!(first["eventType"], "CommentCreated");
    assert_eq!(
        first["body"]["data"]["content"], "one",
        "the whole CloudEvent"
    );
    assert_eq!(first["body"]["data"]["id"], comments[0].as_str());
    assert!(
        first["summary"].as_str().is_some_and(|s| s.contains("one")),
        "{first}"
    );

    // Moderation's cursor has acknowledged nothing: the three are pending for it.
    let view = system
        .system_until("moderation's backlog of three", |v| {
            consumer(v, "COMMENTS", "moderation").is_some_and(|c| c["pending"] == 3)
        })
        .await;
    let moderation = consumer(&view, "COMMENTS", "moderation")
        .cloned()
        .unwrap_or_default();
    assert_eq!(moderation["ackFloorSeq"], 0, "{moderation}");
    assert!(
        moderation["filters"]
            .as_array()
            .is_some_and(|f| !f.is_empty()),
        "moderation reads the created comments only: {moderation}"
    );
    let comments_stream = view["streams"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "COMMENTS"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(comments_stream["lastSeq"], 3, "{comments_stream}");

    // Each hop of a timeline says where its event is stored.
    let (status, timeline) = system.timeline(&comments[1]).await;
    assert_eq!(status, 200, "{timeline}");
    assert_eq!(timeline["events"][0]["storedAt"]["stream"], "COMMENTS");
    assert_eq!(timeline["events"][0]["storedAt"]["seq"], 2);

    system.start_service(Service::Moderation).await;
    let view = system
        .system_until("moderation's cursor past the three", |v| {
            consumer(v, "COMMENTS", "moderation")
                .is_some_and(|c| c["ackFloorSeq"] == 3 && c["pending"] == 0)
        })
        .await;
    let moderation = consumer(&view, "COMMENTS", "moderation")
        .cloned()
        .unwrap_or_default();
    assert_eq!(moderation["deliveredSeq"], 3, "{moderation}");
    let timeline = system
        .get_until(
            Service::Query,
            &format!("/comments/{}/timeline", comments[1]),
            "the moderation hop",
            |t| t["events"].as_array().is_some_and(|e| e.len() == 3),
        )
        .await;
    assert_eq!(
        timeline["events"][1]["storedAt"]["stream"], "MODERATION",
        "{timeline}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tape_pages_by_sequence_and_refuses_what_it_cannot_answer() {
    let system = TestSystem::start().await;
    for i in 0..120 {
        system.create_post(&format!("post {i}")).await;
    }

    // The newest page, then back a page at a time, then forward from a sequence.
    let newest = tape(&system, "/streams/POSTS/messages").await;
    assert_eq!(seqs(&newest), (71..=120).collect::<Vec<_>>());
    assert_eq!(newest["messages"][49]["body"]["data"]["title"], "post 119");
    let older = tape(&system, "/streams/POSTS/messages?before=71").await;
    assert_eq!(seqs(&older), (21..=70).collect::<Vec<_>>());
    let oldest = tape(&system, "/streams/POSTS/messages?before=21&limit=50").await;
    assert_eq!(
        seqs(&oldest),
        (1..=20).collect::<Vec<_>>(),
        "the oldest page is short"
    );
    let from = tape(&system, "/streams/POSTS/messages?from=118&limit=10").await;
    assert_eq!(seqs(&from), [118, 119, 120]);
    let beyond = tape(&system, "/streams/POSTS/messages?from=121").await;
    assert_eq!(
        seqs(&beyond),
        Vec::<u64>::new(),
        "following the end: nothing new yet"
    );

    for (path, status, words) in [
        ("/streams/POSTS/messages?limit=0", 400, "limit"),
        ("/streams/POSTS/messages?limit=500", 400, "limit"),
        ("/streams/POSTS/messages?before=3&from=1", 400, "not both"),
        ("/streams/POSTS/messages?from=abc", 400, "whole number"),
        (
            "/streams/POSTS/messages?sort=desc",
            400,
            "unknown parameter",
        ),
        ("/streams/NOPE/messages", 404, "COMMENTS"),
        ("/streams/KV_MODERATION_KNOBS/messages", 404, "no stream"),
    ] {
        let (got, body) = system.get_json(Service::Query, path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains(words)),
            "{path}: {body}"
        );
    }
}
