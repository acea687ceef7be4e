//! Building and running the service. Binding happens in `build`, so a test can ask for port
//! 0 and read the real port before the service runs.

use crate::domain::Posts;
use crate::routes::{router, AppState};
use bus::progress::Progress;
use bus::{Publisher, StreamDef};
use parking_lot::RwLock;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use web::ServiceSettings;

pub struct Application {
    listener: TcpListener,
    port: u16,
    state: AppState,
}

impl Application {
    /// Binds the port and connects to NATS (waiting for it if it is not up yet).
    pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
        let (listener, port) = web::server::bind(&settings.host, settings.port).await?;
        let client = bus::connect::connect_and_wait_for(&settings.bus, &[StreamDef::Posts]).await;
        let state = AppState {
            publisher: Publisher::new(client),
            posts: Arc::new(RwLock::new(Posts::default())),
            progress: Progress::new(),
        };
        Ok(Application {
            listener,
            port,
            state,
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

    /// Serves HTTP and follows the POSTS stream until `shutdown`.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tracing::info!(port = self.port, "posts listening");
        let posts = self.state.posts.clone();
        let follow = bus::follow::follow(
            self.state.publisher.jetstream().clone(),
            StreamDef::Posts,
            "posts",
            self.state.progress.clone(),
            shutdown.clone(),
            move |event, _sequence| posts.write().apply(&event),
        );
        let state = self.state.clone();
        let announce = bus::discovery::announce(
            self.state.publisher.client(),
            "posts",
            shutdown.clone(),
            || crate::routes::status(&state).1,
        );
        let serve = web::server::serve(self.listener, router(self.state), shutdown);
        let (served, (), ()) = tokio::join!(serve, follow, announce);
        served?;
        Ok(())
    }
}
