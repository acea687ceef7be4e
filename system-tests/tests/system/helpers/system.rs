//! A test's whole system: its own broker, and the services it started, each of which can
//! be stopped gracefully or killed mid-flight and started again.

use super::service::{build_service, Built, Knobs, RunFn, Service};
use super::wait::eventually;
use bus::testing::TestNats;
use std::collections::HashMap;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use web::ServiceSettings;

/// How long a graceful stop may take.
const STOP_WITHIN: Duration = Duration::from_secs(10);

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
        let knobs = Knobs::default();
        TestSystem {
            nats: TestNats::start(),
            moderation_knobs: knobs.moderation,
            ack_wait: bus::BusConfig::DEFAULT_ACK_WAIT,
            query_live_clients: knobs.query_live_clients,
            query_redrive: knobs.query_redrive,
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
            let finished = tokio::time::timeout(STOP_WITHIN, running.task).await;
            assert!(
                finished.is_ok(),
                "{service:?} did not stop within {STOP_WITHIN:?} of the stop signal"
            );
        }
    }

    /// The port `service` listens on (1, which refuses, if it was never started).
    pub fn port(&self, service: Service) -> u16 {
        self.ports.get(&service).copied().unwrap_or(1)
    }

    /// Waits until `service`'s `/health` answers 200.
    pub async fn wait_healthy(&self, service: Service) {
        eventually(&format!("{service:?} to be healthy"), || async move {
            self.health(service).await == Some(200)
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

async fn run_or_panic(service: Service, run: RunFn, stop: CancellationToken) {
    if let Err(error) = run(stop).await {
        panic!("{service:?} failed: {error:#}");
    }
}
