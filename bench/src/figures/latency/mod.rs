//! End-to-end moderation latency: one comment at a time, from `POST /posts/{id}/comments`
//! until the query service's live page (`GET /posts/events?limit=20`) shows the comment approved
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
//! the last delivery is the sum of the raw hops, measured directly, sample by sample. That
//! baseline is its own module, `raw_chain`; this one measures the services.

mod raw_chain;

use crate::http;
use crate::nats::Durability;
use crate::plan::Plan;
use crate::services::Service;
use crate::stats::{micros, Latencies, Percentiles};
use crate::system::System;
use anyhow::{bail, Context};
use bytes::Bytes;
use hyper::StatusCode;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// How long one comment may take before it counts as an error.
const PATIENCE: Duration = Duration::from_secs(10);

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
    let chain = raw_chain::RawChain::start(&system.js).await?;
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
                    // A fresh page: a connection left idle while this sample waited may have
                    // been closed by the server, and must not fail every sample after it.
                    page = Page::open(system).await?;
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
            // What the web client follows: the first page, then each changed post.
            .events(crate::figures::live_page::LIVE_PAGE)
            .await?;
        let first = live.next().await?;
        if first.name != "page" {
            bail!("the live stream began with {:?}, not a page", first.name);
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
        // A refusal (a 404 for a post the comments service does not know) ends the wait at
        // once, rather than showing as a comment never decided.
        let comments = &mut self.comments;
        let post_comment = async {
            let (status, answer) = comments.post_json(&path, body).await?;
            if status != StatusCode::CREATED {
                bail!(
                    "POST {path} answered {status}: {}",
                    String::from_utf8_lossy(&answer)
                );
            }
            Ok(answer)
        };
        let decided = wait_for_decision(&mut self.live, &self.post, &self.settled);
        let (answer, (decided_id, seen_at)) =
            tokio::time::timeout(PATIENCE, async { tokio::try_join!(post_comment, decided) })
                .await
                .with_context(|| format!("comment {n} was not decided within {PATIENCE:?}"))??;
        self.settled.insert(decided_id.clone());
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
