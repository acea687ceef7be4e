//! The checks of exercise 02. Each test is one point `make check EX=02` reports. Each starts
//! a real nats-server and the blog's services, writes a history, and only then starts
//! `stats` — a year late — and compares its counts with what query shows.
#![cfg(feature = "check")]

use bus::testing::TestNats;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use web::ServiceSettings;

/// The blog's services on a fresh broker, and a way to write to them and read query.
struct Blog {
    nats: TestNats,
    http: reqwest::Client,
    posts: u16,
    comments: u16,
    query: u16,
    stop: CancellationToken,
}

impl Blog {
    async fn start() -> Blog {
        let nats = TestNats::start();
        let stop = CancellationToken::new();
        let settings = |user: &str| ServiceSettings::for_test(nats.bus_config(user));
        let posts = posts::Application::build(settings("posts"))
            .await
            .expect("posts");
        let comments = comments::Application::build(settings("comments"))
            .await
            .expect("comments");
        let moderation =
            moderation::Application::build(moderation::Settings::for_test(settings("moderation")))
                .await
                .expect("moderation");
        let query = query::Application::build(query::Settings::for_test(settings("query")))
            .await
            .expect("query");
        let ports = (posts.port(), comments.port(), query.port());
        tokio::spawn(posts.run_until_stopped(stop.clone()));
        tokio::spawn(comments.run_until_stopped(stop.clone()));
        tokio::spawn(moderation.run_until_stopped(stop.clone()));
        tokio::spawn(query.run_until_stopped(stop.clone()));
        let blog = Blog {
            nats,
            http: reqwest::Client::new(),
            posts: ports.0,
            comments: ports.1,
            query: ports.2,
            stop,
        };
        for port in [blog.posts, blog.comments, blog.query] {
            blog.ready(port).await;
        }
        blog
    }

    async fn get(&self, port: u16, path: &str) -> Option<Value> {
        let answer = self
            .http
            .get(format!("http://127.0.0.1:{port}{path}"))
            .send()
            .await
            .ok()?;
        if !answer.status().is_success() {
            return None;
        }
        answer.json().await.ok()
    }

    async fn post(&self, port: u16, path: &str, body: Value) -> Value {
        let answer = self
            .http
            .post(format!("http://127.0.0.1:{port}{path}"))
            .json(&body)
            .send()
            .await
            .expect("the service answers");
        assert_eq!(answer.status(), 201, "{path}");
        answer.json().await.expect("json")
    }

    /// A post with comments; one mentions orange (rejected).
    async fn write_history(&self, posts: usize, comments_each: usize) {
        for p in 0..posts {
            let post = self
                .post(self.posts, "/posts", json!({"title": format!("post {p}")}))
                .await;
            let path = format!(
                "/posts/{}/comments",
                post["id"].as_str().unwrap_or_default()
            );
            for c in 0..comments_each {
                let content = if c == 0 { "an orange" } else { "fine" };
                self.post(self.comments, &path, json!({ "content": content }))
                    .await;
            }
        }
    }

    /// Waits until the service on `port` answers `/health` with 200.
    async fn ready(&self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.get(port, "/health").await.is_none() {
            assert!(Instant::now() < deadline, "port {port} never became ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// query's counts, once every one of `comments` comments is moderated.
    async fn settled_counts(&self, comments: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(posts) = self.get(self.query, "/posts").await {
                let counts = counts_of(&posts);
                let decided = counts["approved"].as_u64().unwrap_or(0)
                    + counts["rejected"].as_u64().unwrap_or(0);
                if counts["comments"] == comments && decided == comments {
                    return counts;
                }
            }
            assert!(
                Instant::now() < deadline,
                "query never showed every comment moderated"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts `stats`, late, as the workshop's learner user; returns its port.
    async fn start_stats(&self) -> u16 {
        let settings = ServiceSettings::for_test(self.nats.bus_config(bus::auth::LEARNER));
        let stats = workshop_stats::service::Application::build(settings)
            .await
            .expect("stats builds");
        let port = stats.port();
        tokio::spawn(stats.run_until_stopped(self.stop.clone()));
        port
    }
}

/// The counts query's `/posts` implies, in `/stats`'s shape.
fn counts_of(posts: &Value) -> Value {
    let mut total = json!({"posts": 0, "comments": 0, "approved": 0, "rejected": 0, "perPost": {}});
    for post in posts.as_array().into_iter().flatten() {
        let mut per = json!({"comments": 0, "approved": 0, "rejected": 0});
        for comment in post["comments"].as_array().into_iter().flatten() {
            per["comments"] = json!(per["comments"].as_u64().unwrap_or(0) + 1);
            let status = comment["status"].as_str().unwrap_or_default();
            if status == "approved" || status == "rejected" {
                per[status] = json!(per[status].as_u64().unwrap_or(0) + 1);
            }
        }
        for key in ["comments", "approved", "rejected"] {
            total[key] = json!(total[key].as_u64().unwrap_or(0) + per[key].as_u64().unwrap_or(0));
        }
        total["posts"] = json!(total["posts"].as_u64().unwrap_or(0) + 1);
        if per["comments"] != 0 {
            total["perPost"][post["id"].as_str().unwrap_or_default()] = per;
        }
    }
    total
}

/// Waits until `/stats` answers `expected`, or says what it answered instead.
async fn stats_reach(blog: &Blog, port: u16, expected: &Value, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        if let Some(answer) = blog.get(port, "/stats").await {
            if &answer == expected {
                return;
            }
            last = answer;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: query shows {expected}\nbut stats answers {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_late_it_counts_the_whole_history() {
    let blog = Blog::start().await;
    blog.write_history(3, 3).await;
    let expected = blog.settled_counts(9).await;
    let stats = blog.start_stats().await;
    stats_reach(
        &blog,
        stats,
        &expected,
        "started after 3 posts and 9 comments",
    )
    .await;
    blog.stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_keeps_counting_what_happens_after_it_started() {
    let blog = Blog::start().await;
    let stats = blog.start_stats().await;
    blog.ready(stats).await;
    blog.write_history(2, 2).await;
    let expected = blog.settled_counts(4).await;
    stats_reach(
        &blog,
        stats,
        &expected,
        "started before anything was written",
    )
    .await;
    blog.stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_says_ready_only_once_it_knows_the_history() {
    let blog = Blog::start().await;
    blog.write_history(2, 3).await;
    let expected = blog.settled_counts(6).await;
    let stats = blog.start_stats().await;
    // The first answer it gives (200) must already be complete: a 503 before is fine.
    let deadline = Instant::now() + Duration::from_secs(15);
    let first = loop {
        if let Some(answer) = blog.get(stats, "/stats").await {
            break answer;
        }
        assert!(Instant::now() < deadline, "stats never answered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(
        first, expected,
        "the first /stats it answered was incomplete: /health and /stats must wait until the \
         history is read"
    );
    blog.stop.cancel();
}
