//! `bus::consume` with concurrency: parallel across entities, in order within one, never
//! more than the limit at once, each message acked after its work.

use bus::consume::{consume, Durable, Outcome};
use bus::testing::TestNats;
use bus::{
    CommentCreated, CommentId, CommentStatus, CorrelationId, Event, EventBody, PostId, StreamDef,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracker::Tracker;

/// Counts what runs at once and in which order things finish (a std Mutex: never held
/// across an await).
mod tracker {
    use std::sync::Mutex;

    #[derive(Default)]
    pub struct Tracker {
        pub state: Mutex<State>,
    }

    #[derive(Default)]
    pub struct State {
        pub running: usize,
        pub most_at_once: usize,
        pub finished: Vec<(String, usize)>,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_run_in_parallel_across_entities_and_in_order_within_one() {
    const ENTITIES: usize = 6;
    const PER_ENTITY: usize = 4;
    const LIMIT: usize = 3;
    let nats = TestNats::start();
    let client = bus::connect::connect_and_wait_for(
        &nats.bus_config(bus::auth::ADMIN),
        &[StreamDef::Comments],
    )
    .await;
    let publisher = bus::Publisher::new(client);
    let entities: Vec<CommentId> = (0..ENTITIES).map(|_| CommentId::new()).collect();
    // Interleaved: entity 0 #0, entity 1 #0, …, entity 0 #1, …
    for round in 0..PER_ENTITY {
        for (e, id) in entities.iter().enumerate() {
            let body = EventBody::CommentCreated(CommentCreated {
                id: *id,
                post_id: PostId::new(),
                content: format!("{e}:{round}"),
                status: CommentStatus::Pending,
            });
            publisher
                .publish(&Event::new(body, CorrelationId::new()))
                .await
                .expect("stored");
        }
    }

    let tracker = Arc::new(Tracker::default());
    let stop = CancellationToken::new();
    let durable = Durable::new(StreamDef::Comments, "ordered", None).with_concurrency(LIMIT);
    let run = consume(
        publisher.jetstream().clone(),
        durable,
        None,
        stop.clone(),
        |event, _| {
            let tracker = tracker.clone();
            let stop = stop.clone();
            async move {
                let EventBody::CommentCreated(c) = event.body else {
                    return Outcome::Done;
                };
                let (entity, round) = c.content.split_once(':').unwrap_or_default();
                {
                    let mut state = tracker.state.lock().unwrap_or_else(|e| e.into_inner());
                    state.running += 1;
                    state.most_at_once = state.most_at_once.max(state.running);
                }
                tokio::time::sleep(Duration::from_millis(40)).await;
                let mut state = tracker.state.lock().unwrap_or_else(|e| e.into_inner());
                state.running -= 1;
                state
                    .finished
                    .push((entity.to_owned(), round.parse().unwrap_or(usize::MAX)));
                if state.finished.len() == ENTITIES * PER_ENTITY {
                    stop.cancel();
                }
                Outcome::Done
            }
        },
    );
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("all handled in time");

    let (most_at_once, finished) = {
        let state = tracker.state.lock().unwrap_or_else(|e| e.into_inner());
        (state.most_at_once, state.finished.clone())
    };
    assert!(
        most_at_once <= LIMIT,
        "ran {most_at_once} at once, limit {LIMIT}"
    );
    assert!(most_at_once >= 2, "never ran two at once: no parallelism");
    let mut by_entity: HashMap<&str, Vec<usize>> = HashMap::new();
    for (entity, round) in &finished {
        by_entity.entry(entity.as_str()).or_default().push(*round);
    }
    assert_eq!(by_entity.len(), ENTITIES);
    for (entity, rounds) in by_entity {
        assert_eq!(
            rounds,
            (0..PER_ENTITY).collect::<Vec<_>>(),
            "entity {entity} out of order"
        );
    }
    // Every message was acked: nothing left for the consumer.
    let js = publisher.jetstream().clone();
    crate::helpers::eventually("every message acked", || {
        let js = js.clone();
        async move {
            let Ok(mut consumer) = js
                .get_consumer_from_stream::<async_nats::jetstream::consumer::pull::Config, _, _>(
                    "ordered", "COMMENTS",
                )
                .await
            else {
                return false;
            };
            consumer
                .info()
                .await
                .is_ok_and(|i| i.num_pending == 0 && i.num_ack_pending == 0)
        }
    })
    .await;
}
