//! End-to-end moderation latency: one comment at a time, from `POST /posts/{id}/comments`
//! until the query service's live stream (`GET /posts/events`) shows the comment approved
//! or rejected — what a reader watching the page waits for.
//!
//! The comment travels three JetStream hops on its way:
//!
//! ```text
//! comments ─CommentCreated─▶ moderation ─CommentModerated─▶ comments ─CommentUpdated─▶ query
//! ```
//!
//! each one a publish (awaiting its ack, fsync included in that mode) and a delivery to a
//! durable pull consumer. The baseline is that same chain built from nothing but async-nats:
//! three streams configured like ours and two relay tasks that republish whatever arrives,
//! acking after the publish exactly as the services do. The time from the first publish to
//! the last delivery is the sum of the raw hops, measured directly, sample by sample.

use crate::history::{durable, twin_stream};
use crate::http;
use crate::nats::Durability;
use crate::plan::Plan;
use crate::services::Service;
use crate::stats::{micros, Latencies, Percentiles};
use crate::system::System;
use anyhow::{bail, Context};
use async_nats::jetstream::{self, consumer::PullConsumer, message::PublishMessage};
use bus::{
    CommentCreated, CommentId, CommentStatus, CorrelationId, Event, EventBody, PostId, StreamDef,
};
use bytes::Bytes;
use futures::StreamExt;
use hyper::StatusCode;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;
use std::future::IntoFuture;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long one comment may take before it counts as an error.
const PATIENCE: Duration = Duration::from_secs(10);

/// The raw chain's streams, configured like the streams each real hop uses.
const HOPS: [(&str, &str, StreamDef); 3] = [
    ("RAW_HOP1", "hop1", StreamDef::Comments),
    ("RAW_HOP2", "hop2", StreamDef::Moderation),
    ("RAW_HOP3", "hop3", StreamDef::Comments),
];

#[derive(Clone, Debug, Serialize)]
pub struct Latency {
    pub mode: Durability,
    /// Medians across the repeats of each run's percentiles.
    pub end_to_end: Percentiles,
    pub raw_hops: Percentiles,
    pub errors: u64,
    pub runs: Vec<Run>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Run {
    pub end_to_end: Percentiles,
    pub raw_hops: Percentiles,
}

pub async fn measure(system: &System, plan: &Plan) -> anyhow::Result<Latency> {
    let chain = RawChain::start(&system.js).await?;
    let mut page = Page::open(system).await?;
    // The first few samples of a run open connections and fill caches; not counted.
    let warmup = (plan.latency_samples / 10).clamp(1, 10);
    let (mut runs, mut errors) = (Vec::new(), 0);
    for repeat in 1..=plan.repeats {
        system.settle().await?;
        let mut raw = Vec::new();
        for n in 0..warmup + plan.latency_samples {
            let took = chain.one(&system.js).await?;
            if n >= warmup {
                raw.push(micros(took));
            }
        }
        system.settle().await?;
        let mut e2e = Vec::new();
        for n in 0..warmup + plan.latency_samples {
            match page.one_comment(n).await {
                Ok(took) if n >= warmup => e2e.push(micros(took)),
                Ok(_) => {}
                Err(error) => {
                    errors += 1;
                    eprintln!("  moderation latency: {error:#}");
                }
            }
        }
        let run = Run {
            end_to_end: Percentiles::of(&Latencies::new(e2e)),
            raw_hops: Percentiles::of(&Latencies::new(raw)),
        };
        println!(
            "  [{}] moderation latency {repeat}/{}: p50 {:.2} ms, p99 {:.2} ms (raw hops p50 {:.2} ms, p99 {:.2} ms)",
            system.mode.label(),
            plan.repeats,
            run.end_to_end.p50,
            run.end_to_end.p99,
            run.raw_hops.p50,
            run.raw_hops.p99
        );
        runs.push(run);
    }
    Ok(Latency {
        mode: system.mode,
        end_to_end: Percentiles::median_of(&runs.iter().map(|r| r.end_to_end).collect::<Vec<_>>()),
        raw_hops: Percentiles::median_of(&runs.iter().map(|r| r.raw_hops).collect::<Vec<_>>()),
        errors,
        runs,
    })
}

/// A reader's page: a post, the live stream of the query service, and a connection to the
/// comments service.
struct Page {
    posts: http::Conn,
    comments: http::Conn,
    live: http::EventStream,
    post: String,
    /// Comments on `post` already seen with their final status.
    settled: HashSet<String>,
}

impl Page {
    async fn open(system: &System) -> anyhow::Result<Page> {
        let mut live = http::Conn::open(system.port(Service::Query)?)
            .await?
            .events("/posts/events")
            .await?;
        let first = live.next().await?;
        if first.name != "snapshot" {
            bail!(
                "the live stream began with {:?}, not a snapshot",
                first.name
            );
        }
        Ok(Page {
            posts: http::Conn::open(system.port(Service::Posts)?).await?,
            comments: http::Conn::open(system.port(Service::Comments)?).await?,
            live,
            post: String::new(),
            settled: HashSet::new(),
        })
    }

    /// Posts comment number `n` and waits until the live stream shows its final status.
    async fn one_comment(&mut self, n: usize) -> anyhow::Result<Duration> {
        // A fresh post every ten comments, so each post looks like one on a real blog.
        if n.is_multiple_of(10) {
            self.post = self.new_post(n).await?;
            self.settled.clear();
        }
        let content = if n % 7 == 3 {
            "Oranges are better"
        } else {
            "A fine post, thank you"
        };
        let path = format!("/posts/{}/comments", self.post);
        let body = Bytes::from(format!(r#"{{"content":"{content}"}}"#));
        let sent = Instant::now();
        // Listen while posting: the decision can reach the page before the 201 reaches us.
        let post_comment = self.comments.post_json(&path, body);
        let decided = wait_for_decision(&mut self.live, &self.post, &self.settled);
        let (created, decided) =
            tokio::time::timeout(PATIENCE, async { tokio::join!(post_comment, decided) })
                .await
                .with_context(|| format!("comment {n} was not decided within {PATIENCE:?}"))?;
        let (status, answer) = created?;
        let (decided_id, seen_at) = decided?;
        self.settled.insert(decided_id.clone());
        if status != StatusCode::CREATED {
            bail!(
                "POST {path} answered {status}: {}",
                String::from_utf8_lossy(&answer)
            );
        }
        let comment: Value = serde_json::from_slice(&answer).context("the 201 carried no JSON")?;
        if comment["id"].as_str() != Some(decided_id.as_str()) {
            bail!("the page showed a decision for {decided_id}, not for the comment just posted");
        }
        Ok(seen_at - sent)
    }

    async fn new_post(&mut self, n: usize) -> anyhow::Result<String> {
        let body = Bytes::from(format!(r#"{{"title":"Latency post {n}"}}"#));
        let (status, answer) = self.posts.post_json("/posts", body).await?;
        if status != StatusCode::CREATED {
            bail!("POST /posts answered {status}");
        }
        let post: Value =
            serde_json::from_slice(&answer).context("POST /posts answered no JSON")?;
        Ok(post["id"]
            .as_str()
            .context("POST /posts answered no id")?
            .to_owned())
    }
}

/// Reads the live stream until `post` shows a comment, not in `settled`, that is approved
/// or rejected; returns its id and when that was seen.
async fn wait_for_decision(
    live: &mut http::EventStream,
    post: &str,
    settled: &HashSet<String>,
) -> anyhow::Result<(String, Instant)> {
    loop {
        let event = live.next().await?;
        if event.name != "post" {
            continue;
        }
        let view: Value =
            serde_json::from_str(&event.data).context("a live post that is not JSON")?;
        if view["id"].as_str() != Some(post) {
            continue;
        }
        let comments = view["comments"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for comment in comments {
            let (Some(id), Some(status)) = (comment["id"].as_str(), comment["status"].as_str())
            else {
                continue;
            };
            if status != "pending" && !settled.contains(id) {
                return Ok((id.to_owned(), Instant::now()));
            }
        }
    }
}

/// The baseline: three streams, two relays, one sink; each relay acks its input only after
/// its own publish is acked, as moderation and comments do.
struct RawChain {
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
    arrivals: tokio::sync::Mutex<mpsc::UnboundedReceiver<(u64, Instant)>>,
    next: std::sync::atomic::AtomicU64,
}

impl RawChain {
    async fn start(js: &jetstream::Context) -> anyhow::Result<RawChain> {
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
    async fn one(&self, js: &jetstream::Context) -> anyhow::Result<Duration> {
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
