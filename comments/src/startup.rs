//! Building and running the service: the shared shell (see `web::shell`) around comments'
//! state and routes, and its two pieces of work — following our own COMMENTS stream, and
//! consuming moderation decisions — all until the stop signal.

use crate::routes::router;
use crate::state::AppState;
use bus::{Publisher, StreamDef};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use web::{ServiceSettings, Shell};

pub struct Application {
    shell: Shell,
    state: AppState,
    ack_wait: Duration,
}

impl Application {
    pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
        // Comments reads all three streams, so it makes sure all three exist.
        let shell = Shell::open(&settings, &StreamDef::ALL).await?;
        let state = AppState::new(Publisher::new(shell.client()));
        Ok(Application {
            shell,
            state,
            ack_wait: settings.bus.ack_wait,
        })
    }

    pub fn port(&self) -> u16 {
        self.shell.port()
    }

    /// This service's NATS connection (see [`Shell::client`]).
    pub fn nats_client(&self) -> async_nats::Client {
        self.shell.client()
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let comments = self.state.comments.clone();
        let follow = bus::follow::follow(
            self.state.publisher.jetstream().clone(),
            StreamDef::Comments,
            "comments",
            self.state.progress.clone(),
            shutdown.clone(),
            move |event, _sequence| comments.write().apply(&event),
        );
        let decisions = crate::consumer::run(self.state.clone(), self.ack_wait, shutdown.clone());
        let work = async {
            tokio::join!(follow, decisions);
        };
        let router = router(self.state.clone());
        self.shell.run(self.state, router, work, shutdown).await
    }
}
