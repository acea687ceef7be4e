//! HTTP handlers: the read side of the system, and the lab's window on it.

use crate::dead_letters::DeadLetters;
use crate::live::{self, Changes};
use crate::projection::{PostView, ReadModel};
use crate::timeline::TimelineView;
use async_nats::jetstream;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use bus::progress::Progress;
use bus::{CommentId, PostId};
use parking_lot::RwLock;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use web::{ApiError, PathParam};

#[derive(Clone)]
pub struct AppState {
    pub js: jetstream::Context,
    /// As `admin`, for dead-letter retries only: `js` may publish nothing.
    pub retries: jetstream::Context,
    /// Never held across an `.await` (see `posts::routes::AppState`).
    pub model: Arc<RwLock<ReadModel>>,
    /// One per stream read; ready when all have caught up.
    pub progress: Vec<(bus::StreamDef, Progress)>,
    /// Changes to the read model, for live clients.
    pub changes: Changes,
    pub dead_letters: Arc<RwLock<DeadLetters>>,
    /// The latest system view as JSON (see [`crate::system`]).
    pub system: watch::Sender<Arc<str>>,
    /// The stop signal. Live streams never end by themselves, and a graceful stop waits for
    /// open connections, so they must end when it comes.
    pub shutdown: CancellationToken,
    /// One permit per open live (SSE) connection: a bound on how many this instance serves.
    pub live_clients: Arc<Semaphore>,
}

impl AppState {
    pub fn ready(&self) -> bool {
        self.progress.iter().all(|(_, p)| p.is_ready())
    }

    /// Runs `work` unless the service stops first (then `None`).
    pub async fn until_stopped<T>(&self, work: impl std::future::Future<Output = T>) -> Option<T> {
        tokio::select! {
            _ = self.shutdown.cancelled() => None,
            done = work => Some(done),
        }
    }

    /// Every post with its comments, each stuck comment with why (see [`crate::gave_up`]).
    pub fn posts(&self) -> Vec<PostView> {
        crate::gave_up::posts(&self.model.read(), &self.dead_letters.read())
    }

    pub async fn wait_ready(&self) {
        futures::future::join_all(self.progress.iter().map(|(_, p)| p.wait_caught_up())).await;
    }
}

pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/posts", get(list_posts))
        .route("/posts/events", get(live::events))
        .route("/posts/{id}", get(one_post))
        .route("/comments/{id}/timeline", get(timeline))
        .route("/system", get(system))
        .route("/system/events", get(live::system_events))
        .merge(crate::dead_letter_routes::routes(
            web::server::allowed_origins(),
        ))
        .route("/health", get(health))
        .with_state(state);
    web::server::with_middleware(routes)
}

async fn list_posts(State(app): State<AppState>) -> Result<Json<Vec<PostView>>, ApiError> {
    if !app.ready() {
        return Err(ApiError::starting());
    }
    Ok(Json(app.posts()))
}

async fn one_post(
    State(app): State<AppState>,
    PathParam(raw_id): PathParam<String>,
) -> Result<Json<PostView>, ApiError> {
    if !app.ready() {
        return Err(ApiError::starting());
    }
    let unknown = || ApiError::not_found(format!("there is no post with id {raw_id:?}"));
    let id: PostId = raw_id.parse().map_err(|_| unknown())?;
    crate::gave_up::post(&app.model.read(), &app.dead_letters.read(), id)
        .map(Json)
        .ok_or_else(unknown)
}

async fn timeline(
    State(app): State<AppState>,
    PathParam(raw_id): PathParam<String>,
) -> Result<Json<TimelineView>, ApiError> {
    if !app.ready() {
        return Err(ApiError::starting());
    }
    let unknown = || ApiError::not_found(format!("there is no comment with id {raw_id:?}"));
    let id: CommentId = raw_id.parse().map_err(|_| unknown())?;
    app.model.read().timeline(id).map(Json).ok_or_else(unknown)
}

/// The latest system view (refreshed every second; 503 before query's first look).
async fn system(State(app): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let json = app.system.borrow().to_string();
    if json.is_empty() {
        return Err(ApiError::unavailable(
            "query is taking its first look at the system",
        ));
    }
    Ok(([(header::CONTENT_TYPE, "application/json")], json))
}

async fn health(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    let (status, body) = status(&app);
    (status, Json(body))
}

/// The service's state, for `/health` and the NATS status endpoint.
pub fn status(app: &AppState) -> (StatusCode, Value) {
    let ready = app.ready();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let streams: serde_json::Map<String, Value> = app
        .progress
        .iter()
        .map(|(stream, p)| {
            let state = json!({"caughtUp": p.is_caught_up(), "reading": p.is_reading(),
                "appliedSequence": p.applied_sequence()});
            (stream.name().to_owned(), state)
        })
        .collect();
    let body = json!({
        "service": "query",
        "status": if ready { "ready" } else { "replaying" },
        "posts": app.model.read().post_count(),
        "streams": streams,
    });
    (status, body)
}
