//! Posts or comments down: their state is rebuilt from their own stream at startup, and
//! nothing they acknowledged is lost.

use crate::helpers::{statuses, Service, TestSystem};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_and_comments_rebuild_their_state_after_a_crash() {
    let mut system = TestSystem::start().await;
    let post = system.create_post("survives crashes").await;
    let comment = system.create_comment(&post, "me too").await;
    system
        .query_until("comment approved", |p| {
            statuses(p).get(&comment).is_some_and(|s| s == "approved")
        })
        .await;
    let (_, posts_before) = system.list_posts().await;
    let (_, comments_before) = system.list_comments(&post).await;

    system.kill(Service::Posts).await;
    system.kill(Service::Comments).await;
    system.start_service(Service::Posts).await;
    system.start_service(Service::Comments).await;

    assert_eq!(system.list_posts().await, (200, posts_before));
    assert_eq!(
        system.list_comments(&post).await,
        (200, comments_before.clone())
    );
    assert_eq!(comments_before[0]["status"], "approved");

    // And they carry on: a new comment on the old post is accepted and moderated.
    let later = system.create_comment(&post, "after the restart").await;
    system
        .query_until("new comment approved", |p| {
            statuses(p).get(&later).is_some_and(|s| s == "approved")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_finishes_and_a_restart_resumes() {
    let mut system = TestSystem::start().await;
    let post = system.create_post("graceful").await;
    system.stop(Service::Moderation).await;
    let comment = system.create_comment(&post, "waiting").await;
    system.start_service(Service::Moderation).await;
    system
        .query_until("approved after restart", |p| {
            statuses(p).get(&comment).is_some_and(|s| s == "approved")
        })
        .await;
}
