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
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

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
        let client = bus::connect::connect_and_ensure(&service.bus, &STREAMS).await;
        let js = jetstream::new(client);
        for stream in STREAMS {
            start_over(&js, stream, &settings.instance).await;
        }
        let dead_letters = Arc::new(RwLock::new(DeadLetters::new(settings.redrive.clone())));
        let state = AppState {
            js,
            model: Arc::new(RwLock::new(ReadModel::default())),
            progress: STREAMS.iter().map(|s| (*s, Progress::new())).collect(),
            changes: Changes::new(dead_letters.clone()),
            dead_letters,
            system: watch::Sender::new(Arc::from("")),
            shutdown: CancellationToken::new(),
        };
        Ok(Application { listener, port, instance: settings.instance, state })
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
        let redrive = crate::redrive::run(
            state.js.clone(),
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
        let announce = bus::discovery::announce(state.js.client(), "query", shutdown.clone(), || {
            crate::routes::status(state).1
        });
        let serve = web::server::serve(self.listener, router(state.clone()), shutdown.clone());
        let (served, ..) =
            tokio::join!(serve, consumers, dead_letters, redrive, system, announce_ready, announce);
        served?;
        Ok(())
    }
}
