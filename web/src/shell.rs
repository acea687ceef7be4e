//! The application shell every service's `startup` shares: bind the port, connect to NATS,
//! then serve HTTP, answer the NATS services API and do the service's own work — consume,
//! follow a stream — all until the stop signal.
//!
//! Binding comes first, in [`Shell::open`], so a test can ask for port 0 and read the real
//! port (see [`Shell::port`]) before anything runs.

use crate::service::ServiceState;
use crate::settings::ServiceSettings;
use anyhow::Context;
use axum::Router;
use bus::StreamDef;
use std::future::Future;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub struct Shell {
    listener: TcpListener,
    port: u16,
    client: async_nats::Client,
}

impl Shell {
    /// Binds the port, then connects to NATS as the service's user, waiting for the server
    /// and for `streams` to exist (they are provisioned by `admin`, not by the services).
    pub async fn open(settings: &ServiceSettings, streams: &[StreamDef]) -> anyhow::Result<Shell> {
        let (listener, port) = crate::server::bind(&settings.host, settings.port).await?;
        let client = bus::connect::connect_and_wait_for(&settings.bus, streams).await;
        Ok(Shell {
            listener,
            port,
            client,
        })
    }

    /// The port it listens on (the real one when 0 was asked for).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The service's NATS connection. A crash closes it; an in-process test that "kills"
    /// the service closes it too, so the broker sees what it would see after a crash.
    pub fn client(&self) -> async_nats::Client {
        self.client.clone()
    }

    /// Serves `router`, registers `state`'s service with the NATS services API (its status
    /// endpoint answers [`ServiceState::health`]) and runs `work`, until `shutdown`. `work`
    /// must end on `shutdown` too.
    pub async fn run<S: ServiceState>(
        self,
        state: S,
        router: Router,
        work: impl Future<Output = ()>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        tracing::info!(port = self.port, "{} listening", S::NAME);
        let announce = bus::discovery::announce(
            self.client,
            S::NAME,
            state.metadata(),
            shutdown.clone(),
            || state.health().to_json(S::NAME),
        );
        let serve = crate::server::serve(self.listener, router, shutdown);
        let (served, (), ()) = tokio::join!(serve, announce, work);
        served.with_context(|| format!("{} stopped serving HTTP", S::NAME))
    }
}
