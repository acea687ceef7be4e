//! The service around the counts: its state, `GET /stats` (behind the readiness gate) and
//! `/health`, and its startup on the shared shell — the same rooms as every service,
//! folded into one file since there is so little of each.

use crate::stats::{Counts, Stats};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use bus::progress::Progress;
use bus::StreamDef;
use parking_lot::RwLock;
use serde_json::json;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use web::{Health, ServiceSettings, ServiceState, Shell};

#[derive(Clone, Default)]
pub struct AppState {
    pub stats: Arc<RwLock<Stats>>,
    pub ready: Progress,
}

impl ServiceState for AppState {
    const NAME: &'static str = "stats";

    fn is_ready(&self) -> bool {
        self.ready.is_ready()
    }

    fn health(&self) -> Health {
        let ready = self.is_ready();
        let details = json!({ "posts": self.stats.read().counts().posts });
        Health::new(ready, if ready { "ready" } else { "replaying" }, details)
    }
}

pub fn router(state: AppState) -> Router {
    let gated = Router::new().route("/stats", get(stats));
    web::service::app(state, gated, Router::new())
}

async fn stats(State(app): State<AppState>) -> Json<Counts> {
    Json(app.stats.read().counts())
}

pub struct Application {
    shell: Shell,
    state: AppState,
}

impl Application {
    /// Binds, then connects (as the settings' user: the workshop's `learner`).
    pub async fn build(settings: ServiceSettings) -> anyhow::Result<Application> {
        let shell = Shell::open(&settings, &[StreamDef::Posts, StreamDef::Comments]).await?;
        Ok(Application {
            shell,
            state: AppState::default(),
        })
    }

    pub fn port(&self) -> u16 {
        self.shell.port()
    }

    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let work = crate::reading::keep_up(
            self.shell.client(),
            self.state.stats.clone(),
            self.state.ready.clone(),
            shutdown.clone(),
        );
        let router = router(self.state.clone());
        self.shell.run(self.state, router, work, shutdown).await
    }
}
