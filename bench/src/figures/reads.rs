//! Query reads with a large read model: `GET /posts/{id}` (what a post's page asks) and the
//! full `GET /posts` (every post with every comment), with 10k posts of ten comments each.
//! No baseline: this is the service answering from memory, nothing else is involved.

use crate::history::{self, context};
use crate::http;
use crate::load::{closed_loop, Client, Throughput};
use crate::nats::{Durability, NatsServer};
use crate::plan::Plan;
use crate::services::{Launcher, Service};
use anyhow::{bail, Context};
use hyper::StatusCode;
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

#[derive(Clone, Debug, Serialize)]
pub struct Reads {
    pub posts: usize,
    /// Medians across the repeats.
    pub one_post: Throughput,
    pub all_posts: Throughput,
    /// Size of one `GET /posts` answer.
    pub all_posts_mib: f64,
    pub one_post_clients: usize,
    pub all_posts_clients: usize,
}

pub async fn measure(plan: &Plan, logs: &Path) -> anyhow::Result<Reads> {
    let nats = NatsServer::start(Durability::Lazy).await?;
    let js = context(nats.connect("bench-fill").await?);
    println!(
        "  reads: {} posts of {} comments",
        plan.read_posts, plan.comments_per_post
    );
    history::fill(&js, 0..plan.read_posts, plan.comments_per_post).await?;
    let launcher = Launcher {
        nats_url: nats.url(),
        rust_log: plan.service_log.clone(),
        logs: logs.into(),
    };
    let mut query = launcher.spawn(Service::Query)?;
    query.wait_ready(Duration::from_secs(600)).await?;

    // The post ids, from one full read (which also warms the service up).
    let (status, body) = http::Conn::open(query.port).await?.get("/posts").await?;
    if status != StatusCode::OK {
        bail!("GET /posts answered {status}");
    }
    let all: Vec<serde_json::Value> =
        serde_json::from_slice(&body).context("GET /posts answered no JSON array")?;
    let ids: Vec<String> = all
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect();
    if ids.len() != plan.read_posts {
        bail!(
            "query shows {} posts, not the {} written",
            ids.len(),
            plan.read_posts
        );
    }

    let (mut one_runs, mut all_runs) = (Vec::new(), Vec::new());
    for repeat in 1..=plan.repeats {
        let clients = (0..plan.clients)
            .map(|n| {
                // Each client walks the posts from its own starting point.
                let paths = ids
                    .iter()
                    .cycle()
                    .skip(n * ids.len() / plan.clients)
                    .take(ids.len());
                Get::new(query.port, paths.map(|id| format!("/posts/{id}")).collect())
            })
            .collect();
        let one = closed_loop(clients, plan.warmup, plan.run).await?;
        let clients = (0..plan.list_clients)
            .map(|_| Get::new(query.port, vec!["/posts".into()]))
            .collect();
        let every = closed_loop(clients, plan.warmup, plan.run).await?;
        println!(
            "    {repeat}/{}: GET /posts/{{id}} {:.0}/s (p99 {:.1} ms) · GET /posts {:.1}/s (p99 {:.0} ms)",
            plan.repeats, one.per_sec, one.p99_ms, every.per_sec, every.p99_ms
        );
        one_runs.push(one);
        all_runs.push(every);
    }
    Ok(Reads {
        posts: plan.read_posts,
        one_post: Throughput::median_of(&one_runs),
        all_posts: Throughput::median_of(&all_runs),
        all_posts_mib: body.len() as f64 / (1024.0 * 1024.0),
        one_post_clients: plan.clients,
        all_posts_clients: plan.list_clients,
    })
}

/// A client that GETs its paths in turn on one keep-alive connection, expecting 200.
struct Get {
    port: u16,
    paths: Vec<String>,
    next: usize,
    conn: Option<http::Conn>,
}

impl Get {
    fn new(port: u16, paths: Vec<String>) -> Get {
        Get {
            port,
            paths,
            next: 0,
            conn: None,
        }
    }
}

impl Client for Get {
    async fn once(&mut self) -> bool {
        if self.conn.is_none() {
            self.conn = http::Conn::open(self.port).await.ok();
        }
        let Some(conn) = self.conn.as_mut() else {
            return false;
        };
        let Some(path) = self.paths.get(self.next % self.paths.len().max(1)) else {
            return false;
        };
        self.next += 1;
        match conn.get(path).await {
            Ok((status, _)) => status == StatusCode::OK,
            Err(_) => {
                self.conn = None;
                false
            }
        }
    }
}
