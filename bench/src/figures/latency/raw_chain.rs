//! The baseline of the latency figure: the same three hops built from nothing but
//! async-nats — three streams configured like ours, two relays that republish what arrives
//! (acking after their own publish is acked, as the services do) and a sink.

use super::PATIENCE;
use crate::history::{durable, twin_stream};
use anyhow::Context;
use async_nats::jetstream::{self, consumer::PullConsumer, message::PublishMessage};
use bus::{
    CommentCreated, CommentId, CommentStatus, CorrelationId, Event, EventBody, PostId, StreamDef,
};
use futures::StreamExt;
use std::future::IntoFuture;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The raw chain's streams, configured like the streams each real hop uses.
const HOPS: [(&str, &str, StreamDef); 3] = [
    ("RAW_HOP1", "hop1", StreamDef::Comments),
    ("RAW_HOP2", "hop2", StreamDef::Moderation),
    ("RAW_HOP3", "hop3", StreamDef::Comments),
];

/// The baseline: three streams, two relays, one sink; each relay acks its input only after
/// its own publish is acked, as moderation and comments do.
pub(super) struct RawChain {
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
    arrivals: tokio::sync::Mutex<mpsc::UnboundedReceiver<(u64, Instant)>>,
    next: std::sync::atomic::AtomicU64,
}

impl RawChain {
    pub(super) async fn start(js: &jetstream::Context) -> anyhow::Result<RawChain> {
        let mut consumers = Vec::new();
        for (name, prefix, like) in HOPS {
            let stream = js
                .get_or_create_stream(twin_stream(like, name, prefix))
                .await
                .with_context(|| format!("creating stream {name}"))?;
            let consumer: PullConsumer = stream
                .get_or_create_consumer("relay", durable("relay", String::new()))
                .await
                .with_context(|| format!("creating a consumer on {name}"))?;
            consumers.push(consumer);
        }
        let (arrived, arrivals) = mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        for (n, consumer) in consumers.into_iter().enumerate() {
            let next_hop = HOPS.get(n + 1).map(|(_, prefix, _)| *prefix);
            tasks.push(tokio::spawn(relay(
                js.clone(),
                consumer,
                next_hop,
                arrived.clone(),
            )));
        }
        Ok(RawChain {
            tasks,
            arrivals: tokio::sync::Mutex::new(arrivals),
            next: 0.into(),
        })
    }

    /// Sends one event down the chain; how long until it came out of the last hop.
    pub(super) async fn one(&self, js: &jetstream::Context) -> anyhow::Result<Duration> {
        let number = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let event = sample_comment();
        let message = PublishMessage::build()
            .payload(event.to_json().into())
            .message_id(event.id.to_string());
        let sent = Instant::now();
        js.send_publish(format!("hop1.CommentCreated.{number}"), message)
            .await
            .context("publishing to the raw chain")?
            .into_future()
            .await
            .context("the raw chain's first publish was not acked")?;
        let mut arrivals = self.arrivals.lock().await;
        loop {
            let arrival = tokio::time::timeout(PATIENCE, arrivals.recv())
                .await
                .context("an event got lost in the raw chain")?
                .context("the raw chain stopped")?;
            // A late arrival from an earlier sample is skipped.
            if arrival.0 == number {
                return Ok(arrival.1 - sent);
            }
        }
    }
}

impl Drop for RawChain {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Consumes one hop: republishes each message to `next_hop` (or, at the end of the chain,
/// reports its arrival), then acks it.
async fn relay(
    js: jetstream::Context,
    consumer: PullConsumer,
    next_hop: Option<&'static str>,
    arrived: mpsc::UnboundedSender<(u64, Instant)>,
) -> anyhow::Result<()> {
    let mut messages = consumer
        .messages()
        .await
        .context("pulling from the raw chain")?;
    while let Some(message) = messages.next().await {
        let Ok(message) = message else { continue };
        let number = message
            .subject
            .rsplit('.')
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(u64::MAX);
        match next_hop {
            Some(prefix) => {
                let forward = PublishMessage::build()
                    .payload(message.payload.clone())
                    .message_id(uuid::Uuid::now_v7().to_string());
                js.send_publish(format!("{prefix}.Relayed.{number}"), forward)
                    .await
                    .context("relaying")?
                    .into_future()
                    .await
                    .context("a relayed publish was not acked")?;
            }
            None => {
                let _ = arrived.send((number, Instant::now()));
            }
        }
        let _ = message.ack().await;
    }
    Ok(())
}

/// A comment event the size of a real one.
fn sample_comment() -> Event {
    Event::new(
        EventBody::CommentCreated(CommentCreated {
            id: CommentId::new(),
            post_id: PostId::new(),
            content: "A fine post, thank you".into(),
            status: CommentStatus::Pending,
        }),
        CorrelationId::new(),
    )
}
