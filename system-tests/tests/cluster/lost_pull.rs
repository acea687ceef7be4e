//! A pull that dies with the node holding it: the consumer must not stay deaf.
//!
//! A durable consumer's messages come through pulls: the client asks, the consumer's leader
//! answers as messages arrive. A pull can be lost without an answer — it was held by a node
//! that died, or sent while the consumer had no leader — and the client still counts it as
//! waiting. This is how the browser test once saw a comment stay "pending" for 30 s.

use async_nats::jetstream;
use bus::consume::{consume, Durable, Outcome};
use bus::testing::TestCluster;
use bus::{
    BusConfig, CommentCreated, CommentId, CommentStatus, CorrelationId, Event, EventBody, PostId,
    StreamDef,
};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How soon a consumer must hear again after the node that held its pull is back. (With
/// the client's default pull of 30 s it took 30 s and more.)
const HEARD_AGAIN_WITHIN: Duration = Duration::from_secs(15);

/// The next text handled, if one comes `within`.
async fn hear(heard: &mut mpsc::UnboundedReceiver<String>, within: Duration) -> Option<String> {
    tokio::time::timeout(within, heard.recv())
        .await
        .ok()
        .flatten()
}

/// Asserts that `who` heard the comment "after", published at `sent`, once its node was back.
fn assert_heard_again(heard: Option<String>, sent: Instant, who: &str) {
    assert_eq!(
        heard.as_deref(),
        Some("after"),
        "{who} was deaf for {:.1} s after its node came back (bound: {HEARD_AGAIN_WITHIN:?})",
        sent.elapsed().as_secs_f64()
    );
    println!(
        "heard again {:.1} s after the node came back",
        sent.elapsed().as_secs_f64()
    );
}

fn comment(text: &str) -> Event {
    let body = EventBody::CommentCreated(CommentCreated {
        id: CommentId::new(),
        post_id: PostId::new(),
        content: text.to_owned(),
        status: CommentStatus::Pending,
    });
    Event::new(body, CorrelationId::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_lost_with_its_node_is_made_again_within_seconds() {
    let mut cluster = TestCluster::start(3);
    cluster.provision();
    let admin = bus::connect::connect(&cluster.bus_config(bus::auth::ADMIN)).await;
    let publisher = bus::Publisher::new(admin.clone());
    let js = jetstream::new(admin);

    // One replica: one node holds the consumer, and with it every pull made to it.
    let mut durable = Durable::new(StreamDef::Comments, "lost-pull", None);
    durable.config.num_replicas = 1;
    let created = js
        .get_stream(StreamDef::Comments.name())
        .await
        .expect("the stream")
        .create_consumer(durable.config.clone())
        .await
        .expect("the consumer");
    let holder_name = created
        .cached_info()
        .cluster
        .as_ref()
        .and_then(|c| c.leader.clone())
        .expect("a leader");
    let holder = (0..3)
        .find(|&i| cluster.name(i) == holder_name)
        .expect("the holder is a node");
    // The consuming client talks to another node: it never sees the holder go.
    let elsewhere = cluster.urls()[(holder + 1) % 3].clone();
    let client = bus::connect::connect(&BusConfig::single(elsewhere, bus::auth::ADMIN)).await;

    let (handled, mut heard) = mpsc::unbounded_channel::<String>();
    let stop = CancellationToken::new();
    let consuming = tokio::spawn(consume(
        jetstream::new(client),
        durable,
        None,
        stop.clone(),
        move |event, _| {
            let handled = handled.clone();
            async move {
                if let EventBody::CommentCreated(c) = event.body {
                    let _ = handled.send(c.content);
                }
                Outcome::Done
            }
        },
    ));
    // Pulling: a pull waits at the holder. (The first one may itself be lost — sent before
    // the other node learnt where the consumer is — so this wait is long.)
    let stream = js
        .get_stream(StreamDef::Comments.name())
        .await
        .expect("the stream");
    let deadline = Instant::now() + Duration::from_secs(40);
    while !stream
        .consumer_info("lost-pull")
        .await
        .is_ok_and(|info| info.num_waiting > 0)
    {
        assert!(Instant::now() < deadline, "the consumer never pulled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The holder dies with the consumer's waiting pull, and comes back.
    cluster.kill_node(holder);
    cluster.start_node(holder);
    let deadline = Instant::now() + Duration::from_secs(30);
    while stream.consumer_info("lost-pull").await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the consumer never came back with its node"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let sent = Instant::now();
    publisher.publish(&comment("after")).await.expect("stored");
    let second = hear(&mut heard, HEARD_AGAIN_WITHIN).await;
    stop.cancel();
    let _ = consuming.await;
    assert_heard_again(second, sent, "the consumer");
}

/// The same for a service following a stream with an ordered consumer (how posts, comments
/// and query read): the ephemeral consumer lives on one node, and its pull dies with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordered_reading_whose_node_died_hears_again_within_seconds() {
    let mut cluster = TestCluster::start(3);
    cluster.provision();
    let admin = bus::connect::connect(&cluster.bus_config(bus::auth::ADMIN)).await;
    let publisher = bus::Publisher::new(admin.clone());
    let stream = jetstream::new(admin)
        .get_stream(StreamDef::Comments.name())
        .await
        .expect("the stream");

    // Follow through each node in turn until the consumer lands on another node than the
    // one the client talks to: a client whose own node dies reconnects and starts over at
    // once, which is not the case under test.
    for (attempt, url) in cluster.urls().into_iter().enumerate() {
        let client = bus::connect::connect(&BusConfig::single(url, bus::auth::ADMIN)).await;
        let reader = format!("lost-follow-{attempt}");
        let (handled, mut heard) = mpsc::unbounded_channel::<String>();
        let stop = CancellationToken::new();
        let following = tokio::spawn({
            let (reader, stop) = (reader.clone(), stop.clone());
            async move {
                let apply = move |event: Event, _| {
                    if let EventBody::CommentCreated(c) = event.body {
                        let _ = handled.send(c.content);
                    }
                };
                let progress = bus::progress::Progress::new();
                bus::follow::follow(
                    jetstream::new(client),
                    StreamDef::Comments,
                    &reader,
                    progress,
                    stop,
                    apply,
                )
                .await
            }
        });
        let holder_name = consumer_leader(&stream, &reader).await;
        let holder = (0..3)
            .find(|&i| cluster.name(i) == holder_name)
            .expect("the holder is a node");
        if holder == attempt {
            stop.cancel();
            let _ = following.await;
            continue;
        }

        // The holder dies with the consumer and its waiting pull, and comes back.
        cluster.kill_node(holder);
        cluster.start_node(holder);
        let deadline = Instant::now() + Duration::from_secs(30);
        while publisher.publish(&comment("after")).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "the cluster never took a write again"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let sent = Instant::now();
        let heard_again = hear(&mut heard, HEARD_AGAIN_WITHIN).await;
        stop.cancel();
        let _ = following.await;
        assert_heard_again(heard_again, sent, "the reading");
        return;
    }
    panic!("the ordered consumer was on the client's own node every time");
}

/// The node that leads `reader`'s ordered consumer on `stream`, once it exists.
async fn consumer_leader(stream: &jetstream::stream::Stream, reader: &str) -> String {
    use futures::TryStreamExt;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let names: Vec<String> = stream
            .consumer_names()
            .try_collect()
            .await
            .unwrap_or_default();
        if let Some(name) = names.iter().find(|n| n.starts_with(reader)) {
            if let Ok(info) = stream.clone().consumer_info(name).await {
                if let Some(leader) = info.cluster.as_ref().and_then(|c| c.leader.clone()) {
                    return leader;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "{reader} never made its consumer"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
