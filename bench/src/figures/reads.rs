//! Query reads with a large read model: 10k posts of ten comments each, then one more post
//! of [`BIG_POST_COMMENTS`] comments (the newest, so it is on the first page). First the
//! live page browsers follow and the page load in a browser ([`super::live_page`],
//! [`super::page_load`]), before any big answer, so that query's memory per browser is not
//! hidden in space freed from one. Then, repeated: `GET /posts/{id}` over the 10k posts
//! (what a post's page asks), the full `GET /posts` (every post with every comment, the big
//! one too) and the first page a browser asks for, `GET /posts?limit=20`.
//! No baseline: this is the service answering from memory, nothing else is involved.

use super::live_page::{self, LivePage};
use super::page_load::{self, PageLoad};
use crate::history::{self, context};
use crate::http;
use crate::load::{closed_loop, Client, Throughput};
use crate::nats::{Durability, NatsServer};
use crate::plan::Plan;
use crate::services::{Launcher, Service};
use anyhow::{bail, Context};
use bus::PostId;
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
    /// `GET /posts?limit=20` with the big post on it, from `one_post_clients` clients.
    pub first_page: Throughput,
    pub big_post_comments: usize,
    /// Size of one first-page answer.
    pub first_page_kib: f64,
    /// Browsers following the live page, with the big post on it.
    pub live_page: LivePage,
    /// The web client opened in headless Chromium, with the big post on its first page.
    pub page_load: PageLoad,
}

/// The comments of the one big post (issue 14: a post of 100k comments must not slow
/// the first page); a tenth of that in a quick run.
const BIG_POST_COMMENTS: usize = 100_000;

/// The page a browser asks for first.
const FIRST_PAGE: &str = "/posts?limit=20";

/// Browsers on the live page, and the new comments they are shown; fewer in a quick run.
/// Many, so that query's memory per browser shows above what its allocator keeps spare
/// from the big answers before (with 200 the growth was lost in it).
const LIVE_CLIENTS: usize = 1_000;
const LIVE_COMMENTS: usize = 100;
/// Page loads in the browser, with a cold cache and as many with a warm one.
const PAGE_LOADS: usize = 5;

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
    // The page-load figure serves the web client here: query must allow its origin.
    let frontend_port = harness::process::free_port()?;
    let origin = format!("http://127.0.0.1:{frontend_port}");
    // And serve more live connections than its default 512, for the live page's browsers.
    let env = [
        ("FRONTEND_ORIGINS".to_owned(), origin),
        (
            "QUERY_MAX_LIVE_CLIENTS".to_owned(),
            (2 * LIVE_CLIENTS).to_string(),
        ),
    ];
    let mut query = launcher.spawn_with(Service::Query, &env)?;
    query.wait_ready(Duration::from_secs(600)).await?;

    // The post ids, a page at a time (small answers: the live page's memory figure below
    // must not find the allocator full of space freed from 13 MB answers).
    let ids = every_post_id(query.port).await?;
    if ids.len() != plan.read_posts {
        bail!(
            "query shows {} posts, not the {} written",
            ids.len(),
            plan.read_posts
        );
    }
    let big_post_comments = if plan.quick {
        BIG_POST_COMMENTS / 10
    } else {
        BIG_POST_COMMENTS
    };
    let (first_page_bytes, big_post) =
        add_a_big_post(&js, plan, query.port, big_post_comments).await?;
    let (live_clients, live_comments) = if plan.quick {
        (LIVE_CLIENTS / 4, LIVE_COMMENTS / 4)
    } else {
        (LIVE_CLIENTS, LIVE_COMMENTS)
    };
    let live_page = live_page::measure(&js, &query, big_post, live_clients, live_comments).await?;
    let page_load = page_load::measure(query.port, frontend_port, PAGE_LOADS).await?;

    let (status, body) = http::Conn::open(query.port).await?.get("/posts").await?;
    if status != StatusCode::OK {
        bail!("GET /posts answered {status}");
    }
    let (mut one_runs, mut all_runs, mut page_runs) = (Vec::new(), Vec::new(), Vec::new());
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
        let clients = (0..plan.clients)
            .map(|_| Get::new(query.port, vec![FIRST_PAGE.into()]))
            .collect();
        let page = closed_loop(clients, plan.warmup, plan.run).await?;
        println!(
            "    {repeat}/{}: GET /posts/{{id}} {:.0}/s (p99 {:.1} ms) · GET /posts {:.1}/s (p99 {:.0} ms) · GET {FIRST_PAGE} {:.0}/s (p99 {:.1} ms)",
            plan.repeats, one.per_sec, one.p99_ms, every.per_sec, every.p99_ms, page.per_sec, page.p99_ms
        );
        one_runs.push(one);
        all_runs.push(every);
        page_runs.push(page);
    }
    Ok(Reads {
        live_page,
        page_load,
        first_page: Throughput::median_of(&page_runs),
        big_post_comments,
        first_page_kib: first_page_bytes as f64 / 1024.0,
        posts: plan.read_posts,
        one_post: Throughput::median_of(&one_runs),
        all_posts: Throughput::median_of(&all_runs),
        all_posts_mib: body.len() as f64 / (1024.0 * 1024.0),
        one_post_clients: plan.clients,
        all_posts_clients: plan.list_clients,
    })
}

/// Every post's id, read through `GET /posts?limit=200&after=…` to the last page.
async fn every_post_id(port: u16) -> anyhow::Result<Vec<String>> {
    let mut conn = http::Conn::open(port).await?;
    let (mut ids, mut after) = (Vec::new(), None::<String>);
    loop {
        let path = match &after {
            Some(id) => format!("/posts?limit=200&after={id}"),
            None => "/posts?limit=200".to_owned(),
        };
        let (status, body) = conn.get(&path).await?;
        if status != StatusCode::OK {
            bail!("GET {path} answered {status}");
        }
        let page: serde_json::Value = serde_json::from_slice(&body)
            .with_context(|| format!("GET {path} answered no JSON"))?;
        let posts = page["posts"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        ids.extend(
            posts
                .iter()
                .filter_map(|p| p["id"].as_str().map(str::to_owned)),
        );
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return Ok(ids),
        }
    }
}

/// Writes one more post, of `comments` comments, and waits until query shows it first on
/// the first page; returns that page's size in bytes, and the post's id.
async fn add_a_big_post(
    js: &async_nats::jetstream::Context,
    plan: &Plan,
    port: u16,
    comments: usize,
) -> anyhow::Result<(usize, PostId)> {
    println!("  reads: one more post, of {comments} comments");
    history::fill(js, plan.read_posts..plan.read_posts + 1, comments).await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    loop {
        let (status, body) = http::Conn::open(port).await?.get(FIRST_PAGE).await?;
        let page: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let big = &page["posts"][0];
        if status == StatusCode::OK && big["commentCount"] == comments {
            let id = big["id"].as_str().and_then(|id| id.parse().ok());
            let id = id.context("the first page's post has no id")?;
            return Ok((body.len(), id));
        }
        if std::time::Instant::now() > deadline {
            bail!("query did not show the big post first within 5 minutes (GET {FIRST_PAGE}: {status})");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
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
