//! Building and running the service: the shared shell (see `web::shell`) around `/health`
//! and its one piece of work, consuming new comments, until the stop signal.

use crate::config::Settings;
use crate::routes::router;
use crate::state::AppState;
use crate::{consumer, knobs, waiting};
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

    /// Serves, follows the knobs, settles the waiting list and moderates, until `shutdown`.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let settings = self.settings;
        let defaults = settings.default_knobs();
        let fresh_ids = settings.knobs.fresh_ids;
        tracing::info!(knobs = ?defaults, "moderating; these knobs hold until the KV bucket has some");
        let (sender, live) = knobs::channel(knobs::Applied::new(defaults.clone(), None, fresh_ids));
        let publisher = Publisher::new(self.shell.client());
        let state = AppState {
            publisher: publisher.clone(),
            reading: Progress::new(),
            knobs: live.clone(),
        };
        let js = publisher.jetstream().clone();
        let work = {
            let (publisher, reading, shutdown) =
                (publisher.clone(), state.reading.clone(), shutdown.clone());
            async move {
                tokio::join!(
                    knobs::follow(js, defaults, fresh_ids, sender, shutdown.clone()),
                    waiting::settle(publisher.clone(), live.clone(), shutdown.clone()),
                    consumer::run(settings, publisher, reading, live, shutdown),
                );
            }
        };
        let router = router(state.clone());
        self.shell.run(state, router, work, shutdown).await
    }
}
