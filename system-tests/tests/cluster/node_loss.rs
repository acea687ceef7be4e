//! A NATS node lost under write load: SIGKILL the node that leads COMMENTS while clients
//! write comments through two comments instances, and one of three (partitioned)
//! moderation instances crashes too: the others take its partitions over. Writes continue after the election; every acknowledged comment is stored,
//! moderated and shown exactly once, by two query instances that agree.

use crate::helpers::{eventually, statuses, ClusterSystem, Kind, DEADLINE};
use bus::StreamDef;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long the writers write.
const WRITE_FOR: Duration = Duration::from_secs(8);
const WRITERS: usize = 4;

/// What the writers saw: each key's comment id, and when each write was acknowledged.
#[derive(Default)]
struct Seen {
    ids: HashMap<String, String>,
    acked_at: Vec<Instant>,
    refused: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn losing_the_stream_leader_under_load_loses_and_duplicates_nothing() {
    let mut system = ClusterSystem::start();
    let posts = system.start_instance(Kind::Posts).await;
    let comment_instances = [
        system.start_instance(Kind::Comments).await,
        system.start_instance(Kind::Comments).await,
    ];
    // Moderation partitioned: each instance owns some partitions of the comments.
    let mut moderators = Vec::new();
    for index in 0..3 {
        let kind = Kind::ModerationPartitioned { index, of: 3 };
        moderators.push(system.start_instance(kind).await);
    }
    let query_a = system.start_instance(Kind::Query("query-a")).await;
    let query_b = system.start_instance(Kind::Query("query-b")).await;
    let post = system.create_post(posts, "under load").await;

    // Writers: each key is retried (on any instance) until it is acknowledged, as a careful
    // client does; a refusal while the cluster elects a leader is only a delay.
    let seen = Arc::new(Mutex::new(Seen::default()));
    let started = Instant::now();
    let urls: Vec<String> = comment_instances
        .iter()
        .map(|&i| system.url(i, &format!("/posts/{post}/comments")))
        .collect();
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (http, urls, seen) = (system.http.clone(), urls.clone(), seen.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while started.elapsed() < WRITE_FOR {
                n += 1;
                let key = format!("w{writer}-{n}");
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    assert!(attempt < 2000, "{key} was never acknowledged");
                    let url = &urls[(n + attempt) % urls.len()];
                    let answer = http
                        .post(url)
                        .header("idempotency-key", &key)
                        .json(&json!({ "content": format!("comment {key}") }))
                        .send()
                        .await;
                    let created = match answer {
                        Ok(answer) if answer.status() == 201 => {
                            answer.json::<serde_json::Value>().await.ok()
                        }
                        _ => None,
                    };
                    if let Some(body) = created {
                        let id = body["id"].as_str().unwrap_or_default().to_owned();
                        let mut seen = seen.lock().await;
                        seen.ids.insert(key.clone(), id);
                        seen.acked_at.push(Instant::now());
                        break;
                    }
                    seen.lock().await.refused += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }));
    }

    // The faults: a moderation instance crashes, then the COMMENTS leader node.
    tokio::time::sleep(Duration::from_secs(1)).await;
    system.kill_instance(moderators[0]).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let leader = system
        .stream_leader(StreamDef::Comments)
        .await
        .expect("COMMENTS has a leader");
    let node = (0..3)
        .find(|&i| system.cluster.name(i) == leader)
        .expect("the leader is one of the three nodes");
    let killed_at = Instant::now();
    system.cluster.kill_node(node);
    tokio::time::sleep(Duration::from_secs(3)).await;
    system.cluster.start_node(node);

    for writer in writers {
        writer.await.expect("a writer does not panic");
    }
    let seen = seen.lock().await;
    let acknowledged: BTreeSet<&String> = seen.ids.values().collect();
    assert_eq!(acknowledged.len(), seen.ids.len(), "two keys, one comment");
    // The write unavailability: the longest wait between two acknowledged writes in the
    // ten seconds after the kill (the election, reconnections and retries included).
    let mut acked: Vec<Instant> = seen.acked_at.clone();
    acked.sort();
    let window_end = killed_at + Duration::from_secs(10);
    let mut marks = vec![killed_at];
    marks.extend(
        acked
            .iter()
            .filter(|t| **t >= killed_at && **t <= window_end),
    );
    let longest_gap = marks
        .windows(2)
        .map(|pair| pair[1].duration_since(pair[0]))
        .max()
        .unwrap_or(WRITE_FOR);
    eprintln!(
        "cluster: {} comments acknowledged, {} refusals retried; longest wait between two \
         acknowledged writes after the COMMENTS leader ({leader}) was killed: {} ms",
        acknowledged.len(),
        seen.refused,
        longest_gap.as_millis()
    );
    assert!(
        marks.len() > 1,
        "no write succeeded in the ten seconds after the leader was killed"
    );

    // Each acknowledged comment: shown once, approved, by both query instances, alike.
    let total = acknowledged.len();
    for query in [query_a, query_b] {
        every_comment_approved(&system, query, &acknowledged).await;
    }
    let (_, a) = system.get(query_a, "/posts").await;
    let (_, b) = system.get(query_b, "/posts").await;
    assert_eq!(a, b, "two query instances disagree once caught up");
    // The streams hold each comment once, and one decision per comment: the killed
    // moderation instance's work was taken over by the others, not done twice.
    let comments = system.messages(StreamDef::Comments).await;
    let decisions = system.messages(StreamDef::Moderation).await;
    assert_eq!(
        (comments, decisions),
        (2 * total as u64, total as u64),
        "COMMENTS holds a CommentCreated and a CommentUpdated per comment"
    );
    // And the killed node caught up: it answers with the same stream.
    let node_url = format!("nats://127.0.0.1:{}", system.cluster.client_port(node));
    let mut admin = system.cluster.bus_config(bus::auth::ADMIN);
    admin.servers = vec![node_url];
    let js = async_nats::jetstream::new(bus::connect::connect(&admin).await);
    eventually("the restarted node caught up", || async {
        let Ok(mut stream) = js.get_stream(StreamDef::Comments.name()).await else {
            return false;
        };
        stream.info().await.is_ok_and(|info| {
            info.cluster
                .as_ref()
                .is_some_and(|c| c.replicas.iter().all(|r| r.current) && c.leader.is_some())
        })
    })
    .await;
}

/// Waits until `query` shows every acknowledged comment, approved, and nothing else; if it
/// does not within [`DEADLINE`], fails saying what is missing, what is not approved yet and
/// what the streams hold, so a failure names where the chain stopped.
async fn every_comment_approved(
    system: &ClusterSystem,
    query: usize,
    acknowledged: &BTreeSet<&String>,
) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let (_, posts) = system.get(query, "/posts").await;
        let statuses = statuses(&posts);
        let missing = acknowledged
            .iter()
            .filter(|id| !statuses.contains_key(id.as_str()))
            .count();
        let mut not_approved: HashMap<&str, usize> = HashMap::new();
        for id in acknowledged {
            if let Some(status) = statuses.get(id.as_str()).filter(|s| *s != "approved") {
                *not_approved.entry(status.as_str()).or_default() += 1;
            }
        }
        let shown = statuses.len();
        if missing == 0 && not_approved.is_empty() && shown == acknowledged.len() {
            return;
        }
        if Instant::now() > deadline {
            let comments = system.messages(StreamDef::Comments).await;
            let decisions = system.messages(StreamDef::Moderation).await;
            panic!(
                "query instance {query} after {DEADLINE:?}: of {} acknowledged comments {missing} \
                 missing, not approved {not_approved:?}, {shown} shown in all; COMMENTS holds \
                 {comments} messages, MODERATION {decisions}",
                acknowledged.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
