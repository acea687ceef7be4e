//! Query down: it replays the whole history on start, and its answer equals that of a
//! query instance that never stopped. It reports ready only once the replay caught up.

use crate::helpers::{comment_ids, eventually, eventually_some, Service, TestSystem};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_query_rebuilds_the_same_read_model_and_is_ready_only_when_complete() {
    let mut system = TestSystem::start().await;
    system.start_service(Service::QueryTwin).await;
    let first = system.create_post("before the crash").await;
    system.create_comment(&first, "early").await;

    system.kill(Service::Query).await;
    for i in 0..20 {
        let post = system
            .create_post(&format!("while query is down {i}"))
            .await;
        for j in 0..4 {
            let content = if j == 3 { "orange" } else { "ok" };
            system.create_comment(&post, content).await;
        }
    }
    // The twin never stopped: wait until it has settled (every comment moderated).
    let expected = system
        .get_until(Service::QueryTwin, "/posts", "the twin to settle", |twin| {
            comment_ids(twin).len() == 81 && !twin.to_string().contains("\"pending\"")
        })
        .await;

    // Restart query. The first time its /health says ready, its read model must already
    // be complete: no polling of /posts after that.
    let (port, _client, run) = system.build(Service::Query).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(run(stop.clone()));
    let health = format!("http://127.0.0.1:{port}/health");
    let posts_url = format!("http://127.0.0.1:{port}/posts");
    eventually("the restarted query to report ready", || async {
        let answer = system.http.get(&health).send().await;
        answer.is_ok_and(|r| r.status() == 200)
    })
    .await;
    let rebuilt: serde_json::Value = eventually_some("the rebuilt /posts answer", || async {
        let answer = system.http.get(&posts_url).send().await;
        match answer {
            Ok(response) => response.json().await.map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        }
    })
    .await;
    assert_eq!(rebuilt, expected);
    stop.cancel();
    let _ = task.await;
}
