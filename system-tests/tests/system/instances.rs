//! Several query instances: each started without special settings keeps its own consumers
//! and so the complete read model; a second one given a name already in use is refused
//! instead of splitting the streams with the first.

use crate::helpers::{build_service, comment_ids, Knobs, Service, TestSystem};
use serde_json::Value;

fn post_ids(posts: &Value) -> Vec<String> {
    posts
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_instances_started_without_names_each_hold_the_whole_read_model() {
    let mut system = TestSystem::with_broker_only();
    for service in [Service::Posts, Service::Comments, Service::Moderation] {
        system.start_service(service).await;
    }
    system.start_service(Service::QueryUnnamed(1)).await;
    system.start_service(Service::QueryUnnamed(2)).await;
    let mut expected = Vec::new();
    for n in 0..6 {
        let post = system.create_post(&format!("post {n}")).await;
        system.create_comment(&post, "hello").await;
        expected.push(post);
    }
    let complete = |p: &Value| post_ids(p) == expected && comment_ids(p).len() == 6;
    let first = system
        .get_until(
            Service::QueryUnnamed(1),
            "/posts",
            "instance 1 complete",
            complete,
        )
        .await;
    let second = system
        .get_until(
            Service::QueryUnnamed(2),
            "/posts",
            "instance 2 complete",
            complete,
        )
        .await;
    assert_eq!(post_ids(&first), post_ids(&second));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_query_under_a_name_in_use_is_refused() {
    let system = TestSystem::start().await;
    let settings = system.settings(Service::Query);
    let twin = query::Settings {
        instance: Some("query".into()),
        ..query::Settings::for_test(settings)
    };
    let refused = query::Application::build(twin).await;
    let error = refused.err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(
        error.contains("already runs with the consumer name \"query\""),
        "{error}"
    );
    // The first instance is untouched and still answers.
    system.create_post("still whole").await;
    system
        .query_until("the first instance goes on", |p| post_ids(p).len() == 1)
        .await;
    // (A name nobody uses is fine.)
    let _ = build_service(
        Service::QueryUnnamed(3),
        system.settings(Service::Query),
        Knobs::default(),
    )
    .await;
}
