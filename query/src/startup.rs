//! Building and running the service: serve HTTP while replaying, then following, the
//! streams into the read model; watch the system for `/system`; re-drive dead letters.

use crate::config::Settings;
use crate::consumers::{follow_dead_letters, follow_into, start_over, STREAMS};
use crate::dead_letters::DeadLetters;
use crate::live::Changes;
use crate::projection::ReadModel;
use crate::routes::{router, AppState};
use async_nats::jetstream;
use bus::progress::Progress;
use futures::future::join_all;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio_util::sync::CancellationToken;

/// The NATS services API metadata key under which each query instance names itself.
const INSTANCE_KEY: &str = "instance";

/// Refuses to start if a running query instance already uses the consumer name `instance`:
/// this one would delete and recreate its consumers, and the two would then split the
/// events between them, each with half a read model.
async fn refuse_a_twin(client: &async_nats::Client, instance: &str) -> anyhow::Result<()> {
    let running = bus::discovery::ping_service(client, "query", Duration::from_millis(500)).await;
    if let Some(twin) = running
        .iter()
        .find(|p| p.metadata.get(INSTANCE_KEY).map(String::as_str) == Some(instance))
    {
        anyhow::bail!(
            "another query instance (service id {}) already runs with the consumer name \
             {instance:?}; give this one its own QUERY_INSTANCE, or leave it unset to name it \
             after its port",
            twin.id
        );
    }
    Ok(())
}

pub struct Application {
    listener: TcpListener,
    port: u16,
    instance: String,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let service = &settings.service;
        let (listener, port) = web::server::bind(&service.host, service.port).await?;
        let instance = settings.instance_name(port);
        let client = bus::connect::connect_and_wait_for(&service.bus, &STREAMS).await;
        refuse_a_twin(&client, &instance).await?;
        let js = jetstream::new(client);
        let retries = crate::dead_letters::retry_connection(&service.bus).await;
        for stream in STREAMS {
            start_over(&js, stream, &instance).await;
        }
        let dead_letters = Arc::new(RwLock::new(DeadLetters::new(settings.redrive.clone())));
        let state = AppState {
            js,
            retries,
            model: Arc::new(RwLock::new(ReadModel::default())),
            progress: STREAMS.iter().map(|s| (*s, Progress::new())).collect(),
            changes: Changes::new(dead_letters.clone()),
            dead_letters,
            system: watch::Sender::new(Arc::from("")),
            shutdown: CancellationToken::new(),
            live_clients: Arc::new(Semaphore::new(settings.max_live_clients)),
        };
        Ok(Application {
            listener,
            port,
            instance,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// This service's NATS connection. A crash closes it; an in-process test that "kills"
    /// the service closes it too, so the broker sees what it would see after a crash.
    pub fn nats_client(&self) -> async_nats::Client {
        self.state.js.client()
    }

    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(port = self.port, instance = %self.instance, "query listening; replaying");
        // Handlers (the live streams) must also end on this stop signal.
        self.state.shutdown = shutdown.clone();
        let state = &self.state;
        let started = std::time::Instant::now();
        let consumers = join_all(state.progress.iter().map(|(stream, progress)| {
            follow_into(
                state.js.clone(),
                *stream,
                self.instance.clone(),
                state.model.clone(),
                state.changes.clone(),
                progress.clone(),
                shutdown.clone(),
            )
        }));
        // DEADLETTERS read to its end: from then on, the re-drive may act.
        let letters_read = Progress::new();
        let dead_letters = follow_dead_letters(
            state.js.clone(),
            state.dead_letters.clone(),
            state.model.clone(),
            state.changes.clone(),
            letters_read.clone(),
            shutdown.clone(),
        );
        // As admin (`retries`): query's own user may publish no event.
        let redrive = crate::redrive::run(
            state.retries.clone(),
            state.dead_letters.clone(),
            letters_read,
            shutdown.clone(),
        );
        let system = crate::system::watch(
            state.js.clone(),
            state.dead_letters.clone(),
            state.system.clone(),
            shutdown.clone(),
        );
        let announce_ready = async {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = state.wait_ready() => tracing::info!(
                    posts = state.model.read().post_count(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "replay caught up; ready"),
            }
        };
        let metadata = HashMap::from([(INSTANCE_KEY.to_owned(), self.instance.clone())]);
        let announce = bus::discovery::announce_with(
            state.js.client(),
            "query",
            metadata,
            shutdown.clone(),
            || crate::routes::status(state).1,
        );
        let serve = web::server::serve(self.listener, router(state.clone()), shutdown.clone());
        let (served, ..) = tokio::join!(
            serve,
            consumers,
            dead_letters,
            redrive,
            system,
            announce_ready,
            announce
        );
        served?;
        Ok(())
    }
}
