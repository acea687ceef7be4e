//! The harness: a real broker, the real services, and a typed HTTP client.

use async_nats::jetstream;
use bus::testing::TestNats;
use bus::StreamDef;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use web::ServiceSettings;

/// How long any eventual-consistency wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    Posts,
    Comments,
    Moderation,
    Query,
    /// A second query instance with its own consumers (to compare read models).
    QueryTwin,
    /// A query instance started as a user would start one more: no name given, so its
    /// consumers are named after its port.
    QueryUnnamed(u8),
}

impl Service {
    /// The four services of a whole system.
    pub const ALL: [Service; 4] = [
        Service::Posts,
        Service::Comments,
        Service::Moderation,
        Service::Query,
    ];
}

impl Service {
    /// The NATS user it connects as (`nats/auth.conf`).
    pub fn user(self) -> &'static str {
        match self {
            Service::Posts => "posts",
            Service::Comments => "comments",
            Service::Moderation => "moderation",
            Service::Query | Service::QueryTwin | Service::QueryUnnamed(_) => "query",
        }
    }
}

struct Running {
    client: async_nats::Client,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

pub struct TestSystem {
    pub nats: TestNats,
    /// The workshop knobs the next moderation start gets.
    pub moderation_knobs: moderation::config::Knobs,
    /// The ack wait every service started next gives its durable consumers.
    pub ack_wait: Duration,
    /// How many live (SSE) clients each query started next serves.
    pub query_live_clients: usize,
    /// The automatic dead-letter retries the next query start gets (off by default).
    pub query_redrive: query::redrive::Policy,
    running: HashMap<Service, Running>,
    ports: HashMap<Service, u16>,
    pub http: reqwest::Client,
}

impl TestSystem {
    /// A broker and all four services, each ready.
    pub async fn start() -> TestSystem {
        TestSystem::start_configured(|_| {}).await
    }

    /// A broker and all four services, each ready, started after `configure` has set the
    /// system's knobs.
    pub async fn start_configured(configure: impl FnOnce(&mut TestSystem)) -> TestSystem {
        let mut system = TestSystem::with_broker_only();
        configure(&mut system);
        for service in Service::ALL {
            system.start_service(service).await;
        }
        system
    }

    pub fn with_broker_only() -> TestSystem {
        let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(filter)
            .try_init();
        TestSystem {
            nats: TestNats::start(),
            moderation_knobs: Default::default(),
            ack_wait: bus::BusConfig::DEFAULT_ACK_WAIT,
            query_live_clients: query::Settings::DEFAULT_MAX_LIVE_CLIENTS,
            query_redrive: query::redrive::Policy::off(),
            running: HashMap::new(),
            ports: HashMap::new(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("an HTTP client"),
        }
    }

    /// Starts `service` in-process on a free port and waits until its `/health` says ready.
    pub async fn start_service(&mut self, service: Service) {
        let built = self.build(service).await;
        self.run_built(service, built).await;
    }

    /// Runs a service built with [`TestSystem::build`] and waits until it is ready.
    pub async fn run_built(&mut self, service: Service, (port, client, run): Built) {
        let stop = CancellationToken::new();
        let task = tokio::spawn(run_or_panic(service, run, stop.clone()));
        self.running.insert(service, Running { client, stop, task });
        self.ports.insert(service, port);
        self.wait_healthy(service).await;
    }

    /// Builds a service without starting it: its port and a function that runs it.
    pub async fn build(&self, service: Service) -> Built {
        let knobs = Knobs {
            moderation: self.moderation_knobs.clone(),
            query_live_clients: self.query_live_clients,
            query_redrive: self.query_redrive.clone(),
        };
        build_service(service, self.settings(service), knobs).await
    }

    /// The settings `service` gets: port 0, this system's broker, its own NATS user.
    pub fn settings(&self, service: Service) -> ServiceSettings {
        let mut bus = self.nats.bus_config(service.user());
        bus.ack_wait = self.ack_wait;
        ServiceSettings::for_test(bus)
    }

    /// Kills `service` as SIGKILL would: its task is dropped mid-flight, nothing graceful,
    /// and its connection closed (which also ends its NATS services API registration).
    pub async fn kill(&mut self, service: Service) {
        if let Some(running) = self.running.remove(&service) {
            running.task.abort();
            let _ = running.client.drain().await;
        }
    }

    /// Stops `service` gracefully and waits for it to finish (failing the test if it does
    /// not finish in time).
    pub async fn stop(&mut self, service: Service) {
        if let Some(running) = self.running.remove(&service) {
            running.stop.cancel();
            let finished = tokio::time::timeout(Duration::from_secs(10), running.task).await;
            assert!(
                finished.is_ok(),
                "{service:?} did not stop within 10 s of the stop signal"
            );
        }
    }

    pub fn url(&self, service: Service, path: &str) -> String {
        let port = self.ports.get(&service).copied().unwrap_or(1);
        format!("http://127.0.0.1:{port}{path}")
    }

    pub async fn wait_healthy(&self, service: Service) {
        let url = self.url(service, "/health");
        let http = self.http.clone();
        eventually(&format!("{service:?} to be healthy"), || {
            let (http, url) = (http.clone(), url.clone());
            async move { http.get(&url).send().await.is_ok_and(|r| r.status() == 200) }
        })
        .await;
    }

    // --- one method per endpoint -------------------------------------------------------

    pub async fn post_json(&self, service: Service, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.url(service, path))
            .json(&body)
            .send()
            .await
            .expect("the service answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `POST path` with an `Idempotency-Key` header.
    pub async fn post_with_key(
        &self,
        service: Service,
        path: &str,
        key: &str,
        body: Value,
    ) -> (u16, Value) {
        let request = self
            .http
            .post(self.url(service, path))
            .header("idempotency-key", key);
        let response = request
            .json(&body)
            .send()
            .await
            .expect("the service answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_json(&self, service: Service, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(service, path))
            .send()
            .await
            .expect("the service answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Creates a post and returns its id.
    pub async fn create_post(&self, title: &str) -> String {
        let (status, body) = self
            .post_json(Service::Posts, "/posts", json!({ "title": title }))
            .await;
        assert_eq!(status, 201, "create post: {body}");
        body["id"].as_str().expect("an id").to_owned()
    }

    /// Creates a comment and returns its id.
    pub async fn create_comment(&self, post_id: &str, content: &str) -> String {
        let path = format!("/posts/{post_id}/comments");
        let (status, body) = self
            .post_json(Service::Comments, &path, json!({ "content": content }))
            .await;
        assert_eq!(status, 201, "create comment: {body}");
        body["id"].as_str().expect("an id").to_owned()
    }

    /// Query's `GET /posts`.
    pub async fn query_posts(&self, query: Service) -> Value {
        let (status, body) = self.get_json(query, "/posts").await;
        assert_eq!(status, 200, "query GET /posts: {body}");
        body
    }

    /// Polls query's `GET /posts` until `check` holds; returns that answer.
    pub async fn query_until(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        self.get_until(Service::Query, "/posts", what, check).await
    }

    /// Polls query's `GET /system` until `check` holds; returns that answer.
    pub async fn system_until(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        self.get_until(Service::Query, "/system", what, check).await
    }

    /// Polls `GET path` on `service` until it answers 200 and `check` holds.
    pub async fn get_until(
        &self,
        service: Service,
        path: &str,
        what: &str,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let (status, body) = self.get_json(service, path).await;
            if status == 200 && check(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; last answer: {body}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    // --- looking into the broker -------------------------------------------------------

    /// A JetStream context as `admin`: tests look into, and tamper with, every stream.
    pub async fn jetstream(&self) -> jetstream::Context {
        jetstream::new(bus::connect::connect(&self.nats.bus_config(bus::auth::ADMIN)).await)
    }

    /// How many events of `event_type` a stream holds.
    pub async fn count(&self, stream: StreamDef, event_type: &str) -> u64 {
        let js = self.jetstream().await;
        let handle = js
            .get_stream(stream.name())
            .await
            .expect("the stream exists");
        let mut info = handle
            .info_with_subjects(stream.subjects_of(event_type))
            .await
            .expect("stream info");
        let mut total = 0;
        while let Some(Ok((_, count))) = futures::StreamExt::next(&mut info).await {
            total += count as u64;
        }
        total
    }

    /// The durable `consumer`'s info from the server.
    pub async fn consumer_info(
        &self,
        stream: StreamDef,
        consumer: &str,
    ) -> jetstream::consumer::Info {
        let js = self.jetstream().await;
        let mut handle = js
            .get_consumer_from_stream::<jetstream::consumer::pull::Config, _, _>(
                consumer,
                stream.name(),
            )
            .await
            .expect("the consumer exists");
        handle.info().await.expect("consumer info").clone()
    }

    /// Shortens `stream`'s duplicate window, so a test can step past it in a second rather
    /// than two minutes: what JetStream's deduplication alone would then let through.
    pub async fn shorten_duplicate_window(&self, stream: StreamDef, window: Duration) {
        let js = self.jetstream().await;
        let mut config = js
            .get_stream(stream.name())
            .await
            .expect("stream")
            .cached_info()
            .config
            .clone();
        config.duplicate_window = window;
        js.update_stream(config)
            .await
            .expect("update the duplicate window");
    }

    /// Waits until the durable `consumer` on `stream` has nothing pending or unacked.
    pub async fn wait_drained(&self, stream: StreamDef, consumer: &str) {
        let js = self.jetstream().await;
        eventually(&format!("consumer {consumer} to drain"), || {
            let js = js.clone();
            async move {
                let Ok(mut c) = js
                    .get_consumer_from_stream::<jetstream::consumer::pull::Config, _, _>(
                        consumer,
                        stream.name(),
                    )
                    .await
                else {
                    return false;
                };
                c.info()
                    .await
                    .is_ok_and(|i| i.num_pending == 0 && i.num_ack_pending == 0)
            }
        })
        .await;
    }
}

impl Drop for TestSystem {
    fn drop(&mut self) {
        for (_, running) in self.running.drain() {
            running.task.abort();
        }
    }
}

/// A built service: its port, its NATS connection, and how to run it.
pub type Built = (u16, async_nats::Client, RunFn);

/// A built service's run function: serve until the token is cancelled.
pub type RunFn = Box<
    dyn FnOnce(CancellationToken) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>
        + Send,
>;

/// The settings of a test system that only some services read.
#[derive(Clone, Debug)]
pub struct Knobs {
    pub moderation: moderation::config::Knobs,
    pub query_live_clients: usize,
    pub query_redrive: query::redrive::Policy,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            moderation: Default::default(),
            query_live_clients: query::Settings::DEFAULT_MAX_LIVE_CLIENTS,
            query_redrive: query::redrive::Policy::off(),
        }
    }
}

/// Builds `service` with its share of `knobs`.
pub async fn build_service(service: Service, settings: ServiceSettings, knobs: Knobs) -> Built {
    match service {
        Service::Posts => {
            let app = posts::Application::build(settings)
                .await
                .expect("posts builds");
            (
                app.port(),
                app.nats_client(),
                Box::new(|stop| Box::pin(app.run_until_stopped(stop))),
            )
        }
        Service::Comments => {
            let app = comments::Application::build(settings)
                .await
                .expect("comments builds");
            (
                app.port(),
                app.nats_client(),
                Box::new(|stop| Box::pin(app.run_until_stopped(stop))),
            )
        }
        Service::Moderation => {
            let mut settings = moderation::Settings::for_test(settings);
            settings.knobs = knobs.moderation;
            let app = moderation::Application::build(settings)
                .await
                .expect("moderation builds");
            (
                app.port(),
                app.nats_client(),
                Box::new(|stop| Box::pin(app.run_until_stopped(stop))),
            )
        }
        Service::Query | Service::QueryTwin | Service::QueryUnnamed(_) => {
            let mut settings = query::Settings::for_test(settings);
            settings.max_live_clients = knobs.query_live_clients;
            settings.redrive = knobs.query_redrive;
            settings.instance = match service {
                Service::Query => Some("query".into()),
                Service::QueryTwin => Some("query-twin".into()),
                _ => None,
            };
            let app = query::Application::build(settings)
                .await
                .expect("query builds");
            (
                app.port(),
                app.nats_client(),
                Box::new(|stop| Box::pin(app.run_until_stopped(stop))),
            )
        }
    }
}

async fn run_or_panic(service: Service, run: RunFn, stop: CancellationToken) {
    if let Err(error) = run(stop).await {
        panic!("{service:?} failed: {error:#}");
    }
}

/// Polls `check` until it holds, failing the test after [`DEADLINE`].
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + DEADLINE;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The statuses of every comment in a query answer, by comment id.
pub fn statuses(posts: &Value) -> HashMap<String, String> {
    posts
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["comments"].as_array().cloned().unwrap_or_default())
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_owned(),
                c["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Every comment id in a query answer, duplicates included.
pub fn comment_ids(posts: &Value) -> Vec<String> {
    posts
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["comments"].as_array().cloned().unwrap_or_default())
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A consumer's figures in a `/system` answer.
pub fn consumer<'a>(system: &'a Value, stream: &str, name: &str) -> Option<&'a Value> {
    system["streams"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == stream)?["consumers"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == name)
}

/// Whether `/system` reports `service` up.
pub fn is_up(system: &Value, service: &str) -> bool {
    system["services"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| s["name"] == service && s["up"] == true)
}
