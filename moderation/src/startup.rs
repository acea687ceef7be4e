//! Building and running the service: the shared shell (see `web::shell`) around `/health`
//! and its one piece of work, consuming new comments, until the stop signal.

use crate::config::Settings;
use crate::routes::router;
use crate::state::AppState;
use bus::progress::Progress;
use bus::{Publisher, StreamDef};
use tokio_util::sync::CancellationToken;
use web::Shell;

pub struct Application {
    shell: Shell,
    settings: Settings,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let streams = [StreamDef::Comments, StreamDef::Moderation];
        let shell = Shell::open(&settings.service, &streams).await?;
        Ok(Application { shell, settings })
    }

    pub fn port(&self) -> u16 {
        self.shell.port()
    }

    /// This service's NATS connection (see [`Shell::client`]).
    pub fn nats_client(&self) -> async_nats::Client {
        self.shell.client()
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let settings = &self.settings;
        tracing::info!(concurrency = settings.concurrency, knobs = ?settings.knobs, "moderating");
        let state = AppState {
            publisher: Publisher::new(self.shell.client()),
            reading: Progress::new(),
        };
        let new_comments = crate::consumer::run(
            self.settings,
            state.publisher.clone(),
            state.reading.clone(),
            shutdown.clone(),
        );
        let router = router(state.clone());
        self.shell.run(state, router, new_comments, shutdown).await
    }
}
