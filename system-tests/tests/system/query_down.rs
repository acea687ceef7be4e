//! Query down: it replays the whole history on start, and its answer equals that of a
//! query instance that never stopped. It reports ready only once the replay caught up.

use crate::helpers::{comment_ids, eventually, eventually_some, Service, TestSystem};
use async_nats::jetstream::consumer::DeliverPolicy;
use bus::{CorrelationId, Event, EventBody, PostCreated, PostId, StreamDef};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio_util::sync::CancellationToken;

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

/// Posts are written all through query's restart — before, during and after its replay.
/// The replay (an ordered consumer through the stream's end at startup) and the durable
/// consumer that takes over after that end must together read every post, and the durable
/// nothing of what the replay read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_during_a_restart_are_read_once_across_the_hand_over() {
    const HISTORY: u64 = 20_000;
    let mut system = TestSystem::start().await;
    system.start_service(Service::QueryTwin).await;
    // A history long enough for the replay to take a while, stored straight into POSTS.
    let publisher = bus::Publisher::new(system.jetstream().await.client());
    for chunk in 0..HISTORY / 500 {
        let writes = (0..500).map(|n| {
            let body = EventBody::PostCreated(PostCreated {
                id: PostId::new(),
                title: format!("history {}", chunk * 500 + n),
            });
            let event = Event::new(body, CorrelationId::new());
            let publisher = &publisher;
            async move { publisher.publish(&event).await.map(|_| ()) }
        });
        for stored in futures::future::join_all(writes).await {
            stored.expect("a history event stored");
        }
    }
    system.kill(Service::Query).await;

    // One writer, creating posts until told to stop.
    let (written, stop_writing) = (AtomicU64::new(0), CancellationToken::new());
    let writer = async {
        while !stop_writing.is_cancelled() {
            let (status, _) = system.try_create_post("written during the restart").await;
            assert_eq!(status, 201, "posts accepts writes throughout");
            written.fetch_add(1, Ordering::Relaxed);
        }
    };
    let restart = async {
        let before = written.load(Ordering::Relaxed);
        let (port, _client, run) = system.build(Service::Query).await;
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(stop.clone()));
        let health = format!("http://127.0.0.1:{port}/health");
        eventually("the restarted query to report ready", || async {
            let answer = system.http.get(&health).send().await;
            answer.is_ok_and(|r| r.status() == 200)
        })
        .await;
        let at_ready = written.load(Ordering::Relaxed);
        eventually("more posts written after query is ready", || async {
            written.load(Ordering::Relaxed) >= at_ready + 20
        })
        .await;
        stop_writing.cancel();
        (port, stop, task, before, at_ready)
    };
    let ((port, stop, task, before, at_ready), ()) = tokio::join!(restart, writer);
    let written = written.load(Ordering::Relaxed);
    assert!(
        at_ready > before,
        "posts were written while query restarted"
    );

    // Nothing lost: the same posts as the twin, which never stopped.
    let posts = HISTORY + written;
    let expected = system
        .get_until(
            Service::QueryTwin,
            "/posts",
            "the twin to have every post",
            |twin| twin.as_array().map(Vec::len) == Some(posts as usize),
        )
        .await;
    let posts_url = format!("http://127.0.0.1:{port}/posts");
    let rebuilt: serde_json::Value =
        eventually_some("the restarted query to have every post", || async {
            let answer = system.http.get(&posts_url).send().await;
            let body: serde_json::Value = match answer {
                Ok(response) => response.json().await.map_err(|e| e.to_string())?,
                Err(error) => return Err(error.to_string()),
            };
            match body.as_array().map(Vec::len) {
                Some(n) if n as u64 == posts => Ok(body),
                other => Err(format!("{other:?} posts of {posts}")),
            }
        })
        .await;
    assert_eq!(rebuilt, expected);

    // Nothing read twice: what the replay read (its `/health` says) and what the durable
    // delivered add up to the stream's messages, the durable starting right after the
    // replay's end.
    let health_url = format!("http://127.0.0.1:{port}/health");
    let answer = system.http.get(&health_url).send().await;
    let health: serde_json::Value = answer.expect("query answers").json().await.expect("JSON");
    let replay = &health["streams"]["POSTS"]["replay"];
    let (through, replayed) = (replay["through"].as_u64(), replay["messages"].as_u64());
    let (Some(through), Some(replayed)) = (through, replayed) else {
        panic!("query's /health says what its replay read: {health}");
    };
    assert!(
        through >= HISTORY + before,
        "the replay read the history: {health}"
    );
    let info = system.consumer_info(StreamDef::Posts, "query").await;
    assert_eq!(
        info.config.deliver_policy,
        DeliverPolicy::ByStartSequence {
            start_sequence: through + 1
        },
        "query's durable starts right after the replay's end"
    );
    assert_eq!(
        replayed + info.delivered.consumer_sequence,
        posts,
        "every post read once: {replayed} by the replay, {} by the durable",
        info.delivered.consumer_sequence
    );
    stop.cancel();
    let _ = task.await;
}
