//! A handler slower than its consumer's ack wait keeps its message: it sends in-progress
//! acks while it works, so JetStream never hands the same comment out a second time.

use crate::helpers::{statuses, TestSystem};
use bus::StreamDef;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_slower_than_the_ack_wait_decides_each_comment_once() {
    // The case, scaled down: 45 s decisions against a 30 s ack wait become 2.5 s
    // decisions against a 1 s ack wait.
    let system = TestSystem::start_configured(|system| {
        system.ack_wait = Duration::from_secs(1);
        system.moderation_knobs.delay = Duration::from_millis(2_500);
    })
    .await;
    let post = system.create_post("slow moderator").await;
    for n in 0..20 {
        system.create_comment(&post, &format!("comment {n}")).await;
    }
    system
        .query_until("all 20 moderated", |p| {
            let s = statuses(p);
            s.len() == 20 && s.values().all(|s| s == "approved")
        })
        .await;
    system.wait_drained(StreamDef::Comments, "moderation").await;

    let info = system
        .consumer_info(StreamDef::Comments, "moderation")
        .await;
    // Every delivery, redeliveries included, takes a consumer sequence number.
    assert_eq!(
        info.delivered.consumer_sequence, 20,
        "no comment was handed out twice"
    );
    assert_eq!(info.num_redelivered, 0);
    assert_eq!(
        system
            .count(StreamDef::Moderation, "CommentModerated")
            .await,
        20
    );
    let system_view = system.system_until("a first look", |_| true).await;
    assert_eq!(
        system_view["deadLetters"].as_array().map(Vec::len),
        Some(0),
        "{system_view}"
    );
}
