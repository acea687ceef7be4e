//! Building and running the service: the shared shell (see `web::shell`) around posts'
//! state, routes and its one piece of work, following the POSTS stream.

use crate::routes::router;
use crate::state::AppState;
use bus::{Publisher, StreamDef};
use tokio_util::sync::CancellationToken;
use web::{ServiceSettings, Shell};

pub struct Application {
    shell: Shell,
    state: AppState,
}

impl Application {
    /// Binds the port and connects to NATS (waiting for it if it is not up yet).
    pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
        let shell = Shell::open(&settings, &[StreamDef::Posts]).await?;
        let state = AppState::new(Publisher::new(shell.client()));
        Ok(Application { shell, state })
    }

    pub fn port(&self) -> u16 {
        self.shell.port()
    }

    /// This service's NATS connection (see [`Shell::client`]).
    pub fn nats_client(&self) -> async_nats::Client {
        self.shell.client()
    }

    /// Serves HTTP and follows the POSTS stream until `shutdown`.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let posts = self.state.posts.clone();
        let follow = bus::follow::follow(
            self.state.publisher.jetstream().clone(),
            StreamDef::Posts,
            "posts",
            self.state.progress.clone(),
            shutdown.clone(),
            move |event, _sequence| posts.write().apply(&event),
        );
        let router = router(self.state.clone());
        self.shell.run(self.state, router, follow, shutdown).await
    }
}
