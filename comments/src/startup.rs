//! Building and running the service: serve HTTP, follow our own COMMENTS stream, and consume
//! moderation decisions — all until the stop signal.

use crate::domain::Comments;
use crate::lookup::Lookup;
use crate::on_moderated;
use crate::routes::{router, AppState};
use bus::consume::{consume, Durable};
use bus::progress::Progress;
use bus::{Publisher, StreamDef};
use parking_lot::RwLock;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use web::ServiceSettings;

/// The durable consumer on MODERATION; it resumes from its last ack after a restart.
pub const CONSUMER: &str = "comments";

pub struct Application {
    listener: TcpListener,
    port: u16,
    state: AppState,
    ack_wait: std::time::Duration,
}

impl Application {
    pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
        let (listener, port) = web::server::bind(&settings.host, settings.port).await?;
        // Comments reads all three streams, so it makes sure all three exist.
        let client = bus::connect::connect_and_wait_for(&settings.bus, &StreamDef::ALL).await;
        let publisher = Publisher::new(client);
        let state = AppState {
            lookup: Lookup::new(publisher.jetstream().clone()),
            publisher,
            comments: Arc::new(RwLock::new(Comments::default())),
            progress: Progress::new(),
            decisions: Progress::new(),
        };
        Ok(Application {
            listener,
            port,
            state,
            ack_wait: settings.bus.ack_wait,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// This service's NATS connection. A crash closes it; an in-process test that "kills"
    /// the service closes it too, so the broker sees what it would see after a crash.
    pub fn nats_client(&self) -> async_nats::Client {
        self.state.publisher.client()
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(port = self.port, "comments listening");
        let js = self.state.publisher.jetstream().clone();
        let comments = self.state.comments.clone();
        let follow = bus::follow::follow(
            js.clone(),
            StreamDef::Comments,
            "comments",
            self.state.progress.clone(),
            shutdown.clone(),
            move |event, _sequence| comments.write().apply(&event),
        );
        let state = self.state.clone();
        let ack_wait = self.ack_wait;
        let decisions = async {
            // Decisions are judged against our comments, so wait until those are replayed.
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = state.progress.wait_caught_up() => {}
            }
            consume(
                js,
                Durable::new(StreamDef::Moderation, CONSUMER, None).with_ack_wait(ack_wait),
                Some(state.decisions.clone()),
                shutdown.clone(),
                |event, delivery| {
                    let state = state.clone();
                    async move { on_moderated::on_event(event, delivery, &state).await }
                },
            )
            .await
        };
        let announce = bus::discovery::announce(
            self.state.publisher.client(),
            "comments",
            shutdown.clone(),
            || crate::routes::status(&state).1,
        );
        let serve = web::server::serve(self.listener, router(self.state.clone()), shutdown.clone());
        let (served, (), (), ()) = tokio::join!(serve, follow, decisions, announce);
        served?;
        Ok(())
    }
}
