//! Query replay: how long a freshly started query takes to rebuild its read model from a
//! long history, and what that costs in memory — beside how fast a bare async-nats consumer
//! reads the same streams.
//!
//! The streams get N events that query reads (N = 100k and 1M, counted over the streams in
//! `query::consumer::STREAMS`), in posts of ten comments, each comment created, moderated
//! and updated. The query binary is started cold and timed until `/health` answers 200 (it does
//! only once the replay has caught up). The baseline, in the same repeat, is an ordered
//! consumer per stream — JetStream's "read the log" primitive: no acks, flow controlled,
//! no decoding — reading the same streams at once, to the end.
//!
//! Both sizes share one nats-server: the larger history is the smaller one plus more posts.
//! The server runs with lazy fsync only to fill faster; reading does not fsync either way.
//!
//! After the largest replay, all four services are started together on that history, and
//! their memory is read once each says ready: the "after the replay" memory figure.

use crate::history::{self, context};
use crate::nats::{Durability, NatsServer};
use crate::plan::Plan;
use crate::processes::{CpuMeter, CpuShare, Memory};
use crate::services::{Launcher, Service};
use crate::stats::median;
use crate::system::ServiceMemory;
use anyhow::Context;
use async_nats::jetstream::{self, consumer};
use bus::StreamDef;
use futures::StreamExt;
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};

/// The streams query replays, taken from query itself so the baseline reads the same.
const READ: [StreamDef; query::consumer::STREAMS.len()] = query::consumer::STREAMS;

#[derive(Clone, Debug, Serialize)]
pub struct Replay {
    /// Events query replays (in the streams it reads).
    pub events: u64,
    pub posts: usize,
    /// Medians across the repeats.
    pub seconds: f64,
    pub events_per_sec: f64,
    pub peak_mib: f64,
    pub rss_mib: f64,
    pub bare_events_per_sec: f64,
    /// Median across the repeats of query ÷ bare, each from the same repeat.
    pub ratio: f64,
    /// Medians across the repeats.
    pub cpu: Vec<CpuShare>,
    pub bare_cpu: Vec<CpuShare>,
    pub runs: Vec<Run>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub seconds: f64,
    pub memory: Memory,
    pub bare_seconds: f64,
    /// Cores each process kept busy during query's replay, and during the bare read.
    pub cpu: Vec<CpuShare>,
    pub bare_cpu: Vec<CpuShare>,
}

/// Memory of every service after all four replayed the largest history together (one run).
#[derive(Clone, Debug, Serialize)]
pub struct AfterReplay {
    pub events: u64,
    pub services: Vec<ServiceMemory>,
}

pub async fn measure(
    plan: &Plan,
    logs: &Path,
) -> anyhow::Result<(Vec<Replay>, Option<AfterReplay>)> {
    let nats = NatsServer::start(Durability::Lazy).await?;
    let js = context(nats.connect("bench-fill").await?);
    let launcher = Launcher {
        nats_url: nats.url(),
        rust_log: plan.service_log.clone(),
        logs: logs.into(),
    };
    let per_post: u64 = READ
        .iter()
        .map(|s| history::events_per_post(*s, plan.comments_per_post))
        .sum();
    let mut sizes = plan.replay_sizes.clone();
    sizes.sort_unstable();

    let (mut figures, mut filled) = (Vec::new(), 0usize);
    for size in sizes {
        let posts = (size as f64 / per_post as f64).round().max(1.0) as usize;
        let events = posts as u64 * per_post;
        println!(
            "  replay of {events} events ({posts} posts of {} comments):",
            plan.comments_per_post
        );
        history::fill(&js, filled..posts, plan.comments_per_post).await?;
        filled = filled.max(posts);

        let mut runs = Vec::new();
        for repeat in 1..=plan.repeats {
            let server = [("nats-server".to_owned(), nats.pids()[0])];
            let meter = CpuMeter::start(&server);
            let bare = bare_read(&nats).await?;
            let bare_cpu = meter.stop();
            let mut query = launcher.spawn(Service::Query)?;
            let meter = CpuMeter::start(&[server[0].clone(), ("query".to_owned(), query.pid())]);
            let took = query.wait_ready(Duration::from_secs(600)).await?;
            let cpu = meter.stop();
            let memory = query.memory()?;
            drop(query);
            println!(
                "    {repeat}/{}: query {:.2} s ({:.0} events/s, peak {:.0} MiB) · bare consumer {:.2} s ({:.0} events/s)",
                plan.repeats,
                took.as_secs_f64(),
                events as f64 / took.as_secs_f64(),
                memory.peak_mib,
                bare.as_secs_f64(),
                events as f64 / bare.as_secs_f64()
            );
            runs.push(Run {
                seconds: took.as_secs_f64(),
                memory,
                bare_seconds: bare.as_secs_f64(),
                cpu,
                bare_cpu,
            });
        }
        figures.push(Replay {
            events,
            posts,
            seconds: median(runs.iter().map(|r| r.seconds)),
            events_per_sec: median(runs.iter().map(|r| events as f64 / r.seconds)),
            peak_mib: median(runs.iter().map(|r| r.memory.peak_mib)),
            rss_mib: median(runs.iter().map(|r| r.memory.rss_mib)),
            bare_events_per_sec: median(runs.iter().map(|r| events as f64 / r.bare_seconds)),
            ratio: median(runs.iter().map(|r| r.bare_seconds / r.seconds)),
            cpu: CpuShare::median_of(&runs.iter().map(|r| r.cpu.clone()).collect::<Vec<_>>()),
            bare_cpu: CpuShare::median_of(
                &runs.iter().map(|r| r.bare_cpu.clone()).collect::<Vec<_>>(),
            ),
            runs,
        });
    }

    let Some(largest) = figures.last().map(|f| f.events) else {
        return Ok((figures, None));
    };
    // Once, not repeated: this takes half a minute, and memory after a replay is the same
    // from one run to the next within a percent (query's own is also in each replay run).
    history::mark_history_handled(&js).await?;
    let started = Instant::now();
    let running = launcher.start_all(&Service::ALL).await?;
    let services = running
        .iter()
        .map(|s| {
            Ok(ServiceMemory {
                service: s.service,
                memory: s.memory()?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    drop(running);
    println!(
        "    all four services ready on {largest} events after {:.1} s; RSS {}",
        started.elapsed().as_secs_f64(),
        services
            .iter()
            .map(|m| format!("{} {:.0} MiB", m.service.name(), m.memory.rss_mib))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok((
        figures,
        Some(AfterReplay {
            events: largest,
            services,
        }),
    ))
}

/// Reads the streams query reads to their ends with one ordered consumer each, at the same
/// time, from a new connection — the time a reader needs when reading is all it does.
async fn bare_read(nats: &NatsServer) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let js = context(nats.connect("bare-reader").await?);
    let reads = READ.map(|stream| read_to_end(&js, stream));
    for read in futures::future::join_all(reads).await {
        read?;
    }
    Ok(started.elapsed())
}

async fn read_to_end(js: &jetstream::Context, stream: StreamDef) -> anyhow::Result<u64> {
    let mut handle = js
        .get_stream(stream.name())
        .await
        .with_context(|| format!("finding {}", stream.name()))?;
    let last = handle
        .info()
        .await
        .context("asking for the stream's end")?
        .state
        .last_sequence;
    if last == 0 {
        return Ok(0);
    }
    let reader = handle
        .create_consumer(consumer::pull::OrderedConfig {
            // Pulls of 3 s, as query's (`bus::follow`): now and then a pull goes unanswered,
            // and with the client's 30 s default one read of the baseline took 36 s.
            max_expires: Duration::from_secs(3),
            ..Default::default()
        })
        .await
        .context("creating an ordered consumer")?;
    let mut messages = reader.messages().await.context("reading the stream")?;
    let mut bytes = 0u64;
    while let Some(message) = messages.next().await {
        let Ok(message) = message else { continue };
        bytes += message.payload.len() as u64;
        let info = message
            .info()
            .map_err(|e| anyhow::anyhow!("a message without metadata: {e}"))?;
        if info.stream_sequence >= last {
            break;
        }
    }
    Ok(bytes)
}
