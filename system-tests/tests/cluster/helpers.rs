//! A cluster, the services on it (several instances each if asked), and what the tests ask
//! of them.

use async_nats::jetstream;
use bus::testing::TestCluster;
use bus::StreamDef;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use web::ServiceSettings;

/// How long an eventual-consistency wait may take: longer than on one node, since a
/// leader election or a node catching up comes first.
pub const DEADLINE: Duration = Duration::from_secs(40);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Posts,
    Comments,
    /// Moderation as `make run` starts it: every instance on the one shared consumer.
    Moderation,
    /// Moderation in partitioned mode, instance `index` (0-based) of `of`.
    ModerationPartitioned {
        index: u32,
        of: u32,
    },
    /// A query instance with its own consumers, named here.
    Query(&'static str),
}

impl Kind {
    fn user(self) -> &'static str {
        match self {
            Kind::Posts => "posts",
            Kind::Comments => "comments",
            Kind::Moderation | Kind::ModerationPartitioned { .. } => "moderation",
            Kind::Query(_) => "query",
        }
    }
}

/// One running instance.
pub struct Instance {
    pub kind: Kind,
    pub port: u16,
    client: async_nats::Client,
    task: JoinHandle<()>,
}

type Run = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

pub struct ClusterSystem {
    pub cluster: TestCluster,
    pub http: reqwest::Client,
    pub instances: Vec<Instance>,
}

impl ClusterSystem {
    /// A three-node cluster with the streams provisioned on all three.
    pub fn start() -> ClusterSystem {
        ClusterSystem::with_nodes(3)
    }

    /// `nodes` nats-servers joined as a cluster (one: a single server, as `make run`).
    pub fn with_nodes(nodes: usize) -> ClusterSystem {
        ClusterSystem {
            cluster: TestCluster::start(nodes),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("an HTTP client"),
            instances: Vec::new(),
        }
    }

    /// Starts one more instance of `kind`; returns its index in `instances`.
    pub async fn start_instance(&mut self, kind: Kind) -> usize {
        let mut bus = self.cluster.bus_config(kind.user());
        // Short, so a message handed to an instance that then dies comes back quickly.
        bus.ack_wait = Duration::from_secs(2);
        let settings = ServiceSettings::for_test(bus);
        let (port, client, run): (
            u16,
            async_nats::Client,
            Box<dyn FnOnce(CancellationToken) -> Run + Send>,
        ) = match kind {
            Kind::Posts => {
                let app = posts::Application::build(settings)
                    .await
                    .expect("posts builds");
                (
                    app.port(),
                    app.nats_client(),
                    Box::new(|s| Box::pin(app.run_until_stopped(s))),
                )
            }
            Kind::Comments => {
                let app = comments::Application::build(settings)
                    .await
                    .expect("comments builds");
                (
                    app.port(),
                    app.nats_client(),
                    Box::new(|s| Box::pin(app.run_until_stopped(s))),
                )
            }
            Kind::Moderation | Kind::ModerationPartitioned { .. } => {
                let mut settings = moderation::Settings::for_test(settings);
                if let Kind::ModerationPartitioned { index, of } = kind {
                    settings.mode = moderation::config::Mode::Partitioned {
                        index,
                        instances: of,
                    };
                }
                let app = moderation::Application::build(settings)
                    .await
                    .expect("moderation builds");
                (
                    app.port(),
                    app.nats_client(),
                    Box::new(|s| Box::pin(app.run_until_stopped(s))),
                )
            }
            Kind::Query(name) => {
                let mut settings = query::Settings::for_test(settings);
                settings.instance = Some(name.into());
                let app = query::Application::build(settings)
                    .await
                    .expect("query builds");
                (
                    app.port(),
                    app.nats_client(),
                    Box::new(|s| Box::pin(app.run_until_stopped(s))),
                )
            }
        };
        let task = tokio::spawn(async move {
            if let Err(error) = run(CancellationToken::new()).await {
                panic!("{kind:?} failed: {error:#}");
            }
        });
        self.instances.push(Instance {
            kind,
            port,
            client,
            task,
        });
        let index = self.instances.len() - 1;
        self.wait_healthy(index).await;
        index
    }

    /// Kills instance `index` as a crash would: its work stops mid-message and its NATS
    /// connection closes.
    pub async fn kill_instance(&mut self, index: usize) {
        let instance = &self.instances[index];
        instance.task.abort();
        let _ = instance.client.drain().await;
    }

    pub fn url(&self, index: usize, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.instances[index].port)
    }

    pub async fn wait_healthy(&self, index: usize) {
        let url = self.url(index, "/health");
        let kind = self.instances[index].kind;
        eventually(&format!("{kind:?} healthy"), || async {
            self.http
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        })
        .await;
    }

    /// GET `path` on instance `index`: status and JSON body (`Null` if none).
    pub async fn get(&self, index: usize, path: &str) -> (u16, Value) {
        match self.http.get(self.url(index, path)).send().await {
            Ok(answer) => {
                let status = answer.status().as_u16();
                (status, answer.json().await.unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    }

    /// POST `body` to `path` on instance `index` with an idempotency key: status and body
    /// (status 0 when no answer came).
    pub async fn post(&self, index: usize, path: &str, key: &str, body: Value) -> (u16, Value) {
        let sent = self
            .http
            .post(self.url(index, path))
            .header("idempotency-key", key)
            .json(&body)
            .send()
            .await;
        match sent {
            Ok(answer) => {
                let status = answer.status().as_u16();
                (status, answer.json().await.unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    }

    /// Creates a post through instance `index`, retrying its key until stored.
    pub async fn create_post(&self, index: usize, title: &str) -> String {
        let key = format!("post-{}", title.replace(' ', "-"));
        let deadline = Instant::now() + DEADLINE;
        loop {
            let (status, body) = self
                .post(index, "/posts", &key, json!({ "title": title }))
                .await;
            if status == 201 {
                return body["id"].as_str().unwrap_or_default().to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "the post was never stored: {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// An admin's view of the streams.
    pub async fn jetstream(&self) -> jetstream::Context {
        let admin = self.cluster.bus_config(bus::auth::ADMIN);
        jetstream::new(bus::connect::connect(&admin).await)
    }

    /// The node that leads `stream` now, if one does.
    pub async fn stream_leader(&self, stream: StreamDef) -> Option<String> {
        let js = self.jetstream().await;
        let mut handle = js.get_stream(stream.name()).await.ok()?;
        let info = handle.info().await.ok()?;
        info.cluster.as_ref().and_then(|c| c.leader.clone())
    }

    /// How many messages `stream` holds.
    pub async fn messages(&self, stream: StreamDef) -> u64 {
        let js = self.jetstream().await;
        let mut handle = js.get_stream(stream.name()).await.expect("the stream");
        handle.info().await.map(|i| i.state.messages).unwrap_or(0)
    }
}

/// Polls `check` every 50 ms until it holds; fails the test after [`DEADLINE`], naming what
/// it waited for.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + DEADLINE;
    while !check().await {
        assert!(Instant::now() < deadline, "gave up waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Comment id → status, over every post of a `GET /posts` answer.
pub fn statuses(posts: &Value) -> std::collections::HashMap<String, String> {
    posts
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|post| post["comments"].as_array().into_iter().flatten())
        .map(|c| {
            let id = c["id"].as_str().unwrap_or_default().to_owned();
            (id, c["status"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}
