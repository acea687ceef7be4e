//! Write throughput: `POST /posts` and `POST /posts/{id}/comments` from 64 concurrent
//! keep-alive clients, beside the rate at which one async-nats client can publish-with-ack
//! to the same nats-server at the same concurrency.
//!
//! The baseline is the most a service could ever do: every create is one JetStream publish
//! that must be acked before the 201. So `create / raw` says how much of the broker's rate
//! survives HTTP, JSON, validation and the service's own bookkeeping. The three runs of a
//! repeat follow each other within seconds, so they share the machine's mood of the moment.

use crate::load::{closed_loop, Client, Throughput};
use crate::nats::Durability;
use crate::plan::Plan;
use crate::processes::{CpuMeter, CpuShare};
use crate::services::Service;
use crate::stats::median;
use crate::system::System;
use crate::{history, http};
use anyhow::{bail, Context};
use async_nats::jetstream::{self, message::PublishMessage};
use bus::{CorrelationId, Event, EventBody, PostCreated, PostId, StreamDef};
use bytes::Bytes;
use hyper::StatusCode;
use serde::Serialize;
use std::future::IntoFuture;

/// The raw baseline's stream: configured like POSTS, under its own name.
const RAW_STREAM: &str = "RAW_WRITES";

#[derive(Clone, Debug, Serialize)]
pub struct Writes {
    pub mode: Durability,
    /// Medians across the repeats.
    pub raw: Throughput,
    pub posts: Throughput,
    pub comments: Throughput,
    /// Median across the repeats of create-post ÷ raw, each from the same repeat.
    pub post_ratio: f64,
    pub comment_ratio: f64,
    /// Cores each process kept busy during each kind of run (medians across the repeats).
    pub cpu: Cpu,
    pub runs: Vec<Run>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub raw: Throughput,
    pub posts: Throughput,
    pub comments: Throughput,
    pub cpu: Cpu,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Cpu {
    pub raw: Vec<CpuShare>,
    pub posts: Vec<CpuShare>,
    pub comments: Vec<CpuShare>,
}

pub async fn measure(system: &System, plan: &Plan) -> anyhow::Result<Writes> {
    let raw_stream = history::twin_stream(StreamDef::Posts, RAW_STREAM, "raw");
    system
        .js
        .get_or_create_stream(raw_stream)
        .await
        .context("creating the raw-writes stream")?;
    let posts_port = system.port(Service::Posts)?;
    let comments_port = system.port(Service::Comments)?;
    let post_ids = create_posts(posts_port, plan.clients).await?;

    let mut runs = Vec::new();
    for repeat in 1..=plan.repeats {
        system.settle().await?;
        let raw_clients = (0..plan.clients)
            .map(|_| RawPublish {
                js: system.js.clone(),
            })
            .collect();
        let meter = CpuMeter::start(&system.processes());
        let raw = closed_loop(raw_clients, plan.warmup, plan.run).await?;
        let mut cpu = Cpu {
            raw: meter.stop(),
            ..Cpu::default()
        };

        system.settle().await?;
        let body = Bytes::from_static(br#"{"title":"A post written by the benchmark"}"#);
        let post_clients = (0..plan.clients)
            .map(|_| HttpPost::new(posts_port, "/posts".into(), body.clone()))
            .collect();
        let meter = CpuMeter::start(&system.processes());
        let posts = closed_loop(post_clients, plan.warmup, plan.run).await?;
        cpu.posts = meter.stop();

        system.settle().await?;
        let comment_clients = post_ids
            .iter()
            .enumerate()
            .map(|(n, id)| {
                // One client in seven writes about oranges, so both decisions happen.
                let content = if n % 7 == 3 {
                    "I would rather have an orange"
                } else {
                    "Thoughtful post, thanks"
                };
                let body = Bytes::from(format!(r#"{{"content":"{content}"}}"#));
                HttpPost::new(comments_port, format!("/posts/{id}/comments"), body)
            })
            .collect();
        let meter = CpuMeter::start(&system.processes());
        let comments = closed_loop(comment_clients, plan.warmup, plan.run).await?;
        cpu.comments = meter.stop();

        println!(
            "  [{}] writes {repeat}/{}: raw publish {:.0}/s · create-post {:.0}/s · create-comment {:.0}/s",
            system.mode.label(),
            plan.repeats,
            raw.per_sec,
            posts.per_sec,
            comments.per_sec
        );
        runs.push(Run {
            raw,
            posts,
            comments,
            cpu,
        });
    }
    system.settle().await?;
    Ok(Writes {
        mode: system.mode,
        raw: Throughput::median_of(&runs.iter().map(|r| r.raw).collect::<Vec<_>>()),
        posts: Throughput::median_of(&runs.iter().map(|r| r.posts).collect::<Vec<_>>()),
        comments: Throughput::median_of(&runs.iter().map(|r| r.comments).collect::<Vec<_>>()),
        post_ratio: median(runs.iter().map(|r| r.posts.per_sec / r.raw.per_sec)),
        comment_ratio: median(runs.iter().map(|r| r.comments.per_sec / r.raw.per_sec)),
        cpu: Cpu {
            raw: CpuShare::median_of(&runs.iter().map(|r| r.cpu.raw.clone()).collect::<Vec<_>>()),
            posts: CpuShare::median_of(
                &runs.iter().map(|r| r.cpu.posts.clone()).collect::<Vec<_>>(),
            ),
            comments: CpuShare::median_of(
                &runs
                    .iter()
                    .map(|r| r.cpu.comments.clone())
                    .collect::<Vec<_>>(),
            ),
        },
        runs,
    })
}

/// One post per comment-writing client, so comments spread over posts as on a real blog.
async fn create_posts(port: u16, count: usize) -> anyhow::Result<Vec<String>> {
    let mut conn = http::Conn::open(port).await?;
    let mut ids = Vec::new();
    for n in 0..count {
        let body = Bytes::from(format!(r#"{{"title":"Benchmark post {n}"}}"#));
        let (status, answer) = conn.post_json("/posts", body).await?;
        if status != StatusCode::CREATED {
            bail!(
                "POST /posts answered {status}: {}",
                String::from_utf8_lossy(&answer)
            );
        }
        let post: serde_json::Value =
            serde_json::from_slice(&answer).context("POST /posts answered no JSON")?;
        ids.push(
            post["id"]
                .as_str()
                .context("POST /posts answered no id")?
                .to_owned(),
        );
    }
    Ok(ids)
}

/// The baseline client: what a service does for a create, minus everything but the publish
/// — a fresh event (so its `Nats-Msg-Id` is new), published, its ack awaited.
struct RawPublish {
    js: jetstream::Context,
}

impl Client for RawPublish {
    async fn once(&mut self) -> bool {
        let id = PostId::new();
        let body = EventBody::PostCreated(PostCreated {
            id,
            title: "A post written by the benchmark".into(),
        });
        let event = Event::new(body, CorrelationId::new());
        let message = PublishMessage::build()
            .payload(event.to_json().into())
            .message_id(event.id.to_string());
        match self
            .js
            .send_publish(format!("raw.PostCreated.{id}"), message)
            .await
        {
            Ok(ack) => ack.into_future().await.is_ok(),
            Err(_) => false,
        }
    }
}

/// An HTTP client that POSTs the same JSON again and again on one keep-alive connection
/// (reconnecting if the connection breaks), expecting 201.
struct HttpPost {
    port: u16,
    path: String,
    body: Bytes,
    conn: Option<http::Conn>,
}

impl HttpPost {
    fn new(port: u16, path: String, body: Bytes) -> HttpPost {
        HttpPost {
            port,
            path,
            body,
            conn: None,
        }
    }
}

impl Client for HttpPost {
    async fn once(&mut self) -> bool {
        if self.conn.is_none() {
            self.conn = http::Conn::open(self.port).await.ok();
        }
        let Some(conn) = self.conn.as_mut() else {
            return false;
        };
        match conn.post_json(&self.path, self.body.clone()).await {
            Ok((status, _)) => status == StatusCode::CREATED,
            Err(_) => {
                self.conn = None;
                false
            }
        }
    }
}
