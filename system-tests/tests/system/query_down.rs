//! Query down: it replays the whole history on start, and its answer equals that of a
//! query instance that never stopped. It reports ready only once the replay caught up.

use crate::helpers::{comment_ids, Service, TestSystem};

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
    let expected = loop {
        let (_, twin) = system.get_json(Service::QueryTwin, "/posts").await;
        let settled = comment_ids(&twin).len() == 81 && !twin.to_string().contains("\"pending\"");
        if settled {
            break twin;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    };

    // Restart query. The first time its /health says ready, its read model must already
    // be complete: no polling of /posts after that.
    let (port, _client, run) = system.build(Service::Query).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(run(stop.clone()));
    let health = format!("http://127.0.0.1:{port}/health");
    let posts_url = format!("http://127.0.0.1:{port}/posts");
    let deadline = std::time::Instant::now() + crate::helpers::DEADLINE;
    loop {
        let answer = system.http.get(&health).send().await;
        if answer.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "query never became ready"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let rebuilt: serde_json::Value = system
        .http
        .get(&posts_url)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(rebuilt, expected);
    stop.cancel();
    let _ = task.await;
}
