//! The lab console's promises on the moderation side: knobs set through one instance reach
//! every instance through the KV bucket, with no restart; and a person's decision on a
//! waiting comment is taken exactly once, across instances and a restart.

use crate::helpers::{statuses, Service, TestSystem};
use bus::StreamDef;
use serde_json::{json, Value};

/// The system and a second moderation instance sharing the first one's consumer.
async fn with_two_moderations() -> TestSystem {
    let mut system = TestSystem::start().await;
    system.start_service(Service::ModerationTwin).await;
    system
}

/// Waits until `instance` has the knobs of `revision` in force.
async fn knobs_at(system: &TestSystem, instance: Service, revision: &Value) -> Value {
    system
        .get_until(instance, "/knobs", "the new knobs in force", |k| {
            k["revision"] == *revision
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knobs_set_through_one_instance_are_in_force_on_both_without_a_restart() {
    let system = with_two_moderations().await;
    let (status, before) = system.get_json(Service::ModerationTwin, "/knobs").await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(
        before["revision"],
        Value::Null,
        "nobody set them yet: {before}"
    );
    assert_eq!(before["knobs"]["rejectWords"], json!(["orange"]));

    // Bad knobs change nothing, and say what is wrong.
    let (status, body) = system
        .put_json(Service::Moderation, "/knobs", json!({"failRate": 2}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap_or("").contains("failRate"),
        "{body}"
    );

    let (status, stored) = system
        .put_json(
            Service::Moderation,
            "/knobs",
            json!({"rejectWords": ["kiwi"], "concurrency": 2}),
        )
        .await;
    assert_eq!(status, 200, "{stored}");
    for instance in [Service::Moderation, Service::ModerationTwin] {
        let now = knobs_at(&system, instance, &stored["revision"]).await;
        assert_eq!(now["knobs"]["rejectWords"], json!(["kiwi"]), "{instance:?}");
        assert_eq!(now["knobs"]["concurrency"], 2, "{instance:?}");
    }

    // Whichever instance moderates them, the new rule holds.
    let post = system.create_post("fruit").await;
    let kiwi = system.create_comment(&post, "a kiwi, please").await;
    let orange = system.create_comment(&post, "an orange now passes").await;
    let posts = system
        .query_until("both comments decided", |p| {
            let s = statuses(p);
            [&kiwi, &orange]
                .iter()
                .all(|c| s.get(*c).is_some_and(|v| v != "pending"))
        })
        .await;
    let decided = statuses(&posts);
    assert_eq!(decided[&kiwi], "rejected");
    assert_eq!(decided[&orange], "approved");

    // Deleted, the knobs fall back to each instance's start-up defaults.
    let deleting = system
        .http
        .delete(system.url(Service::ModerationTwin, "/knobs"));
    let status = deleting.send().await.map(|r| r.status().as_u16());
    assert_eq!(status.ok(), Some(204));
    for instance in [Service::Moderation, Service::ModerationTwin] {
        let now = knobs_at(&system, instance, &Value::Null).await;
        assert_eq!(
            now["knobs"]["rejectWords"],
            json!(["orange"]),
            "{instance:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_comment_survives_a_restart_and_is_decided_exactly_once() {
    let mut system = with_two_moderations().await;
    let (status, stored) = system
        .put_json(Service::Moderation, "/knobs", json!({"manual": true}))
        .await;
    assert_eq!(status, 200, "{stored}");
    for instance in [Service::Moderation, Service::ModerationTwin] {
        knobs_at(&system, instance, &stored["revision"]).await;
    }
    let post = system.create_post("waiting").await;
    let comment = system.create_comment(&post, "judge me").await;
    let has_it = |w: &Value| {
        w.as_array()
            .is_some_and(|list| list.iter().any(|c| c["id"] == comment.as_str()))
    };
    system
        .get_until(
            Service::Moderation,
            "/waiting",
            "the comment waiting",
            has_it,
        )
        .await;

    // Moderation restarts (killed, as a crash): the comment still waits, undecided.
    system.kill(Service::Moderation).await;
    system.start_service(Service::Moderation).await;
    let waiting = system
        .get_until(Service::ModerationTwin, "/waiting", "still waiting", has_it)
        .await;
    assert_eq!(waiting[0]["content"], "judge me", "{waiting}");
    let posts = system.query_posts(Service::Query).await;
    assert_eq!(statuses(&posts)[&comment], "pending");

    // Two people decide at once, on two instances: one decision wins.
    let path = format!("/waiting/{comment}/decision");
    let (first, second) = tokio::join!(
        system.post_json(Service::Moderation, &path, json!({"status": "rejected"})),
        system.post_json(
            Service::ModerationTwin,
            &path,
            json!({"status": "approved"})
        ),
    );
    let mut codes = [first.0, second.0];
    codes.sort();
    assert!(
        codes[0] == 200 && (codes[1] == 404 || codes[1] == 409),
        "one decision wins: {first:?} {second:?}"
    );
    let winner = if first.0 == 200 {
        "rejected"
    } else {
        "approved"
    };
    let posts = system
        .query_until("the comment decided", |p| {
            statuses(p).get(&comment).is_some_and(|s| s != "pending")
        })
        .await;
    assert_eq!(statuses(&posts)[&comment], winner);
    system.wait_drained(StreamDef::Comments, "moderation").await;
    assert_eq!(
        system
            .count(StreamDef::Moderation, "CommentModerated")
            .await,
        1,
        "exactly one decision is stored"
    );
    let (status, body) = system
        .post_json(Service::Moderation, &path, json!({"status": "approved"}))
        .await;
    assert_eq!(status, 404, "a decided comment no longer waits: {body}");

    // Back to automatic: what waits is decided by the rule.
    let late = system.create_comment(&post, "an orange, late").await;
    system
        .get_until(
            Service::ModerationTwin,
            "/waiting",
            "the late comment waiting",
            |w| w.as_array().is_some_and(|l| l.len() == 1),
        )
        .await;
    let (status, body) = system
        .put_json(Service::ModerationTwin, "/knobs", json!({"manual": false}))
        .await;
    assert_eq!(status, 200, "{body}");
    let posts = system
        .query_until("the late comment decided by the rule", |p| {
            statuses(p).get(&late).is_some_and(|s| s != "pending")
        })
        .await;
    assert_eq!(statuses(&posts)[&late], "rejected");
    assert_eq!(
        system
            .count(StreamDef::Moderation, "CommentModerated")
            .await,
        2
    );
}
