//! Building and running the service: serve HTTP while replaying, then following, both
//! streams into the read model.

use crate::config::Settings;
use crate::consumers::{follow_into, start_over, STREAMS};
use crate::projection::ReadModel;
use crate::live::Changes;
use crate::routes::{router, AppState};
use async_nats::jetstream;
use bus::progress::Progress;
use futures::future::join_all;
use parking_lot::RwLock;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub struct Application {
    listener: TcpListener,
    port: u16,
    js: jetstream::Context,
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
        let state = AppState {
            model: Arc::new(RwLock::new(ReadModel::default())),
            progress: STREAMS.iter().map(|s| (*s, Progress::new())).collect(),
            changes: Changes::default(),
            shutdown: CancellationToken::new(),
        };
        Ok(Application { listener, port, js, instance: settings.instance, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(port = self.port, instance = %self.instance, "query listening; replaying");
        // Handlers (the live streams) must also end on this stop signal.
        self.state.shutdown = shutdown.clone();
        let started = std::time::Instant::now();
        let consumers = join_all(self.state.progress.iter().map(|(stream, progress)| {
            follow_into(
                self.js.clone(),
                *stream,
                self.instance.clone(),
                self.state.model.clone(),
                self.state.changes.clone(),
                progress.clone(),
                shutdown.clone(),
            )
        }));
        let announce_ready = {
            let (state, shutdown) = (self.state.clone(), shutdown.clone());
            async move {
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = state.wait_ready() => tracing::info!(
                        posts = state.model.read().post_count(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "replay caught up; ready"),
                }
            }
        };
        let serve = web::server::serve(self.listener, router(self.state.clone()), shutdown);
        let (served, _, ()) = tokio::join!(serve, consumers, announce_ready);
        served?;
        Ok(())
    }
}
