//! Moderation down: comments wait in the stream, and are all moderated, once each, when it
//! comes back. (The original course's in-memory bus lost them.)

use crate::helpers::{statuses, Service, TestSystem};
use bus::StreamDef;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_posted_while_moderation_is_down_are_moderated_once_it_returns() {
    let mut system = TestSystem::start().await;
    let post = system.create_post("Resilience").await;
    system.kill(Service::Moderation).await;

    let mut comments = Vec::new();
    for i in 0..6 {
        let content = if i % 3 == 0 {
            format!("orange {i}")
        } else {
            format!("fine {i}")
        };
        comments.push((system.create_comment(&post, &content).await, i % 3 == 0));
    }
    system
        .query_until("all comments visible", |posts| statuses(posts).len() == 6)
        .await;
    // Give a running moderator ample time to act; with none running, all stay pending.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posts = system.query_posts(Service::Query).await;
    assert!(statuses(&posts).values().all(|s| s == "pending"), "{posts}");
    assert_eq!(
        system
            .count(StreamDef::Moderation, "CommentModerated")
            .await,
        0
    );

    system.start_service(Service::Moderation).await;
    let posts = system
        .query_until("every comment moderated", |posts| {
            statuses(posts).values().all(|s| s != "pending")
        })
        .await;
    let now = statuses(&posts);
    for (id, orange) in &comments {
        assert_eq!(now[id], if *orange { "rejected" } else { "approved" });
    }
    system.wait_drained(StreamDef::Comments, "moderation").await;
    system.wait_drained(StreamDef::Moderation, "comments").await;
    assert_eq!(
        system
            .count(StreamDef::Moderation, "CommentModerated")
            .await,
        6,
        "none twice"
    );
    assert_eq!(
        system.count(StreamDef::Comments, "CommentUpdated").await,
        6,
        "none twice"
    );
}
