//! Partitioned order across instances (`bus::partitions`): events about one comment are
//! handled in order, by one instance at a time, while two instances work on different
//! partitions in parallel; when one instance dies, the other takes its partitions over
//! and still keeps each comment's order.

use bus::consume::Outcome;
use bus::partitions::{consume_partitions, Membership, MODERATION_WORK};
use bus::testing::TestCluster;
use bus::{
    CommentCreated, CommentId, CommentStatus, CorrelationId, Event, EventBody, PostId, Publisher,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const ENTITIES: usize = 16;
const ROUNDS: usize = 6;

/// What the handlers saw (a std Mutex: never held across an await).
#[derive(Default)]
struct Seen {
    /// Per comment, each round in the order its handling finished.
    finished: HashMap<CommentId, Vec<usize>>,
    /// Comments being handled right now, and by which instance.
    running: HashMap<CommentId, usize>,
    /// Which instance handled which partition subject.
    by_instance: HashMap<usize, HashSet<String>>,
    overlaps: usize,
}

fn event(id: CommentId, round: usize) -> Event {
    let body = EventBody::CommentCreated(CommentCreated {
        id,
        post_id: PostId::new(),
        content: round.to_string(),
        status: CommentStatus::Pending,
    });
    Event::new(body, CorrelationId::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_instance_at_a_time_per_partition_in_order_per_comment_and_taken_over() {
    let cluster = TestCluster::start(3);
    let writer = bus::connect::connect(&cluster.bus_config(bus::auth::ADMIN)).await;
    let publisher = Publisher::new(writer);
    let comments: Vec<CommentId> = (0..ENTITIES).map(|_| CommentId::new()).collect();
    // Interleaved, so each partition holds several comments' rounds mixed together.
    for round in 0..ROUNDS {
        for id in &comments {
            publisher.publish(&event(*id, round)).await.expect("stored");
        }
    }

    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut stops = Vec::new();
    let mut tasks = Vec::new();
    for index in 0..2u32 {
        let config = cluster.bus_config("moderation");
        let js = async_nats::jetstream::new(bus::connect::connect(&config).await);
        let membership = Membership {
            preferred: Membership::spread(index, 2, MODERATION_WORK.partitions),
            standby_after: Duration::from_millis(500),
            takeover_after: Duration::from_secs(2),
            ack_wait: Duration::from_secs(2),
        };
        let (stop, seen) = (CancellationToken::new(), seen.clone());
        stops.push((stop.clone(), js.client()));
        tasks.push(tokio::spawn(async move {
            let seen = &seen;
            consume_partitions(
                js,
                MODERATION_WORK,
                "moderation",
                membership,
                None,
                stop,
                |event, delivery| async move {
                    let EventBody::CommentCreated(created) = &event.body else {
                        return Outcome::Done;
                    };
                    let round: usize = created.content.parse().unwrap_or(usize::MAX);
                    {
                        let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                        if seen.running.insert(created.id, index as usize).is_some() {
                            seen.overlaps += 1;
                        }
                        let _ = delivery;
                    }
                    tokio::time::sleep(Duration::from_millis(15)).await;
                    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                    seen.running.remove(&created.id);
                    seen.finished.entry(created.id).or_default().push(round);
                    let partition = MODERATION_WORK.partition_of(&created.id.to_string());
                    seen.by_instance
                        .entry(index as usize)
                        .or_default()
                        .insert(partition);
                    Outcome::Done
                },
            )
            .await
        }));
    }

    // Let both work a while, then instance 1 crashes: its tasks stop mid-message and its
    // connection closes.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done: usize = {
            let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            seen.finished.values().map(Vec::len).sum()
        };
        if done >= ENTITIES * ROUNDS / 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the instances did not start working"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Until now each partition was one instance's own: the server pinned it there.
    let owned_before: Vec<HashSet<String>> = {
        let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
        (0..2)
            .map(|i| seen.by_instance.get(&i).cloned().unwrap_or_default())
            .collect()
    };
    tasks[1].abort();
    let _ = stops[1].1.drain().await;
    // What it had in hand died with it (and comes back to the other instance).
    seen.lock()
        .unwrap_or_else(|e| e.into_inner())
        .running
        .retain(|_, instance| *instance != 1);
    // One more round of every comment, after the crash: work in every partition that only
    // the instance left can do (instance 1 may have finished a partition of few comments).
    for id in &comments {
        publisher
            .publish(&event(*id, ROUNDS))
            .await
            .expect("stored");
    }

    // Every round of every comment is handled, in order, by the one instance left.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let complete = {
            let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            comments.iter().all(|id| {
                let rounds = seen.finished.get(id).map(Vec::as_slice).unwrap_or(&[]);
                (0..=ROUNDS).all(|r| rounds.contains(&r))
            })
        };
        if complete {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "instance 0 did not take over every partition"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stops[0].0.cancel();
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(
        seen.overlaps, 0,
        "two instances handled one comment at once"
    );
    for (id, rounds) in &seen.finished {
        // At least once: a round the crashed instance had in hand may come again, but
        // never after a later round.
        let mut sorted = rounds.clone();
        sorted.sort();
        assert_eq!(rounds, &sorted, "comment {id} handled out of order");
    }
    assert!(
        !owned_before[0].is_empty() && !owned_before[1].is_empty(),
        "both instances worked: {owned_before:?}"
    );
    assert!(
        owned_before[0].is_disjoint(&owned_before[1]),
        "a partition was worked by both instances at once: {owned_before:?}"
    );
    // Every partition that holds comments (16 random ids may leave one empty).
    let holding: HashSet<String> = comments
        .iter()
        .map(|id| MODERATION_WORK.partition_of(&id.to_string()))
        .collect();
    assert_eq!(
        seen.by_instance.get(&0),
        Some(&holding),
        "instance 0 took over every partition"
    );
}
