//! Building and running the service: the shared shell (see `web::shell`) around query's
//! state and routes, and its work — replaying, then following, the streams into the read
//! model; following the dead letters; re-driving them; watching the system for `/system`.

use crate::config::Settings;
use crate::consumer::{finished, follow_dead_letters, follow_into, start_over, STREAMS};
use crate::routes::router;
use crate::state::{AppState, INSTANCE_KEY};
use async_nats::jetstream;
use bus::progress::Progress;
use futures::future::join_all;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use web::Shell;

/// Refuses to start if a running query instance already uses the consumer name `instance`:
/// this one would delete and recreate its consumers, and the two would then split the
/// events between them, each with half a read model.
async fn refuse_a_twin(client: &async_nats::Client, instance: &str) -> anyhow::Result<()> {
    let running = crate::ping::ping_service(client, "query", Duration::from_millis(500)).await;
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
    shell: Shell,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let service = &settings.service;
        let shell = Shell::open(service, &STREAMS).await?;
        let instance = settings.instance_name(shell.port());
        refuse_a_twin(&shell.client(), &instance).await?;
        let js = jetstream::new(shell.client());
        let retries = crate::dead_letters::retry_connection(&service.bus).await;
        for stream in STREAMS {
            start_over(&js, stream, &instance).await;
        }
        let state = AppState::new(js, retries, instance, &settings);
        Ok(Application { shell, state })
    }

    pub fn port(&self) -> u16 {
        self.shell.port()
    }

    /// This service's NATS connection (see [`Shell::client`]).
    pub fn nats_client(&self) -> async_nats::Client {
        self.shell.client()
    }

    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(instance = %self.state.instance, "query replaying");
        // Handlers (the live streams) must also end on this stop signal.
        self.state.shutdown = shutdown.clone();
        let state = &self.state;
        let started = std::time::Instant::now();
        // A task per stream, so the streams are followed side by side on every core (joined
        // into this one future, they would all run on one thread).
        let consumers = join_all(state.progress.iter().map(|(stream, progress)| {
            let task = tokio::spawn(follow_into(
                state.js.clone(),
                *stream,
                state.instance.clone(),
                state.model.clone(),
                state.changes.clone(),
                progress.clone(),
                shutdown.clone(),
            ));
            finished(task)
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
        let work = async {
            tokio::join!(consumers, dead_letters, redrive, system, announce_ready);
        };
        let router = router(state.clone());
        let state = self.state.clone();
        self.shell.run(state, router, work, shutdown.clone()).await
    }
}
