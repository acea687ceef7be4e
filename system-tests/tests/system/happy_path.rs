//! A user's first five minutes: a post, two comments, one approved and one rejected.

use crate::helpers::{statuses, TestSystem};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_goes_from_pending_to_approved_or_rejected() {
    let system = TestSystem::start().await;
    let post = system.create_post("Event-driven blogs").await;
    let nice = system.create_comment(&post, "Great post").await;
    let fruity = system.create_comment(&post, "I prefer Orange juice").await;

    let posts = system
        .query_until("both comments moderated", |posts| {
            let s = statuses(posts);
            s.get(&nice).is_some_and(|s| s == "approved")
                && s.get(&fruity).is_some_and(|s| s == "rejected")
        })
        .await;
    assert_eq!(posts[0]["title"], "Event-driven blogs");
    assert_eq!(posts[0]["comments"][0]["content"], "Great post");

    // The writers' own lists agree (posts lists the post; comments knows the outcome).
    let (status, listed) = system.list_posts().await;
    assert_eq!(
        (status, listed[0]["id"].as_str()),
        (200, Some(post.as_str()))
    );
    let (status, comments) = system.list_comments(&post).await;
    assert_eq!(status, 200);
    assert_eq!(comments.as_array().map(Vec::len), Some(2));
    assert!(comments
        .as_array()
        .into_iter()
        .flatten()
        .all(|c| c["postId"] == post.as_str()));

    // Query also answers one post at a time.
    let (status, one) = system.query_post(&post).await;
    assert_eq!(status, 200);
    assert_eq!(one["comments"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_is_readable_from_its_service_at_once() {
    let system = TestSystem::start().await;
    for i in 0..5 {
        let post = system.create_post(&format!("post {i}")).await;
        // No waiting: the 201 came only after the posts service applied its own event.
        let (_, listed) = system.list_posts().await;
        assert!(listed
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["id"] == post.as_str()));
        // And comments can already see the post, though it learned of it from the stream.
        let comment = system.create_comment(&post, "first").await;
        let (_, comments) = system.list_comments(&post).await;
        assert_eq!(comments[0]["id"], comment.as_str());
        let status = comments[0]["status"].as_str().unwrap_or_default();
        assert!(["pending", "approved"].contains(&status), "status {status}");
    }
}
